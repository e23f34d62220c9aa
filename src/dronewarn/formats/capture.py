"""Recorded sensor traffic: UDP payloads out of pcap/pcapng captures, data blocks out of raw files.

Formats (told apart by their first four octets):

* pcap (libpcap "savefile", https://www.tcpdump.org/manpages/pcap-savefile.5.html): a 24-octet
  file header (magic a1b2c3d4 or a1b23c4d for nanosecond timestamps, either byte order; link
  type), then per packet a 16-octet record header (seconds, micro- or nanoseconds, captured
  length, original length) and the captured octets. Read with dpkt's header classes.
* pcapng (IETF draft-ietf-opsawg-pcapng): blocks; packets are Enhanced (or obsolete) Packet
  Blocks with timestamps in the interface's resolution. Read with ``dpkt.pcapng.Reader``, which
  takes the link type and resolution of the first interface for every packet.
* anything else: a raw ASTERIX recording, data blocks back to back (``.ast``, ``.raw``), with no
  timestamps; each data block is one payload. Recorders' framings are recognised from the
  first 64 KiB (``formats.asterix.wrapping``): ARTAS replay files (8 octets before each
  block), length-and-time headers (6 before), trailers after each block.

Link layers: Ethernet (with VLAN tags), Linux cooked capture v1 and v2, raw IP, BSD loopback.
Network: IPv4 (fragments are refused: UnsupportedError) and IPv6 (extension headers skipped);
UDP payloads only, optionally only to or from given ports. Packets of other protocols are
skipped silently.

A file that ends inside a header or a packet, or whose headers are corrupt, raises a typed
DecodeError (TruncatedError, FieldValueError, UnsupportedError) after the payloads before it;
a single packet that cannot be read raises too, unless an ``errors`` list is given, which then
collects it and reading goes on. Nothing raised by dpkt escapes.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

import dpkt

from dronewarn.domain.errors import (
    DecodeError,
    FieldValueError,
    TruncatedError,
    UnsupportedError,
)
from dronewarn.formats.asterix.wrapping import PLAIN, detect_wrapping

_PCAP_MAGICS = MappingProxyType(
    {
        bytes.fromhex("a1b2c3d4"): (">", False),
        bytes.fromhex("d4c3b2a1"): ("<", False),
        bytes.fromhex("a1b23c4d"): (">", True),
        bytes.fromhex("4d3cb2a1"): ("<", True),
    }
)
_PCAPNG_MAGIC = bytes.fromhex("0a0d0d0a")
RAW_SAMPLE_OCTETS = 1 << 16
"""The start of a raw recording that tells how its recorder framed the blocks."""
_MAX_CAPLEN = 1 << 18
"""No link layer dronewarn reads has frames over 256 KiB; a larger captured length is corrupt."""

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
_RAW_LINKTYPES = frozenset({LINKTYPE_RAW, 12, 14})
"""Raw IP has had several numbers (DLT_RAW is 12 or 14 on some systems)."""
_LINKTYPES = frozenset(
    {LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2}
    | _RAW_LINKTYPES
)


@dataclass(frozen=True, slots=True)
class CapturedPayload:
    """One UDP payload of a capture (or one data block of a raw recording)."""

    timestamp_s: float | None
    """Capture time (POSIX s); None for a raw recording, which has none."""
    payload: bytes
    index: int
    """Packet number in the capture (from 0), or octet offset in a raw recording."""
    source: str
    """``name#index`` for a capture, ``name@offset`` for a raw recording."""


def is_capture(head: bytes) -> bool:
    """Whether a file starting with ``head`` is a pcap or pcapng capture (not raw blocks)."""
    return head[:4] in _PCAP_MAGICS or head[:4] == _PCAPNG_MAGIC


def read_capture(
    path: str | Path,
    *,
    ports: Collection[int] | None = None,
    errors: list[DecodeError] | None = None,
) -> Iterator[CapturedPayload]:
    """The payloads of a capture or raw recording file (see the module docstring)."""
    path = Path(path)
    with path.open("rb") as stream:
        yield from iter_capture(stream, name=path.name, ports=ports, errors=errors)


def iter_capture(
    stream: IO[bytes] | bytes,
    *,
    name: str = "capture",
    ports: Collection[int] | None = None,
    errors: list[DecodeError] | None = None,
) -> Iterator[CapturedPayload]:
    """The payloads of a capture or raw recording given as a binary stream or bytes."""
    if isinstance(stream, bytes | bytearray | memoryview):
        stream = io.BytesIO(bytes(stream))
    head = stream.read(4)
    if head in _PCAP_MAGICS:
        yield from _pcap(stream, head, name, ports, errors)
    elif head == _PCAPNG_MAGIC:
        yield from _pcapng(stream, head, name, ports, errors)
    else:
        yield from _raw(stream, head, name)


