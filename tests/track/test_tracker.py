"""The thin tracker on hand-made scenes: one clean track per target, clutter stays tentative."""

from __future__ import annotations

import numpy as np

from dronewarn.domain.report import GeoPoint, PolarMeasurement, PositionMeasurement, Report
from dronewarn.geo.frame import LocalFrame
from dronewarn.geo.geodesic import bearing_deg, distance_m
from dronewarn.track.tracker import Tracker, TrackerConfig

FRAME = LocalFrame(52.0, 23.5)
SITE = GeoPoint(52.1, 23.8, 200.0)


def _position(sensor: str, t: float, east: float, north: float, sigma: float) -> Report:
    lat, lon = FRAME.from_plane(east, north)
    return Report(sensor, t, PositionMeasurement(GeoPoint(float(lat), float(lon)), sigma))


def _run(tracker: Tracker, batches: list[list[Report]], step_s: float, t0: float) -> None:
    for k, batch in enumerate(batches):
        tracker.process_reports(batch)
        tracker.prune(t0 + k * step_s)


def test_one_target_one_track_with_right_velocity() -> None:
    rng = np.random.default_rng(1)
    tracker = Tracker("T", FRAME, TrackerConfig())
    batches = []
    for k in range(60):
        t = 1000.0 + 10.0 * k
        east, north = -40_000.0 + 40.0 * (t - 1000.0), 5_000.0 - 10.0 * (t - 1000.0)
        batches.append(
            [_position("r", t, east + rng.normal(0, 150), north + rng.normal(0, 150), 150.0)]
        )
    _run(tracker, batches, 10.0, 1000.0)
    states = tracker.states(1590.0)
    assert len(states) == 1
    track = states[0]
    assert track.track_id == "T-T00001"
    # errors within three of the track's own sigmas: the covariance is honest
    sigma_ve, sigma_vn = track.cov_enu[10] ** 0.5, track.cov_enu[15] ** 0.5
    assert sigma_ve < 8.0 and sigma_vn < 8.0
    assert abs(track.vel_east_mps - 40.0) < 3 * sigma_ve
    assert abs(track.vel_north_mps + 10.0) < 3 * sigma_vn
    assert abs(track.east_m - (-40_000.0 + 40.0 * 590.0)) < 3 * track.cov_enu[0] ** 0.5
    assert track.updates == 60


def test_polar_reports_are_converted_at_the_right_place() -> None:
    tracker = Tracker("T", FRAME, TrackerConfig(assumed_alt_m=1000.0))
    truth = []
    for k in range(10):
        t = 2000.0 + 10.0 * k
        east, north = 20_000.0 + 45.0 * (t - 2000.0), -30_000.0
        lat, lon = FRAME.from_plane(east, north)
        truth.append((float(lat), float(lon)))
        ground = float(distance_m(SITE.lat_deg, SITE.lon_deg, lat, lon))
        slant = float(np.hypot(ground, 1000.0 - 200.0))
        brg = float(bearing_deg(SITE.lat_deg, SITE.lon_deg, lat, lon))
        tracker.process_reports([Report("r", t, PolarMeasurement(SITE, slant, brg, 150.0, 0.3))])
        tracker.prune(t)
    state = tracker.states(2090.0)[0]
    error = float(distance_m(state.position.lat_deg, state.position.lon_deg, *truth[-1]))
    assert error < 100.0
    assert abs(state.speed_mps - 45.0) < 2.0


def test_clutter_does_not_make_confirmed_tracks() -> None:
    rng = np.random.default_rng(2)
    tracker = Tracker("T", FRAME, TrackerConfig())
    for k in range(100):
        t = 10.0 * k
        spots = rng.uniform(-100e3, 100e3, (20, 2))
        batch = [_position("r", t + rng.uniform(0, 10), e, n, 150.0) for e, n in spots]
        tracker.process_reports(batch)
        tracker.prune(t + 10.0)
    assert tracker.states(1000.0) == []
    assert tracker.live_tracks < 150  # tentative tracks die young


def test_two_crossing_targets_keep_their_identities() -> None:
    rng = np.random.default_rng(3)
    tracker = Tracker("T", FRAME, TrackerConfig())
    ids_at: dict[int, dict[str, float]] = {}
    for k in range(80):
        t = 10.0 * k
        a = (-16_000.0 + 40.0 * t, 0.0 + 10.0 * t)
        b = (-16_000.0 + 40.0 * t, 8_000.0 - 10.0 * t)
        batch = [
            _position("r", t, a[0] + rng.normal(0, 100), a[1] + rng.normal(0, 100), 100.0),
            _position("r", t, b[0] + rng.normal(0, 100), b[1] + rng.normal(0, 100), 100.0),
        ]
        tracker.process_reports(batch)
        tracker.prune(t)
        ids_at[k] = {s.track_id: s.vel_north_mps for s in tracker.states(t)}
    assert set(ids_at[30]) == set(ids_at[79])  # no new ids after the targets crossed at k=40
    assert len(ids_at[79]) == 2
    north = sorted(ids_at[79].values())
    assert abs(north[0] + 10.0) < 5.0 and abs(north[1] - 10.0) < 5.0


def test_late_measurement_is_used_not_dropped() -> None:
    tracker = Tracker("T", FRAME, TrackerConfig())
    for k in range(10):
        t = 100.0 + 10.0 * k
        tracker.process_reports([_position("r", t, 40.0 * t, 0.0, 100.0)])
        tracker.prune(t)
    before = tracker.states(190.0)[0]
    # a sighting 60 s late that agrees with the track
    tracker.process_reports([_position("s", 130.0, 40.0 * 130.0, 0.0, 2000.0)])
    after = tracker.states(190.0)[0]
    assert after.updates == before.updates + 1
    assert "s" in after.sensors


def test_a_coasting_height_never_goes_underground_and_is_dropped_when_unknown() -> None:
    """A descending drone's height, extrapolated while nobody measures it, is kept above the
    ground, and reported unknown once its sigma passes max_altitude_sigma_m (partners'
    message schema refuses heights below -500 m: this was found on NIGHT-0910)."""
    tracker = Tracker("T", FRAME, TrackerConfig())
    for k in range(30):
        t = 1000.0 + 10.0 * k
        lat, lon = FRAME.from_plane(-40_000.0 + 40.0 * (t - 1000.0), 0.0)
        height = 900.0 - 3.0 * (t - 1000.0)  # 3 m/s down, to 30 m above the ground
        point = GeoPoint(float(lat), float(lon), height)
        tracker.process_reports([Report("r", t, PositionMeasurement(point, 150.0, 30.0))])
        tracker.prune(t)
    soon = tracker.states(1300.0)[0]
    assert soon.position.alt_m is not None and 0.0 <= soon.position.alt_m < 100.0
    # states() predicts without pruning: the extrapolated height would be -630 m at +180 s
    later = [tracker.states(1290.0 + dt)[0] for dt in (60.0, 120.0, 180.0)]
    assert all(s.position.alt_m == 0.0 for s in later)
    sigmas = [s.altitude_sigma_m or 0.0 for s in later]
    assert sigmas == sorted(sigmas) and sigmas[0] > 100.0  # honest: it grows while coasting
    gone = tracker.states(1290.0 + 300.0)[0]
    assert gone.position.alt_m is None and gone.altitude_sigma_m is None
