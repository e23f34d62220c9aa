"""Small files only the node's account may read (accounts, login links), changed safely.

``locked`` holds an exclusive lock (``flock`` on ``<file>.lock``) while a change is read,
made and written, so that two writers (the CLI and a running node) never lose each other's
change; ``write_private`` writes a new file with mode 0600 and then puts it in the old one's
place, so a reader sees the old content or the new, never half of it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def write_private(path: Path, body: Any) -> None:
    """``body`` as JSON in ``path`` (mode 0600), replacing it in one step."""
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(body, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    scratch.replace(path)


def stamp(path: Path) -> tuple[int, int] | None:
    """Size and modification time: changes when the file does (None: no file)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns)
