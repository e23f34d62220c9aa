"""The thin tracker: batched nearly-constant-velocity Kalman filter with global nearest neighbour.

Per batch of reports (one radar scan, one acoustic tick, one sighting):

1. convert every report to a plane position with covariance (``track.measurements``);
2. gate every (track, measurement) pair by Mahalanobis distance, each pair predicted to the
   measurement's own time (plots of one scan are seconds apart);
3. assign by global nearest neighbour (``scipy.optimize.linear_sum_assignment`` on
   d^2 + ln|S|), in up to three rounds so that several acoustic nodes hearing one drone all
   update its track;
4. update: a Kalman update at the later of the track's and the measurement's time; an older
   measurement (late citizen sightings, early plots of a scan) is carried forward along the
   track's velocity with its covariance inflated accordingly: used, not dropped;
5. start a tentative track from every measurement outside all gates.

``prune`` confirms tracks with ``confirm_hits`` updates within ``confirm_window_s`` of birth,
deletes tentative tracks that do not make it, confirmed tracks not updated for ``coast_s`` or
whose position sigma exceeds ``max_position_sigma_m``, and the younger of two confirmed tracks
that have converged onto one object. This stage is replaced by the IMM/JPDA engine of the
tracking issue; its seam is ``process`` / ``prune`` / ``states``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from dronewarn.domain.report import GeoPoint, ObjectClass, Report
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.geo.frame import LocalFrame
from dronewarn.track.kalman import predict, update
from dronewarn.track.measurements import PlaneConverter, PlaneMeasurements

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
_INFEASIBLE = 1e9
_DENSE_PAIRS = 4096


@dataclass(frozen=True)
class TrackerConfig:
    accel_sigma_mps2: float = 0.7
    gate_chi2: float = 13.8  # 99.9 % of chi-square with 2 degrees of freedom
    init_speed_sigma_mps: float = 60.0
    confirm_hits: int = 3
    confirm_window_s: float = 45.0
    tentative_coast_s: float = 25.0
    coast_s: float = 60.0
    max_position_sigma_m: float = 6000.0
    merge_distance_m: float = 1000.0
    merge_speed_mps: float = 10.0
    assumed_alt_m: float = 1000.0
    assumed_alt_sigma_m: float = 1000.0
    assignment_rounds: int = 3
    course_tolerance_deg: float = 20.0
    history_step_s: float = 60.0
    history_len: int = 90


@dataclass
class _Tracks:
    """Structure of arrays: one row per live track."""

    x: FloatArray = field(default_factory=lambda: np.zeros((0, 4)))
    p: FloatArray = field(default_factory=lambda: np.zeros((0, 4, 4)))
    t: FloatArray = field(default_factory=lambda: np.zeros(0))
    born: FloatArray = field(default_factory=lambda: np.zeros(0))
    history: list[list[tuple[float, float, float]]] = field(default_factory=list)
    evidence: list[dict[ObjectClass, float]] = field(default_factory=list)
    held_since: FloatArray = field(default_factory=lambda: np.zeros(0))
    last: FloatArray = field(default_factory=lambda: np.zeros(0))
    hits: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    confirmed: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    ids: list[str] = field(default_factory=list)
    sensors: list[set[str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.t)

    def keep(self, mask: BoolArray) -> None:
        self.x, self.p, self.t = self.x[mask], self.p[mask], self.t[mask]
        self.born, self.last, self.hits = self.born[mask], self.last[mask], self.hits[mask]
        self.history = [h for h, k in zip(self.history, mask, strict=True) if k]
        self.evidence = [e for e, k in zip(self.evidence, mask, strict=True) if k]
        self.held_since = self.held_since[mask]
        self.confirmed = self.confirmed[mask]
        self.ids = [i for i, k in zip(self.ids, mask, strict=True) if k]
        self.sensors = [s for s, k in zip(self.sensors, mask, strict=True) if k]


class Tracker:
    """Multi-sensor multi-target tracker of one node. Pure computation, no I/O."""

    def __init__(self, node_id: str, frame: LocalFrame, config: TrackerConfig) -> None:
        self.node_id = node_id
        self.frame = frame
        self.config = config
        self._tracks = _Tracks()
        self._converter = PlaneConverter(frame, config.assumed_alt_m, config.assumed_alt_sigma_m)
        self._next_id = 1
        self._tentative_seq = 0

    # ------------------------------------------------------------ processing

    def process(self, reports: list[Report]) -> None:
        """Fuse one batch of reports."""
        if not reports:
            return
        cfg = self.config
        meas = self._converter.convert(reports)
        free = np.ones(len(meas), dtype=bool)
        gated_any = np.zeros(len(meas), dtype=bool)
        for round_no in range(cfg.assignment_rounds):
            if not len(self._tracks):
                break
            # later rounds only for measurements that gated with a track but lost the assignment
            if round_no and not (free & gated_any).any():
                break
            candidates = free if not round_no else free & gated_any
            assigned = self._associate_and_update(meas, candidates, gated_any)
            if not len(assigned):
                break
            free[assigned] = False
        self._initiate(meas, free & ~gated_any)

    def _associate_and_update(
        self, meas: PlaneMeasurements, candidates: BoolArray, gated_any: BoolArray
    ) -> npt.NDArray[np.intp]:
        """Gate, assign and update once; return the indexes of the measurements used."""
        cfg = self.config
        tr = self._tracks
        none = np.zeros(0, dtype=np.intp)
        cols = np.flatnonzero(candidates)
        zc, rc = meas.z[cols], meas.r[cols]
        x, p = tr.x, tr.p
        dt = meas.time_s[cols][None, :] - tr.t[:, None]  # M x N, each pair at its own time
        ex = zc[None, :, 0] - (x[:, 0, None] + x[:, 2, None] * dt)
        ny = zc[None, :, 1] - (x[:, 1, None] + x[:, 3, None] * dt)
        adt = np.abs(dt)
        k = cfg.accel_sigma_mps2**2 / 3.0
        # coarse gate: d^2 <= |y|^2 / trace(S) <= chi2 needs |y|^2 <= chi2 * trace(S); trace(S)
        # is bounded per pair from the track's and the measurement's variances
        tr_pos = p[:, 0, 0] + p[:, 1, 1]
        tr_cross = np.abs(p[:, 0, 2]) + np.abs(p[:, 1, 3])
        tr_vel = p[:, 2, 2] + p[:, 3, 3]
        bound = (
            tr_pos[:, None]
            + adt * (2.0 * tr_cross[:, None] + adt * (tr_vel[:, None] + 2.0 * k * adt))
            + (rc[:, 0, 0] + rc[:, 1, 1])[None, :]
        )
        ti, mj = np.nonzero(ex * ex + ny * ny <= cfg.gate_chi2 * bound)
        if not len(ti):
            return none
        # exact Mahalanobis distance of the candidate pairs, 2x2 algebra written out
        d = dt[ti, mj]
        q = k * np.abs(d) ** 3
        pk = p[ti]
        rk = rc[mj]
        s00 = pk[:, 0, 0] + d * (2.0 * pk[:, 0, 2] + d * pk[:, 2, 2]) + q + rk[:, 0, 0]
        s11 = pk[:, 1, 1] + d * (2.0 * pk[:, 1, 3] + d * pk[:, 3, 3]) + q + rk[:, 1, 1]
        s01 = pk[:, 0, 1] + d * (pk[:, 0, 3] + pk[:, 1, 2] + d * pk[:, 2, 3]) + rk[:, 0, 1]
        det = s00 * s11 - s01 * s01
        yx, yy = ex[ti, mj], ny[ti, mj]
        d2 = (yx * yx * s11 - 2.0 * yx * yy * s01 + yy * yy * s00) / det
        ok = d2 < cfg.gate_chi2
        gated_any[cols[mj[ok]]] = True
        if not ok.any():
            return none
        ti, mj, d2, det = ti[ok], mj[ok], d2[ok], det[ok]
        pair_cost = d2 + np.log(np.maximum(det, 1e-9))
        if len(ti) == 1:
            rows, picked = ti, mj
        else:
            if len(tr) * len(cols) <= _DENSE_PAIRS:
                urows, r_inv = np.arange(len(tr)), ti
                ucols, c_inv = np.arange(len(cols)), mj
            else:  # only the rows and columns that have a gated pair
                urows, r_inv = np.unique(ti, return_inverse=True)
                ucols, c_inv = np.unique(mj, return_inverse=True)
            cost = np.full((len(urows), len(ucols)), _INFEASIBLE)
            cost[r_inv, c_inv] = pair_cost
            a_rows, a_cols = linear_sum_assignment(cost)
            feasible = cost[a_rows, a_cols] < _INFEASIBLE
            rows, picked = urows[a_rows[feasible]], ucols[a_cols[feasible]]
        meas_idx = cols[picked]
        self._update(rows, meas, meas_idx)
        return meas_idx

    def _update(
        self, rows: npt.NDArray[np.intp], meas: PlaneMeasurements, idx: npt.NDArray[np.intp]
    ) -> None:
        cfg = self.config
        tr = self._tracks
        t_meas = meas.time_s[idx]
        t_new = np.maximum(tr.t[rows], t_meas)
        x, p = predict(tr.x[rows], tr.p[rows], t_new - tr.t[rows], cfg.accel_sigma_mps2)
        # A measurement older than the track (a plot early in a scan, a late sighting) is
        # carried forward to the track's time along the track's velocity, its covariance
        # inflated by the velocity uncertainty over that gap (measurement extrapolation).
        lag = (t_new - t_meas)[:, None]
        z = meas.z[idx] + x[:, 2:] * lag
        r = meas.r[idx] + (lag * lag)[:, :, None] * p[:, 2:, 2:]
        tr.x[rows], tr.p[rows] = update(x, p, z, r)
        tr.t[rows] = t_new
        tr.hits[rows] += 1
        tr.last[rows] = np.maximum(tr.last[rows], t_meas)
        for row, m in zip(rows.tolist(), idx.tolist(), strict=True):
            tr.sensors[row].add(meas.sensor_ids[m])
            hint = meas.hints[m] if meas.hints else None
            if hint is not None:
                votes = tr.evidence[row]
                votes[hint.object_class] = votes.get(hint.object_class, 0.0) + hint.confidence

    def _initiate(self, meas: PlaneMeasurements, new: BoolArray) -> None:
        idx = np.nonzero(new)[0]
        if not len(idx):
            return
        n = len(idx)
        tr = self._tracks
        x = np.zeros((n, 4))
        x[:, :2] = meas.z[idx]
        p = np.zeros((n, 4, 4))
        p[:, :2, :2] = meas.r[idx]
        p[:, 2, 2] = p[:, 3, 3] = self.config.init_speed_sigma_mps**2
        t = meas.time_s[idx]
        tr.x = np.concatenate([tr.x, x])
        tr.p = np.concatenate([tr.p, p])
        tr.t = np.concatenate([tr.t, t])
        tr.born = np.concatenate([tr.born, t])
        tr.history.extend([] for _ in range(n))
        tr.evidence.extend({} for _ in range(n))
        tr.held_since = np.concatenate([tr.held_since, t])
        tr.last = np.concatenate([tr.last, t])
        tr.hits = np.concatenate([tr.hits, np.ones(n, dtype=np.int64)])
        tr.confirmed = np.concatenate([tr.confirmed, np.zeros(n, dtype=bool)])
        for i in idx.tolist():
            self._tentative_seq += 1
            tr.ids.append(f"~{self._tentative_seq}")
            tr.sensors.append({meas.sensor_ids[i]})

    # ------------------------------------------------------------ maintenance

    def prune(self, now_s: float) -> list[str]:
        """Confirm, merge and delete tracks as of ``now_s``; return deleted confirmed ids."""
        cfg = self.config
        tr = self._tracks
        if not len(tr):
            return []
        promote = ~tr.confirmed & (tr.hits >= cfg.confirm_hits)
        for row in np.nonzero(promote)[0].tolist():
            tr.ids[row] = f"{self.node_id}-T{self._next_id:05d}"
            self._next_id += 1
        tr.confirmed |= promote
        self._sample_history(now_s)
        sigma = np.sqrt((tr.p[:, 0, 0] + tr.p[:, 1, 1]) / 2.0)
        tentative = ~tr.confirmed
        dead = (
            tentative
            & ((now_s - tr.born > cfg.confirm_window_s) | (now_s - tr.last > cfg.tentative_coast_s))
        ) | (tr.confirmed & ((now_s - tr.last > cfg.coast_s) | (sigma > cfg.max_position_sigma_m)))
        dead |= self._duplicates()
        deleted = [tr.ids[i] for i in np.nonzero(dead & tr.confirmed)[0].tolist()]
        if dead.any():
            tr.keep(~dead)
        return deleted

    def _sample_history(self, now_s: float) -> None:
        """Every ``history_step_s`` remember where each confirmed track was."""
        cfg = self.config
        tr = self._tracks
        for row in np.nonzero(tr.confirmed)[0].tolist():
            past = tr.history[row]
            # sample the last update, and only once per update: a coasting track adds nothing
            if not past or tr.t[row] - past[-1][0] >= cfg.history_step_s:
                past.append((float(tr.t[row]), float(tr.x[row, 0]), float(tr.x[row, 1])))
                if len(past) > cfg.history_len:
                    del past[0]
                # the course check runs once per remembered position, not every cycle
                tr.held_since[row] = self._course_since(row, tr.x[row], now_s)

    def _course_since(self, row: int, state: FloatArray, now_s: float) -> float:
        """Since when the track has held its present course.

        Looking back through the track's remembered positions, the course is held as long as
        the chord from the past position to the present one stays within
        ``course_tolerance_deg`` of the present velocity: long baselines make this robust to
        velocity noise, and a turn shows at once. A drone that strays and steers back to its
        route keeps its chord close to its course.
        """
        past = self._tracks.history[row]
        speed = float(np.hypot(state[2], state[3]))
        if len(past) < 2 or speed < 5.0:
            return now_s
        hist = np.asarray(past)[::-1]  # newest first
        chord_e = state[0] - hist[:, 1]
        chord_n = state[1] - hist[:, 2]
        long_enough = np.hypot(chord_e, chord_n) > 2_000.0
        course = np.arctan2(state[2], state[3])
        off = np.abs((np.arctan2(chord_e, chord_n) - course + np.pi) % (2 * np.pi) - np.pi)
        bad = long_enough & (off > np.radians(self.config.course_tolerance_deg))
        if not bad.any():
            return float(hist[-1, 0])
        first_bad = int(np.argmax(bad))
        return float(hist[first_bad - 1, 0]) if first_bad > 0 else now_s

    def _duplicates(self) -> BoolArray:
        """Confirmed tracks that have converged onto an older, better-fed track."""
        cfg = self.config
        tr = self._tracks
        dup = np.zeros(len(tr), dtype=bool)
        rows = np.nonzero(tr.confirmed)[0]
        if len(rows) < 2:
            return dup
        pairs = cKDTree(tr.x[rows, :2]).query_pairs(cfg.merge_distance_m, output_type="ndarray")
        for a, b in rows[pairs].tolist() if len(pairs) else []:
            if np.hypot(*(tr.x[a, 2:] - tr.x[b, 2:])) > cfg.merge_speed_mps:
                continue
            dup[b if tr.hits[a] >= tr.hits[b] else a] = True
        return dup

    # ------------------------------------------------------------ output

    def states(self, now_s: float) -> list[TrackState]:
        """Confirmed tracks, each predicted to ``now_s``."""
        tr = self._tracks
        rows = np.nonzero(tr.confirmed)[0]
        if not len(rows):
            return []
        dt = np.maximum(now_s - tr.t[rows], 0.0)
        x, p = predict(tr.x[rows], tr.p[rows], dt, self.config.accel_sigma_mps2)
        lat, lon = self.frame.from_plane(x[:, 0], x[:, 1])
        out = []
        for k, row in enumerate(rows.tolist()):
            sigma = float(np.sqrt((p[k, 0, 0] + p[k, 1, 1]) / 2.0))
            out.append(
                TrackState(
                    track_id=tr.ids[row],
                    time_s=now_s,
                    status=TrackStatus.CONFIRMED,
                    east_m=float(x[k, 0]),
                    north_m=float(x[k, 1]),
                    vel_east_mps=float(x[k, 2]),
                    vel_north_mps=float(x[k, 3]),
                    cov_enu=tuple(float(v) for v in p[k].ravel()),
                    position=GeoPoint(float(lat[k]), float(lon[k]), None),
                    quality=float(1.0 / (1.0 + sigma / 1000.0)),
                    updates=int(tr.hits[row]),
                    sensors=frozenset(tr.sensors[row]),
                    last_update_s=float(tr.last[row]),
                    first_seen_s=float(tr.born[row]),
                    course_since_s=float(tr.held_since[row]),
                    class_evidence=tuple(tr.evidence[row].items()),
                )
            )
        return out

    @property
    def live_tracks(self) -> int:
        return len(self._tracks)
