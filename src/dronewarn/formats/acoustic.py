"""Acoustic detection messages: dronewarn's compact JSON schema, version 1, carried over MQTT.

Spec: this module is the specification (mirrored in ``docs/formats-acoustic.md``). JSON is
RFC 8259; MQTT is OASIS MQTT Version 3.1.1 (2014), section 4.7 (topic names and filters).
Networks of this kind (Ukraine's "Sky Fortress", about 10,000 microphone nodes) report
each detection as one small message; a node or a gateway may also send an array of them.

Topic layout (``<network>`` and ids: 1-64 characters of ``A-Z a-z 0-9 . _ -``)::

    dronewarn/acoustic/<network>/<node_id>          a node's own detections: every one of
                                                    them must carry "node": "<node_id>"
    dronewarn/acoustic/<network>/gw/<gateway_id>    a gateway relaying detections of any
                                                    nodes of the network

The listener subscribes to ``dronewarn/acoustic/<network>/#``. The two forms differ by their
number of levels, so a node may even be called ``gw``. Let the broker's ACL allow each node's
credentials to publish only on its own topic: the node id check then authenticates the id.

One detection is a JSON object (UTF-8)::

    {"v":1,"node":"lv-0412","lat":50.45012,"lon":30.52341,"alt_m":168.0,
     "t_ms":1757466123456,"conf":0.87,"cls":"shahed","brg_deg":231.5,"brg_sd_deg":8.0,
     "r_m":2500}

==============  ========  =====================================================================
key             required  value
==============  ========  =====================================================================
``v``           yes       schema version, the integer 1 (another integer: UnsupportedError)
``node``        yes       node id (see the topic layout)
``lat``         yes       node latitude, degrees WGS84, number in [-90, 90]
``lon``         yes       node longitude, degrees WGS84, number in [-180, 180]
``alt_m``       no        node height above the WGS84 ellipsoid, metres, in [-1000, 9000]
``t_ms``        yes       detection time: integer milliseconds since 1970-01-01T00:00:00Z (UTC),
                          before 2100
``conf``        yes       the node's confidence that it heard an object of class ``cls``, [0, 1]
``cls``         yes       ``shahed`` ``gerbera`` ``jet`` ``rotor`` ``crewed`` ``clutter``
                          ``unknown`` (see ``AcousticClass``)
``brg_deg``     no        bearing to the sound, degrees clockwise from true north, [0, 360)
``brg_sd_deg``  with brg  1-sigma error of the bearing, degrees, in (0, 180]
``r_m``         no        detection radius, metres, in (0, 50000]; the network's configured
                          default when absent
==============  ========  =====================================================================

Strict types: a number is a JSON number (``true`` is not 1, ``"5"`` is not 5), ``t_ms`` an
integer (``1.7e12`` is refused), ``NaN``/``Infinity`` are refused; ``null`` for an optional key
means absent; any other key is an error: additions come with a new ``v``. A key given twice
keeps its last value (RFC 8259 section 4 leaves this open): senders must not repeat keys.

Why ``t_ms`` and not ISO 8601: 13 digits against 24 characters per message (10,000 nodes each
reporting every second or two), an integer parse instead of a date parse on a microcontroller
and in the listener, and no way to send a naive local time: POSIX time is UTC by definition.

Batch form: a JSON array of 1 to ``max_batch`` such objects (``[{...},{...}]``). A bad element
is reported with its index (field ``[3].conf``) and does not spoil the others.

Limits: a payload over ``max_payload_bytes`` (64 KiB by default) is refused before parsing;
pydantic-core's JSON parser bounds nesting (recursion limit) and number size.

Validation is pydantic v2 in strict mode, JSON parsed and checked in Rust straight into the
frozen ``AcousticDetection`` dataclass; errors become DecodeErrors naming the field. Measured
on the development machine (2 cores shared with other jobs, load 1-2.7), 10,000 messages of
180 bytes: 120,000-200,000 payloads/s decoded to ``AcousticDetection``, 56,000-75,000
messages/s all the way to domain ``Report``s with the topic checked; a gateway batch of 300:
about 128,000 detections/s (the same checks written by hand in Python: about 36,000/s).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, OnErrorOmit, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails, from_json

from dronewarn.domain.errors import (
    DecodeError,
    FieldValueError,
    TruncatedError,
    UnsupportedError,
)
from dronewarn.domain.report import BearingMeasurement, ClassHint, GeoPoint, ObjectClass, Report
from dronewarn.formats.json_path import field_path

SCHEMA_VERSION = 1
TOPIC_ROOT = "dronewarn/acoustic"
GATEWAY_LEVEL = "gw"
MAX_TIME_MS = 4_102_444_800_000
"""2100-01-01T00:00:00Z: a later ``t_ms`` is a unit mistake (microseconds), not a time."""
MAX_RADIUS_M = 50_000.0
MAX_ERROR_BYTES = 512
"""How much of the offending payload an error keeps (``DecodeError.data``)."""

_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
_ID = re.compile(_ID_PATTERN)


class AcousticClass(StrEnum):
    """The ``cls`` values: what the node believes it heard."""

    SHAHED = "shahed"
    """Piston-engined one-way attack drone (Shahed-136 / Geran-2 type)."""
    GERBERA = "gerbera"
    """Piston-engined decoy (Gerbera type); most nodes cannot tell it from a Shahed."""
    JET = "jet"
    """Jet-engined drone (Geran-3 type)."""
    ROTOR = "rotor"
    """Multirotor."""
    CREWED = "crewed"
    """Helicopter or crewed aircraft."""
    CLUTTER = "clutter"
    """A sound the node classified as not a drone (birds, traffic, wind)."""
    UNKNOWN = "unknown"
    """Something was heard; the node does not classify."""


OBJECT_CLASS: MappingProxyType[AcousticClass, ObjectClass | None] = MappingProxyType(
    {
        AcousticClass.SHAHED: ObjectClass.SHAHED,
        AcousticClass.GERBERA: ObjectClass.GERBERA,
        AcousticClass.JET: ObjectClass.JET_DRONE,
        AcousticClass.ROTOR: ObjectClass.MULTIROTOR,
        AcousticClass.CREWED: ObjectClass.CREWED,
        AcousticClass.CLUTTER: ObjectClass.BIRD_CLUTTER,
        AcousticClass.UNKNOWN: None,
    }
)
"""dronewarn's class for each ``cls``; ``unknown`` gives no class hint (it carries none)."""

