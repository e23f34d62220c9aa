"""Stone Soup GNN peer: the library's standard multi-target tracker, run on our detections.

Runs Stone Soup (PyPI ``stonesoup`` 1.9.x, not a project dependency; install it into the
benchmark environment) on the same position detections as our tracker, in the same process,
so quality and speed can be compared like for like. The recipe is the one in Stone Soup's
tutorials ("Initiators & Deleters", ``MultiTargetTracker``), built from the library's own
components; only the per-scan loop is written here:

* motion: ``CombinedLinearGaussianTransitionModel`` of two ``ConstantVelocity`` models, state
  ``(x, vx, y, vy)``, ``noise_diff_coeff = accel_sigma_mps2**2`` (the white-acceleration
  spectral density q in m^2/s^3, so one second of it is an acceleration of ``accel_sigma_mps2``);
* sensor: ``LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=diag(sigma_m^2))``;
* filter: ``KalmanPredictor`` and ``KalmanUpdater``;
* association: ``DistanceHypothesiser`` with the ``Mahalanobis`` measure (not squared) and
  ``missed_distance = gate_mahalanobis`` (a detection further than that from a track's
  predicted measurement is not a hypothesis; the missed hypothesis costs the gate distance),
  solved globally by ``GNNWith2DAssignment``;
* initiation: ``MultiMeasurementInitiator``. Every unassociated detection starts a holding
  track whose position (and its covariance) comes from the detection through the measurement
  model and whose velocity prior is zero with variance ``init_speed_sigma_mps**2`` per axis.
  Holding tracks are associated (with the same GNN associator, as in the tutorial) to the
  detections left over by the confirmed tracks and released to the tracker once they hold
  ``min_points`` updates. They have their own ``UpdateTimeStepsDeleter`` with
  ``init_delete_after_misses``;
* deletion: ``UpdateTimeStepsDeleter(time_steps_since_update=delete_after_misses)``, which
  drops a track on its ``delete_after_misses``-th consecutive scan without an update. It counts
  scans, not seconds, and needs no covariance threshold in m^2 (the tutorial's
  ``CovarianceBasedDeleter(4)`` is tied to its unit-sized toy scenario);
* loop (as ``MultiTargetTracker.__next__``): associate the held tracks with the scan, append
  the update or the prediction, delete, then initiate from the unassociated detections.

``pd`` and ``clutter_density_per_m2`` are not used by this distance-based GNN recipe (they would
be by Stone Soup's PDA/JPDA hypothesisers); they are kept so the peer is described by the same
scenario parameters as our tracker.

Stone Soup wants ``datetime`` time stamps. Scan times ``t_s`` (POSIX-like seconds) become
timezone-aware UTC datetimes; the filtering and association components only subtract and
compare them, so aware datetimes work as long as all of them are aware (Stone Soup's own
readers happen to produce naive UTC).

    /tmp/probe/bin/python bench/stonesoup_peer.py    # smoke run
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
from stonesoup.deleter.time import UpdateTimeStepsDeleter
from stonesoup.hypothesiser.distance import DistanceHypothesiser
from stonesoup.initiator.simple import MultiMeasurementInitiator
from stonesoup.measures import Mahalanobis
from stonesoup.models.measurement.linear import LinearGaussian
from stonesoup.models.transition.linear import (
    CombinedLinearGaussianTransitionModel,
    ConstantVelocity,
)
from stonesoup.predictor.kalman import KalmanPredictor
from stonesoup.types.detection import Detection
from stonesoup.types.state import GaussianState
from stonesoup.updater.kalman import KalmanUpdater

Estimate = tuple[int, float, float]


@dataclass(frozen=True)
class PeerParams:
    """Parameters of the Stone Soup GNN recipe (see the module docstring)."""

    sigma_m: float
    """Measurement noise sigma per axis, metres."""
    accel_sigma_mps2: float
    """CV process noise; ``ConstantVelocity(noise_diff_coeff=accel_sigma_mps2**2)`` per axis."""
    pd: float
    """Detection probability. Documentation only: the distance GNN recipe does not use it."""
    clutter_density_per_m2: float
    """Clutter density. Documentation only: the distance GNN recipe does not use it."""
    gate_mahalanobis: float = 3.0
    """``DistanceHypothesiser.missed_distance`` on the Mahalanobis distance (the tutorials: 3)."""
    init_speed_sigma_mps: float = 60.0
    """Velocity prior sigma per axis of a new holding track (prior mean zero)."""
    min_points: int = 3
    """``MultiMeasurementInitiator.min_points``: updates a holding track needs to be released."""
    delete_after_misses: int = 3
    """Tracker ``UpdateTimeStepsDeleter.time_steps_since_update``: consecutive missed scans."""
    init_delete_after_misses: int = 2
    """Holding-track ``UpdateTimeStepsDeleter.time_steps_since_update`` inside the initiator."""


@dataclass
class _Recipe:
    """The Stone Soup components of one run (untyped library objects)."""

    updater: Any
    associator: Any
    deleter: Any
    initiator: Any


def build_recipe(params: PeerParams) -> _Recipe:
    """Assemble the Stone Soup GNN components for ``params``."""
    q = params.accel_sigma_mps2**2
    transition = CombinedLinearGaussianTransitionModel([ConstantVelocity(q), ConstantVelocity(q)])
    measurement = LinearGaussian(
        ndim_state=4, mapping=(0, 2), noise_covar=np.diag([params.sigma_m**2] * 2)
    )
    predictor = KalmanPredictor(transition)
    updater = KalmanUpdater(measurement)
    hypothesiser = DistanceHypothesiser(
        predictor, updater, measure=Mahalanobis(), missed_distance=params.gate_mahalanobis
    )
    associator = GNNWith2DAssignment(hypothesiser)
    v_var = params.init_speed_sigma_mps**2
    prior = GaussianState(np.zeros((4, 1)), np.diag([0.0, v_var, 0.0, v_var]))
    initiator = MultiMeasurementInitiator(
        prior_state=prior,
        measurement_model=measurement,
        deleter=UpdateTimeStepsDeleter(time_steps_since_update=params.init_delete_after_misses),
        data_associator=associator,
        updater=updater,
        min_points=params.min_points,
    )
    deleter = UpdateTimeStepsDeleter(time_steps_since_update=params.delete_after_misses)
    return _Recipe(updater=updater, associator=associator, deleter=deleter, initiator=initiator)


def to_stonesoup_scans(
    scans: Sequence[tuple[float, np.ndarray]],
) -> list[tuple[datetime, set[Any]]]:
    """Turn ``(t_s, xy)`` scans into Stone Soup ``(datetime, set of Detection)`` scans."""
    out: list[tuple[datetime, set[Any]]] = []
    for t_s, xy in scans:
        stamp = datetime.fromtimestamp(float(t_s), tz=UTC)
        pts = np.asarray(xy, dtype=float).reshape(-1, 2)
        out.append(
            (stamp, {Detection(row.reshape(2, 1), timestamp=stamp) for row in pts}),
        )
    return out


def _track_xy(track: Any) -> tuple[float, float]:
    sv = track.state_vector
    return float(sv[0, 0]), float(sv[2, 0])


def run_stonesoup_timed(
    scans: Sequence[tuple[float, np.ndarray]], params: PeerParams
) -> tuple[list[float], list[list[Estimate]]]:
    """Like :func:`run_stonesoup`, but return the tracking seconds of every scan."""
    recipe = build_recipe(params)
    ss_scans = to_stonesoup_scans(scans)
    tracks: set[Any] = set()
    ids: dict[str, int] = {}
    scan_seconds: list[float] = []
    estimates: list[list[Estimate]] = []
    for stamp, detections in ss_scans:
        t0 = time.perf_counter()
        associations = recipe.associator.associate(tracks, detections, stamp)
        used: set[Any] = set()
        for track, hypothesis in associations.items():
            if hypothesis:
                track.append(recipe.updater.update(hypothesis))
                used.add(hypothesis.measurement)
            else:
                track.append(hypothesis.prediction)
        tracks -= recipe.deleter.delete_tracks(tracks)
        tracks |= recipe.initiator.initiate(detections - used, stamp)
        scan_seconds.append(time.perf_counter() - t0)

        # Ids in order of first appearance; tracks born in the same scan are ordered by position
        # so the numbering does not depend on set iteration order.
        rows = sorted((_track_xy(tr), tr.id) for tr in tracks)
        for _, uid in rows:
            if uid not in ids:
                ids[uid] = len(ids)
        estimates.append([(ids[uid], x, y) for (x, y), uid in rows])
    return scan_seconds, estimates


def run_stonesoup(
    scans: Sequence[tuple[float, np.ndarray]], params: PeerParams
) -> tuple[float, list[list[tuple[int, float, float]]]]:
    """Track ``scans`` with the Stone Soup GNN recipe.

    ``scans`` is a sequence of ``(t_s, xy)``: ``t_s`` in seconds (float, increasing, POSIX-like)
    and ``xy`` an ``(M, 2)`` float array of detections ``(x_m, y_m)`` in a flat local plane, all
    taken at ``t_s``. Returns ``(wall_seconds, estimates)``: ``estimates[k]`` lists
    ``(track_id, x_m, y_m)`` for every track held after scan ``k`` (Stone Soup releases a track
    from the initiator only once confirmed), ``track_id`` being a small int per Stone Soup track
    in order of first appearance. ``wall_seconds`` covers only the tracking steps, not building
    the ``Detection`` objects beforehand nor reading the estimates out.
    """
    scan_seconds, estimates = run_stonesoup_timed(scans, params)
    return math.fsum(scan_seconds), estimates


# --- smoke run ---------------------------------------------------------------------------------


def _scenario(
    *,
    targets: int,
    scans: int,
    clutter: int,
    seed: int,
    dt_s: float = 2.0,
    half_m: float = 100e3,
    sigma_m: float = 150.0,
    pd: float = 0.9,
) -> tuple[list[tuple[float, np.ndarray]], np.ndarray]:
    """Straight-line targets in a square; return the scans and the final true positions."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-0.9 * half_m, 0.9 * half_m, (targets, 2))
    course = rng.uniform(0.0, 2.0 * math.pi, targets)
    speed = rng.uniform(40.0, 60.0, targets)
    vel = np.column_stack([speed * np.sin(course), speed * np.cos(course)])
    t0 = 1.7e9
    out: list[tuple[float, np.ndarray]] = []
    truth = pos
    for k in range(scans):
        truth = pos + vel * (k * dt_s)
        seen = rng.random(targets) < pd
        hits = truth[seen] + rng.normal(0.0, sigma_m, (int(seen.sum()), 2))
        false = rng.uniform(-half_m, half_m, (clutter, 2))
        xy = np.vstack([hits, false])
        out.append((t0 + k * dt_s, xy[rng.permutation(len(xy))]))
    return out, truth


