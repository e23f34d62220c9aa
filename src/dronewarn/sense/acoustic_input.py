"""An acoustic network's MQTT messages to Reports."""

from __future__ import annotations

from dronewarn.domain.errors import (
    DecodeError,
)
from dronewarn.domain.sensor import SensorConfig
from dronewarn.formats.acoustic import AcousticConfig, decode_payload
from dronewarn.formats.acoustic import to_report as acoustic_report
from dronewarn.sense.decoded import Decoded


class AcousticInput:
    """An acoustic network's MQTT messages (the listener has checked each topic)."""

    def __init__(self, sensor: SensorConfig) -> None:
        self.sensor_id = sensor.sensor_id
        self._config = AcousticConfig(
            sensor.sensor_id, sensor.sensor_id, default_radius_m=sensor.max_range_m or 2000.0
        )

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        config = self._config
        try:
            decoded = decode_payload(
                payload, max_bytes=config.max_payload_bytes, max_batch=config.max_batch
            )
        except DecodeError as error:
            return Decoded((), (error,))
        reports = tuple(
            acoustic_report(d, config, f"mqtt:{config.network}/{d.node_id}")
            for d in decoded.detections
        )
        return Decoded(reports, decoded.errors)
