"""How recorders wrap ASTERIX data blocks, detected from the data: octets before or after
each block that are not ASTERIX.

A UDP payload or a raw recording is, by ASTERIX Part 1 section 4, data blocks back to back
(``CAT | LEN | records``). Recorders add their own octets around each block:

* ARTAS replay files: a 4-octet length and 4 further octets before each block (8 before);
* radar recorders that write a 2-octet record length and a 4-octet time stamp before each
  block (6 before: the ``cat_001_002.pcap`` sample, whose UDP payloads hold CAT001/CAT002
  blocks each behind ``00 4e 02 bb 40 35``: length 0x004e = the block's 72 + 6, then a time);
* recorders that append a trailer after each block (8 octets after is common).

No recorder writes its framing into the file, so ``detect_wrapping`` tries every (before,
after) of up to ``MAX_WRAP_OCTETS`` octets, smallest first, and keeps the first under which
the data is a chain of data blocks whose categories are all categories EUROCONTROL defines
(category 0 is never one), ending exactly at the data's end (or, for a sample of a longer
file, running past it): the chance that octets which are not such a chain still look like
one over several blocks is negligible, so a framing needs at least two blocks to be believed
(three in a sample), one block and a "trailer" to the end proving nothing within one payload.
A stream whose every datagram is one block and the same few octets (``lone_block_wrapping``)
is believed after ``STREAM_VOTES`` datagrams in a row agree. Plain blocks (0, 0) are always
tried first, so data that is already plain never changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

MAX_WRAP_OCTETS: Final = 16
STREAM_VOTES: Final = 3
"""Datagrams in a row that must show the same one-block wrapping before a stream uses it."""
DETECTION_BUDGET_BLOCKS: Final = 20_000
"""Blocks walked, over all candidates, before detection gives up (a 64 KiB payload of the
smallest blocks holds about 22,000)."""
DEFINED_CATEGORIES: Final = frozenset(
    {1, 2, 3, 4, 7, 8, 9, 10, 11, 15, 16, 17, 18, 19, 20, 21, 23, 25, 30, 31, 32, 34, 48,
     62, 63, 65, 150, 151, 152, 153, 204, 205, 206, 208, 221, 240, 247, 252}
)  # fmt: skip
"""The ASTERIX categories EUROCONTROL has assigned (Part 1 and the category list)."""


@dataclass(frozen=True, slots=True)
class Wrapping:
    """Octets a recorder puts before and after each data block."""

    before: int = 0
    after: int = 0

    @property
    def plain(self) -> bool:
        return self.before == 0 and self.after == 0

    def describe(self) -> str:
        if self.plain:
            return "plain data blocks"
        parts = []
        if self.before:
            parts.append(f"{self.before} octet(s) before")
        if self.after:
            parts.append(f"{self.after} octet(s) after")
        return f"data blocks with {' and '.join(parts)} each (a recorder's framing)"


PLAIN: Final = Wrapping()


def _walk(
    data: bytes, wrapping: Wrapping, sample: bool, limit: int
) -> tuple[list[tuple[int, int]], int]:
    """The blocks under ``wrapping`` ([] unless they reach the end: ``chain``), and how many
    block headers were read (at most ``limit``)."""
    blocks: list[tuple[int, int]] = []
    pos, size = 0, len(data)
    while pos < size:
        if len(blocks) >= limit:
            return [], len(blocks)
        start = pos + wrapping.before
        if start + 3 > size:
            return (blocks if sample and blocks else []), len(blocks) + 1
        category = data[start]
        length = (data[start + 1] << 8) | data[start + 2]
        if category not in DEFINED_CATEGORIES or length < 3:
            return [], len(blocks) + 1
        end = start + length + wrapping.after
        if end > size:
            return (blocks if sample and blocks else []), len(blocks) + 1
        blocks.append((start, length))
        pos = end
    return blocks, len(blocks)


def chain(data: bytes, wrapping: Wrapping, *, sample: bool = False) -> list[tuple[int, int]]:
    """(offset, LEN) of each data block under ``wrapping``, or [] unless they reach the end
    of ``data`` exactly (with ``sample``: or the last one runs past it)."""
    blocks, _ = _walk(data, wrapping, sample, len(data))
    return blocks


def _candidates(start_total: int) -> Iterator[Wrapping]:
    """Every (before, after) of up to ``MAX_WRAP_OCTETS`` each, fewest octets first, the
    headers before trailers for one total."""
    for total in range(start_total, 2 * MAX_WRAP_OCTETS + 1):
        for before in range(min(total, MAX_WRAP_OCTETS), -1, -1):
            if total - before <= MAX_WRAP_OCTETS:
                yield Wrapping(before, total - before)


def detect_wrapping(data: bytes, *, sample: bool = False) -> Wrapping | None:
    """The wrapping under which ``data`` is a chain of data blocks (module docstring); None
    if there is none. ``sample``: ``data`` is the start of a longer file."""
    if not data:
        return None
    budget = DETECTION_BUDGET_BLOCKS
    for candidate in _candidates(0):
        blocks, walked = _walk(data, candidate, sample, budget)
        if blocks and (candidate.plain or len(blocks) >= (3 if sample else 2)):
            return candidate
        budget -= max(walked, 1)  # bounded work, whatever octets are offered
        if budget <= 0:
            return None
    return None


def lone_block_wrapping(data: bytes) -> Wrapping | None:
    """The smallest non-plain wrapping under which ``data`` is a chain of one or more blocks
    to its end exactly: a recorder that sends one block per datagram with a trailer (as
    ``cba_010626.pcap``'s, 8 octets after each). One payload proves nothing, so a stream
    believes it only when several payloads in a row agree (``decoder.DecodePlan``)."""
    budget = DETECTION_BUDGET_BLOCKS
    for candidate in _candidates(1):
        blocks, walked = _walk(data, candidate, False, budget)
        if blocks:
            return candidate
        budget -= max(walked, 1)
        if budget <= 0:
            return None
    return None
