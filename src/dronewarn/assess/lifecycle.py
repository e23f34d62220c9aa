"""The warning lifecycle for one partner.

    NEW -> UPDATE* -> CROSSED | TURNED_AWAY | LOST | CANCELLED, NEUTRALISED (operator)

Each message carries a grade: *watch* (a crossing is possible) or *warning* (probable).

* A watch opens on ``confirm_cycles`` consecutive assessments in which the track is a threat
  (not cooperative traffic, not a bird) and is predicted to enter with probability at least
  ``watch_probability``: early, on the course the track has now.
* A warning takes more evidence: the same cycles at ``min_probability``, and a course held for
  at least 1 / ``course_held_ratio`` of the time to entry (a course must prove itself for about
  as long as it is extrapolated). A track that meets it opens as a warning directly; an open
  watch that meets it is upgraded (an UPDATE with grade warning).
* Keeping is easier than opening (hysteresis): a warning stays while entry is predicted with
  probability ``keep_probability``; after ``clear_cycles`` assessments without, it is
  downgraded to a watch if entry is still predicted at ``watch_keep_probability``, or closed
  as TURNED_AWAY (the all-clear); a watch closes the same way below
  ``watch_keep_probability``. A track whose course no longer enters the airspace at all and
  that gets further from it each cycle (it flies away, rather than in doubt) is closed as
  TURNED_AWAY after ``away_cycles``. A track deleted after at least one cycle without support
  (a drone turning away out of coverage) closes TURNED_AWAY; one deleted while still
  supporting its warning closes it as LOST. CROSSED needs the track inside the airspace by
  two sigmas of its position (``crossing.CROSSED_SIGMAS``).
* UPDATEs go out only when the prediction has moved (entry time by ``update_time_shift_s``
  or entry point by ``update_point_shift_m``) and not more often than ``update_interval_s``.
* Drones flying together (within ``group_radius_m`` and ``group_speed_mps`` of an open
  warning's lead track) join that warning as members instead of opening their own.
* Priority 1 (act now): entry within ``priority1_eta_s`` or a Shahed-type / jet drone;
  2: entry within ``priority2_eta_s``; 3: watch.
* An operator can confirm a warning (recorded), suppress it (CANCELLED is sent, the reason is
  recorded, and the track does not warn again) or mark it neutralised (NEUTRALISED is sent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dronewarn.assess.crossing import CrossingPrediction
from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.track import TrackState
from dronewarn.domain.warning import (
    EntryPrediction,
    OperatorAction,
    Warning,
    WarningGrade,
    WarningState,
)
from dronewarn.geo.frame import LocalFrame

NOT_THREATS = frozenset({ObjectClass.BIRD_CLUTTER})
"""Never warned about. Cooperative traffic is excluded by its flag; a non-cooperative crewed
aircraft or multirotor crossing a border is still a violation a partner wants to hear of."""
URGENT_CLASSES = frozenset({ObjectClass.SHAHED, ObjectClass.JET_DRONE})


AWAY_RATE = 0.25
"""A track flies away when its distance to the airspace grows by at least this share of its
speed (a course at least 15 degrees off the border line)."""


@dataclass(frozen=True)
class AssessConfig:
    horizon_s: float = 3600.0
    cycle_s: float = 10.0
    min_speed_mps: float = 15.0
    min_probability: float = 0.5
    """A warning (probable crossing) opens at this probability (a partner policy may set its
    own: ``warning_probability``)."""
    keep_probability: float = 0.2
    watch_probability: float = 0.25
    """A watch (possible crossing) opens at this probability (policy: ``watch_probability``)."""
    watch_keep_probability: float = 0.1
    persist_tau_s: float = 1500.0
    course_held_ratio: float = 1.2
    min_updates: int = 5
    confirm_cycles: int = 2
    clear_cycles: int = 6
    away_cycles: int = 2
    update_interval_s: float = 60.0
    update_time_shift_s: float = 60.0
    update_point_shift_m: float = 2000.0
    group_radius_m: float = 3000.0
    group_speed_mps: float = 8.0
    priority1_eta_s: float = 600.0
    priority2_eta_s: float = 1200.0


@dataclass
class _Open:
    warning_id: str
    lead: str
    sequence: int = 0
    sent_s: float = -math.inf
    sent_entry_s: float = math.nan
    sent_east_m: float = math.nan
    sent_north_m: float = math.nan
    misses: int = 0
    members: list[str] = field(default_factory=list)
    sent_members: list[str] = field(default_factory=list)
    handed_over: bool = False
    last: TrackState | None = None
    restored: bool = False
    """Reopened after a restart: closed as LOST if its track did not come back."""
    grade: WarningGrade = WarningGrade.WARNING
    warn_streak: int = 0
    """Consecutive cycles a watch has met the warning's bar (upgraded at ``confirm_cycles``)."""
    away: int = 0
    """Consecutive cycles flying away: the course no longer enters the airspace and the track
    is further from it than the cycle before (``away_cycles``)."""
    distance_m: float = math.nan
    """The track's distance to the airspace at the last cycle."""


