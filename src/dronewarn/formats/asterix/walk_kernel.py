"""The record walk of ``datablock.walk_record`` for whole data blocks, from tables.

``fast034``/``fast048``/``fast062`` spend most of their time finding where each item starts
(ASTERIX records carry no length: every FSPEC bit and every item's length rule must be
followed, compound and extended items included). A walk goes over all records of a block and
gives, per record, its start and the start of the items and compound subfields a decoder asked
for; the decoder then reads the values.

Two walks give the same rows: ``reference_rows`` here, in Python, and ``walk_compiled``'s numba
kernel, about twice as fast per block but 0.6 s to import and load. A ``Walker`` (one per
``DecodePlan``) uses Python for a stream's first ``COMPILE_AFTER_OCTETS`` and the kernel after,
so a small file decodes without numba and a long stream runs compiled.

Tables (built by ``WalkTables.for_layout`` from a ``RecordLayout``):

* ``items``: per FRN - 1, (kind, a, b, column): kind 0 spare, 1 fixed (a octets), 2 extended
  (parts a .. a + b - 1 of ``parts``), 3 repetitive (a factor octets, b octets per element),
  4 repetitive with FX (a octets per element), 5 explicit, 6 compound (subfields a .. a + 7b - 1
  of ``subfields``, b primary octets at most), 7 unknown structure; column: where its start goes
  in a row, or -1;
* ``subfields``: the same per compound subfield (no compound inside a compound);
* ``parts``: (octets, ends in FX) per extended item part.

A walk only says where a record fails (``FAILED`` and its start): the decoder walks that record
again with ``datablock.walk_record``, which raises the exact DecodeError.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

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

DONE = 0
"""The block was walked to its end."""
FULL = 1
"""``out`` is full: call again from the returned position."""
FAILED = 2
"""The record at the returned position does not walk."""

K_SPARE, K_FIXED, K_EXTENDED, K_REP, K_REP_FX, K_EXPLICIT, K_COMPOUND, K_UNKNOWN = range(8)


ROWS_PER_CALL = 64
"""Records walked per kernel call (a data block of 1,400 octets holds about 30 plots)."""


Table = tuple[tuple[int, ...], ...]

Rows = tuple[list[list[int]], int, int]
"""What a walk returns: the rows, DONE/FULL/FAILED, the position it stopped at."""


@dataclass(frozen=True, slots=True, eq=False)
class WalkTables:
    """A layout's length rules as the walks read them, with the columns a decoder wants."""

    limit: int
    items: Table
    subfields: Table
    parts: Table
    columns: int
    """Columns of a row: the record start and one per wanted item or subfield."""
    compiled: list[Any] = field(default_factory=list, repr=False)
    """The tables as the compiled kernel's arrays, made on its first use
    (``walk_compiled.table_arrays``)."""

    @classmethod
    def for_columns(cls, layout: RecordLayout, names: Sequence[str]) -> WalkTables | None:
        """Tables reporting where each of the items ``names`` starts, in that column order
        after the record's start (no subfields)."""
        columns = {layout.index(name): 1 + k for k, name in enumerate(names)}
        return cls.for_layout(layout, columns, {})

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
                return [K_SPARE, 0, 0, column]
            kind = rule[0]
            if kind == FIXED:
                return [K_FIXED, rule[1], 0, column]
            if kind == EXTENDED:
                first = len(part_rows)
                part_rows.extend([octets, int(fx)] for octets, fx in rule[1])
                return [K_EXTENDED, first, len(rule[1]), column]
            if kind == REPETITIVE:
                return [K_REP, rule[1], rule[2], column]
            if kind == REPETITIVE_FX:
                return [K_REP_FX, rule[1], 0, column]
            if kind == EXPLICIT:
                return [K_EXPLICIT, 0, 0, column]
            if kind == COMPOUND:
                return None
            return [K_UNKNOWN, 0, 0, column]

        for index, rule in enumerate(layout.rules):
            column = items.get(index, -1)
            if rule is not None and rule[0] == COMPOUND:
                first = len(sub_rows)
                for sub_index, sub in enumerate(rule[2]):
                    row = encode(sub, subfields.get((index, sub_index), -1))
                    if row is None:
                        return None
                    sub_rows.append(row)
                item_rows.append([K_COMPOUND, first, rule[1], column])
            else:
                encoded = encode(rule, column)
                if encoded is None:  # pragma: no cover - only compounds give None
                    return None
                item_rows.append(encoded)
        used = [*items.values(), *subfields.values()]
        return cls(
            limit=layout.fspec_max_octets,
            items=tuple(map(tuple, item_rows)),
            subfields=tuple(map(tuple, sub_rows or [[0, 0, 0, -1]])),
            parts=tuple(map(tuple, part_rows or [[0, 0]])),
            columns=1 + (max(used) if used else 0),
        )


