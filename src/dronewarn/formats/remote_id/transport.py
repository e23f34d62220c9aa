"""Open Drone ID broadcasts as receivers hear them: Wi-Fi NAN, Wi-Fi beacon, Bluetooth 4 and 5.

Spec: ASTM F3411-22a section 5.4.6 (transports); the identifiers are fixed there:

* Bluetooth (legacy and long-range extended advertising): an AD structure of type 0x16
  (Service Data, 16-bit UUID) with the UUID 0xFFFA (octets ``FA FF``), the application code
  0x0D, a message counter, then one message (Bluetooth 4) or a message pack (Bluetooth 5).
* Wi-Fi beacon: a vendor-specific element (ID 0xDD) with the OUI FA-0B-BC, OUI type 0x0D, a
  message counter, then a message pack.
* Wi-Fi NAN: a Service Descriptor Attribute (ID 0x03) whose service ID is the first 6 octets
  of SHA-256("org.opendroneid.remoteid"), ``88 69 19 9D 92 09``; its service info is a
  message counter, then a message pack.

``unwrap`` takes a receiver's datagram in any of these framings (or bare messages) to the
messages; ``broadcasts_in_frame`` finds every broadcast in a captured radio frame, whatever
its link layer (radiotap, Bluetooth LE with PHDR), by those identifiers and the lengths
around them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import dpkt

from dronewarn.domain.errors import DecodeError, FieldValueError, TruncatedError
from dronewarn.formats.remote_id.messages import MESSAGE_OCTETS

BLUETOOTH_MARK = bytes.fromhex("16faff0d")
BEACON_MARK = bytes.fromhex("fa0bbc0d")
NAN_SERVICE_ID = bytes.fromhex("8869199d9209")
_NAN_SDA = 0x03
_PCAPNG_MAGIC = bytes.fromhex("0a0d0d0a")


def unwrap(payload: bytes) -> bytes:
    """The messages (one, back to back, or a pack) inside a receiver's datagram."""
    if payload[:1] == b"\x0d" and len(payload) >= 2 + MESSAGE_OCTETS:
        # application code and counter (Bluetooth service data without its AD header)
        return payload[2:]
    for mark, skip in ((BLUETOOTH_MARK, 1), (BEACON_MARK, 1)):
        at = payload.find(mark, 0, 2 + len(mark))
        if at >= 0:
            return payload[at + len(mark) + skip :]
    if payload.startswith(NAN_SERVICE_ID):
        return _nan_service_info(payload, 0)[1:]
    return payload


def _nan_service_info(frame: bytes, at: int) -> bytes:
    """The service info of a NAN Service Descriptor Attribute whose service ID starts at
    ``at``: instance, requestor, control, then the optional fields the control bits name."""
    i = at + len(NAN_SERVICE_ID) + 2
    if i >= len(frame):
        raise TruncatedError("NAN service descriptor ends before its control", data=frame[at:])
    control = frame[i]
    i += 1
    if not control & 0x10:
        raise FieldValueError(
            "NAN service descriptor for Open Drone ID carries no service info",
            data=frame[at : at + 16],
            field="nan.control",
        )
    if control & 0x40:  # binding bitmap
        i += 2
    for bit in (0x04, 0x08):  # matching filter, service response filter
        if control & bit:
            if i >= len(frame):
                raise TruncatedError("NAN service descriptor ends in a filter", data=frame[at:])
            i += 1 + frame[i]
    if i >= len(frame):
        raise TruncatedError("NAN service descriptor ends before its service info", data=frame[at:])
    length = frame[i]
    info = frame[i + 1 : i + 1 + length]
    if len(info) < length:
        raise TruncatedError(
            f"NAN service info of {length} octets cut to {len(info)}", data=frame[at:]
        )
    return info


def broadcasts_in_frame(frame: bytes) -> Iterator[bytes]:
    """Every Open Drone ID broadcast (counter stripped) in one captured radio frame."""
    at = frame.find(BLUETOOTH_MARK)
    while at >= 0:
        # the AD length octet before the type counts type, UUID, code, counter and data
        length = frame[at - 1] if at else 0
        yield frame[at + len(BLUETOOTH_MARK) + 1 : at + length]
        at = frame.find(BLUETOOTH_MARK, at + 1)
    at = frame.find(BEACON_MARK)
    while at >= 0:
        length = frame[at - 1] if at else 0  # vendor element length: OUI, type, counter, data
        yield frame[at + len(BEACON_MARK) + 1 : at + length]
        at = frame.find(BEACON_MARK, at + 1)
    at = frame.find(NAN_SERVICE_ID)
    while at >= 0:
        if at >= 3 and frame[at - 3] == _NAN_SDA:  # not the service ID lists of other attributes
            yield _nan_service_info(frame, at)[1:]
        at = frame.find(NAN_SERVICE_ID, at + 1)


RADIO_LINKTYPES = frozenset({105, 119, 127, 163, 187, 201, 251, 256, 272})
"""pcap link types of radio frames: 802.11 plain, Prism, radiotap, AVS; Bluetooth HCI H4,
BLE link layer, BLE with PHDR, Nordic BLE sniffer."""


def is_radio_capture(head: bytes) -> bool:
    """Whether a pcap or pcapng file, from its first octets, holds radio frames (Wi-Fi or
    Bluetooth) rather than IP packets."""
    if len(head) >= 24 and head[:4] in (bytes.fromhex("a1b2c3d4"), bytes.fromhex("a1b23c4d")):
        return int.from_bytes(head[20:24], "big") in RADIO_LINKTYPES
    if len(head) >= 24 and head[:4] in (bytes.fromhex("d4c3b2a1"), bytes.fromhex("4d3cb2a1")):
        return int.from_bytes(head[20:24], "little") in RADIO_LINKTYPES
    if head[:4] == _PCAPNG_MAGIC and len(head) >= 12:
        order: Literal["little", "big"] = (
            "little" if head[8:12] == bytes.fromhex("4d3c2b1a") else "big"
        )
        idb = int.from_bytes(head[4:8], order)  # the section header's length
        if len(head) >= idb + 10 and int.from_bytes(head[idb : idb + 4], order) == 1:
            return int.from_bytes(head[idb + 8 : idb + 10], order) in RADIO_LINKTYPES
    return False


def capture_broadcasts(
    path: Path, errors: list[DecodeError] | None = None
) -> Iterator[tuple[float, bytes]]:
    """(capture time UTC s, broadcast) for every Open Drone ID broadcast in a pcap/pcapng of
    radio frames. A frame whose broadcast is malformed raises, or goes to ``errors``."""
    with path.open("rb") as stream:
        head = stream.read(4)
        stream.seek(0)
        try:
            reader = (
                dpkt.pcapng.Reader(stream) if head == _PCAPNG_MAGIC else dpkt.pcap.Reader(stream)
            )
            packets = list(reader)
        except (ValueError, dpkt.dpkt.Error, EOFError) as error:
            raise FieldValueError(f"{path.name}: not a readable capture: {error}") from error
    for time_s, frame in packets:
        try:
            for broadcast in broadcasts_in_frame(frame):
                yield float(time_s), broadcast
        except DecodeError as error:
            if errors is None:
                raise
            errors.append(error)
