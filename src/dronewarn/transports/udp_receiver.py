"""Live ASTERIX over UDP: unicast or IPv4 multicast reception with asyncio.

Radars and trackers send ASTERIX data blocks in UDP datagrams (one or more blocks per datagram,
EUROCONTROL ASTERIX Part 1 section 4), usually to a multicast group on the surveillance LAN.
``open_receiver`` binds a socket (joining the group on the given interface address for
multicast, RFC 1112 IP_ADD_MEMBERSHIP) and hands every datagram to a callback as
``(receive_time_s, payload, peer)``; the receive time is the reference ``decode_datablocks``
needs to date ASTERIX times of day. Decoding is the callback's business: this module never
interprets the bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from dronewarn.domain.errors import ConfigError

DatagramHandler = Callable[[float, bytes, tuple[str, int]], None]
"""(receive_time_s, payload, (peer host, peer port))."""

RECEIVE_BUFFER_OCTETS = 4 * 1024 * 1024
"""Socket receive buffer asked for: a radar burst must not be dropped by the kernel while the
event loop is busy (the kernel may grant less)."""


@dataclass(frozen=True, slots=True)
class UdpEndpoint:
    """Where to listen: ``port`` on ``bind_host``; with ``group``, also join that IPv4
    multicast group on the interface whose address is ``interface``."""

    port: int
    bind_host: str = "0.0.0.0"
    group: str | None = None
    interface: str = "0.0.0.0"

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"UDP port {self.port} outside 0-65535")
        try:
            bind = ipaddress.ip_address(self.bind_host)
            ipaddress.IPv4Address(self.interface)
            if self.group is not None and not ipaddress.IPv4Address(self.group).is_multicast:
                raise ConfigError(f"{self.group} is not an IPv4 multicast group")
        except ValueError as exc:
            raise ConfigError(f"UDP endpoint: {exc}") from exc
        if self.group is not None and bind.version != 4:
            raise ConfigError("multicast reception is IPv4 only")


class AsterixDatagramProtocol(asyncio.DatagramProtocol):
    """Hands each datagram, stamped with the wall clock at reception, to ``handler``.

    An exception from the handler is counted in ``handler_failures`` and never closes the
    socket (one bad datagram must not stop a radar feed).
    """

    def __init__(self, handler: DatagramHandler, clock: Callable[[], float] = time.time) -> None:
        self._handler = handler
        self._clock = clock
        self.datagrams = 0
        self.handler_failures = 0
        self.last_error: BaseException | None = None
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        received_s = self._clock()
        self.datagrams += 1
        try:
            self._handler(received_s, data, (str(addr[0]), int(addr[1])))
        except Exception as exc:  # the feed outlives a failing consumer
            self.handler_failures += 1
            self.last_error = exc

    def error_received(self, exc: Exception) -> None:
        self.last_error = exc


def _socket(endpoint: UdpEndpoint) -> socket.socket:
    family = socket.AF_INET6 if ":" in endpoint.bind_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # the kernel's limit stands
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_OCTETS)
        if endpoint.group is not None:
            # bind the group address: only the group's datagrams reach this socket
            sock.bind((endpoint.group, endpoint.port))
            membership = struct.pack(
                "4s4s",
                socket.inet_aton(endpoint.group),
                socket.inet_aton(endpoint.interface),
            )
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        else:
            sock.bind((endpoint.bind_host, endpoint.port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def open_receiver(
    endpoint: UdpEndpoint,
    handler: DatagramHandler,
    *,
    clock: Callable[[], float] = time.time,
) -> tuple[asyncio.DatagramTransport, AsterixDatagramProtocol]:
    """Start receiving on ``endpoint``; close the returned transport to stop.

    OSError if the address cannot be bound or the group joined.
    """
    loop = asyncio.get_running_loop()
    sock = _socket(endpoint)
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: AsterixDatagramProtocol(handler, clock), sock=sock
    )
    return transport, protocol


def bound_port(transport: asyncio.DatagramTransport) -> int:
    """The local port of a receiver (useful after binding port 0)."""
    name = transport.get_extra_info("sockname")
    return int(name[1])
