"""dronewarn as a SAPIENT node: tracks as DetectionReports, warnings as Alerts, over TCP.

Specification: BSI Flex 335 v2.0 (2024), SAPIENT's message set; framing and session from the SAPIENT
Interface Control Document v7 (DSTL/PUB145591): each ``SapientMessage`` is preceded by its length as
a 4-byte little-endian unsigned integer. Messages are the ``sapient-proto`` classes.

Encoding (``track_message``, ``warning_message``):

* A ``TrackState`` is a ``DetectionReport``. ``object_id`` is a ULID derived from the track id
  (SHA-256), so the same track always has the same object id and a receiver can follow it;
  ``report_id`` is a fresh ULID. ``location`` is ``LAT_LNG_DEG_M`` on the ``WGS84_E``
  ellipsoid: ``x`` longitude, ``y`` latitude, ``z`` height (omitted when unknown); ``x_error``
  and ``y_error`` are the 1-sigma east and north errors of the covariance converted to degrees
  (the coordinate system's units), ``z_error`` the altitude sigma in metres. ``enu_velocity``
  (m/s, as registered) carries the east and north velocity with their sigmas.
  ``classification`` is a tree in the taxonomy the registration declares::

      MULTIROTOR    Air Vehicle > UAV > Rotary Wing
      SHAHED        Air Vehicle > UAV > Fixed Wing > Shahed
      GERBERA       Air Vehicle > UAV > Fixed Wing > Gerbera
      JET_DRONE     Air Vehicle > UAV > Jet
      CREWED        Air Vehicle > Manned
      BIRD_CLUTTER  Animal > Bird
      UNKNOWN       Air Vehicle

  with the track's class confidence at every level. ``detection_confidence`` is the track
  quality; ``state`` is the track status (``lost`` for a deleted track); ``track_info`` holds
  the dronewarn track id. The message timestamp is the track state's time (a DetectionReport
  has no time of its own).
* A ``Warning`` is an ``Alert``: ``alert_id`` is a ULID derived from (warning id, sequence), so
  a message sent again keeps its id; type and discrete priority from the warning priority (1
  critical/high, 2 warning/medium, 3 information/low); status ``ACTIVE`` while the warning is
  new or updated, ``CLEAR`` once it is closed; ``location`` is the track's position;
  ``confidence`` the entry probability (omitted without a prediction); the associated
  detection is the track's object id; ``additional_information`` is the whole warning as JSON
  (``dronewarn.domain.codec.warning_to_dict``) for a dronewarn receiver.

The session that sends them to a DMM is ``outputs.sapient_client``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
import struct
import time
import uuid
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from sapient_msg.bsi_flex_335_v2_0 import location_pb2, velocity_pb2
from sapient_msg.bsi_flex_335_v2_0.alert_pb2 import Alert
from sapient_msg.bsi_flex_335_v2_0.registration_pb2 import Registration
from sapient_msg.bsi_flex_335_v2_0.sapient_message_pb2 import SapientMessage
from sapient_msg.bsi_flex_335_v2_0.status_report_pb2 import StatusReport

from dronewarn import __version__
from dronewarn.domain.codec import warning_to_dict
from dronewarn.domain.errors import ConfigError
from dronewarn.domain.report import GeoPoint, ObjectClass, PositionMeasurement, Report
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.domain.warning import Warning

log = logging.getLogger(__name__)

ICD_VERSION: Final = "BSI Flex 335 v2.0"
MAX_MESSAGE_BYTES: Final = 1 << 20

_HEADER = struct.Struct("<I")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_WGS84_A_M = 6_378_137.0
_WGS84_E2 = 6.694_379_990_14e-3

CLASS_PATHS: Final = MappingProxyType(
    {
        ObjectClass.MULTIROTOR: ("Air Vehicle", "UAV", "Rotary Wing"),
        ObjectClass.SHAHED: ("Air Vehicle", "UAV", "Fixed Wing", "Shahed"),
        ObjectClass.GERBERA: ("Air Vehicle", "UAV", "Fixed Wing", "Gerbera"),
        ObjectClass.JET_DRONE: ("Air Vehicle", "UAV", "Jet"),
        ObjectClass.CREWED: ("Air Vehicle", "Manned"),
        ObjectClass.BIRD_CLUTTER: ("Animal", "Bird"),
        ObjectClass.UNKNOWN: ("Air Vehicle",),
    }
)
"""The SAPIENT class path of each dronewarn class, top class first."""


# ----------------------------------------------------------------------------- identifiers


def _ulid(time_ms: int, randomness: bytes) -> str:
    value = ((time_ms & ((1 << 48) - 1)) << 80) | int.from_bytes(randomness[:10], "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_ulid(time_s: float) -> str:
    """A fresh ULID (48-bit millisecond time, 80 random bits), Crockford base-32."""
    return _ulid(int(time_s * 1000.0), secrets.token_bytes(10))


def stable_ulid(key: str) -> str:
    """A ULID that is a pure function of ``key`` (its 128 bits from SHA-256)."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return _ulid(int.from_bytes(digest[:6], "big"), digest[6:16])


