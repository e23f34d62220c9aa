"""A Report as one JSON-ready dict: what ``dronewarn decode`` prints per line and what the
simulator's ``reports.jsonl`` holds, so that both read alike.

Keys: ``sensor_id``; ``time`` (ISO 8601 UTC) and ``time_s`` (POSIX s, to the millisecond);
``kind`` (polar, bearing, sighting, position); ``measurement`` (the measurement's fields, units
in their names); ``class_hint`` (its fields, or null); ``source``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from types import MappingProxyType

from dronewarn.domain.report import (
    BearingMeasurement,
    PolarMeasurement,
    PositionMeasurement,
    Report,
    SightingMeasurement,
)
from dronewarn.domain.time import iso

KIND: Mapping[type, str] = MappingProxyType(
    {
        PolarMeasurement: "polar",
        BearingMeasurement: "bearing",
        SightingMeasurement: "sighting",
        PositionMeasurement: "position",
    }
)
"""The ``kind`` of each measurement type."""


def report_record(report: Report) -> dict[str, object]:
    """A report as a JSON-ready dict."""
    return {
        "sensor_id": report.sensor_id,
        "time": iso(report.time_s),
        "time_s": round(report.time_s, 3),
        "kind": KIND[type(report.measurement)],
        "measurement": asdict(report.measurement),
        "class_hint": asdict(report.class_hint) if report.class_hint else None,
        "source": report.source,
    }
