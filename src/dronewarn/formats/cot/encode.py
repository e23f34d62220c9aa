"""Writing Cursor on Target for TAK: XML (protocol 0) and protobuf (protocol 1).

Specifications: MITRE *Cursor-on-Target Event Data Model* ``Event.xsd`` 2.0 (event and point
attributes, ISO 8601 UTC times, ``ce``/``le`` as one-sigma errors) and the TAK Product
Center's *TAK Protocol* (commoncommo ``protocol.txt``: "Traditional Protocol" for XML,
"Generic Framework - Mesh Networks"/"Streaming Connections" for the 0xBF headers, "TAK
Protocol Payload - Version 1" for the ``TakMessage`` protobuf, built with ``takproto``).

How a node's tracks and warnings become events is ``formats.cot.tracks``.

dronewarn never writes ``_flow-tags_`` (TAK servers take an event carrying their own tag as
one they have already routed, and drop it); ``strip_flow_tags`` removes them from received
CoT before it is relayed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any, Final
from xml.etree.ElementTree import Element, ParseError, tostring
from xml.sax.saxutils import escape

import defusedxml
import defusedxml.ElementTree as SafeET
from google.protobuf.message import (  # type: ignore[import-untyped, unused-ignore]
    DecodeError as ProtobufDecodeError,
)
from takproto.proto import TakMessage

from dronewarn.domain.errors import FieldValueError, UnsupportedError
from dronewarn.domain.time import iso
from dronewarn.formats.cot.event import (
    MAGIC,
    MESH_HEADER,
    UNKNOWN_VALUE,
    CotEvent,
    TakProtocol,
    varint,
)

XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
FLOW_TAGS: Final = "_flow-tags_"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry (controls, lone surrogates, U+FFFE/U+FFFF)."""
_ATTRIBUTE_ESCAPES: Final = MappingProxyType(
    {'"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)
_TEXT_ESCAPES: Final = MappingProxyType({"\r": "&#13;"})


def clean(value: str) -> str:
    return _NOT_XML.sub("", value)


def _number(value: float | None, decimals: int) -> str:
    return f"{UNKNOWN_VALUE:.1f}" if value is None else f"{value:.{decimals}f}"


def _text(value: str) -> str:
    """XML character data: characters XML 1.0 cannot carry removed, markup escaped, and a
    carriage return as a reference (a parser turns a literal one into a line feed, XML 1.0
    section 2.11; hypothesis found a track id of "\\r" read back as "\\n")."""
    return escape(clean(value), _TEXT_ESCAPES)


def _attribute(value: str) -> str:
    return escape(clean(value), _ATTRIBUTE_ESCAPES)


def _detail_children(event: CotEvent, typed: bool) -> str:
    """The ``<detail>`` content; with ``typed`` False only what protocol 1 carries as
    ``xmlDetail`` (its contact and track are protobuf fields)."""
    parts = []
    if typed:
        if event.course_deg is not None and event.speed_mps is not None:
            parts.append(f'<track course="{event.course_deg:.2f}" speed="{event.speed_mps:.2f}"/>')
        if event.callsign is not None:
            parts.append(f'<contact callsign="{_attribute(event.callsign)}"/>')
    if event.link_uid:
        parts.append(
            f'<link uid="{_attribute(event.link_uid)}" type="{_attribute(event.link_type)}" '
            'relation="p-p"/>'
        )
    if event.remarks is not None:
        parts.append(f"<remarks>{_text(event.remarks)}</remarks>")
    return "".join(parts)


def encode_xml(event: CotEvent) -> bytes:
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
    return UNKNOWN_VALUE if value is None else round(value, decimals)


def tak_message(event: CotEvent) -> bytes:
    """The serialised TAK protocol 1 ``TakMessage`` (no header)."""
    message: Any = TakMessage()
    cot = message.cotEvent
    cot.type = clean(event.type)
    cot.uid = clean(event.uid)
    cot.how = clean(event.how)
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
    if event.callsign is not None:
        detail.contact.callsign = clean(event.callsign)
    if event.course_deg is not None and event.speed_mps is not None:
        detail.track.course = round(event.course_deg, 2)
        detail.track.speed = round(event.speed_mps, 2)
    payload: bytes = message.SerializeToString()
    return payload


def encode_stream(event: CotEvent) -> bytes:
    """TAK protocol 1 streaming message: 0xBF, the payload length as a varint, the payload."""
    payload = tak_message(event)
    return bytes((MAGIC,)) + varint(len(payload)) + payload


def encode_mesh(event: CotEvent) -> bytes:
    """TAK protocol 1 mesh message (one UDP datagram): 0xBF 0x01 0xBF and the payload."""
    return MESH_HEADER + tak_message(event)


def encode(event: CotEvent, protocol: TakProtocol, *, mesh: bool = False) -> bytes:
    """One event in the chosen protocol (stream framing for TCP, mesh for UDP)."""
    if protocol is TakProtocol.XML:
        return encode_xml(event)
    return encode_mesh(event) if mesh else encode_stream(event)


def encode_all(
    events: Iterable[CotEvent], protocol: TakProtocol, *, mesh: bool = False
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
