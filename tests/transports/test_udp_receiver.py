"""Live ASTERIX reception over UDP on loopback: unicast, and multicast where the kernel allows it
on the loopback interface."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Sized
from typing import Any

import pytest

from dronewarn.domain.errors import ConfigError
from dronewarn.formats.asterix.decoder import DecodePlan, decode_datablocks
from dronewarn.formats.asterix.editions import Editions
from dronewarn.transports.udp_receiver import UdpEndpoint, bound_port, open_receiver

PLOT = bytes.fromhex(
    "300030fdf70219c9356d4da0c5aff1e0020005283c660c10c236d4182001c0780031bc0000400deb07b958"
    "2e410020f5"
)
SECTOR = bytes.fromhex("220010f6190e023a692b408840408000")
WAIT_S = 2.0
"""How long a test waits for loopback datagrams before it gives up (not a timing assertion:
delivery on loopback takes microseconds)."""

Received = tuple[float, bytes, tuple[str, int]]


async def _wait_for(received: Sized, count: int) -> None:
    async def until() -> None:
        while len(received) < count:
            await asyncio.sleep(0.005)

    await asyncio.wait_for(until(), WAIT_S)


def test_unicast_datagrams_reach_the_handler_with_receive_time_and_peer() -> None:
    received: list[Received] = []
    clock_values = iter([1000.0, 1001.0, 1002.0])

    async def scenario() -> int:
        transport, protocol = await open_receiver(
            UdpEndpoint(port=0, bind_host="127.0.0.1"),
            lambda t, data, peer: received.append((t, data, peer)),
            clock=lambda: next(clock_values),
        )
        try:
            port = bound_port(transport)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.bind(("127.0.0.1", 0))
                sender.sendto(PLOT, ("127.0.0.1", port))
                sender.sendto(PLOT + SECTOR, ("127.0.0.1", port))
                await _wait_for(received, 2)
                assert protocol.datagrams == 2
                return int(sender.getsockname()[1])
        finally:
            transport.close()

    sender_port = asyncio.run(scenario())
    assert [(t, data) for t, data, _ in received] == [(1000.0, PLOT), (1001.0, PLOT + SECTOR)]
    assert all(peer == ("127.0.0.1", sender_port) for _, _, peer in received)
    plan = DecodePlan.for_editions(Editions())
    batch = decode_datablocks(received[1][1], plan, reference_s=received[1][0])
    assert len(batch.cat048) == 1 and len(batch.cat034) == 1 and batch.errors == ()


def test_a_failing_handler_does_not_stop_the_feed() -> None:
    seen: list[bytes] = []

    def handler(_: float, data: bytes, __: tuple[str, int]) -> None:
        seen.append(data)
        if data == b"bad":
            raise ValueError("consumer bug")

    async def scenario() -> tuple[int, str]:
        transport, protocol = await open_receiver(
            UdpEndpoint(port=0, bind_host="127.0.0.1"), handler
        )
        try:
            port = bound_port(transport)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(b"bad", ("127.0.0.1", port))
                sender.sendto(PLOT, ("127.0.0.1", port))
                await _wait_for(seen, 2)
            return protocol.handler_failures, repr(protocol.last_error)
        finally:
            transport.close()

    failures, last = asyncio.run(scenario())
    assert seen == [b"bad", PLOT]
    assert failures == 1 and "consumer bug" in last


def test_multicast_group_on_loopback() -> None:
    group = "239.255.77.48"
    received: list[Received] = []

    async def scenario() -> bool:
        try:
            transport, _ = await open_receiver(
                UdpEndpoint(port=0, group=group, interface="127.0.0.1"),
                lambda t, data, peer: received.append((t, data, peer)),
            )
        except OSError as exc:
            pytest.skip(f"this kernel refuses joining {group} on 127.0.0.1: {exc}")
        try:
            port = bound_port(transport)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.setsockopt(
                    socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1")
                )
                sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
                sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))
                try:
                    sender.sendto(PLOT, (group, port))
                except OSError as exc:
                    pytest.skip(f"this kernel cannot send to {group} via loopback: {exc}")
                try:
                    await _wait_for(received, 1)
                except TimeoutError:
                    return False
                return True
        finally:
            transport.close()

    if not asyncio.run(scenario()):
        pytest.skip(
            f"joined {group} on 127.0.0.1 but the kernel did not loop the datagram back "
            "(loopback without the MULTICAST flag)"
        )
    ((_, data, peer),) = received
    assert data == PLOT and peer[0] == "127.0.0.1"


def test_endpoint_configuration_is_checked() -> None:
    bad: list[dict[str, Any]] = [
        {"port": 70000},
        {"port": 8600, "group": "10.1.1.1"},
        {"port": 8600, "bind_host": "not-an-address"},
        {"port": 8600, "group": "239.1.1.1", "interface": "eth0"},
        {"port": 8600, "bind_host": "::1", "group": "239.1.1.1"},
    ]
    for fields in bad:
        with pytest.raises(ConfigError):
            UdpEndpoint(**fields)
    assert UdpEndpoint(port=8600, group="239.1.1.1", interface="10.0.0.5").group == "239.1.1.1"
