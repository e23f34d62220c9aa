"""Cursor on Target from a TAK stream or UDP datagrams to Reports."""

from __future__ import annotations

from collections.abc import Iterable

from dronewarn.domain.errors import (
    DecodeError,
    InputError,
)
from dronewarn.domain.report import Report
from dronewarn.domain.sensor import SensorConfig
from dronewarn.formats.cot.decode import decode_datagram
from dronewarn.formats.cot.event import CotEvent
from dronewarn.formats.cot.reports import cot_report
from dronewarn.formats.cot.stream import CotStreamSplitter
from dronewarn.sense.decoded import Decoded


class CotInput:
    """CoT from a TAK stream, or (``datagrams``) one event per UDP datagram with nothing kept
    between datagrams (a damaged one costs only itself); air events become position Reports."""

    def __init__(self, sensor: SensorConfig, *, datagrams: bool = False) -> None:
        self.sensor_id = sensor.sensor_id
        self._datagrams = datagrams
        self._splitter = CotStreamSplitter()

    def decode(self, payload: bytes, received_s: float) -> Decoded:
        if self._datagrams:
            try:
                items: list[CotEvent | DecodeError] = [decode_datagram(payload)]
            except DecodeError as error:
                items = [error]
        else:
            items = self._splitter.feed(payload)
        return self._reports(items)

    def finish(self) -> Decoded:
        """What the stream left unfinished (an event cut short), as errors."""
        return self._reports([] if self._datagrams else self._splitter.close())

    def _reports(self, items: Iterable[CotEvent | DecodeError]) -> Decoded:
        reports: list[Report] = []
        errors: list[InputError] = []
        for item in items:
            if isinstance(item, CotEvent):
                report = cot_report(item, self.sensor_id)
                if report is not None:
                    reports.append(report)
            else:
                errors.append(item)
        return Decoded(tuple(reports), tuple(errors))
