"""``walk_kernel``'s record walk compiled with numba: the same rows, about twice as fast per
block once compiled (bench/decode.py), for a stream past its first MiB (``walk_kernel.Walker``).

Imported only when a ``Walker`` compiles: importing numba and loading the machine's compiled
kernel (``cache=True``) costs about 0.6 s, which a small file's decode never pays. Array
accesses are bounds-checked (``boundscheck=True``), and every read is guarded besides: no input
can make it read outside the block. Any exception from the kernel makes ``compiled_rows``
answer with ``walk_kernel.reference_rows`` instead.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from dronewarn.formats.asterix.walk_kernel import (
    DONE,
    FAILED,
    FULL,
    K_COMPOUND,
    K_EXPLICIT,
    K_EXTENDED,
    K_FIXED,
    K_REP,
    K_REP_FX,
    K_SPARE,
    K_UNKNOWN,
    ROWS_PER_CALL,
    WalkTables,
    reference_rows,
)

IntTable = npt.NDArray[np.int64]


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
    if kind == K_FIXED:
        pos += a
    elif kind == K_EXTENDED:
        last = a + b - 1
        for part in range(a, a + b):
            pos += parts[part, 0]
            if pos > end:
                return -1
            if parts[part, 1] == 0 or (buf[pos - 1] & 1) == 0:
                break
            if part == last:
                return -1  # FX set in the last extent
    elif kind == K_REP:
        if pos + a > end:
            return -1
        count = 0
        for k in range(a):
            count = (count << 8) | buf[pos + k]
        pos += a + count * b
    elif kind == K_REP_FX:
        while True:
            pos += a
            if pos > end:
                return -1
            if (buf[pos - 1] & 1) == 0:
                break
    elif kind == K_EXPLICIT:
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
                if kind == K_FIXED:
                    pos += items[index, 1]
                    if pos > end:
                        return rows, FAILED, record
                elif kind == K_COMPOUND:
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
                            if sub_kind in (K_SPARE, K_COMPOUND):
                                return rows, FAILED, record
                            sub_column = subfields[row, 3]
                            if sub_column >= 0:
                                out[rows, sub_column] = pos
                            pos = _skip(
                                buf, pos, end, sub_kind, subfields[row, 1], subfields[row, 2], parts
                            )
                            if pos < 0:
                                return rows, FAILED, record
                elif kind in (K_SPARE, K_UNKNOWN):
                    return rows, FAILED, record
                else:
                    pos = _skip(buf, pos, end, kind, items[index, 1], items[index, 2], parts)
                    if pos < 0:
                        return rows, FAILED, record
        if pos > end:
            return rows, FAILED, record
        rows += 1
    return rows, DONE, pos


def table_arrays(tables: WalkTables) -> tuple[IntTable, IntTable, IntTable]:
    """``tables``' items, subfields and parts as the kernel reads them (made once per tables)."""
    box = tables.compiled
    if not box:
        box.append(
            (
                np.array(tables.items, dtype=np.int64).reshape(-1, 4),
                np.array(tables.subfields, dtype=np.int64).reshape(-1, 4),
                np.array(tables.parts, dtype=np.int64).reshape(-1, 2),
            )
        )
    arrays: tuple[IntTable, IntTable, IntTable] = box[0]
    return arrays


def compiled_rows(
    data: bytes, pos: int, end: int, tables: WalkTables
) -> tuple[list[list[int]], int, int]:
    """``walk_block`` over ``data[pos:end]`` with its rows as Python lists: (rows,
    DONE/FULL/FAILED, position); at most ``ROWS_PER_CALL`` rows a call.

    Should the compiled kernel ever fail (it never has), ``reference_rows`` answers instead.
    """
    items, subfields, parts = table_arrays(tables)
    out = np.empty((max(1, min(ROWS_PER_CALL, end - pos)), tables.columns), np.int64)
    try:
        buf = np.frombuffer(data, dtype=np.uint8)
        rows, status, next_pos = walk_block(
            buf, pos, end, tables.limit, items, subfields, parts, out
        )
    except Exception:  # numba boundary (bounds check): the Python walk decides
        return reference_rows(data, pos, end, tables, out.shape[0])
    return out[:rows].tolist(), status, next_pos


__all__ = ["DONE", "FAILED", "FULL", "compiled_rows", "table_arrays", "walk_block"]
