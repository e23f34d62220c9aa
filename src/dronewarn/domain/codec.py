"""Plain-dict forms of domain records (JSON-ready): the store and the partner messages use them."""

from __future__ import annotations

import math
from typing import Any

from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.warning import EntryPrediction, Warning, WarningGrade, WarningState


def _num(value: float) -> float | None:
    return None if math.isnan(value) else value


def _point(data: dict[str, Any]) -> GeoPoint:
    return GeoPoint(
        math.nan if data["lat_deg"] is None else data["lat_deg"],
        math.nan if data["lon_deg"] is None else data["lon_deg"],
        data.get("alt_m"),
    )


def warning_to_dict(w: Warning) -> dict[str, Any]:
    entry = None
    if w.entry is not None:
        entry = {
            "point": {"lat_deg": w.entry.point.lat_deg, "lon_deg": w.entry.point.lon_deg},
            "time_s": w.entry.time_s,
            "earliest_s": _num(w.entry.earliest_s),
            "latest_s": _num(w.entry.latest_s),
            "probability": w.entry.probability,
            "sigma_major_m": _num(w.entry.sigma_major_m),
            "sigma_minor_m": _num(w.entry.sigma_minor_m),
        }
    return {
        "warning_id": w.warning_id,
        "sequence": w.sequence,
        "state": w.state.value,
        "sender": w.sender,
        "recipient": w.recipient,
        "track_id": w.track_id,
        "issued_s": w.issued_s,
        "track_position": {
            "lat_deg": _num(w.track_position.lat_deg),
            "lon_deg": _num(w.track_position.lon_deg),
            "alt_m": w.track_position.alt_m,
        },
        "track_speed_mps": _num(w.track_speed_mps),
        "track_course_deg": _num(w.track_course_deg),
        "object_class": w.object_class.value,
        "entry": entry,
        "members": list(w.members),
        "priority": w.priority,
        "area": w.area,
        "class_confidence": w.class_confidence,
        "grade": w.grade.value,
    }


def warning_from_dict(d: dict[str, Any]) -> Warning:
    entry = None
    if d["entry"] is not None:
        e = d["entry"]
        entry = EntryPrediction(
            point=_point(e["point"]),
            time_s=e["time_s"],
            earliest_s=math.nan if e["earliest_s"] is None else e["earliest_s"],
            latest_s=math.nan if e["latest_s"] is None else e["latest_s"],
            probability=e["probability"],
            sigma_major_m=math.nan if e.get("sigma_major_m") is None else e["sigma_major_m"],
            sigma_minor_m=math.nan if e.get("sigma_minor_m") is None else e["sigma_minor_m"],
        )
    return Warning(
        warning_id=d["warning_id"],
        sequence=d["sequence"],
        state=WarningState(d["state"]),
        sender=d["sender"],
        recipient=d["recipient"],
        track_id=d["track_id"],
        issued_s=d["issued_s"],
        track_position=_point(d["track_position"]),
        track_speed_mps=math.nan if d["track_speed_mps"] is None else d["track_speed_mps"],
        track_course_deg=math.nan if d["track_course_deg"] is None else d["track_course_deg"],
        object_class=ObjectClass(d["object_class"]),
        entry=entry,
        members=tuple(d["members"]),
        priority=d.get("priority", 3),
        area=d.get("area", ""),
        class_confidence=d.get("class_confidence", 0.0),
        grade=WarningGrade(d.get("grade", WarningGrade.WARNING.value)),
    )


def finite_or_none(value: float) -> float | None:
    """A float for JSON: NaN and infinities (no value yet) become null."""
    return value if math.isfinite(value) else None


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float, however deep in dicts and lists, as None."""
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
