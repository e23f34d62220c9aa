"""SAPIENT, BSI Flex 335 v2.0 (2024): framing, decoding, validation and conversion to Reports.

The messages are the protobuf classes of the ``sapient-proto`` package (Dstl's v2.0 schema,
``sapient_msg.bsi_flex_335_v2_0``); this module never parses protobuf by hand.

Framing (SAPIENT Interface Control Document v7, DSTL/PUB145591, TCP transport; unchanged by BSI Flex
335 v2.0): on a TCP stream each ``SapientMessage`` is preceded by its length as a 4-byte
little-endian unsigned integer. ``Deframer`` is fed bytes as they arrive and returns whole frames; a
declared length above ``max_message_bytes`` (1 MiB unless configured) raises ``FrameTooLargeError``
at once, before anything is buffered, and the stream cannot be trusted after it: the connection is
dropped. A zero-length frame is framed correctly; it decodes to an empty message, which
``decode_message`` refuses (no timestamp, no node id), so the stream goes on.

``SapientMessage`` (sapient_message.proto): ``timestamp`` (mandatory; the time the message was
sent: a DetectionReport has no time of its own, so a Report's ``time_s`` is this one),
``node_id`` (mandatory UUID), ``destination_id`` (UUID), ``oneof content``. Mandatory fields
and ULID/UUID formats are the schema's own options (``sapient_msg.ValidationOptions``:
``is_mandatory``, ``is_ulid``, ``is_uuid``), read from the descriptors at import, so a field the
schema makes mandatory is checked without a hand-kept list. ``decode_message`` turns one frame
into frozen dataclasses of the format's own fields (``SapientMessageData`` and its content);
``detection_to_report`` turns a DetectionReport into a domain ``Report``.

Conversion choices (a DetectionReport, detection_report.proto):

* ``location`` (``x`` longitude, ``y`` latitude, ``z`` altitude; errors in the units of the declared
  coordinate system, so degrees or radians for x/y and metres for z): ``LAT_LNG_DEG_M`` and
  ``LAT_LNG_RAD_M`` are read; ``UTM_M`` is refused (UnsupportedError): the zone is not reliably in
  the message. Datum ``WGS84_E`` (ellipsoid) gives the height as is; ``WGS84_G`` (geoid) keeps
  latitude and longitude, which are the same, and drops the height (``alt_m`` None): dronewarn ships
  no geoid model, and the geoid undulation (tens of metres over Poland and Belarus) would be a
  silent bias. The horizontal sigma is the root mean square of the east and north errors converted
  to metres (WGS84 radii of curvature at the latitude), the same one-number accuracy as
  ``TrackState.sigma_position_m``.
* ``range_bearing`` (``azimuth``, ``elevation``, ``range`` with errors, from the node):
  angles in degrees or radians, range in metres or kilometres as the coordinate system says;
  only the ``TRUE`` (true north) datum is read: ``MAGNETIC``, ``GRID`` and ``PLATFORM`` need a
  declination, a grid convergence or the platform's heading, and are refused
  (UnsupportedError). The site is the node's location from its latest StatusReport, else the
  configured sensor site; with neither the report is refused (``NoSiteError``).
* An absent or zero error means "not stated": the configured default sigma is used.
* ``classification`` -> ``ClassHint`` (``class_hint``): the highest-confidence class and, down
  its tree, the highest-confidence sub-class at each level; the deepest level that says
  something decides. A sub-class's confidence is capped by its parent's (a sub-class cannot
  be surer than its class). Names are matched case-insensitively on words:

  ========================================================  ================================
  class path (any level)                                     dronewarn
  ========================================================  ================================
  UAV / UAS / drone, then rotary wing, rotor, helicopter     MULTIROTOR
  multirotor, quadcopter, hexacopter... (any context)        MULTIROTOR
  UAV / UAS / drone, then fixed wing                         ``fixed_wing_class`` (SHAHED)
  UAV / UAS / drone, then jet                                JET_DRONE
  Shahed, Geran / Gerbera (any level)                        SHAHED / GERBERA
  manned, crewed, helicopter, airliner, aeroplane, glider    CREWED
  Bird, clutter (also under Animal)                          BIRD_CLUTTER
  Human, person, Vehicle (not Air Vehicle), car, boat...     not an air object: no Report
  Animal (no bird below it)                                  not an air object: no Report
  Air Vehicle alone, or with fixed/rotary wing but neither   no hint (UNKNOWN: could be
  UAV nor crewed; Unknown, Other, any unrecognised name      crewed or not)
  ========================================================  ================================

  A generic fixed-wing UAV becomes SHAHED by default: Gerbera decoys and Shahed-type
  munitions are both fixed-wing UAVs that a sensor's taxonomy rarely tells apart, and taking
  the dangerous one is the fail-safe choice for an early-warning system (the tracker's speed
  model still weighs the two); a site can set ``fixed_wing_class`` to GERBERA or UNKNOWN.
* ``enu_velocity`` cannot be carried by a ``Report`` (it has no velocity field): it is kept in
  ``SapientDetection`` and returned in m/s beside the Report by ``detection_to_report``
  (units from the node's registration, ``SPEED_UNITS_KPH`` converted).
* A report whose ``state`` says the object is lost (``lost``, ``deleted``, ``dropped``) gives
  no Report: its location is the last one seen, not a new observation.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from google.protobuf.message import (  # type: ignore[import-untyped, unused-ignore]
    DecodeError as ProtobufDecodeError,
)
from sapient_msg import proto_options_pb2
from sapient_msg.bsi_flex_335_v2_0.sapient_message_pb2 import SapientMessage

from dronewarn.domain.errors import FieldValueError, TruncatedError, UnsupportedError
from dronewarn.domain.report import (
    ClassHint,
    GeoPoint,
    ObjectClass,
    PolarMeasurement,
    PositionMeasurement,
    Report,
)

ICD_VERSION: Final = "BSI Flex 335 v2.0"
"""The ``icd_version`` a v2.0 node registers with (underscores for spaces are also read)."""
HEADER_BYTES: Final = 4
MAX_MESSAGE_BYTES: Final = 1 << 20
MAX_CLASS_DEPTH: Final = 16
"""Levels of classification below the top class that are read; deeper trees are refused."""
EARLIEST_TIME_S: Final = 946_684_800.0
"""2000-01-01T00:00:00Z: an older timestamp is a clock that was never set."""
LATEST_TIME_S: Final = 4_102_444_800.0
"""2100-01-01T00:00:00Z."""

_HEADER = struct.Struct("<I")
_WGS84_A_M = 6_378_137.0
_WGS84_E2 = 6.694_379_990_14e-3
_ULID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", re.IGNORECASE)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_LOST_STATES = frozenset({"lost", "deleted", "dropped"})


# ------------------------------------------------------------------------------------ errors


class FrameTooLargeError(FieldValueError):
    """A frame declares a length above the limit: the stream is dropped, nothing is buffered."""

    kind = "oversize"


class WireFormatError(FieldValueError):
    """The frame is not a valid protobuf ``SapientMessage`` (corrupt, truncated, bad UTF-8)."""

    kind = "bad_protobuf"


class NoSiteError(FieldValueError):
    """A range-bearing report from a node whose location nobody knows."""

    kind = "no_site"


# ----------------------------------------------------------------------------------- framing


def frame(payload: bytes) -> bytes:
    """``payload`` behind its 4-byte little-endian length."""
    return _HEADER.pack(len(payload)) + payload


def encode_message(message: SapientMessage) -> bytes:
    """A ``SapientMessage`` serialised and framed for a TCP stream."""
    return frame(message.SerializeToString())


class Deframer:
    """Splits a byte stream into SAPIENT frames; feed it bytes as they arrive.

    Memory is bounded by ``max_message_bytes`` plus one read: a header announcing more raises
    ``FrameTooLargeError`` before its body is awaited. After that error the deframer stays
    broken (every later ``feed`` raises it again): the stream has lost its framing.
    """

    def __init__(self, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self._max = max_message_bytes
        self._buffer = bytearray()
        self._consumed = 0
        """Stream offset of ``_buffer[0]``."""
        self._broken: FrameTooLargeError | None = None

    @property
    def offset(self) -> int:
        """Stream offset of the next byte not yet returned in a frame."""
        return self._consumed

    @property
    def pending(self) -> int:
        """Bytes buffered towards the next frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """The frames completed by ``data``, each with the stream offset of its header."""
        if self._broken is not None:
            raise self._broken
        self._buffer += data
        frames: list[tuple[int, bytes]] = []
        start = 0
        view = self._buffer
        while len(view) - start >= HEADER_BYTES:
            (length,) = _HEADER.unpack_from(view, start)
            if length > self._max:
                self._broken = FrameTooLargeError(
                    f"frame declares {length} bytes, above the {self._max}-byte limit",
                    data=bytes(view[start : start + HEADER_BYTES]),
                    offset=self._consumed + start,
                    field="length",
                )
                self._buffer = bytearray()
                raise self._broken
            end = start + HEADER_BYTES + length
            if end > len(view):
                break
            frames.append((self._consumed + start, bytes(view[start + HEADER_BYTES : end])))
            start = end
        if start:
            del self._buffer[:start]
            self._consumed += start
        return frames

    def check_complete(self) -> None:
        """At the end of a stream: raise TruncatedError if it stopped inside a frame."""
        if self._buffer:
            raise TruncatedError(
                f"stream ends {len(self._buffer)} bytes into a frame",
                data=bytes(self._buffer[:64]),
                offset=self._consumed,
                field="length" if len(self._buffer) < HEADER_BYTES else "message",
            )


