"""Track initiation: pairing lone measurements over time before a track is born.

A measurement no track claims becomes a *seed*: a position with covariance, no velocity.
A later measurement pairs with a seed when it lies inside the gate of that seed's one-point
track, a Gaussian velocity prior N(0, sigma_v^2 I) spread over the time between them:

    S = R_seed + R_new + sigma_v^2 dt^2 I,    d^2 = y^T S^-1 y < chi2,

which is the gate of a one-point tentative track (as Stone Soup's multi-measurement
initiator runs it) at a fraction of the cost. Pairs are chosen by the same GNN as the main
assignment; a pair becomes a tentative track (hits = 2) whose IMM starts from the seed and is
updated with the new measurement. Seeds live ``window_s`` (one revisit of the slowest sensor);
two measurements at the same instant never pair (several acoustic nodes hearing one drone).
The M-of-N confirmation (``confirm_hits`` within ``confirm_window_s``) runs in the tracker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from dronewarn.track.association import assign
from dronewarn.track.gating import near_pairs

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass
class Seeds:
    """Lone measurements waiting for a partner: plane position, covariance, time, sensor."""

    z: FloatArray = field(default_factory=lambda: np.zeros((0, 2)))
    r: FloatArray = field(default_factory=lambda: np.zeros((0, 2, 2)))
    t: FloatArray = field(default_factory=lambda: np.zeros(0))
    sensor: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    alt: FloatArray = field(default_factory=lambda: np.zeros(0))
    alt_sigma: FloatArray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.t)

    def add(
        self,
        z: FloatArray,
        r: FloatArray,
        t: FloatArray,
        sensor: IntArray,
        alt: FloatArray,
        alt_sigma: FloatArray,
    ) -> None:
        self.z = np.concatenate([self.z, z])
        self.r = np.concatenate([self.r, r])
        self.t = np.concatenate([self.t, t])
        self.sensor = np.concatenate([self.sensor, sensor])
        self.alt = np.concatenate([self.alt, alt])
        self.alt_sigma = np.concatenate([self.alt_sigma, alt_sigma])

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        self.z, self.r, self.t = self.z[mask], self.r[mask], self.t[mask]
        self.sensor, self.alt, self.alt_sigma = (
            self.sensor[mask],
            self.alt[mask],
            self.alt_sigma[mask],
        )


def pair_seeds(
    seeds: Seeds,
    z: FloatArray,
    r: FloatArray,
    t: FloatArray,
    speed_sigma_mps: float,
    window_s: float,
    chi2: float,
    min_dt_s: float = 0.2,
) -> tuple[IntArray, IntArray, FloatArray]:
    """GNN pairs (seed index, new measurement index) inside the velocity-prior gate, and
    each pair's cost d^2 + ln|S|."""
    none = np.zeros(0, dtype=np.intp)
    if not len(seeds) or not len(z):
        return none, none, np.zeros(0)
    dt_max = float(min(window_s, max(float(t.max()) - float(seeds.t.min()), 0.0)))
    root = np.sqrt(chi2)
    new_reach = root * (np.sqrt(r[:, 0, 0] + r[:, 1, 1]) + np.sqrt(2.0) * speed_sigma_mps * dt_max)
    seed_reach = root * np.sqrt(seeds.r[:, 0, 0] + seeds.r[:, 1, 1])
    mj, si = near_pairs(z, new_reach, seeds.z, seed_reach)
    if not len(mj):
        return none, none, np.zeros(0)
    dt = t[mj] - seeds.t[si]
    ok = (dt >= min_dt_s) & (dt <= window_s)
    si, mj, dt = si[ok], mj[ok], dt[ok]
    if not len(si):
        return none, none, np.zeros(0)
    v = (speed_sigma_mps * dt) ** 2
    s = seeds.r[si] + r[mj]
    s00, s11, s01 = s[:, 0, 0] + v, s[:, 1, 1] + v, s[:, 0, 1]
    det = s00 * s11 - s01 * s01
    y = z[mj] - seeds.z[si]
    d2 = (y[:, 0] ** 2 * s11 - 2.0 * y[:, 0] * y[:, 1] * s01 + y[:, 1] ** 2 * s00) / det
    inside = d2 < chi2
    si, mj = si[inside], mj[inside]
    cost = d2[inside] + np.log(det[inside])
    chosen = assign(si, mj, cost, len(seeds), len(z))
    return si[chosen], mj[chosen], cost[chosen]
