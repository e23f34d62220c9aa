"""The TAK feed with real clients on 127.0.0.1: pytak over mutual TLS (certificates made by
dronewarn's own provisioning), refused without a trusted certificate, TAK protocol 1 over
TCP with the drop-oldest queue, and the mesh sender."""

from __future__ import annotations

import asyncio
import io
import socket
import ssl
from collections.abc import Awaitable, Callable
from configparser import ConfigParser, SectionProxy
from pathlib import Path
from typing import Any, TypeVar

import pytak
import pytest
import takproto
from takproto import delimited_protobuf
from takproto.proto import TakMessage

from dronewarn.formats.cot.event import CotEvent, TakProtocol
from dronewarn.outputs.tak_feed import (
    TakFeed,
    TakFeedConfig,
    TakMulticastConfig,
    TakMulticastSender,
)
from dronewarn.share.provisioning import provision
from dronewarn.transports.tls import TlsIdentity, make_certificate, server_context

T = TypeVar("T")
NOW_S = 1_714_564_800.0
SAFETY_S = 10.0
"""Only so that a broken feed fails the test instead of hanging it; nothing is timed."""


def event(uid: str) -> CotEvent:
    return CotEvent(
        uid=uid,
        type="a-h-A-M-F-Q",
        how="m-f",
        time_s=NOW_S,
        start_s=NOW_S,
        stale_s=NOW_S + 30.0,
        lat_deg=52.1,
        lon_deg=23.4,
        hae_m=250.0,
        ce_m=30.0,
        le_m=15.0,
        course_deg=270.0,
        speed_mps=45.0,
        callsign=f"SHAHED {uid}",
        remarks="test",
    )


async def bounded(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, SAFETY_S)


async def until(condition: Callable[[], bool]) -> None:
    """Yield to the event loop until ``condition`` holds (bounded by SAFETY_S)."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await bounded(poll())


class Pki:
    """The feed's node identity from ``provision``; client certificates from ``tls``."""

    def __init__(self, folder: Path) -> None:
        _, self.feed = provision(folder / "home", "pl-tak-feed")
        self.atak = make_certificate("atak-1", folder / "atak")
        self.rogue = make_certificate("rogue", folder / "rogue")

    def server(self) -> ssl.SSLContext:
        return server_context(self.feed, [self.atak.cert_path])

    def pytak_config(self, port: int, client: TlsIdentity) -> SectionProxy:
        """pytak's TLS settings (pytak.client_functions.get_ssl_ctx reads these keys)."""
        parser = ConfigParser()
        parser["dronewarn-test"] = {
            "COT_URL": f"tls://127.0.0.1:{port}",
            "PYTAK_TLS_CLIENT_CERT": str(client.cert_path),
            "PYTAK_TLS_CLIENT_KEY": str(client.key_path),
            "PYTAK_TLS_CLIENT_CAFILE": str(self.feed.cert_path),
        }
        return parser["dronewarn-test"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("tak-pki"))


async def pytak_read(config: SectionProxy, reader: Any, count: int) -> list[Any]:
    """``count`` events through pytak's own RXWorker, parsed by takproto."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    worker = pytak.RXWorker(queue, config, reader)
    events = []
    for _ in range(count):
        await bounded(worker.run_once())
        data = queue.get_nowait()
        events.append(takproto.parse_proto(bytearray(data)).cotEvent)
    return events


def test_pytak_client_over_mutual_tls(pki: Pki) -> None:
    received: list[tuple[str, bytes]] = []

    async def scenario() -> None:
        feed = TakFeed(
            TakFeedConfig(tcp_port=None, tls_port=0),
            tls_context=pki.server(),
            on_receive=lambda client, data: received.append((client, data)),
        )
        await feed.start()
        assert feed.tls_port is not None
        try:
            feed.publish([event("T1"), event("T2")])  # before the client: sent on connect
            config = pki.pytak_config(feed.tls_port, pki.atak)
            reader, writer = await bounded(pytak.protocol_factory(config))
            first = await pytak_read(config, reader, 2)
            assert [cot.uid for cot in first] == ["T1", "T2"]
            assert first[0].type == "a-h-A-M-F-Q"
            assert first[0].lat == 52.1
            assert first[0].detail.track.speed == 45.0
            assert first[0].detail.contact.callsign == "SHAHED T1"

            # two-way: what the client sends reaches the callback
            sender = pytak.TXWorker(asyncio.Queue(), config, writer)
            await bounded(sender.send_data(pytak.hello_event("atak-1-uid")))
            await until(lambda: b"</event>" in b"".join(data for _, data in received))
            hello = b"".join(data for _, data in received)
            assert takproto.parse_proto(bytearray(hello)).cotEvent.uid == "atak-1-uid"

            # a later publish reaches the connected client, and so does an answer to it alone
            feed.publish([event("T3")])
            assert feed.send_to(received[0][0], [event("answer")])
            assert not feed.send_to("tak-nobody", [event("lost")])
            later = await pytak_read(config, reader, 2)
            assert [cot.uid for cot in later] == ["T3", "answer"]
            (stats,) = feed.clients
            assert stats.tls
            assert "commonName=atak-1" in stats.certificate_subject
            assert stats.client_id == received[0][0]
            assert stats.sent == 4
            assert stats.received_bytes == len(hello)

            writer.close()
            await until(lambda: not feed.clients)  # a client that leaves is dropped
            feed.publish([event("T4")])
        finally:
            await bounded(feed.stop())

    asyncio.run(scenario())


async def refused(reader: asyncio.StreamReader) -> bool:
    """The server ended the connection without sending a byte."""
    try:
        data = await bounded(reader.read(1024))
    except (ssl.SSLError, ConnectionResetError):
        return True
    return data == b""


def test_clients_without_a_trusted_certificate_are_refused(pki: Pki) -> None:
    received: list[bytes] = []

    async def scenario() -> None:
        feed = TakFeed(
            TakFeedConfig(tcp_port=None, tls_port=0),
            tls_context=pki.server(),
            on_receive=lambda _, data: received.append(data),
        )
        await feed.start()
        assert feed.tls_port is not None
        try:
            feed.publish([event("secret")])
            # pytak with a certificate the feed does not trust
            config = pki.pytak_config(feed.tls_port, pki.rogue)
            reader, writer = await bounded(pytak.protocol_factory(config))
            writer.write(pytak.hello_event("rogue"))
            queue: asyncio.Queue[bytes] = asyncio.Queue()
            assert await bounded(pytak.RXWorker(queue, config, reader).readcot()) is None
            assert queue.empty()
            # and a TLS client with no certificate at all
            context = ssl.create_default_context(cafile=str(pki.feed.cert_path))
            bare_reader, bare_writer = await bounded(
                asyncio.open_connection("127.0.0.1", feed.tls_port, ssl=context)
            )
            bare_writer.write(b"<event/>")
            assert await refused(bare_reader)
            for stream in (writer, bare_writer):
                stream.close()
            # the trusted client still gets in afterwards, and is the only one
            good = pki.pytak_config(feed.tls_port, pki.atak)
            good_reader, good_writer = await bounded(pytak.protocol_factory(good))
            (cot,) = await pytak_read(good, good_reader, 1)
            assert cot.uid == "secret"
            assert len(feed.clients) == 1
            assert received == []
            good_writer.close()
        finally:
            await bounded(feed.stop())

    asyncio.run(scenario())


def read_stream_messages(data: bytes) -> list[Any]:
    """Protocol 1 stream messages split with takproto's own length-delimited reader."""
    stream = io.BytesIO(data)
    messages = []
    while magic := stream.read(1):
        assert magic == b"\xbf"
        messages.append(delimited_protobuf.read(stream, TakMessage).cotEvent)
    return messages


