"""Warnings as the duty officer sees them: one row per warning, its latest state, lead time,
the partner's acknowledgement and rating, and the operators' actions, at any moment of the
night (live: now; replay: the moment shown)."""

from __future__ import annotations

import math
from typing import Any

from dronewarn.api.board import WarningLedger

CLOSED_STATES = frozenset({"crossed", "turned_away", "lost", "neutralised", "cancelled"})


def warning_rows(ledger: WarningLedger, at_s: float | None = None) -> list[dict[str, Any]]:
    """Newest first. ``at_s``: only what had happened by then (replay)."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for message in ledger.messages:
        if at_s is not None and message["issued_s"] > at_s:
            continue
        direction = message["direction"]
        key = (direction, message["warning_id"])
        row = rows.get(key)
        entry = message.get("entry") or None
        if row is None:
            row = {
                "warning_id": message["warning_id"],
                "direction": direction,
                "partner": message["recipient"] if direction == "out" else message["sender"],
                "track_id": message["track_id"],
                "area": message.get("area", ""),
                "first_issued_s": message["issued_s"],
                "first_entry_s": None if entry is None else entry["time_s"],
                "messages": 0,
                "acknowledged_s": None,
                "acknowledged_by": None,
                "rating": None,
                "actions": [],
            }
            rows[key] = row
        row["messages"] += 1
        row["state"] = message["state"]
        row["open"] = message["state"] not in CLOSED_STATES
        row["last_issued_s"] = message["issued_s"]
        row["object_class"] = message["object_class"]
        row["priority"] = message["priority"]
        row["grade"] = message.get("grade", "warning")  # stored before grades: warnings
        row["position"] = message["track_position"]
        row["speed_mps"] = message["track_speed_mps"]
        row["course_deg"] = message["track_course_deg"]
        if entry is not None:
            row["entry"] = entry
            row["probability"] = entry["probability"]
        row.setdefault("entry", None)
        row.setdefault("probability", None)
    for fb in ledger.feedback:
        if at_s is not None and _time(fb) > at_s:
            continue
        row = rows.get(("out", str(fb.get("warning_id"))))
        if row is None:
            continue
        _apply_rating(row, fb["rating"], _time(fb), fb.get("operator") or fb.get("sender"))
    for action in ledger.actions:
        if at_s is not None and action["time_s"] > at_s:
            continue
        for direction in ("in", "out"):
            row = rows.get((direction, action["warning_id"]))
            if row is None:
                continue
            row["actions"].append(action)
            if direction == "in" and action["action"].startswith("rated "):
                rating = action["action"].removeprefix("rated ")
                _apply_rating(row, rating, action["time_s"], action["operator"])
    for row in rows.values():
        first_entry = row["first_entry_s"]
        row["lead_s"] = (
            None if first_entry is None else max(0.0, first_entry - row["first_issued_s"])
        )
    return sorted(rows.values(), key=lambda r: (-r["last_issued_s"], r["warning_id"]))


def _apply_rating(row: dict[str, Any], rating: str, time_s: float, who: str | None) -> None:
    # any answer from the recipient acknowledges the warning; a rating other than
    # "received" is also its verdict
    if row["acknowledged_s"] is None:
        row["acknowledged_s"] = time_s
        row["acknowledged_by"] = who
    if rating != "received":
        row["rating"] = rating


def _time(feedback: dict[str, Any]) -> float:
    value = feedback.get("time_s")
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else 0.0