# ------------------------------------------------------------------ schema validation rules


@dataclass(frozen=True, slots=True)
class _FieldRule:
    name: str
    mandatory: bool
    repeated: bool
    ulid: bool
    uuid: bool
    message: str | None
    """Full name of the field's message type when it is a SAPIENT message (to descend into)."""


@dataclass(frozen=True, slots=True)
class _MessageRules:
    fields: tuple[_FieldRule, ...]
    mandatory_oneofs: tuple[str, ...]


def _options(holder: Any, extension: Any) -> Any:
    options = holder.GetOptions()
    return options.Extensions[extension] if options.HasExtension(extension) else None


def _schema_rules(root: Any) -> MappingProxyType[str, _MessageRules]:
    """Validation rules of every SAPIENT message reachable from ``root``, by full name."""
    rules: dict[str, _MessageRules] = {}
    todo = [root]
    while todo:
        descriptor = todo.pop()
        if descriptor.full_name in rules:
            continue
        fields: list[_FieldRule] = []
        for fd in descriptor.fields:
            opts = _options(fd, proto_options_pb2.field_options)
            sub = fd.message_type
            sapient_sub = sub is not None and sub.full_name.startswith("sapient_msg.")
            if sapient_sub:
                todo.append(sub)
            fields.append(
                _FieldRule(
                    name=fd.name,
                    mandatory=bool(opts is not None and opts.is_mandatory),
                    repeated=bool(fd.is_repeated),
                    ulid=bool(opts is not None and opts.is_ulid),
                    uuid=bool(opts is not None and opts.is_uuid),
                    message=sub.full_name if sapient_sub else None,
                )
            )
        oneofs = tuple(
            o.name
            for o in descriptor.oneofs
            if (opt := _options(o, proto_options_pb2.oneof_options)) is not None
            and opt.is_mandatory
        )
        checked = tuple(f for f in fields if f.mandatory or f.message or f.ulid or f.uuid)
        rules[descriptor.full_name] = _MessageRules(checked, oneofs)
    return MappingProxyType(rules)


_RULES: Final = _schema_rules(SapientMessage.DESCRIPTOR)


def is_ulid(text: str) -> bool:
    """A 26-character Crockford base-32 ULID (case-insensitive, as the ULID spec reads it)."""
    return _ULID.fullmatch(text) is not None


def is_uuid(text: str) -> bool:
    """A UUID in its canonical 8-4-4-4-12 hexadecimal form (any version, any case)."""
    return _UUID.fullmatch(text) is not None


def schema_problems(message: Any, path: str) -> list[str]:
    """Every breach of the schema's own rules in ``message``: missing mandatory fields and
    oneofs, malformed ULIDs and UUIDs. Each problem is ``"dotted.path: what"``."""
    problems: list[str] = []
    _check(message, path, problems)
    return problems


def _id_problem(rule: _FieldRule, value: str) -> str | None:
    if rule.ulid and not is_ulid(value):
        return f"{value[:40]!r} is not a ULID"
    if rule.uuid and not is_uuid(value):
        return f"{value[:40]!r} is not a UUID"
    return None


