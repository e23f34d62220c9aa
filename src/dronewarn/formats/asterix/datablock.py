"""ASTERIX data blocks and the length rules that split a block into records.

EUROCONTROL, ASTERIX Part 1 (EUROCONTROL-SPEC-0149-1, edition 3.0), section 4: a payload is a
sequence of data blocks ``CAT (1 octet) | LEN (2 octets, big-endian, counting CAT and LEN) |
records``. A record is ``FSPEC | items``: the FSPEC is a bit field of Field Reference Numbers
(FRN) in User Application Profile (UAP) order, seven FRNs per octet, the low bit of each octet
(FX) saying another octet follows. Items have one of the structures of section 4.3:

* fixed length;
* extended: parts of fixed length, each but the last ending in an FX bit;
* repetitive: a one-octet repetition factor then that many fixed-length elements (or, for a few
  items, fixed-length elements each ending in an FX bit);
* explicit: a one-octet length counting itself (Reserved Expansion and Special Purpose fields);
* compound: a primary subfield (its own FSPEC) and the subfields it flags.

A record carries no length, so records are split by walking the FSPEC and skipping every item by
these rules. ``RecordLayout`` holds the rules of one (category, edition); ``layout_from_libasterix``
derives them from libasterix's generated specification, so they are never transcribed by hand
(except CAT062 0.17, which libasterix lacks: see ``fast062``). ``walk_record`` gives the start of
every item present in a record and where the record ends, raising a typed DecodeError for a
record that ends inside an item, an FSPEC longer than the UAP, a bit set for a spare FRN, an FX
bit set in the last extent, or a zero explicit length; the same conditions libasterix's strict
parsing refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dronewarn.domain.errors import DecodeError, FieldValueError, TruncatedError, UnsupportedError
from dronewarn.formats.asterix.items import frozen_builder
from dronewarn.formats.asterix.wrapping import chain, detect_wrapping

HEADER_LEN = 3
"""CAT and LEN."""


@dataclass(frozen=True, slots=True)
class DataBlock:
    """One data block of a payload: its category and where its records lie in the payload."""

    category: int
    offset: int
    """Offset of the CAT octet in the payload."""
    length: int
    """LEN: the block's size including CAT and LEN."""

    @property
    def records_start(self) -> int:
        return self.offset + HEADER_LEN

    @property
    def end(self) -> int:
        return self.offset + self.length


def block_error(data: bytes, pos: int) -> DecodeError | None:
    """What is wrong with the data block header at ``pos``, None if it is sound: a payload
    ending inside it (TruncatedError), a LEN below 3 (FieldValueError) or beyond the payload
    (TruncatedError)."""
    size = len(data)
    if size - pos < HEADER_LEN:
        return TruncatedError(
            f"payload ends {size - pos} octet(s) into a data block header",
            data=bytes(data[pos:]),
            offset=pos,
            field="LEN",
        )
    category = data[pos]
    length = (data[pos + 1] << 8) | data[pos + 2]
    if length < HEADER_LEN:
        return FieldValueError(
            f"CAT{category:03d} data block LEN {length} is below 3",
            data=bytes(data[pos : pos + HEADER_LEN]),
            offset=pos,
            field="LEN",
        )
    if pos + length > size:
        return TruncatedError(
            f"CAT{category:03d} data block LEN {length} runs {pos + length - size} "
            f"octet(s) beyond the payload",
            data=bytes(data[pos:]),
            offset=pos,
            field="LEN",
        )
    return None


def split_datablocks(data: bytes) -> tuple[list[DataBlock], DecodeError | None]:
    """The data blocks of a payload, and the error that stopped the split (None if none did).

    A LEN below 3 or beyond the payload, or a payload ending inside a block header, ends the
    split (``block_error``): the next block cannot be found without a good LEN. The blocks
    before it are returned, unless the whole payload is blocks wrapped in a recorder's octets
    (``wrapping.detect_wrapping``: a length and time stamp before each, a trailer after): then
    those blocks, and no error.
    """
    blocks: list[DataBlock] = []
    pos = 0
    size = len(data)
    while pos < size:
        error = block_error(data, pos)
        if error is not None:
            # only a payload whose very first block does not fit can be a recorder's framing:
            # plain blocks followed by a broken one are plain blocks and an error
            wrapping = detect_wrapping(data) if pos == 0 else None
            if wrapping is None or wrapping.plain:
                return blocks, error
            # a recorder's octets around each block (``wrapping``): the blocks between them
            found = [
                _BLOCK((data[start], start, length)) for start, length in chain(data, wrapping)
            ]
            return found, None
        length = (data[pos + 1] << 8) | data[pos + 2]
        blocks.append(_BLOCK((data[pos], pos, length)))
        pos += length
    return blocks, None


