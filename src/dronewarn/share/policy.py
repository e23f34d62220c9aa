"""What a node may share with one partner: the one choke point every outgoing warning passes.

A ``SharingPolicy`` limits, per partner:

* ``states``: which warning states go out (None: all);
* ``classes``: which object classes (None: all);
* ``areas``: which airspaces' warnings (None: all of the partner's);
* ``position_precision_deg``: positions (the track's and the predicted entry) are rounded to
  this grid, e.g. 0.05 deg (about 5 km), so a partner learns where, but not the sensor's
  precision;
* ``max_per_minute``: at most this many messages in any rolling minute; what exceeds it is
  withheld (closing messages always pass, so a partner never keeps a warning open forever).

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
    if math.isnan(point.lat_deg) or math.isnan(point.lon_deg):
        return point
    return GeoPoint(
        round(round(point.lat_deg / step) * step, 10),
        round(round(point.lon_deg / step) * step, 10),
        None,
    )


class PolicyGate:
    """Applies one partner's policy to the node's outgoing messages."""

    def __init__(self, policy: SharingPolicy) -> None:
        self.policy = policy
        self._sent_at: deque[float] = deque()

    def apply(self, warning: Warning, now_s: float) -> Warning | Withheld:
        policy = self.policy
        if policy.states is not None and warning.state not in policy.states:
            return Withheld(warning, f"state {warning.state.value} not shared")
        if policy.classes is not None and warning.object_class not in policy.classes:
            return Withheld(warning, f"class {warning.object_class.value} not shared")
        if policy.areas is not None and warning.area not in policy.areas:
            return Withheld(warning, f"area {warning.area} not shared")
        if policy.max_per_minute is not None and not warning.state.is_closing:
            while self._sent_at and self._sent_at[0] <= now_s - 60.0:
                self._sent_at.popleft()
            if len(self._sent_at) >= policy.max_per_minute:
                return Withheld(warning, f"over {policy.max_per_minute} messages a minute")
            self._sent_at.append(now_s)
        step = policy.position_precision_deg
        if step is None:
            return warning
        entry = warning.entry
        return replace(
            warning,
            track_position=_round(warning.track_position, step),
            entry=replace(entry, point=_round(entry.point, step)) if entry else None,
        )