def main() -> None:
    area_m2 = 200e3 * 200e3
    params = PeerParams(
        sigma_m=150.0, accel_sigma_mps2=1.0, pd=0.9, clutter_density_per_m2=20 / area_m2
    )
    scans, truth = _scenario(targets=10, scans=60, clutter=20, seed=7)
    wall, estimates = run_stonesoup(scans, params)
    last = estimates[-1]
    track_xy = np.array([[x, y] for _, x, y in last]).reshape(-1, 2)
    if len(track_xy):
        dist = np.linalg.norm(truth[:, None, :] - track_xy[None, :, :], axis=2).min(axis=1)
        err = f"{dist.mean():.0f} m (max {dist.max():.0f} m)"
    else:
        err = "n/a (no tracks)"
    ever = len({tid for scan in estimates for tid, _, _ in scan})
    print("10 targets, 20 clutter/scan, 60 scans of 2 s:")
    print(f"  wall {wall:.3f} s ({wall / len(scans) * 1e3:.1f} ms/scan)")
    print(f"  tracks at end {len(last)} (ids ever issued {ever})")
    print(f"  mean distance true target -> nearest track at last scan {err}")

    big = PeerParams(
        sigma_m=150.0, accel_sigma_mps2=1.0, pd=0.9, clutter_density_per_m2=200 / area_m2
    )
    scans, _ = _scenario(targets=100, scans=10, clutter=200, seed=11)
    per_scan, estimates = run_stonesoup_timed(scans, big)
    print("100 targets, 200 clutter/scan, 10 scans:")
    print(f"  {statistics.fmean(per_scan):.3f} s/scan mean, last 3 scans {per_scan[-3:]}")
    print(f"  tracks at end {len(estimates[-1])}")


if __name__ == "__main__":
    main()
