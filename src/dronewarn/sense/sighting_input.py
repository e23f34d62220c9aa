"""Citizen sightings posted over HTTP to Reports."""

from __future__ import annotations

from dronewarn.domain.errors import (
    DecodeError,
)
from dronewarn.domain.sensor import SensorConfig
from dronewarn.formats.sighting import SightingConfig, decode_sightings
from dronewarn.formats.sighting import to_report as sighting_report
from dronewarn.sense.decoded import Decoded


class SightingInput:
    """Citizen sightings as the HTTP endpoint receives them (rate limits apply there)."""

    def __init__(self, sensor: SensorConfig) -> None:
        self.sensor_id = sensor.sensor_id
        self._config = SightingConfig(sensor.sensor_id)

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        try:
            sightings = decode_sightings(payload, self._config, received_s)
        except DecodeError as error:
            return Decoded((), (error,))
        return Decoded(tuple(sighting_report(s, self._config) for s in sightings), ())
