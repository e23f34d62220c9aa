"""GNN assignment over gated pairs equals the dense optimum."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from dronewarn.track.association import assign


def _dense_optimum(
    track: np.ndarray, meas: np.ndarray, cost: np.ndarray, n: int, m: int
) -> tuple[int, float]:
    big = 1e6
    dense = np.full((n, m), big)
    dense[track, meas] = cost - cost.min() + 1.0
    rows, cols = linear_sum_assignment(dense)
    ok = dense[rows, cols] < big
    return int(ok.sum()), float(dense[rows[ok], cols[ok]].sum())


def test_assignment_is_optimal_on_random_sparse_problems() -> None:
    rng = np.random.default_rng(5)
    for trial in range(40):
        n, m = int(rng.integers(5, 400)), int(rng.integers(5, 400))
        k = int(rng.integers(1, 3 * max(n, m)))
        pairs = np.unique(np.column_stack([rng.integers(0, n, k), rng.integers(0, m, k)]), axis=0)
        track, meas = pairs[:, 0].astype(np.intp), pairs[:, 1].astype(np.intp)
        cost = rng.uniform(0.0, 20.0, len(track))
        chosen = assign(track, meas, cost, n, m)
        assert len(set(track[chosen].tolist())) == len(chosen), trial
        assert len(set(meas[chosen].tolist())) == len(chosen), trial
        count, total = _dense_optimum(track, meas, cost, n, m)
        assert len(chosen) == count, trial
        np.testing.assert_allclose(
            (cost[chosen] - cost.min() + 1.0).sum(), total, rtol=1e-9, err_msg=str(trial)
        )
