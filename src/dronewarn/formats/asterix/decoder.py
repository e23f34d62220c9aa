"""Payload -> typed ASTERIX records and typed errors: ``decode_datablocks``.

A payload (a UDP datagram, a file's bytes) is a sequence of data blocks (ASTERIX Part 1,
section 4; see ``datablock``). Each block is decoded with the edition configured for its
category: CAT034, CAT048, CAT062 and the status categories by the hand-written
``fast034``/``fast048``/``fast062``/``fast_status`` (records walked by ``walk_kernel``) where
they are validated for the edition (every edition dronewarn supports but CAT002's), everything
else by libasterix, each record delimited by the length rules
first. A plan makes each category's part when its first block comes (``DecodePlan``).

Errors never stop the payload. A bad LEN ends the split into blocks (the next block cannot be
found); a block of a category dronewarn does not read is skipped whole (UnsupportedError); a
record that does not decode ends its block (records carry no length, so the next one cannot be
found). Each such case is one DecodeError in the batch, with its offset in the payload and the
field at fault, and the octets it made unreadable are counted in ``skipped_octets``. Any bytes
give records or DecodeErrors, never another exception.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dronewarn.domain.errors import DecodeError, FieldValueError, UnsupportedError
from dronewarn.formats.asterix.cat001 import Cat001Report
from dronewarn.formats.asterix.cat001 import report_from_libasterix as cat001_from_libasterix
from dronewarn.formats.asterix.cat010 import Cat010Report
from dronewarn.formats.asterix.cat010 import report_from_libasterix as cat010_from_libasterix
from dronewarn.formats.asterix.cat015 import Cat015Report
from dronewarn.formats.asterix.cat015 import report_from_libasterix as cat015_from_libasterix
from dronewarn.formats.asterix.cat020 import Cat020Report
from dronewarn.formats.asterix.cat020 import report_from_libasterix as cat020_from_libasterix
from dronewarn.formats.asterix.cat021 import Cat021Report
from dronewarn.formats.asterix.cat021 import report_from_libasterix as cat021_from_libasterix
from dronewarn.formats.asterix.cat034 import Cat034Message, message_from_libasterix
from dronewarn.formats.asterix.cat048 import Cat048Plot, plot_from_libasterix
from dronewarn.formats.asterix.cat062 import Cat062Track, track_from_libasterix
from dronewarn.formats.asterix.datablock import (
    HEADER_LEN,
    LayoutError,
    RecordLayout,
    block_error,
    layout_from_libasterix,
    libasterix_records,
)
from dronewarn.formats.asterix.editions import CAT062_DRAFT, Edition, Editions, libasterix_spec
from dronewarn.formats.asterix.fast034 import Fast034
from dronewarn.formats.asterix.fast034 import check_edition as check034
from dronewarn.formats.asterix.fast048 import Fast048
from dronewarn.formats.asterix.fast048 import check_edition as check048
from dronewarn.formats.asterix.fast062 import Fast062
from dronewarn.formats.asterix.fast062 import check_edition as check062
from dronewarn.formats.asterix.fast_status import FastStatus
from dronewarn.formats.asterix.fast_status import check_edition as check_status
from dronewarn.formats.asterix.items import frozen_builder
from dronewarn.formats.asterix.layout_cache import LayoutCache, LayoutEntry
from dronewarn.formats.asterix.status import STATUS_ITEMS, AsterixStatus, status_from_libasterix
from dronewarn.formats.asterix.walk_kernel import Walker
from dronewarn.formats.asterix.wrapping import (
    STREAM_VOTES,
    Wrapping,
    chain,
    detect_wrapping,
    lone_block_wrapping,
)

AsterixRecord = (
    Cat048Plot
    | Cat034Message
    | Cat062Track
    | Cat021Report
    | Cat015Report
    | Cat010Report
    | Cat001Report
    | Cat020Report
    | AsterixStatus
)
FastDecoder = Fast034 | Fast048 | Fast062 | FastStatus


@dataclass(frozen=True, slots=True)
class CategoryPlan:
    """How one category's blocks are decoded: its edition, length rules, fast decoder."""

    category: int
    edition: Edition
    layout: RecordLayout | None
    """The edition's length rules (``datablock``), None if they cannot be derived."""
    fast: FastDecoder | None
    """The hand-written decoder, when validated for the edition and enabled."""

    @property
    def spec(self) -> Any:
        """libasterix's class for the edition (imports libasterix; CAT062 0.17 has none)."""
        return libasterix_spec(self.category, self.edition)


