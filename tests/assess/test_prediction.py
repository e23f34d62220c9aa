"""Predicted paths: straight means, corridors that widen with lead time as the covariance says."""

from __future__ import annotations

import numpy as np
import pytest

from dronewarn.assess.prediction import predict_paths
from dronewarn.domain.report import GeoPoint
from dronewarn.domain.track import TrackState, TrackStatus


def _eastbound(time_s: float, sigma_ve_mps: float, sigma_vn_mps: float) -> TrackState:
    """A track at the origin flying east at 40 m/s, position sigma 100 m."""
    cov = np.diag([100.0**2, 100.0**2, sigma_ve_mps**2, sigma_vn_mps**2])
    return TrackState(
        "T",
        time_s,
        TrackStatus.CONFIRMED,
        0.0,
        0.0,
        40.0,
        0.0,
        tuple(cov.ravel().tolist()),
        GeoPoint(52.0, 24.0),
        1.0,
        10,
    )


def test_paths_are_straight_and_corridors_widen() -> None:
    track = _eastbound(100.0, 2.0, 1.0)
    paths = predict_paths([track], now_s=100.0, horizon_s=600.0, step_s=60.0, accel_sigma_mps2=0.0)
    np.testing.assert_allclose(paths.east_m[0], 40.0 * np.arange(0, 601, 60))
    np.testing.assert_allclose(paths.north_m[0], 0.0)
    # moving east: along = east (sigma_v 2 m/s), across = north (sigma_v 1 m/s)
    t = np.arange(0, 601, 60.0)
    np.testing.assert_allclose(paths.sigma_along_m[0], np.sqrt(100.0**2 + (2.0 * t) ** 2))
    np.testing.assert_allclose(paths.sigma_across_m[0], np.sqrt(100.0**2 + (1.0 * t) ** 2))
    assert np.all(np.diff(paths.corridor_m()[0]) > 0)


def test_process_noise_widens_the_corridor_with_the_cube_of_lead_time() -> None:
    track = _eastbound(0.0, 1.0, 1.0)
    calm = predict_paths([track], now_s=0.0, horizon_s=600.0, step_s=600.0, accel_sigma_mps2=0.0)
    noisy = predict_paths([track], now_s=0.0, horizon_s=600.0, step_s=600.0, accel_sigma_mps2=0.7)
    extra = noisy.sigma_across_m[0, -1] ** 2 - calm.sigma_across_m[0, -1] ** 2
    assert extra == pytest.approx(0.7**2 * 600.0**3 / 3.0)
