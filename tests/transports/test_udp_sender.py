"""ASTERIX over UDP: a loopback receiver gets every block as its own datagram."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from dronewarn.domain.errors import ConfigError
from dronewarn.formats.asterix.encode048 import RadarPlot, encode_plots
from dronewarn.transports.udp_sender import AsterixUdpSender, UdpTarget


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5.0)
    yield sock
    sock.close()


def _plots(n: int) -> list[RadarPlot]:
    return [RadarPlot(1, 2, 100.0 + i, 1_000.0 + i, i % 360) for i in range(n)]


def test_blocks_arrive_one_datagram_each_in_order(receiver: socket.socket) -> None:
    port = receiver.getsockname()[1]
    blocks = encode_plots(_plots(300), max_bytes=1400)
    assert len(blocks) > 1
    with AsterixUdpSender(UdpTarget("127.0.0.1", port)) as sender:
        assert not sender.multicast
        assert sender.send(blocks) == len(blocks)
        got = [receiver.recv(65_535) for _ in blocks]
        assert sender.stats.datagrams == len(blocks)
        assert sender.stats.bytes == sum(len(b) for b in blocks)
        assert sender.stats.failures == 0
    assert got == blocks
    assert all(len(d) <= 1400 for d in got)


def test_a_host_name_resolves(receiver: socket.socket) -> None:
    with AsterixUdpSender(UdpTarget("localhost", receiver.getsockname()[1])) as sender:
        assert sender.address[0].startswith("127.")
        sender.send([b"\x30\x00\x03"])
    assert receiver.recv(100) == b"\x30\x00\x03"


def test_a_datagram_the_kernel_refuses_is_counted_not_raised(receiver: socket.socket) -> None:
    with AsterixUdpSender(UdpTarget("127.0.0.1", receiver.getsockname()[1])) as sender:
        assert sender.send([b"x" * 70_000, b"\x30\x00\x03"]) == 1  # over the UDP maximum
        assert sender.stats.failures == 1 and "OSError" in sender.stats.last_error
    assert receiver.recv(100) == b"\x30\x00\x03"


def test_multicast_socket_options() -> None:
    """The options a multicast feed needs, read back from the socket (nothing is sent)."""
    target = UdpTarget("239.255.62.1", 8600, ttl=4, interface="127.0.0.1", loop=True)
    with AsterixUdpSender(target) as sender:
        assert sender.multicast
        sock = socket.socket(fileno=sender.fileno())
        try:
            assert sock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL) == 4
            assert sock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP) == 1
            interface = sock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4)
            assert socket.inet_ntoa(interface) == "127.0.0.1"
        finally:
            sock.detach()


@pytest.mark.parametrize(
    "target",
    [
        {"host": "127.0.0.1", "port": 0},
        {"host": "127.0.0.1", "port": 70_000},
        {"host": "239.1.1.1", "port": 8600, "ttl": 256},
        {"host": "239.1.1.1", "port": 8600, "interface": "eth0"},
    ],
)
def test_bad_targets_are_config_errors(target: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        UdpTarget(**target)  # type: ignore[arg-type]
