"""A Report as one JSON-ready dict: what ``dronewarn decode`` prints per line and what the
simulator's ``reports.jsonl`` holds, so that both read alike.

Keys: ``sensor_id``; ``time`` (ISO 8601 UTC) and ``time_s`` (POSIX s, to the millisecond);
``kind`` (polar, bearing, sighting, position); ``measurement`` (the measurement's fields, units
in their names); ``class_hint`` (its fields, or null); ``source``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

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
    hint = report.class_hint
    return {
        "sensor_id": report.sensor_id,
        "time": iso(report.time_s),
        "time_s": round(report.time_s, 3),
        "kind": KIND[type(report.measurement)],
        "measurement": plain(report.measurement),
        "class_hint": plain(hint) if hint else None,
        "source": report.source,
    }


def plain(value: Any) -> Any:
    """``dataclasses.asdict`` of a measurement or class hint (frozen dataclasses of numbers,
    strings, GeoPoints and tuples), in a third of its time: ``asdict`` deep-copies every leaf,
    which was the largest cost of ``dronewarn decode`` on a 50,000-track recording."""
    names = getattr(type(value), "__dataclass_fields__", None)
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value