_BLOCK = frozen_builder(DataBlock)

# Item length rules: small tuples, the first element saying the kind.
FIXED = 0
"""(FIXED, octets)"""
EXTENDED = 1
"""(EXTENDED, ((octets, ends_in_fx), ...))"""
REPETITIVE = 2
"""(REPETITIVE, factor_octets, element_octets)"""
REPETITIVE_FX = 3
"""(REPETITIVE_FX, element_octets): elements each ending in an FX bit"""
EXPLICIT = 4
"""(EXPLICIT,)"""
COMPOUND = 5
"""(COMPOUND, fspec_max_octets, (subfield rule or None, ...), (subfield size, ...),
(per primary octet, per octet value: the total size of the fixed subfields it flags, -1 if it
flags another)): built by ``compound_rule``; sizes as ``RecordLayout.sizes``"""
UNKNOWN = 6
"""(UNKNOWN,): an item of the UAP whose structure dronewarn does not know; UnsupportedError"""

Rule = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class RecordLayout:
    """The UAP of one (category, edition): item name and length rule per FRN (None if spare)."""

    category: int
    edition: str
    fspec_max_octets: int
    names: tuple[str | None, ...]
    rules: tuple[Rule | None, ...]
    sizes: tuple[int, ...] = ()
    """Per FRN - 1: the octets of a fixed-length item, 0 for another structure, -1 if spare
    (derived from ``rules`` when not given)."""

    def __post_init__(self) -> None:
        if not self.sizes:
            sizes = tuple(
                -1 if rule is None else rule[1] if rule[0] == FIXED else 0 for rule in self.rules
            )
            object.__setattr__(self, "sizes", sizes)

    def index(self, name: str) -> int:
        """FRN - 1 of item ``name`` (``"040"``); ValueError if the UAP has no such item."""
        return self.names.index(name)


SET_BITS: tuple[tuple[int, ...], ...] = tuple(
    tuple(i for i in range(7) if octet & (0x80 >> i)) for octet in range(256)
)
"""For each FSPEC octet, the positions (0-6) of the FRN bits it sets."""


def _truncated(data: bytes, start: int, end: int, field: str) -> TruncatedError:
    return TruncatedError(
        f"record ends inside {field}", data=bytes(data[start:end]), offset=start, field=field
    )


def truncated_fspec(data: bytes, fspec: int, end: int) -> TruncatedError:
    """The record starting at ``fspec`` ends inside its FSPEC."""
    return _truncated(data, fspec, end, "FSPEC")


def _fx_runs_out(data: bytes, pos: int, end: int) -> bool:
    """Whether every octet from ``pos`` to ``end`` has its FX bit set (a field spec that the
    data ends inside: truncation, as libasterix classes it, rather than excess length)."""
    while pos < end:
        if not data[pos] & 1:
            return False
        pos += 1
    return True


def fspec_too_long(
    data: bytes, fspec: int, pos: int, layout: RecordLayout, end: int | None = None
) -> DecodeError:
    """The FSPEC at ``fspec`` goes on past the UAP's last octet (or, if every octet up to
    ``end`` says it goes on, the record ends inside it)."""
    if end is not None and _fx_runs_out(data, pos, end):
        return truncated_fspec(data, fspec, end)
    return FieldValueError(
        f"FSPEC longer than the {layout.fspec_max_octets} octet(s) of CAT{layout.category:03d} "
        f"edition {layout.edition}",
        data=bytes(data[fspec:pos]),
        offset=fspec,
        field="FSPEC",
    )


