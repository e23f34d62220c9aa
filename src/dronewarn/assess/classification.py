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
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

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


def _altitude_factor(cls: ObjectClass, alt_m: float) -> float:
    if cls is ObjectClass.CREWED:
        return 2.0 if alt_m > 3000.0 else 0.5
    if cls in (ObjectClass.BIRD_CLUTTER, ObjectClass.MULTIROTOR):
        return 1.0 if alt_m < 1000.0 else 0.2
    return 1.0 if alt_m < 5000.0 else 0.2
