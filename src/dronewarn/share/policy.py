"""What a node may share with one partner: the one choke point every outgoing warning passes.

A ``SharingPolicy`` limits, per partner:

* ``states``: which warning states go out (None: all);
* ``classes``: which object classes (None: all);
* ``areas``: which airspaces' warnings (None: all of the partner's);
* ``position_precision_deg``: positions (the track's and the predicted entry) are rounded to
  this grid, e.g. 0.05 deg (about 5 km), so a partner learns where, but not the sensor's
  precision;
* ``max_per_minute``: at most this many new warnings in any rolling minute;
* ``kinds``: which message kinds go out at all (``warning``, ``tracks``; None: both);
* for the air picture (``tracks`` messages): ``tracks_within_km`` of the partner's airspace
  (inside it, or tracks predicted to enter it, i.e. with an open warning to the partner),
  one batch every ``track_period_s``, each held back ``delay_s`` before it leaves, and only
  the optional ``track_fields`` listed (None: all of ``sigma_m``, ``object_class``,
  ``cooperative``).

Filters decide when a warning opens (its NEW message): once a warning went out, its updates
and its closing follow it (rounded), so a partner never keeps a warning open forever; once it
was withheld, everything about it is.

``PolicyGate.apply`` returns the message as it may leave, or the reason it is withheld; the
node records every withheld message.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.track import TrackState
from dronewarn.domain.warning import Warning, WarningGrade, WarningState


@dataclass(frozen=True)
class SharingPolicy:
    states: frozenset[WarningState] | None = None
    classes: frozenset[ObjectClass] | None = None
    areas: frozenset[str] | None = None
    position_precision_deg: float | None = None
    max_per_minute: int | None = None
    kinds: frozenset[str] | None = None
    tracks_within_km: float = 50.0
    track_period_s: float = 10.0
    delay_s: float = 0.0
    track_fields: frozenset[str] | None = None
    grades: frozenset[WarningGrade] | None = None
    """The grades the partner is sent (None: watches and warnings). A partner sent warnings
    only hears of a warning when it is upgraded from a watch, as its NEW."""
    watch_probability: float | None = None
    warning_probability: float | None = None
    """The crossing probabilities that open a watch and a warning to this partner (None: the
    node's ``[assess]`` defaults)."""

    def allows(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


OPTIONAL_TRACK_FIELDS = frozenset({"sigma_m", "object_class", "cooperative"})


@dataclass(frozen=True)
class TrackRelease:
    """One air-picture batch as it may leave (None: nothing), and what was kept back."""

    body: dict[str, Any] | None
    withheld: dict[str, int]


@dataclass(frozen=True)
class Withheld:
    warning: Warning
    reason: str


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _round(point: GeoPoint, step: float) -> GeoPoint:
    """Each finite coordinate on the grid; the altitude is not shared at reduced precision."""

    def snap(value: float) -> float:
        return value if math.isnan(value) else round(round(value / step) * step, 10)

    return GeoPoint(snap(point.lat_deg), snap(point.lon_deg), None)


class PolicyGate:
    """Applies one partner's policy to the node's outgoing messages.

    Decisions are per warning: a warning whose NEW went out keeps its later messages subject
    only to rounding (a partner must hear it close), and one whose NEW was withheld has all its
    later messages withheld too (a partner never hears of a warning it was not told of).
    """

    def __init__(self, policy: SharingPolicy) -> None:
        self.policy = policy
        self._sent_at: deque[float] = deque()
        self._released: set[str] = set()
        self._withheld: set[str] = set()
        self._held_grade: set[str] = set()
        """Open watches held back from a partner sent warnings only."""

    def restore(self, released: Iterable[str], withheld: Iterable[str]) -> None:
        """After a restart: the open warnings whose NEW went out, and those withheld."""
        self._released.update(released)
        self._withheld.update(withheld)

    def apply(self, warning: Warning, now_s: float) -> Warning | Withheld:
        grades = self.policy.grades
        if grades is not None and warning.warning_id not in self._released:
            if warning.grade not in grades:
                if warning.state is WarningState.NEW:
                    self._held_grade.add(warning.warning_id)
                if warning.state.is_closing:
                    self._held_grade.discard(warning.warning_id)
                return Withheld(warning, f"grade {warning.grade.value} not shared")
            if warning.warning_id in self._held_grade:
                # the partner was not told of the watch: the upgrade is its warning's NEW
                self._held_grade.discard(warning.warning_id)
                warning = replace(warning, state=WarningState.NEW)
        if warning.warning_id in self._withheld:
            return Withheld(warning, "its warning was withheld")
        if warning.warning_id not in self._released:
            refusal = self._refusal(warning, now_s)
            if refusal is not None:
                if warning.state is WarningState.NEW:
                    self._withheld.add(warning.warning_id)
                return Withheld(warning, refusal)
            if warning.state is WarningState.NEW:
                self._released.add(warning.warning_id)
        if warning.state.is_closing:
            self._released.discard(warning.warning_id)
            self._withheld.discard(warning.warning_id)
        return self._rounded(warning)

    def _refusal(self, warning: Warning, now_s: float) -> str | None:
        policy = self.policy
        if not policy.allows("warning"):
            return "kind warning not shared"
        if policy.states is not None and warning.state not in policy.states:
            return f"state {warning.state.value} not shared"
        if policy.classes is not None and warning.object_class not in policy.classes:
            return f"class {warning.object_class.value} not shared"
        if policy.areas is not None and warning.area not in policy.areas:
            return f"area {warning.area} not shared"
        if policy.max_per_minute is not None and warning.state is WarningState.NEW:
            while self._sent_at and self._sent_at[0] <= now_s - 60.0:
                self._sent_at.popleft()
            if len(self._sent_at) >= policy.max_per_minute:
                return f"over {policy.max_per_minute} new warnings a minute"
            self._sent_at.append(now_s)
        return None

    def apply_tracks(
        self,
        tracks: Iterable[TrackState],
        distance_km: Mapping[str, float],
        warned: frozenset[str],
        now_s: float,
    ) -> TrackRelease:
        """The partner's share of the air picture at ``now_s``.

        ``distance_km``: each track's distance to the partner's airspace (0 inside);
        ``warned``: tracks with an open warning to the partner (predicted to enter it).
        """
        policy = self.policy
        withheld: dict[str, int] = {}

        def hold(reason: str) -> None:
            withheld[reason] = withheld.get(reason, 0) + 1

        if not policy.allows("tracks"):
            return TrackRelease(None, {"kind tracks not shared": sum(1 for _ in tracks)})
        fields = OPTIONAL_TRACK_FIELDS if policy.track_fields is None else policy.track_fields
        out = []
        for track in tracks:
            if track.track_id not in warned and not (
                distance_km.get(track.track_id, math.inf) <= policy.tracks_within_km
            ):
                hold(f"farther than {policy.tracks_within_km:g} km")
                continue
            if policy.classes is not None and track.object_class not in policy.classes:
                hold(f"class {track.object_class.value} not shared")
                continue
            point = track.position
            if policy.position_precision_deg is not None:
                point = _round(point, policy.position_precision_deg)
            item: dict[str, Any] = {
                "track_id": track.track_id,
                "position": {
                    "lat_deg": _finite(point.lat_deg),
                    "lon_deg": _finite(point.lon_deg),
                    "alt_m": point.alt_m,
                },
                "speed_mps": min(track.speed_mps, 1000.0),
                "course_deg": track.course_deg % 360.0,
            }
            if "sigma_m" in fields and policy.position_precision_deg is None:
                item["sigma_m"] = math.sqrt(max(track.cov_enu[0] + track.cov_enu[5], 0.0) / 2.0)
            if "object_class" in fields:
                item["object_class"] = track.object_class.value
            if "cooperative" in fields:
                item["cooperative"] = track.cooperative
            out.append(item)
        if not out:
            return TrackRelease(None, withheld)
        return TrackRelease({"time_s": now_s, "tracks": out}, withheld)

    def _rounded(self, warning: Warning) -> Warning:
        step = self.policy.position_precision_deg
        if step is None:
            return warning
        entry = warning.entry
        return replace(
            warning,
            track_position=_round(warning.track_position, step),
            entry=replace(entry, point=_round(entry.point, step)) if entry else None,
        )
