"""Reading Cursor on Target (CoT): TAK protocol 0 (XML) and TAK protocol 1 (protobuf).

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

The TCP stream is cut into events by ``formats.cot.stream``; air events become Reports in
``formats.cot.reports``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
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
    FieldValueError,
    TruncatedError,
    UnsupportedError,
)
from dronewarn.formats.cot.event import (
    MAGIC,
    MESH_VERSION,
    UNKNOWN_VALUE,
    CotEvent,
    TakProtocol,
    read_varint,
)

MAX_EVENT_BYTES: Final = 64 * 1024
"""No CoT event dronewarn reads is longer (a busy ATAK SA event is about 1 KiB)."""
MAX_XML_DEPTH: Final = 32
"""Deepest element nesting accepted in an event (ATAK's deepest details nest about 5)."""
UNKNOWN_ERROR_FLOOR_M: Final = 999_999.0
"""TAK's own protocol-negotiation events write ce/le 999999: any error this large (1,000 km)
or larger is read as unknown too."""
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
            protocol=TakProtocol.XML,
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
            protocol=TakProtocol.PROTOBUF,
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


def decode_datagram(data: bytes) -> CotEvent:
    """Decode one UDP datagram: an XML event or a protocol 1 mesh message (0xBF 0x01 0xBF)."""
    if not data:
        raise TruncatedError("empty datagram", data=data, offset=0, field="datagram")
    if data[0] != MAGIC:
        return decode_xml(data)
    header = read_varint(data, 1)
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
