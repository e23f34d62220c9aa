"""Tracks and warnings as Cursor on Target for TAK: XML (protocol 0) and protobuf (protocol 1).

Specifications: MITRE *Cursor-on-Target Event Data Model* ``Event.xsd`` 2.0 (event and point
attributes, ISO 8601 UTC times, ``ce``/``le`` as one-sigma errors) and the TAK Product
Center's *TAK Protocol* (commoncommo ``protocol.txt``: "Traditional Protocol" for XML,
"Generic Framework - Mesh Networks"/"Streaming Connections" for the 0xBF headers, "TAK
Protocol Payload - Version 1" for the ``TakMessage`` protobuf, built with ``takproto``).

Tracks (one event per track, uid ``dronewarn.<node>.<track_id>``, ``how="m-f"`` fused):

========================================  =================  ===============================
track                                     type               why
========================================  =================  ===============================
cooperative (ADS-B / Remote ID matched)   ``a-n-A-C``        neutral civil aircraft
                                          (``a-f-A-C`` when  (``cooperative_affiliation``)
                                          configured)
Shahed-type, Gerbera, jet drone           ``a-h-A-M-F-Q``    hostile fixed-wing UAV
multirotor                                ``a-u-A-M-H-Q``    rotary UAV, affiliation unknown
unknown class                             ``a-u-A-M-F-Q``    what dronewarn tracks: a drone
crewed, not cooperative                   ``a-u-A-C``        civil aircraft, not identified
bird / clutter                            ``a-u-A``          air object, nothing more
========================================  =================  ===============================

``time`` and ``start`` are the publishing time, ``stale`` ``track_stale_s`` later (a deleted
track is stale at once, which makes TAK clients drop its marker). ``point``: WGS84 lat/lon,
``hae`` the track's height above the ellipsoid. ``ce`` is a one-sigma *circular* error as
the schema defines it, taken conservatively as the one-sigma error along the worst axis:
the square root of the larger eigenvalue of the 2x2 east/north position covariance. ``le``
is the altitude sigma. Unknown ``hae``/``ce``/``le`` are 9999999, TAK's convention.
``<detail>``: ``<track course speed>`` (degrees true, metres per second, as CoT has them),
``<contact callsign>`` and ``<remarks>`` with class, confidence, status and sensors.

Warnings are a ``b-m-p-s-p-i`` event (a point of interest) at the predicted entry point,
uid ``dronewarn.<node>.warning.<warning_id>`` so that each update replaces the marker, with
a ``<link>`` to the track's uid. A point of interest rather than an ``a-h-A`` atom: an atom
at the entry point would draw and count as a second hostile aircraft. ``stale`` is the
latest predicted entry time; a closed warning (crossed, turned away, lost, ...) is stale at
once. Remarks carry the entry window, probability, priority and the class.

dronewarn never writes ``_flow-tags_`` (TAK servers take an event carrying their own tag as
one they have already routed, and drop it); ``strip_flow_tags`` removes them from received
CoT before it is relayed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Any, Final, Literal
from xml.etree.ElementTree import Element, ParseError, tostring
from xml.sax.saxutils import escape

import defusedxml
import defusedxml.ElementTree as SafeET
from google.protobuf.message import (  # type: ignore[import-untyped, unused-ignore]
    DecodeError as ProtobufDecodeError,
)
from takproto.proto import TakMessage

from dronewarn.domain.errors import FieldValueError, UnsupportedError
from dronewarn.domain.report import ObjectClass
from dronewarn.domain.time import iso
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.domain.warning import Warning

UNKNOWN: Final = 9_999_999.0
XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAGIC: Final = 0xBF
MESH_HEADER: Final = bytes((MAGIC, 1, MAGIC))
FLOW_TAGS: Final = "_flow-tags_"
TRACK_HOW: Final = "m-f"
"""Machine-made, fused: a track combines reports from one or more sensors."""
WARNING_TYPE: Final = "b-m-p-s-p-i"
WARNING_HOW: Final = "m-p"
"""Machine-made, predicted: the entry point is a prediction of the future."""
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry (controls, lone surrogates, U+FFFE/U+FFFF)."""
_ATTRIBUTE_ESCAPES: Final = MappingProxyType(
    {'"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)
_TEXT_ESCAPES: Final = MappingProxyType({"\r": "&#13;"})
_HOSTILE_CLASSES: Final = frozenset(
    {ObjectClass.SHAHED, ObjectClass.GERBERA, ObjectClass.JET_DRONE}
)


class TakProtocol(IntEnum):
    """Which TAK protocol to write: 0 XML, 1 protobuf."""

    XML = 0
    PROTOBUF = 1


@dataclass(frozen=True, slots=True)
class CotOutConfig:
    """How a node writes CoT."""

    node_id: str
    track_stale_s: float = 30.0
    cooperative_affiliation: Literal["n", "f"] = "n"
    """``n`` neutral (default: a matched airliner is nobody's side) or ``f`` friendly."""


@dataclass(frozen=True, slots=True)
class CotOutEvent:
    """One event dronewarn will send, before it is encoded in either protocol.

    ``hae_m``, ``ce_m``, ``le_m`` None are written as 9999999; ``link_uid``/``link_type``
    name the track a warning is about.
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
    course_deg: float | None
    speed_mps: float | None
    callsign: str
    remarks: str
    link_uid: str = ""
    link_type: str = ""


def _clean(value: str) -> str:
    return _NOT_XML.sub("", value)


def _remarks(value: str) -> str:
    """Free text as every reader gets it back: XML parsers turn a carriage return into a line
    feed (XML 1.0 section 2.11), and takproto writes remarks it read back out raw, so line
    ends are line feeds from the start (hypothesis found a track id of a lone CR)."""
    return _clean(value).replace("\r\n", "\n").replace("\r", "\n")


def track_uid(node_id: str, track_id: str) -> str:
    return _clean(f"dronewarn.{node_id}.{track_id}")


def track_type(
    object_class: ObjectClass, cooperative: bool = False, cooperative_affiliation: str = "n"
) -> str:
    """The CoT type of a track (table in the module docstring)."""
    if cooperative:
        return f"a-{cooperative_affiliation}-A-C"
    if object_class in _HOSTILE_CLASSES:
        return "a-h-A-M-F-Q"
    if object_class is ObjectClass.MULTIROTOR:
        return "a-u-A-M-H-Q"
    if object_class is ObjectClass.CREWED:
        return "a-u-A-C"
    if object_class is ObjectClass.BIRD_CLUTTER:
        return "a-u-A"
    return "a-u-A-M-F-Q"


def circular_error_m(cov_enu: tuple[float, ...]) -> float | None:
    """One-sigma error along the worst horizontal axis: sqrt of the larger eigenvalue of the
    east/north block of the 4x4 (row-major) covariance; None if it is not a covariance."""
    if len(cov_enu) < 6:
        return None
    east, cross, north = cov_enu[0], 0.5 * (cov_enu[1] + cov_enu[4]), cov_enu[5]
    if not all(math.isfinite(value) for value in (east, cross, north)):
        return None
    half_sum = 0.5 * (east + north)
    largest = half_sum + math.hypot(0.5 * (east - north), cross)
    if largest < 0.0:
        return None
    return math.sqrt(largest)


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def track_event(state: TrackState, config: CotOutConfig, now_s: float) -> CotOutEvent | None:
    """A track as a CoT event published at ``now_s``; None if it has no usable position."""
    point = state.position
    if not (math.isfinite(point.lat_deg) and math.isfinite(point.lon_deg)):
        return None
    if not (-90.0 <= point.lat_deg <= 90.0 and -180.0 <= point.lon_deg <= 180.0):
        return None
    hae = _finite_or_none(point.alt_m)
    le = _finite_or_none(state.altitude_sigma_m) if hae is not None else None
    speed = _finite_or_none(state.speed_mps)
    course = state.course_deg if speed is not None and math.isfinite(state.course_deg) else None
    sensors = ", ".join(sorted(state.sensors)) or "none"
    kind = "cooperative traffic" if state.cooperative else str(state.object_class)
    remarks = (
        f"dronewarn {config.node_id} track {state.track_id}: class {kind} "
        f"(confidence {state.class_confidence:.2f}), {state.status}, "
        f"{state.updates} updates, sensors {sensors}, "
        f"state at {iso(state.time_s)}"
    )
    stale = now_s if state.status is TrackStatus.DELETED else now_s + config.track_stale_s
    return CotOutEvent(
        uid=track_uid(config.node_id, state.track_id),
        type=track_type(state.object_class, state.cooperative, config.cooperative_affiliation),
        how=TRACK_HOW,
        time_s=now_s,
        start_s=now_s,
        stale_s=stale,
        lat_deg=point.lat_deg,
        lon_deg=point.lon_deg,
        hae_m=hae,
        ce_m=circular_error_m(state.cov_enu),
        le_m=le,
        course_deg=course,
        speed_mps=speed,
        callsign=_clean(f"{kind.upper()} {state.track_id}"),
        remarks=_remarks(remarks),
    )


def warning_uid(node_id: str, warning_id: str) -> str:
    return _clean(f"dronewarn.{node_id}.warning.{warning_id}")


def warning_event(warning: Warning, config: CotOutConfig, now_s: float) -> CotOutEvent | None:
    """A warning as a point of interest at its predicted entry point, stale at the latest
    entry time (at once when the warning is closed); None if it has no usable point."""
    entry = warning.entry
    point = entry.point if entry is not None else warning.track_position
    if not (math.isfinite(point.lat_deg) and math.isfinite(point.lon_deg)):
        return None
    closed = entry is None or warning.state.is_closing
    stale = now_s if closed or entry is None else max(now_s, entry.latest_s)
    if entry is not None:
        window = (
            f"predicted to enter {warning.area or warning.recipient} at {iso(entry.time_s)} "
            f"(window {iso(entry.earliest_s)} to {iso(entry.latest_s)}, "
            f"probability {entry.probability:.2f})"
        )
        ce = _finite_or_none(entry.sigma_major_m)
    else:
        window = "no entry predicted"
        ce = None
    remarks = (
        f"dronewarn warning {warning.warning_id} #{warning.sequence} {warning.state}, "
        f"priority {warning.priority}: {warning.object_class} "
        f"(confidence {warning.class_confidence:.2f}) track {warning.track_id} {window}; "
        f"from {warning.sender} to {warning.recipient}"
    )
    return CotOutEvent(
        uid=warning_uid(config.node_id, warning.warning_id),
        type=WARNING_TYPE,
        how=WARNING_HOW,
        time_s=now_s,
        start_s=now_s,
        stale_s=stale,
        lat_deg=point.lat_deg,
        lon_deg=point.lon_deg,
        hae_m=_finite_or_none(point.alt_m),
        ce_m=ce,
        le_m=None,
        course_deg=None,
        speed_mps=None,
        callsign=_clean(f"ENTRY {warning.area or warning.recipient} P{warning.priority}"),
        remarks=_remarks(remarks),
        link_uid=track_uid(config.node_id, warning.track_id),
        link_type=track_type(warning.object_class),
    )


def _number(value: float | None, decimals: int) -> str:
    return f"{UNKNOWN:.1f}" if value is None else f"{value:.{decimals}f}"


def _text(value: str) -> str:
    """XML character data: characters XML 1.0 cannot carry removed, markup escaped, and a
    carriage return as a reference (a parser turns a literal one into a line feed, XML 1.0
    section 2.11; hypothesis found a track id of "\\r" read back as "\\n")."""
    return escape(_clean(value), _TEXT_ESCAPES)


def _attribute(value: str) -> str:
    return escape(_clean(value), _ATTRIBUTE_ESCAPES)


def _detail_children(event: CotOutEvent, typed: bool) -> str:
    """The ``<detail>`` content; with ``typed`` False only what protocol 1 carries as
    ``xmlDetail`` (its contact and track are protobuf fields)."""
    parts = []
    if typed:
        if event.course_deg is not None and event.speed_mps is not None:
            parts.append(f'<track course="{event.course_deg:.2f}" speed="{event.speed_mps:.2f}"/>')
        parts.append(f'<contact callsign="{_attribute(event.callsign)}"/>')
    if event.link_uid:
        parts.append(
            f'<link uid="{_attribute(event.link_uid)}" type="{_attribute(event.link_type)}" '
            'relation="p-p"/>'
        )
    parts.append(f"<remarks>{_text(event.remarks)}</remarks>")
    return "".join(parts)


def encode_xml(event: CotOutEvent) -> bytes:
    """TAK protocol 0: ``<?xml ...?>``, a newline and the ``<event>`` (protocol.txt's form)."""
    return (
        XML_DECLARATION
        + (
            f'<event version="2.0" uid="{_attribute(event.uid)}" type="{_attribute(event.type)}" '
            f'how="{_attribute(event.how)}" time="{iso(event.time_s)}" '
            f'start="{iso(event.start_s)}" stale="{iso(event.stale_s)}">'
            f'<point lat="{event.lat_deg:.7f}" lon="{event.lon_deg:.7f}" '
            f'hae="{_number(event.hae_m, 1)}" ce="{_number(event.ce_m, 1)}" '
            f'le="{_number(event.le_m, 1)}"/>'
            f"<detail>{_detail_children(event, typed=True)}</detail></event>"
        ).encode()
    )


def _document(root: Element) -> bytes:
    body: bytes = tostring(root, encoding="utf-8", xml_declaration=False)
    return XML_DECLARATION + body


def _milliseconds(time_s: float) -> int:
    return round(time_s * 1000.0)


def _unknown_or(value: float | None, decimals: int) -> float:
    return UNKNOWN if value is None else round(value, decimals)


def tak_message(event: CotOutEvent) -> bytes:
    """The serialised TAK protocol 1 ``TakMessage`` (no header)."""
    message: Any = TakMessage()
    cot = message.cotEvent
    cot.type = _clean(event.type)
    cot.uid = _clean(event.uid)
    cot.how = _clean(event.how)
    cot.sendTime = _milliseconds(event.time_s)
    cot.startTime = _milliseconds(event.start_s)
    cot.staleTime = _milliseconds(event.stale_s)
    cot.lat = round(event.lat_deg, 7)
    cot.lon = round(event.lon_deg, 7)
    cot.hae = _unknown_or(event.hae_m, 1)
    cot.ce = _unknown_or(event.ce_m, 1)
    cot.le = _unknown_or(event.le_m, 1)
    detail = cot.detail
    detail.xmlDetail = _detail_children(event, typed=False)
    detail.contact.callsign = _clean(event.callsign)
    if event.course_deg is not None and event.speed_mps is not None:
        detail.track.course = round(event.course_deg, 2)
        detail.track.speed = round(event.speed_mps, 2)
    payload: bytes = message.SerializeToString()
    return payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_stream(event: CotOutEvent) -> bytes:
    """TAK protocol 1 streaming message: 0xBF, the payload length as a varint, the payload."""
    payload = tak_message(event)
    return bytes((MAGIC,)) + _varint(len(payload)) + payload


def encode_mesh(event: CotOutEvent) -> bytes:
    """TAK protocol 1 mesh message (one UDP datagram): 0xBF 0x01 0xBF and the payload."""
    return MESH_HEADER + tak_message(event)


def encode(event: CotOutEvent, protocol: TakProtocol, *, mesh: bool = False) -> bytes:
    """One event in the chosen protocol (stream framing for TCP, mesh for UDP)."""
    if protocol is TakProtocol.XML:
        return encode_xml(event)
    return encode_mesh(event) if mesh else encode_stream(event)


def encode_all(
    events: Iterable[CotOutEvent], protocol: TakProtocol, *, mesh: bool = False
) -> list[bytes]:
    return [encode(event, protocol, mesh=mesh) for event in events]


# --- relaying received CoT -----------------------------------------------------------------


def _remove_flow_tags(parent: Element) -> None:
    for child in list(parent):
        if child.tag == FLOW_TAGS:
            parent.remove(child)


def strip_flow_tags(xml: bytes) -> bytes:
    """A received XML event without any ``<detail><_flow-tags_>``, ready to relay.

    Parsed with defusedxml (no DTD, no entities): the bytes came from outside.
    """
    try:
        root: Element = SafeET.fromstring(
            xml, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException as exc:
        raise UnsupportedError(f"refused: {exc!r}", data=xml, offset=0, field="event") from exc
    except (ParseError, LookupError, ValueError) as exc:
        raise FieldValueError(f"not well-formed XML: {exc}", data=xml, field="event") from exc
    if root.tag != "event":
        raise UnsupportedError(f"<{root.tag}> is no CoT event", data=xml, field="event")
    for detail in root.findall("detail"):
        _remove_flow_tags(detail)
    return _document(root)


def strip_flow_tags_message(payload: bytes) -> bytes:
    """A received TAK protocol 1 ``TakMessage`` without ``_flow-tags_`` in its xmlDetail."""
    message: Any = TakMessage()
    try:
        message.ParseFromString(payload)
    except (ProtobufDecodeError, RecursionError, ValueError) as exc:
        raise FieldValueError(f"not a TakMessage: {exc}", data=payload, field="TakMessage") from exc
    fragment = message.cotEvent.detail.xmlDetail
    if FLOW_TAGS not in fragment:
        return payload
    wrapped = f"<detail>{fragment}</detail>".encode()
    try:
        detail: Element = SafeET.fromstring(
            wrapped, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException as exc:
        raise UnsupportedError(f"refused: {exc!r}", data=payload, field="xmlDetail") from exc
    except (ParseError, LookupError, ValueError) as exc:
        raise FieldValueError(
            f"xmlDetail is not well-formed: {exc}", data=payload, field="xmlDetail"
        ) from exc
    _remove_flow_tags(detail)
    message.cotEvent.detail.xmlDetail = "".join(
        tostring(child, encoding="unicode") for child in detail
    )
    stripped: bytes = message.SerializeToString()
    return stripped
