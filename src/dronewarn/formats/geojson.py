"""Tracks and warnings as GeoJSON (RFC 7946) for GIS tools and analysts.

* One ``Feature`` per track state: a ``Point`` at ``[lon, lat]`` (or ``[lon, lat, alt_m]`` when
  the height is known; RFC 7946 section 3.1.1 allows the third, ellipsoidal-height element),
  with the state's time, course, speed, accuracy and class as properties.
* One ``Feature`` per warning with an entry prediction: a ``LineString`` from the track's
  position to its predicted entry point, with the entry time window and probability.
* Coordinates are WGS84 longitude first (RFC 7946 section 4), rounded to 1e-7 degrees
  (about 1 cm); times are ISO 8601 UTC with a ``Z`` suffix.

A track's trajectory is a ``FeatureCollection`` of its states in time order
(``trajectory_collection``), which GIS tools animate by the ``time`` property; several
tracks come one after the other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from dronewarn.domain.report import GeoPoint
from dronewarn.domain.time import iso
from dronewarn.domain.track import TrackState
from dronewarn.domain.warning import Warning

_DIGITS = 7


def _position(point: GeoPoint) -> list[float]:
    coords = [round(point.lon_deg, _DIGITS), round(point.lat_deg, _DIGITS)]
    if point.alt_m is not None and math.isfinite(point.alt_m):
        coords.append(round(point.alt_m, 1))
    return coords


def track_feature(state: TrackState, node_id: str) -> dict[str, Any]:
    """One track state as a Point Feature; ``id`` is ``node/track/time`` (unique per state, and
    partners' track ids never clash)."""
    return {
        "type": "Feature",
        "id": f"{node_id}/{state.track_id}/{state.time_s:.3f}",
        "geometry": {"type": "Point", "coordinates": _position(state.position)},
        "properties": {
            "node": node_id,
            "track_id": state.track_id,
            "time": iso(state.time_s),
            "status": state.status.value,
            "course_deg": round(state.course_deg, 1),
            "speed_mps": round(state.speed_mps, 2),
            "sigma_m": round(state.sigma_position_m, 1),
            "altitude_sigma_m": (
                None if state.altitude_sigma_m is None else round(state.altitude_sigma_m, 1)
            ),
            "object_class": state.object_class.value,
            "class_confidence": round(state.class_confidence, 3),
            "cooperative": state.cooperative,
            "quality": round(state.quality, 3),
            "sensors": sorted(state.sensors),
        },
    }


def warning_feature(warning: Warning) -> dict[str, Any] | None:
    """A warning as a LineString from the track to its entry point (None without a prediction)."""
    entry = warning.entry
    if entry is None:
        return None
    window = [None if not math.isfinite(t) else iso(t) for t in (entry.earliest_s, entry.latest_s)]
    return {
        "type": "Feature",
        "id": f"{warning.warning_id}/{warning.sequence}",
        "geometry": {
            "type": "LineString",
            "coordinates": [
                _position(GeoPoint(warning.track_position.lat_deg, warning.track_position.lon_deg)),
                _position(GeoPoint(entry.point.lat_deg, entry.point.lon_deg)),
            ],
        },
        "properties": {
            **warning.identity(),
            "issued": iso(warning.issued_s),
            "entry_time": iso(entry.time_s),
            "entry_earliest": window[0],
            "entry_latest": window[1],
            "probability": round(entry.probability, 3),
            "priority": warning.priority,
            "object_class": warning.object_class.value,
        },
    }


def picture_collection(
    states: Iterable[TrackState], warnings: Iterable[Warning], node_id: str
) -> dict[str, Any]:
    """The node's current picture: every track state, then every warning with a prediction."""
    features = [track_feature(s, node_id) for s in states]
    features.extend(f for f in (warning_feature(w) for w in warnings) if f is not None)
    return {"type": "FeatureCollection", "features": features}


def trajectory_collection(states: Iterable[TrackState], node_id: str) -> dict[str, Any]:
    """States of one or more tracks as a FeatureCollection, grouped by track, each track's in
    time order."""
    ordered = sorted(states, key=lambda s: (s.track_id, s.time_s))
    return {"type": "FeatureCollection", "features": [track_feature(s, node_id) for s in ordered]}
