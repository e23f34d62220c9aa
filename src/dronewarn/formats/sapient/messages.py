"""SAPIENT messages as frozen dataclasses of the format's own fields, decoded from one frame.

The messages are the protobuf classes of the ``sapient-proto`` package (Dstl's v2.0 schema,
``sapient_msg.bsi_flex_335_v2_0``); nothing here parses protobuf by hand.

``SapientMessage`` (sapient_message.proto): ``timestamp`` (mandatory; the time the message was
sent: a DetectionReport has no time of its own, so a Report's ``time_s`` is this one),
``node_id`` (mandatory UUID), ``destination_id`` (UUID), ``oneof content``. Mandatory fields
and ULID/UUID formats are the schema's own options (``sapient_msg.ValidationOptions``:
``is_mandatory``, ``is_ulid``, ``is_uuid``), read from the descriptors at import, so a field the
schema makes mandatory is checked without a hand-kept list. ``decode_message`` turns one frame
into frozen dataclasses of the format's own fields (``SapientMessageData`` and its content).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from google.protobuf.message import (  # type: ignore[import-untyped, unused-ignore]
    DecodeError as ProtobufDecodeError,
)
from sapient_msg.bsi_flex_335_v2_0.sapient_message_pb2 import SapientMessage

from dronewarn.domain.errors import FieldValueError, UnsupportedError
from dronewarn.formats.sapient.framing import WireFormatError
from dronewarn.formats.sapient.schema import is_uuid, schema_problems

ICD_VERSION: Final = "BSI Flex 335 v2.0"
"""The ``icd_version`` a v2.0 node registers with (underscores for spaces are also read)."""
MAX_CLASS_DEPTH: Final = 16
"""Levels of classification below the top class that are read; deeper trees are refused."""
EARLIEST_TIME_S: Final = 946_684_800.0
"""2000-01-01T00:00:00Z: an older timestamp is a clock that was never set."""
LATEST_TIME_S: Final = 4_102_444_800.0
"""2100-01-01T00:00:00Z."""


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