def spare_frn(
    data: bytes, fspec: int, octets: int, index: int, layout: RecordLayout
) -> DecodeError:
    """The FSPEC at ``fspec`` sets FRN ``index + 1``, which the UAP leaves spare."""
    return FieldValueError(
        f"FSPEC sets FRN {index + 1}, a spare FRN of CAT{layout.category:03d} "
        f"edition {layout.edition}",
        data=bytes(data[fspec : fspec + octets]),
        offset=fspec,
        field="FSPEC",
    )


def overrun(
    data: bytes, starts: list[int], sizes: tuple[int, ...], end: int, layout: RecordLayout
) -> TruncatedError:
    """A fixed-length item ran past the block's end: the error names the first that did."""
    for index, start in enumerate(starts):
        if start >= 0 and start + max(sizes[index], 0) > end:
            return _truncated(data, start, end, f"I{layout.names[index]}")
    return _truncated(data, end, end, "record")  # pragma: no cover - callers saw an overrun


def walk_record(data: bytes, pos: int, end: int, layout: RecordLayout) -> tuple[int, list[int]]:
    """Walk the record starting at ``pos`` (the block ending at ``end``).

    Returns where the record ends and, per FRN - 1, the offset of its item (-1 if absent).
    """
    sizes = layout.sizes
    starts = [-1] * len(sizes)
    fspec = pos
    octets = 0
    limit = layout.fspec_max_octets
    while True:
        if pos >= end:
            raise truncated_fspec(data, fspec, end)
        octet = data[pos]
        pos += 1
        octets += 1
        if not octet & 1:
            break
        if octets >= limit:
            raise fspec_too_long(data, fspec, pos, layout, end)
    base = 0
    for k in range(fspec, fspec + octets):
        for bit in SET_BITS[data[k]]:
            index = base + bit
            size = sizes[index]
            starts[index] = pos
            if size > 0:
                pos += size
            elif size == 0:
                if pos > end:
                    raise overrun(data, starts, sizes, end, layout)
                pos = skip_item(data, pos, end, layout.rules[index], layout.names[index] or "")
            else:
                if pos > end:
                    raise overrun(data, starts, sizes, end, layout)
                raise spare_frn(data, fspec, octets, index, layout)
        base += 7
    if pos > end:
        raise overrun(data, starts, sizes, end, layout)
    return pos, starts


def record_error(data: bytes, pos: int, end: int, layout: RecordLayout) -> DecodeError:
    """The DecodeError of the record at ``pos`` that a faster walk found bad: ``walk_record``
    names its fault exactly. If ``walk_record`` finds nothing wrong, the two walks disagree:
    a FieldValueError says so (never seen: tests/formats/test_asterix_fast.py checks they agree).
    """
    try:
        walk_record(data, pos, end, layout)
    except DecodeError as error:
        return error
    return FieldValueError(
        f"CAT{layout.category:03d} record: the compiled walk refused what the Python walk takes",
        data=bytes(data[pos:end]),
        offset=pos,
        field="record",
    )


def skip_item(data: bytes, pos: int, end: int, rule: Rule | None, name: str) -> int:
    """Where the item starting at ``pos`` ends, by its length rule."""
    start = pos
    if rule is None:
        raise FieldValueError(f"I{name}: a spare item is present", offset=start, field=f"I{name}")
    kind = rule[0]
    if kind == FIXED:
        pos += rule[1]
    elif kind == EXTENDED:
        for octets, ends_in_fx in rule[1]:
            pos += octets
            if pos > end:
                raise _truncated(data, start, end, f"I{name}")
            if not ends_in_fx or not data[pos - 1] & 1:
                break
        else:
            raise FieldValueError(
                f"I{name}: FX set in the last extent",
                data=bytes(data[start:pos]),
                offset=start,
                field=f"I{name}",
            )
    elif kind == REPETITIVE:
        factor_octets = rule[1]
        if pos + factor_octets > end:
            raise _truncated(data, start, end, f"I{name}")
        count = int.from_bytes(data[pos : pos + factor_octets], "big")
        pos += factor_octets + count * rule[2]
    elif kind == REPETITIVE_FX:
        while True:
            pos += rule[1]
            if pos > end:
                raise _truncated(data, start, end, f"I{name}")
            if not data[pos - 1] & 1:
                break
    elif kind == EXPLICIT:
        if pos >= end:
            raise _truncated(data, start, end, f"I{name}")
        length = data[pos]
        if length == 0:
            raise FieldValueError(
                f"I{name}: explicit length 0",
                data=bytes(data[start : start + 1]),
                offset=start,
                field=f"I{name}",
            )
        pos += length
    elif kind == COMPOUND:
        pos = _skip_compound(data, pos, end, rule, name)
    elif kind == UNKNOWN:
        raise UnsupportedError(
            f"I{name}: the structure of this item is not known to dronewarn",
            data=bytes(data[start:end]),
            offset=start,
            field=f"I{name}",
        )
    else:  # pragma: no cover - layouts are built here only
        raise FieldValueError(f"I{name}: unknown rule {rule!r}", offset=start, field=f"I{name}")
    if pos > end:
        raise _truncated(data, start, end, f"I{name}")
    return pos