def _raw(stream: IO[bytes], head: bytes, name: str) -> Iterator[CapturedPayload]:
    sample = head + stream.read(RAW_SAMPLE_OCTETS - len(head))
    longer = len(sample) == RAW_SAMPLE_OCTETS  # the file goes on past the sample
    wrapping = detect_wrapping(sample, sample=longer) or PLAIN
    offset = 0
    carry = sample

    def take(count: int) -> bytes:
        nonlocal carry
        got, carry = carry[:count], carry[count:]
        if len(got) < count:
            got += stream.read(count - len(got))
        return got

    while True:
        if wrapping.before:
            before = take(wrapping.before)
            if not before:
                return
            if len(before) < wrapping.before:
                raise TruncatedError(
                    f"{name}: file ends inside the recorder's {wrapping.before}-octet header "
                    "of a data block",
                    data=before,
                    offset=offset,
                    field="header",
                )
            offset += wrapping.before
        header = take(3)
        if not header:
            return
        if len(header) < 3:
            raise TruncatedError(
                f"{name}: file ends {len(header)} octet(s) into a data block header",
                data=header,
                offset=offset,
                field="LEN",
            )
        length = (header[1] << 8) | header[2]
        if length < 3:
            raise FieldValueError(
                f"{name}: data block LEN {length} is below 3",
                data=header,
                offset=offset,
                field="LEN",
            )
        body = take(length - 3)
        if len(body) < length - 3:
            raise TruncatedError(
                f"{name}: file ends inside a data block of LEN {length}",
                data=header + body,
                offset=offset,
                field="LEN",
            )
        yield CapturedPayload(None, header + body, offset, f"{name}@{offset}")
        offset += length
        if wrapping.after:
            offset += len(take(wrapping.after))


def _pcap(
    stream: IO[bytes],
    magic: bytes,
    name: str,
    ports: Collection[int] | None,
    errors: list[DecodeError] | None,
) -> Iterator[CapturedPayload]:
    order, nano = _PCAP_MAGICS[magic]
    rest = stream.read(20)
    if len(rest) < 20:
        raise TruncatedError(
            f"{name}: pcap file header is {4 + len(rest)} octets, not 24",
            data=magic + rest,
            offset=0,
            field="pcap header",
        )
    linktype = struct.unpack(order + "I", rest[16:20])[0] & 0x0FFFFFFF
    _check_linktype(linktype, name, magic + rest)
    header_class: Any = dpkt.pcap.LEPktHdr if order == "<" else dpkt.pcap.PktHdr
    divisor = 1e9 if nano else 1e6
    offset = 24
    index = 0
    while True:
        raw_header = stream.read(16)
        if not raw_header:
            return
        if len(raw_header) < 16:
            raise TruncatedError(
                f"{name}: file ends inside the header of packet {index}",
                data=raw_header,
                offset=offset,
                field="pcap packet header",
            )
        try:
            header = header_class(raw_header)
            seconds = int(header.tv_sec)
            fraction = int(header.tv_usec)
            caplen = int(header.caplen)
        except Exception as exc:  # dpkt boundary
            raise FieldValueError(
                f"{name}: packet {index} header unreadable: {exc!r}",
                data=raw_header,
                offset=offset,
                field="pcap packet header",
            ) from exc
        if caplen > _MAX_CAPLEN:
            raise FieldValueError(
                f"{name}: packet {index} claims {caplen} captured octets",
                data=raw_header,
                offset=offset,
                field="caplen",
            )
        frame = stream.read(caplen)
        if len(frame) < caplen:
            raise TruncatedError(
                f"{name}: file ends inside packet {index} ({len(frame)} of {caplen} octets)",
                data=raw_header + frame,
                offset=offset,
                field="pcap packet",
            )
        timestamp = seconds + fraction / divisor
        payload = _udp_payload(frame, linktype, name, index, offset + 16, ports, errors)
        if payload is not None:
            yield CapturedPayload(timestamp, payload, index, f"{name}#{index}")
        offset += 16 + caplen
        index += 1


def _pcapng(
    stream: IO[bytes],
    magic: bytes,
    name: str,
    ports: Collection[int] | None,
    errors: list[DecodeError] | None,
) -> Iterator[CapturedPayload]:
    data = magic + stream.read()
    _check_pcapng_blocks(data, name)
    try:
        reader = dpkt.pcapng.Reader(io.BytesIO(data))
        linktype = int(reader.datalink())
        packets = list(reader)
    except Exception as exc:  # dpkt boundary: structure was checked, contents may not be
        raise FieldValueError(
            f"{name}: pcapng unreadable: {exc!r}", data=data[:64], offset=0, field="pcapng"
        ) from exc
    _check_linktype(linktype, name, data[:64])
    for index, (timestamp, frame) in enumerate(packets):
        payload = _udp_payload(bytes(frame), linktype, name, index, None, ports, errors)
        if payload is not None:
            yield CapturedPayload(float(timestamp), payload, index, f"{name}#{index}")


