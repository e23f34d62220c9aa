"""What a sensor input gives for one payload, and the protocol every input follows
(``sensor_input`` makes the one a sensor's wire format needs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from dronewarn.domain.errors import (
    InputError,
)
from dronewarn.domain.report import Report


@dataclass(frozen=True, slots=True)
class Decoded:
    """What one payload gave: the Reports, and an error for each part that did not decode."""

    reports: tuple[Report, ...]
    errors: tuple[InputError, ...]


class SensorInput(Protocol):
    """A sensor's payloads -> Reports. ``received_s`` is when the payload arrived (UTC s)."""

    sensor_id: str

    def decode(self, payload: bytes, received_s: float) -> Decoded: ...