def compound_rule(limit: int, subrules: Iterable[Rule | None]) -> Rule:
    """The rule of a compound item with a primary subfield of at most ``limit`` octets."""
    padded = list(subrules)
    padded.extend([None] * (7 * limit - len(padded)))
    sizes = tuple(-1 if sub is None else sub[1] if sub[0] == FIXED else 0 for sub in padded)
    octet_sizes = []
    for k in range(limit):
        table = []
        for octet in range(256):
            chosen = [sizes[7 * k + bit] for bit in SET_BITS[octet]]
            table.append(sum(chosen) if all(size > 0 for size in chosen) else -1)
        octet_sizes.append(tuple(table))
    return (COMPOUND, limit, tuple(padded), sizes, tuple(octet_sizes))


def _skip_compound(data: bytes, pos: int, end: int, rule: Rule, name: str) -> int:
    """Skip a compound item; primary octets flagging only fixed-length subfields are summed
    from a table, anything else (and every error) goes through ``compound_subfields``."""
    start = pos
    limit = rule[1]
    tables = rule[4]
    total = 0
    k = 0
    while True:
        if pos >= end or k >= limit:
            return compound_subfields(data, start, end, rule, name)[0]
        octet = data[pos]
        size = tables[k][octet]
        if size < 0:
            return compound_subfields(data, start, end, rule, name)[0]
        pos += 1
        total += size
        if not octet & 1:
            break
        k += 1
    pos += total
    if pos > end:
        raise _truncated(data, start, end, f"I{name}")
    return pos


def compound_subfields(
    data: bytes, pos: int, end: int, rule: Rule | None, name: str
) -> tuple[int, list[int]]:
    """Like ``walk_record`` for a compound item: its end and each subfield's offset (-1 absent)."""
    start = pos
    if rule is None or rule[0] != COMPOUND:
        raise FieldValueError(f"I{name} is not a compound item", offset=start, field=f"I{name}")
    limit = rule[1]
    sizes = rule[3]
    starts = [-1] * len(sizes)
    octets = 0
    while True:
        if pos >= end:
            raise _truncated(data, start, end, f"I{name}")
        octet = data[pos]
        pos += 1
        octets += 1
        if not octet & 1:
            break
        if octets >= limit:
            if _fx_runs_out(data, pos, end):
                raise _truncated(data, start, end, f"I{name}")
            raise FieldValueError(
                f"I{name}: primary subfield longer than {limit} octet(s)",
                data=bytes(data[start:pos]),
                offset=start,
                field=f"I{name}",
            )
    base = 0
    for k in range(octets):
        for bit in SET_BITS[data[start + k]]:
            index = base + bit
            size = sizes[index]
            starts[index] = pos
            if size > 0:
                pos += size
            elif size == 0:
                if pos > end:
                    raise _truncated(data, start, end, f"I{name}")
                pos = skip_item(data, pos, end, rule[2][index], f"{name}/{index + 1}")
            else:
                if pos > end:
                    raise _truncated(data, start, end, f"I{name}")
                raise FieldValueError(
                    f"I{name}: subfield {index + 1} is not defined",
                    data=bytes(data[start : start + octets]),
                    offset=start,
                    field=f"I{name}",
                )
        base += 7
    if pos > end:
        raise _truncated(data, start, end, f"I{name}")
    return pos, starts


# Deriving layouts from libasterix's generated classes ------------------------------------------


class LayoutError(UnsupportedError):
    """libasterix describes an item with a structure these rules do not cover."""


