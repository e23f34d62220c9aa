"""Ground truth: what every simulated drone really did."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class Role(StrEnum):
    CROSSER = "crosser"
    DISTRACTOR = "distractor"
    EXPLICIT = "explicit"


@dataclass(frozen=True)
class Crossing:
    """The first moment a drone enters a country from outside it: one it did not start in,
    or the one it started in, on coming back after it left."""

    country: str
    time_s: float
    lat_deg: float
    lon_deg: float


@dataclass(frozen=True)
class DroneTruth:
    """One drone's flight in UTC, sampled every ``motion.step_s``.

    ``east_m``/``north_m`` are in the scenario frame (``Scenario.frame_origin``).
    """

    drone_id: str
    drone_type: str
    group: str
    role: Role
    destination: str
    speed_mps: float
    alt_m: float
    rcs_m2: float
    t_s: FloatArray
    east_m: FloatArray
    north_m: FloatArray
    lat_deg: FloatArray
    lon_deg: FloatArray
    heading_deg: FloatArray
    start_country: str
    crossings: tuple[Crossing, ...] = field(default=())
    remote_id: str | None = None
    """The serial number it broadcasts in Remote ID (a cooperative civil drone), else None."""

    @property
    def launch_s(self) -> float:
        return float(self.t_s[0])

    @property
    def end_s(self) -> float:
        return float(self.t_s[-1])

    def crossing_into(self, country: str) -> Crossing | None:
        for crossing in self.crossings:
            if crossing.country == country:
                return crossing
        return None

    def active(self, time_s: float) -> bool:
        return bool(self.t_s[0] <= time_s <= self.t_s[-1])

    def position_at(self, time_s: float | FloatArray) -> tuple[FloatArray, FloatArray]:
        """Scenario-plane position at any time(s) within the flight (linear interpolation)."""
        return (
            np.asarray(np.interp(time_s, self.t_s, self.east_m)),
            np.asarray(np.interp(time_s, self.t_s, self.north_m)),
        )

    def latlon_at(self, time_s: float | FloatArray) -> tuple[FloatArray, FloatArray]:
        return (
            np.asarray(np.interp(time_s, self.t_s, self.lat_deg)),
            np.asarray(np.interp(time_s, self.t_s, self.lon_deg)),
        )


@dataclass(frozen=True)
class Truth:
    drones: tuple[DroneTruth, ...]

    def by_id(self) -> dict[str, DroneTruth]:
        return {drone.drone_id: drone for drone in self.drones}

    def crossers(self, country: str) -> list[DroneTruth]:
        return [d for d in self.drones if d.crossing_into(country) is not None]
