"""Verify a node's forecasts against truth: is a 30 % crossing probability right 30 % of the time?

Each sampled forecast (``assess.forecast_log``) is tied to the drone nearest its track's
position at its time (within ``match_radius_m``; none: a false track, which never enters).
Its outcome is 1 when that drone enters the forecast's country within ``horizon_s`` after the
forecast, else 0.

* Brier score: mean squared difference between probability and outcome (0 is perfect);
  ``brier_reference`` is the score of always forecasting the base rate, and
  ``brier_skill`` = 1 - brier / brier_reference (above 0: better than the base rate);
* reliability: forecasts in ten probability bins, each bin's mean probability against the
  fraction that did enter (a calibrated forecast lies on the diagonal);
* class reliability: per class the node named (unknown left out), the mean confidence
  against the fraction of forecasts whose drone really was of that class, in five bins, and
  the expected calibration error (the count-weighted gap between the two).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from dronewarn.assess.forecast_log import Forecast
from dronewarn.domain.report import ObjectClass
from dronewarn.geo.frame import LocalFrame
from dronewarn.sim.truth import Truth

FloatArray = npt.NDArray[np.float64]
PROBABILITY_BINS = 10
CONFIDENCE_BINS = 5


@dataclass(frozen=True)
class ForecastScore:
    forecasts: int
    matched: int
    entered: int
    brier: float | None
    brier_reference: float | None
    brier_skill: float | None
    reliability: list[dict[str, float | int]] = field(default_factory=list)
    """Per non-empty probability bin: low, high, count, mean_probability, observed."""
    class_reliability: dict[str, dict[str, object]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "forecasts": self.forecasts,
            "matched": self.matched,
            "entered": self.entered,
            "brier": self.brier,
            "brier_reference": self.brier_reference,
            "brier_skill": self.brier_skill,
            "reliability": self.reliability,
            "class_reliability": self.class_reliability,
        }


def score_forecasts(
    truth: Truth,
    frame: LocalFrame,
    forecasts: Sequence[Forecast],
    country: str,
    horizon_s: float = 3600.0,
    match_radius_m: float = 5000.0,
    true_class: Callable[[str], ObjectClass] = ObjectClass,
) -> ForecastScore:
    """Score the forecasts about ``country`` (others are left out).

    ``true_class``: the class a drone type is (the simulator's types are class names)."""
    rows = [f for f in forecasts if f.area == country]
    if not rows:
        return ForecastScore(0, 0, 0, None, None, None)
    times = np.array([f.time_s for f in rows])
    east, north = frame.to_plane(
        np.array([f.lat_deg for f in rows]), np.array([f.lon_deg for f in rows])
    )
    drone_of = _match(truth, times, np.asarray(east), np.asarray(north), match_radius_m)
    by_index = truth.drones
    crossing = np.array(
        [c.time_s if (c := d.crossing_into(country)) is not None else np.inf for d in by_index]
    )
    matched = drone_of >= 0
    entry_s = np.where(matched, crossing[np.maximum(drone_of, 0)], np.inf)
    outcome = ((entry_s > times) & (entry_s <= times + horizon_s)).astype(float)
    probability = np.clip(np.array([f.probability for f in rows]), 0.0, 1.0)
    brier = float(np.mean((probability - outcome) ** 2))
    base = float(outcome.mean())
    reference = float(np.mean((base - outcome) ** 2))
    kinds = [true_class_of(d.drone_type, true_class) for d in by_index]
    classes = _class_reliability(rows, drone_of, kinds)
    return ForecastScore(
        forecasts=len(rows),
        matched=int(matched.sum()),
        entered=int(outcome.sum()),
        brier=round(brier, 4),
        brier_reference=round(reference, 4),
        brier_skill=round(1.0 - brier / reference, 4) if reference > 0 else None,
        reliability=_reliability(probability, outcome, PROBABILITY_BINS),
        class_reliability=classes,
    )


def true_class_of(drone_type: str, true_class: Callable[[str], ObjectClass]) -> ObjectClass:
    try:
        return true_class(drone_type)
    except ValueError:
        return ObjectClass.UNKNOWN


def _match(
    truth: Truth, times: FloatArray, east: FloatArray, north: FloatArray, radius_m: float
) -> npt.NDArray[np.int64]:
    """Index of the drone nearest each position at its time (-1: none within the radius)."""
    out = np.full(len(times), -1, dtype=np.int64)
    unique, inverse = np.unique(times, return_inverse=True)
    drones = truth.drones
    if not drones:
        return out
    # every drone's position at every forecast time (NaN when not flying)
    de = np.full((len(drones), len(unique)), np.nan)
    dn = np.full((len(drones), len(unique)), np.nan)
    for i, drone in enumerate(drones):
        flying = (unique >= drone.launch_s) & (unique <= drone.end_s)
        if flying.any():
            de[i, flying], dn[i, flying] = drone.position_at(unique[flying])
    for j in range(len(unique)):
        active = np.nonzero(np.isfinite(de[:, j]))[0]
        rows = np.nonzero(inverse == j)[0]
        if not len(active) or not len(rows):
            continue
        tree = cKDTree(np.column_stack([de[active, j], dn[active, j]]))
        dist, nearest = tree.query(np.column_stack([east[rows], north[rows]]))
        hit = dist <= radius_m
        out[rows[hit]] = active[nearest[hit]]
    return out


def _reliability(value: FloatArray, outcome: FloatArray, bins: int) -> list[dict[str, float | int]]:
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.minimum((value * bins).astype(int), bins - 1)
    out: list[dict[str, float | int]] = []
    for b in range(bins):
        inside = which == b
        count = int(inside.sum())
        if not count:
            continue
        out.append(
            {
                "low": round(float(edges[b]), 2),
                "high": round(float(edges[b + 1]), 2),
                "count": count,
                "mean_probability": round(float(value[inside].mean()), 4),
                "observed": round(float(outcome[inside].mean()), 4),
            }
        )
    return out


def _class_reliability(
    rows: Sequence[Forecast], drone_of: npt.NDArray[np.int64], truth_class: list[ObjectClass]
) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    named = sorted({f.object_class for f in rows} - {ObjectClass.UNKNOWN})
    for cls in named:
        idx = np.array([i for i, f in enumerate(rows) if f.object_class is cls])
        confidence = np.clip(np.array([rows[i].class_confidence for i in idx]), 0.0, 1.0)
        right = np.array(
            [drone_of[i] >= 0 and truth_class[drone_of[i]] is cls for i in idx], dtype=float
        )
        table = _reliability(confidence, right, CONFIDENCE_BINS)
        gap = sum(
            int(b["count"]) * abs(float(b["mean_probability"]) - float(b["observed"]))
            for b in table
        )
        out[cls.value] = {
            "forecasts": len(idx),
            "mean_confidence": round(float(confidence.mean()), 4),
            "accuracy": round(float(right.mean()), 4),
            "calibration_error": round(gap / len(idx), 4),
            "reliability": table,
        }
    return out
