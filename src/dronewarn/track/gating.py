"""Gating: which (track, measurement) pairs may belong together, at a cost that grows linearly.

A bucket grid over the batch's measurements (``grid_kernel``) yields candidate pairs within a
bound of the true gate, and the exact Mahalanobis test runs on the candidates only, in the
same compiled pass; a small batch simply tests every pair (``all_pairs_kernel``). The
bound: with the track predicted to the batch's middle time ``t_c`` and ``tr(S) <= b_track +
b_meas`` over the batch's time span,

    |z - x(t_c)| <= sqrt(chi2 b_track) + sqrt(chi2 b_meas) + |v| max|t - t_c|,

so no pair inside the gate is missed. Measurements are grouped by their own term (radar plots
hundreds of metres, acoustic discs kilometres) so that wide acoustic gates do not widen every
radar query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
_BRUTE_FORCE_PAIRS = 20_000


@dataclass(frozen=True)
class GatedPairs:
    """Pairs inside the gate: track rows, measurement indexes, d^2 and ln|S|."""

    track: IntArray
    meas: IntArray
    d2: FloatArray
    log_det: FloatArray

    def __len__(self) -> int:
        return len(self.track)

    @property
    def cost(self) -> FloatArray:
        """Negative log-likelihood up to a constant: the GNN cost."""
        return self.d2 + self.log_det


def _empty() -> GatedPairs:
    none = np.zeros(0, dtype=np.intp)
    return GatedPairs(none, none, np.zeros(0), np.zeros(0))


def near_pairs(
    a_xy: FloatArray, a_reach: FloatArray, b_xy: FloatArray, b_reach: FloatArray
) -> tuple[IntArray, IntArray]:
    """All (i, j) with ``|a_i - b_j| <= a_reach_i + b_reach_j``.

    A few points: all distances at once. Otherwise a bucket grid (``grid_kernel``) per group
    of ``b`` whose reaches are within a factor of four, so that kilometre-wide acoustic
    reaches do not widen every radar plot's search.
    """
    none = np.zeros(0, dtype=np.intp)
    if not len(a_xy) or not len(b_xy):
        return none, none
    if len(a_xy) * len(b_xy) <= _BRUTE_FORCE_PAIRS:
        from dronewarn.track.all_pairs_kernel import all_pairs

        return all_pairs(a_xy, a_reach, b_xy, b_reach)
    from dronewarn.track.grid_kernel import grid_pairs

    a_xy = np.ascontiguousarray(a_xy, dtype=np.float64)
    a_reach = np.ascontiguousarray(a_reach, dtype=np.float64)
    group = np.floor(np.log2(np.maximum(b_reach, 1.0)) / 2.0)
    ii: list[IntArray] = []
    jj: list[IntArray] = []
    for g in np.unique(group).tolist():
        members = np.flatnonzero(group == g)
        b_r = b_reach[members]
        cell = max(float(np.median(a_reach)) + float(b_r.max()), 1.0)
        i, j = grid_pairs(
            a_xy, a_reach, np.ascontiguousarray(b_xy[members]), np.ascontiguousarray(b_r), cell
        )
        ii.append(i)
        jj.append(members[j])
    return np.concatenate(ii), np.concatenate(jj)


def _reaches(
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    r: FloatArray,
    tm: FloatArray,
    chi2: float,
    accel_sigma_mps2: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Tracks at the batch's middle time, their reaches, and the measurements' reaches."""
    t_lo, t_hi = float(tm.min()), float(tm.max())
    t_c = 0.5 * (t_lo + t_hi)
    pos_c = x[:, :2] + x[:, 2:] * (t_c - t)[:, None]
    adt = np.maximum(np.abs(t_hi - t), np.abs(t_lo - t))
    k = accel_sigma_mps2**2 / 3.0
    b_track = (
        p[:, 0, 0]
        + p[:, 1, 1]
        + adt
        * (
            2.0 * (np.abs(p[:, 0, 2]) + np.abs(p[:, 1, 3]))
            + adt * (p[:, 2, 2] + p[:, 3, 3] + 2.0 * k * adt)
        )
    )
    speed = np.hypot(x[:, 2], x[:, 3])
    reach = np.sqrt(chi2 * b_track) + speed * (0.5 * (t_hi - t_lo))
    m_reach = np.sqrt(chi2 * (r[:, 0, 0] + r[:, 1, 1]))
    return pos_c, reach, m_reach


def candidates(
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    z: FloatArray,
    r: FloatArray,
    tm: FloatArray,
    chi2: float,
    accel_sigma_mps2: float,
) -> tuple[IntArray, IntArray]:
    """(track, measurement) pairs that may pass the gate: a superset of the gated pairs."""
    if not len(x) or not len(z):
        none = np.zeros(0, dtype=np.intp)
        return none, none
    pos_c, reach, m_reach = _reaches(x, p, t, r, tm, chi2, accel_sigma_mps2)
    return near_pairs(pos_c, reach, z, m_reach)


def gate(
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    z: FloatArray,
    r: FloatArray,
    tm: FloatArray,
    chi2: float,
    accel_sigma_mps2: float,
) -> GatedPairs:
    """All pairs whose Mahalanobis distance, each predicted to its measurement's time, < chi2.

    ``x`` (N, 4), ``p`` (N, 4, 4) at times ``t`` are the tracks (nearly-constant velocity
    prediction); ``z``, ``r``, ``tm`` the measurements.
    """
    if not len(x) or not len(z):
        return _empty()
    if len(x) * len(z) <= _BRUTE_FORCE_PAIRS:
        from dronewarn.track.all_pairs_kernel import all_pairs_gate

        return GatedPairs(*all_pairs_gate(x, p, t, z, r, tm, chi2, accel_sigma_mps2))
    from dronewarn.track.grid_kernel import grid_gate

    pos_c, reach, m_reach = _reaches(x, p, t, r, tm, chi2, accel_sigma_mps2)
    group = np.floor(np.log2(np.maximum(m_reach, 1.0)) / 2.0)
    parts: list[GatedPairs] = []
    for g in np.unique(group).tolist():
        members = np.flatnonzero(group == g)
        m_r = m_reach[members]
        ti, mj, d2, log_det = grid_gate(
            np.ascontiguousarray(pos_c),
            np.ascontiguousarray(reach),
            np.ascontiguousarray(x),
            np.ascontiguousarray(p),
            np.ascontiguousarray(t),
            np.ascontiguousarray(z[members]),
            np.ascontiguousarray(r[members]),
            np.ascontiguousarray(tm[members]),
            np.ascontiguousarray(m_r),
            chi2,
            accel_sigma_mps2,
            max(float(np.median(reach)) + float(m_r.max()), 1.0),
        )
        parts.append(GatedPairs(ti, members[mj], d2, log_det))
    return GatedPairs(
        np.concatenate([g.track for g in parts]),
        np.concatenate([g.meas for g in parts]),
        np.concatenate([g.d2 for g in parts]),
        np.concatenate([g.log_det for g in parts]),
    )


def mahalanobis(
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    z: FloatArray,
    r: FloatArray,
    tm: FloatArray,
    ti: IntArray,
    mj: IntArray,
    chi2: float,
    accel_sigma_mps2: float,
) -> GatedPairs:
    """The candidate pairs (``ti``, ``mj``) that pass the exact gate."""
    if not len(ti):
        return _empty()
    from dronewarn.track.all_pairs_kernel import listed_gate

    return GatedPairs(*listed_gate(x, p, t, z, r, tm, ti, mj, chi2, accel_sigma_mps2))
