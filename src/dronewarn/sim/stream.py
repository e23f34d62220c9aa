"""The time-ordered sensor stream and the replay clock that paces it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from dronewarn.domain.report import Report
from dronewarn.domain.sensor import WireFormat


@dataclass(frozen=True, slots=True)
class Delivery:
    """What reaches a node together: one radar scan, one acoustic tick, one sighting.

    ``reports`` are what the sensor observed. ``payloads`` are the same observations in the
    sensor's wire format (``wire``), as a real sensor would send them: one UDP datagram, MQTT
    message, HTTP body or SAPIENT frame each. A node given payloads decodes them (the same path
    as live input) and never looks at ``reports``.
    """

    arrival_s: float
    node_id: str
    sensor_id: str
    reports: tuple[Report, ...]
    wire: WireFormat | None = None
    payloads: tuple[bytes, ...] = ()


def merge(deliveries: Iterable[Delivery]) -> list[Delivery]:
    """All deliveries in arrival order (stable for equal times)."""
    return sorted(deliveries, key=lambda d: d.arrival_s)


class ReplayClock:
    """Paces a replay: simulated time runs ``speed`` times faster than the wall clock.

    ``speed=None`` means as fast as possible. The wall clock and sleep are injected so that
    tests can run the pacing without waiting.
    """

    def __init__(
        self,
        start_s: float,
        speed: float | None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"speed must be positive, not {speed}")
        self.start_s = start_s
        self.speed = speed
        self._monotonic = monotonic
        self._sleep = sleep
        self._wall0 = monotonic()

    def wait_until(self, sim_s: float) -> None:
        """Block until the wall clock catches up with simulated time ``sim_s``."""
        if self.speed is None:
            return
        due = self._wall0 + (sim_s - self.start_s) / self.speed
        delay = due - self._monotonic()
        if delay > 0:
            self._sleep(delay)

    def pace(self, deliveries: Iterable[Delivery]) -> Iterator[Delivery]:
        for delivery in deliveries:
            self.wait_until(delivery.arrival_s)
            yield delivery
