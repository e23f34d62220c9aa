"""Hand-written decoder of the status and service categories: the same ``AsterixStatus``
records as libasterix (``status.status_from_libasterix``), without importing libasterix.

Why by hand: a status message (CAT063/CAT065 beside an SDPS's CAT062, CAT004, CAT019, CAT023,
CAT025) carries three values a node keeps: SAC/SIC (I010), the time of day and the message
type, but reading even one through libasterix means importing its generated module, about
1.5 s here: ``dronewarn decode`` of a small CAT062+CAT065 recording took 2.9-3.1 s with it.

Records are walked by ``walk_kernel`` with the length rules of libasterix's specification of
the edition (every item skipped by its rule, as in ``fast048``); I010, the time item and the
type item are then read at the bit positions that ``check_edition`` has checked against that
specification: SAC and SIC one octet each, the time 24 bits of 1/128 s, the type its first
octet (CAT025's I000 is RTYP, the octet's first 7 bits, then RG). An edition where any differs
is refused and libasterix reads it. CAT002, whose UAP libasterix describes with random field
sequencing, has no layout and stays with libasterix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dronewarn.domain.errors import DecodeError
from dronewarn.formats.asterix.datablock import RecordLayout, layout_mismatch, record_error
from dronewarn.formats.asterix.status import STATUS_ITEMS, AsterixStatus
from dronewarn.formats.asterix.walk_kernel import DONE, FAILED, Walker, WalkTables

TIME_LSB_S = 1.0 / 128.0

TYPE_SHIFT = {25: 1}
"""Per category, the right shift that leaves the message type of its type item's octet (8 bits
elsewhere)."""


def check_edition(category: int, spec: Any, layout: RecordLayout) -> str | None:
    """Why this decoder cannot read the edition ``spec`` describes, or None if it can."""
    time_item, type_item = STATUS_ITEMS[category]
    fixed = {"010": 2, time_item: 3}
    elements: dict[tuple[str, ...], tuple[int, int, float | None, bool | None]] = {
        ("010", "SAC"): (0, 8, None, False),
        ("010", "SIC"): (8, 8, None, False),
        (time_item,): (0, 24, TIME_LSB_S, False),
    }
    if type_item is not None:
        fixed[type_item] = 1
        shift = TYPE_SHIFT.get(category, 0)
        path = (type_item, "RTYP") if shift else (type_item,)
        elements[path] = (0, 8 - shift, None, False)
    return layout_mismatch(category, spec, layout, fixed=fixed, elements=elements)


@dataclass(frozen=True, slots=True)
class FastStatus:
    """The decoder of one status category's edition (build with ``checked``)."""

    category: int
    layout: RecordLayout
    tables: WalkTables
    walker: Walker
    shift: int
    """Right shift of the type octet (``TYPE_SHIFT``); -1: the category has no type item."""

    @classmethod
    def checked(cls, category: int, layout: RecordLayout, walker: Walker) -> FastStatus | None:
        """The decoder for a layout ``check_edition`` accepted (None if it cannot be walked)."""
        time_item, type_item = STATUS_ITEMS[category]
        columns = ["010", time_item] if type_item is None else ["010", time_item, type_item]
        tables = WalkTables.for_columns(layout, columns)
        if tables is None:
            return None
        shift = -1 if type_item is None else TYPE_SHIFT.get(category, 0)
        return cls(category, layout, tables, walker, shift)

    def decode_block(
        self, data: bytes, start: int, end: int
    ) -> tuple[list[AsterixStatus], DecodeError | None]:
        """The messages of the records in ``data[start:end]``, and the error that ended the
        block (as ``Fast048.decode_block``)."""
        walk = self.walker.rows
        category = self.category
        shift = self.shift
        out: list[AsterixStatus] = []
        pos = start
        while True:
            rows, status, pos = walk(data, pos, end, self.tables)
            for row in rows:
                offset, p010, ptime = row[0], row[1], row[2]
                # a row has a third column only when the category has a type item
                ptype = row[3] if shift >= 0 else -1
                out.append(
                    AsterixStatus(
                        category=category,
                        offset=offset,
                        sac=data[p010] if p010 >= 0 else None,
                        sic=data[p010 + 1] if p010 >= 0 else None,
                        time_of_day_s=int.from_bytes(data[ptime : ptime + 3], "big") * TIME_LSB_S
                        if ptime >= 0
                        else None,
                        message_type=data[ptype] >> shift if ptype >= 0 else None,
                    )
                )
            if status == DONE:
                return out, None
            if status == FAILED:
                return out, record_error(data, pos, end, self.layout)
