"""Cooperative traffic inputs: SBS/BaseStation lines, raw Mode S, readsb's aircraft.json."""

from __future__ import annotations

from dronewarn.domain.errors import (
    DecodeError,
    FieldValueError,
    InputError,
)
from dronewarn.domain.report import Report
from dronewarn.domain.sensor import SensorConfig
from dronewarn.formats.adsb.modes import ModeSDecoder
from dronewarn.formats.adsb.position import AdsbConfig
from dronewarn.formats.adsb.position import to_report as adsb_report
from dronewarn.formats.adsb.readsb import AircraftJsonFeed
from dronewarn.formats.adsb.sbs import decode_sbs_line, sbs_position
from dronewarn.sense.decoded import Decoded


class _Lines:
    """Complete lines of a text stream; a partial one waits for the next chunk (bounded)."""

    def __init__(self, max_line_bytes: int, what: str) -> None:
        self._max = max_line_bytes
        self._what = what
        self._partial = b""

    def feed(self, payload: bytes) -> tuple[list[bytes], list[InputError]]:
        *lines, self._partial = (self._partial + payload).split(b"\n")
        errors: list[InputError] = []
        if len(self._partial) > self._max:
            errors.append(
                FieldValueError(
                    f"{self._what} line longer than {self._max} octets",
                    data=self._partial[:64],
                    field="line",
                )
            )
            self._partial = b""
        return [line.rstrip(b"\r") for line in lines if line.strip()], errors

    @property
    def waiting(self) -> bool:
        return bool(self._partial.strip())


class SbsInput:
    """SBS/BaseStation text (port 30003): complete lines decode, a partial one waits."""

    MAX_LINE_BYTES = 1024

    def __init__(self, sensor: SensorConfig) -> None:
        self.sensor_id = sensor.sensor_id
        self._config = AdsbConfig(sensor.sensor_id)
        self._lines = _Lines(self.MAX_LINE_BYTES, "an SBS")

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        lines, errors = self._lines.feed(payload)
        reports: list[Report] = []
        for line in lines:
            try:
                message = decode_sbs_line(line, clock_zone=self._config.sbs_clock_zone)
            except DecodeError as error:
                errors.append(error)
                continue
            position = sbs_position(message)
            if position is not None:
                reports.append(adsb_report(position, self._config))
        return Decoded(tuple(reports), tuple(errors))

    def finish(self) -> Decoded:
        """A last line without its line end still counts."""
        if not self._lines.waiting:
            return Decoded((), ())
        return self.decode(b"\n", 0.0)


class ModesInput:
    """Raw Mode S / ADS-B in AVR lines (``*hex;``, dump1090/readsb port 30002), as they arrive.

    AVR lines carry no time: each message is dated by its arrival (``received_s``). One
    ``ModeSDecoder`` per stream keeps the CPR pairs and what each aircraft declared (emitter
    category, NACp), so positions come as soon as an even/odd pair agrees.
    """

    MAX_LINE_BYTES = 256

    def __init__(self, sensor: SensorConfig) -> None:
        self.sensor_id = sensor.sensor_id
        self._config = AdsbConfig(sensor.sensor_id)
        self._decoder = ModeSDecoder(self._config)
        self._lines = _Lines(self.MAX_LINE_BYTES, "a Mode S")
        self._received_s = 0.0

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        self._received_s = received_s
        lines, errors = self._lines.feed(payload)
        reports: list[Report] = []
        for line in lines:
            try:
                position = self._decoder.decode(line, received_s)
            except DecodeError as error:
                errors.append(error)
                continue
            if position is not None:
                reports.append(adsb_report(position, self._config))
        return Decoded(tuple(reports), tuple(errors))

    def finish(self) -> Decoded:
        """A last line without its line end still counts (dated by the last arrival)."""
        if not self._lines.waiting:
            return Decoded((), ())
        return self.decode(b"\n", self._received_s)


class ReadsbInput:
    """readsb/dump1090 ``aircraft.json`` polls: each position reported once."""

    def __init__(self, sensor: SensorConfig) -> None:
        self.sensor_id = sensor.sensor_id
        self._feed = AircraftJsonFeed(AdsbConfig(sensor.sensor_id))

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        try:
            reports, errors = self._feed.update(payload)
        except DecodeError as error:
            return Decoded((), (error,))
        return Decoded(tuple(reports), errors)
