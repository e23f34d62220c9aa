"""Gating: the grid search and the all-pairs kernel find exactly what plain matrix algebra finds."""

from __future__ import annotations

import numpy as np
import pytest

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


def _matrix_gate(
    x: np.ndarray,
    p: np.ndarray,
    t: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    tm: np.ndarray,
    chi2: float,
    accel: float,
) -> dict[tuple[int, int], tuple[float, float]]:
    """Reference: every pair, F P F^T + Q + R written as full matrices."""
    out = {}
    h = np.hstack([np.eye(2), np.zeros((2, 2))])
    for i in range(len(x)):
        for j in range(len(z)):
            d = tm[j] - t[i]
            f = np.eye(4)
            f[0, 2] = f[1, 3] = d
            q = np.zeros((4, 4))
            q[:2, :2] = np.eye(2) * accel**2 / 3.0 * abs(d) ** 3
            s = h @ (f @ p[i] @ f.T + q) @ h.T + r[j]
            y = z[j] - h @ f @ x[i]
            d2 = float(y @ np.linalg.solve(s, y))
            if d2 < chi2:
                out[(i, j)] = (d2, float(np.log(np.linalg.det(s))))
    return out


@pytest.mark.parametrize(("n", "m"), [(10, 30), (160, 200)])  # all-pairs kernel, then the grid
def test_gate_equals_matrix_algebra(n: int, m: int) -> None:
    rng = np.random.default_rng(n)
    x = np.column_stack([rng.uniform(0, 8_000, (n, 2)), rng.normal(0, 40, (n, 2))])
    a = rng.normal(0.0, 1.0, (n, 4, 4))
    p = np.einsum("nij,nkj->nik", a, a) * 300.0**2 / 4.0 + np.eye(4) * 100.0  # correlated
    t = rng.uniform(0.0, 4.0, n)
    z = rng.uniform(0, 8_000, (m, 2))
    b = rng.normal(0.0, 1.0, (m, 2, 2))
    r = np.einsum("nij,nkj->nik", b, b) * 150.0**2 + np.eye(2) * 100.0
    tm = rng.uniform(0.0, 4.0, m)
    got = gate(x, p, t, z, r, tm, 13.8, 1.0)
    want = _matrix_gate(x, p, t, z, r, tm, 13.8, 1.0)
    pairs = list(zip(got.track.tolist(), got.meas.tolist(), strict=True))
    assert sorted(pairs) == sorted(want)
    assert len(want) > 10
    np.testing.assert_allclose(got.d2, [want[k][0] for k in pairs], rtol=1e-7)
    np.testing.assert_allclose(got.log_det, [want[k][1] for k in pairs], rtol=1e-7)
