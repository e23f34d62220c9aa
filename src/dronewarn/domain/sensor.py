"""SensorConfig: what a node knows about one of its sensors."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dronewarn.domain.report import GeoPoint


class SensorKind(StrEnum):
    RADAR = "radar"
    AIRBORNE_RADAR = "airborne_radar"
    ACOUSTIC = "acoustic"
    SIGHTING = "sighting"
    CUAS = "cuas"
    ADSB = "adsb"


@dataclass(frozen=True, slots=True)
class SensorConfig:
    """A sensor as configured at a node.

    ``max_reorder_s`` is how far back in time a report from this sensor may go relative to
    the newest one already seen before it counts as time going backwards (sightings arrive
    minutes late by nature; a radar's plots within one scan are a few seconds apart).
    """

    sensor_id: str
    kind: SensorKind
    site: GeoPoint | None = None
    max_range_m: float | None = None
    max_reorder_s: float = 5.0
