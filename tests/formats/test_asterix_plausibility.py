"""The plausibility gate: a record whose values no real target can have is refused with a
typed error that names the item, the value and the likely cause (the edition it was read as),
and never becomes a Report; plausible records pass untouched."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from dronewarn.domain.errors import ImplausibleValueError
from dronewarn.domain.report import GeoPoint
from dronewarn.formats.asterix.cat021 import Cat021Report
from dronewarn.formats.asterix.cat048 import Cat048Plot
from dronewarn.formats.asterix.cat062 import Cat062Track
from dronewarn.formats.asterix.decoder import AsterixBatch
from dronewarn.formats.asterix.editions import Edition, Editions
from dronewarn.formats.asterix.plausibility import implausible
from dronewarn.formats.asterix.reports import AsterixSensorConfig, reports_from_batch

T0 = 1_757_458_800.0
SITE = GeoPoint(52.1, 23.6, 150.0)


def _blank(cls: type, **values: Any) -> Any:
    nothing: dict[str, Any] = {f.name: None for f in dataclasses.fields(cls)}
    nothing.update(offset=32, sac=1, sic=2)
    if cls is Cat048Plot:
        nothing.update(has_plot_characteristics=False, report_type=1)
    if cls is Cat021Report:
        nothing.update(high_resolution=False)
    return cls(**(nothing | values))


def _batch(**records: tuple[Any, ...]) -> AsterixBatch:
    parts: dict[str, tuple[Any, ...]] = {
        c: ()
        for c in ("cat048", "cat062", "cat021", "cat015", "cat010", "cat001", "cat020", "status")
    }
    parts.update(records)
    return AsterixBatch(T0, cat034=(), errors=(), blocks=1, skipped_octets=0, **parts)


def test_a_latitude_of_215_degrees_is_refused_with_the_edition_named() -> None:
    wrong = _blank(Cat021Report, time_of_day_s=3600.0, lat_deg=215.97, lon_deg=23.5)
    config = AsterixSensorConfig("adsb", 1, 2, editions=Editions({21: Edition(2, 7)}))
    reports, errors = reports_from_batch(_batch(cat021=(wrong,)), [config])
    assert reports == []
    (error,) = errors
    assert isinstance(error, ImplausibleValueError) and error.kind == "implausible_value"
    assert error.field == "I021/130" and error.offset == 32
    assert "215.97" in str(error) and "CAT021 read as 2.7" in str(error)
    assert "--edition 21:X.Y" in str(error)


@pytest.mark.parametrize(
    ("record", "item"),
    [
        (_blank(Cat062Track, time_of_track_s=10.0, lat_deg=52.0, lon_deg=190.0), "I062/105"),
        (_blank(Cat062Track, time_of_track_s=10.0, lat_deg=52.0, lon_deg=23.0,
                geometric_altitude_m=90_000.0), "I062/130"),
        (_blank(Cat062Track, time_of_track_s=10.0, lat_deg=52.0, lon_deg=23.0,
                vx_mps=5_000.0, vy_mps=0.0), "I062/185"),
        (_blank(Cat062Track, time_of_track_s=90_000.0, lat_deg=52.0, lon_deg=23.0), "I062/070"),
        (_blank(Cat048Plot, time_of_day_s=10.0, range_m=1.5e6, azimuth_deg=10.0), "I048/040"),
        (_blank(Cat048Plot, time_of_day_s=10.0, range_m=1e4, azimuth_deg=10.0,
                flight_level_ft=float("nan")), "I048/090"),
    ],
)  # fmt: skip
def test_each_impossible_value_names_its_item(record: Any, item: str) -> None:
    category = 62 if isinstance(record, Cat062Track) else 48
    error = implausible(category, record, "1.20")
    assert error is not None and error.field == item


def test_a_plot_beyond_the_radar_s_configured_reach_is_refused() -> None:
    plot = _blank(Cat048Plot, time_of_day_s=10.0, range_m=400_000.0, azimuth_deg=10.0)
    near = AsterixSensorConfig("radar", 1, 2, site=SITE, max_range_m=250_000.0 * 1.2)
    _, errors = reports_from_batch(_batch(cat048=(plot,)), [near])
    (error,) = errors
    assert isinstance(error, ImplausibleValueError) and "configured reach of 300 km" in str(error)
    far = dataclasses.replace(near, max_range_m=None)  # reach not configured: 1,000 km
    reports, errors = reports_from_batch(_batch(cat048=(plot,)), [far])
    assert len(reports) == 1 and errors == []


def test_plausible_records_pass_untouched() -> None:
    track = _blank(Cat062Track, time_of_track_s=3600.0, lat_deg=52.2, lon_deg=23.4,
                   geometric_altitude_m=800.0, vx_mps=-30.0, vy_mps=10.0)  # fmt: skip
    assert implausible(62, track, "1.20") is None
    reports, errors = reports_from_batch(_batch(cat062=(track,)), [AsterixSensorConfig("t", 1, 2)])
    assert len(reports) == 1 and errors == []
