"""The record walk of ``datablock.walk_record``, compiled with numba, for whole data blocks.

``fast048``/``fast062`` spend most of their time finding where each item starts (ASTERIX
records carry no length: every FSPEC bit and every item's length rule must be followed,
compound and extended items included). This kernel walks all records of a block at once and
writes, per record, its start and the start of the items and compound subfields a decoder asked
for; the decoder then reads the values in Python. Compiled once per machine (``cache=True``).

Tables (built by ``WalkTables.for_layout`` from a ``RecordLayout``):

* ``items``: per FRN - 1, (kind, a, b, column): kind 0 spare, 1 fixed (a octets), 2 extended
  (parts a .. a + b - 1 of ``parts``), 3 repetitive (a factor octets, b octets per element),
  4 repetitive with FX (a octets per element), 5 explicit, 6 compound (subfields a .. a + 7b - 1
  of ``subfields``, b primary octets at most), 7 unknown structure; column: where its start goes
  in a row of ``out``, or -1;
* ``subfields``: the same per compound subfield (no compound inside a compound);
* ``parts``: (octets, ends in FX) per extended item part.

The kernel only says where a record fails (``FAILED`` and its start): the decoder walks that
record again in Python, which raises the exact DecodeError. Array accesses are bounds-checked
(``boundscheck=True``), and every read is guarded besides: no input can make it read outside
the block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from dronewarn.formats.asterix.datablock import (
    COMPOUND,
    EXPLICIT,
    EXTENDED,
    FIXED,
    REPETITIVE,
    REPETITIVE_FX,
    RecordLayout,
    Rule,
)

IntTable = npt.NDArray[np.int64]

DONE = 0
"""The block was walked to its end."""
FULL = 1
"""``out`` is full: call again from the returned position."""
FAILED = 2
"""The record at the returned position does not walk."""

_K_SPARE, _K_FIXED, _K_EXTENDED, _K_REP, _K_REP_FX, _K_EXPLICIT, _K_COMPOUND, _K_UNKNOWN = range(8)


@njit(cache=True, nogil=True, boundscheck=True)
def _skip(  # pragma: no cover - compiled
    buf: npt.NDArray[np.uint8],
    pos: int,
    end: int,
    kind: int,
    a: int,
    b: int,
    parts: IntTable,
) -> int:
    """End of the (non-compound) item at ``pos``, or -1 if it does not fit or is invalid."""
    if kind == _K_FIXED:
        pos += a
    elif kind == _K_EXTENDED:
        last = a + b - 1
        for part in range(a, a + b):
            pos += parts[part, 0]
            if pos > end:
                return -1
            if parts[part, 1] == 0 or (buf[pos - 1] & 1) == 0:
                break
            if part == last:
                return -1  # FX set in the last extent
    elif kind == _K_REP:
        if pos + a > end:
            return -1
        count = 0
        for k in range(a):
            count = (count << 8) | buf[pos + k]
        pos += a + count * b
    elif kind == _K_REP_FX:
        while True:
            pos += a
            if pos > end:
                return -1
            if (buf[pos - 1] & 1) == 0:
                break
    elif kind == _K_EXPLICIT:
        if pos >= end:
            return -1
        length = buf[pos]
        if length == 0:
            return -1
        pos += length
    else:
        return -1
    if pos > end:
        return -1
    return pos


@njit(cache=True, nogil=True, boundscheck=True)
def walk_block(  # pragma: no cover - compiled
    buf: npt.NDArray[np.uint8],
    pos: int,
    end: int,
    limit: int,
    items: IntTable,
    subfields: IntTable,
    parts: IntTable,
    out: IntTable,
) -> tuple[int, int, int]:
    """Walk records from ``pos`` to ``end``: (rows written, DONE/FULL/FAILED, position).

    Row r of ``out``: column 0 the record's start, the others the starts of the items and
    subfields whose column the tables name (-1 if absent).
    """
    rows = 0
    capacity = out.shape[0]
    columns = out.shape[1]
    n_items = items.shape[0]
    while pos < end:
        if rows == capacity:
            return rows, FULL, pos
        record = pos
        for c in range(columns):
            out[rows, c] = -1
        out[rows, 0] = record
        # FSPEC
        octets = 0
        while True:
            if pos >= end:
                return rows, FAILED, record
            octet = buf[pos]
            pos += 1
            octets += 1
            if (octet & 1) == 0:
                break
            if octets >= limit:
                return rows, FAILED, record
        for k in range(octets):
            octet = buf[record + k]
            for bit in range(7):
                if (octet & (0x80 >> bit)) == 0:
                    continue
                index = 7 * k + bit
                if index >= n_items:
                    return rows, FAILED, record
                kind = items[index, 0]
                column = items[index, 3]
                if column >= 0:
                    out[rows, column] = pos
                if kind == _K_FIXED:
                    pos += items[index, 1]
                    if pos > end:
                        return rows, FAILED, record
                elif kind == _K_COMPOUND:
                    first = items[index, 1]
                    sub_limit = items[index, 2]
                    primary = pos
                    sub_octets = 0
                    while True:
                        if pos >= end:
                            return rows, FAILED, record
                        octet2 = buf[pos]
                        pos += 1
                        sub_octets += 1
                        if (octet2 & 1) == 0:
                            break
                        if sub_octets >= sub_limit:
                            return rows, FAILED, record
                    for j in range(sub_octets):
                        octet2 = buf[primary + j]
                        for bit2 in range(7):
                            if (octet2 & (0x80 >> bit2)) == 0:
                                continue
                            row = first + 7 * j + bit2
                            sub_kind = subfields[row, 0]
                            if sub_kind in (_K_SPARE, _K_COMPOUND):
                                return rows, FAILED, record
                            sub_column = subfields[row, 3]
                            if sub_column >= 0:
                                out[rows, sub_column] = pos
                            pos = _skip(
                                buf, pos, end, sub_kind, subfields[row, 1], subfields[row, 2], parts
                            )
                            if pos < 0:
                                return rows, FAILED, record
                elif kind in (_K_SPARE, _K_UNKNOWN):
                    return rows, FAILED, record
                else:
                    pos = _skip(buf, pos, end, kind, items[index, 1], items[index, 2], parts)
                    if pos < 0:
                        return rows, FAILED, record
        if pos > end:
            return rows, FAILED, record
        rows += 1
    return rows, DONE, pos


ROWS_PER_CALL = 64
"""Records walked per kernel call (a data block of 1,400 octets holds about 30 plots)."""


@dataclass(frozen=True, slots=True, eq=False)
class WalkTables:
    """A layout's length rules as ``walk_block`` reads them, with the columns a decoder wants."""

    limit: int
    items: IntTable
    subfields: IntTable
    parts: IntTable
    columns: int
    """Columns of a row: the record start and one per wanted item or subfield."""

    @classmethod
    def for_columns(cls, layout: RecordLayout, names: Sequence[str]) -> WalkTables | None:
        """Tables reporting where each of the items ``names`` starts, in that column order
        after the record's start (no subfields)."""
        columns = {layout.index(name): 1 + k for k, name in enumerate(names)}
        return cls.for_layout(layout, columns, {})

    def row_buffer(self, start: int, end: int) -> npt.NDArray[np.int64]:
        """Room for the rows of one ``walk_rows`` call over ``[start, end)``."""
        return np.empty((max(1, min(ROWS_PER_CALL, end - start)), self.columns), np.int64)

    @classmethod
    def for_layout(
        cls,
        layout: RecordLayout,
        items: dict[int, int],
        subfields: dict[tuple[int, int], int],
    ) -> WalkTables | None:
        """Tables for ``layout``, with item FRN - 1 -> column and (item FRN - 1, subfield
        index) -> column; None if the layout nests a compound in a compound."""
        item_rows: list[list[int]] = []
        sub_rows: list[list[int]] = []
        part_rows: list[list[int]] = []

        def encode(rule: Rule | None, column: int) -> list[int] | None:
            if rule is None:
                return [_K_SPARE, 0, 0, column]
            kind = rule[0]
            if kind == FIXED:
                return [_K_FIXED, rule[1], 0, column]
            if kind == EXTENDED:
                first = len(part_rows)
                part_rows.extend([octets, int(fx)] for octets, fx in rule[1])
                return [_K_EXTENDED, first, len(rule[1]), column]
            if kind == REPETITIVE:
                return [_K_REP, rule[1], rule[2], column]
            if kind == REPETITIVE_FX:
                return [_K_REP_FX, rule[1], 0, column]
            if kind == EXPLICIT:
                return [_K_EXPLICIT, 0, 0, column]
            if kind == COMPOUND:
                return None
            return [_K_UNKNOWN, 0, 0, column]

        for index, rule in enumerate(layout.rules):
            column = items.get(index, -1)
            if rule is not None and rule[0] == COMPOUND:
                first = len(sub_rows)
                for sub_index, sub in enumerate(rule[2]):
                    row = encode(sub, subfields.get((index, sub_index), -1))
                    if row is None:
                        return None
                    sub_rows.append(row)
                item_rows.append([_K_COMPOUND, first, rule[1], column])
            else:
                encoded = encode(rule, column)
                if encoded is None:  # pragma: no cover - only compounds give None
                    return None
                item_rows.append(encoded)
        used = [*items.values(), *subfields.values()]
        return cls(
            limit=layout.fspec_max_octets,
            items=np.array(item_rows, dtype=np.int64).reshape(-1, 4),
            subfields=np.array(sub_rows or [[0, 0, 0, -1]], dtype=np.int64).reshape(-1, 4),
            parts=np.array(part_rows or [[0, 0]], dtype=np.int64).reshape(-1, 2),
            columns=1 + (max(used) if used else 0),
        )


