"""Tracking accuracy: GOSPA with its parts, identity switches, fragmentation, time to confirm.

GOSPA (generalised optimal sub-pattern assignment, Rahmathullah, Garcia-Fernandez and
Svensson, FUSION 2017) with ``alpha = 2``: for true positions X and estimates Y,

    d = (min_A  sum_A min(d(x, y), c)^p  +  c^p / 2 (|X| + |Y| - 2 |A|))^(1/p)

which splits into localisation (assigned pairs closer than ``c``), missed targets and false
tracks. Identity metrics follow CLEAR-MOT (Bernardin and Stiefelhagen, 2008): a target keeps
its track from the previous step while that track is still within ``c`` of it, and only the
others are matched anew (optimally); an identity switch is a target whose matched track
changes, a fragmentation a target that loses its track and is later tracked again. Without
that rule two targets crossing within the noise would count switches that no track made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Gospa:
    """GOSPA of one time step and its parts (each in metres, as ``d^p`` shares re-rooted)."""

    distance: float
    localisation: float
    missed: int
    false: int
    pairs: tuple[tuple[int, int], ...]
    """(truth index, estimate index) assigned within the cut-off."""


def gospa(truth: FloatArray, estimates: FloatArray, c: float, p: float = 2.0) -> Gospa:
    """GOSPA (alpha = 2) between true positions (N, d) and estimates (M, d)."""
    from scipy.optimize import linear_sum_assignment

    n, m = len(truth), len(estimates)
    if not n or not m:
        total = c**p / 2.0 * (n + m)
        return Gospa(float(total ** (1.0 / p)), 0.0, n, m, ())
    dist = np.sqrt(((truth[:, None, :] - estimates[None, :, :]) ** 2).sum(axis=2))
    cost = np.minimum(dist, c) ** p
    rows, cols = linear_sum_assignment(cost)
    real = dist[rows, cols] < c
    loc = float(cost[rows[real], cols[real]].sum())
    assigned = int(real.sum())
    missed, false = n - assigned, m - assigned
    total = loc + c**p / 2.0 * (missed + false)
    return Gospa(
        distance=float(total ** (1.0 / p)),
        localisation=float(loc ** (1.0 / p)),
        missed=missed,
        false=false,
        pairs=tuple(zip(rows[real].tolist(), cols[real].tolist(), strict=True)),
    )


@dataclass(frozen=True)
class TrackingScore:
    """A run's accuracy over all time steps."""

    mean_gospa_m: float
    mean_localisation_m: float
    mean_missed: float
    mean_false: float
    id_switches: int
    fragmentations: int
    median_time_to_confirm_s: float
    """From a target's first presence to its first assigned track (NaN if never tracked)."""
    steps: int

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}


def score(
    times_s: FloatArray,
    truth: FloatArray,
    alive: npt.NDArray[np.bool_],
    estimates: Sequence[tuple[Sequence[str | int], FloatArray]],
    c: float,
    p: float = 2.0,
) -> TrackingScore:
    """Score a run: ``truth`` (K, T, 2) positions of T targets at K times (``alive`` masks
    them) against ``estimates[k] = (track ids, positions (M, 2))`` at the same times."""
    n_steps, n_targets = alive.shape
    totals = np.zeros(n_steps)
    loc = np.zeros(n_steps)
    missed = np.zeros(n_steps)
    false = np.zeros(n_steps)
    last_track: list[str | int | None] = [None] * n_targets
    tracked_before = np.zeros(n_targets, dtype=bool)
    tracked_now = np.zeros(n_targets, dtype=bool)
    first_seen = np.full(n_targets, np.nan)
    first_tracked = np.full(n_targets, np.nan)
    switches = fragments = 0
    for k in range(n_steps):
        live = np.flatnonzero(alive[k])
        first_seen[live] = np.where(np.isnan(first_seen[live]), times_s[k], first_seen[live])
        ids, xy = estimates[k]
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        g = gospa(truth[k, live], xy, c, p)
        totals[k], loc[k], missed[k], false[k] = g.distance, g.localisation, g.missed, g.false
        matched = _correspondences(truth[k, live], xy, live, list(ids), last_track, c)
        now = np.zeros(n_targets, dtype=bool)
        for target, track in matched.items():
            now[target] = True
            if last_track[target] is not None and last_track[target] != track:
                switches += 1
            if tracked_before[target] and not tracked_now[target]:
                fragments += 1
            last_track[target] = track
            if np.isnan(first_tracked[target]):
                first_tracked[target] = times_s[k]
        tracked_before |= now
        tracked_now = now
    delay = first_tracked - first_seen
    return TrackingScore(
        mean_gospa_m=float(totals.mean()) if n_steps else 0.0,
        mean_localisation_m=float(loc.mean()) if n_steps else 0.0,
        mean_missed=float(missed.mean()) if n_steps else 0.0,
        mean_false=float(false.mean()) if n_steps else 0.0,
        id_switches=switches,
        fragmentations=fragments,
        median_time_to_confirm_s=float(np.nanmedian(delay)) if np.isfinite(delay).any() else np.nan,
        steps=n_steps,
    )


def _correspondences(
    truth: FloatArray,
    xy: FloatArray,
    live: npt.NDArray[np.intp],
    ids: list[str | int],
    last_track: list[str | int | None],
    c: float,
) -> dict[int, str | int]:
    """CLEAR-MOT matching: keep last step's pairs still within ``c``, match the rest."""
    from scipy.optimize import linear_sum_assignment

    if not len(truth) or not len(xy):
        return {}
    dist = np.sqrt(((truth[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    column = {track: j for j, track in enumerate(ids)}
    out: dict[int, str | int] = {}
    free_rows = np.ones(len(truth), dtype=bool)
    free_cols = np.ones(len(xy), dtype=bool)
    for i, target in enumerate(live.tolist()):
        previous = last_track[target]
        j = column.get(previous) if previous is not None else None
        if j is not None and free_cols[j] and dist[i, j] < c:
            out[target] = previous
            free_rows[i] = free_cols[j] = False
    rows, cols = np.flatnonzero(free_rows), np.flatnonzero(free_cols)
    if len(rows) and len(cols):
        sub = np.minimum(dist[np.ix_(rows, cols)], c)
        a, b = linear_sum_assignment(sub)
        for i, j in zip(rows[a].tolist(), cols[b].tolist(), strict=True):
            if dist[i, j] < c:
                out[int(live[i])] = ids[j]
    return out