def _check(message: Any, path: str, problems: list[str]) -> None:
    rules = _RULES.get(message.DESCRIPTOR.full_name)
    if rules is None:
        return
    for oneof in rules.mandatory_oneofs:
        if message.WhichOneof(oneof) is None:
            problems.append(f"{path}.{oneof}: mandatory, missing")
    # ListFields holds exactly the fields present (set, or non-empty when repeated)
    present = {fd.name: value for fd, value in message.ListFields()}
    for rule in rules.fields:
        value = present.get(rule.name)
        if value is None:
            if rule.mandatory:
                what = "empty" if rule.repeated else "missing"
                problems.append(f"{path}.{rule.name}: mandatory, {what}")
            continue
        items = value if rule.repeated else (value,)
        for i, item in enumerate(items):
            if rule.message is not None:
                _check(item, _at(path, rule, i), problems)
            elif isinstance(item, str) and (bad := _id_problem(rule, item)) is not None:
                problems.append(f"{_at(path, rule, i)}: {bad}")


def _at(path: str, rule: _FieldRule, index: int) -> str:
    return f"{path}.{rule.name}[{index}]" if rule.repeated else f"{path}.{rule.name}"


# ------------------------------------------------------------------------ decoded messages


class ContentKind(StrEnum):
    """Which ``content`` a SapientMessage carries (the oneof's field names)."""

    REGISTRATION = "registration"
    REGISTRATION_ACK = "registration_ack"
    STATUS_REPORT = "status_report"
    DETECTION_REPORT = "detection_report"
    TASK = "task"
    TASK_ACK = "task_ack"
    ALERT = "alert"
    ALERT_ACK = "alert_ack"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class SapientLocation:
    """``Location``: x is longitude, y latitude, z altitude; errors in the same units.

    Enumerations are kept by their schema names (``LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M``).
    """

    x: float
    y: float
    z: float | None
    x_error: float | None
    y_error: float | None
    z_error: float | None
    coordinate_system: str
    datum: str
    utm_zone: str | None = None


@dataclass(frozen=True, slots=True)
class SapientRangeBearing:
    """``RangeBearing`` from the reporting node, in the units its coordinate system names."""

    range: float | None
    azimuth: float | None
    elevation: float | None
    range_error: float | None
    azimuth_error: float | None
    elevation_error: float | None
    coordinate_system: str
    datum: str


@dataclass(frozen=True, slots=True)
class SapientVelocity:
    """``ENUVelocity``: east, north, up rates in the units the node registered (m/s default)."""

    east_rate: float
    north_rate: float
    up_rate: float | None = None
    east_rate_error: float | None = None
    north_rate_error: float | None = None
    up_rate_error: float | None = None


@dataclass(frozen=True, slots=True)
class SapientClass:
    """One level of a classification tree: ``level`` 0 is the top class."""

    type: str
    confidence: float | None
    level: int
    sub_classes: tuple[SapientClass, ...] = ()


@dataclass(frozen=True, slots=True)
class SapientAssociation:
    """``AssociatedDetection``: another node's detection this one refers to."""

    node_id: str
    object_id: str
    time_s: float | None = None
    association_type: str | None = None


@dataclass(frozen=True, slots=True)
class SapientDetection:
    """``DetectionReport``: one object seen by a node (``object_id`` is stable per object)."""

    report_id: str
    object_id: str
    task_id: str | None
    state: str | None
    location: SapientLocation | None
    range_bearing: SapientRangeBearing | None
    detection_confidence: float | None
    classes: tuple[SapientClass, ...]
    velocity: SapientVelocity | None
    object_ident: str | None = None
    """The report's ``id`` field (e.g. a tail number)."""
    colour: str | None = None
    associated: tuple[SapientAssociation, ...] = ()


@dataclass(frozen=True, slots=True)
class SapientStatusEntry:
    level: str | None
    type: str
    value: str | None


