"""The tracker's own input check: bad rows are refused with a typed error, counted, and skipped.

The node's ``sense`` stage already refuses malformed reports; this guard protects the tracker
when it is used alone (``dronewarn track``, notebooks) and is the last line before the maths:
a NaN or infinite value, a covariance that is not positive definite, a position farther than
any sensor sees, a time older than ``max_lag_s`` behind the newest measurement seen (time
going backwards, beyond what late sightings need), or an unknown sensor. One bad row never
stops the batch.
"""

from __future__ import annotations

from collections import Counter, deque

import numpy as np

from dronewarn.domain.errors import (
    ImplausibleReportError,
    InputError,
    TimeOrderError,
    UnknownSensorError,
)
from dronewarn.track.measurements import PlaneMeasurements

MAX_PLANE_M = 2_000_000.0
"""No sensor sees a target 2,000 km from the node's origin."""


class MeasurementGuard:
    """Filters batches; keeps counts per error kind and the latest errors for display."""

    def __init__(
        self, max_lag_s: float, known_sensors: frozenset[str] | None = None, keep: int = 100
    ) -> None:
        self.max_lag_s = max_lag_s
        self.known_sensors = known_sensors
        self.rejected: Counter[str] = Counter()
        self.recent: deque[InputError] = deque(maxlen=keep)
        self.newest_s = float("-inf")

    def check(self, meas: PlaneMeasurements) -> PlaneMeasurements:
        n = len(meas)
        if not n:
            return meas
        t, z, r = meas.time_s, meas.z, meas.r
        if self._all_good(meas):
            self.newest_s = max(self.newest_s, float(t.max()))
            return meas
        finite = np.isfinite(t) & np.isfinite(z).all(axis=1) & np.isfinite(r).all(axis=(1, 2))
        det = r[:, 0, 0] * r[:, 1, 1] - r[:, 0, 1] * r[:, 1, 0]
        # symmetric up to rounding (J C J^T products are not bit-symmetric)
        skew = np.abs(r[:, 0, 1] - r[:, 1, 0]) <= 1e-9 * (np.abs(r[:, 0, 0]) + np.abs(r[:, 1, 1]))
        pos_def = finite & (r[:, 0, 0] > 0.0) & (det > 0.0) & skew
        near = pos_def & (np.abs(z) <= MAX_PLANE_M).all(axis=1)
        newest = max(self.newest_s, float(t[finite].max()) if finite.any() else self.newest_s)
        in_time = near & (t >= newest - self.max_lag_s)
        known = np.ones(n, dtype=bool)
        if self.known_sensors is not None:
            ok_names = np.array([s in self.known_sensors for s in meas.sensor_names], dtype=bool)
            known = ok_names[meas.sensor]
        good = in_time & known
        if good.all():
            self.newest_s = newest
            return meas
        for i in np.flatnonzero(~good).tolist():
            self._refuse(meas, i, finite[i], pos_def[i], near[i], in_time[i], newest)
        if good.any():
            self.newest_s = max(self.newest_s, float(t[good].max()))
        return meas.take(np.flatnonzero(good))

    def _all_good(self, meas: PlaneMeasurements) -> bool:
        """The common case in a few array operations: every row passes every check."""
        t, r = meas.time_s, meas.r
        # a sum is finite only if every term is (finite values this large do not overflow)
        if not np.isfinite(t.sum() + meas.z.sum() + r.sum()):
            return False
        if float(np.abs(meas.z).max()) > MAX_PLANE_M:
            return False
        if self.known_sensors is not None and not self.known_sensors.issuperset(meas.sensor_names):
            return False
        a, b, c, d = r[:, 0, 0], r[:, 0, 1], r[:, 1, 0], r[:, 1, 1]
        symmetric = (np.abs(b - c) <= 1e-9 * (np.abs(a) + np.abs(d))).all()
        if not ((a > 0.0).all() and (a * d - b * c > 0.0).all() and symmetric):
            return False
        return float(t.min()) >= max(self.newest_s, float(t.max())) - self.max_lag_s

    def _refuse(
        self,
        meas: PlaneMeasurements,
        i: int,
        finite: np.bool_,
        pos_def: np.bool_,
        near: np.bool_,
        in_time: np.bool_,
        newest: float,
    ) -> None:
        sensor = meas.sensor_names[int(meas.sensor[i])]
        error: InputError
        if not finite:
            error = ImplausibleReportError(
                f"{sensor}: non-finite time, position or covariance", field="time_s/z/r"
            )
        elif not pos_def:
            error = ImplausibleReportError(
                f"{sensor}: covariance {meas.r[i].tolist()} is not positive definite", field="r"
            )
        elif not near:
            error = ImplausibleReportError(
                f"{sensor}: position {meas.z[i].tolist()} m is beyond any sensor's reach",
                field="z",
            )
        elif not in_time:
            error = TimeOrderError(
                f"{sensor}: time {meas.time_s[i]:.3f} is {newest - meas.time_s[i]:.1f} s "
                f"before the newest measurement, more than the {self.max_lag_s:.0f} s allowed"
            )
        else:
            error = UnknownSensorError(f"unknown sensor {sensor!r}")
        self.rejected[error.kind] += 1
        self.recent.append(error)