_ACOUSTIC_CLASS: MappingProxyType[ObjectClass, AcousticClass] = MappingProxyType(
    {obj: cls for cls, obj in OBJECT_CLASS.items() if obj is not None}
)


class OversizePayloadError(FieldValueError):
    """A payload larger than the configured limit (refused unread)."""

    kind = "oversize"


class TopicError(FieldValueError):
    """A topic outside the layout, or naming another node than the payload does."""

    kind = "bad_topic"


@dataclass(frozen=True, slots=True)
class AcousticConfig:
    """One acoustic network as a node knows it.

    ``sensor_id`` is the network's id in the node's sensor configuration: every node of the
    network reports under it (the node id goes into ``Report.source``).
    """

    sensor_id: str
    network: str
    default_radius_m: float = 2000.0
    max_payload_bytes: int = 65_536
    max_batch: int = 1000


@dataclass(frozen=True, slots=True)
class AcousticDetection:
    """One detection, field for field as on the wire; the annotations are the schema.

    pydantic validates JSON straight into this class (strict: a JSON number for a float, an
    integer for ``t_ms``, a string for ``cls``; unknown keys refused; NaN/inf refused).
    ``null`` for an optional key means absent.
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(
        strict=True, extra="forbid", allow_inf_nan=False
    )

    version: Annotated[int, Field(alias="v")]
    node_id: Annotated[str, Field(alias="node", pattern=_ID_PATTERN)]
    lat_deg: Annotated[float, Field(alias="lat", ge=-90.0, le=90.0)]
    lon_deg: Annotated[float, Field(alias="lon", ge=-180.0, le=180.0)]
    time_ms: Annotated[int, Field(alias="t_ms", ge=0, lt=MAX_TIME_MS)]
    confidence: Annotated[float, Field(alias="conf", ge=0.0, le=1.0)]
    acoustic_class: Annotated[AcousticClass, Field(alias="cls")]
    alt_m: Annotated[float | None, Field(alias="alt_m", ge=-1000.0, le=9000.0)] = None
    bearing_deg: Annotated[float | None, Field(alias="brg_deg", ge=0.0, lt=360.0)] = None
    sigma_bearing_deg: Annotated[float | None, Field(alias="brg_sd_deg", gt=0.0, le=180.0)] = None
    radius_m: Annotated[float | None, Field(alias="r_m", gt=0.0, le=MAX_RADIUS_M)] = None


@dataclass(frozen=True, slots=True)
class AcousticPayload:
    """What one payload held: the detections that decoded and an error for each that did not.

    ``indices`` is each detection's position in the batch (``(0,)`` for a single object).
    """

    detections: tuple[AcousticDetection, ...]
    errors: tuple[DecodeError, ...]
    batch: bool
    indices: tuple[int, ...] = (0,)


@dataclass(frozen=True, slots=True)
class AcousticTopic:
    """A parsed topic: the node it names, or the gateway that relayed the payload."""

    network: str
    node_id: str | None
    gateway_id: str | None


# ---------------------------------------------------------------- topics


def node_topic(network: str, node_id: str) -> str:
    """The topic a node publishes its own detections on."""
    return f"{TOPIC_ROOT}/{network}/{node_id}"


def gateway_topic(network: str, gateway_id: str) -> str:
    """The topic a gateway publishes relayed detections on."""
    return f"{TOPIC_ROOT}/{network}/{GATEWAY_LEVEL}/{gateway_id}"


def topic_filter(network: str) -> str:
    """The MQTT subscription covering a network's node and gateway topics."""
    return f"{TOPIC_ROOT}/{network}/#"


