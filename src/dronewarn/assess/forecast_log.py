"""What the node forecast: each assessed track's crossing probability and class, sampled.

A crossing probability is only worth its number if, of the tracks given 30 %, about 30 % do
enter. To verify that (against the simulator's truth in ``dronewarn eval``, or against what
the node's own tracks later did), the node keeps a sample of its forecasts: every assessed
track that is not yet inside the partner's area, once per ``sample_s`` of node time, with its
position, crossing probability and class. The log is a bounded ring (``capacity``): a node
running for months keeps the latest forecasts and drops the oldest.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from dronewarn.assess.crossing import CrossingPrediction
from dronewarn.domain.report import ObjectClass
from dronewarn.domain.track import TrackState


@dataclass(frozen=True, slots=True)
class Forecast:
    """One track's forecast at one assessment."""

    time_s: float
    recipient: str
    area: str
    track_id: str
    lat_deg: float
    lon_deg: float
    probability: float
    """Of entering ``area`` within the assessment horizon."""
    object_class: ObjectClass
    class_confidence: float

    def to_row(self) -> list[object]:
        """Compact JSON form (``FIELDS`` order)."""
        return [
            self.time_s,
            self.recipient,
            self.area,
            self.track_id,
            self.lat_deg,
            self.lon_deg,
            round(self.probability, 4),
            self.object_class.value,
            round(self.class_confidence, 3),
        ]

    @staticmethod
    def from_row(row: Sequence[object]) -> Forecast:
        time_s, recipient, area, track_id, lat, lon, probability, cls, confidence = row
        return Forecast(
            float(str(time_s)),
            str(recipient),
            str(area),
            str(track_id),
            float(str(lat)),
            float(str(lon)),
            float(str(probability)),
            ObjectClass(str(cls)),
            float(str(confidence)),
        )


FIELDS = (
    "time_s",
    "recipient",
    "area",
    "track_id",
    "lat_deg",
    "lon_deg",
    "probability",
    "object_class",
    "class_confidence",
)


class ForecastLog:
    """A bounded sample of the node's crossing forecasts, one per track per ``sample_s``."""

    def __init__(self, sample_s: float = 60.0, capacity: int = 1_000_000) -> None:
        if sample_s <= 0 or capacity <= 0:
            raise ValueError("sample_s and capacity must be positive")
        self.sample_s = sample_s
        self._rows: deque[Forecast] = deque(maxlen=capacity)
        self._last_bucket: dict[tuple[str, str], int] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def record(
        self,
        now_s: float,
        recipient: str,
        area: str,
        tracks: Sequence[TrackState],
        predictions: Sequence[CrossingPrediction | None],
    ) -> int:
        """Sample one book's assessment (tracks and their predictions, same order); returns
        how many forecasts were kept (0 until the next ``sample_s`` bucket)."""
        bucket = math.floor(now_s / self.sample_s)
        key = (recipient, area)
        if self._last_bucket.get(key) == bucket:
            return 0
        self._last_bucket[key] = bucket
        kept = 0
        for track, pred in zip(tracks, predictions, strict=True):
            if pred is None or pred.inside_now or track.cooperative:
                continue
            point = track.position
            self._rows.append(
                Forecast(
                    now_s,
                    recipient,
                    area,
                    track.track_id,
                    point.lat_deg,
                    point.lon_deg,
                    pred.probability,
                    track.object_class,
                    track.class_confidence,
                )
            )
            kept += 1
        return kept

    def forecasts(self) -> list[Forecast]:
        return list(self._rows)
