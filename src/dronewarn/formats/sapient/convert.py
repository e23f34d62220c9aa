"""SAPIENT DetectionReports to domain Reports: positions, sigmas, classes.

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
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from dronewarn.domain.errors import FieldValueError, UnsupportedError
from dronewarn.domain.report import (
    ClassHint,
    GeoPoint,
    ObjectClass,
    PolarMeasurement,
    PositionMeasurement,
    Report,
)
from dronewarn.formats.sapient.framing import MAX_MESSAGE_BYTES
from dronewarn.formats.sapient.messages import (
    MAX_CLASS_DEPTH,
    SapientClass,
    SapientDetection,
    SapientLocation,
    SapientMessageData,
    SapientRangeBearing,
    SapientStatus,
    SapientVelocity,
)

_WGS84_A_M = 6_378_137.0
_WGS84_E2 = 6.694_379_990_14e-3
_LOST_STATES = frozenset({"lost", "deleted", "dropped"})


class NoSiteError(FieldValueError):
    """A range-bearing report from a node whose location nobody knows."""

    kind = "no_site"


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
