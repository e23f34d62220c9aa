"""A SAPIENT node's TCP stream (BSI Flex 335 v2.0) to Reports: registration, site and
detections kept per stream."""

from __future__ import annotations

from dataclasses import replace

from dronewarn.domain.errors import (
    DecodeError,
    FieldValueError,
    InputError,
    UnknownSensorError,
)
from dronewarn.domain.report import Report
from dronewarn.domain.sensor import SensorConfig
from dronewarn.formats.sapient.convert import (
    NodeContext,
    SapientConfig,
    detection_to_report,
    status_site,
)
from dronewarn.formats.sapient.framing import Deframer
from dronewarn.formats.sapient.messages import (
    SapientDetection,
    SapientRegistration,
    SapientStatus,
    decode_message,
)
from dronewarn.sense.decoded import Decoded


class SapientInput:
    """One SAPIENT edge node's TCP stream: registration first, then status and detections.

    The live server (``sense.sapient_server``) does the same per connection and answers the
    node; this input reads a stream that needs no answers (a capture, the simulator).
    """

    def __init__(self, sensor: SensorConfig, config: SapientConfig | None = None) -> None:
        self.sensor_id = sensor.sensor_id
        self._config = config or SapientConfig()
        self._deframer = Deframer(self._config.max_message_bytes)
        self._context = NodeContext(sensor.sensor_id, sensor.site)
        self._node_id: str | None = None
        self._lost = 0
        """Octets of the stream before the current deframer (kept for error offsets)."""

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        errors: list[InputError] = []
        try:
            frames = self._deframer.feed(payload)
        except DecodeError as error:
            # the stream's framing is lost: a live server drops the connection; start over
            # (offsets go on counting from where the stream was)
            self._lost += self._deframer.offset
            self._deframer = Deframer(self._config.max_message_bytes)
            return Decoded((), (error,))
        reports: list[Report] = []
        for offset, frame in frames:
            try:
                message = decode_message(frame, offset=self._lost + offset)
                content = message.content
                if isinstance(content, SapientRegistration):
                    self._register(message.node_id, content)
                elif self._node_id is None or message.node_id != self._node_id:
                    errors.append(
                        UnknownSensorError(
                            f"{self.sensor_id}: {message.kind} from unregistered SAPIENT node "
                            f"{message.node_id}"
                        )
                    )
                elif isinstance(content, SapientStatus):
                    site = status_site(content, self._config)
                    if site is not None:
                        self._context = replace(self._context, site=site)
                elif isinstance(content, SapientDetection):
                    conversion = detection_to_report(message, content, self._context, self._config)
                    if conversion.report is not None:
                        reports.append(conversion.report)
            except DecodeError as error:
                errors.append(error)
        return Decoded(tuple(reports), tuple(errors))

    def finish(self) -> Decoded:
        """A frame cut short at the end of the stream, as an error."""
        try:
            self._deframer.check_complete()
        except DecodeError as error:
            error.offset = self._lost + (error.offset or 0)
            return Decoded((), (error,))
        return Decoded((), ())

    def _register(self, node_id: str, registration: SapientRegistration) -> None:
        if registration.problems:
            raise FieldValueError(
                f"{self.sensor_id}: registration refused: {'; '.join(registration.problems)}",
                field="registration",
            )
        self._node_id = node_id
        self._context = replace(self._context, velocity_units=registration.velocity_units)
