"""The newest-payload TCP sender: a picture offered before the connection is the one sent,
an older one is dropped, and it calls again after the server went away."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from dronewarn.transports.backoff import Backoff
from dronewarn.transports.latest_sender import LatestSender


async def _until(condition: Callable[[], object], what: str, timeout_s: float = 10.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(poll(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"no {what} within {timeout_s} s") from None


def test_only_the_newest_payload_goes_and_it_reconnects() -> None:
    async def scenario() -> None:
        received: list[bytes] = []

        writers: list[asyncio.StreamWriter] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.append(writer)
            while data := await reader.read(65_536):
                received.append(data)
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        sender = LatestSender("127.0.0.1", port, backoff=Backoff(0.01, 0.05))
        sender.offer(b"old\n")
        sender.offer(b"new\n")  # replaces the one not yet sent
        task = asyncio.create_task(sender.run())
        await _until(lambda: b"".join(received) == b"new\n", "first picture")
        assert sender.connected and sender.sent == 1

        server.close()
        for writer in writers:  # the server goes away with the connection
            writer.transport.abort()
        await server.wait_closed()

        async def cut() -> None:
            while sender.connected:
                sender.offer(b"into the void\n")  # a write to a reset socket fails, later
                await asyncio.sleep(0.02)

        await asyncio.wait_for(cut(), 10.0)
        assert sender.error
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        await _until(lambda: sender.connected, "reconnection")
        sender.offer(b"again\n")
        await _until(lambda: b"again\n" in b"".join(received), "picture after reconnection")
        sender.close()
        await asyncio.wait_for(task, 5.0)
        server.close()
        await server.wait_closed()

    asyncio.run(scenario())
