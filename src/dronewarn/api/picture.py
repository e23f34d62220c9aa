"""The operator picture's wire contract: compact track rows, frames and deltas.

A track travels as one JSON array (``TRACK_FIELDS`` names the positions) so that a picture of
1,000 tracks at 1 Hz stays around 100 kB/s before compression. Positions are rounded to
1e-5 degrees (about 1 m), speeds to 0.1 m/s, courses and sigmas to whole units. ``lead_*``
is where the track will be ``LEAD_S`` seconds ahead on its present velocity and how wide
(1 sigma) the uncertainty is there; the page draws the corridor between ``sigma_m`` now and
``lead_sigma_m`` then (the straight-line extrapolation's uncertainty from the track's
position and velocity covariance and white-acceleration noise, ``assess.prediction``;
manoeuvres are left to the crossing assessment).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntFlag
from typing import Any

TRACK_FIELDS = (
    "id",
    "lat_deg",
    "lon_deg",
    "alt_m",
    "course_deg",
    "speed_mps",
    "object_class",
    "class_confidence",
    "flags",
    "sigma_m",
    "lead_lat_deg",
    "lead_lon_deg",
    "lead_sigma_m",
)
LEAD_S = 300.0

TrackRow = tuple[Any, ...]
"""One track in the order of ``TRACK_FIELDS``."""


class TrackFlag(IntFlag):
    COOPERATIVE = 1
    """Known cooperative traffic (ADS-B): not a threat."""
    COASTING = 2
    """No update for a while: the position is predicted."""
    WARNED = 4
    """Under an open warning, sent or received."""
    PARTNER = 8
    """From a partner's shared air picture, not from this node's sensors."""


@dataclass(frozen=True)
class PictureFrame:
    """The node's tracks at one moment."""

    time_s: float
    tracks: Mapping[str, TrackRow] = field(default_factory=dict)

    def rows(self) -> list[TrackRow]:
        return list(self.tracks.values())


@dataclass(frozen=True)
class Delta:
    """What changed between two frames: rows added or changed, ids gone."""

    time_s: float
    upsert: list[TrackRow]
    remove: list[str]

    def to_message(self) -> dict[str, Any]:
        return {
            "type": "delta",
            "time_s": self.time_s,
            "upsert": self.upsert,
            "remove": self.remove,
        }


def delta(before: PictureFrame | None, after: PictureFrame) -> Delta:
    """Rows of ``after`` that differ from ``before`` and the ids that left."""
    if before is None:
        return Delta(after.time_s, after.rows(), [])
    old = before.tracks
    upsert = [row for track_id, row in after.tracks.items() if old.get(track_id) != row]
    remove = [track_id for track_id in old if track_id not in after.tracks]
    return Delta(after.time_s, upsert, remove)


def apply_delta(tracks: dict[str, TrackRow], change: Delta) -> None:
    """What a client does with a delta (the page does the same in JavaScript)."""
    for track_id in change.remove:
        tracks.pop(track_id, None)
    for row in change.upsert:
        tracks[str(row[0])] = tuple(row)
