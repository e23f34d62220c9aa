"""A TAK server's client: the node's picture as CoT to a centre's TAK Server (or FreeTAKServer,
taky), over TCP (port 8087) or TLS with the centre's own certificates (port 8089).

The TAK server routes what it receives to every TAK client connected to it, as it does for
ATAK phones; dronewarn is one more contributor. The connection is kept open and reopened
after a failure with exponential back-off (0.5 s to 30 s, jittered). While it is down,
events wait in a bounded queue that drops the *oldest* first: a picture is a state, the
newest matters. What the server sends back (its own CoT, pings) is read and counted, not
acted on.

TLS: ``context`` presents the node's client certificate (enrolled at the TAK server) and
trusts the server's CA; host names are checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from dronewarn.formats.cot.encode import encode
from dronewarn.formats.cot.event import CotEvent, TakProtocol
from dronewarn.transports.backoff import Backoff

log = logging.getLogger(__name__)


@dataclass
class TakClientStats:
    connected: bool = False
    connects: int = 0
    sent_events: int = 0
    sent_bytes: int = 0
    dropped: int = 0
    received_bytes: int = 0
    last_error: str = ""
    failures: int = 0


@dataclass(frozen=True)
class TakClientConfig:
    host: str
    port: int
    protocol: TakProtocol = TakProtocol.XML
    queue_limit: int = 5000
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    connect_timeout_s: float = 10.0


@dataclass
class TakClient:
    """Runs on an asyncio loop: ``publish`` from that loop, ``run`` until ``close``."""

    config: TakClientConfig
    context: ssl.SSLContext | None = None
    stats: TakClientStats = field(default_factory=TakClientStats)
    _queue: deque[bytes] = field(default_factory=deque)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def publish(self, events: Iterable[CotEvent]) -> None:
        for event in events:
            if len(self._queue) >= self.config.queue_limit:
                self._queue.popleft()
                self.stats.dropped += 1
            self._queue.append(encode(event, self.config.protocol))
        self._wake.set()

    async def close(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        backoff = Backoff(self.config.backoff_initial_s, self.config.backoff_max_s)
        while not self._stop.is_set():
            try:
                await self._session()
                backoff.reset()
            except (OSError, TimeoutError, ssl.SSLError, ConnectionError) as exc:
                self.stats.failures += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.info(
                    "TAK server unreachable",
                    extra={
                        "server": f"{self.config.host}:{self.config.port}",
                        "error": self.stats.last_error,
                    },
                )
            finally:
                self.stats.connected = False
            if self._stop.is_set():
                return
            await backoff.wait(self._stop)

    async def _session(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                self.config.host,
                self.config.port,
                ssl=self.context,
                server_hostname=self.config.host if self.context is not None else None,
            ),
            self.config.connect_timeout_s,
        )
        self.stats.connected = True
        self.stats.connects += 1
        self.stats.last_error = ""
        drain = asyncio.ensure_future(self._read(reader))
        try:
            while not self._stop.is_set():
                while self._queue:
                    data = self._queue.popleft()
                    writer.write(data)
                    self.stats.sent_events += 1
                    self.stats.sent_bytes += len(data)
                await asyncio.wait_for(writer.drain(), self.config.connect_timeout_s)
                if drain.done():
                    raise ConnectionError("the TAK server closed the connection")
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 1.0)
        finally:
            drain.cancel()
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError, ConnectionError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 2.0)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while data := await reader.read(65536):
            self.stats.received_bytes += len(data)
