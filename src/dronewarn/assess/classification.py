"""Classification of tracks from kinematics and sensor evidence, with a confidence.

A naive-Bayes posterior over the classes of ``ObjectClass``:

* speed: each class has a typical ground speed (mean, spread); the track's speed sigma widens
  it. Gerbera 120-160 km/h, Shahed-type 150-185 km/h (shared/SCENARIO-NIGHT-0910.md), jet
  drones over 500 km/h, multirotors and birds slow;
* altitude, when a sensor measured it: crewed traffic flies high, birds and multirotors low;
* sensor hints (an acoustic class, a SAPIENT classification, a radar cross-section class):
  each hint multiplies its class's likelihood by ``1 + 4 * confidence``;
* cooperative tracks (ADS-B, Remote ID) are crewed traffic and never a threat.

Gerbera and Shahed-type overlap in speed, so kinematics alone gives them modest confidence:
that is the honest answer until a sensor tells them apart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from dronewarn.domain.report import ObjectClass
from dronewarn.domain.track import TrackState

# (mean km/h, sigma km/h, prior)
_SPEED_MODEL: Mapping[ObjectClass, tuple[float, float, float]] = MappingProxyType(
    {
        ObjectClass.GERBERA: (140.0, 15.0, 0.35),
        ObjectClass.SHAHED: (168.0, 14.0, 0.25),
        ObjectClass.JET_DRONE: (600.0, 120.0, 0.05),
        ObjectClass.MULTIROTOR: (45.0, 25.0, 0.1),
        ObjectClass.CREWED: (450.0, 200.0, 0.1),
        ObjectClass.BIRD_CLUTTER: (35.0, 20.0, 0.15),
    }
)


@dataclass(frozen=True)
class Classification:
    object_class: ObjectClass
    confidence: float
    posterior: Mapping[ObjectClass, float]


def classify(track: TrackState, hints: Mapping[ObjectClass, float] | None = None) -> Classification:
    """The most likely class of a track and the posterior over all classes."""
    if track.cooperative:
        return Classification(ObjectClass.CREWED, 0.99, {ObjectClass.CREWED: 0.99})
    speed_kmh = track.speed_mps * 3.6
    speed_sigma_kmh = 3.6 * math.sqrt(max((track.cov_enu[10] + track.cov_enu[15]) / 2.0, 0.0))
    alt = track.position.alt_m
    scores: dict[ObjectClass, float] = {}
    for cls, (mean, sigma, prior) in _SPEED_MODEL.items():
        spread = math.hypot(sigma, speed_sigma_kmh)
        likelihood = math.exp(-0.5 * ((speed_kmh - mean) / spread) ** 2) / spread
        if alt is not None:
            likelihood *= _altitude_factor(cls, alt)
        if hints:
            likelihood *= 1.0 + 4.0 * hints.get(cls, 0.0)
        scores[cls] = prior * likelihood
    total = sum(scores.values())
    if total <= 0.0 or not math.isfinite(total):
        return Classification(ObjectClass.UNKNOWN, 0.0, {})
    posterior = {cls: value / total for cls, value in scores.items()}
    best = max(posterior, key=lambda cls: posterior[cls])
    if posterior[best] < 0.4:
        return Classification(ObjectClass.UNKNOWN, posterior[best], posterior)
    return Classification(best, posterior[best], posterior)


def classify_all(tracks: Sequence[TrackState]) -> list[tuple[ObjectClass, float]]:
    """(class, confidence) of every track at once: the same model as ``classify``, as array
    operations (a 1,000-track picture is classified every assessment cycle)."""
    if not tracks:
        return []
    classes = list(_SPEED_MODEL)
    mean = np.array([_SPEED_MODEL[c][0] for c in classes])
    sigma = np.array([_SPEED_MODEL[c][1] for c in classes])
    prior = np.array([_SPEED_MODEL[c][2] for c in classes])
    speed_kmh = 3.6 * np.array([t.speed_mps for t in tracks])
    var_v = np.array([(t.cov_enu[10] + t.cov_enu[15]) / 2.0 for t in tracks])
    speed_sigma_kmh = 3.6 * np.sqrt(np.maximum(var_v, 0.0))
    spread = np.hypot(sigma[None, :], speed_sigma_kmh[:, None])
    likelihood = np.exp(-0.5 * ((speed_kmh[:, None] - mean[None, :]) / spread) ** 2) / spread
    alt = np.array([np.nan if t.position.alt_m is None else t.position.alt_m for t in tracks])
    has_alt = ~np.isnan(alt)
    if has_alt.any():
        factors = np.ones_like(likelihood)
        for k, cls in enumerate(classes):
            factors[has_alt, k] = [_altitude_factor(cls, a) for a in alt[has_alt].tolist()]
        likelihood *= factors
    for row, track in enumerate(tracks):
        if track.class_evidence:
            hints = dict(track.class_evidence)
            likelihood[row] *= [1.0 + 4.0 * hints.get(c, 0.0) for c in classes]
    scores = prior[None, :] * likelihood
    total = scores.sum(axis=1)
    ok = np.isfinite(total) & (total > 0.0)
    best = np.argmax(scores, axis=1)
    confidence = np.where(ok, scores[np.arange(len(tracks)), best] / np.where(ok, total, 1.0), 0.0)
    out = []
    for row, track in enumerate(tracks):
        if track.cooperative:
            out.append((ObjectClass.CREWED, 0.99))
        elif not ok[row] or confidence[row] < 0.4:
            out.append((ObjectClass.UNKNOWN, float(confidence[row])))
        else:
            out.append((classes[int(best[row])], float(confidence[row])))
    return out


def _altitude_factor(cls: ObjectClass, alt_m: float) -> float:
    if cls is ObjectClass.CREWED:
        return 2.0 if alt_m > 3000.0 else 0.5
    if cls in (ObjectClass.BIRD_CLUTTER, ObjectClass.MULTIROTOR):
        return 1.0 if alt_m < 1000.0 else 0.2
    return 1.0 if alt_m < 5000.0 else 0.2
