"""The tracker's track table: one row per live track, columns as arrays (structure of arrays)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


def _f(*shape: int) -> FloatArray:
    return np.zeros((0, *shape))


@dataclass
class TrackTable:
    """Columns of the live tracks.

    IMM: ``xm`` (N, M, 4), ``pm`` (N, M, 4, 4), ``mu`` (N, M) at filter time ``t``; ``x``,
    ``p`` their moment-matched combination. Height: ``h`` (N, 2) of (height, climb), NaN when
    unknown, ``ph``, at ``th``. Everything is an array, so dropping rows is one mask per
    column; the few per-track Python objects (history, class evidence) live in the tracker's
    dictionaries keyed by ``uid``. Bookkeeping: birth, last measurement, hits, confirmation, the
    sensor and time that last set the position, height and cooperative status.
    """

    uid: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    xm: FloatArray = field(default_factory=lambda: _f(3, 4))
    pm: FloatArray = field(default_factory=lambda: _f(3, 4, 4))
    mu: FloatArray = field(default_factory=lambda: _f(3))
    x: FloatArray = field(default_factory=lambda: _f(4))
    p: FloatArray = field(default_factory=lambda: _f(4, 4))
    t: FloatArray = field(default_factory=lambda: _f())
    h: FloatArray = field(default_factory=lambda: _f(2))
    ph: FloatArray = field(default_factory=lambda: _f(2, 2))
    th: FloatArray = field(default_factory=lambda: _f())
    born: FloatArray = field(default_factory=lambda: _f())
    last: FloatArray = field(default_factory=lambda: _f())
    hits: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    llr: FloatArray = field(default_factory=lambda: _f())
    """Track score: log-likelihood ratio of target versus clutter over its measurements."""
    confirmed: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    held_since: FloatArray = field(default_factory=lambda: _f())
    sampled: FloatArray = field(default_factory=lambda: _f())
    """Filter time of the last position remembered in ``history``."""
    pos_sensor: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    alt_sensor: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    coop_sensor: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    coop_last: FloatArray = field(default_factory=lambda: _f())
    number: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    """Confirmed track number (0 while tentative)."""

    def __len__(self) -> int:
        return len(self.t)

    def keep(self, mask: BoolArray) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name)[mask])

    def extend(self, other: TrackTable) -> None:
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))
