"""What a node may share with one partner: the one choke point every outgoing warning passes.

A ``SharingPolicy`` limits, per partner:

* ``states``: which warning states go out (None: all);
* ``classes``: which object classes (None: all);
* ``areas``: which airspaces' warnings (None: all of the partner's);
* ``position_precision_deg``: positions (the track's and the predicted entry) are rounded to
  this grid, e.g. 0.05 deg (about 5 km), so a partner learns where, but not the sensor's
  precision;
* ``max_per_minute``: at most this many new warnings in any rolling minute.

Filters decide when a warning opens (its NEW message): once a warning went out, its updates
and its closing follow it (rounded), so a partner never keeps a warning open forever; once it
was withheld, everything about it is.

``PolicyGate.apply`` returns the message as it may leave, or the reason it is withheld; the
node records every withheld message.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace

from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.warning import Warning, WarningState


@dataclass(frozen=True)
class SharingPolicy:
    states: frozenset[WarningState] | None = None
    classes: frozenset[ObjectClass] | None = None
    areas: frozenset[str] | None = None
    position_precision_deg: float | None = None
    max_per_minute: int | None = None


@dataclass(frozen=True)
class Withheld:
    warning: Warning
    reason: str


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

    def apply(self, warning: Warning, now_s: float) -> Warning | Withheld:
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