def track_object_id(track_id: str) -> str:
    """The SAPIENT ``object_id`` of a dronewarn track: stable for the track's whole life."""
    return stable_ulid(f"dronewarn-track/{track_id}")


def warning_alert_id(warning: Warning) -> str:
    """The SAPIENT ``alert_id`` of one warning message (the same when it is sent again)."""
    return stable_ulid(f"dronewarn-warning/{warning.warning_id}/{warning.sequence}")


# -------------------------------------------------------------------------------- encoding


def _stamp(message: SapientMessage, time_s: float) -> None:
    message.timestamp.FromNanoseconds(round(time_s * 1e9))


def envelope(node_id: str, time_s: float, destination_id: str | None) -> SapientMessage:
    message = SapientMessage(node_id=node_id)
    _stamp(message, time_s)
    if destination_id is not None:
        message.destination_id = destination_id
    return message


def _degrees_per_metre(lat_deg: float) -> tuple[float, float]:
    """(east, north) degrees per metre on the WGS84 ellipsoid at ``lat_deg``."""
    s = math.sin(math.radians(lat_deg))
    w = math.sqrt(1.0 - _WGS84_E2 * s * s)
    meridional = _WGS84_A_M * (1.0 - _WGS84_E2) / w**3
    normal = _WGS84_A_M / w
    east = normal * max(math.cos(math.radians(lat_deg)), 1e-9)
    return math.degrees(1.0 / east), math.degrees(1.0 / meridional)


def _sigma(variance: float) -> float:
    return math.sqrt(variance) if math.isfinite(variance) and variance > 0.0 else 0.0


def _set_location(
    location: Any,
    point: GeoPoint,
    sigma_east_m: float = 0.0,
    sigma_north_m: float = 0.0,
    sigma_up_m: float | None = None,
) -> None:
    location.x = point.lon_deg
    location.y = point.lat_deg
    if point.alt_m is not None and math.isfinite(point.alt_m):
        location.z = point.alt_m
        if sigma_up_m is not None and math.isfinite(sigma_up_m) and sigma_up_m > 0.0:
            location.z_error = sigma_up_m
    east_deg, north_deg = _degrees_per_metre(point.lat_deg)
    if sigma_east_m > 0.0:
        location.x_error = sigma_east_m * east_deg
    if sigma_north_m > 0.0:
        location.y_error = sigma_north_m * north_deg
    location.coordinate_system = location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    location.datum = location_pb2.LOCATION_DATUM_WGS84_E


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0) if math.isfinite(value) else 0.0


def track_message(
    state: TrackState, node_id: str, *, destination_id: str | None = None
) -> SapientMessage:
    """A track state as a SAPIENT DetectionReport (see the module doc for each field)."""
    message = envelope(node_id, state.time_s, destination_id)
    report = message.detection_report
    report.report_id = new_ulid(time.time())
    report.object_id = track_object_id(state.track_id)
    report.state = "lost" if state.status is TrackStatus.DELETED else state.status.value
    cov = state.cov_enu
    _set_location(
        report.location,
        state.position,
        _sigma(cov[0]),
        _sigma(cov[5]),
        state.altitude_sigma_m,
    )
    report.detection_confidence = _unit(state.quality)
    info = report.track_info.add()
    info.type = "track_id"
    info.value = state.track_id
    velocity = report.enu_velocity
    velocity.east_rate = state.vel_east_mps
    velocity.north_rate = state.vel_north_mps
    if (sigma := _sigma(cov[10])) > 0.0:
        velocity.east_rate_error = sigma
    if (sigma := _sigma(cov[15])) > 0.0:
        velocity.north_rate_error = sigma
    _class_path(report, state.object_class, _unit(state.class_confidence))
    return message


def _class_path(report: Any, object_class: ObjectClass, confidence: float) -> None:
    path = CLASS_PATHS[object_class]
    top = report.classification.add()
    top.type = path[0]
    top.confidence = confidence
    parent = top
    for level, name in enumerate(path[1:], start=1):
        sub = parent.sub_class.add()
        sub.type = name
        sub.level = level
        sub.confidence = confidence
        parent = sub