COMPILE_AFTER_OCTETS = 1 << 20
"""Octets a ``Walker`` walks in Python before it compiles. The compiled kernel saves about
0.2 us per octet of CAT048 (bench/decode.py) and costs about 0.6 s to import and load, so it
pays for itself after about 3 MB: a stream compiles after its first MiB, a small file never."""


class Walker:
    """Walks blocks for the decoders of one ``DecodePlan``: in Python until it has walked
    ``compile_after_octets`` (0: compiled from the start, as a node's inputs are), then with
    ``walk_compiled``'s kernel. Both give the same rows."""

    __slots__ = ("_compiled", "_walked", "compile_after_octets")

    def __init__(self, compile_after_octets: int = COMPILE_AFTER_OCTETS) -> None:
        self.compile_after_octets = compile_after_octets
        self._walked = 0
        self._compiled: Callable[[bytes, int, int, WalkTables], Rows] | None = None
        if compile_after_octets <= 0:
            self._compile()

    @property
    def compiled(self) -> bool:
        """Whether the compiled kernel walks now."""
        return self._compiled is not None

    def rows(self, data: bytes, pos: int, end: int, tables: WalkTables) -> Rows:
        """Records of ``data[pos:end]``: (rows, DONE/FULL/FAILED, position). Call again from
        the position after FULL."""
        compiled = self._compiled
        if compiled is None:
            self._walked += end - pos
            if self._walked <= self.compile_after_octets:
                return reference_rows(data, pos, end, tables, end - pos)
            compiled = self._compile()
        return compiled(data, pos, end, tables)

    def _compile(self) -> Callable[[bytes, int, int, WalkTables], Rows]:
        from dronewarn.formats.asterix.walk_compiled import compiled_rows

        self._compiled = compiled_rows
        return compiled_rows


def reference_rows(data: bytes, pos: int, end: int, tables: WalkTables, capacity: int) -> Rows:
    """The rows of at most ``capacity`` records from ``pos``, walked in Python from the
    tables: the specification ``walk_compiled``'s kernel is tested against."""
    rows: list[list[int]] = []
    items = tables.items
    subfields = tables.subfields
    parts = tables.parts
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
    items: Table,
    subfields: Table,
    parts: Table,
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
            if kind == K_COMPOUND:
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
                        if sub_kind in (K_SPARE, K_COMPOUND):
                            return False, pos
                        if sub_column >= 0:
                            row[sub_column] = pos
                        pos = _reference_skip(data, pos, end, sub_kind, sa, sb, parts)
                        if pos < 0:
                            return False, pos
            elif kind in (K_SPARE, K_UNKNOWN):
                return False, pos
            else:
                pos = _reference_skip(data, pos, end, kind, a, b, parts)
                if pos < 0:
                    return False, pos
    return pos <= end, pos


def _reference_skip(
    data: bytes, pos: int, end: int, kind: int, a: int, b: int, parts: Table
) -> int:
    if kind == K_FIXED:
        pos += a
    elif kind == K_EXTENDED:
        for part in range(a, a + b):
            pos += parts[part][0]
            if pos > end:
                return -1
            if not parts[part][1] or not data[pos - 1] & 1:
                break
            if part == a + b - 1:
                return -1
    elif kind == K_REP:
        if pos + a > end:
            return -1
        pos += a + int.from_bytes(data[pos : pos + a], "big") * b
    elif kind == K_REP_FX:
        while True:
            pos += a
            if pos > end:
                return -1
            if not data[pos - 1] & 1:
                break
    elif kind == K_EXPLICIT:
        if pos >= end or data[pos] == 0:
            return -1
        pos += data[pos]
    else:
        return -1
    return pos if pos <= end else -1
