"""The warning lifecycle for one partner: NEW -> UPDATE* -> CROSSED | TURNED_AWAY | LOST.

Hysteresis keeps warnings from flapping: a warning opens only after ``confirm_cycles``
consecutive assessments predict entry, an UPDATE goes out only when the prediction has moved
(entry time by ``update_time_shift_s`` or entry point by ``update_point_shift_m``) and not
more often than ``update_interval_s``, and a warning closes as TURNED_AWAY only after
``clear_cycles`` consecutive assessments without predicted entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dronewarn.assess.crossing import CrossingPrediction
from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.track import TrackState
from dronewarn.domain.warning import EntryPrediction, Warning, WarningState
from dronewarn.geo.frame import LocalFrame


@dataclass(frozen=True)
class AssessConfig:
    horizon_s: float = 3600.0
    cycle_s: float = 10.0
    min_speed_mps: float = 15.0
    min_probability: float = 0.5
    keep_probability: float = 0.2
    persist_tau_s: float = 1500.0
    course_held_ratio: float = 1.2
    """Warn only when the time to entry is at most this many times the time the course has
    been held: a course must prove itself for about as long as it is extrapolated."""
    min_updates: int = 5
    confirm_cycles: int = 2
    clear_cycles: int = 6
    update_interval_s: float = 60.0
    update_time_shift_s: float = 60.0
    update_point_shift_m: float = 2000.0


@dataclass
class _Open:
    warning_id: str
    sequence: int
    sent_s: float
    sent_entry_s: float
    sent_east_m: float
    sent_north_m: float
    misses: int = 0


class WarningBook:
    """Open warnings to one partner and the rules that move them through their states."""

    def __init__(
        self, sender: str, recipient: str, frame: LocalFrame, config: AssessConfig
    ) -> None:
        self.sender = sender
        self.recipient = recipient
        self.frame = frame
        self.config = config
        self._open: dict[str, _Open] = {}
        self._streak: dict[str, int] = {}
        self._counter = 0

    @property
    def open_count(self) -> int:
        return len(self._open)

    def needs_prediction(self, track: TrackState) -> bool:
        """Whether a track can open a warning now or already has one open."""
        cfg = self.config
        return track.track_id in self._open or (
            track.speed_mps >= cfg.min_speed_mps and track.updates >= cfg.min_updates
        )

    def assess(
        self,
        now_s: float,
        tracks: list[TrackState],
        predictions: list[CrossingPrediction | None],
        deleted: list[str],
    ) -> list[Warning]:
        """Messages to send after one assessment cycle (None: track not assessed)."""
        cfg = self.config
        out: list[Warning] = []
        for track, pred in zip(tracks, predictions, strict=True):
            current = self._open.get(track.track_id)
            if current is None:
                streak = (
                    self._streak.get(track.track_id, 0) + 1
                    if self._opens(now_s, track, pred)
                    else 0
                )
                self._streak[track.track_id] = streak
                if streak >= cfg.confirm_cycles and pred is not None:
                    out.append(self._new(now_s, track, pred))
                continue
            if pred is not None and pred.inside_now:
                out.append(self._close(now_s, track, WarningState.CROSSED, pred))
            elif pred is not None and self._holds(track, pred):
                current.misses = 0
                if self._moved(current, pred) and now_s - current.sent_s >= cfg.update_interval_s:
                    out.append(self._emit(now_s, track, pred, current, WarningState.UPDATE))
            else:
                current.misses += 1
                if current.misses >= cfg.clear_cycles:
                    out.append(self._close(now_s, track, WarningState.TURNED_AWAY, None))
        for track_id in deleted:
            self._streak.pop(track_id, None)
            current = self._open.pop(track_id, None)
            if current is not None:
                current.sequence += 1
                out.append(
                    Warning(
                        warning_id=current.warning_id,
                        sequence=current.sequence,
                        state=WarningState.LOST,
                        sender=self.sender,
                        recipient=self.recipient,
                        track_id=track_id,
                        issued_s=now_s,
                        track_position=GeoPoint(math.nan, math.nan, None),
                        track_speed_mps=math.nan,
                        track_course_deg=math.nan,
                        object_class=ObjectClass.UNKNOWN,
                        entry=None,
                    )
                )
        live = {t.track_id for t in tracks}
        for track_id in list(self._streak):
            if track_id not in live:
                del self._streak[track_id]
        return out

    def _opens(self, now_s: float, track: TrackState, pred: CrossingPrediction | None) -> bool:
        """Whether this assessment supports opening a warning on the track."""
        cfg = self.config
        if track.cooperative or pred is None or not pred.enters:
            return False
        eta_s = pred.entry_time_s - now_s
        held_s = max(now_s - track.course_since_s, 0.0)
        return (
            pred.probability >= cfg.min_probability
            and eta_s <= cfg.course_held_ratio * held_s
            and track.speed_mps >= cfg.min_speed_mps
            and track.updates >= cfg.min_updates
        )

    def _holds(self, track: TrackState, pred: CrossingPrediction) -> bool:
        """Whether an open warning is still supported (a lower bar than opening: hysteresis)."""
        return (
            not track.cooperative
            and pred.enters
            and pred.probability >= self.config.keep_probability
        )

    def _moved(self, current: _Open, pred: CrossingPrediction) -> bool:
        cfg = self.config
        shift_m = math.hypot(
            pred.entry_east_m - current.sent_east_m, pred.entry_north_m - current.sent_north_m
        )
        return (
            abs(pred.entry_time_s - current.sent_entry_s) >= cfg.update_time_shift_s
            or shift_m >= cfg.update_point_shift_m
        )

    def _new(self, now_s: float, track: TrackState, pred: CrossingPrediction) -> Warning:
        self._counter += 1
        current = _Open(
            warning_id=f"{self.sender}-{self.recipient}-W{self._counter:04d}",
            sequence=0,
            sent_s=now_s,
            sent_entry_s=pred.entry_time_s,
            sent_east_m=pred.entry_east_m,
            sent_north_m=pred.entry_north_m,
        )
        self._open[track.track_id] = current
        return self._emit(now_s, track, pred, current, WarningState.NEW)

    def _close(
        self, now_s: float, track: TrackState, state: WarningState, pred: CrossingPrediction | None
    ) -> Warning:
        current = self._open.pop(track.track_id)
        self._streak.pop(track.track_id, None)
        return self._emit(now_s, track, pred, current, state)

    def _emit(
        self,
        now_s: float,
        track: TrackState,
        pred: CrossingPrediction | None,
        current: _Open,
        state: WarningState,
    ) -> Warning:
        current.sequence += 1
        entry = None
        if pred is not None and pred.enters:
            lat, lon = self.frame.from_plane(pred.entry_east_m, pred.entry_north_m)
            entry = EntryPrediction(
                point=GeoPoint(float(lat), float(lon), None),
                time_s=pred.entry_time_s,
                earliest_s=pred.earliest_s,
                latest_s=pred.latest_s,
                probability=pred.probability,
            )
            current.sent_s = now_s
            current.sent_entry_s = pred.entry_time_s
            current.sent_east_m = pred.entry_east_m
            current.sent_north_m = pred.entry_north_m
        return Warning(
            warning_id=current.warning_id,
            sequence=current.sequence,
            state=state,
            sender=self.sender,
            recipient=self.recipient,
            track_id=track.track_id,
            issued_s=now_s,
            track_position=track.position,
            track_speed_mps=track.speed_mps,
            track_course_deg=math.degrees(math.atan2(track.vel_east_mps, track.vel_north_mps))
            % 360.0,
            object_class=track.object_class,
            entry=entry,
        )