def _bits_octets(bits: int, what: str) -> int:
    if bits % 8:
        raise LayoutError(f"{what}: {bits} bits is not whole octets")
    return bits // 8


def _variation_of(non_spare: Any) -> Any:
    rule = non_spare.cv_rule
    variation = getattr(rule, "cv_variation", None)
    if variation is None:
        variation = rule.cv_default_variation  # context-dependent: its default structure
    return variation


def _fixed_bits(variation: Any) -> int | None:
    from asterix import base

    if issubclass(variation, base.Element | base.Group):
        return int(variation.cv_bit_size)
    return None


def _rule_of(variation: Any, what: str) -> Rule:
    from asterix import base

    fixed = _fixed_bits(variation)
    if fixed is not None:
        return (FIXED, _bits_octets(fixed, what))
    if issubclass(variation, base.Extended):
        parts = []
        for group in variation.cv_items_list:
            ends_in_fx = bool(group) and group[-1] is None
            if any(entry is None for entry in group[:-1]):
                raise LayoutError(f"{what}: FX inside an extent")
            bits = sum(size for entry in group if entry is not None for size in (entry[1],))
            parts.append((_bits_octets(bits + int(ends_in_fx), what), ends_in_fx))
        return (EXTENDED, tuple(parts))
    if issubclass(variation, base.Repetitive):
        element = _fixed_bits(variation.cv_variation)
        if element is None:
            raise LayoutError(f"{what}: repetitive of a variable-length element")
        if variation.cv_rep_bytes is None:
            return (REPETITIVE_FX, _bits_octets(element + 1, what))
        return (REPETITIVE, int(variation.cv_rep_bytes), _bits_octets(element, what))
    if issubclass(variation, base.Explicit):
        return (EXPLICIT,)
    if issubclass(variation, base.Compound):
        limit = int(variation.cv_fspec_max_bytes)
        subrules: list[Rule | None] = []
        for non_spare in variation.cv_items_list:
            if non_spare is None:
                subrules.append(None)
            else:
                subrules.append(_rule_of(_variation_of(non_spare), f"{what}/{non_spare.cv_name}"))
        return compound_rule(limit, subrules)
    raise LayoutError(f"{what}: unknown structure {variation.__name__}")


def layout_from_libasterix(spec: Any) -> RecordLayout:
    """The layout of a libasterix category class (``asterix.generated.Cat_048_1_31``).

    LayoutError for a UAP these rules cannot describe (several UAPs, random field sequencing).
    """
    from asterix import base

    category = int(spec.cv_category)
    edition = ".".join(str(n) for n in spec.cv_edition)
    uap = spec.cv_uap
    record = getattr(uap, "cv_record", None)
    if record is None:
        raise LayoutError(f"CAT{category:03d} {edition}: several UAPs")
    names: list[str | None] = []
    rules: list[Rule | None] = []
    for entry in record.cv_items_list:
        if issubclass(entry, base.UapItem):
            non_spare = entry.cv_non_spare
            names.append(str(non_spare.cv_name))
            rules.append(_rule_of(_variation_of(non_spare), f"I{non_spare.cv_name}"))
        elif issubclass(entry, base.UapItemSpare):
            names.append(None)
            rules.append(None)
        else:
            raise LayoutError(f"CAT{category:03d} {edition}: random field sequencing")
    limit = int(record.cv_fspec_max_bytes)
    padding = 7 * limit - len(rules)
    names.extend([None] * padding)
    rules.extend([None] * padding)
    return RecordLayout(category, edition, limit, tuple(names), tuple(rules))


# Splitting records with libasterix -----------------------------------------------------------


