"""The sense entry point: typed errors, counted, recorded, never fatal; fuzzed with hypothesis."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from dronewarn.domain.errors import (
    ImplausibleReportError,
    InputError,
    TimeOrderError,
    UnknownSensorError,
)
from dronewarn.domain.report import (
    BearingMeasurement,
    GeoPoint,
    PolarMeasurement,
    PositionMeasurement,
    Report,
    SightingMeasurement,
)
from dronewarn.domain.sensor import SensorConfig, SensorKind
from dronewarn.sense.ingest import Sense

SITE = GeoPoint(52.1, 23.8, 200.0)


def _sense() -> tuple[Sense, list[tuple[Report, InputError]]]:
    rejected: list[tuple[Report, InputError]] = []
    sense = Sense(
        {"r1": SensorConfig("r1", SensorKind.RADAR, SITE, 150e3, max_reorder_s=11.0)},
        lambda report, error: rejected.append((report, error)),
    )
    return sense, rejected


def _polar(time_s: float, range_m: float = 10_000.0, bearing: float = 90.0) -> Report:
    return Report("r1", time_s, PolarMeasurement(SITE, range_m, bearing, 150.0, 0.3))


def test_good_reports_pass_in_order() -> None:
    sense, rejected = _sense()
    reports = [_polar(100.0), _polar(101.0), _polar(95.0)]  # 95: within the scan's tolerance
    assert sense.ingest(reports, now_s=110.0) == reports
    assert sense.accepted == 3 and not rejected


def test_impossible_values_are_typed_counted_and_kept() -> None:
    sense, rejected = _sense()
    bad = [
        _polar(100.0, range_m=-5.0),
        _polar(100.0, range_m=math.nan),
        _polar(100.0, bearing=400.0),
        Report("r1", 100.0, PositionMeasurement(GeoPoint(95.0, 23.0), 100.0)),
        Report("r1", 100.0, PositionMeasurement(GeoPoint(52.0, 23.0, 90_000.0), 100.0)),
        Report("r1", 100.0, PositionMeasurement(GeoPoint(52.0, 23.0), 0.0)),
    ]
    good = _polar(100.0)
    assert sense.ingest([*bad, good], now_s=100.0) == [good]
    assert sense.rejected["implausible"] == len(bad)
    assert all(isinstance(e, ImplausibleReportError) for _, e in rejected)
    assert [r for r, _ in rejected] == bad
    assert "range_m" in str(rejected[0][1])


def test_time_going_backwards_and_from_the_future() -> None:
    sense, rejected = _sense()
    assert sense.ingest([_polar(1000.0)], now_s=1000.0)
    assert sense.ingest([_polar(900.0)], now_s=1001.0) == []
    assert sense.ingest([_polar(2000.0)], now_s=1001.0) == []
    assert sense.rejected["time_backwards"] == 2
    assert all(isinstance(e, TimeOrderError) for _, e in rejected)
    assert "went back 100.0 s" in str(rejected[0][1])


def test_plot_beyond_the_radars_range() -> None:
    sense, rejected = _sense()
    assert sense.ingest([_polar(100.0, range_m=170_000.0)], now_s=100.0)  # within 20 %
    assert sense.ingest([_polar(100.0, range_m=400_000.0)], now_s=100.0) == []
    assert "beyond the sensor's 150 km" in str(rejected[0][1])


def test_unknown_sensor() -> None:
    sense, rejected = _sense()
    stray = Report("nobody", 1.0, PositionMeasurement(GeoPoint(52.0, 23.0), 100.0))
    assert sense.ingest([stray], now_s=1.0) == []
    assert isinstance(rejected[0][1], UnknownSensorError)


floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
points = st.builds(GeoPoint, floats, floats, st.one_of(st.none(), floats))
maybe = st.one_of(st.none(), floats)
measurements = st.one_of(
    st.builds(PositionMeasurement, points, floats, maybe),
    st.builds(PolarMeasurement, points, floats, floats, floats, floats, maybe, maybe),
    st.builds(BearingMeasurement, points, floats, maybe, maybe),
    st.builds(SightingMeasurement, points, floats, floats, points, floats),
)


def _sigmas(report: Report) -> list[float]:
    """Every sigma a report carries (the ones it leaves out excepted)."""
    m = report.measurement
    if isinstance(m, PositionMeasurement):
        values = [m.sigma_h_m, m.sigma_v_m]
    elif isinstance(m, PolarMeasurement):
        values = [m.sigma_range_m, m.sigma_bearing_deg, m.sigma_elevation_deg]
    elif isinstance(m, BearingMeasurement):
        values = [m.radius_m, m.sigma_bearing_deg]
    else:
        values = [m.sigma_m]
    return [v for v in values if v is not None]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.builds(Report, st.just("r1"), floats, measurements), max_size=8))
def test_fuzzed_reports_never_escape_as_exceptions(reports: list[Report]) -> None:
    sense, rejected = _sense()
    passed = sense.ingest(reports, now_s=1e9)
    assert len(passed) + len(rejected) == len(reports)
    for report in passed:
        assert math.isfinite(report.time_s)
        # whatever passes can go into a covariance: every sigma finite and positive
        assert all(math.isfinite(s) and s > 0 for s in _sigmas(report))
