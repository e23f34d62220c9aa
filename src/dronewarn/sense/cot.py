"""Cursor on Target (CoT) input: TAK protocol 0 (XML) and TAK protocol 1 (protobuf).

Specifications:

* MITRE, *Cursor-on-Target Event Data Model*, schema ``Event.xsd`` version 2.0 (13 June
  2003, with the clarifications of 26 February 2007): ``<event version uid type how time
  start stale [access qos opex]>`` holding one ``<point lat lon hae ce le/>`` and an optional
  ``<detail>`` of community-defined elements. ``time`` is when the event was made,
  ``start``/``stale`` bound its validity. Times are ISO 8601 ``CCYY-MM-DDThh:mm:ss[.s*]Z``
  with any number of fractional digits. ``ce`` and ``le``, when they describe an error, are
  "the one sigma point for a zero mean normal (Gaussian) distribution" (``point/@ce`` and
  ``point/@le`` documentation); TAK writes 9999999 for an unknown ``hae``, ``ce`` or ``le``.
* TAK Product Center, *TAK Protocol* (commoncommo ``protocol.txt``), sections "Traditional
  Protocol", "Generic Framework - Mesh Networks", "Generic Framework - Streaming
  Connections" and "TAK Protocol Payload - Version 1":

  - protocol 0: XML events; a TCP stream carries one ``<event>`` after another, each
    usually preceded by an ``<?xml ...?>`` declaration, with no other delimiter;
  - protocol 1, mesh (one UDP datagram): ``0xBF <version varint = 1> 0xBF <TakMessage>``;
  - protocol 1, stream (TCP): ``0xBF <length varint> <TakMessage>``, back to back;
  - the payload is one ``atakmap.commoncommo.protobuf.v1.TakMessage`` (protobuf 3; the
    messages come from the ``takproto`` package): ``cotEvent`` holds the event's
    attributes, times as milliseconds since 1970-01-01Z, and a ``detail`` whose
    ``contact``/``track``/... are typed and whose other elements travel as ``xmlDetail``
    text.

Every XML byte from outside is parsed with ``defusedxml`` with DTDs, entity declarations and
external references refused (``UnsafeXmlError``): CoT has no use for any of them, and they
are how entity-expansion bombs and external-entity reads get in. Events are capped at
``MAX_EVENT_BYTES`` and their detail at ``MAX_XML_DEPTH`` levels of nesting.

``CotStreamSplitter`` cuts a TCP byte stream into events (either protocol, switching at any
event boundary as TAK's protocol negotiation does) and never holds more than one capped
event. ``cot_report`` turns an air event (type ``a-*-A-*``) into a position ``Report``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any, Final
from xml.etree.ElementTree import Element, ParseError, tostring
from xml.parsers.expat import errors as expat_errors

import defusedxml
import defusedxml.ElementTree as SafeET
from google.protobuf.message import (  # type: ignore[import-untyped, unused-ignore]
    DecodeError as ProtobufDecodeError,
)
from takproto.proto import TakMessage

from dronewarn.domain.errors import (
    DecodeError,
    FieldValueError,
    TruncatedError,
    UnsupportedError,
)
from dronewarn.domain.report import (
    ClassHint,
    GeoPoint,
    ObjectClass,
    PositionMeasurement,
    Report,
)

MAX_EVENT_BYTES: Final = 64 * 1024
"""No CoT event dronewarn reads is longer (a busy ATAK SA event is about 1 KiB)."""
MAX_XML_DEPTH: Final = 32
"""Deepest element nesting accepted in an event (ATAK's deepest details nest about 5)."""
UNKNOWN_VALUE: Final = 9_999_999.0
"""TAK's 'unknown' for hae, ce and le."""
UNKNOWN_ERROR_FLOOR_M: Final = 999_999.0
"""TAK's own protocol-negotiation events write ce/le 999999: any error this large (1,000 km)
or larger is read as unknown too."""
MAGIC: Final = 0xBF
MESH_VERSION: Final = 1
MAX_TIME_S: Final = 253_402_300_800.0
"""10000-01-01T00:00:00Z: no CoT time reaches it."""

_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_TYPE = re.compile(r"\w+(?:-\w+)*(?:;[^;]*)?", re.ASCII)
_HOW = re.compile(r"\w(?:-\w+)*", re.ASCII)
_TRUNCATION_CODES = frozenset(
    expat_errors.codes[message]
    for message in (
        expat_errors.XML_ERROR_NO_ELEMENTS,
        expat_errors.XML_ERROR_UNCLOSED_TOKEN,
        expat_errors.XML_ERROR_PARTIAL_CHAR,
        expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
    )
)


class UnsafeXmlError(UnsupportedError):
    """XML carrying a DTD, an entity declaration or an external reference: refused unread."""

    kind = "unsafe_xml"


class CotProtocol(IntEnum):
    """The TAK protocol version an event arrived in."""

    XML = 0
    PROTOBUF = 1


@dataclass(frozen=True, slots=True)
class CotEvent:
    """One CoT event, as sent (times POSIX UTC seconds; None where the sender said unknown).

    ``detail_xml`` is the event's ``<detail>`` element as XML text (for protocol 1, the
    ``xmlDetail`` fragment with the typed contact and track re-attached), kept so that an
    event can be relayed or inspected whole.
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
    protocol: CotProtocol = CotProtocol.XML


# --- protocol 0: XML -----------------------------------------------------------------------


def _parse_xml(data: bytes, field: str) -> Element:
    """Parse untrusted XML: defusedxml, no DTD at all, capped nesting."""
    try:
        root: Element = SafeET.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException as exc:
        raise UnsafeXmlError(
            f"refused: {exc!r} (CoT needs no DTD or entities)", data=data, offset=0, field=field
        ) from exc
    except ParseError as exc:
        offset = _byte_offset(data, exc.position)
        error = TruncatedError if exc.code in _TRUNCATION_CODES else FieldValueError
        raise error(f"not well-formed XML: {exc}", data=data, offset=offset, field=field) from exc
    except (LookupError, ValueError) as exc:  # an unknown or broken declared encoding
        raise FieldValueError(f"undecodable XML: {exc}", data=data, offset=0, field=field) from exc
    _check_depth(root, data, field)
    return root


def _byte_offset(data: bytes, position: tuple[int, int]) -> int:
    """Approximate byte offset of expat's (line, column) for the error's ``offset``."""
    line, column = position
    start = 0
    for _ in range(max(line - 1, 0)):
        found = data.find(b"\n", start)
        if found < 0:
            break
        start = found + 1
    return min(start + max(column, 0), len(data))


def _check_depth(root: Element, data: bytes, field: str) -> None:
    stack: list[tuple[Element, int]] = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_XML_DEPTH:
            raise FieldValueError(
                f"elements nested deeper than {MAX_XML_DEPTH}", data=data, field=field
            )
        stack.extend((child, depth + 1) for child in element)


def _number(text: str | None, data: bytes, field: str) -> float | None:
    if text is None:
        return None
    stripped = text.strip()
    if not _DECIMAL.fullmatch(stripped):
        raise FieldValueError(f"{text!r} is not a decimal number", data=data, field=field)
    value = float(stripped)
    if not math.isfinite(value):
        raise FieldValueError(f"{text!r} is out of range", data=data, field=field)
    return value


def _required_number(text: str | None, data: bytes, field: str) -> float:
    value = _number(text, data, field)
    if value is None:
        raise FieldValueError("missing", data=data, field=field)
    return value


def parse_cot_time(text: str | None, *, data: bytes = b"", field: str = "time") -> float:
    """POSIX seconds of a CoT time (ISO 8601 with ``Z`` or an explicit offset)."""
    if text is None:
        raise FieldValueError("missing", data=data, field=field)
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise FieldValueError(
            f"{text!r} is not an ISO 8601 UTC time (CCYY-MM-DDThh:mm:ss[.s]Z)",
            data=data,
            field=field,
        )
    year, month, day, hour, minute, second = (int(match.group(k)) for k in range(1, 7))
    fraction = float("0" + match.group(7)) if match.group(7) else 0.0
    zone = match.group(8)
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        if zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    except (ValueError, OverflowError) as exc:
        raise FieldValueError(f"{text!r}: {exc}", data=data, field=field) from exc
    return moment.timestamp() + fraction


def decode_xml(data: bytes) -> CotEvent:
    """Decode one TAK protocol 0 event (``<?xml ...?>`` optional) into a ``CotEvent``."""
    if len(data) > MAX_EVENT_BYTES:
        raise FieldValueError(
            f"event of {len(data)} bytes exceeds {MAX_EVENT_BYTES}", data=data[:64], field="event"
        )
    root = _parse_xml(data, "event")
    if root.tag != "event":
        raise UnsupportedError(
            f"root element <{root.tag}> is no CoT <event>", data=data, field="event"
        )
    points = root.findall("point")
    if len(points) != 1:
        raise FieldValueError(
            f"an event holds exactly one <point>, not {len(points)}", data=data, field="point"
        )
    point = points[0]
    details = root.findall("detail")
    if len(details) > 1:
        raise FieldValueError("more than one <detail>", data=data, field="detail")
    detail = details[0] if details else None
    course, speed, callsign, remarks = _detail_fields(detail, data)
    return _validated(
        data,
        CotEvent(
            uid=root.get("uid", ""),
            type=root.get("type", ""),
            how=root.get("how", ""),
            time_s=parse_cot_time(root.get("time"), data=data, field="time"),
            start_s=parse_cot_time(root.get("start"), data=data, field="start"),
            stale_s=parse_cot_time(root.get("stale"), data=data, field="stale"),
            lat_deg=_required_number(point.get("lat"), data, "point.lat"),
            lon_deg=_required_number(point.get("lon"), data, "point.lon"),
            hae_m=_known(_number(point.get("hae"), data, "point.hae")),
            ce_m=_known_error(_number(point.get("ce"), data, "point.ce")),
            le_m=_known_error(_number(point.get("le"), data, "point.le")),
            course_deg=course,
            speed_mps=speed,
            callsign=callsign,
            remarks=remarks,
            detail_xml="" if detail is None else tostring(detail, encoding="unicode").strip(),
            access=root.get("access", ""),
            qos=root.get("qos", ""),
            opex=root.get("opex", ""),
            protocol=CotProtocol.XML,
        ),
    )


def _known(value: float | None) -> float | None:
    return None if value is None or value == UNKNOWN_VALUE else value


def _known_error(value: float | None) -> float | None:
    return None if value is None or value >= UNKNOWN_ERROR_FLOOR_M else value


def _detail_fields(
    detail: Element | None, data: bytes
) -> tuple[float | None, float | None, str | None, str | None]:
    """(course_deg, speed_mps, callsign, remarks) from a ``<detail>``."""
    if detail is None:
        return None, None, None, None
    course = speed = None
    track = detail.find("track")
    if track is not None:
        course = _number(track.get("course"), data, "detail.track.course")
        speed = _number(track.get("speed"), data, "detail.track.speed")
    contact = detail.find("contact")
    callsign = contact.get("callsign") if contact is not None else None
    remarks_element = detail.find("remarks")
    remarks = None
    if remarks_element is not None:
        remarks = "".join(remarks_element.itertext()).strip()
    return course, speed, callsign, remarks


def _validated(data: bytes, event: CotEvent) -> CotEvent:
    """The checks every event passes, whichever protocol it came in."""
    if not event.uid:
        raise FieldValueError("missing or empty", data=data, field="uid")
    if not _TYPE.fullmatch(event.type):
        raise FieldValueError(f"{event.type!r} is no CoT type", data=data, field="type")
    if not _HOW.fullmatch(event.how):
        raise FieldValueError(f"{event.how!r} is no CoT how", data=data, field="how")
    for name, field in (("time_s", "time"), ("start_s", "start"), ("stale_s", "stale")):
        value = getattr(event, name)
        if not 0.0 <= value < MAX_TIME_S:
            raise FieldValueError(f"{value} s is outside 1970-9999", data=data, field=field)
    if event.stale_s < event.start_s:
        raise FieldValueError(
            f"stale {event.stale_s} is before start {event.start_s}", data=data, field="stale"
        )
    if not -90.0 <= event.lat_deg <= 90.0:
        raise FieldValueError(f"{event.lat_deg} outside [-90, 90]", data=data, field="point.lat")
    if not -180.0 <= event.lon_deg <= 180.0:
        raise FieldValueError(f"{event.lon_deg} outside [-180, 180]", data=data, field="point.lon")
    for name, field in (
        ("ce_m", "point.ce"),
        ("le_m", "point.le"),
        ("speed_mps", "detail.track.speed"),
    ):
        value = getattr(event, name)
        if value is not None and value < 0.0:
            raise FieldValueError(f"{value} is negative", data=data, field=field)
    if event.course_deg is not None and not 0.0 <= event.course_deg <= 360.0:
        raise FieldValueError(
            f"{event.course_deg} outside [0, 360]", data=data, field="detail.track.course"
        )
    return event


# --- protocol 1: protobuf ------------------------------------------------------------------


def decode_tak_message(payload: bytes) -> CotEvent:
    """Decode one TAK protocol 1 payload (a serialised ``TakMessage``, header removed)."""
    if len(payload) > MAX_EVENT_BYTES:
        raise FieldValueError(
            f"message of {len(payload)} bytes exceeds {MAX_EVENT_BYTES}",
            data=payload[:64],
            field="TakMessage",
        )
    message: Any = TakMessage()
    try:
        message.ParseFromString(payload)
    except (ProtobufDecodeError, RecursionError, ValueError) as exc:
        raise FieldValueError(
            f"not a TakMessage: {exc}", data=payload, offset=0, field="TakMessage"
        ) from exc
    if not message.HasField("cotEvent"):
        raise UnsupportedError(
            "a TakMessage without cotEvent (TakControl only)", data=payload, field="cotEvent"
        )
    cot = message.cotEvent
    detail, course, speed, callsign, remarks = _proto_detail(cot, payload)
    return _validated(
        payload,
        CotEvent(
            uid=cot.uid,
            type=cot.type,
            how=cot.how,
            time_s=_proto_time(cot.sendTime, payload, "sendTime"),
            start_s=_proto_time(cot.startTime, payload, "startTime"),
            stale_s=_proto_time(cot.staleTime, payload, "staleTime"),
            lat_deg=_finite(cot.lat, payload, "lat"),
            lon_deg=_finite(cot.lon, payload, "lon"),
            hae_m=_known(_finite(cot.hae, payload, "hae")),
            ce_m=_known_error(_finite(cot.ce, payload, "ce")),
            le_m=_known_error(_finite(cot.le, payload, "le")),
            course_deg=course,
            speed_mps=speed,
            callsign=callsign,
            remarks=remarks,
            detail_xml=detail,
            access=cot.access,
            qos=cot.qos,
            opex=cot.opex,
            protocol=CotProtocol.PROTOBUF,
        ),
    )


def _proto_time(milliseconds: int, payload: bytes, field: str) -> float:
    if milliseconds == 0:
        raise FieldValueError("missing (0)", data=payload, field=field)
    return milliseconds / 1000.0


def _finite(value: float, payload: bytes, field: str) -> float:
    if not math.isfinite(value):
        raise FieldValueError(f"{value} is not finite", data=payload, field=field)
    return float(value)


def _proto_detail(
    cot: Any, payload: bytes
) -> tuple[str, float | None, float | None, str | None, str | None]:
    """The detail as XML text, and the typed fields (typed protobuf parts win over xmlDetail)."""
    if not cot.HasField("detail"):
        return "", None, None, None, None
    proto = cot.detail
    fragment = proto.xmlDetail.encode("utf-8")
    detail = _parse_xml(b"<detail>" + fragment + b"</detail>", "detail.xmlDetail")
    course, speed, callsign, remarks = _detail_fields(detail, payload)
    if proto.HasField("contact"):
        attributes = {"callsign": proto.contact.callsign, "endpoint": proto.contact.endpoint}
        _replace(detail, "contact", attributes)
        callsign = proto.contact.callsign or callsign
    if proto.HasField("track"):
        course = _finite(proto.track.course, payload, "detail.track.course")
        speed = _finite(proto.track.speed, payload, "detail.track.speed")
        _replace(detail, "track", {"course": repr(course), "speed": repr(speed)})
    if proto.HasField("group"):
        _replace(detail, "__group", {"name": proto.group.name, "role": proto.group.role})
    if proto.HasField("precisionLocation"):
        location = proto.precisionLocation
        attributes = {"geopointsrc": location.geopointsrc, "altsrc": location.altsrc}
        _replace(detail, "precisionlocation", attributes)
    if proto.HasField("status"):
        _replace(detail, "status", {"battery": str(proto.status.battery)})
    if proto.HasField("takv"):
        takv = proto.takv
        attributes = {
            "device": takv.device,
            "platform": takv.platform,
            "os": takv.os,
            "version": takv.version,
        }
        _replace(detail, "takv", attributes)
    return tostring(detail, encoding="unicode"), course, speed, callsign, remarks


def _replace(detail: Element, tag: str, attributes: dict[str, str]) -> None:
    for old in detail.findall(tag):
        detail.remove(old)
    detail.append(Element(tag, {key: value for key, value in attributes.items() if value}))


def _read_varint(data: bytes | bytearray, start: int) -> tuple[int, int] | None:
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


def decode_datagram(data: bytes) -> CotEvent:
    """Decode one UDP datagram: an XML event or a protocol 1 mesh message (0xBF 0x01 0xBF)."""
    if not data:
        raise TruncatedError("empty datagram", data=data, offset=0, field="datagram")
    if data[0] != MAGIC:
        return decode_xml(data)
    header = _read_varint(data, 1)
    if header is None or header[1] >= len(data):
        raise TruncatedError(
            "datagram ends inside the TAK header", data=data, offset=0, field="header"
        )
    version, end = header
    if version != MESH_VERSION:
        raise UnsupportedError(
            f"TAK protocol version {version}; dronewarn reads 1",
            data=data,
            offset=1,
            field="version",
        )
    if data[end] != MAGIC:
        raise FieldValueError(
            f"byte {data[end]:#04x} where the second 0xBF belongs",
            data=data,
            offset=end,
            field="header",
        )
    return decode_tak_message(data[end + 1 :])


def decode_stream_message(data: bytes) -> CotEvent:
    """Decode one whole protocol 1 stream message (``0xBF <length> <TakMessage>``)."""
    if not data or data[0] != MAGIC:
        raise UnsupportedError(
            "a TAK protocol 1 stream message starts with 0xBF",
            data=data[:16],
            offset=0,
            field="magic",
        )
    splitter = CotStreamSplitter()
    results = splitter.feed(data) + splitter.close()
    if len(results) != 1:
        raise FieldValueError(
            f"{len(results)} messages where one was expected", data=data, field="stream"
        )
    result = results[0]
    if isinstance(result, DecodeError):
        raise result
    return result


# --- the TCP stream ------------------------------------------------------------------------

_WHITESPACE: Final = b" \t\r\n\x00"
_TAG_END = re.compile(rb"<[^>\"']*+(?:(?:\"[^\"]*+\"|'[^']*+')[^>\"']*+)*+>")
_DECL_END = re.compile(
    rb"<!(?:[^>\[\"']++|\"[^\"]*+\"|'[^']*+'|\[(?:[^\]\"']++|\"[^\"]*+\"|'[^']*+')*+\])*+>"
)
_RESYNC_XML: Final = (b"<?xml", b"<event")
_CDATA: Final = b"<![CDATA["
_COMMENT: Final = b"<!--"


class _Mode(IntEnum):
    IDLE = 0
    XML = 1
    SKIP = 2
    RESYNC = 3


StreamItem = CotEvent | DecodeError


class CotStreamSplitter:
    """Incremental TAK stream reader: feed it bytes as they arrive, get events and errors.

    Protocol 0 events are cut where their root element closes (a small XML lexer that knows
    comments, CDATA, processing instructions and quoted attributes, so a ``</event>`` inside
    a remark does not cut an event); protocol 1 messages by their declared length. A message
    or event over ``max_event_bytes`` is reported and skipped without being buffered (a
    protocol 1 message by its length; an XML event by resynchronising on the next
    ``<?xml``/``<event``); bytes that start neither are reported and skipped the same way.
    Error offsets count from the start of the stream.
    """

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._buffer = bytearray()
        self._base = 0
        """Stream offset of ``_buffer[0]``."""
        self._mode = _Mode.IDLE
        self._scan = 0
        self._depth = 0
        self._root_seen = False
        self._skip = 0
        self._last = CotProtocol.XML

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the rest of an event (never more than the cap plus a read)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[StreamItem]:
        """Take the next bytes of the stream; return the events and errors they complete."""
        self._buffer += data
        out: list[StreamItem] = []
        while self._step(out):
            pass
        return out

    def close(self) -> list[StreamItem]:
        """The stream ended: a partial event left over is a ``TruncatedError``."""
        out: list[StreamItem] = []
        leftover = bytes(self._buffer).strip(_WHITESPACE)
        if self._mode == _Mode.SKIP and self._skip:
            pass  # the oversized message was reported already
        elif self._mode in (_Mode.XML, _Mode.IDLE) and leftover:
            out.append(
                TruncatedError(
                    f"stream ended inside an event ({len(leftover)} bytes)",
                    data=leftover[:64],
                    offset=self._base,
                    field="event",
                )
            )
        self._drop(len(self._buffer))
        self._mode = _Mode.IDLE
        self._skip = 0
        return out

    # each step consumes something or returns False to wait for more bytes
    def _step(self, out: list[StreamItem]) -> bool:
        if self._mode == _Mode.SKIP:
            return self._skip_bytes()
        if self._mode == _Mode.RESYNC:
            return self._resync()
        if self._mode == _Mode.XML:
            return self._scan_xml(out)
        return self._idle(out)

    def _drop(self, count: int) -> None:
        del self._buffer[:count]
        self._base += count

    def _error(self, out: list[StreamItem], error: DecodeError, mode: _Mode) -> bool:
        out.append(error)
        self._mode = mode
        return True

    def _idle(self, out: list[StreamItem]) -> bool:
        buffer = self._buffer
        start = 0
        while start < len(buffer) and buffer[start] in _WHITESPACE:
            start += 1
        self._drop(start)
        if not buffer:
            return False
        first = buffer[0]
        if first == ord("<"):
            self._mode = _Mode.XML
            self._scan = 0
            self._depth = 0
            self._root_seen = False
            return True
        if first == MAGIC:
            return self._proto_frame(out)
        error = FieldValueError(
            f"byte {first:#04x} starts neither an XML event nor a TAK protocol 1 message",
            data=bytes(buffer[:16]),
            offset=self._base,
            field="stream",
        )
        self._drop(1)
        return self._error(out, error, _Mode.RESYNC)

    def _proto_frame(self, out: list[StreamItem]) -> bool:
        buffer = self._buffer
        try:
            header = _read_varint(buffer, 1)
        except FieldValueError as exc:
            exc.offset = self._base
            self._drop(1)
            return self._error(out, exc, _Mode.RESYNC)
        if header is None:
            return False
        length, start = header
        if length == 0:
            self._drop(start)
            error = FieldValueError(
                "empty TAK protocol 1 message", data=b"", offset=self._base, field="length"
            )
            return self._error(out, error, _Mode.IDLE)
        if length > self._max:
            error = FieldValueError(
                f"message of {length} bytes exceeds {self._max}; skipped",
                data=bytes(buffer[:start]),
                offset=self._base,
                field="length",
            )
            self._drop(start)
            self._skip = length
            return self._error(out, error, _Mode.SKIP)
        if len(buffer) < start + length:
            return False
        payload = bytes(buffer[start : start + length])
        offset = self._base
        self._drop(start + length)
        try:
            out.append(decode_tak_message(payload))
            self._last = CotProtocol.PROTOBUF
        except DecodeError as exc:
            exc.offset = offset + start + (exc.offset or 0)
            out.append(exc)
        return True

    def _skip_bytes(self) -> bool:
        if not self._buffer:
            return False
        count = min(self._skip, len(self._buffer))
        self._drop(count)
        self._skip -= count
        if self._skip == 0:
            self._mode = _Mode.IDLE
        return True

    def _resync(self) -> bool:
        buffer = self._buffer
        candidates = [buffer.find(marker) for marker in _RESYNC_XML]
        if self._last == CotProtocol.PROTOBUF:
            candidates.append(buffer.find(MAGIC))
        found = [index for index in candidates if index >= 0]
        if found:
            self._drop(min(found))
            self._mode = _Mode.IDLE
            return True
        keep = max(len(marker) for marker in _RESYNC_XML) - 1
        if len(buffer) > keep:
            self._drop(len(buffer) - keep)
        return False

    def _scan_xml(self, out: list[StreamItem]) -> bool:
        """Advance the lexer; emit the event when its root element closes."""
        buffer = self._buffer
        position = self._scan
        complete = False
        while True:
            lt = buffer.find(b"<", position)
            if lt < 0:
                if self._depth == 0 and bytes(buffer[position:]).strip(_WHITESPACE):
                    return self._garbage(out, position)
                position = len(buffer)
                break
            if self._depth == 0 and bytes(buffer[position:lt]).strip(_WHITESPACE):
                return self._garbage(out, position)
            end = self._token_end(lt)
            if end is None:
                position = lt
                break
            token_kind = bytes(buffer[lt + 1 : lt + 2])
            position = end
            if token_kind == b"/":
                self._depth -= 1
                if self._depth < 0:
                    return self._garbage(out, lt)
                if self._depth == 0:
                    complete = True
                    break
            elif token_kind not in (b"!", b"?"):
                if self._depth == 0 and self._root_seen:
                    return self._garbage(out, lt)
                self._root_seen = True
                if buffer[end - 2 : end] == b"/>":
                    if self._depth == 0:
                        complete = True
                        break
                else:
                    self._depth += 1
            if position > self._max:
                break
        self._scan = position
        if position > self._max or (not complete and len(buffer) > self._max):
            return self._oversized(out)
        if not complete:
            return False
        frame = bytes(buffer[:position])
        offset = self._base
        self._drop(position)
        self._mode = _Mode.IDLE
        try:
            out.append(decode_xml(frame))
            self._last = CotProtocol.XML
        except DecodeError as exc:
            exc.offset = offset + (exc.offset or 0)
            out.append(exc)
        return True

    def _token_end(self, lt: int) -> int | None:
        """End index (exclusive) of the markup token at ``lt``, None if not all here yet."""
        buffer = self._buffer
        head = bytes(buffer[lt : lt + len(_CDATA)])
        if len(head) < 2:
            return None
        if head[1:2] == b"!":
            for opener, closer in ((_COMMENT, b"-->"), (_CDATA, b"]]>")):
                if head.startswith(opener):
                    found = buffer.find(closer, lt + len(opener))
                    return None if found < 0 else found + len(closer)
                if opener.startswith(head):
                    return None  # too few bytes to tell which declaration this is
            match = _DECL_END.match(buffer, lt)
        elif head[1:2] == b"?":
            found = buffer.find(b"?>", lt + 2)
            return None if found < 0 else found + 2
        else:
            match = _TAG_END.match(buffer, lt)
        return None if match is None else match.end()

    def _garbage(self, out: list[StreamItem], index: int) -> bool:
        error = FieldValueError(
            "text or markup outside an event",
            data=bytes(self._buffer[index : index + 32]),
            offset=self._base + index,
            field="stream",
        )
        self._drop(max(index, 1))
        return self._error(out, error, _Mode.RESYNC)

    def _oversized(self, out: list[StreamItem]) -> bool:
        error = FieldValueError(
            f"event longer than {self._max} bytes; skipped",
            data=bytes(self._buffer[:64]),
            offset=self._base,
            field="event",
        )
        self._drop(1)  # resynchronise after this event's first byte
        return self._error(out, error, _Mode.RESYNC)


# --- to a Report ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CotReportConfig:
    """How CoT events become Reports.

    ``unknown_ce_sigma_m`` is the horizontal sigma given to an air event that states no
    ``ce`` (TAK's 9999999); ``min_sigma_m`` floors a stated ``ce``/``le`` (0 would make the
    tracker trust a point absolutely); ``type_confidence`` is the confidence of the class hint
    read from the CoT type (a sender's symbol, not a measured classification).
    """

    unknown_ce_sigma_m: float = 1000.0
    min_sigma_m: float = 1.0
    type_confidence: float = 0.5


def class_hint_of_type(cot_type: str, confidence: float) -> ClassHint | None:
    """The dronewarn class a CoT air type names, if any.

    MIL-STD-2525 air function codes as CoT writes them after ``a-<affiliation>-A``:

    * ``M-H-Q...`` (military rotary-wing, drone; ``C-H-Q`` the civil one) -> MULTIROTOR;
    * ``M-F-Q...`` (military fixed-wing, drone/RPV/UAV; ``C-F-Q`` civil) -> no hint: CoT
      has no code that tells a Gerbera decoy from a Shahed-type or a jet drone, so the class
      is left to the track's kinematics rather than guessed;
    * ``C...`` (civil aircraft) -> CREWED;
    * anything else -> no hint. Military fixed- and rotary-wing codes without ``Q`` are not
      read as crewed: real senders mark drones so (MITRE's Global Hawk sample is
      ``a-f-A-M-F-R-X``, photographic reconnaissance), and calling a drone crewed is the
      mistake that hides a threat.
    """
    fields = cot_type.split(";", 1)[0].split("-")
    if len(fields) < 4 or fields[0] != "a" or fields[2] != "A":
        return None
    function = tuple(fields[3:])
    if len(function) >= 3 and function[0] in ("M", "C") and function[2] == "Q":
        # a drone, military or civil
        return ClassHint(ObjectClass.MULTIROTOR, confidence) if function[1] == "H" else None
    if function[0] == "C":
        return ClassHint(ObjectClass.CREWED, confidence)
    return None


def is_air(cot_type: str) -> bool:
    """``a-<affiliation>-A[-...]``: an atom in the air battle dimension."""
    fields = cot_type.split(";", 1)[0].split("-")
    return len(fields) >= 3 and fields[0] == "a" and fields[2] == "A"


def cot_report(
    event: CotEvent, sensor_id: str, config: CotReportConfig | None = None
) -> Report | None:
    """An air event as a position Report at the event's ``time``; None for any other event.

    ``ce``/``le`` are CoT's 1-sigma circular and vertical errors, which is what
    ``PositionMeasurement`` holds; the height is the event's ``hae`` (height above the
    ellipsoid, as ``GeoPoint.alt_m``), its sigma ``le`` when both are known.
    """
    if not is_air(event.type):
        return None
    settings = config or CotReportConfig()
    sigma_h = settings.unknown_ce_sigma_m if event.ce_m is None else event.ce_m
    sigma_v = None
    if event.hae_m is not None and event.le_m is not None:
        sigma_v = max(event.le_m, settings.min_sigma_m)
    return Report(
        sensor_id=sensor_id,
        time_s=event.time_s,
        measurement=PositionMeasurement(
            point=GeoPoint(event.lat_deg, event.lon_deg, event.hae_m),
            sigma_h_m=max(sigma_h, settings.min_sigma_m),
            sigma_v_m=sigma_v,
        ),
        class_hint=class_hint_of_type(event.type, settings.type_confidence),
        source=f"cot:{event.uid}",
    )