def libasterix_records(
    data: bytes, start: int, end: int, spec: Any, layout: RecordLayout | None = None
) -> Iterator[tuple[int, Any]]:
    """(offset, libasterix record) of each record in ``data[start:end]``, strictly parsed.

    With ``layout`` (the same edition's), each record is first delimited by ``walk_record``
    and libasterix parses exactly its octets: linear time whatever the block holds (libasterix
    copies the rest of the block for every record it parses), and errors name the item at
    fault. The first record that fails raises a TruncatedError or FieldValueError (or the
    walk's error): the records after it cannot be found.
    """
    from asterix import base

    uap = spec.cv_uap
    record_class = getattr(uap, "cv_record", None)
    data = bytes(data)
    pos = start
    while pos < end:
        record_end = end
        if layout is not None:
            record_end, _ = walk_record(data, pos, end, layout)
        bits = base.Bits(data, pos * 8, record_end * 8)
        try:
            if record_class is None:  # several UAPs: the record's own item chooses (CAT001)
                result = _parse_selected(uap, data, pos, bits, base)
            else:
                result = record_class.parse(base.ParsingMode.StrictParsing, bits)
        except Exception as exc:  # libasterix boundary: any failure is bad input
            raise FieldValueError(
                f"libasterix failed on the record: {exc!r}",
                data=data[pos:end],
                offset=pos,
                field="record",
            ) from exc
        if isinstance(result, ValueError):
            message = str(result)
            error = TruncatedError if "insufficient data" in message else FieldValueError
            raise error(
                f"CAT{spec.cv_category:03d} record: {message}",
                data=data[pos:end],
                offset=pos,
                field="record",
            )
        record, rest = result
        if layout is not None and len(rest):
            raise FieldValueError(
                f"CAT{spec.cv_category:03d} record: libasterix ends it "
                f"{len(rest) // 8} octet(s) before its length rules do",
                data=data[pos:record_end],
                offset=pos,
                field="record",
            )
        yield pos, record
        pos = rest.bit_offset1 // 8 if layout is None else record_end


def _parse_selected(uap: Any, data: bytes, pos: int, bits: Any, base: Any) -> Any:
    """Parse a record of a category with several UAPs (CAT001: plot or track), with the UAP
    the record's own I020 TYP names. TYP is read from the octets, before any UAP is applied:
    the UAPs share only FRN 1 (I010, 2 octets) and FRN 2 (I020, TYP its first bit), and
    parsing with the wrong one first would refuse items the other one defines."""
    (item, sub), choices = uap.cv_selector
    if (item, sub) != ("020", "TYP"):
        return ValueError(f"UAP chosen by I{item}/{sub}: not read")
    fspec_end = pos
    while fspec_end < len(data) and data[fspec_end] & 1:
        fspec_end += 1
    if fspec_end >= len(data) or not data[pos] & 0x40:
        return ValueError("no I020 to choose the UAP (plot or track) with")
    at = fspec_end + 1 + (2 if data[pos] & 0x80 else 0)
    if at >= len(data):
        return ValueError("insufficient data: the record ends before its I020")
    chosen = uap.cv_uaps[choices[data[at] >> 7]]
    return chosen.parse(base.ParsingMode.StrictParsing, bits)


Element = tuple[int, int, float | None, bool | None]
"""Where a hand-written decoder reads an element: (bit offset, bit size, LSB or None, two's
complement; None: either)."""


def layout_mismatch(
    category: int,
    spec: Any,
    layout: RecordLayout,
    *,
    fixed: Mapping[str, int],
    extended: Iterable[str] = (),
    elements: Mapping[tuple[str, ...], Element],
) -> str | None:
    """Why a hand-written decoder cannot read the edition ``spec`` describes (None if it can):
    an item of ``fixed`` that is not that many fixed octets, an item of ``extended`` that is
    not extended by single octets, or an element that libasterix places or scales otherwise
    (``items.lib_element_layout``)."""
    from dronewarn.formats.asterix.items import lib_element_layout

    for name, octets in fixed.items():
        if name not in layout.names or layout.rules[layout.index(name)] != (FIXED, octets):
            return f"I{category:03d}/{name} is not {octets} fixed octets"
    for name in extended:
        if name not in layout.names:
            return f"no I{category:03d}/{name}"
        rule = layout.rules[layout.index(name)]
        if rule is None or rule[0] != EXTENDED or tuple(rule[1][:2]) != ((1, True), (1, True)):
            return f"I{category:03d}/{name} is not extended by single octets"
    for path, (offset, size, lsb, signed) in elements.items():
        where = f"I{category:03d}/{'/'.join(path)}"
        try:
            got = lib_element_layout(spec, *path)
        except (KeyError, ValueError) as exc:
            return f"{where}: {exc}"
        if got[:3] != (offset, size, lsb) or (signed is not None and got[3] != signed):
            return f"{where} is {got}, expected {(offset, size, lsb, signed)}"
    return None
