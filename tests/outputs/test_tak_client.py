"""The node as a client of a TAK server: CoT over TCP or over TLS with the centre's
certificates (the server's CA trusted, the node's client certificate presented), and a
reconnect after the server goes away."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

from dronewarn.formats.cot.event import CotEvent
from dronewarn.outputs.tak_client import TakClient, TakClientConfig
from dronewarn.transports.tls import make_certificate
from tests.formats.test_cot_tracks import out_event


def _event() -> CotEvent:
    return out_event()


async def _serve(context: ssl.SSLContext | None, got: asyncio.Queue[bytes]) -> asyncio.Server:
    async def take(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            await got.put(data)
        writer.close()

    return await asyncio.start_server(take, "127.0.0.1", 0, ssl=context)


def test_cot_reaches_a_tls_tak_server_with_the_centres_certificates(tmp_path: Path) -> None:
    server_id = make_certificate("tak-server", tmp_path / "server", ("127.0.0.1",))
    client_id = make_certificate("BY", tmp_path / "client")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(server_id.cert_path, server_id.key_path)
    server_context.verify_mode = ssl.CERT_REQUIRED  # the TAK server enrolled our certificate
    server_context.load_verify_locations(client_id.cert_path)
    client_context = ssl.create_default_context(cafile=str(server_id.cert_path))
    client_context.load_cert_chain(client_id.cert_path, client_id.key_path)

    async def scenario() -> bytes:
        got: asyncio.Queue[bytes] = asyncio.Queue()
        server = await _serve(server_context, got)
        port = server.sockets[0].getsockname()[1]
        client = TakClient(TakClientConfig("127.0.0.1", port), client_context)
        running = asyncio.ensure_future(client.run())
        client.publish([_event()])
        data = await asyncio.wait_for(got.get(), 10.0)
        assert client.stats.connected and client.stats.sent_events == 1
        await client.close()
        await asyncio.wait_for(running, 5.0)
        server.close()
        return data

    data = asyncio.run(scenario())
    assert b'uid="dronewarn.' in data and b"<event" in data


def test_a_tak_server_that_is_away_is_called_again(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, int]:
        got: asyncio.Queue[bytes] = asyncio.Queue()
        server = await _serve(None, got)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        config = TakClientConfig("127.0.0.1", port, backoff_initial_s=0.05, backoff_max_s=0.1)
        client = TakClient(config)
        running = asyncio.ensure_future(client.run())
        client.publish([_event()])  # queued while the server is away
        while client.stats.failures < 2:
            await asyncio.sleep(0.05)
        again = await asyncio.start_server(lambda r, w: _keep(r, got), "127.0.0.1", port)
        await asyncio.wait_for(got.get(), 10.0)
        await client.close()
        await asyncio.wait_for(running, 5.0)
        again.close()
        return client.stats.failures, client.stats.connects

    failures, connects = asyncio.run(scenario())
    assert failures >= 2 and connects == 1


async def _keep(reader: asyncio.StreamReader, got: asyncio.Queue[bytes]) -> None:
    while data := await reader.read(65536):
        await got.put(data)
