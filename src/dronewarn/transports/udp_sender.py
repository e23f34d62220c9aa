"""ASTERIX data blocks out over UDP, unicast or IPv4 multicast.

ASTERIX over UDP carries whole data blocks in each datagram (EUROCONTROL-SPEC-0149 Part 1,
"General Message Structure": a datagram holds one or more data blocks, never part of one).
``dronewarn.formats.asterix.encode062.pack_datablocks`` makes blocks that fit one datagram each;
this module sends each block as its own datagram, in order.

Multicast: the destination is a group address (224.0.0.0/4); ``ttl`` bounds how many routers
the datagrams cross (1, the default, keeps them on the local link) and ``interface`` is the IPv4
address of the local interface to send from (None: the kernel's choice by its routing table).
``loop`` decides whether other sockets on this host that joined the group receive them too.

A failed send (no route, interface down) is counted, not raised: a surveillance feed keeps
going and the next cycle tries again. ``UdpOutStats`` tells how many went and how many failed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from dronewarn.domain.errors import ConfigError


@dataclass(frozen=True, slots=True)
class UdpTarget:
    """Where the ASTERIX feed goes."""

    host: str
    """An IPv4 address (unicast or multicast group) or a host name resolving to one."""
    port: int
    ttl: int = 1
    """Multicast hops (unicast datagrams use the system's default TTL)."""
    interface: str | None = None
    """Multicast only: the IPv4 address of the interface to send from."""
    loop: bool = False
    """Multicast only: deliver to group members on this host as well."""
    bind_host: str = ""
    """Local address to send from ("" any)."""

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"UDP port {self.port} is not in 1..65535")
        if not 0 <= self.ttl <= 255:
            raise ConfigError(f"multicast TTL {self.ttl} is not in 0..255")
        if self.interface is not None:
            try:
                ipaddress.IPv4Address(self.interface)
            except ValueError as exc:
                raise ConfigError(
                    f"multicast interface {self.interface!r} is not an IPv4 address"
                ) from exc


@dataclass(slots=True)
class UdpOutStats:
    datagrams: int = 0
    bytes: int = 0
    failures: int = 0
    last_error: str = ""


class AsterixUdpSender:
    """A UDP socket that sends ASTERIX data blocks to one target. Use as a context manager,
    or call ``close``."""

    def __init__(self, target: UdpTarget) -> None:
        self.target = target
        self.stats = UdpOutStats()
        try:
            infos = socket.getaddrinfo(target.host, target.port, socket.AF_INET, socket.SOCK_DGRAM)
        except socket.gaierror as exc:
            raise ConfigError(f"cannot resolve {target.host!r}: {exc}") from exc
        sockaddr = infos[0][4]
        self.address = (str(sockaddr[0]), int(sockaddr[1]))
        self.multicast = ipaddress.IPv4Address(self.address[0]).is_multicast
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if self.multicast:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, target.ttl)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, int(target.loop))
                if target.interface is not None:
                    sock.setsockopt(
                        socket.IPPROTO_IP,
                        socket.IP_MULTICAST_IF,
                        socket.inet_aton(target.interface),
                    )
            if target.bind_host:
                sock.bind((target.bind_host, 0))
        except OSError as exc:
            sock.close()
            raise ConfigError(f"cannot set up the UDP socket for {target}: {exc}") from exc
        self._sock = sock

    def send(self, blocks: Iterable[bytes]) -> int:
        """Send each data block as one datagram; returns how many went."""
        sent = 0
        for block in blocks:
            try:
                self._sock.sendto(block, self.address)
            except OSError as exc:
                self.stats.failures += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                continue
            sent += 1
            self.stats.datagrams += 1
            self.stats.bytes += len(block)
        return sent

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> AsterixUdpSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