def _status_check(category: int) -> Callable[[Any, RecordLayout], str | None]:
    return lambda spec, layout: check_status(category, spec, layout)


def _status_decoder(category: int) -> Callable[[RecordLayout, Walker], FastDecoder | None]:
    return lambda layout, walker: FastStatus.checked(category, layout, walker)


_CHECKS: Mapping[int, Callable[[Any, RecordLayout], str | None]] = MappingProxyType(
    {
        34: check034,
        48: check048,
        62: check062,
        **{category: _status_check(category) for category in STATUS_ITEMS},
    }
)
"""The hand-written decoders' checks of an edition against libasterix's specification."""

_FAST: Mapping[int, Callable[[RecordLayout, Walker], FastDecoder | None]] = MappingProxyType(
    {
        34: Fast034.checked,
        48: Fast048.checked,
        62: Fast062.checked,
        **{category: _status_decoder(category) for category in STATUS_ITEMS},
    }
)


def _derive(category: int, edition: Edition) -> LayoutEntry:
    """The layout of (category, edition) and its fast decoder's verdict, from libasterix."""
    spec = libasterix_spec(category, edition)
    try:
        layout = layout_from_libasterix(spec)
    except LayoutError:
        return LayoutEntry(None, False)
    check = _CHECKS.get(category)
    return LayoutEntry(layout, check is not None and check(spec, layout) is None)


class DecodePlan:
    """Everything ``decode_datablocks`` needs per category, made once per sensor or stream.

    A category's plan is made when its first block is met (``category``): its layout comes
    from the machine's ``layout_cache`` (derived from libasterix the first time), so a plan
    whose blocks all have a hand-written decoder never imports libasterix. One ``Walker``
    serves the plan's hand-written decoders.
    """

    __slots__ = (
        "_candidate",
        "_layouts",
        "_table",
        "_votes",
        "editions",
        "fast",
        "walker",
        "wrapping",
    )

    def __init__(
        self,
        editions: Editions,
        *,
        fast: bool = True,
        walker: Walker | None = None,
        layouts: LayoutCache | None = None,
    ) -> None:
        self.editions = editions
        self.fast = fast
        self.walker = walker or Walker()
        self._layouts = layouts
        self._table: list[CategoryPlan | bool | None] = [
            category in editions for category in range(256)
        ]
        """Per CAT: its plan once made; True before (a category read), False (not read)."""
        self.wrapping: Wrapping | None = None
        """The stream's one-block-per-datagram framing, once ``STREAM_VOTES`` datagrams in a
        row showed it (``wrapping.lone_block_wrapping``)."""
        self._candidate: Wrapping | None = None
        self._votes = 0

    def vote_wrapping(self, data: bytes) -> None:
        """A datagram did not split into plain blocks: count the one-block framing it shows."""
        candidate = lone_block_wrapping(data)
        if candidate is None or candidate != self._candidate:
            self._candidate, self._votes = candidate, 0
        if candidate is not None:
            self._votes += 1
            if self._votes >= STREAM_VOTES:
                self.wrapping = candidate

    @classmethod
    def for_editions(
        cls,
        editions: Editions | None = None,
        *,
        fast: bool = True,
        walker: Walker | None = None,
        layouts: LayoutCache | None = None,
    ) -> DecodePlan:
        """The plan for ``editions`` (defaults if None); ``fast=False`` uses libasterix alone
        (CAT062 0.17 has no libasterix decoder and keeps ``fast062``); ``walker`` as
        ``walk_kernel.Walker`` (default: compiled after the first MiB)."""
        return cls(
            editions if editions is not None else Editions(),
            fast=fast,
            walker=walker,
            layouts=layouts,
        )

    @property
    def categories(self) -> Mapping[int, CategoryPlan]:
        """Every category's plan (makes those not made yet)."""
        plans = {}
        for category in self.editions:
            plan = self.category(category)
            if plan is not None:
                plans[category] = plan
        return MappingProxyType(plans)

    def category(self, category: int) -> CategoryPlan | None:
        """The plan of ``category``, None if dronewarn does not read it."""
        found = self._table[category]
        if found is True:
            found = self._make(category)
            self._table[category] = found
        return found or None

    def _make(self, category: int) -> CategoryPlan:
        edition = self.editions[category]
        if category == 62 and edition == CAT062_DRAFT:
            draft = Fast062.draft(self.walker)
            return CategoryPlan(category, edition, draft.layout, draft)
        if self._layouts is None:
            self._layouts = LayoutCache()
        entry = self._layouts.get(category, str(edition), lambda: _derive(category, edition))
        decoder: FastDecoder | None = None
        make = _FAST.get(category)
        if self.fast and entry.fast and entry.layout is not None and make is not None:
            decoder = make(entry.layout, self.walker)
        return CategoryPlan(category, edition, entry.layout, decoder)


