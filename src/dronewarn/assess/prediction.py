"""Trajectory prediction: where each track will be over the horizon, with an uncertainty corridor.

The tracker's nearly-constant-velocity state and covariance are propagated in closed form:
the mean moves in a straight line, and the position covariance at lead time t is

    P(t) = P_pp + t (P_pv + P_vp) + t^2 P_vv + q t^3 / 3 I

(``q`` the tracker's white-acceleration intensity). The corridor half-width at each step is
``k`` sigmas across the track (``k = 2``: about 95 % of straight-flying drones stay inside);
the along-track sigma gives the timing uncertainty. One call predicts all tracks at all steps
with numpy. (The tracking issue's IMM will hand over a mixture; the corridor then takes the
mixture's covariance.) The crossing assessment reasons on the same model with a heading fan
(``assess.crossing``); this module gives the path the operator picture draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dronewarn.domain.track import TrackState

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PredictedPaths:
    """N tracks x K steps: times, positions, and 1-sigma along / across the track."""

    track_ids: tuple[str, ...]
    time_s: FloatArray  # K
    east_m: FloatArray  # N x K
    north_m: FloatArray  # N x K
    sigma_along_m: FloatArray  # N x K
    sigma_across_m: FloatArray  # N x K

    def corridor_m(self, k_sigma: float = 2.0) -> FloatArray:
        """Half-width of the corridor across each path (N x K)."""
        return k_sigma * self.sigma_across_m


def predict_paths(
    tracks: list[TrackState],
    now_s: float,
    horizon_s: float = 3600.0,
    step_s: float = 60.0,
    accel_sigma_mps2: float = 0.7,
) -> PredictedPaths:
    """Predicted paths of all tracks from ``now_s`` to ``now_s + horizon_s``."""
    lead = np.arange(0.0, horizon_s + 1e-9, step_s)
    if not tracks:
        empty = np.zeros((0, len(lead)))
        return PredictedPaths((), now_s + lead, empty, empty, empty, empty)
    n = len(tracks)
    state = np.array(
        [[t.east_m, t.north_m, t.vel_east_mps, t.vel_north_mps, now_s - t.time_s] for t in tracks]
    )
    cov = np.array([t.cov_enu for t in tracks]).reshape(n, 4, 4)
    t = lead[None, :] + state[:, 4:5]  # each track's own age
    east = state[:, 0:1] + state[:, 2:3] * t
    north = state[:, 1:2] + state[:, 3:4] * t
    tt = t[:, :, None, None]
    p = (
        cov[:, None, :2, :2]
        + tt * (cov[:, None, :2, 2:] + cov[:, None, 2:, :2])
        + tt**2 * cov[:, None, 2:, 2:]
        + (accel_sigma_mps2**2 * tt**3 / 3.0) * np.eye(2)
    )
    speed = np.maximum(np.hypot(state[:, 2], state[:, 3]), 1e-6)
    along = np.column_stack([state[:, 2], state[:, 3]]) / speed[:, None]
    across = np.column_stack([along[:, 1], -along[:, 0]])
    var_along = np.einsum("ni,nkij,nj->nk", along, p, along)
    var_across = np.einsum("ni,nkij,nj->nk", across, p, across)
    return PredictedPaths(
        track_ids=tuple(t.track_id for t in tracks),
        time_s=now_s + lead,
        east_m=east,
        north_m=north,
        sigma_along_m=np.sqrt(np.maximum(var_along, 0.0)),
        sigma_across_m=np.sqrt(np.maximum(var_across, 0.0)),
    )
