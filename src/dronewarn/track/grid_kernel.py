"""Fixed-radius neighbour pairs on a uniform grid, compiled with numba.

``gating.near_pairs`` needs, every batch, all (track, measurement) pairs closer than the sum
of their reaches. ``scipy.spatial.cKDTree`` answers with Python lists (``query_ball_point``)
or per-group tree pairs (``sparse_distance_matrix``); with ~2,500 tracks and ~3,000
measurements per batch that cost 18 ms of a 30 ms budget (bench/track_vs_stonesoup.py,
mixed case). A bucket grid is the textbook structure for fixed-radius queries: points of
``b`` sorted by cell, each point of ``a`` visits the cells its reach can touch. Tested
against brute force in tests/track/test_gating.py.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from dronewarn.track.all_pairs_kernel import gate_pair

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@njit(cache=True, nogil=True)
def _buckets(
    xy: FloatArray, cell: float
) -> tuple[float, float, int, int, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Points sorted by grid cell: origin, grid size, the sort order and each cell's start."""
    x0 = xy[:, 0].min()
    y0 = xy[:, 1].min()
    nx = int((xy[:, 0].max() - x0) / cell) + 1
    ny = int((xy[:, 1].max() - y0) / cell) + 1
    key = np.empty(xy.shape[0], dtype=np.int64)
    for j in range(xy.shape[0]):
        key[j] = int((xy[j, 0] - x0) / cell) * ny + int((xy[j, 1] - y0) / cell)
    order = np.argsort(key, kind="mergesort")
    start = np.searchsorted(key[order], np.arange(nx * ny + 1))
    return x0, y0, nx, ny, order, start


@njit(cache=True, nogil=True)
def grid_pairs(
    a_xy: FloatArray,
    a_reach: FloatArray,
    b_xy: FloatArray,
    b_reach: FloatArray,
    cell: float,
) -> tuple[IntArray, IntArray]:
    """All (i, j) with |a_i - b_j| <= a_reach_i + b_reach_j (``cell`` > 0, in metres)."""
    na = a_xy.shape[0]
    x0, y0, nx, ny, order, start = _buckets(b_xy, cell)
    b_max = b_reach.max()
    counts = np.zeros(na, dtype=np.int64)
    for phase in range(2):
        if phase == 1:
            total = 0
            offsets = np.empty(na, dtype=np.int64)
            for i in range(na):
                offsets[i] = total
                total += counts[i]
            out_i = np.empty(total, dtype=np.intp)
            out_j = np.empty(total, dtype=np.intp)
        for i in range(na):
            ax, ay = a_xy[i, 0], a_xy[i, 1]
            reach = a_reach[i] + b_max
            cx_lo = max(math.floor((ax - reach - x0) / cell), 0)
            cx_hi = min(math.floor((ax + reach - x0) / cell), nx - 1)
            cy_lo = max(math.floor((ay - reach - y0) / cell), 0)
            cy_hi = min(math.floor((ay + reach - y0) / cell), ny - 1)
            n_found = 0
            for cx in range(cx_lo, cx_hi + 1):
                for cy in range(cy_lo, cy_hi + 1):
                    c = cx * ny + cy
                    for s in range(start[c], start[c + 1]):
                        j = order[s]
                        lim = a_reach[i] + b_reach[j]
                        dx = b_xy[j, 0] - ax
                        dy = b_xy[j, 1] - ay
                        if dx * dx + dy * dy <= lim * lim:
                            if phase == 1:
                                out_i[offsets[i] + n_found] = i
                                out_j[offsets[i] + n_found] = j
                            n_found += 1
            if phase == 0:
                counts[i] = n_found
    return out_i, out_j


@njit(cache=True, nogil=True)
def grid_gate(
    pos_c: FloatArray,
    reach: FloatArray,
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    z: FloatArray,
    r: FloatArray,
    tm: FloatArray,
    m_reach: FloatArray,
    chi2: float,
    accel_sigma_mps2: float,
    cell: float,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Grid search and exact gate in one pass: the pairs with Mahalanobis d^2 < chi2.

    Tracks (``x``, ``p`` at ``t``; searched around ``pos_c`` within ``reach``) against
    measurements (``z``, ``r`` at ``tm``, each with ``m_reach``); each pair predicted to its
    measurement's time by nearly-constant velocity with white acceleration
    ``accel_sigma_mps2``. The gate algebra is ``all_pairs_kernel.gate_pair``. Returns track rows,
    measurement indexes, d^2 and ln|S|.
    """
    nb = z.shape[0]
    na = x.shape[0]
    x0, y0, nx, ny, order, start = _buckets(z, cell)
    b_max = m_reach.max()
    k3 = accel_sigma_mps2 * accel_sigma_mps2 / 3.0
    cap = 4 * (na + nb) + 64
    out_i = np.empty(cap, dtype=np.intp)
    out_j = np.empty(cap, dtype=np.intp)
    out_d2 = np.empty(cap)
    out_ld = np.empty(cap)
    n = 0
    for i in range(na):
        ax, ay = pos_c[i, 0], pos_c[i, 1]
        span = reach[i] + b_max
        cx_lo = max(math.floor((ax - span - x0) / cell), 0)
        cx_hi = min(math.floor((ax + span - x0) / cell), nx - 1)
        cy_lo = max(math.floor((ay - span - y0) / cell), 0)
        cy_hi = min(math.floor((ay + span - y0) / cell), ny - 1)
        for cx in range(cx_lo, cx_hi + 1):
            for cy in range(cy_lo, cy_hi + 1):
                c = cx * ny + cy
                for s in range(start[c], start[c + 1]):
                    j = order[s]
                    lim = reach[i] + m_reach[j]
                    dx = z[j, 0] - ax
                    dy = z[j, 1] - ay
                    if dx * dx + dy * dy > lim * lim:
                        continue
                    d2, det = gate_pair(x, p, t, z, r, tm, i, j, k3)
                    if d2 >= chi2:
                        continue
                    if n == cap:
                        cap *= 2
                        grown_i = np.empty(cap, dtype=np.intp)
                        grown_j = np.empty(cap, dtype=np.intp)
                        grown_d2 = np.empty(cap)
                        grown_ld = np.empty(cap)
                        grown_i[:n] = out_i[:n]
                        grown_j[:n] = out_j[:n]
                        grown_d2[:n] = out_d2[:n]
                        grown_ld[:n] = out_ld[:n]
                        out_i, out_j, out_d2, out_ld = grown_i, grown_j, grown_d2, grown_ld
                    out_i[n] = i
                    out_j[n] = j
                    out_d2[n] = d2
                    out_ld[n] = math.log(max(det, 1e-9))
                    n += 1
    return out_i[:n], out_j[:n], out_d2[:n], out_ld[:n]