@dataclass(frozen=True, slots=True)
class AsterixBatch:
    """Everything one payload held: records per category, and what could not be decoded."""

    reference_s: float
    """The time the payload was captured or received (POSIX s): ASTERIX times are times of
    day, resolved against this (``reports.time_of_day_to_s``)."""
    cat048: tuple[Cat048Plot, ...]
    cat034: tuple[Cat034Message, ...]
    cat062: tuple[Cat062Track, ...]
    cat021: tuple[Cat021Report, ...]
    cat015: tuple[Cat015Report, ...]
    cat010: tuple[Cat010Report, ...]
    cat001: tuple[Cat001Report, ...]
    cat020: tuple[Cat020Report, ...]
    status: tuple[AsterixStatus, ...]
    """Status and service messages (CAT002, 004, 019, 023, 025, 063, 065: ``status``)."""
    errors: tuple[DecodeError, ...]
    blocks: int
    """Data blocks found (including those that failed)."""
    skipped_octets: int
    """Octets left undecoded because of ``errors``."""

    @property
    def records(self) -> int:
        """Records decoded, all categories."""
        return (
            len(self.cat048)
            + len(self.cat034)
            + len(self.cat062)
            + len(self.cat021)
            + len(self.cat015)
            + len(self.cat010)
            + len(self.cat001)
            + len(self.cat020)
            + len(self.status)
        )

    def error_counts(self) -> Counter[str]:
        """Errors by ``kind`` (truncated, bad_field, unsupported)."""
        return Counter(error.kind for error in self.errors)


def _mapper(category: int, edition: Edition) -> Callable[[Any, int], AsterixRecord]:
    if category == 48:
        return plot_from_libasterix
    if category == 34:
        return message_from_libasterix
    if category == 62:
        return track_from_libasterix
    if category == 21:
        major = edition.major
        return lambda record, offset: cat021_from_libasterix(record, offset, major)
    if category == 10:
        return cat010_from_libasterix
    if category == 1:
        return cat001_from_libasterix
    if category == 20:
        return cat020_from_libasterix
    if category in STATUS_ITEMS:
        return lambda record, offset: status_from_libasterix(category, record, offset)
    return cat015_from_libasterix


