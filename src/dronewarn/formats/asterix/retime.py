"""Shift the times of day inside ASTERIX records, so a recording plays as if live.

A node dates a record's time of day (I048/140, I062/070...) by the day it receives it on; a
recording from another hour would be taken for old or future reports and refused. Replaying
it to a live node with ``--retime`` moves every 3-octet time-of-day item (LSB 1/128 s, the
encoding of every such item here) by the same number of seconds, modulo a day, leaving every
other octet as recorded.

Items rewritten, where the record has them:

======  ======================================================================
CAT     items
======  ======================================================================
034     I030 time of day
048     I140 time of day
062     I070 time of track information (also the draft edition 0.17)
021     I071 I072 I073 I075 I077 (times of applicability, reception, report transmission)
======  ======================================================================

Records that do not walk (damaged) are left as they are: the node decoding them will say why.
"""

from __future__ import annotations

from types import MappingProxyType

from dronewarn.domain.errors import DecodeError
from dronewarn.formats.asterix.datablock import split_datablocks, walk_record
from dronewarn.formats.asterix.decoder import DecodePlan

TIME_ITEMS: MappingProxyType[int, tuple[str, ...]] = MappingProxyType(
    {
        34: ("030",),
        48: ("140",),
        62: ("070",),
        21: ("071", "072", "073", "075", "077"),
    }
)
DAY_UNITS = 86_400 * 128


def time_of_day_s(payload: bytes, plan: DecodePlan) -> float | None:
    """The first time of day (seconds) any record of the payload carries."""
    for category, offset in _time_offsets(payload, plan):
        del category
        raw = int.from_bytes(payload[offset : offset + 3], "big")
        return raw / 128.0
    return None


def retime(payload: bytes, shift_s: float, plan: DecodePlan) -> bytes:
    """``payload`` with every time-of-day item moved by ``shift_s`` seconds."""
    data = bytearray(payload)
    step = round(shift_s * 128.0)
    for _, offset in _time_offsets(payload, plan):
        raw = int.from_bytes(data[offset : offset + 3], "big")
        data[offset : offset + 3] = ((raw + step) % DAY_UNITS).to_bytes(3, "big")
    return bytes(data)


def _time_offsets(payload: bytes, plan: DecodePlan) -> list[tuple[int, int]]:
    blocks, _ = split_datablocks(payload)
    found: list[tuple[int, int]] = []
    for block in blocks:
        category = plan.categories.get(block.category)
        names = TIME_ITEMS.get(block.category)
        if category is None or category.layout is None or names is None:
            continue
        layout = category.layout
        wanted = [
            layout.index(n)
            for n in names
            if n in layout.names and layout.sizes[layout.index(n)] == 3
        ]
        pos = block.records_start
        while pos < block.end:
            try:
                pos, starts = walk_record(payload, pos, block.end, layout)
            except DecodeError:
                break
            found.extend((block.category, starts[i]) for i in wanted if starts[i] >= 0)
    return found
