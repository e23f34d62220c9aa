"""One CoT event, whichever way it travels: the model both the decoder and the encoder use,
the TAK protocol versions, and the varint of protocol 1's headers.

Specifications: MITRE *Cursor-on-Target Event Data Model* ``Event.xsd`` 2.0 (the event and
point attributes; ``ce``/``le`` one-sigma errors; 9999999 for unknown ``hae``/``ce``/``le``)
and the TAK Product Center's *TAK Protocol* (commoncommo ``protocol.txt``): protocol 0 is
XML, protocol 1 a ``TakMessage`` protobuf behind a 0xBF header (``0xBF 0x01 0xBF`` in a mesh
datagram, ``0xBF <length varint>`` on a stream).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from dronewarn.domain.errors import FieldValueError

UNKNOWN_VALUE: Final = 9_999_999.0
"""TAK's 'unknown' for hae, ce and le."""
MAGIC: Final = 0xBF
MESH_VERSION: Final = 1
MESH_HEADER: Final = bytes((MAGIC, MESH_VERSION, MAGIC))


class TakProtocol(IntEnum):
    """The TAK protocol version of an event: 0 XML, 1 protobuf."""

    XML = 0
    PROTOBUF = 1


@dataclass(frozen=True, slots=True)
class CotEvent:
    """One CoT event (times POSIX UTC seconds; None where the sender said unknown).

    Decoded events keep their ``<detail>`` as XML text in ``detail_xml`` (for protocol 1 the
    ``xmlDetail`` fragment with the typed contact and track re-attached), so that an event can
    be relayed or inspected whole. Events dronewarn writes name the track a warning is about in
    ``link_uid``/``link_type``; the encoder writes ``callsign`` and ``remarks`` when they are
    not None.
    """

    uid: str
    type: str
    how: str
    time_s: float
    start_s: float
    stale_s: float
    lat_deg: float
    lon_deg: float
    hae_m: float | None
    ce_m: float | None
    le_m: float | None
    course_deg: float | None = None
    speed_mps: float | None = None
    callsign: str | None = None
    remarks: str | None = None
    detail_xml: str = ""
    access: str = ""
    qos: str = ""
    opex: str = ""
    link_uid: str = ""
    link_type: str = ""
    protocol: TakProtocol = TakProtocol.XML


def varint(value: int) -> bytes:
    """Protobuf's base-128 varint of a non-negative integer."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(data: bytes | bytearray, start: int) -> tuple[int, int] | None:
    """(value, next index) of the varint at ``start``, None if the data ends inside it."""
    value = 0
    for index in range(start, min(start + 10, len(data))):
        byte = data[index]
        value |= (byte & 0x7F) << (7 * (index - start))
        if not byte & 0x80:
            return value, index + 1
    if len(data) - start >= 10:
        raise FieldValueError(
            "varint longer than 10 bytes",
            data=bytes(data[start : start + 10]),
            offset=start,
            field="varint",
        )
    return None