def _libasterix_block(
    data: bytes, start: int, end: int, plan: CategoryPlan, errors: list[DecodeError]
) -> tuple[list[AsterixRecord], int]:
    """Records of one block through libasterix, and the octets left undecoded."""
    mapper = _mapper(plan.category, plan.edition)
    out: list[AsterixRecord] = []
    records = libasterix_records(data, start, end, plan.spec, plan.layout)
    while True:
        try:
            offset, record = next(records)
        except StopIteration:
            return out, 0
        except DecodeError as error:
            errors.append(error)
            return out, end - (error.offset if error.offset is not None else start)
        try:
            out.append(mapper(record, offset))
        except Exception as exc:  # libasterix boundary: a record it parsed but cannot read
            errors.append(
                FieldValueError(
                    f"CAT{plan.category:03d} record unreadable: {exc!r}",
                    data=bytes(data[offset:end]),
                    offset=offset,
                    field="record",
                )
            )


def decode_datablocks(
    data: bytes, editions: Editions | DecodePlan, *, reference_s: float
) -> AsterixBatch:
    """Every record of ``data`` decoded with ``editions``, and a DecodeError per failure.

    Pass a ``DecodePlan`` (``DecodePlan.for_editions(editions)``) when decoding a stream: an
    ``Editions`` builds a plan on every call.
    """
    plan = editions if isinstance(editions, DecodePlan) else DecodePlan.for_editions(editions)
    data = bytes(data)
    table = plan._table  # the plan's own lookup, inlined for the loop
    out: dict[int, list[Any]] = {}
    errors: list[DecodeError] = []
    skipped = 0
    blocks = 0
    size = len(data)
    pos = 0
    spans: list[tuple[int, int]] = []
    if plan.wrapping is not None:  # the stream's learnt framing, where this datagram has it
        spans = [(start, start + length) for start, length in chain(data, plan.wrapping)]
        pos = size if spans else 0
    # the split of datablock.split_datablocks, inlined: this runs once per datagram
    while pos < size:
        if size - pos < HEADER_LEN or (
            (length := (data[pos + 1] << 8) | data[pos + 2]) < HEADER_LEN or pos + length > size
        ):
            wrapping = detect_wrapping(data) if pos == 0 else None
            if wrapping is not None and not wrapping.plain:
                # a recorder's octets around each block: decode the blocks between them
                spans = [(start, start + length) for start, length in chain(data, wrapping)]
                break
            if plan.wrapping is None:
                plan.vote_wrapping(data)
            error = block_error(data, pos)
            if error is not None:  # always: the condition above is block_error's
                errors.append(error)
                skipped += size - pos
                blocks += 1
            break
        spans.append((pos, pos + length))
        pos += length
    for pos, end in spans:
        blocks += 1
        category = data[pos]
        category_plan = table[category]
        if category_plan is True:
            category_plan = plan.category(category)
        if not category_plan:
            errors.append(
                UnsupportedError(
                    f"ASTERIX category {category:03d} is not read by dronewarn",
                    data=data[pos:end],
                    offset=pos,
                    field="CAT",
                )
            )
            skipped += end - pos
            continue
        records: list[Any]
        fast = category_plan.fast
        if fast is not None:
            records, error = fast.decode_block(data, pos + HEADER_LEN, end)
            if error is not None:
                errors.append(error)
                skipped += end - (error.offset if error.offset is not None else pos)
        else:
            records, lost = _libasterix_block(data, pos + HEADER_LEN, end, category_plan, errors)
            skipped += lost
        found = out.get(category)
        if found is None:
            out[category] = records
        else:
            found.extend(records)
    get = out.get
    return _BATCH(
        (
            reference_s,
            tuple(get(48, ())),
            tuple(get(34, ())),
            tuple(get(62, ())),
            tuple(get(21, ())),
            tuple(get(15, ())),
            tuple(get(10, ())),
            tuple(get(1, ())),
            tuple(get(20, ())),
            tuple(r for c in STATUS_ITEMS for r in get(c, ())),
            tuple(errors),
            blocks,
            skipped,
        )
    )


_BATCH = frozen_builder(AsterixBatch)