@dataclass(frozen=True, slots=True)
class SapientStatus:
    """``StatusReport``: the node's state, mode and (when it says so) location."""

    report_id: str
    system: str
    info: str
    mode: str
    active_task_id: str | None
    node_location: SapientLocation | None
    power_level: int | None
    entries: tuple[SapientStatusEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class SapientCapability:
    category: str
    type: str
    value: str | None = None
    units: str | None = None


@dataclass(frozen=True, slots=True)
class SapientRegistration:
    """``Registration``, decoded even when incomplete.

    ``problems`` lists what the schema (and dronewarn) require and the message lacks: the
    answer to an incomplete registration is a RegistrationAck that refuses it and says why.
    """

    icd_version: str | None
    name: str | None
    short_name: str | None
    node_types: tuple[str, ...]
    node_sub_types: tuple[str, ...]
    capabilities: tuple[SapientCapability, ...]
    status_interval_s: float | None
    mode_names: tuple[str, ...]
    velocity_units: str | None
    """``SPEED_UNITS_MS`` or ``SPEED_UNITS_KPH`` of the first detection definition declaring
    ENU velocity units (None: m/s, the SI default)."""
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SapientRegistrationAck:
    acceptance: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SapientAlert:
    """``Alert``: a node's notice (its ``alert_id`` is what an AlertAck answers)."""

    alert_id: str
    alert_type: str | None
    status: str | None
    description: str | None
    location: SapientLocation | None
    range_bearing: SapientRangeBearing | None
    region_id: str | None
    priority: str | None
    ranking: float | None
    confidence: float | None
    associated: tuple[SapientAssociation, ...] = ()
    additional_information: str | None = None


@dataclass(frozen=True, slots=True)
class SapientAlertAck:
    alert_id: str
    status: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SapientErrorReport:
    """``Error``: a peer telling us a message of ours was wrong."""

    packet: bytes
    messages: tuple[str, ...]


Content = (
    SapientRegistration
    | SapientRegistrationAck
    | SapientStatus
    | SapientDetection
    | SapientAlert
    | SapientAlertAck
    | SapientErrorReport
)


@dataclass(frozen=True, slots=True)
class SapientMessageData:
    """One decoded ``SapientMessage``: its envelope and its content."""

    time_s: float
    node_id: str
    """Lower-case canonical UUID of the sending node."""
    destination_id: str | None
    kind: ContentKind
    content: Content
    additional_information: str | None = None


# ----------------------------------------------------------------------------------- decode


def _opt_float(message: Any, name: str) -> float | None:
    return float(getattr(message, name)) if message.HasField(name) else None


def _opt_str(message: Any, name: str) -> str | None:
    return str(getattr(message, name)) if message.HasField(name) else None


def _enum_name(message: Any, name: str, path: str, frame_bytes: bytes) -> str | None:
    """The schema name of an enum field's value; an unknown number is refused."""
    if not message.HasField(name):
        return None
    number = getattr(message, name)
    value = message.DESCRIPTOR.fields_by_name[name].enum_type.values_by_number.get(number)
    if value is None:
        raise FieldValueError(
            f"{number} is no value of the enumeration", data=frame_bytes, field=f"{path}.{name}"
        )
    return str(value.name)


def _timestamp_s(stamp: Any, path: str, frame_bytes: bytes) -> float:
    seconds = int(stamp.seconds)
    nanos = int(stamp.nanos)
    if not 0 <= nanos < 1_000_000_000:
        raise FieldValueError(
            f"nanos {nanos} outside [0, 1e9)", data=frame_bytes, field=f"{path}.nanos"
        )
    time_s = seconds + nanos * 1e-9
    if not EARLIEST_TIME_S <= time_s < LATEST_TIME_S:
        raise FieldValueError(
            f"{seconds} s is no plausible time (before 2000 or after 2100)",
            data=frame_bytes,
            field=f"{path}.seconds",
        )
    return time_s


def _location(loc: Any, path: str, frame_bytes: bytes) -> SapientLocation:
    return SapientLocation(
        x=float(loc.x),
        y=float(loc.y),
        z=_opt_float(loc, "z"),
        x_error=_opt_float(loc, "x_error"),
        y_error=_opt_float(loc, "y_error"),
        z_error=_opt_float(loc, "z_error"),
        coordinate_system=_enum_name(loc, "coordinate_system", path, frame_bytes) or "",
        datum=_enum_name(loc, "datum", path, frame_bytes) or "",
        utm_zone=_opt_str(loc, "utm_zone"),
    )


def _range_bearing(rb: Any, path: str, frame_bytes: bytes) -> SapientRangeBearing:
    return SapientRangeBearing(
        range=_opt_float(rb, "range"),
        azimuth=_opt_float(rb, "azimuth"),
        elevation=_opt_float(rb, "elevation"),
        range_error=_opt_float(rb, "range_error"),
        azimuth_error=_opt_float(rb, "azimuth_error"),
        elevation_error=_opt_float(rb, "elevation_error"),
        coordinate_system=_enum_name(rb, "coordinate_system", path, frame_bytes) or "",
        datum=_enum_name(rb, "datum", path, frame_bytes) or "",
    )


def _classes(items: Any, level: int, path: str, frame_bytes: bytes) -> tuple[SapientClass, ...]:
    if level > MAX_CLASS_DEPTH and len(items):
        raise FieldValueError(
            f"classification deeper than {MAX_CLASS_DEPTH} levels",
            data=frame_bytes,
            field=path,
        )
    return tuple(
        SapientClass(
            type=str(item.type),
            confidence=_opt_float(item, "confidence"),
            level=int(item.level) if level else 0,
            sub_classes=_classes(item.sub_class, level + 1, f"{path}[{i}].sub_class", frame_bytes),
        )
        for i, item in enumerate(items)
    )


def _associations(items: Any, path: str, frame_bytes: bytes) -> tuple[SapientAssociation, ...]:
    return tuple(
        SapientAssociation(
            node_id=str(item.node_id).lower(),
            object_id=str(item.object_id),
            time_s=(
                _timestamp_s(item.timestamp, f"{path}[{i}].timestamp", frame_bytes)
                if item.HasField("timestamp")
                else None
            ),
            association_type=_enum_name(item, "association_type", f"{path}[{i}]", frame_bytes),
        )
        for i, item in enumerate(items)
    )


def _detection(report: Any, frame_bytes: bytes) -> SapientDetection:
    path = "detection_report"
    where = report.WhichOneof("location_oneof")
    velocity = None
    if report.WhichOneof("velocity_oneof") == "enu_velocity":
        v = report.enu_velocity
        velocity = SapientVelocity(
            east_rate=float(v.east_rate),
            north_rate=float(v.north_rate),
            up_rate=_opt_float(v, "up_rate"),
            east_rate_error=_opt_float(v, "east_rate_error"),
            north_rate_error=_opt_float(v, "north_rate_error"),
            up_rate_error=_opt_float(v, "up_rate_error"),
        )
    return SapientDetection(
        report_id=str(report.report_id),
        object_id=str(report.object_id),
        task_id=_opt_str(report, "task_id"),
        state=_opt_str(report, "state"),
        location=(
            _location(report.location, f"{path}.location", frame_bytes)
            if where == "location"
            else None
        ),
        range_bearing=(
            _range_bearing(report.range_bearing, f"{path}.range_bearing", frame_bytes)
            if where == "range_bearing"
            else None
        ),
        detection_confidence=_opt_float(report, "detection_confidence"),
        classes=_classes(report.classification, 0, f"{path}.classification", frame_bytes),
        velocity=velocity,
        object_ident=_opt_str(report, "id"),
        colour=_opt_str(report, "colour"),
        associated=_associations(
            report.associated_detection, f"{path}.associated_detection", frame_bytes
        ),
    )


def _status(report: Any, frame_bytes: bytes) -> SapientStatus:
    path = "status_report"
    return SapientStatus(
        report_id=str(report.report_id),
        system=_enum_name(report, "system", path, frame_bytes) or "",
        info=_enum_name(report, "info", path, frame_bytes) or "",
        mode=str(report.mode),
        active_task_id=_opt_str(report, "active_task_id"),
        node_location=(
            _location(report.node_location, f"{path}.node_location", frame_bytes)
            if report.HasField("node_location")
            else None
        ),
        power_level=(
            int(report.power.level)
            if report.HasField("power") and report.power.HasField("level")
            else None
        ),
        entries=tuple(
            SapientStatusEntry(
                level=_enum_name(s, "status_level", f"{path}.status[{i}]", frame_bytes),
                type=_enum_name(s, "status_type", f"{path}.status[{i}]", frame_bytes) or "",
                value=_opt_str(s, "status_value"),
            )
            for i, s in enumerate(report.status)
        ),
    )


_TIME_UNIT_S: Final = MappingProxyType(
    {
        "TIME_UNITS_NANOSECONDS": 1e-9,
        "TIME_UNITS_MICROSECONDS": 1e-6,
        "TIME_UNITS_MILLISECONDS": 1e-3,
        "TIME_UNITS_SECONDS": 1.0,
        "TIME_UNITS_MINUTES": 60.0,
        "TIME_UNITS_HOURS": 3600.0,
        "TIME_UNITS_DAYS": 86400.0,
    }
)


def _registration(reg: Any, frame_bytes: bytes) -> SapientRegistration:
    path = "registration"
    problems = schema_problems(reg, path)
    icd = _opt_str(reg, "icd_version")
    if icd is not None and icd.replace("_", " ").strip() != ICD_VERSION:
        problems.append(f"{path}.icd_version: {icd[:40]!r} is not {ICD_VERSION!r}")

    def enum(message: Any, name: str, where: str) -> str | None:
        try:
            return _enum_name(message, name, where, frame_bytes)
        except FieldValueError as error:
            problems.append(f"{error.field}: {error}")
            return None

    interval_s = None
    if reg.HasField("status_definition") and reg.status_definition.HasField("status_interval"):
        interval = reg.status_definition.status_interval
        unit = enum(interval, "units", f"{path}.status_definition.status_interval")
        value = float(interval.value)
        if unit is not None and unit in _TIME_UNIT_S and math.isfinite(value) and value >= 0.0:
            interval_s = value * _TIME_UNIT_S[unit]
        else:
            problems.append(f"{path}.status_definition.status_interval: {value} {unit} is no time")
    velocity_units = None
    for i, mode in enumerate(reg.mode_definition):
        for j, definition in enumerate(mode.detection_definition):
            vt = definition.velocity_type
            if (
                velocity_units is None
                and definition.HasField("velocity_type")
                and vt.WhichOneof("velocity_units_oneof") == "enu_velocity_units"
            ):
                where = f"{path}.mode_definition[{i}].detection_definition[{j}].velocity_type"
                velocity_units = enum(vt.enu_velocity_units, "east_north_rate_units", where)
    node_types = tuple(
        name
        for i, nd in enumerate(reg.node_definition)
        if (name := enum(nd, "node_type", f"{path}.node_definition[{i}]")) is not None
    )
    return SapientRegistration(
        icd_version=icd,
        name=_opt_str(reg, "name"),
        short_name=_opt_str(reg, "short_name"),
        node_types=node_types,
        node_sub_types=tuple(str(s) for nd in reg.node_definition for s in nd.node_sub_type),
        capabilities=tuple(
            SapientCapability(
                category=str(c.category),
                type=str(c.type),
                value=_opt_str(c, "value"),
                units=_opt_str(c, "units"),
            )
            for c in reg.capabilities
        ),
        status_interval_s=interval_s,
        mode_names=tuple(str(mode.mode_name) for mode in reg.mode_definition),
        velocity_units=velocity_units,
        problems=tuple(problems),
    )


def _alert(alert: Any, frame_bytes: bytes) -> SapientAlert:
    path = "alert"
    where = alert.WhichOneof("location_oneof")
    return SapientAlert(
        alert_id=str(alert.alert_id),
        alert_type=_enum_name(alert, "alert_type", path, frame_bytes),
        status=_enum_name(alert, "status", path, frame_bytes),
        description=_opt_str(alert, "description"),
        location=(
            _location(alert.location, f"{path}.location", frame_bytes)
            if where == "location"
            else None
        ),
        range_bearing=(
            _range_bearing(alert.range_bearing, f"{path}.range_bearing", frame_bytes)
            if where == "range_bearing"
            else None
        ),
        region_id=_opt_str(alert, "region_id"),
        priority=_enum_name(alert, "priority", path, frame_bytes),
        ranking=_opt_float(alert, "ranking"),
        confidence=_opt_float(alert, "confidence"),
        associated=_associations(
            alert.associated_detection, f"{path}.associated_detection", frame_bytes
        ),
        additional_information=_opt_str(alert, "additional_information"),
    )


def decode_message(frame_bytes: bytes, *, offset: int | None = None) -> SapientMessageData:
    """One frame's payload as typed data; every failure is a DecodeError subclass.

    ``offset`` is where the frame sits in its stream (kept on errors). Envelope and content
    are checked against the schema's mandatory fields and ID formats; a Registration is the
    exception: it is returned with its ``problems`` so that the answer can list them.
    """
    message = SapientMessage()
    try:
        message.ParseFromString(frame_bytes)
    except (ProtobufDecodeError, ValueError) as error:
        raise WireFormatError(
            f"not a SapientMessage: {error}", data=frame_bytes, offset=offset, field="message"
        ) from error
    try:
        return _decode(message, frame_bytes, offset)
    except FieldValueError as error:
        if error.offset is None:
            error.offset = offset
        raise


def _decode(message: Any, frame_bytes: bytes, offset: int | None) -> SapientMessageData:
    if not message.HasField("timestamp"):
        raise FieldValueError(
            "mandatory timestamp missing", data=frame_bytes, offset=offset, field="timestamp"
        )
    time_s = _timestamp_s(message.timestamp, "timestamp", frame_bytes)
    node_id = str(message.node_id)
    if not message.HasField("node_id") or not is_uuid(node_id):
        raise FieldValueError(
            f"node_id {node_id[:40]!r} is not a UUID",
            data=frame_bytes,
            offset=offset,
            field="node_id",
        )
    destination = _opt_str(message, "destination_id")
    if destination is not None and not is_uuid(destination):
        raise FieldValueError(
            f"destination_id {destination[:40]!r} is not a UUID",
            data=frame_bytes,
            offset=offset,
            field="destination_id",
        )
    which = message.WhichOneof("content")
    if which is None:
        raise FieldValueError(
            "the message has no content", data=frame_bytes, offset=offset, field="content"
        )
    kind = ContentKind(which)
    if kind in (ContentKind.TASK, ContentKind.TASK_ACK):
        raise UnsupportedError(
            f"dronewarn does not task SAPIENT nodes ({kind.value})",
            data=frame_bytes,
            offset=offset,
            field=kind.value,
        )
    body = getattr(message, which)
    content: Content
    if kind is ContentKind.REGISTRATION:
        content = _registration(body, frame_bytes)
    else:
        problems = schema_problems(body, which)
        if problems:
            where, _, what = problems[0].partition(": ")
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise FieldValueError(f"{what}{more}", data=frame_bytes, offset=offset, field=where)
        content = _content(kind, body, frame_bytes)
    return SapientMessageData(
        time_s=time_s,
        node_id=node_id.lower(),
        destination_id=None if destination is None else destination.lower(),
        kind=kind,
        content=content,
        additional_information=_opt_str(message, "additional_information"),
    )


def _content(kind: ContentKind, body: Any, frame_bytes: bytes) -> Content:
    if kind is ContentKind.DETECTION_REPORT:
        return _detection(body, frame_bytes)
    if kind is ContentKind.STATUS_REPORT:
        return _status(body, frame_bytes)
    if kind is ContentKind.ALERT:
        return _alert(body, frame_bytes)
    if kind is ContentKind.ALERT_ACK:
        return SapientAlertAck(
            alert_id=str(body.alert_id),
            status=_enum_name(body, "alert_ack_status", "alert_ack", frame_bytes) or "",
            reasons=tuple(str(r) for r in body.reason),
        )
    if kind is ContentKind.REGISTRATION_ACK:
        return SapientRegistrationAck(
            acceptance=bool(body.acceptance),
            reasons=tuple(str(r) for r in body.ack_response_reason),
        )
    return SapientErrorReport(
        packet=bytes(body.packet), messages=tuple(str(m) for m in body.error_message)
    )


# ------------------------------------------------------------------------------- conversion


@dataclass(frozen=True, slots=True)
class SapientConfig:
    """How SAPIENT input becomes Reports at one node."""

    max_message_bytes: int = MAX_MESSAGE_BYTES
    default_sigma_h_m: float = 50.0
    """Horizontal 1-sigma when a location states no error."""
    default_sigma_range_m: float = 25.0
    default_sigma_bearing_deg: float = 1.0
    default_sigma_elevation_deg: float = 2.0
    default_class_confidence: float = 0.5
    """Confidence of a classification that states none."""
    fixed_wing_class: ObjectClass = ObjectClass.SHAHED
    """What a fixed-wing UAV without a more specific sub-class becomes (see module doc)."""


@dataclass(frozen=True, slots=True)
class NodeContext:
    """What a receiver knows about the node a detection came from."""

    sensor_id: str
    site: GeoPoint | None = None
    """Where the node is (its latest StatusReport, else configuration)."""
    velocity_units: str | None = None
    """``SPEED_UNITS_KPH`` if the node registered km/h, else m/s."""


@dataclass(frozen=True, slots=True)
class EnuVelocity:
    """A reported velocity in m/s (east, north, up), with 1-sigma errors where stated."""

    east_mps: float
    north_mps: float
    up_mps: float | None = None
    sigma_east_mps: float | None = None
    sigma_north_mps: float | None = None
    sigma_up_mps: float | None = None


class Skip(StrEnum):
    """Why a well-formed DetectionReport gives no Report."""

    NONE = ""
    NOT_AIR = "not_air"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class DetectionConversion:
    """A detection as dronewarn uses it: the Report (None when skipped, and why) and the
    velocity, which a Report cannot carry."""

    report: Report | None
    velocity: EnuVelocity | None
    skipped: Skip = Skip.NONE


@dataclass(frozen=True, slots=True)
class ClassMapping:
    """The outcome of reading a classification tree."""

    hint: ClassHint | None
    air: bool
    path: tuple[str, ...] = ()
    """The class names followed, top first."""


def _finite(value: float, field_name: str) -> float:
    if not math.isfinite(value):
        raise FieldValueError(f"{value} is not a finite number", field=field_name)
    return value


def _sigma(value: float | None, scale: float, default: float, field_name: str) -> float:
    """A stated error times ``scale``; absent or zero means not stated; negative is refused."""
    if value is None:
        return default
    _finite(value, field_name)
    if value < 0.0:
        raise FieldValueError(f"error {value} is negative", field=field_name)
    return value * scale if value > 0.0 else default


def _radii_m(lat_deg: float) -> tuple[float, float]:
    """WGS84 meridional and prime-vertical radii of curvature at ``lat_deg``."""
    s = math.sin(math.radians(lat_deg))
    w = math.sqrt(1.0 - _WGS84_E2 * s * s)
    return _WGS84_A_M * (1.0 - _WGS84_E2) / w**3, _WGS84_A_M / w


def location_measurement(
    loc: SapientLocation, config: SapientConfig, field_name: str = "location"
) -> PositionMeasurement:
    """A SAPIENT location as a WGS84 position with 1-sigma errors in metres."""
    system = loc.coordinate_system
    if system == "LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M":
        to_deg, to_rad = 1.0, math.pi / 180.0  # degrees are kept exactly as sent
    elif system == "LOCATION_COORDINATE_SYSTEM_LAT_LNG_RAD_M":
        to_deg, to_rad = 180.0 / math.pi, 1.0
    elif system == "LOCATION_COORDINATE_SYSTEM_UTM_M":
        raise UnsupportedError(
            "UTM locations are not read", field=f"{field_name}.coordinate_system"
        )
    else:
        raise FieldValueError(
            f"coordinate system {system or 'unspecified'!r} gives no units",
            field=f"{field_name}.coordinate_system",
        )
    if loc.datum not in ("LOCATION_DATUM_WGS84_E", "LOCATION_DATUM_WGS84_G"):
        raise FieldValueError(f"datum {loc.datum or 'unspecified'!r}", field=f"{field_name}.datum")
    lat_deg = _finite(loc.y, f"{field_name}.y") * to_deg
    lon_deg = _finite(loc.x, f"{field_name}.x") * to_deg
    if not -90.0 <= lat_deg <= 90.0:
        raise FieldValueError(f"latitude {lat_deg} outside [-90, 90]", field=f"{field_name}.y")
    if not -180.0 <= lon_deg <= 180.0:
        raise FieldValueError(f"longitude {lon_deg} outside [-180, 180]", field=f"{field_name}.x")
    meridional_m, normal_m = _radii_m(lat_deg)
    east_scale = to_rad * normal_m * math.cos(math.radians(lat_deg))
    sigma_east = _sigma(loc.x_error, east_scale, 0.0, f"{field_name}.x_error")
    sigma_north = _sigma(loc.y_error, to_rad * meridional_m, 0.0, f"{field_name}.y_error")
    stated = [e for e in (sigma_east, sigma_north) if e > 0.0]
    sigma_h = (
        math.sqrt(sum(e * e for e in stated) / len(stated)) if stated else config.default_sigma_h_m
    )
    alt_m = None
    sigma_v = None
    if loc.z is not None and loc.datum == "LOCATION_DATUM_WGS84_E":
        alt_m = _finite(loc.z, f"{field_name}.z")
        if loc.z_error is not None:
            sigma_v = _sigma(loc.z_error, 1.0, 0.0, f"{field_name}.z_error") or None
    return PositionMeasurement(GeoPoint(lat_deg, lon_deg, alt_m), sigma_h, sigma_v)


_RB_UNITS: Final = MappingProxyType(
    {
        "RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M": (1.0, 1.0),
        "RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_M": (180.0 / math.pi, 1.0),
        "RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_KM": (1.0, 1000.0),
        "RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_KM": (180.0 / math.pi, 1000.0),
    }
)


def polar_measurement(
    rb: SapientRangeBearing,
    site: GeoPoint | None,
    config: SapientConfig,
    field_name: str = "range_bearing",
) -> PolarMeasurement:
    """A SAPIENT range-bearing as a polar measurement from ``site``."""
    units = _RB_UNITS.get(rb.coordinate_system)
    if units is None:
        raise FieldValueError(
            f"coordinate system {rb.coordinate_system or 'unspecified'!r} gives no units",
            field=f"{field_name}.coordinate_system",
        )
    if rb.datum in (
        "RANGE_BEARING_DATUM_MAGNETIC",
        "RANGE_BEARING_DATUM_GRID",
        "RANGE_BEARING_DATUM_PLATFORM",
    ):
        raise UnsupportedError(
            f"{rb.datum} bearings are not read (true north only)", field=f"{field_name}.datum"
        )
    if rb.datum != "RANGE_BEARING_DATUM_TRUE":
        raise FieldValueError(f"datum {rb.datum or 'unspecified'!r}", field=f"{field_name}.datum")
    if rb.range is None or rb.azimuth is None:
        missing = "range" if rb.range is None else "azimuth"
        raise FieldValueError("missing", field=f"{field_name}.{missing}")
    if site is None:
        raise NoSiteError(
            "the node's location is unknown (no StatusReport location, no configured site)",
            field=field_name,
        )
    to_deg, to_m = units
    range_m = _finite(rb.range, f"{field_name}.range") * to_m
    if range_m < 0.0:
        raise FieldValueError(f"range {range_m} m is negative", field=f"{field_name}.range")
    bearing_deg = (_finite(rb.azimuth, f"{field_name}.azimuth") * to_deg) % 360.0
    elevation_deg = None
    sigma_elevation = None
    if rb.elevation is not None:
        elevation_deg = _finite(rb.elevation, f"{field_name}.elevation") * to_deg
        if not -90.0 <= elevation_deg <= 90.0:
            raise FieldValueError(
                f"elevation {elevation_deg} outside [-90, 90]", field=f"{field_name}.elevation"
            )
        sigma_elevation = _sigma(
            rb.elevation_error,
            to_deg,
            config.default_sigma_elevation_deg,
            f"{field_name}.elevation_error",
        )
    return PolarMeasurement(
        site=site,
        range_m=range_m,
        bearing_deg=bearing_deg,
        sigma_range_m=_sigma(
            rb.range_error, to_m, config.default_sigma_range_m, f"{field_name}.range_error"
        ),
        sigma_bearing_deg=_sigma(
            rb.azimuth_error,
            to_deg,
            config.default_sigma_bearing_deg,
            f"{field_name}.azimuth_error",
        ),
        elevation_deg=elevation_deg,
        sigma_elevation_deg=sigma_elevation,
    )


def velocity_mps(velocity: SapientVelocity, units: str | None) -> EnuVelocity:
    """A reported ENU velocity in m/s (``units`` as registered; km/h converted)."""
    scale = 1.0 / 3.6 if units == "SPEED_UNITS_KPH" else 1.0

    def rate(value: float | None, name: str) -> float | None:
        return None if value is None else _finite(value, f"enu_velocity.{name}") * scale

    def error(value: float | None, name: str) -> float | None:
        return _sigma(value, scale, 0.0, f"enu_velocity.{name}") or None

    return EnuVelocity(
        east_mps=_finite(velocity.east_rate, "enu_velocity.east_rate") * scale,
        north_mps=_finite(velocity.north_rate, "enu_velocity.north_rate") * scale,
        up_mps=rate(velocity.up_rate, "up_rate"),
        sigma_east_mps=error(velocity.east_rate_error, "east_rate_error"),
        sigma_north_mps=error(velocity.north_rate_error, "north_rate_error"),
        sigma_up_mps=error(velocity.up_rate_error, "up_rate_error"),
    )


# ----------------------------------------------------------------------- classification


class _Context(StrEnum):
    NONE = "none"
    AIR = "air"
    UAV = "uav"
    CREWED = "crewed"
    ANIMAL = "animal"


_SPLIT = re.compile(r"[^a-z0-9]+")
_NOT_AIR_WORDS = frozenset(
    {"human", "humans", "person", "people", "pedestrian", "personnel", "car", "truck", "lorry"}
    | {"van", "bus", "motorcycle", "motorbike", "bicycle", "boat", "vessel", "ship", "tank"}
)
_UAV_WORDS = frozenset(
    {"uav", "uavs", "uas", "suas", "drone", "drones", "rpas", "rpa", "unmanned", "uncrewed"}
)
_CREWED_WORDS = frozenset(
    {"manned", "crewed", "airliner", "aeroplane", "airplane", "helicopter", "glider", "microlight"}
)
_MULTIROTOR_WORDS = frozenset(
    {"multirotor", "multicopter", "quadcopter", "quadrotor", "hexacopter", "octocopter"}
)
_AIR_WORDS = frozenset({"air", "aerial", "airborne", "aircraft", "aerospace"})
_BIRD_WORDS = frozenset({"bird", "birds", "clutter"})


def _words(name: str) -> tuple[str, ...]:
    return tuple(w for w in _SPLIT.split(name.lower()) if w)


def _classify_name(
    name: str, context: _Context, config: SapientConfig
) -> tuple[_Context, ObjectClass | None, bool]:
    """(context for the sub-classes, the class this name decides if any, still an air object)."""
    words = frozenset(_words(name))
    text = " ".join(_words(name))
    if words & {"shahed", "geran"}:
        return _Context.UAV, ObjectClass.SHAHED, True
    if "gerbera" in words:
        return _Context.UAV, ObjectClass.GERBERA, True
    if words & _BIRD_WORDS:
        return _Context.ANIMAL, ObjectClass.BIRD_CLUTTER, True
    if words & _MULTIROTOR_WORDS or "multi rotor" in text:
        return _Context.UAV, ObjectClass.MULTIROTOR, True
    rotary = bool(words & {"rotary", "rotor", "rotorcraft", "helicopter", "copter"})
    fixed = "fixed wing" in text or "fixedwing" in words
    jet = bool(words & {"jet", "turbojet"})
    if words & _UAV_WORDS or context is _Context.UAV:
        if rotary:
            return _Context.UAV, ObjectClass.MULTIROTOR, True
        if jet:
            return _Context.UAV, ObjectClass.JET_DRONE, True
        if fixed:
            return _Context.UAV, config.fixed_wing_class, True
        return _Context.UAV, None, True
    if words & _CREWED_WORDS or context is _Context.CREWED:
        return _Context.CREWED, ObjectClass.CREWED, True
    if words & _NOT_AIR_WORDS or ("vehicle" in words and not words & _AIR_WORDS):
        return _Context.NONE, None, False
    if words & {"animal", "animals"}:
        return _Context.ANIMAL, None, True
    if words & _AIR_WORDS:
        return _Context.AIR, None, True
    return context, None, True


def _confidence(value: float | None, field_name: str) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise FieldValueError(f"confidence {value} outside [0, 1]", field=field_name)
    return value


def _pick(classes: Sequence[SapientClass], default: float, field_name: str) -> SapientClass | None:
    """The class with the highest confidence (the first among equals)."""
    best = None
    best_confidence = -1.0
    for i, item in enumerate(classes):
        confidence = _confidence(item.confidence, f"{field_name}[{i}].confidence")
        value = default if confidence is None else confidence
        if value > best_confidence:
            best, best_confidence = item, value
    return best


def class_hint(classes: Sequence[SapientClass], config: SapientConfig) -> ClassMapping:
    """Map a SAPIENT classification tree to a dronewarn class hint (table in the module doc).

    The confidence is the smallest one stated on the path down to the deciding class (the
    configured default when none is stated).
    """
    field_name = "classification"
    node = _pick(classes, config.default_class_confidence, field_name)
    context = _Context.NONE
    decided: ObjectClass | None = None
    decided_confidence: float | None = None
    cap: float | None = None
    path: list[str] = []
    while node is not None and len(path) <= MAX_CLASS_DEPTH:
        path.append(node.type)
        if node.confidence is not None:
            cap = node.confidence if cap is None else min(cap, node.confidence)
        context, found, air = _classify_name(node.type, context, config)
        if not air:
            return ClassMapping(None, False, tuple(path))
        if found is not None:
            decided, decided_confidence = found, cap
        field_name += ".sub_class"
        node = _pick(node.sub_classes, config.default_class_confidence, field_name)
    if decided is None:
        return ClassMapping(None, context is not _Context.ANIMAL, tuple(path))
    if decided is ObjectClass.UNKNOWN:
        return ClassMapping(None, True, tuple(path))
    confidence = (
        config.default_class_confidence if decided_confidence is None else decided_confidence
    )
    return ClassMapping(ClassHint(decided, confidence), True, tuple(path))


# ---------------------------------------------------------------------- detection -> Report


def detection_to_report(
    message: SapientMessageData,
    detection: SapientDetection,
    node: NodeContext,
    config: SapientConfig,
) -> DetectionConversion:
    """A DetectionReport as a domain Report (see the module doc for every choice made).

    Raises UnsupportedError for a coordinate system or datum dronewarn does not read,
    FieldValueError (NoSiteError for a range-bearing without a known site) for values the
    specification forbids.
    """
    velocity = (
        None
        if detection.velocity is None
        else velocity_mps(detection.velocity, node.velocity_units)
    )
    if detection.state is not None and detection.state.strip().lower() in _LOST_STATES:
        return DetectionConversion(None, velocity, Skip.LOST)
    mapping = class_hint(detection.classes, config)
    if not mapping.air:
        return DetectionConversion(None, velocity, Skip.NOT_AIR)
    if detection.location is not None:
        measurement: PositionMeasurement | PolarMeasurement = location_measurement(
            detection.location, config, "detection_report.location"
        )
    elif detection.range_bearing is not None:
        measurement = polar_measurement(
            detection.range_bearing, node.site, config, "detection_report.range_bearing"
        )
    else:
        raise FieldValueError("no location", field="detection_report.location_oneof")
    report = Report(
        sensor_id=node.sensor_id,
        time_s=message.time_s,
        measurement=measurement,
        class_hint=mapping.hint,
        source=f"sapient:{message.node_id}/{detection.object_id}/{detection.report_id}",
    )
    return DetectionConversion(report, velocity)


def status_site(status: SapientStatus, config: SapientConfig) -> GeoPoint | None:
    """The node's own location from a StatusReport, when it carries one."""
    if status.node_location is None:
        return None
    return location_measurement(status.node_location, config, "status_report.node_location").point


__all__ = [
    "ICD_VERSION",
    "MAX_MESSAGE_BYTES",
    "ClassMapping",
    "ContentKind",
    "Deframer",
    "DetectionConversion",
    "EnuVelocity",
    "FrameTooLargeError",
    "NoSiteError",
    "NodeContext",
    "SapientAlert",
    "SapientAlertAck",
    "SapientAssociation",
    "SapientCapability",
    "SapientClass",
    "SapientConfig",
    "SapientDetection",
    "SapientErrorReport",
    "SapientLocation",
    "SapientMessageData",
    "SapientRangeBearing",
    "SapientRegistration",
    "SapientRegistrationAck",
    "SapientStatus",
    "SapientStatusEntry",
    "SapientVelocity",
    "Skip",
    "WireFormatError",
    "class_hint",
    "decode_message",
    "detection_to_report",
    "encode_message",
    "frame",
    "is_ulid",
    "is_uuid",
    "location_measurement",
    "polar_measurement",
    "schema_problems",
    "status_site",
    "velocity_mps",
]