class WarningBook:
    """Open warnings to one partner and the rules that move them through their states."""

    def __init__(
        self,
        sender: str,
        recipient: str,
        frame: LocalFrame,
        config: AssessConfig,
        area: str = "",
        label: str = "",
    ) -> None:
        self.sender = sender
        self.recipient = recipient
        self.area = area
        self._prefix = "-".join(part for part in (sender, recipient, label) if part)
        self.frame = frame
        self.config = config
        self._open: dict[str, _Open] = {}  # by lead track id
        self._member_of: dict[str, str] = {}  # member track id -> lead track id
        self._streak: dict[str, int] = {}
        self._warn_streak: dict[str, int] = {}
        self._suppressed: set[str] = set()
        self._counter = 0

    def restore(self, sent: list[Warning], withheld_ids: frozenset[str] = frozenset()) -> None:
        """Resume after a restart from the messages this book sent (the node's store, in
        order) and the ids of warnings its partner's policy held back: warnings still open
        carry on with their next sequence number, new ones get numbers no earlier warning
        had, tracks an operator suppressed stay suppressed. A restored warning whose track
        the node no longer has is closed as LOST at the next cycle (``assess``)."""
        latest: dict[str, Warning] = {}
        for warning in sent:
            if warning.recipient != self.recipient or warning.area != self.area:
                continue
            latest[warning.warning_id] = warning
        for warning_id in (*latest, *withheld_ids):
            suffix = warning_id.rpartition("-W")[2]
            if warning_id.startswith(self._prefix + "-W") and suffix.isdigit():
                self._counter = max(self._counter, int(suffix))
        for warning in latest.values():
            if warning.state is WarningState.CANCELLED:
                self._suppressed.update((warning.track_id, *warning.members))
            if warning.state.is_closing:
                continue
            current = _Open(warning.warning_id, warning.track_id, sequence=warning.sequence)
            current.sent_s = warning.issued_s
            if warning.entry is not None:
                east, north = self.frame.to_plane(
                    warning.entry.point.lat_deg, warning.entry.point.lon_deg
                )
                current.sent_entry_s = warning.entry.time_s
                current.sent_east_m, current.sent_north_m = float(east), float(north)
            current.members = list(warning.members)
            current.sent_members = list(warning.members)
            current.restored = True
            current.grade = warning.grade
            self._open[warning.track_id] = current
            for member in warning.members:
                self._member_of[member] = warning.track_id

    @property
    def open_count(self) -> int:
        return len(self._open)

    def needs_prediction(self, track: TrackState) -> bool:
        """Whether a track can open a warning now or already has one open."""
        cfg = self.config
        return track.track_id in self._open or (
            track.speed_mps >= cfg.min_speed_mps and track.updates >= cfg.min_updates
        )

    # ---------------------------------------------------------------- one cycle

    def assess(
        self,
        now_s: float,
        tracks: list[TrackState],
        predictions: list[CrossingPrediction | None],
        deleted: list[str],
    ) -> list[Warning]:
        """Messages to send after one assessment cycle (None: track not assessed)."""
        out: list[Warning] = []
        self._close_unresumed(now_s, {t.track_id for t in tracks}, deleted, out)
        for track, pred in zip(tracks, predictions, strict=True):
            if track.track_id in self._member_of:
                self._follow_member(now_s, track, pred)
                continue
            current = self._open.get(track.track_id)
            if current is None:
                self._consider(now_s, track, pred, out)
            else:
                self._advance(now_s, track, pred, current, out)
        for track_id in deleted:
            self._streak.pop(track_id, None)
            self._warn_streak.pop(track_id, None)
            self._suppressed.discard(track_id)
            lead = self._member_of.pop(track_id, None)
            if lead is not None and lead in self._open:
                self._open[lead].members.remove(track_id)
            current = self._open.pop(track_id, None)
            if current is not None and not self._hand_over(current):
                # a track that had already stopped supporting its warning (it was turning
                # away) and then faded from coverage turned away; one lost on course is LOST
                state = WarningState.TURNED_AWAY if current.misses else WarningState.LOST
                out.append(self._message(now_s, current, state, current.last, None))
        live = {t.track_id for t in tracks}
        for streaks in (self._streak, self._warn_streak):
            for track_id in list(streaks):
                if track_id not in live:
                    del streaks[track_id]
        return out

    def _close_unresumed(
        self, now_s: float, live: set[str], deleted: list[str], out: list[Warning]
    ) -> None:
        """Restored warnings whose track is gone (the tracker restarted without it): LOST."""
        for lead, current in list(self._open.items()):
            if not current.restored:
                continue
            current.restored = False
            if lead in live or lead in deleted:
                continue
            for member in current.members:
                self._member_of.pop(member, None)
            current.members = []
            del self._open[lead]
            out.append(self._message(now_s, current, WarningState.LOST, None, None))

    def _consider(
        self,
        now_s: float,
        track: TrackState,
        pred: CrossingPrediction | None,
        out: list[Warning],
    ) -> None:
        warns = self._opens(now_s, track, pred)
        watches = warns or self._watches(track, pred)
        streak = self._streak.get(track.track_id, 0) + 1 if watches else 0
        warn_streak = self._warn_streak.get(track.track_id, 0) + 1 if warns else 0
        self._streak[track.track_id] = streak
        self._warn_streak[track.track_id] = warn_streak
        if streak < self.config.confirm_cycles or pred is None:
            return
        group = self._group_for(now_s, track)
        if group is not None and (group.grade is WarningGrade.WARNING or not warns):
            group.members.append(track.track_id)
            self._member_of[track.track_id] = group.lead
            self._streak.pop(track.track_id, None)
            self._warn_streak.pop(track.track_id, None)
            return
        self._counter += 1
        grade = (
            WarningGrade.WARNING
            if warn_streak >= self.config.confirm_cycles
            else WarningGrade.WATCH
        )
        current = _Open(
            f"{self._prefix}-W{self._counter:04d}",
            track.track_id,
            grade=grade,
            warn_streak=warn_streak,
        )
        self._open[track.track_id] = current
        self._streak.pop(track.track_id, None)
        self._warn_streak.pop(track.track_id, None)
        out.append(self._emit(now_s, track, pred, current, WarningState.NEW))

    def _advance(
        self,
        now_s: float,
        track: TrackState,
        pred: CrossingPrediction | None,
        current: _Open,
        out: list[Warning],
    ) -> None:
        cfg = self.config
        current.last = track
        was_m = current.distance_m
        current.distance_m = math.nan if pred is None else pred.distance_m
        if pred is not None and pred.inside_now:
            if pred.inside_surely:
                out.extend(self._close(now_s, track, WarningState.CROSSED, pred))
            # else only the estimate is inside, within its error of the border: the warning
            # holds until the track is clearly in, or clearly goes elsewhere
            return
        if current.grade is WarningGrade.WATCH:
            current.warn_streak = current.warn_streak + 1 if self._opens(now_s, track, pred) else 0
            if pred is not None and current.warn_streak >= cfg.confirm_cycles:
                current.grade = WarningGrade.WARNING  # upgraded: probable now
                current.misses = 0
                out.append(self._emit(now_s, track, pred, current, WarningState.UPDATE))
                return
        if pred is not None and self._holds(track, pred, current.grade):
            current.misses = 0
            current.away = 0
            due = now_s - current.sent_s >= cfg.update_interval_s
            changed = current.handed_over or current.members != current.sent_members
            if due and (changed or self._moved(current, pred)):
                out.append(self._emit(now_s, track, pred, current, WarningState.UPDATE))
            return
        current.misses += 1
        # a course that no longer enters at all, flown away from the border, is a turn away,
        # not a doubt: cleared after ``away_cycles``, not ``clear_cycles`` (a course along
        # the border, or one that misses it by a little, keeps the slower rule)
        # receding: at least a quarter of the way flown in a cycle taken away from the border
        receding = (
            pred is not None
            and pred.p_geometric == 0.0
            and pred.distance_m - was_m >= AWAY_RATE * track.speed_mps * cfg.cycle_s
        )
        current.away = current.away + 1 if receding else 0
        if current.away >= cfg.away_cycles:
            out.extend(self._close(now_s, track, WarningState.TURNED_AWAY, None))
            return
        if current.misses < cfg.clear_cycles:
            return
        if (
            current.grade is WarningGrade.WARNING
            and pred is not None
            and self._holds(track, pred, WarningGrade.WATCH)
        ):
            current.grade = WarningGrade.WATCH  # downgraded: still possible, no longer probable
            current.misses = 0
            current.warn_streak = 0
            out.append(self._emit(now_s, track, pred, current, WarningState.UPDATE))
            return
        out.extend(self._close(now_s, track, WarningState.TURNED_AWAY, None))

    def _follow_member(
        self, now_s: float, track: TrackState, pred: CrossingPrediction | None
    ) -> None:
        """A member leaves its group when it enters or stops being predicted to enter, or
        when it meets a warning's bar while its group is only a watch (it then warns on its
        own)."""
        lead = self._member_of[track.track_id]
        if (
            pred is None
            or pred.inside_now
            or not pred.enters
            or (self._open[lead].grade is WarningGrade.WATCH and self._opens(now_s, track, pred))
        ):
            lead = self._member_of.pop(track.track_id)
            self._open[lead].members.remove(track.track_id)

    # ---------------------------------------------------------------- rules

    def _opens(self, now_s: float, track: TrackState, pred: CrossingPrediction | None) -> bool:
        """Whether this assessment supports opening a warning on the track."""
        cfg = self.config
        if (
            track.cooperative
            or track.object_class in NOT_THREATS
            or track.track_id in self._suppressed
            or pred is None
            or not pred.enters
        ):
            return False
        eta_s = pred.entry_time_s - now_s
        held_s = max(now_s - track.course_since_s, 0.0)
        return (
            pred.probability >= cfg.min_probability
            and eta_s <= cfg.course_held_ratio * held_s
            and track.speed_mps >= cfg.min_speed_mps
            and track.updates >= cfg.min_updates
        )

    def _watches(self, track: TrackState, pred: CrossingPrediction | None) -> bool:
        """Whether this assessment supports opening a watch on the track."""
        cfg = self.config
        return (
            pred is not None
            and pred.enters
            and not track.cooperative
            and track.object_class not in NOT_THREATS
            and track.track_id not in self._suppressed
            and pred.probability >= cfg.watch_probability
            and track.speed_mps >= cfg.min_speed_mps
            and track.updates >= cfg.min_updates
        )

    def _holds(self, track: TrackState, pred: CrossingPrediction, grade: WarningGrade) -> bool:
        """Whether an open watch or warning is still supported (a lower bar than opening)."""
        keep = (
            self.config.keep_probability
            if grade is WarningGrade.WARNING
            else self.config.watch_keep_probability
        )
        return not track.cooperative and pred.enters and pred.probability >= keep

    def _moved(self, current: _Open, pred: CrossingPrediction) -> bool:
        cfg = self.config
        shift_m = math.hypot(
            pred.entry_east_m - current.sent_east_m, pred.entry_north_m - current.sent_north_m
        )
        return (
            abs(pred.entry_time_s - current.sent_entry_s) >= cfg.update_time_shift_s
            or shift_m >= cfg.update_point_shift_m
        )

    def _group_for(self, now_s: float, track: TrackState) -> _Open | None:
        """An open warning whose lead flies with this track, if any."""
        cfg = self.config
        for current in self._open.values():
            lead = current.last
            if lead is None:
                continue
            dt = now_s - lead.time_s
            gap = math.hypot(
                lead.east_m + lead.vel_east_mps * dt - track.east_m,
                lead.north_m + lead.vel_north_mps * dt - track.north_m,
            )
            dv = math.hypot(
                lead.vel_east_mps - track.vel_east_mps, lead.vel_north_mps - track.vel_north_mps
            )
            if gap <= cfg.group_radius_m and dv <= cfg.group_speed_mps:
                return current
        return None

    def _priority(
        self,
        now_s: float,
        track: TrackState,
        pred: CrossingPrediction | None,
        grade: WarningGrade = WarningGrade.WARNING,
    ) -> int:
        cfg = self.config
        if pred is None or not pred.enters or grade is WarningGrade.WATCH:
            return 3
        eta_s = pred.entry_time_s - now_s
        if eta_s <= cfg.priority1_eta_s or track.object_class in URGENT_CLASSES:
            return 1
        return 2 if eta_s <= cfg.priority2_eta_s else 3

    # ---------------------------------------------------------------- operator

    def is_open(self, track_id: str) -> bool:
        """Whether the track leads or flies in an open warning of this book."""
        return track_id in self._open or track_id in self._member_of

    def warned_tracks(self) -> frozenset[str]:
        """Every track an open warning covers (leads and members)."""
        return frozenset(self._open) | frozenset(self._member_of)

    def open_warning_ids(self) -> dict[str, str]:
        """Open warning id -> its lead track id."""
        return {c.warning_id: lead for lead, c in self._open.items()}

    def confirm(self, warning_id: str, operator: str, reason: str, now_s: float) -> OperatorAction:
        self._find(warning_id)
        return OperatorAction(warning_id, "confirm", operator, reason, now_s)

    def suppress(
        self, warning_id: str, operator: str, reason: str, now_s: float
    ) -> tuple[OperatorAction, Warning]:
        """Cancel a warning: the partner is told, the track does not warn again."""
        return self._close_by_operator(
            warning_id, "suppress", WarningState.CANCELLED, operator, reason, now_s
        )

    def neutralise(
        self, warning_id: str, operator: str, reason: str, now_s: float
    ) -> tuple[OperatorAction, Warning]:
        """The threat was shot down or otherwise stopped: close as NEUTRALISED."""
        return self._close_by_operator(
            warning_id, "neutralise", WarningState.NEUTRALISED, operator, reason, now_s
        )

    def _close_by_operator(
        self,
        warning_id: str,
        action: str,
        state: WarningState,
        operator: str,
        reason: str,
        now_s: float,
    ) -> tuple[OperatorAction, Warning]:
        current = self._find(warning_id)
        del self._open[current.lead]
        self._suppressed.add(current.lead)
        self._suppressed.update(current.members)
        for member in current.members:
            self._member_of.pop(member, None)
        message = self._message(now_s, current, state, current.last, None)
        return OperatorAction(warning_id, action, operator, reason, now_s), message

    def _find(self, warning_id: str) -> _Open:
        for current in self._open.values():
            if current.warning_id == warning_id:
                return current
        raise KeyError(f"no open warning {warning_id!r} to {self.recipient}")

    # ---------------------------------------------------------------- messages

    def _close(
        self, now_s: float, track: TrackState, state: WarningState, pred: CrossingPrediction | None
    ) -> list[Warning]:
        """Close the lead's warning, or, if drones fly with it, hand the warning to them."""
        current = self._open.pop(track.track_id)
        self._streak.pop(track.track_id, None)
        if self._hand_over(current):
            return []  # the next UPDATE names the new lead and the remaining members
        return [self._emit(now_s, track, pred, current, state)]

    def _hand_over(self, current: _Open) -> bool:
        """Give a group's warning to its first remaining member; False if it has none."""
        if not current.members:
            return False
        lead = current.members.pop(0)
        self._member_of.pop(lead, None)
        for member in current.members:
            self._member_of[member] = lead
        current.lead = lead
        current.last = None
        current.handed_over = True  # the partner hears of the new lead at the next chance
        self._open[lead] = current
        return True

    def _emit(
        self,
        now_s: float,
        track: TrackState,
        pred: CrossingPrediction | None,
        current: _Open,
        state: WarningState,
    ) -> Warning:
        current.last = track
        entry = None
        if pred is not None and pred.enters:
            lat, lon = self.frame.from_plane(pred.entry_east_m, pred.entry_north_m)
            entry = EntryPrediction(
                point=GeoPoint(float(lat), float(lon), None),
                time_s=pred.entry_time_s,
                earliest_s=pred.earliest_s,
                latest_s=pred.latest_s,
                probability=pred.probability,
                sigma_major_m=pred.entry_sigma_major_m,
                sigma_minor_m=pred.entry_sigma_minor_m,
            )
            current.sent_s = now_s
            current.sent_entry_s = pred.entry_time_s
            current.sent_east_m = pred.entry_east_m
            current.sent_north_m = pred.entry_north_m
        current.sent_members = list(current.members)
        current.handed_over = False
        return self._message(
            now_s, current, state, track, entry, self._priority(now_s, track, pred, current.grade)
        )

    def _message(
        self,
        now_s: float,
        current: _Open,
        state: WarningState,
        track: TrackState | None,
        entry: EntryPrediction | None,
        priority: int = 3,
    ) -> Warning:
        current.sequence += 1
        return Warning(
            warning_id=current.warning_id,
            sequence=current.sequence,
            state=state,
            sender=self.sender,
            recipient=self.recipient,
            track_id=current.lead,
            issued_s=now_s,
            track_position=track.position if track else GeoPoint(math.nan, math.nan, None),
            track_speed_mps=track.speed_mps if track else math.nan,
            track_course_deg=track.course_deg if track else math.nan,
            object_class=track.object_class if track else ObjectClass.UNKNOWN,
            entry=entry,
            members=tuple(current.members),
            priority=priority,
            class_confidence=track.class_confidence if track else 0.0,
            area=self.area,
            grade=current.grade,
        )