def parse_topic(topic: str, network: str) -> AcousticTopic:
    """The node or gateway a topic names; TopicError if it is outside ``network``'s layout."""
    prefix = f"{TOPIC_ROOT}/{network}/"
    if topic.startswith(prefix):
        rest = topic[len(prefix) :].split("/")
        if len(rest) == 1 and _ID.fullmatch(rest[0]):
            return AcousticTopic(network, rest[0], None)
        if len(rest) == 2 and rest[0] == GATEWAY_LEVEL and _ID.fullmatch(rest[1]):
            return AcousticTopic(network, None, rest[1])
        reason = "is neither <network>/<node_id> nor <network>/gw/<gateway_id>"
    else:
        reason = f"is not under {prefix}"
    raise TopicError(
        f"topic {topic[:200]!r} {reason}",
        data=topic.encode("utf-8", "replace")[:MAX_ERROR_BYTES],
        field="topic",
    )


# ---------------------------------------------------------------- decoding

# Validators are immutable once built (pydantic-core schemas); building them per call would
# cost milliseconds.
_ONE = TypeAdapter(AcousticDetection)
_MANY = TypeAdapter(list[AcousticDetection])
_MANY_GOOD = TypeAdapter(list[OnErrorOmit[AcousticDetection]])


def _json_error(text: str, payload: bytes) -> DecodeError:
    """A JSON syntax error as TruncatedError (the input ends early) or FieldValueError.

    The offset is the end of the payload for a truncation, else the byte the parser's
    ``line L column C`` points at (columns counted in characters: exact for ASCII).
    """
    data = payload[:MAX_ERROR_BYTES]
    if text.startswith("EOF"):
        return TruncatedError(f"not JSON: {text}", data=data, offset=len(payload), field="payload")
    offset = None
    match = _LINE_COLUMN.search(text)
    if match:
        lines = payload.split(b"\n")[: int(match.group(1)) - 1]
        offset = sum(len(line) + 1 for line in lines) + int(match.group(2)) - 1
    return FieldValueError(f"not JSON: {text}", data=data, offset=offset, field="payload")


_LINE_COLUMN = re.compile(r"line (\d+) column (\d+)")


