"""The picture's history for replay: one compressed frame of track rows every few seconds.

A frame is the JSON list of its track rows (``api.picture``), zlib-compressed; NIGHT-0910's
eight hours at one frame per 5 s are about 5,800 frames. The node's loop writes; the web
server's threads read: one connection, serialised by a lock (SQLite in WAL mode on disk).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS picture_frame (
    time_s REAL PRIMARY KEY,
    rows BLOB NOT NULL
);
"""


class PictureHistory:
    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        if str(path) != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def record(self, time_s: float, rows: Sequence[Sequence[Any]]) -> None:
        blob = zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 6)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO picture_frame (time_s, rows) VALUES (?, ?)",
                (time_s, blob),
            )
            self._db.commit()

    def span(self) -> tuple[float, float] | None:
        """(first, last) frame time, or None before the first frame."""
        with self._lock:
            first, last = self._db.execute(
                "SELECT min(time_s), max(time_s) FROM picture_frame"
            ).fetchone()
        return None if first is None else (float(first), float(last))

    def frames(
        self, start_s: float, end_s: float, limit: int = 2000
    ) -> list[tuple[float, list[list[Any]]]]:
        """Frames with start_s <= time < end_s, oldest first (at most ``limit``)."""
        with self._lock:
            found = self._db.execute(
                "SELECT time_s, rows FROM picture_frame WHERE time_s >= ? AND time_s < ?"
                " ORDER BY time_s LIMIT ?",
                (start_s, end_s, limit),
            ).fetchall()
        return [(float(t), json.loads(zlib.decompress(blob))) for t, blob in found]

    def frame_at(self, time_s: float) -> tuple[float, list[list[Any]]] | None:
        """The last frame at or before ``time_s``."""
        with self._lock:
            found = self._db.execute(
                "SELECT time_s, rows FROM picture_frame WHERE time_s <= ?"
                " ORDER BY time_s DESC LIMIT 1",
                (time_s,),
            ).fetchone()
        return None if found is None else (float(found[0]), json.loads(zlib.decompress(found[1])))
