"""The thin crossing check: straight-line prediction with a heading fan.

For every track, five straight paths over the horizon start at its position: the estimated
velocity, and the same speed turned by -2, -1, +1, +2 heading sigmas (the heading sigma comes
from the velocity covariance). The share of paths entering the partner's airspace is the
entry probability; the nominal path gives the entry point and time; the entering paths'
spread, widened by the speed sigma, gives the time window. All tracks and all five paths are
one vectorised first-entry query (``geo.airspace``). Replaced by the IMM-aware predictor of
the assessment issue; its seam is ``predict_crossings``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dronewarn.domain.track import TrackState
from dronewarn.geo.airspace import AirspaceMap

FloatArray = npt.NDArray[np.float64]
FAN_SIGMAS = np.array([0.0, -2.0, -1.0, 1.0, 2.0])


@dataclass(frozen=True)
class CrossingPrediction:
    track_id: str
    inside_now: bool
    enters: bool
    probability: float
    entry_east_m: float
    entry_north_m: float
    entry_time_s: float
    earliest_s: float
    latest_s: float


def predict_crossings(
    tracks: list[TrackState], airspace: AirspaceMap, area_id: str, now_s: float, horizon_s: float
) -> list[CrossingPrediction]:
    """One prediction per track (same order)."""
    if not tracks:
        return []
    n = len(tracks)
    pos = np.array([[t.east_m, t.north_m] for t in tracks])
    vel = np.array([[t.vel_east_mps, t.vel_north_mps] for t in tracks])
    cov = np.array([t.cov_enu for t in tracks]).reshape(n, 4, 4)
    speed = np.maximum(np.hypot(vel[:, 0], vel[:, 1]), 1e-3)
    # heading variance: J P_vv J^T with J = (vn, -ve) / |v|^2
    jac = np.column_stack([vel[:, 1], -vel[:, 0]]) / (speed**2)[:, None]
    heading_sigma = np.sqrt(np.einsum("ni,nij,nj->n", jac, cov[:, 2:, 2:], jac))
    heading_sigma = np.minimum(heading_sigma, np.pi / 4)
    speed_sigma = np.sqrt(
        np.einsum("ni,nij,nj->n", vel / speed[:, None], cov[:, 2:, 2:], vel / speed[:, None])
    )
    angle = FAN_SIGMAS[None, :] * heading_sigma[:, None]  # n x 5, clockwise rotation
    cos_a, sin_a = np.cos(angle), np.sin(angle)
    ve = vel[:, 0:1] * cos_a + vel[:, 1:2] * sin_a
    vn = -vel[:, 0:1] * sin_a + vel[:, 1:2] * cos_a
    start_e = np.repeat(pos[:, 0:1], len(FAN_SIGMAS), axis=1)
    start_n = np.repeat(pos[:, 1:2], len(FAN_SIGMAS), axis=1)
    entries = airspace.first_entry(
        area_id, start_e, start_n, start_e + ve * horizon_s, start_n + vn * horizon_s
    )
    found = entries.found.reshape(n, len(FAN_SIGMAS))
    eta = (entries.fraction * horizon_s).reshape(n, len(FAN_SIGMAS))
    inside = airspace.contains(area_id, pos[:, 0], pos[:, 1])
    probability = found.mean(axis=1)
    entry_e = entries.east_m.reshape(n, -1)[:, 0]
    entry_n = entries.north_m.reshape(n, -1)[:, 0]
    early = np.min(np.where(found, eta, np.inf), axis=1)
    late = np.max(np.where(found, eta, -np.inf), axis=1)
    spread = eta[:, 0] * speed_sigma / speed
    out = []
    for i, track in enumerate(tracks):
        enters = bool(found[i, 0]) and not inside[i]
        out.append(
            CrossingPrediction(
                track_id=track.track_id,
                inside_now=bool(inside[i]),
                enters=enters,
                probability=float(probability[i]),
                entry_east_m=float(entry_e[i]),
                entry_north_m=float(entry_n[i]),
                entry_time_s=now_s + float(eta[i, 0]) if enters else float("nan"),
                earliest_s=now_s + float(max(early[i] - spread[i], 0.0))
                if enters
                else float("nan"),
                latest_s=now_s + float(late[i] + spread[i]) if enters else float("nan"),
            )
        )
    return out