def _check_pcapng_blocks(data: bytes, name: str) -> None:
    """Every block's length fits the file and is a multiple of 4 of at least 12 octets
    (dpkt reads whatever a corrupt length says)."""
    offset = 0
    order = "<"
    while offset < len(data):
        if len(data) - offset < 12:
            raise TruncatedError(
                f"{name}: file ends inside a pcapng block header",
                data=data[offset:],
                offset=offset,
                field="pcapng block",
            )
        block_type = data[offset : offset + 4]
        if block_type == _PCAPNG_MAGIC:
            magic = data[offset + 8 : offset + 12]
            if magic == b"\x4d\x3c\x2b\x1a":
                order = "<"
            elif magic == b"\x1a\x2b\x3c\x4d":
                order = ">"
            else:
                raise FieldValueError(
                    f"{name}: pcapng section with byte-order magic {magic.hex()}",
                    data=data[offset : offset + 12],
                    offset=offset,
                    field="pcapng byte order",
                )
        length = struct.unpack(order + "I", data[offset + 4 : offset + 8])[0]
        if length < 12 or length % 4:
            raise FieldValueError(
                f"{name}: pcapng block length {length}",
                data=data[offset : offset + 12],
                offset=offset,
                field="pcapng block length",
            )
        if offset + length > len(data):
            raise TruncatedError(
                f"{name}: file ends inside a pcapng block of {length} octets",
                data=data[offset : offset + 64],
                offset=offset,
                field="pcapng block",
            )
        trailer = struct.unpack(order + "I", data[offset + length - 4 : offset + length])[0]
        if trailer != length:
            raise FieldValueError(
                f"{name}: pcapng block lengths differ ({length}, {trailer})",
                data=data[offset : offset + 12],
                offset=offset,
                field="pcapng block length",
            )
        offset += length


def _check_linktype(linktype: int, name: str, header: bytes) -> None:
    if linktype not in _LINKTYPES:
        raise UnsupportedError(
            f"{name}: link type {linktype} is not read (reads Ethernet, Linux cooked, raw IP, "
            f"loopback)",
            data=header,
            offset=0,
            field="linktype",
        )


def _network_layer(frame: bytes, linktype: int) -> Any:
    if linktype == LINKTYPE_ETHERNET:
        return dpkt.ethernet.Ethernet(frame).data
    if linktype == LINKTYPE_LINUX_SLL:
        return dpkt.sll.SLL(frame).data
    if linktype == LINKTYPE_LINUX_SLL2:
        return dpkt.sll2.SLL2(frame).data
    if linktype in _RAW_LINKTYPES:
        if frame and frame[0] >> 4 == 6:
            return dpkt.ip6.IP6(frame)
        return dpkt.ip.IP(frame)
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        return dpkt.loopback.Loopback(frame).data
    raise UnsupportedError(f"link type {linktype} is not read", field="linktype")


def _udp_payload(
    frame: bytes,
    linktype: int,
    name: str,
    index: int,
    offset: int | None,
    ports: Collection[int] | None,
    errors: list[DecodeError] | None,
) -> bytes | None:
    try:
        return _udp_of(frame, linktype, ports)
    except DecodeError as error:
        error.offset = offset
        error.data = frame
        error.args = (f"{name}: packet {index}: {error}",)
        if errors is None:
            raise
        errors.append(error)
    except Exception as exc:  # dpkt boundary
        failure = TruncatedError if isinstance(exc, dpkt.NeedData) else FieldValueError
        unreadable = failure(
            f"{name}: packet {index} unreadable: {exc!r}", data=frame, offset=offset, field="frame"
        )
        if errors is None:
            raise unreadable from exc
        errors.append(unreadable)
    return None


def _udp_of(frame: bytes, linktype: int, ports: Collection[int] | None) -> bytes | None:
    network = _network_layer(frame, linktype)
    if isinstance(network, dpkt.ip.IP):
        if network.p != dpkt.ip.IP_PROTO_UDP:
            return None
        if network.mf or network.offset:
            raise UnsupportedError("IPv4 fragment (not reassembled)", field="IP fragment")
    elif isinstance(network, dpkt.ip6.IP6):
        if network.p != dpkt.ip.IP_PROTO_UDP:
            return None
    else:
        return None
    udp = network.data
    if not isinstance(udp, dpkt.udp.UDP):
        raise TruncatedError("UDP header cut short", field="UDP")
    if ports is not None and udp.sport not in ports and udp.dport not in ports:
        return None
    payload = bytes(udp.data)
    declared = int(udp.ulen) - 8
    if declared < 0:
        raise FieldValueError(f"UDP length {udp.ulen} below 8", field="UDP length")
    if len(payload) < declared:
        raise TruncatedError(
            f"UDP payload captured {len(payload)} of {declared} octets", field="UDP"
        )
    return payload[:declared]
