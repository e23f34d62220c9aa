"""The node's SQLite store: warnings sent and received, and refused input (never lost)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from dronewarn.domain.codec import warning_from_dict, warning_to_dict
from dronewarn.domain.errors import InputError
from dronewarn.domain.report import Report
from dronewarn.domain.warning import OperatorAction, Warning

UNDECODABLE_BYTES = 512
"""How much of an undecodable input the store keeps (enough to see what it was)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS warning (
    id INTEGER PRIMARY KEY,
    direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    warning_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    state TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    track_id TEXT NOT NULL,
    issued_s REAL NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (direction, warning_id, sequence)
);
CREATE TABLE IF NOT EXISTS withheld (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    warning_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    reason TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS operator_action (
    id INTEGER PRIMARY KEY,
    warning_id TEXT NOT NULL,
    action TEXT NOT NULL,
    operator TEXT NOT NULL,
    reason TEXT NOT NULL,
    time_s REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    message_id TEXT PRIMARY KEY,
    sender TEXT NOT NULL,
    warning_id TEXT NOT NULL,
    rating TEXT NOT NULL,
    outcome TEXT,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected_input (
    id INTEGER PRIMARY KEY,
    sensor_id TEXT NOT NULL,
    time_s REAL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    report TEXT NOT NULL
);
"""


class Direction(StrEnum):
    OUT = "out"
    IN = "in"


@dataclass(frozen=True)
class RejectedRow:
    sensor_id: str
    kind: str
    message: str


class SqliteStore:
    """One node's store. ``path=':memory:'`` keeps it in memory (headless runs)."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        if str(path) != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def record_warning(self, direction: Direction, warning: Warning) -> bool:
        """Store a warning message; False if this (id, sequence) was already stored."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO warning (direction, warning_id, sequence, state, sender,"
            " recipient, track_id, issued_s, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                direction.value,
                warning.warning_id,
                warning.sequence,
                warning.state.value,
                warning.sender,
                warning.recipient,
                warning.track_id,
                warning.issued_s,
                json.dumps(warning_to_dict(warning)),
            ),
        )
        self._db.commit()
        return cur.rowcount == 1

    def warnings(self, direction: Direction) -> list[Warning]:
        rows = self._db.execute(
            "SELECT body FROM warning WHERE direction = ? ORDER BY issued_s, id", (direction.value,)
        )
        return [warning_from_dict(json.loads(body)) for (body,) in rows]

    def warnings_after(self, row_id: int) -> list[tuple[int, Direction, Warning]]:
        """Warning messages stored after row ``row_id`` (both directions), in row order, with
        their row: a reader that has seen up to a row reads only what came since."""
        rows = self._db.execute(
            "SELECT id, direction, body FROM warning WHERE id > ? ORDER BY id", (row_id,)
        )
        return [
            (int(i), Direction(direction), warning_from_dict(json.loads(body)))
            for i, direction, body in rows
        ]

    def count_warnings(self, direction: Direction, by: str) -> dict[str, int]:
        """Warning messages of one direction counted by ``sender`` or ``recipient``."""
        if by not in ("sender", "recipient"):
            raise ValueError(f"count by sender or recipient, not {by!r}")
        rows = self._db.execute(
            f"SELECT {by}, count(*) FROM warning WHERE direction = ? GROUP BY {by}",
            (direction.value,),
        )
        return {str(who): int(n) for who, n in rows}

    def record_withheld(self, warning: Warning, reason: str) -> None:
        """A message the sharing policy kept back: what, from whom, and why."""
        self._db.execute(
            "INSERT INTO withheld (recipient, warning_id, sequence, reason, body)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                warning.recipient,
                warning.warning_id,
                warning.sequence,
                reason,
                json.dumps(warning_to_dict(warning)),
            ),
        )
        self._db.commit()

    def record_withheld_tracks(
        self, recipient: str, time_s: float, reasons: dict[str, int]
    ) -> None:
        """Tracks of one air-picture batch that the policy kept back, counted by reason."""
        self._db.execute(
            "INSERT INTO withheld (recipient, warning_id, sequence, reason, body)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                recipient,
                "tracks",
                int(time_s),
                "; ".join(f"{n} {why}" for why, n in sorted(reasons.items())),
                json.dumps({"time_s": time_s, "withheld": reasons}),
            ),
        )
        self._db.commit()

    def withheld(self) -> list[tuple[str, str, str]]:
        """(recipient, warning id, reason) of every withheld warning message."""
        rows = self._db.execute(
            "SELECT recipient, warning_id, reason FROM withheld WHERE warning_id != 'tracks'"
            " ORDER BY id"
        )
        return [(str(r), str(w), str(why)) for r, w, why in rows]

    def withheld_tracks(self) -> list[tuple[str, dict[str, int]]]:
        """(recipient, tracks withheld by reason) of every air-picture batch."""
        rows = self._db.execute(
            "SELECT recipient, body FROM withheld WHERE warning_id = 'tracks' ORDER BY id"
        )
        return [(str(r), dict(json.loads(body)["withheld"])) for r, body in rows]

    def record_feedback(self, message_id: str, sender: str, body: dict[str, Any]) -> bool:
        """A partner's rating of one of our warnings; False if this message was stored."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO feedback (message_id, sender, warning_id, rating, outcome, body)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                message_id,
                sender,
                str(body["warning_id"]),
                str(body["rating"]),
                None if body.get("outcome") is None else str(body["outcome"]),
                json.dumps(body),
            ),
        )
        self._db.commit()
        return cur.rowcount == 1

    def feedback(self) -> list[tuple[str, str, str, str | None]]:
        """(sender, warning id, rating, outcome) of every feedback received, in order."""
        rows = self._db.execute(
            "SELECT sender, warning_id, rating, outcome FROM feedback ORDER BY rowid"
        )
        return [(str(s), str(w), str(r), o) for s, w, r, o in rows]

    def feedback_bodies(self) -> list[tuple[str, dict[str, Any]]]:
        """(sender, feedback body) of every feedback received, in order."""
        rows = self._db.execute("SELECT sender, body FROM feedback ORDER BY rowid")
        return [(str(s), dict(json.loads(body))) for s, body in rows]

    def marks(self) -> tuple[int, int, int]:
        """Row marks of warnings, feedback and actions: they change when any table grows."""
        found = self._db.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM warning),"
            " (SELECT count(*) FROM feedback),"
            " (SELECT coalesce(max(id), 0) FROM operator_action)"
        ).fetchone()
        return int(found[0]), int(found[1]), int(found[2])

    def record_action(self, action: OperatorAction) -> None:
        self._db.execute(
            "INSERT INTO operator_action (warning_id, action, operator, reason, time_s)"
            " VALUES (?, ?, ?, ?, ?)",
            (action.warning_id, action.action, action.operator, action.reason, action.time_s),
        )
        self._db.commit()

    def actions(self) -> list[OperatorAction]:
        rows = self._db.execute(
            "SELECT warning_id, action, operator, reason, time_s FROM operator_action ORDER BY id"
        )
        return [OperatorAction(*row) for row in rows]

    def record_rejected(self, report: Report, error: InputError) -> None:
        self._db.execute(
            "INSERT INTO rejected_input (sensor_id, time_s, kind, message, report)"
            " VALUES (?, ?, ?, ?, ?)",
            (report.sensor_id, report.time_s, error.kind, str(error), repr(report)),
        )
        self._db.commit()

    def record_undecodable(
        self, sensor_id: str, time_s: float, errors: Sequence[InputError]
    ) -> None:
        """Input that did not decode: each error, with (at most the first 512 octets of) the
        offending bytes in hex; one transaction for a payload's errors."""
        rows = []
        for error in errors:
            data = getattr(error, "data", b"")[:UNDECODABLE_BYTES]
            offset = getattr(error, "offset", None)
            where = f" at offset {offset}" if offset is not None else ""
            rows.append((sensor_id, time_s, error.kind, f"{error}{where}", data.hex()))
        self._db.executemany(
            "INSERT INTO rejected_input (sensor_id, time_s, kind, message, report)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        self._db.commit()

    def rejected(self) -> list[RejectedRow]:
        rows = self._db.execute("SELECT sensor_id, kind, message FROM rejected_input ORDER BY id")
        return [RejectedRow(*row) for row in rows]
