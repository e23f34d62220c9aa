"""Gating: the grid search finds exactly what brute force finds."""

from __future__ import annotations

import numpy as np

from dronewarn.track.gating import gate, mahalanobis, near_pairs


def _brute_near(
    a: np.ndarray, ar: np.ndarray, b: np.ndarray, br: np.ndarray
) -> set[tuple[int, int]]:
    d = np.sqrt(((a[:, None] - b[None]) ** 2).sum(axis=2))
    return set(zip(*np.nonzero(d <= ar[:, None] + br[None, :]), strict=True))


def test_near_pairs_equal_brute_force_with_mixed_reaches() -> None:
    rng = np.random.default_rng(2)
    a = rng.uniform(0.0, 100_000.0, (400, 2))
    b = rng.uniform(0.0, 100_000.0, (600, 2))
    ar = rng.uniform(100.0, 3000.0, 400)
    br = np.where(rng.random(600) < 0.2, rng.uniform(3000.0, 9000.0, 600), 300.0)
    i, j = near_pairs(a, ar, b, br)
    got = set(zip(i.tolist(), j.tolist(), strict=True))
    assert len(got) == len(i)  # no pair twice
    assert got == {(int(x), int(y)) for x, y in _brute_near(a, ar, b, br)}
    assert len(got) > 100


def test_grid_gate_equals_exact_gate_on_all_pairs() -> None:
    rng = np.random.default_rng(3)
    n, m = 300, 500
    x = np.column_stack([rng.uniform(0, 50_000, (n, 2)), rng.normal(0, 40, (n, 2))])
    p = np.tile(np.diag([200.0**2, 200.0**2, 20.0**2, 20.0**2]), (n, 1, 1))
    p[::7] *= 30.0  # some wide, young tracks
    t = rng.uniform(0.0, 4.0, n)
    z = rng.uniform(0, 50_000, (m, 2))
    r = np.tile(np.eye(2) * 150.0**2, (m, 1, 1))
    r[::5] = np.eye(2) * 2000.0**2  # acoustic-wide
    tm = rng.uniform(0.0, 4.0, m)
    fast = gate(x, p, t, z, r, tm, 13.8, 1.0)
    ti, mj = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    full = mahalanobis(x, p, t, z, r, tm, ti.ravel(), mj.ravel(), 13.8, 1.0)
    got = dict(zip(zip(fast.track.tolist(), fast.meas.tolist(), strict=True), fast.d2, strict=True))
    want = dict(
        zip(zip(full.track.tolist(), full.meas.tolist(), strict=True), full.d2, strict=True)
    )
    assert got.keys() == want.keys()
    assert len(want) > 50
    np.testing.assert_allclose([got[k] for k in want], [want[k] for k in want], rtol=1e-9)