def detection_message(report: Report, node_id: str, *, object_key: str) -> SapientMessage:
    """A sensor's position detection as the DetectionReport a C-UAS edge node would send.

    This is the sensor side of SAPIENT (a simulated counter-drone sensor speaks it):
    ``object_id`` is a ULID derived from ``object_key``, the location carries the report's
    sigmas (converted to degrees, as ``track_message``) and the class hint becomes the
    classification tree. The message timestamp is the detection's time.
    """
    m = report.measurement
    if not isinstance(m, PositionMeasurement):
        raise TypeError(f"a DetectionReport is written from a position, not {type(m).__name__}")
    message = envelope(node_id, report.time_s, None)
    out = message.detection_report
    out.report_id = stable_ulid(f"{object_key}@{report.time_s!r}")
    out.object_id = stable_ulid(object_key)
    _set_location(out.location, m.point, m.sigma_h_m, m.sigma_h_m, m.sigma_v_m)
    if report.class_hint is not None:
        _class_path(out, report.class_hint.object_class, _unit(report.class_hint.confidence))
    return message


def sensor_registration_message(node_id: str, name: str, time_s: float) -> SapientMessage:
    """The Registration of a counter-drone radar edge node (the simulator's C-UAS sensors):
    the fusion node's registration (``registration_message``) with the node type RADAR."""
    config = SapientClientConfig("127.0.0.1", 0, node_id, name=name, short_name=name[:32])
    message = registration_message(config, time_s)
    definition = message.registration.node_definition[0]
    definition.node_type = Registration.NODE_TYPE_RADAR
    del definition.node_sub_type[:]
    definition.node_sub_type.append("counter-drone radar with classifier")
    return message


_ALERT_TYPE: Final = (
    Alert.ALERT_TYPE_CRITICAL,
    Alert.ALERT_TYPE_WARNING,
    Alert.ALERT_TYPE_INFORMATION,
)
_PRIORITY: Final = (
    Alert.DISCRETE_PRIORITY_HIGH,
    Alert.DISCRETE_PRIORITY_MEDIUM,
    Alert.DISCRETE_PRIORITY_LOW,
)


def warning_message(
    warning: Warning, node_id: str, *, destination_id: str | None = None
) -> SapientMessage:
    """A warning as a SAPIENT Alert (see the module doc for each field)."""
    message = envelope(node_id, warning.issued_s, destination_id)
    alert = message.alert
    alert.alert_id = warning_alert_id(warning)
    priority = min(max(warning.priority, 1), 3)
    alert.alert_type = _ALERT_TYPE[priority - 1]
    alert.priority = _PRIORITY[priority - 1]
    alert.status = (
        Alert.ALERT_STATUS_CLEAR if warning.state.is_closing else Alert.ALERT_STATUS_ACTIVE
    )
    where = warning.area or warning.recipient
    text = f"{warning.object_class.value} track {warning.track_id}: {warning.state.value}"
    if warning.entry is not None and math.isfinite(warning.entry.time_s):
        eta = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(warning.entry.time_s))
        text += f", entering {where} at {eta}"
        alert.confidence = _unit(warning.entry.probability)
    alert.description = text
    position = warning.track_position
    if math.isfinite(position.lat_deg) and math.isfinite(position.lon_deg):
        _set_location(alert.location, position)
    associated = alert.associated_detection.add()
    associated.node_id = node_id
    associated.object_id = track_object_id(warning.track_id)
    associated.timestamp.FromNanoseconds(round(warning.issued_s * 1e9))
    alert.additional_information = json.dumps(
        _json_safe(warning_to_dict(warning)), separators=(",", ":"), allow_nan=False
    )
    return message


