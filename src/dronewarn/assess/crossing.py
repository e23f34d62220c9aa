"""Crossing assessment: will a track enter an airspace, where, when, and how likely.

For every track, a fan of straight paths over the horizon starts at its position: the
estimated velocity turned by 0, +-0.75, +-1.5 and +-2.25 heading sigmas (the heading sigma
comes from the velocity covariance), weighted by the normal density. All tracks and all fan
paths are one vectorised first-entry query (``geo.airspace``).

* geometric probability: the weight of the fan paths that enter;
* persistence: a drone keeps a course for a while, then may turn (loitering decoys fly legs
  of tens of kilometres; electronic warfare bends courses). The chance that it keeps its
  course until entry decays with the time to entry, ``exp(-eta / persist_tau_s)``: a course
  that ends at the border in a few minutes is very likely flown, one that reaches it in an
  hour is not. On NIGHT-0910 this is what separates distractors (whose straight legs point at
  Poland from 20-35 minutes out, then turn) from crossers (docs/assessment.md);
* probability = geometric x persistence;
* entry point: the nominal path's entry; its error ellipse is the position covariance
  propagated to the entry time;
* entry window: the entering fan paths' earliest and latest entry, widened by two sigmas of
  the along-track and speed uncertainty.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dronewarn.domain.track import TrackState
from dronewarn.geo.airspace import AirspaceMap

FloatArray = npt.NDArray[np.float64]
FAN_SIGMAS = np.array([0.0, -0.75, 0.75, -1.5, 1.5, -2.25, 2.25])
FAN_WEIGHTS = np.exp(-0.5 * FAN_SIGMAS**2) / np.exp(-0.5 * FAN_SIGMAS**2).sum()
FAN_SIGMAS.setflags(write=False)
FAN_WEIGHTS.setflags(write=False)


@dataclass(frozen=True)
class CrossingPrediction:
    track_id: str
    inside_now: bool
    enters: bool
    p_geometric: float
    p_persist: float
    probability: float
    entry_east_m: float
    entry_north_m: float
    entry_sigma_major_m: float
    entry_sigma_minor_m: float
    entry_time_s: float
    earliest_s: float
    latest_s: float
    distance_m: float = float("nan")
    """Distance to the airspace's boundary now: positive outside, negative inside."""
    inside_surely: bool = False
    """Inside by more than ``CROSSED_SIGMAS`` position sigmas: the drone has crossed, not
    only its estimate (a track flying along a border may sit just inside it)."""


CROSSED_SIGMAS = 2.0