def walk_rows(
    data: bytes,
    buf: npt.NDArray[np.uint8],
    pos: int,
    end: int,
    tables: WalkTables,
    out: IntTable,
) -> tuple[list[list[int]], int, int]:
    """``walk_block`` with its rows as Python lists: (rows, DONE/FULL/FAILED, position).

    Should the compiled kernel ever fail (it never has), ``reference_rows`` answers instead.
    """
    try:
        rows, status, next_pos = walk_block(
            buf, pos, end, tables.limit, tables.items, tables.subfields, tables.parts, out
        )
    except Exception:  # numba boundary (bounds check): the Python walk decides
        return reference_rows(data, pos, end, tables, out.shape[0])
    return out[:rows].tolist(), status, next_pos


def reference_rows(
    data: bytes, pos: int, end: int, tables: WalkTables, capacity: int
) -> tuple[list[list[int]], int, int]:
    """What ``walk_block`` returns, computed in Python from the tables: the kernel's
    specification, used when the kernel cannot run and by the tests that check it."""
    rows: list[list[int]] = []
    items = tables.items.tolist()
    subfields = tables.subfields.tolist()
    parts = tables.parts.tolist()
    while pos < end:
        if len(rows) == capacity:
            return rows, FULL, pos
        row = [-1] * tables.columns
        row[0] = pos
        record = pos
        ok, pos = _reference_record(data, pos, end, tables.limit, items, subfields, parts, row)
        if not ok:
            return rows, FAILED, record
        rows.append(row)
    return rows, DONE, pos