def _json_safe(value: Any) -> Any:
    """``value`` with every non-finite float as None (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _class_tree(target: Any, names: list[tuple[str, ...]], level: int) -> None:
    """Add to ``target`` (a repeated SubClass/ClassDefinition field) the tree of ``names``."""
    heads: dict[str, list[tuple[str, ...]]] = {}
    for path in names:
        heads.setdefault(path[0], []).append(path[1:])
    for head, rests in heads.items():
        node = target.add()
        node.type = head
        if level:
            node.level = level
        _class_tree(node.sub_class, [r for r in rests if r], level + 1)


def registration_message(config: SapientClientConfig, time_s: float) -> SapientMessage:
    """The Registration of a dronewarn node, with every field the v2.0 schema makes mandatory."""
    message = envelope(config.node_id, time_s, config.destination_id)
    reg = message.registration
    definition = reg.node_definition.add()
    definition.node_type = Registration.NODE_TYPE_FUSION_NODE
    definition.node_sub_type.append("dronewarn cross-border drone early warning")
    reg.icd_version = ICD_VERSION
    reg.name = config.name
    reg.short_name = config.short_name
    for category, kind, value in (
        ("Track", "Air", "UAV tracks fused from radar, acoustic, C-UAS and sighting reports"),
        ("Alert", "Airspace entry", "warnings of predicted entry into a partner's airspace"),
    ):
        capability = reg.capabilities.add()
        capability.category = category
        capability.type = kind
        capability.value = value
    status = reg.status_definition
    status.status_interval.units = Registration.TIME_UNITS_SECONDS
    status.status_interval.value = config.status_interval_s
    status.location_definition.location_units = (
        location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    )
    status.location_definition.location_datum = location_pb2.LOCATION_DATUM_WGS84_E
    mode = reg.mode_definition.add()
    mode.mode_name = "default"
    mode.mode_type = Registration.MODE_TYPE_PERMANENT
    mode.settle_time.units = Registration.TIME_UNITS_SECONDS
    mode.settle_time.value = 0.0
    mode.scan_type = Registration.SCAN_TYPE_FIXED
    mode.tracking_type = Registration.TRACKING_TYPE_TRACK
    detection = mode.detection_definition.add()
    detection.location_type.location_units = location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    detection.location_type.location_datum = location_pb2.LOCATION_DATUM_WGS84_E
    track_info = detection.detection_report.add()
    track_info.category = Registration.DETECTION_REPORT_CATEGORY_TRACK
    track_info.type = "track_id"
    track_info.units = "dronewarn track id"
    classes = detection.detection_class_definition.add()
    classes.confidence_definition = Registration.CONFIDENCE_DEFINITION_SINGLE_CLASS
    _class_tree(classes.class_definition, list(CLASS_PATHS.values()), 0)
    velocity = detection.velocity_type
    velocity.enu_velocity_units.east_north_rate_units = velocity_pb2.SPEED_UNITS_MS
    velocity.enu_velocity_units.up_rate_units = velocity_pb2.SPEED_UNITS_MS
    velocity.location_datum = location_pb2.LOCATION_DATUM_WGS84_E
    task = mode.task
    task.concurrent_tasks = 0
    task.region_definition.region_type.append(Registration.REGION_TYPE_AREA_OF_INTEREST)
    area = task.region_definition.region_area.add()
    area.location_units = location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    area.location_datum = location_pb2.LOCATION_DATUM_WGS84_E
    config_data = reg.config_data.add()
    config_data.manufacturer = "dronewarn project"
    config_data.model = "dronewarn"
    config_data.software_version = __version__
    return message


def status_message(config: SapientClientConfig, time_s: float, *, first: bool) -> SapientMessage:
    """A StatusReport: system OK in the ``default`` mode, with the node's site if configured."""
    message = envelope(config.node_id, time_s, config.destination_id)
    status = message.status_report
    status.report_id = new_ulid(time_s)
    status.system = StatusReport.SYSTEM_OK
    status.info = StatusReport.INFO_NEW if first else StatusReport.INFO_UNCHANGED
    status.mode = "default"
    if config.site is not None:
        _set_location(status.node_location, config.site)
    return message


@dataclass(frozen=True, slots=True)
class SapientClientConfig:
    """Where dronewarn's SAPIENT node connects and how it introduces itself."""

    host: str
    port: int
    node_id: str
    """This node's UUID."""
    name: str = "dronewarn fusion node"
    short_name: str = "dronewarn"
    destination_id: str | None = None
    """The DMM's UUID, when known."""
    site: GeoPoint | None = None
    """Reported as the node's location in StatusReports."""
    status_interval_s: float = 10.0
    connect_timeout_s: float = 10.0
    ack_timeout_s: float = 10.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    queue_limit: int = 10_000
    """Track reports and unacknowledged alerts kept while the DMM is away (oldest go first)."""
    track_max_age_s: float = 30.0
    """A queued track report older than this is dropped rather than sent."""
    max_message_bytes: int = MAX_MESSAGE_BYTES

    def __post_init__(self) -> None:
        for name in ("node_id", "destination_id"):
            value = getattr(self, name)
            if value is not None and not _is_uuid(value):
                raise ConfigError(f"SAPIENT {name} {value!r} is not a UUID (8-4-4-4-12 hex)")


def _is_uuid(text: str) -> bool:
    try:
        return len(text) == 36 and str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False
