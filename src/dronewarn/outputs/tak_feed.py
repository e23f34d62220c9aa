"""A TAK streaming feed: TAK clients (ATAK, WinTAK, iTAK, pytak) connect and get the picture.

Transport as in the TAK Product Center's *TAK Protocol* (commoncommo ``protocol.txt``):

* streaming connections over TCP (default port 8087) and TLS (default 8089, mutual TLS: the
  caller's ``ssl.SSLContext`` decides which client certificates are accepted, e.g.
  ``dronewarn.transports.tls.server_context`` that pins each client's certificate). Every
  ``publish(events)`` sends each connected client every event, as protocol 0 XML
  (``<?xml ...?>`` + newline + ``<event>``, back to back) or, if configured, protocol 1
  stream messages (``0xBF <varint length> <TakMessage>``); a client that connects gets the
  last published picture at once. The stream is two-way: whatever a client sends is handed,
  as it arrives, to the ``on_receive`` callback with the client's id (decoding it is the
  caller's business: ``sense`` reads CoT, ``share`` does not), and ``send_to`` answers one
  client (a TAK ping's pong, for instance);
* mesh: UDP datagrams to the SA multicast group 239.2.3.1:6969 with a configurable TTL, one
  event per datagram (XML, or protocol 1 mesh ``0xBF 0x01 0xBF <TakMessage>``). XML is the
  default: protocol.txt's ground rule 2 obliges every client to read protocol 0.

Back-pressure: each client has a queue of at most ``queue_limit`` encoded events. When a
slow client's queue is full the *oldest* event is dropped (a newer update of the same
picture is worth more than an old one) and counted per client and in total
(``dropped``). A client that disconnects, or whose socket fails, is removed and its tasks
ended; a client over ``max_clients`` is closed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import struct
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from dronewarn.formats.cot.encode import encode
from dronewarn.formats.cot.event import CotEvent, TakProtocol

log = logging.getLogger(__name__)

ReceiveCallback = Callable[[str, bytes], None]
"""``on_receive(client_id, data)``: bytes a client sent, as read (any chunking)."""

DEFAULT_TCP_PORT: Final = 8087
DEFAULT_TLS_PORT: Final = 8089
DEFAULT_MULTICAST_GROUP: Final = "239.2.3.1"
DEFAULT_MULTICAST_PORT: Final = 6969
MAX_DATAGRAM_BYTES: Final = 65_507
"""Largest UDP payload over IPv4."""


@dataclass(frozen=True, slots=True)
class TakFeedConfig:
    """Where the feed listens and what it writes. A port of None turns that listener off;
    0 picks a free port (see ``TakFeed.tcp_port``/``tls_port``)."""

    host: str = "127.0.0.1"
    tcp_port: int | None = DEFAULT_TCP_PORT
    tls_port: int | None = DEFAULT_TLS_PORT
    protocol: TakProtocol = TakProtocol.XML
    queue_limit: int = 1000
    """Encoded events held per client before the oldest is dropped."""
    max_clients: int = 64
    read_bytes: int = 65_536
    """Largest chunk read from a client at once."""
    tls_handshake_timeout_s: float = 10.0


@dataclass(slots=True)
class ClientStats:
    """What the feed knows of one connected client."""

    client_id: str
    peer: str
    tls: bool
    certificate_subject: str = ""
    sent: int = 0
    dropped: int = 0
    received_bytes: int = 0


@dataclass(slots=True)
class _Client:
    stats: ClientStats
    writer: asyncio.StreamWriter
    limit: int
    queue: deque[bytes] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: tuple[asyncio.Task[None], ...] = ()

    def offer(self, data: bytes) -> bool:
        """Queue ``data``; True if the oldest queued event had to be dropped for it."""
        dropped = False
        if len(self.queue) >= self.limit:
            self.queue.popleft()
            self.stats.dropped += 1
            dropped = True
        self.queue.append(data)
        self.ready.set()
        return dropped


def _subject(writer: asyncio.StreamWriter) -> str:
    certificate = writer.get_extra_info("peercert")
    if not isinstance(certificate, dict):
        return ""
    parts = []
    for rdn in certificate.get("subject", ()):
        for key, value in rdn:
            parts.append(f"{key}={value}")
    return ",".join(parts)


class TakFeed:
    """The streaming server. ``await start()``, ``publish(...)`` as often as the picture
    changes, ``await stop()``."""

    def __init__(
        self,
        config: TakFeedConfig,
        *,
        tls_context: ssl.SSLContext | None = None,
        on_receive: ReceiveCallback | None = None,
    ) -> None:
        if config.tls_port is not None and tls_context is None:
            raise ValueError("a TLS port needs an ssl.SSLContext (tls_context)")
        if config.queue_limit < 1:
            raise ValueError("queue_limit must be at least 1")
        self._config = config
        self._tls_context = tls_context
        self._on_receive = on_receive
        self._servers: list[tuple[bool, asyncio.Server]] = []
        self._clients: dict[str, _Client] = {}
        self._handlers: set[asyncio.Task[None]] = set()
        self._latest: list[bytes] = []
        self._next_id = 0
        self.dropped = 0
        """Events dropped from full client queues, all clients together."""
        self.refused = 0
        """Connections closed because ``max_clients`` were connected."""
        self.callback_errors = 0

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        config = self._config
        if config.tcp_port is not None:
            server = await asyncio.start_server(
                self._plain_connection, config.host, config.tcp_port, limit=config.read_bytes
            )
            self._servers.append((False, server))
        if config.tls_port is not None:
            server = await asyncio.start_server(
                self._tls_connection,
                config.host,
                config.tls_port,
                ssl=self._tls_context,
                ssl_handshake_timeout=config.tls_handshake_timeout_s,
                limit=config.read_bytes,
            )
            self._servers.append((True, server))

    async def stop(self) -> None:
        """Stop listening and close every client."""
        for _, server in self._servers:
            server.close()
        for client in list(self._clients.values()):
            for task in client.tasks:
                task.cancel()  # its connection handler then closes it and returns
        handlers = list(self._handlers)
        if handlers:
            await asyncio.gather(*handlers, return_exceptions=True)
        for _, server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        self._clients.clear()

    def _port(self, tls: bool) -> int | None:
        for is_tls, server in self._servers:
            if is_tls == tls and server.sockets:
                port: int = server.sockets[0].getsockname()[1]
                return port
        return None

    @property
    def tcp_port(self) -> int | None:
        """The plain TCP port actually bound (None if off or not started)."""
        return self._port(False)

    @property
    def tls_port(self) -> int | None:
        return self._port(True)

    @property
    def clients(self) -> tuple[ClientStats, ...]:
        return tuple(client.stats for client in self._clients.values())

    # --- sending -----------------------------------------------------------------------------

    def publish(self, events: Iterable[CotEvent]) -> None:
        """Send every connected client these events (encoded once), and keep them as the
        picture a client that connects later gets first."""
        encoded = [encode(event, self._config.protocol) for event in events]
        self._latest = encoded
        for client in self._clients.values():
            for data in encoded:
                if client.offer(data):
                    self.dropped += 1

    def send_to(self, client_id: str, events: Iterable[CotEvent]) -> bool:
        """Send events to one client only (an answer to what it sent, such as a TAK ping);
        False if that client is gone."""
        client = self._clients.get(client_id)
        if client is None:
            return False
        for event in events:
            if client.offer(encode(event, self._config.protocol)):
                self.dropped += 1
        return True

    async def _send_loop(self, client: _Client) -> None:
        while True:
            await client.ready.wait()
            client.ready.clear()
            while client.queue:
                data = client.queue.popleft()
                client.writer.write(data)
                await client.writer.drain()
                client.stats.sent += 1

    # --- receiving ---------------------------------------------------------------------------

    async def _receive_loop(self, client: _Client, reader: asyncio.StreamReader) -> None:
        while True:
            data = await reader.read(self._config.read_bytes)
            if not data:
                return
            client.stats.received_bytes += len(data)
            if self._on_receive is None:
                continue
            try:
                self._on_receive(client.stats.client_id, data)
            except Exception:  # the callback's failure must not drop the client
                self.callback_errors += 1
                log.exception("TAK feed: on_receive failed for %s", client.stats.client_id)

    # --- connections -------------------------------------------------------------------------

    async def _plain_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await self._serve(reader, writer, tls=False)

    async def _tls_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await self._serve(reader, writer, tls=True)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, tls: bool
    ) -> None:
        peer = writer.get_extra_info("peername")
        peer_text = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        if len(self._clients) >= self._config.max_clients:
            self.refused += 1
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()
            return
        self._next_id += 1
        client_id = f"tak-{self._next_id}"
        client = _Client(
            ClientStats(client_id, peer_text, tls, _subject(writer) if tls else ""),
            writer,
            self._config.queue_limit,
        )
        for data in self._latest:
            client.offer(data)
        self._clients[client_id] = client
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        send = asyncio.create_task(self._send_loop(client), name=f"{client_id}-send")
        receive = asyncio.create_task(self._receive_loop(client, reader), name=f"{client_id}-recv")
        client.tasks = (send, receive)
        try:
            await asyncio.wait((send, receive), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (send, receive):
                task.cancel()
            await asyncio.gather(send, receive, return_exceptions=True)
            self._clients.pop(client_id, None)
            if handler is not None:
                self._handlers.discard(handler)
            writer.close()
            log.info("TAK feed: %s (%s) disconnected", client_id, peer_text)


# --- mesh: UDP multicast ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TakMulticastConfig:
    """The SA mesh destination. ``interface`` is the local IPv4 address to send from (None:
    the system's choice); ``loop`` whether this host's own listeners hear it."""

    group: str = DEFAULT_MULTICAST_GROUP
    port: int = DEFAULT_MULTICAST_PORT
    ttl: int = 1
    protocol: TakProtocol = TakProtocol.XML
    interface: str | None = None
    loop: bool = True


class TakMulticastSender:
    """Sends events as mesh datagrams, one event each. Usable as a context manager."""

    def __init__(self, config: TakMulticastConfig) -> None:
        if not 0 <= config.ttl <= 255:
            raise ValueError(f"multicast TTL {config.ttl} outside 0..255")
        self._config = config
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        self._socket.setblocking(False)
        self._socket.setsockopt(
            socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("B", config.ttl)
        )
        self._socket.setsockopt(
            socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, struct.pack("B", int(config.loop))
        )
        if config.interface is not None:
            self._socket.setsockopt(
                socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(config.interface)
            )
        self.sent = 0
        self.failed = 0
        """Datagrams not sent: too large, or the socket refused (buffer full, no route)."""

    def send(self, events: Sequence[CotEvent]) -> int:
        """Send each event as one datagram; returns how many went out."""
        sent = 0
        for event in events:
            data = encode(event, self._config.protocol, mesh=True)
            if len(data) > MAX_DATAGRAM_BYTES:
                self.failed += 1
                continue
            try:
                self._socket.sendto(data, (self._config.group, self._config.port))
            except OSError as exc:
                self.failed += 1
                log.warning("TAK multicast: %s", exc)
                continue
            sent += 1
        self.sent += sent
        return sent

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> TakMulticastSender:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
