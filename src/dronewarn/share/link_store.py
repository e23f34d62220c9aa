"""The link's durable state in SQLite (WAL): outbox, inbox, sequence counters, refusals.

* ``outbox``: every signed message to a partner, in sequence order, with its delivery state
  (``pending`` until the partner's signed ack; ``acked``; ``expired`` when it outlived its
  validity undelivered; ``refused`` when the partner refused it for good). A message is
  signed and stored in one transaction, so a crash never loses or renumbers it.
* ``counters``: the last sequence number used per (partner, channel), for heartbeats and acks.
* ``received``: every message accepted from a partner (the token, for the partner's audit
  comparison) and ``last_in``: the last sequence accepted per (sender, channel). Accepting a
  message and moving the sequence on is one transaction: a retried message is found here and
  answered again, never accepted twice.
* ``refused``: every message refused on receipt, with its reason.

One connection shared by the link's threads behind a lock; a process killed at any point
leaves the last committed state.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    partner TEXT NOT NULL,
    seq INTEGER NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    token TEXT NOT NULL,
    enqueued_s REAL NOT NULL,
    expires_s REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_s REAL NOT NULL DEFAULT 0,
    done_s REAL,
    note TEXT NOT NULL DEFAULT '',
    dedupe_key TEXT,
    PRIMARY KEY (partner, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS outbox_dedupe ON outbox (partner, dedupe_key);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (partner, state, seq);
CREATE TABLE IF NOT EXISTS counters (
    partner TEXT NOT NULL,
    channel TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (partner, channel)
);
CREATE TABLE IF NOT EXISTS received (
    message_id TEXT PRIMARY KEY,
    sender TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    seq INTEGER NOT NULL,
    received_s REAL NOT NULL,
    token TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS last_in (
    sender TEXT NOT NULL,
    channel TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (sender, channel)
);
CREATE TABLE IF NOT EXISTS outbox_tally (
    partner TEXT NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    retries INTEGER NOT NULL,
    PRIMARY KEY (partner, state)
);
CREATE TRIGGER IF NOT EXISTS outbox_tally_in AFTER INSERT ON outbox BEGIN
    INSERT INTO outbox_tally VALUES (NEW.partner, NEW.state, 1, max(NEW.attempts - 1, 0))
    ON CONFLICT (partner, state) DO UPDATE SET n = n + 1, retries = retries + excluded.retries;
END;
CREATE TRIGGER IF NOT EXISTS outbox_tally_change AFTER UPDATE OF state, attempts ON outbox
BEGIN
    UPDATE outbox_tally SET n = n - 1, retries = retries - max(OLD.attempts - 1, 0)
    WHERE partner = OLD.partner AND state = OLD.state;
    INSERT INTO outbox_tally VALUES (NEW.partner, NEW.state, 1, max(NEW.attempts - 1, 0))
    ON CONFLICT (partner, state) DO UPDATE SET n = n + 1, retries = retries + excluded.retries;
END;
CREATE TRIGGER IF NOT EXISTS outbox_tally_out AFTER DELETE ON outbox BEGIN
    UPDATE outbox_tally SET n = n - 1, retries = retries - max(OLD.attempts - 1, 0)
    WHERE partner = OLD.partner AND state = OLD.state;
END;
CREATE TABLE IF NOT EXISTS refused (
    id INTEGER PRIMARY KEY,
    time_s REAL NOT NULL,
    peer TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    token TEXT NOT NULL
);
"""


class OutState(StrEnum):
    PENDING = "pending"
    ACKED = "acked"
    EXPIRED = "expired"
    REFUSED = "refused"
    SUPERSEDED = "superseded"
    """A snapshot (an air-picture batch) replaced by a newer one before it could leave."""


@dataclass(frozen=True)
class Outgoing:
    partner: str
    seq: int
    message_id: str
    kind: str
    token: str
    expires_s: float
    attempts: int
    next_try_s: float = 0.0


@dataclass(frozen=True)
class Received:
    rowid: int
    message_id: str
    sender: str
    kind: str
    seq: int
    token: str


