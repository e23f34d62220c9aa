"""Sensor emulators: radar geometry and noise, acoustic reach, sighting delays, stream order."""

from __future__ import annotations

import numpy as np

from dronewarn.domain.report import BearingMeasurement, PolarMeasurement, SightingMeasurement
from dronewarn.geo.geodesic import bearing_deg, distance_m
from dronewarn.harness.in_process import SimulatedScenario
from dronewarn.sim.stream import ReplayClock


def test_stream_is_time_ordered_and_every_node_hears_its_own_sensors(
    night_world: SimulatedScenario,
) -> None:
    arrivals = np.array([d.arrival_s for d in night_world.deliveries])
    assert np.all(np.diff(arrivals) >= 0)
    owners = {s.id: s.node for s in night_world.scenario.sensors}
    for delivery in night_world.deliveries[:2000]:
        assert owners[delivery.sensor_id] == delivery.node_id
        assert all(r.sensor_id == delivery.sensor_id for r in delivery.reports)
        assert all(r.time_s <= delivery.arrival_s for r in delivery.reports)


def test_radar_errors_match_the_configured_sigmas(night_world: SimulatedScenario) -> None:
    """Plots near a true drone: range and bearing errors have the configured spread."""
    truth = night_world.truth.by_id()["A01"]
    range_err, bearing_err = [], []
    for delivery in night_world.deliveries:
        if delivery.sensor_id != "by-radar-brest":
            continue
        for report in delivery.reports:
            m = report.measurement
            assert isinstance(m, PolarMeasurement)
            if not truth.active(report.time_s):
                continue
            lat, lon = truth.latlon_at(report.time_s)
            true_range = float(
                np.hypot(
                    distance_m(m.site.lat_deg, m.site.lon_deg, lat, lon),
                    truth.alt_m - (m.site.alt_m or 0.0),
                )
            )
            d_range = m.range_m - true_range
            d_bearing = (
                m.bearing_deg - float(bearing_deg(m.site.lat_deg, m.site.lon_deg, lat, lon)) + 180
            ) % 360 - 180
            if abs(d_range) < 1000 and abs(d_bearing) < 2:
                range_err.append(d_range)
                bearing_err.append(d_bearing)
    assert len(range_err) > 100
    assert 120 < np.std(range_err) < 180  # sigma 150 m (slant vs ground adds a little)
    assert 0.24 < np.std(bearing_err) < 0.36  # sigma 0.3 deg
    assert abs(np.mean(bearing_err)) < 0.06


def test_acoustic_reports_come_from_nodes_within_reach(night_world: SimulatedScenario) -> None:
    seen = 0
    for delivery in night_world.deliveries:
        if delivery.sensor_id != "pl-acoustic-strip":
            continue
        for report in delivery.reports:
            m = report.measurement
            assert isinstance(m, BearingMeasurement)
            assert m.radius_m == 2000.0
            assert 2.0 <= delivery.arrival_s - report.time_s <= 7.0
            seen += 1
    assert seen > 1000


def test_sightings_are_delayed_as_configured(night_world: SimulatedScenario) -> None:
    delays = [
        d.arrival_s - r.time_s
        for d in night_world.deliveries
        if d.sensor_id == "ua-eppo"
        for r in d.reports
        if isinstance(r.measurement, SightingMeasurement)
    ]
    assert len(delays) > 50
    assert min(delays) >= 30.0 and max(delays) <= 120.0


def test_replay_clock_paces_without_sleeping_in_tests() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    clock = ReplayClock(1000.0, 60.0, monotonic=lambda: now[0], sleep=sleep)
    clock.wait_until(1000.0)
    clock.wait_until(1600.0)  # 600 simulated seconds at x60: 10 wall seconds
    assert slept == [10.0]
    fast = ReplayClock(0.0, None, monotonic=lambda: 0.0, sleep=sleep)
    fast.wait_until(1e9)
    assert slept == [10.0]
