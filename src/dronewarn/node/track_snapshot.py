"""The tracker's state on disk (``DATA_DIR/tracks.npz``), so that a restarted node resumes
its tracks (same ids, same history) instead of starting from an empty picture.

One NumPy ``.npz`` archive: the tracker's arrays under their names, and ``meta``, a JSON
document of the plain values (format version, when it was saved, sensor names, counters,
history, class evidence). Written to a new file that then replaces the old one, so a kill
at any moment leaves the last complete snapshot. A snapshot of another format version, or
one that does not read, is set aside (renamed ``.unreadable``) and the node starts afresh.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from dronewarn.track.tracker import TrackerState

VERSION = 1
FILE_NAME = "tracks.npz"


def save_snapshot(path: Path, state: TrackerState, saved_s: float) -> None:
    meta = {
        "version": VERSION,
        "saved_s": saved_s,
        "sensors": list(state.sensors),
        "next_uid": state.next_uid,
        "next_id": state.next_id,
        "newest_s": state.newest_s if np.isfinite(state.newest_s) else None,
        "history": {str(uid): past for uid, past in state.history.items()},
        "evidence": {str(uid): votes for uid, votes in state.evidence.items()},
    }
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with scratch.open("wb") as handle:
        contents: dict[str, Any] = {"meta": np.array(json.dumps(meta)), **state.arrays}
        np.savez(handle, allow_pickle=False, **contents)
        handle.flush()
        os.fsync(handle.fileno())
    scratch.replace(path)


def load_snapshot(path: Path) -> tuple[TrackerState, float] | None:
    """(state, when it was saved), or None when there is none or it cannot be used."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            if meta.get("version") != VERSION:
                raise ValueError(f"snapshot version {meta.get('version')!r}, not {VERSION}")
            arrays = {k: archive[k] for k in archive.files if k != "meta"}
        newest = meta["newest_s"]
        state = TrackerState(
            arrays=arrays,
            sensors=tuple(meta["sensors"]),
            next_uid=int(meta["next_uid"]),
            next_id=int(meta["next_id"]),
            newest_s=float("-inf") if newest is None else float(newest),
            history={int(k): [tuple(x) for x in v] for k, v in meta["history"].items()},
            evidence={int(k): dict(v) for k, v in meta["evidence"].items()},
        )
        return state, float(meta["saved_s"])
    except Exception as exc:  # a truncated or foreign file: zip, npy and JSON errors alike
        with contextlib.suppress(OSError):
            path.replace(path.with_name(path.name + ".unreadable"))
        raise SnapshotUnreadableError(f"{path}: {type(exc).__name__}: {exc}") from exc


class SnapshotUnreadableError(Exception):
    """The snapshot was set aside; the node starts without it."""