def predict_crossings(
    tracks: list[TrackState],
    airspace: AirspaceMap,
    area_id: str,
    now_s: float,
    horizon_s: float,
    persist_tau_s: float = 1500.0,
    accel_sigma_mps2: float = 0.7,
    distance_for: Collection[str] | None = None,
) -> list[CrossingPrediction]:
    """One prediction per track (same order). ``distance_m`` and ``inside_surely`` are
    measured for the tracks named in ``distance_for`` (a node names those under an open
    warning: only the lifecycle's CROSSED and flying-away rules use them), for every track
    when it is None; the rest get NaN and False. A nearest-edge query per track and airspace
    would be a third of a cycle's cost."""
    if not tracks:
        return []
    n = len(tracks)
    k = len(FAN_SIGMAS)
    pos = np.array([[t.east_m, t.north_m] for t in tracks])
    vel = np.array([[t.vel_east_mps, t.vel_north_mps] for t in tracks])
    cov = np.array([t.cov_enu for t in tracks]).reshape(n, 4, 4)
    speed = np.maximum(np.hypot(vel[:, 0], vel[:, 1]), 1e-3)
    unit = vel / speed[:, None]
    # heading variance: J P_vv J^T with J = (vn, -ve) / |v|^2
    jac = np.column_stack([vel[:, 1], -vel[:, 0]]) / (speed**2)[:, None]
    heading_sigma = np.minimum(np.sqrt(np.einsum("ni,nij,nj->n", jac, cov[:, 2:, 2:], jac)), 0.6)
    speed_sigma = np.sqrt(np.einsum("ni,nij,nj->n", unit, cov[:, 2:, 2:], unit))
    along_sigma = np.sqrt(np.einsum("ni,nij,nj->n", unit, cov[:, :2, :2], unit))

    # the nominal path first; the rest of the fan only where the nominal path enters (an
    # entry needs the nominal path to enter, so the fan only refines those tracks)
    nominal = airspace.first_entry(
        area_id,
        pos[:, 0],
        pos[:, 1],
        pos[:, 0] + vel[:, 0] * horizon_s,
        pos[:, 1] + vel[:, 1] * horizon_s,
    )
    found = np.zeros((n, k), dtype=bool)
    eta = np.full((n, k), np.nan)
    found[:, 0] = nominal.found
    eta[:, 0] = nominal.fraction * horizon_s
    fan = np.nonzero(nominal.found)[0]
    if len(fan):
        angle = FAN_SIGMAS[None, 1:] * heading_sigma[fan, None]  # clockwise rotation
        cos_a, sin_a = np.cos(angle), np.sin(angle)
        ve = vel[fan, 0:1] * cos_a + vel[fan, 1:2] * sin_a
        vn = -vel[fan, 0:1] * sin_a + vel[fan, 1:2] * cos_a
        start_e = np.repeat(pos[fan, 0:1], k - 1, axis=1)
        start_n = np.repeat(pos[fan, 1:2], k - 1, axis=1)
        rest = airspace.first_entry(
            area_id, start_e, start_n, start_e + ve * horizon_s, start_n + vn * horizon_s
        )
        found[fan, 1:] = rest.found.reshape(len(fan), k - 1)
        eta[fan, 1:] = (rest.fraction * horizon_s).reshape(len(fan), k - 1)
    inside = nominal.fraction == 0.0
    distance = np.full(n, np.nan)
    if distance_for is None:
        measure = np.ones(n, dtype=bool)
    else:
        wanted = set(distance_for)
        measure = np.array([t.track_id in wanted for t in tracks], dtype=bool)
    surely = np.zeros(n, dtype=bool)
    if measure.any():
        idx = np.nonzero(measure)[0]
        distance[idx] = airspace.signed_distance_m(area_id, pos[idx, 0], pos[idx, 1])
        sigma_major = np.sqrt(np.maximum(np.linalg.eigvalsh(cov[idx, :2, :2])[:, -1], 0.0))
        surely[idx] = inside[idx] & (-distance[idx] >= CROSSED_SIGMAS * sigma_major)
    p_geo = (found * FAN_WEIGHTS[None, :]).sum(axis=1)
    nominal_eta = np.where(found[:, 0], eta[:, 0], np.nan)
    p_persist = np.where(found[:, 0], np.exp(-np.nan_to_num(nominal_eta) / persist_tau_s), 0.0)
    probability = np.where(inside, 1.0, p_geo * p_persist)

    entry_e = nominal.east_m
    entry_n = nominal.north_m
    early = np.min(np.where(found, eta, np.inf), axis=1)
    late = np.max(np.where(found, eta, -np.inf), axis=1)
    t = np.nan_to_num(nominal_eta)
    q_pos = accel_sigma_mps2**2 * t**3 / 3.0  # the tracker's process noise over the lead time
    sigma_t = np.sqrt((along_sigma**2 + q_pos) / speed**2 + (t * speed_sigma / speed) ** 2)
    # position covariance at entry, as in assess.prediction:
    # P_pp + t (P_pv + P_vp) + t^2 P_vv + q t^3 / 3 I
    p_entry = (
        cov[:, :2, :2]
        + t[:, None, None] * (cov[:, :2, 2:] + cov[:, 2:, :2])
        + (t**2)[:, None, None] * cov[:, 2:, 2:]
        + q_pos[:, None, None] * np.eye(2)
    )
    eig = np.sqrt(np.maximum(np.linalg.eigvalsh(p_entry), 0.0))
    out = []
    for i, track in enumerate(tracks):
        enters = bool(found[i, 0]) and not inside[i]
        nan = float("nan")
        out.append(
            CrossingPrediction(
                track_id=track.track_id,
                inside_now=bool(inside[i]),
                enters=enters,
                p_geometric=float(p_geo[i]),
                p_persist=float(p_persist[i]),
                probability=float(probability[i]),
                entry_east_m=float(entry_e[i]),
                entry_north_m=float(entry_n[i]),
                entry_sigma_major_m=float(eig[i, 1]) if enters else nan,
                entry_sigma_minor_m=float(eig[i, 0]) if enters else nan,
                entry_time_s=now_s + float(eta[i, 0]) if enters else nan,
                earliest_s=now_s + float(max(early[i] - 2 * sigma_t[i], 0.0)) if enters else nan,
                latest_s=now_s + float(late[i] + 2 * sigma_t[i]) if enters else nan,
                distance_m=float(distance[i]),
                inside_surely=bool(surely[i]),
            )
        )
    return out