class LinkStore:
    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        tallied = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='outbox_tally'"
        ).fetchone()
        self._db.executescript(_SCHEMA)
        if tallied is None:  # a store written before the tally: count what it holds, once
            self._db.execute(
                "INSERT INTO outbox_tally SELECT partner, state, COUNT(*),"
                " SUM(MAX(attempts - 1, 0)) FROM outbox GROUP BY partner, state"
            )
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # ---------------------------------------------------------------- sending

    def enqueue(
        self,
        partner: str,
        kind: str,
        sign: Callable[[int], tuple[str, str, float]],
        now_s: float,
        dedupe_key: str | None = None,
        supersede: bool = False,
    ) -> tuple[Outgoing | None, list[str]]:
        """Number, sign (``sign(seq) -> (message id, token, expiry)``) and store a message.

        With ``dedupe_key``, a message already queued under that key is not queued again
        (None is returned): a sender restarted after a crash may offer it twice. With
        ``supersede``, messages of the same kind still waiting for their first attempt are
        dropped (their ids are returned): a snapshot replaces the one before.
        """
        dropped: list[str] = []
        with self._transaction() as db:
            if dedupe_key is not None:
                found = db.execute(
                    "SELECT 1 FROM outbox WHERE partner=? AND dedupe_key=?", (partner, dedupe_key)
                ).fetchone()
                if found:
                    return None, dropped
            if supersede:
                dropped = [
                    str(row[0])
                    for row in db.execute(
                        "SELECT message_id FROM outbox WHERE partner=? AND kind=? "
                        "AND state='pending' AND attempts=0",
                        (partner, kind),
                    )
                ]
                db.execute(
                    "UPDATE outbox SET state='superseded', done_s=? WHERE partner=? AND kind=? "
                    "AND state='pending' AND attempts=0",
                    (now_s, partner, kind),
                )
            seq = self._next(db, partner, "message")
            message_id, token, expires_s = sign(seq)
            db.execute(
                "INSERT INTO outbox (partner, seq, message_id, kind, token, enqueued_s, "
                "expires_s, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (partner, seq, message_id, kind, token, now_s, expires_s, dedupe_key),
            )
        return Outgoing(partner, seq, message_id, kind, token, expires_s, 0), dropped

    def next_sequence(self, partner: str, channel: str) -> int:
        """A fresh number in a channel outside the outbox (heartbeats, acks)."""
        with self._transaction() as db:
            return self._next(db, partner, channel)

    @staticmethod
    def _next(db: sqlite3.Connection, partner: str, channel: str) -> int:
        if channel == "message":
            row = db.execute("SELECT MAX(seq) FROM outbox WHERE partner=?", (partner,)).fetchone()
            return int(row[0] or 0) + 1
        row = db.execute(
            "SELECT last_seq FROM counters WHERE partner=? AND channel=?", (partner, channel)
        ).fetchone()
        seq = int(row[0]) + 1 if row else 1
        db.execute(
            "INSERT INTO counters (partner, channel, last_seq) VALUES (?, ?, ?) "
            "ON CONFLICT (partner, channel) DO UPDATE SET last_seq=excluded.last_seq",
            (partner, channel, seq),
        )
        return seq

    def pending(self, partner: str, limit: int) -> list[Outgoing]:
        """The lowest-numbered messages not yet delivered: messages go out in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT partner, seq, message_id, kind, token, expires_s, attempts, next_try_s "
                "FROM outbox "
                "WHERE partner=? AND state='pending' ORDER BY seq LIMIT ?",
                (partner, limit),
            ).fetchall()
        return [Outgoing(*row) for row in rows]

    def attempting(self, partner: str, seqs: list[int]) -> None:
        """Count an attempt for messages about to be sent (an attempted message is never
        superseded: it may already be at the partner)."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE outbox SET attempts=attempts+1 WHERE partner=? AND seq=?",
                [(partner, seq) for seq in seqs],
            )

    def retry_later(self, partner: str, seq: int, at_s: float, note: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET next_try_s=?, note=? WHERE partner=? AND seq=?",
                (at_s, note[:500], partner, seq),
            )

    def finish(self, partner: str, seq: int, state: OutState, now_s: float, note: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET state=?, done_s=?, note=? WHERE partner=? AND seq=?",
                (state.value, now_s, note[:500], partner, seq),
            )

    def outbox_counts(self, partner: str) -> dict[str, int]:
        with self._lock:
            # kept by triggers as rows change: a node's outbox grows for months
            rows = self._db.execute(
                "SELECT state, n, retries FROM outbox_tally WHERE partner=?", (partner,)
            ).fetchall()
        counts = {state.value: 0 for state in OutState}
        retried = 0
        for state, n, extra in rows:
            counts[state] = int(n)
            retried += int(extra or 0)
        counts["retries"] = retried
        return counts

    def outbox(self, partner: str) -> list[tuple[int, str, str, str]]:
        """(seq, message id, kind, state) of every message to ``partner``, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, message_id, kind, state FROM outbox WHERE partner=? ORDER BY seq",
                (partner,),
            ).fetchall()
        return [(int(a), str(b), str(c), str(d)) for a, b, c, d in rows]

    # ---------------------------------------------------------------- receiving

    def was_received(self, message_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM received WHERE message_id=?", (message_id,)
            ).fetchone()
        return row is not None

    def accept(
        self,
        message_id: str,
        sender: str,
        kind: str,
        channel: str,
        seq: int,
        token: str,
        now_s: float,
    ) -> str:
        """Record a verified message once: ``accepted``, ``duplicate`` (the same id again)
        or ``replay`` (a new id with a number not above the last accepted)."""
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM received WHERE message_id=?", (message_id,)).fetchone():
                return "duplicate"
            row = db.execute(
                "SELECT last_seq FROM last_in WHERE sender=? AND channel=?", (sender, channel)
            ).fetchone()
            if row and seq <= int(row[0]):
                return "replay"
            db.execute(
                "INSERT INTO received (message_id, sender, kind, channel, seq, received_s, token) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (message_id, sender, kind, channel, seq, now_s, token),
            )
            db.execute(
                "INSERT INTO last_in (sender, channel, last_seq) VALUES (?, ?, ?) "
                "ON CONFLICT (sender, channel) DO UPDATE SET last_seq=excluded.last_seq",
                (sender, channel, seq),
            )
        return "accepted"

    def received_after(self, rowid: int, limit: int = 1000) -> list[Received]:
        """Accepted messages after ``rowid``, in the order they were accepted."""
        with self._lock:
            rows = self._db.execute(
                "SELECT rowid, message_id, sender, kind, seq, token FROM received "
                "WHERE rowid>? AND channel='message' ORDER BY rowid LIMIT ?",
                (rowid, limit),
            ).fetchall()
        return [Received(*row) for row in rows]

    def every_received(self) -> list[tuple[str, str, str, int, str]]:
        """(message id, sender, kind, seq, token) of everything accepted, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT message_id, sender, kind, seq, token FROM received ORDER BY rowid"
            ).fetchall()
        return [(str(a), str(b), str(c), int(d), str(e)) for a, b, c, d, e in rows]

    def every_queued(self) -> list[tuple[str, str, str, int, str]]:
        """(message id, partner, kind, seq, token) of everything ever queued, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT message_id, partner, kind, seq, token FROM outbox ORDER BY rowid"
            ).fetchall()
        return [(str(a), str(b), str(c), int(d), str(e)) for a, b, c, d, e in rows]

    def received_tokens(self, sender: str) -> dict[str, str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT message_id, token FROM received WHERE sender=?", (sender,)
            ).fetchall()
        return {str(a): str(b) for a, b in rows}

    def refuse(self, peer: str, reason: str, detail: str, token: str, now_s: float) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO refused (time_s, peer, reason, detail, token) VALUES (?, ?, ?, ?, ?)",
                (now_s, peer, reason, detail[:2000], token[:100_000]),
            )

    def refused_counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT reason, COUNT(*) FROM refused GROUP BY reason"
            ).fetchall()
        return {str(a): int(b) for a, b in rows}
