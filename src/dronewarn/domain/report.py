"""Report: one observation by one sensor, in the measurement's natural form.

Everything after ``sense`` works on Reports, never on wire formats. Angles are degrees,
bearings clockwise from true north, distances metres, times POSIX UTC seconds (``time_s``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A WGS84 position; ``alt_m`` is height above the ellipsoid (None when unknown)."""

    lat_deg: float
    lon_deg: float
    alt_m: float | None = None


@dataclass(frozen=True, slots=True)
class PositionMeasurement:
    """A position with a horizontal (circular) and vertical 1-sigma error."""

    point: GeoPoint
    sigma_h_m: float
    sigma_v_m: float | None = None


@dataclass(frozen=True, slots=True)
class PolarMeasurement:
    """Range and bearing (and elevation, where the radar measures it) from a sensor site.

    ``site`` is where the antenna was at ``time_s``: fixed for a ground radar, moving for an
    airborne one.
    """

    site: GeoPoint
    range_m: float
    bearing_deg: float
    sigma_range_m: float
    sigma_bearing_deg: float
    elevation_deg: float | None = None
    sigma_elevation_deg: float | None = None


@dataclass(frozen=True, slots=True)
class BearingMeasurement:
    """An acoustic node's detection: presence within ``radius_m`` and an optional bearing."""

    site: GeoPoint
    radius_m: float
    bearing_deg: float | None = None
    sigma_bearing_deg: float | None = None


@dataclass(frozen=True, slots=True)
class SightingMeasurement:
    """A citizen's sighting: where the reporter stood, where they pointed, and their estimate."""

    reporter: GeoPoint
    bearing_deg: float
    elevation_deg: float
    estimate: GeoPoint
    sigma_m: float


Measurement = PositionMeasurement | PolarMeasurement | BearingMeasurement | SightingMeasurement


class ObjectClass(StrEnum):
    """What an observed object is believed to be."""

    GERBERA = "gerbera"
    SHAHED = "shahed"
    JET_DRONE = "jet_drone"
    MULTIROTOR = "multirotor"
    CREWED = "crewed"
    BIRD_CLUTTER = "bird_clutter"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ClassHint:
    """A sensor's own classification, with its confidence in [0, 1]."""

    object_class: ObjectClass
    confidence: float


@dataclass(frozen=True, slots=True)
class Report:
    """One observation.

    ``source`` points back at the raw input (file and offset, topic and message id...)
    so that every fused value can be traced to what a sensor really sent.
    """

    sensor_id: str
    time_s: float
    measurement: Measurement
    class_hint: ClassHint | None = None
    source: str = ""
