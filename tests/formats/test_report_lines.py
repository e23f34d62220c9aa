"""``report_lines.plain`` is ``dataclasses.asdict`` for every measurement and class hint, as JSON
sees it (the line format ``dronewarn decode`` and the simulator write)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from dronewarn.domain.report import (
    BearingMeasurement,
    ClassHint,
    GeoPoint,
    ObjectClass,
    PolarMeasurement,
    PositionMeasurement,
    SightingMeasurement,
)
from dronewarn.formats.report_lines import plain


def test_plain_is_asdict_for_every_measurement() -> None:
    site = GeoPoint(52.1, 23.4, 150.0)
    values: list[Any] = [
        PositionMeasurement(GeoPoint(52.0, 23.0), 30.0, None),
        PolarMeasurement(site, 12_000.0, 87.5, 40.0, 0.1, 1.5, None),
        BearingMeasurement(site, 2_000.0, 45.0, 5.0),
        BearingMeasurement(site, 2_000.0),
        SightingMeasurement(site, 10.0, 20.0, GeoPoint(52.2, 23.5, 300.0), 500.0),
        ClassHint(next(iter(ObjectClass)), 0.7),
    ]
    for value in values:
        assert json.dumps(plain(value)) == json.dumps(asdict(value)), value
