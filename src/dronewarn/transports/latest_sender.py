"""A TCP client that sends the newest payload only: a picture stream to one server.

``offer`` replaces what is waiting (a picture not yet sent when a newer one comes is never
sent: a picture is a state, not an event); ``run`` connects, sends, and reconnects with
``Backoff`` after any failure until ``close``. Format-blind: the caller frames the payload
(a GeoJSON text sequence record, for the GeoJSON stream output).
"""

from __future__ import annotations

import asyncio

from dronewarn.transports.backoff import Backoff

CONNECT_TIMEOUT_S = 10.0
SEND_TIMEOUT_S = 10.0


class LatestSender:
    def __init__(self, host: str, port: int, *, backoff: Backoff | None = None) -> None:
        self.host = host
        self.port = port
        self._backoff = backoff or Backoff(0.5, 30.0)
        self._latest: bytes | None = None
        self._wake = asyncio.Event()
        self._stop = False
        self.connected = False
        self.sent = 0
        self.error = ""

    def offer(self, data: bytes) -> None:
        """Send ``data`` next, in place of anything not yet sent."""
        self._latest = data
        self._wake.set()

    def close(self) -> None:
        self._stop = True
        self._wake.set()

    async def run(self) -> None:
        backoff = self._backoff
        while not self._stop:
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), CONNECT_TIMEOUT_S
                )
                self.connected, self.error = True, ""
                backoff.reset()
                while not self._stop:
                    await self._wake.wait()
                    self._wake.clear()
                    if self._latest is not None:
                        writer.write(self._latest)
                        self._latest = None
                        await asyncio.wait_for(writer.drain(), SEND_TIMEOUT_S)
                        self.sent += 1
                writer.close()
            except (OSError, ConnectionError, TimeoutError) as exc:
                self.error = f"{type(exc).__name__}: {exc}"
            self.connected = False
            if not self._stop:
                await backoff.wait(self._wake)  # close() wakes it at once
                self._wake.clear()