def _element_error(
    errors: list[ErrorDetails], element: object, prefix: str, data: bytes
) -> DecodeError:
    """The error of one object: UnsupportedError for another ``v``, else its first field error."""
    if isinstance(element, dict):
        version = element.get("v")
        if type(version) is int and version != SCHEMA_VERSION:
            return _unsupported(version, prefix, data)
    first = errors[0]
    field = field_path(first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return FieldValueError(f"{field}: {first['msg']}{more}", data=data, field=field)


def _unsupported(version: int, prefix: str, data: bytes) -> UnsupportedError:
    return UnsupportedError(
        f"{prefix}v: schema version {version} (this decoder reads {SCHEMA_VERSION})",
        data=data,
        field=prefix + "v",
    )


def _check(detection: AcousticDetection, prefix: str, data: bytes) -> AcousticDetection:
    """What the schema's types cannot say: the version, and a bearing only with its error."""
    if detection.version != SCHEMA_VERSION:
        raise _unsupported(detection.version, prefix, data)
    if (detection.bearing_deg is None) != (detection.sigma_bearing_deg is None):
        field = prefix + ("brg_sd_deg" if detection.sigma_bearing_deg is None else "brg_deg")
        raise FieldValueError(
            f"{field}: missing (brg_deg and brg_sd_deg come together)", data=data, field=field
        )
    return detection


def decode_payload(
    payload: bytes, *, max_bytes: int = 65_536, max_batch: int = 1000
) -> AcousticPayload:
    """Decode one message payload: a detection object or an array of them.

    Raises a DecodeError when the payload as a whole is unusable: over ``max_bytes``
    (OversizePayloadError), not JSON (TruncatedError when it ends early), neither an object
    nor an array, or an array of 0 or more than ``max_batch`` elements. A bad element of an
    array becomes one entry of ``errors`` (field ``[i].key``) and the others still decode; a
    bad single object is the one entry of ``errors``. Validation is pydantic's strict mode
    (JSON parsed and checked in Rust): no bool for a number, no float for ``t_ms``, no NaN.
    """
    data = payload[:MAX_ERROR_BYTES]
    if len(payload) > max_bytes:
        raise OversizePayloadError(
            f"payload of {len(payload)} bytes exceeds {max_bytes}", data=data, field="payload"
        )
    start = payload.lstrip()[:1]
    if start == b"[":
        return _decode_batch(payload, data, max_batch)
    try:
        one = _ONE.validate_json(payload)
    except ValidationError as error:
        details = error.errors(include_url=False)
        if details[0]["type"] == "json_invalid":
            raise _json_error(str(details[0].get("ctx", {}).get("error", "")), payload) from None
        if start != b"{":
            raise FieldValueError(
                "expected an object or an array of objects", data=data, field="$"
            ) from None
        bad = _element_error(details, _loads(payload), "", data)
        return AcousticPayload((), (bad,), batch=False, indices=())
    try:
        return AcousticPayload((_check(one, "", data),), (), batch=False)
    except DecodeError as error:
        return AcousticPayload((), (error,), batch=False, indices=())


def _loads(payload: bytes) -> object:
    """The JSON value of a payload pydantic has already parsed once (error paths only)."""
    try:
        return from_json(payload)
    except ValueError:
        return None


def _decode_batch(payload: bytes, data: bytes, max_batch: int) -> AcousticPayload:
    # Count the elements before validating them: 64 KiB of "{}," are 21,000 elements whose
    # errors would take pydantic half a second to build. from_json alone is cheap.
    try:
        raw = from_json(payload, allow_inf_nan=True)
    except ValueError as error:
        raise _json_error(str(error), payload) from None
    size = len(raw) if isinstance(raw, list) else 0
    if not 1 <= size <= max_batch:
        raise FieldValueError(
            f"a batch holds 1 to {max_batch} detections, not {size}", data=data, field="$"
        )
    try:
        items = _MANY.validate_json(payload)
        details: list[ErrorDetails] = []
    except ValidationError as error:
        details = error.errors(include_url=False)
        items = _MANY_GOOD.validate_json(payload)
    by_index: dict[int, list[ErrorDetails]] = {}
    for detail in details:
        index = detail["loc"][0] if detail["loc"] else 0
        by_index.setdefault(int(index), []).append(detail)
    good: list[AcousticDetection] = []
    bad: list[DecodeError] = []
    indices: list[int] = []
    valid = iter(items)
    for i in range(size):
        prefix = f"[{i}]."
        if i in by_index:
            bad.append(_element_error(by_index[i], raw[i], prefix, data))
            continue
        try:
            good.append(_check(next(valid), prefix, data))
            indices.append(i)
        except DecodeError as error:
            bad.append(error)
    return AcousticPayload(tuple(good), tuple(bad), batch=True, indices=tuple(indices))


def check_topic(topic: AcousticTopic, payload: AcousticPayload, data: bytes = b"") -> None:
    """TopicError if a node topic carries a detection of another node."""
    if topic.node_id is None:
        return
    for i, detection in zip(payload.indices, payload.detections, strict=True):
        if detection.node_id != topic.node_id:
            where = f"[{i}].node" if payload.batch else "node"
            raise TopicError(
                f"{where}: payload names node {detection.node_id!r}, topic names {topic.node_id!r}",
                data=data[:MAX_ERROR_BYTES],
                field=where,
            )


# ---------------------------------------------------------------- reports


def to_report(detection: AcousticDetection, config: AcousticConfig, source: str) -> Report:
    """The domain Report of one detection (BearingMeasurement, class hint from cls and conf)."""
    cls = OBJECT_CLASS[detection.acoustic_class]
    return Report(
        sensor_id=config.sensor_id,
        time_s=detection.time_ms / 1000.0,
        measurement=BearingMeasurement(
            site=GeoPoint(detection.lat_deg, detection.lon_deg, detection.alt_m),
            radius_m=detection.radius_m
            if detection.radius_m is not None
            else config.default_radius_m,
            bearing_deg=detection.bearing_deg,
            sigma_bearing_deg=detection.sigma_bearing_deg,
        ),
        class_hint=None if cls is None else ClassHint(cls, detection.confidence),
        source=source,
    )


@dataclass(frozen=True, slots=True)
class DecodedMessage:
    """One MQTT message turned into Reports, with one error per element that failed."""

    reports: list[Report]
    errors: list[DecodeError]


def decode_message(topic: str, payload: bytes, config: AcousticConfig) -> DecodedMessage:
    """Topic and payload of one MQTT message -> Reports; message-level failures raise.

    ``Report.source`` is ``mqtt:<topic>`` (``mqtt:<topic>[i]`` for the i-th of a batch).
    A node topic whose payload names another node is refused as a whole (TopicError).
    """
    where = parse_topic(topic, config.network)
    decoded = decode_payload(
        payload, max_bytes=config.max_payload_bytes, max_batch=config.max_batch
    )
    check_topic(where, decoded, payload)
    source = f"mqtt:{topic}"
    if decoded.batch:
        reports = [
            to_report(d, config, f"{source}[{i}]")
            for i, d in zip(decoded.indices, decoded.detections, strict=True)
        ]
    else:
        reports = [to_report(d, config, source) for d in decoded.detections]
    return DecodedMessage(reports, list(decoded.errors))


# ---------------------------------------------------------------- encoding


def detection_dict(detection: AcousticDetection) -> dict[str, object]:
    """The wire object of a detection (keys in the documented order, absent fields omitted)."""
    out: dict[str, object] = {
        "v": detection.version,
        "node": detection.node_id,
        "lat": detection.lat_deg,
        "lon": detection.lon_deg,
    }
    if detection.alt_m is not None:
        out["alt_m"] = detection.alt_m
    out["t_ms"] = detection.time_ms
    out["conf"] = detection.confidence
    out["cls"] = detection.acoustic_class.value
    if detection.bearing_deg is not None:
        out["brg_deg"] = detection.bearing_deg
        out["brg_sd_deg"] = detection.sigma_bearing_deg
    if detection.radius_m is not None:
        out["r_m"] = detection.radius_m
    return out


def encode_detection(detection: AcousticDetection) -> bytes:
    """One detection as a compact JSON object (what a node publishes)."""
    return json.dumps(detection_dict(detection), separators=(",", ":"), allow_nan=False).encode()


def encode_batch(detections: Sequence[AcousticDetection]) -> bytes:
    """Several detections as one JSON array (what a gateway, or a node catching up, publishes)."""
    return json.dumps(
        [detection_dict(d) for d in detections], separators=(",", ":"), allow_nan=False
    ).encode()


def detection_from_report(
    report: Report, node_id: str, confidence: float = 1.0
) -> AcousticDetection:
    """The detection a node would send for a (simulated) Report with a BearingMeasurement.

    The class comes from the report's class hint (``unknown`` without one, confidence
    ``confidence``); times are rounded to the millisecond.
    """
    m = report.measurement
    if not isinstance(m, BearingMeasurement):
        raise TypeError(f"an acoustic detection needs a BearingMeasurement, not {type(m).__name__}")
    hint = report.class_hint
    cls = (
        AcousticClass.UNKNOWN
        if hint is None
        else _ACOUSTIC_CLASS.get(hint.object_class, AcousticClass.UNKNOWN)
    )
    return AcousticDetection(
        version=SCHEMA_VERSION,
        node_id=node_id,
        lat_deg=m.site.lat_deg,
        lon_deg=m.site.lon_deg,
        time_ms=round(report.time_s * 1000.0),
        confidence=confidence if hint is None else hint.confidence,
        acoustic_class=cls,
        alt_m=m.site.alt_m,
        bearing_deg=m.bearing_deg,
        sigma_bearing_deg=m.sigma_bearing_deg,
        radius_m=m.radius_m,
    )
