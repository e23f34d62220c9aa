"""Record layouts derived from libasterix's specification, kept on disk per machine.

A ``DecodePlan`` needs, per (category, edition), the length rules of its records
(``datablock.layout_from_libasterix``) and whether a hand-written decoder reads that edition
(``fast048.check_edition`` and the like). Both are derived from libasterix's generated module,
whose import alone takes about 1.5 s here: more than a small file's whole decode. So what is
derived once is written to ``layouts-<key>/CAT-EDITION.json`` in the cache directory, and a
process that only meets categories with a hand-written decoder (CAT034, CAT048, CAT062, the
status categories but CAT002) never imports libasterix.

The key is the size and modification time of libasterix's generated module and a hash of the
dronewarn sources that derive or check layouts: a new libasterix or a changed rule makes a new
file, never a stale answer. The directory is ``$DRONEWARN_CACHE_DIR``, else
``$XDG_CACHE_HOME/dronewarn``, else ``~/.cache/dronewarn``. A directory that cannot be written
only means deriving again next time; a file that cannot be read (damaged, from a foreign
writer) is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dronewarn.formats.asterix.datablock import RecordLayout, Rule

CACHE_DIR_ENV = "DRONEWARN_CACHE_DIR"

_SOURCES = (
    "datablock.py",
    "items.py",
    "editions.py",
    "layout_cache.py",
    "fast034.py",
    "fast048.py",
    "fast062.py",
    "fast_status.py",
    "status.py",
    "cat034.py",
    "cat048.py",
    "cat062.py",
)
"""The modules (of this package) whose code decides a layout or a decoder's check."""


@dataclass(frozen=True, slots=True)
class LayoutEntry:
    """What a plan needs of one (category, edition)."""

    layout: RecordLayout | None
    """The length rules, None if they cannot be derived (``datablock.LayoutError``)."""
    fast: bool
    """Whether the hand-written decoder accepts the edition (its ``check_edition``)."""


def cache_dir() -> Path:
    """Where the layouts are kept (see the module docstring)."""
    chosen = os.environ.get(CACHE_DIR_ENV)
    if chosen:
        return Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "dronewarn"


def cache_key() -> str | None:
    """The key of this libasterix and these sources; None when libasterix is not installed."""
    found = importlib.util.find_spec("asterix")
    if found is None or not found.submodule_search_locations:
        return None
    generated = Path(next(iter(found.submodule_search_locations))) / "generated.py"
    try:
        stat = generated.stat()
    except OSError:
        return None
    digest = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:20]


class LayoutCache:
    """The layouts kept in one cache directory: a file per (category, edition), read when
    first asked for and written when derived."""

    __slots__ = ("_directory", "_entries")

    def __init__(self, directory: Path | None = None) -> None:
        key = cache_key()
        self._directory = None if key is None else (directory or cache_dir()) / f"layouts-{key}"
        self._entries: dict[str, LayoutEntry] = {}

    def get(self, category: int, edition: str, derive: Callable[[], LayoutEntry]) -> LayoutEntry:
        """The entry of (category, edition): from its file, or ``derive()``d and written."""
        name = f"{category:03d}-{edition}"
        entry = self._entries.get(name)
        if entry is None:
            entry = self._read(name)
            if entry is None:
                entry = derive()
                self._write(name, entry)
            self._entries[name] = entry
        return entry

    def _read(self, name: str) -> LayoutEntry | None:
        if self._directory is None:
            return None
        try:
            return _entry(json.loads((self._directory / f"{name}.json").read_bytes()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # absent or unreadable: derived again, and the file rewritten

    def _write(self, name: str, entry: LayoutEntry) -> None:
        if self._directory is None:
            return
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=self._directory, prefix=f".{name}-", delete=False
            ) as handle:
                json.dump(_document(entry), handle)
            Path(handle.name).replace(self._directory / f"{name}.json")
        except OSError:
            return  # a read-only home: derived again next time


def _document(entry: LayoutEntry) -> dict[str, Any]:
    layout = entry.layout
    return {
        "fast": entry.fast,
        "layout": None
        if layout is None
        else {
            "category": layout.category,
            "edition": layout.edition,
            "fspec_max_octets": layout.fspec_max_octets,
            "names": list(layout.names),
            "rules": list(layout.rules),
        },
    }


def _entry(value: dict[str, Any]) -> LayoutEntry:
    found = value["layout"]
    layout = None
    if found is not None:
        layout = RecordLayout(
            category=int(found["category"]),
            edition=str(found["edition"]),
            fspec_max_octets=int(found["fspec_max_octets"]),
            names=tuple(found["names"]),
            rules=tuple(_rule(rule) for rule in found["rules"]),
        )
    return LayoutEntry(layout, bool(value["fast"]))


def _rule(value: Any) -> Rule | None:
    """A rule as ``datablock`` builds it: lists back to tuples, all the way down."""
    if value is None:
        return None
    return tuple(_rule(part) if isinstance(part, list) else part for part in value)
