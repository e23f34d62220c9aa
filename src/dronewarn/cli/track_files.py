"""Plain files of ``dronewarn track``: detections in, track estimates out, truth to score.

Formats (CSV with a header row, local plane in metres, times in seconds):

* detections: ``t_s,sensor,x_m,y_m[,sigma_m]``, in arrival order; each run of rows with the
  same ``t_s`` is one batch (a scan). ``sigma_m`` is the circular 1-sigma error, defaulting to
  ``--sigma-m``.
* tracks (written): ``t_s,track_id,x_m,y_m,vx_mps,vy_mps``, one row per confirmed track after
  each batch, predicted to the batch's time.
* truth: ``t_s,target_id,x_m,y_m``; interpolated linearly per target at the output times
  within its first and last row.

A row that cannot be read (wrong field count, not a number) is a ``DecodeError`` naming the
file, line and field; it is counted and skipped, never fatal.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from _csv import Writer as CsvWriter

import numpy as np
import numpy.typing as npt

from dronewarn.domain.errors import DecodeError, InputError
from dronewarn.track.measurements import PlaneMeasurements

FloatArray = npt.NDArray[np.float64]
DETECTION_FIELDS = ("t_s", "sensor", "x_m", "y_m")
TRACK_FIELDS = ("t_s", "track_id", "x_m", "y_m", "vx_mps", "vy_mps")


@dataclass
class ReadErrors:
    counts: Counter[str] = field(default_factory=Counter)
    first: list[InputError] = field(default_factory=list)

    def add(self, error: InputError) -> None:
        self.counts[error.kind] += 1
        if len(self.first) < 10:
            self.first.append(error)


def _number(text: str, path: Path, line: int, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise DecodeError(
            f"{path}:{line}: {name} {text!r} is not a number", data=text.encode(), offset=line
        ) from None


def read_batches(
    path: Path, default_sigma_m: float, errors: ReadErrors
) -> Iterator[tuple[float, PlaneMeasurements]]:
    """Batches of detections in file order, each with its time."""
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header[:4]) != DETECTION_FIELDS:
            raise DecodeError(
                f"{path}:1: header must start with {','.join(DETECTION_FIELDS)}",
                data=",".join(header or []).encode(),
                offset=1,
            )
        rows: list[tuple[float, str, float, float, float]] = []
        current: float | None = None
        for line, row in enumerate(reader, start=2):
            try:
                if len(row) not in (4, 5):
                    raise DecodeError(
                        f"{path}:{line}: expected 4 or 5 fields, found {len(row)}",
                        data=",".join(row).encode(),
                        offset=line,
                    )
                t = _number(row[0], path, line, "t_s")
                sigma = _number(row[4], path, line, "sigma_m") if len(row) == 5 else default_sigma_m
                item = (
                    t,
                    row[1].strip(),
                    _number(row[2], path, line, "x_m"),
                    _number(row[3], path, line, "y_m"),
                    sigma,
                )
            except DecodeError as exc:
                errors.add(exc)
                continue
            if current is not None and t != current and rows:
                yield current, _batch(rows)
                rows = []
            current = t
            rows.append(item)
        if rows and current is not None:
            yield current, _batch(rows)


def _batch(rows: list[tuple[float, str, float, float, float]]) -> PlaneMeasurements:
    names: dict[str, int] = {}
    sensor = np.array([names.setdefault(r[1], len(names)) for r in rows], dtype=np.intp)
    arr = np.array([(r[0], r[2], r[3], r[4]) for r in rows], dtype=np.float64)
    batch = PlaneMeasurements.positions(arr[:, 0], arr[:, 1:3], arr[:, 3])
    return PlaneMeasurements(
        time_s=batch.time_s,
        z=batch.z,
        r=batch.r,
        sensor=sensor,
        sensor_names=tuple(names),
        one_per_target=batch.one_per_target,
    )


def write_header(out: TextIO) -> CsvWriter:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TRACK_FIELDS)
    return writer


def read_truth(path: Path, errors: ReadErrors) -> dict[str, FloatArray]:
    """Per target: rows (t_s, x_m, y_m) sorted by time."""
    per: dict[str, list[tuple[float, float, float]]] = {}
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        want = ("t_s", "target_id", "x_m", "y_m")
        if header is None or tuple(h.strip() for h in header[:4]) != want:
            raise DecodeError(
                f"{path}:1: header must be {','.join(want)}",
                data=",".join(header or []).encode(),
                offset=1,
            )
        for line, row in enumerate(reader, start=2):
            try:
                if len(row) != 4:
                    raise DecodeError(
                        f"{path}:{line}: expected 4 fields, found {len(row)}",
                        data=",".join(row).encode(),
                        offset=line,
                    )
                values = [
                    _number(row[i], path, line, n) for i, n in ((0, "t_s"), (2, "x_m"), (3, "y_m"))
                ]
            except DecodeError as exc:
                errors.add(exc)
                continue
            if all(math.isfinite(v) for v in values):
                per.setdefault(row[1].strip(), []).append((values[0], values[1], values[2]))
    return {k: np.array(sorted(v)) for k, v in per.items()}


def truth_at(
    truth: dict[str, FloatArray], times_s: FloatArray
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Positions (K, T, 2) of every target at ``times_s`` and where each one exists."""
    out = np.zeros((len(times_s), len(truth), 2))
    alive = np.zeros((len(times_s), len(truth)), dtype=bool)
    for j, rows in enumerate(truth.values()):
        t = rows[:, 0]
        alive[:, j] = (times_s >= t[0]) & (times_s <= t[-1])
        out[:, j, 0] = np.interp(times_s, t, rows[:, 1])
        out[:, j, 1] = np.interp(times_s, t, rows[:, 2])
    return out, alive
