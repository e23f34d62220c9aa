"""The IMM: compiled kernel equals the numpy reference; the turn models turn."""

from __future__ import annotations

import numpy as np

from dronewarn.track.imm import ModelSet, combine, cycle, cycle_combined
from dronewarn.track.motion import switching, transition


def test_kernel_matches_the_numpy_reference() -> None:
    rng = np.random.default_rng(4)
    models = ModelSet.cv_and_turns(3.0, 0.7, 1.5, 0.8, 60.0)
    k = 50
    a = rng.normal(size=(k, 3, 4, 4))
    p = a @ a.transpose(0, 1, 3, 2) * 100.0 + np.eye(4) * 10.0
    x = rng.normal(0.0, 1000.0, (k, 3, 4))
    mu = rng.dirichlet([1.0, 1.0, 1.0], k)
    dt = rng.uniform(0.0, 20.0, k)
    lag = np.where(rng.random(k) < 0.3, rng.uniform(0.0, 120.0, k), 0.0)
    z = rng.normal(0.0, 1000.0, (k, 2))
    b = rng.normal(size=(k, 2, 2))
    r = b @ b.transpose(0, 2, 1) * 1e4 + np.eye(2) * 100.0
    ref = cycle(x, p, mu, dt, models, z, r, lag)
    ref_x, ref_p = combine(ref.x, ref.p, ref.mu)
    got, got_x, got_p = cycle_combined(x, p, mu, dt, models, z, r, lag)
    np.testing.assert_allclose(got.x, ref.x, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(got.p, ref.p, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(got.mu, ref.mu, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got_x, ref_x, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(got_p, ref_p, rtol=1e-9, atol=1e-6)


def test_coordinated_turn_rotates_velocity_and_keeps_speed() -> None:
    omega = np.array([0.0, np.radians(3.0)])
    f = transition(np.array([30.0]), omega)[0]  # 30 s at 3 deg/s: a 90 deg left turn
    v = np.array([0.0, 0.0, 0.0, 50.0])  # flying north at 50 m/s
    cv, left = f[0] @ v, f[1] @ v
    np.testing.assert_allclose(cv, [0.0, 1500.0, 0.0, 50.0], atol=1e-9)
    np.testing.assert_allclose(left[2:], [-50.0, 0.0], atol=1e-9)  # now flying west
    radius = 50.0 / np.radians(3.0)
    np.testing.assert_allclose(left[:2], [-radius, radius], atol=1e-6)


def test_switching_is_a_stochastic_matrix_that_forgets() -> None:
    pi = switching(np.array([0.0, 10.0, 1e6]), 3, 60.0)
    np.testing.assert_allclose(pi.sum(axis=2), 1.0)
    np.testing.assert_allclose(pi[0], np.eye(3))
    assert 0.5 < pi[1, 0, 0] < 1.0
    np.testing.assert_allclose(pi[2], np.full((3, 3), 1.0 / 3.0), atol=1e-9)


def test_late_measurement_updates_the_present_through_the_velocity() -> None:
    """A position seen 60 s ago, with the track moving 50 m/s east: it pulls the present
    position as if it had been carried 3 km east, not where it was taken."""
    models = ModelSet.cv_and_turns(3.0, 0.1, 0.1, 0.98, 1e6)
    x = np.zeros((1, 3, 4))
    x[0, :, 2] = 50.0
    p = np.tile(np.diag([1e6, 1e6, 1.0, 1.0]), (1, 3, 1, 1))
    mu = np.array([[0.98, 0.01, 0.01]])
    z = np.array([[-3000.0 + 400.0, 0.0]])  # where the track was 60 s ago, plus 400 m
    r = np.eye(2)[None] * 100.0**2
    _, xc, _ = cycle_combined(x, p, mu, np.zeros(1), models, z, r, np.array([60.0]))
    assert 300.0 < xc[0, 0] < 420.0  # moved towards +400 m, at the present time
    assert abs(xc[0, 1]) < 1.0
