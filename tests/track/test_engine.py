"""The tracking engine on seeded scenarios and on bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dronewarn.domain.errors import ImplausibleReportError, TimeOrderError, UnknownSensorError
from dronewarn.domain.report import (
    BearingMeasurement,
    GeoPoint,
    PolarMeasurement,
    PositionMeasurement,
    Report,
)
from dronewarn.evaluation.track_scenario import ScenarioSpec, generate, mixed
from dronewarn.geo.frame import LocalFrame
from dronewarn.geo.geodesic import bearing_deg, distance_m
from dronewarn.track.measurements import PlaneMeasurements
from dronewarn.track.metrics import TrackingScore, score
from dronewarn.track.tracker import Tracker, TrackerConfig

FRAME = LocalFrame(52.0, 23.5)
AREA_M2 = 200_000.0**2


def _config(spec: ScenarioSpec) -> TrackerConfig:
    return TrackerConfig(
        accel_sigma_mps2=1.0,
        turn_accel_sigma_mps2=1.0,
        coast_s=6.5,
        tentative_coast_s=4.5,
        confirm_window_s=10.0,
        seed_window_s=4.5,
        revisit_s=spec.scan_s,
        mode_sojourn_s=300.0,
        turn_rate_degps=spec.turn_rate_degps,
        clutter_density_per_m2=max(spec.clutter_per_scan, 1) / AREA_M2,
    )


def _track(spec: ScenarioSpec, coast_s: float | None = None) -> tuple[TrackingScore, Tracker]:
    scenario = generate(spec)
    config = _config(spec)
    tracker = Tracker("T", None, config if coast_s is None else replace(config, coast_s=coast_s))
    estimates = []
    for (t, _), batch in zip(scenario.scans, scenario.plane_batches(), strict=True):
        tracker.process(batch)
        tracker.prune(t)
        ids, x, _ = tracker.estimates()
        estimates.append((ids, x[:, :2]))
    return score(scenario.times_s, scenario.truth, scenario.alive, estimates, 1000.0), tracker


def test_well_separated_targets_are_tracked_without_identity_switches() -> None:
    result, _ = _track(ScenarioSpec(20, 20, n_scans=60, seed=7))
    assert result.id_switches == 0
    assert result.fragmentations == 0
    assert result.mean_false < 0.2
    # GOSPA sums over targets: ~100 m RMS each over 20 targets, initiation (2 scans) included
    assert result.mean_localisation_m / np.sqrt(20) < 120.0
    assert result.mean_gospa_m < 650.0
    assert result.median_time_to_confirm_s <= 6.0


def test_heavy_clutter_makes_few_false_tracks() -> None:
    result, _ = _track(ScenarioSpec(20, 2000, n_scans=40, seed=8))
    assert result.mean_false < 1.0
    assert result.mean_missed < 3.0  # of 20: confirming takes 4-5 scans in this clutter
    assert result.id_switches == 0


def test_crossing_targets_keep_their_identities() -> None:
    result, _ = _track(ScenarioSpec(10, 20, n_scans=80, seed=9, crossing_fraction=1.0))
    assert result.id_switches == 0
    assert result.fragmentations == 0


def test_ninety_degree_turns_are_held() -> None:
    spec = ScenarioSpec(10, 20, n_scans=90, seed=10, manoeuvring_fraction=1.0)
    # coasting 5 scans, not 3: at Pd 0.9 one of these targets goes unseen for 3 scans in a
    # row, which is not what this test is about
    result, _ = _track(spec, coast_s=10.0)
    assert result.fragmentations == 0
    assert result.id_switches == 0
    assert result.mean_localisation_m / np.sqrt(10) < 150.0  # RMS per target, through turns


def test_mixed_sensors_with_late_sightings_are_fused() -> None:
    spec = ScenarioSpec(30, 50, n_scans=120, seed=11)
    scenario = generate(spec)
    tracker = Tracker("T", None, _config(spec))
    estimates = []
    for (t, _), batch in zip(scenario.scans, mixed(scenario), strict=True):
        tracker.process(batch)
        tracker.prune(t)
        ids, x, _ = tracker.estimates()
        estimates.append((ids, x[:, :2]))
    result = score(scenario.times_s, scenario.truth, scenario.alive, estimates, 1000.0)
    assert not tracker.rejected  # late sightings (up to 3 min) are in time, not refused
    assert result.mean_missed < 3.0
    assert result.mean_false < 1.0


def test_bad_input_is_refused_typed_and_counted_and_tracking_goes_on() -> None:
    tracker = Tracker("T", None, TrackerConfig(max_lag_s=600.0), known_sensors=frozenset({"r"}))

    def scan(t: float, rows: list[tuple[float, float]], sensor: str = "r") -> PlaneMeasurements:
        b = PlaneMeasurements.positions(
            np.full(len(rows), t), np.array(rows), np.full(len(rows), 100.0), sensor
        )
        return b

    for k in range(10):
        t = 1000.0 + 10.0 * k
        tracker.process(scan(t, [(40.0 * t, 0.0)]))
        tracker.prune(t)
    bad = [
        scan(1100.0, [(np.nan, 0.0)]),
        scan(1100.0, [(np.inf, 0.0)]),
        scan(1100.0, [(1e9, 0.0)]),
        scan(100.0, [(40.0 * 100.0, 0.0)]),  # 1,000 s back: time going backwards
        scan(1100.0, [(40.0 * 1100.0, 0.0)], sensor="ghost"),
        PlaneMeasurements(
            time_s=np.array([1100.0]),
            z=np.array([[0.0, 0.0]]),
            r=np.array([[[-1.0, 0.0], [0.0, 1.0]]]),
            sensor=np.zeros(1, dtype=np.intp),
            sensor_names=("r",),
        ),
    ]
    for batch in bad:
        tracker.process(batch)
    assert tracker.rejected == {"implausible": 4, "time_backwards": 1, "unknown_sensor": 1}
    kinds = {type(e) for e in tracker.guard.recent}
    assert kinds == {ImplausibleReportError, TimeOrderError, UnknownSensorError}
    assert "990.0 s before the newest" in str(
        next(e for e in tracker.guard.recent if isinstance(e, TimeOrderError))
    )
    for k in range(10, 20):
        t = 1000.0 + 10.0 * k
        tracker.process(scan(t, [(40.0 * t, 0.0)]))
        tracker.prune(t)
    ids, x, _ = tracker.estimates()
    assert ids == ["T-T00001"]
    assert abs(x[0, 0] - 40.0 * 1190.0) < 300.0


def test_a_sighting_minutes_late_is_applied_where_the_drone_was() -> None:
    tracker = Tracker("T", None, TrackerConfig())
    for k in range(30):
        t = 10.0 * k
        tracker.process(
            PlaneMeasurements.positions(
                np.array([t]), np.array([[45.0 * t, 0.0]]), np.array([150.0])
            )
        )
        tracker.prune(t)
    _, before, _ = tracker.estimates()
    # an accurate report of where the drone was 2 minutes ago: applied through the velocity,
    # it confirms the present estimate instead of dragging it 5.4 km back
    tracker.process(
        PlaneMeasurements.positions(
            np.array([170.0]), np.array([[45.0 * 170.0, 0.0]]), np.array([50.0]), "s"
        )
    )
    _, after, _ = tracker.estimates()
    assert abs(after[0, 0] - 45.0 * 290.0) < 200.0
    assert abs(after[0, 0] - before[0, 0]) < 150.0


def _site_polar(
    site: GeoPoint, east: float, north: float, alt: float
) -> tuple[float, float, float]:
    lat, lon = FRAME.from_plane(east, north)
    ground = float(distance_m(site.lat_deg, site.lon_deg, lat, lon))
    brg = float(bearing_deg(site.lat_deg, site.lon_deg, lat, lon))
    dh = alt - (site.alt_m or 0.0) - ground**2 / (2 * 4 / 3 * 6_371_000.0)
    return float(np.hypot(ground, dh)), brg, float(np.degrees(np.arctan2(dh, ground)))


def test_reports_of_every_kind_feed_one_track_with_height_and_sources() -> None:
    """Radar plots with elevation, acoustic bearings from nodes, an ADS-B-flagged sensor."""
    radar = GeoPoint(52.1, 23.8, 150.0)
    tracker = Tracker(
        "T",
        FRAME,
        TrackerConfig(),
        known_sensors=frozenset({"radar", "ac-1", "ac-2", "adsb"}),
        cooperative_sensors=frozenset({"adsb"}),
    )
    rng = np.random.default_rng(12)
    for k in range(40):
        t = 5000.0 + 5.0 * k
        east, north, alt = -30_000.0 + 45.0 * (t - 5000.0), 10_000.0, 1500.0
        batch: list[Report] = []
        if k % 2 == 0:
            rng_m, brg, elev = _site_polar(radar, east, north, alt)
            batch.append(
                Report(
                    "radar",
                    t,
                    PolarMeasurement(
                        radar,
                        rng_m + rng.normal(0, 50),
                        brg + rng.normal(0, 0.2),
                        50.0,
                        0.2,
                        elev,
                        0.2,
                    ),
                )
            )
        for name, offset in (("ac-1", (1500.0, 1000.0)), ("ac-2", (-1000.0, -1200.0))):
            lat, lon = FRAME.from_plane(east + offset[0], north + offset[1])
            node = GeoPoint(float(lat), float(lon), 0.0)
            tl, tn = FRAME.from_plane(east, north)
            b = float(bearing_deg(node.lat_deg, node.lon_deg, tl, tn)) + rng.normal(0, 5)
            batch.append(Report(name, t, BearingMeasurement(node, 3000.0, b, 5.0)))
        tracker.process_reports(batch)
        tracker.prune(t)
    assert not tracker.rejected
    (state,) = tracker.states(5195.0)
    lat, lon = FRAME.from_plane(-30_000.0 + 45.0 * 195.0, 10_000.0)
    assert distance_m(state.position.lat_deg, state.position.lon_deg, lat, lon) < 300.0
    assert state.position.alt_m is not None and abs(state.position.alt_m - 1500.0) < 150.0
    assert {"radar", "ac-1", "ac-2"} <= state.sensors
    sources = dict(state.sources)
    assert sources["altitude"].sensor_id == "radar"
    assert not state.cooperative
    # an airliner reporting itself over ADS-B is marked cooperative, not dropped
    for k in range(4):
        t = 5200.0 + 5.0 * k
        lat, lon = FRAME.from_plane(-30_000.0 + 45.0 * (t - 5000.0), 10_000.0)
        tracker.process_reports(
            [
                Report(
                    "adsb",
                    t,
                    PositionMeasurement(GeoPoint(float(lat), float(lon), 1500.0), 30.0, 10.0),
                )
            ]
        )
    (state,) = tracker.states(5215.0)
    assert state.cooperative
    assert dict(state.sources)["cooperative"].sensor_id == "adsb"


def test_converted_reports_are_never_refused_for_rounding() -> None:
    """J C J^T is not bit-symmetric: the guard must not take that for a broken covariance."""
    site = GeoPoint(52.9, 21.0, 100.0)
    tracker = Tracker("T", FRAME, TrackerConfig())
    reports = [
        Report("r", 100.0, PolarMeasurement(site, 40_000.0 + 97.0 * i, 13.7 * i, 120.0, 1.1))
        for i in range(25)
    ]
    tracker.process_reports(reports)
    assert not tracker.rejected
