"""Warning: one node telling a partner that a tracked object will enter its airspace."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dronewarn.domain.report import GeoPoint, ObjectClass


class WarningState(StrEnum):
    NEW = "new"
    UPDATE = "update"
    CROSSED = "crossed"
    TURNED_AWAY = "turned_away"
    LOST = "lost"
    NEUTRALISED = "neutralised"
    CANCELLED = "cancelled"

    @property
    def is_closing(self) -> bool:
        return self not in (WarningState.NEW, WarningState.UPDATE)


class WarningGrade(StrEnum):
    """How sure the sender is that the object will enter.

    A *watch* says a crossing is possible (a course that may still bend, an entry far off or
    a wide window); a *warning* says it is probable. A warning's life may start as a watch and
    be upgraded (an UPDATE with grade ``warning``), be downgraded back to a watch, and end in
    either grade."""

    WATCH = "watch"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class EntryPrediction:
    """Where and when a track is predicted to enter the partner's airspace."""

    point: GeoPoint
    time_s: float
    earliest_s: float
    latest_s: float
    probability: float
    sigma_major_m: float = float("nan")
    sigma_minor_m: float = float("nan")


@dataclass(frozen=True, slots=True)
class Warning:
    """One warning message. A warning's life is a series of these sharing ``warning_id``."""

    warning_id: str
    sequence: int
    state: WarningState
    sender: str
    recipient: str
    track_id: str
    issued_s: float
    track_position: GeoPoint
    track_speed_mps: float
    track_course_deg: float
    object_class: ObjectClass
    entry: EntryPrediction | None
    members: tuple[str, ...] = ()
    priority: int = 3
    """1 (act now) to 3 (watch): from time to entry, probability and class."""
    area: str = ""
    """The airspace the warning is about: the recipient's country (ISO alpha-3) or a zone id."""
    class_confidence: float = 0.0
    grade: WarningGrade = WarningGrade.WARNING
    """Watch or warning; messages of senders from before grades were introduced are
    warnings (they only sent those)."""

    def identity(self) -> dict[str, str | int]:
        """Which warning this is, from whom to whom about what: the fields every record of a
        warning (log line, GeoJSON feature) starts with."""
        return {
            "warning_id": self.warning_id,
            "sequence": self.sequence,
            "state": self.state.value,
            "grade": self.grade.value,
            "sender": self.sender,
            "recipient": self.recipient,
            "area": self.area,
            "track_id": self.track_id,
        }


@dataclass(frozen=True, slots=True)
class OperatorAction:
    """An operator's decision on a warning (confirm, suppress, neutralise), kept on record."""

    warning_id: str
    action: str
    operator: str
    reason: str
    time_s: float