def _reference_record(
    data: bytes,
    pos: int,
    end: int,
    limit: int,
    items: list[list[int]],
    subfields: list[list[int]],
    parts: list[list[int]],
    row: list[int],
) -> tuple[bool, int]:
    record = pos
    octets = 0
    while True:
        if pos >= end:
            return False, pos
        octet = data[pos]
        pos += 1
        octets += 1
        if not octet & 1:
            break
        if octets >= limit:
            return False, pos
    for k in range(octets):
        for bit in range(7):
            if not data[record + k] & (0x80 >> bit):
                continue
            index = 7 * k + bit
            if index >= len(items):
                return False, pos
            kind, a, b, column = items[index]
            if column >= 0:
                row[column] = pos
            if kind == _K_COMPOUND:
                primary = pos
                sub_octets = 0
                while True:
                    if pos >= end:
                        return False, pos
                    octet = data[pos]
                    pos += 1
                    sub_octets += 1
                    if not octet & 1:
                        break
                    if sub_octets >= b:
                        return False, pos
                for j in range(sub_octets):
                    for bit2 in range(7):
                        if not data[primary + j] & (0x80 >> bit2):
                            continue
                        sub_kind, sa, sb, sub_column = subfields[a + 7 * j + bit2]
                        if sub_kind in (_K_SPARE, _K_COMPOUND):
                            return False, pos
                        if sub_column >= 0:
                            row[sub_column] = pos
                        pos = _reference_skip(data, pos, end, sub_kind, sa, sb, parts)
                        if pos < 0:
                            return False, pos
            elif kind in (_K_SPARE, _K_UNKNOWN):
                return False, pos
            else:
                pos = _reference_skip(data, pos, end, kind, a, b, parts)
                if pos < 0:
                    return False, pos
    return pos <= end, pos


def _reference_skip(
    data: bytes, pos: int, end: int, kind: int, a: int, b: int, parts: list[list[int]]
) -> int:
    if kind == _K_FIXED:
        pos += a
    elif kind == _K_EXTENDED:
        for part in range(a, a + b):
            pos += parts[part][0]
            if pos > end:
                return -1
            if not parts[part][1] or not data[pos - 1] & 1:
                break
            if part == a + b - 1:
                return -1
    elif kind == _K_REP:
        if pos + a > end:
            return -1
        pos += a + int.from_bytes(data[pos : pos + a], "big") * b
    elif kind == _K_REP_FX:
        while True:
            pos += a
            if pos > end:
                return -1
            if not data[pos - 1] & 1:
                break
    elif kind == _K_EXPLICIT:
        if pos >= end or data[pos] == 0:
            return -1
        pos += data[pos]
    else:
        return -1
    return pos if pos <= end else -1
