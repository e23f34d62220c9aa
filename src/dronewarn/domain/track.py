"""Track: the node's estimate of one object, as the later stages and partners see it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from dronewarn.domain.report import GeoPoint, ObjectClass


class TrackStatus(StrEnum):
    TENTATIVE = "tentative"
    CONFIRMED = "confirmed"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class FieldSource:
    """Which sensor last set a field of a track, and the time of that measurement."""

    sensor_id: str
    time_s: float


@dataclass(frozen=True, slots=True)
class TrackState:
    """A snapshot of a track at ``time_s``.

    Position and velocity are in the node's local ENU frame (east, north; metres, m/s) and
    the position is repeated in WGS84. ``cov_enu`` is the 4x4 covariance of
    (east_m, north_m, vel_east_mps, vel_north_mps), row-major.
    """

    track_id: str
    time_s: float
    status: TrackStatus
    east_m: float
    north_m: float
    vel_east_mps: float
    vel_north_mps: float
    cov_enu: tuple[float, ...]
    position: GeoPoint
    quality: float
    updates: int
    sensors: frozenset[str] = field(default_factory=frozenset)
    object_class: ObjectClass = ObjectClass.UNKNOWN
    class_confidence: float = 0.0
    last_update_s: float = 0.0
    first_seen_s: float = 0.0
    course_since_s: float = 0.0
    """Since when the track has held its current course (within the tracker's tolerance)."""
    cooperative: bool = False
    """Matched to cooperative traffic (ADS-B, Remote ID): never a threat."""
    class_evidence: tuple[tuple[ObjectClass, float], ...] = ()
    """Sensor class hints accumulated on the track: (class, summed confidence)."""
    turn_probability: float = 0.0
    """The IMM's probability that the object is turning (1 - P(constant velocity))."""
    altitude_sigma_m: float | None = None
    sources: tuple[tuple[str, FieldSource], ...] = ()
    """Per field ("position", "altitude", "cooperative"): the sensor and time behind it."""

    @property
    def course_deg(self) -> float:
        return math.degrees(math.atan2(self.vel_east_mps, self.vel_north_mps)) % 360.0

    @property
    def speed_mps(self) -> float:
        return float((self.vel_east_mps**2 + self.vel_north_mps**2) ** 0.5)

    @property
    def sigma_position_m(self) -> float:
        """Root of the mean horizontal position variance: a one-number accuracy."""
        return float(((self.cov_enu[0] + self.cov_enu[5]) / 2.0) ** 0.5)