def test_protocol1_over_tcp_drops_oldest_when_full() -> None:
    received: list[bytes] = []

    def explode(_: str, data: bytes) -> None:
        received.append(data)
        raise RuntimeError("a broken consumer must not drop the client")

    async def scenario() -> None:
        feed = TakFeed(
            TakFeedConfig(tcp_port=0, tls_port=None, protocol=TakProtocol.PROTOBUF, queue_limit=3),
            on_receive=explode,
        )
        await feed.start()
        assert feed.tcp_port is not None
        try:
            reader, writer = await bounded(asyncio.open_connection("127.0.0.1", feed.tcp_port))
            writer.write(b"ping")
            await until(lambda: feed.callback_errors == 1)
            # ten events at once: the queue holds three, the seven oldest are dropped
            feed.publish([event(f"E{index}") for index in range(10)])
            (stats,) = feed.clients
            assert (stats.dropped, feed.dropped) == (7, 7)
            data = b""
            while len(read_stream_messages_safe(data)) < 3:
                data += await bounded(reader.read(4096))
            assert [cot.uid for cot in read_stream_messages(data)] == ["E7", "E8", "E9"]
            assert received == [b"ping"]
            writer.close()
        finally:
            await bounded(feed.stop())

    asyncio.run(scenario())


def read_stream_messages_safe(data: bytes) -> list[Any]:
    """As many whole messages as ``data`` holds so far."""
    try:
        return read_stream_messages(data)
    except Exception:
        return []


def test_feed_needs_a_context_for_tls() -> None:
    with pytest.raises(ValueError, match="SSLContext"):
        TakFeed(TakFeedConfig(tcp_port=None, tls_port=0))


@pytest.mark.parametrize("protocol", [TakProtocol.XML, TakProtocol.PROTOBUF])
def test_mesh_datagrams(protocol: TakProtocol) -> None:
    # a unicast loopback address stands in for the multicast group: no traffic leaves
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(SAFETY_S)
        port = listener.getsockname()[1]
        config = TakMulticastConfig(group="127.0.0.1", port=port, ttl=3, protocol=protocol)
        with TakMulticastSender(config) as sender:
            assert sender.send([event("M1"), event("M2")]) == 2
            datagrams = [listener.recv(65_536) for _ in range(2)]
    assert sender.sent == 2
    if protocol is TakProtocol.PROTOBUF:
        assert all(datagram[:3] == b"\xbf\x01\xbf" for datagram in datagrams)
        uids = [takproto.parse_mesh(datagram).cotEvent.uid for datagram in datagrams]
    else:
        assert all(datagram.startswith(b"<?xml") for datagram in datagrams)
        uids = [takproto.parse_proto(bytearray(datagram)).cotEvent.uid for datagram in datagrams]
    assert uids == ["M1", "M2"]


def test_multicast_defaults_and_ttl() -> None:
    config = TakMulticastConfig()
    assert (config.group, config.port, config.ttl) == ("239.2.3.1", 6969, 1)
    with pytest.raises(ValueError, match="TTL"):
        TakMulticastSender(TakMulticastConfig(ttl=256))
