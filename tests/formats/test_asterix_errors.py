"""Bad ASTERIX input gives typed DecodeErrors with the offset and field at fault, never another
exception, and never loses the good blocks of the same payload."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewarn.domain.errors import (
    DecodeError,
    FieldValueError,
    TruncatedError,
    UnsupportedError,
)
from dronewarn.formats.asterix.datablock import split_datablocks
from dronewarn.formats.asterix.decoder import DecodePlan, decode_datablocks
from dronewarn.formats.asterix.editions import (
    DEFAULTS,
    Edition,
    Editions,
    libasterix_spec,
    parse_edition,
    parse_editions,
)

# cat048.raw: one CAT048 record of 45 octets (see test_asterix_samples)
PLOT = bytes.fromhex(
    "300030fdf70219c9356d4da0c5aff1e0020005283c660c10c236d4182001c0780031bc0000400deb07b958"
    "2e410020f5"
)
SECTOR = bytes.fromhex("220010f6190e023a692b408840408000")  # cat034.raw


@pytest.fixture(scope="module")
def plan() -> DecodePlan:
    return DecodePlan.for_editions(Editions())


@pytest.fixture(scope="module")
def slow_plan() -> DecodePlan:
    return DecodePlan.for_editions(Editions(), fast=False)


@pytest.fixture(scope="module")
def old_plan() -> DecodePlan:
    """The oldest editions: CAT062 0.17 (hand-written decoder), CAT021 0.23, CAT048 1.27."""
    return DecodePlan.for_editions(parse_editions("62:0.17,21:0.23,48:1.27,34:1.27,15:1.0"))


def _with_len(block: bytes, length: int) -> bytes:
    return block[:1] + length.to_bytes(2, "big") + block[3:]


def test_len_beyond_the_payload_keeps_the_blocks_before(plan: DecodePlan) -> None:
    data = SECTOR + PLOT[:40]
    batch = decode_datablocks(data, plan, reference_s=0.0)
    assert len(batch.cat034) == 1 and batch.cat048 == ()
    (error,) = batch.errors
    assert isinstance(error, TruncatedError)
    assert (error.offset, error.field) == (len(SECTOR), "LEN")
    assert error.data == PLOT[:40]
    assert batch.skipped_octets == 40


def test_len_below_three(plan: DecodePlan) -> None:
    for length in (0, 1, 2):
        batch = decode_datablocks(PLOT + _with_len(PLOT, length), plan, reference_s=0.0)
        assert len(batch.cat048) == 1
        (error,) = batch.errors
        assert isinstance(error, FieldValueError)
        assert (error.offset, error.field) == (len(PLOT), "LEN")


def test_payload_ending_inside_a_block_header(plan: DecodePlan) -> None:
    for tail in (b"\x30", b"\x30\x00"):
        batch = decode_datablocks(PLOT + tail, plan, reference_s=0.0)
        assert len(batch.cat048) == 1
        (error,) = batch.errors
        assert isinstance(error, TruncatedError) and error.offset == len(PLOT)


def test_empty_payload_and_empty_block(plan: DecodePlan) -> None:
    assert decode_datablocks(b"", plan, reference_s=0.0).records == 0
    batch = decode_datablocks(b"\x30\x00\x03" + PLOT, plan, reference_s=0.0)
    assert batch.errors == () and len(batch.cat048) == 1 and batch.blocks == 2


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "libasterix"])
def test_record_cut_inside_an_item_names_the_item(fast: bool) -> None:
    plan = DecodePlan.for_editions(Editions(), fast=fast)
    # keep LEN true to the cut: the record itself ends inside I240 (starts at offset 23)
    cut = _with_len(PLOT[:26], 26)
    batch = decode_datablocks(cut + SECTOR, plan, reference_s=0.0)
    assert batch.cat048 == () and len(batch.cat034) == 1  # the next block survives
    (error,) = batch.errors
    assert isinstance(error, TruncatedError)
    assert (error.offset, error.field) == (23, "I240")
    assert batch.skipped_octets == 26 - 23


def test_bad_record_ends_its_block_but_keeps_the_records_before(plan: DecodePlan) -> None:
    record = PLOT[3:]
    # two good records, then an FSPEC of five octets (CAT048's UAP has four)
    bad = bytes.fromhex("010101010100")
    block = bytes([48]) + (3 + 2 * len(record) + len(bad)).to_bytes(2, "big")
    batch = decode_datablocks(block + record + record + bad, plan, reference_s=0.0)
    assert [p.offset for p in batch.cat048] == [3, 3 + len(record)]
    (error,) = batch.errors
    assert isinstance(error, FieldValueError) and error.field == "FSPEC"
    assert error.offset == 3 + 2 * len(record)


def test_fspec_longer_than_the_uap(plan: DecodePlan) -> None:
    # CAT048's UAP has 4 FSPEC octets: a fifth is an error, not a truncation
    block = bytes.fromhex("300009" + "0101010101" + "00")
    (error,) = decode_datablocks(block, plan, reference_s=0.0).errors
    assert isinstance(error, FieldValueError) and (error.field, error.offset) == ("FSPEC", 3)
    # every octet saying "more follows" up to the end: the record is cut short
    block = bytes.fromhex("300007" + "01010101")
    (error,) = decode_datablocks(block, plan, reference_s=0.0).errors
    assert isinstance(error, TruncatedError) and error.field == "FSPEC"


def test_spare_frn_set(plan: DecodePlan) -> None:
    # CAT062 FRN 2 is spare
    (error,) = decode_datablocks(bytes.fromhex("3e000440"), plan, reference_s=0.0).errors
    assert isinstance(error, FieldValueError) and (error.field, error.offset) == ("FSPEC", 3)


def test_explicit_item_of_length_zero(plan: DecodePlan) -> None:
    # CAT048 FRN 28 (RE): FSPEC 01 01 01 02, then a length of 0
    block = bytes.fromhex("300008" + "01010102" + "00")
    (error,) = decode_datablocks(block, plan, reference_s=0.0).errors
    assert isinstance(error, FieldValueError) and (error.field, error.offset) == ("IRE", 7)


def test_fx_set_in_the_last_extent(plan: DecodePlan) -> None:
    # I048/170 has two extents: an FX bit in the second is refused
    block = bytes.fromhex("300007" + "0102" + "0101")
    (error,) = decode_datablocks(block, plan, reference_s=0.0).errors
    assert isinstance(error, FieldValueError) and (error.field, error.offset) == ("I170", 5)


def test_unsupported_category_is_counted_and_skipped(plan: DecodePlan) -> None:
    cat240 = bytes.fromhex("f00006800102")  # radar video: no category dronewarn reads
    batch = decode_datablocks(cat240 + PLOT, plan, reference_s=0.0)
    assert len(batch.cat048) == 1
    (error,) = batch.errors
    assert isinstance(error, UnsupportedError)
    assert (error.field, error.offset, error.data) == ("CAT", 0, cat240)
    assert batch.error_counts() == {"unsupported": 1}


def test_wrong_edition_is_refused_not_guessed(samples_dir: Path) -> None:
    data = (samples_dir / "asterix" / "cat21_re.ast").read_bytes()
    batch = decode_datablocks(data, parse_editions("21:0.26"), reference_s=0.0)
    assert batch.cat021 == ()
    assert [type(e) for e in batch.errors] == [FieldValueError, FieldValueError]
    assert [e.offset for e in batch.errors] == [3, 47]


def test_edition_strings() -> None:
    assert parse_edition("48:1.31") == (48, Edition(1, 31))
    assert parse_edition(" 062 : 1.18 ") == (62, Edition(1, 18))
    editions = parse_editions("48:1.27, 062:0.17")
    assert editions[48] == Edition(1, 27) and editions[62] == Edition(0, 17)
    assert editions[21] == DEFAULTS[21]
    assert parse_editions(["21:0.26"])[21] == Edition(0, 26)
    assert dict(Editions()) == dict(DEFAULTS)
    with pytest.raises(UnsupportedError) as unknown_edition:
        parse_edition("48:1.14")
    assert unknown_edition.value.field == "edition"
    with pytest.raises(UnsupportedError) as unknown_category:
        parse_edition("240:1.3")
    assert unknown_category.value.field == "category"
    for text in ("48", "48:1", "cat48:1.31", "48:1.31.2", ""):
        with pytest.raises(FieldValueError):
            parse_edition(text)
    with pytest.raises(FieldValueError):
        parse_editions("48:1.31,48:1.27")
    with pytest.raises(UnsupportedError):
        Editions().edition(240)
    with pytest.raises(UnsupportedError):
        libasterix_spec(62, Edition(0, 17))  # decoded by fast062 alone


def test_split_datablocks_reports_the_stopping_error() -> None:
    blocks, error = split_datablocks(PLOT + SECTOR)
    assert [(b.category, b.offset, b.length) for b in blocks] == [(48, 0, 48), (34, 48, 16)]
    assert error is None
    blocks, error = split_datablocks(PLOT + b"\x22\x00\x20" + SECTOR[3:])
    assert len(blocks) == 1 and isinstance(error, TruncatedError) and error.offset == 48


# Any bytes: records or DecodeErrors, nothing else ---------------------------------------------


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_never_raise(plan: DecodePlan, data: bytes) -> None:
    batch = decode_datablocks(data, plan, reference_s=0.0)
    assert all(isinstance(e, DecodeError) for e in batch.errors)
    assert batch.skipped_octets <= len(data)


@settings(max_examples=300, deadline=None)
@given(
    category=st.sampled_from([48, 62, 34, 21, 15, 1, 255]),
    body=st.binary(max_size=200),
    which=st.sampled_from(["fast", "libasterix", "old editions"]),
)
def test_random_records_in_a_good_block_never_raise(
    plan: DecodePlan,
    slow_plan: DecodePlan,
    old_plan: DecodePlan,
    category: int,
    body: bytes,
    which: str,
) -> None:
    chosen = {"fast": plan, "libasterix": slow_plan, "old editions": old_plan}[which]
    data = bytes([category]) + (3 + len(body)).to_bytes(2, "big") + body
    batch = decode_datablocks(data + SECTOR, chosen, reference_s=0.0)
    assert len(batch.cat034) >= 1  # the good block after survives
    assert all(isinstance(e, DecodeError) for e in batch.errors)
    for error in batch.errors:
        assert error.offset is not None and 0 <= error.offset <= len(data)


@settings(max_examples=300, deadline=None)
@given(flips=st.lists(st.tuples(st.integers(3, len(PLOT) - 1), st.integers(0, 7)), min_size=1))
def test_bit_flipped_real_records_never_raise(
    plan: DecodePlan, flips: list[tuple[int, int]]
) -> None:
    damaged = bytearray(PLOT + SECTOR)
    for position, bit in flips:
        damaged[position] ^= 1 << bit
    batch = decode_datablocks(bytes(damaged), plan, reference_s=0.0)
    assert all(isinstance(e, DecodeError) for e in batch.errors)
    assert batch.records + len(batch.errors) >= 1


def test_draft_edition_refuses_what_it_cannot_read() -> None:
    plan = DecodePlan.for_editions(parse_editions("62:0.17"))
    # FRN 20 (I050) of 0.17 has no known structure
    block = bytes.fromhex("3e0007" + "010104" + "00")  # FSPEC sets FRN 20 only
    (error,) = decode_datablocks(block, plan, reference_s=0.0).errors
    assert isinstance(error, UnsupportedError) and error.field == "I050"


def test_a_block_of_empty_records(slow_plan: DecodePlan) -> None:
    """5,000 empty CAT034 records (FSPEC 00) in one block: each is split off by the length
    rules before libasterix parses it (on its own, libasterix copies the rest of the block for
    every record it parses: quadratic in the block's size)."""
    body = bytes(5_000)
    data = bytes([34]) + (3 + len(body)).to_bytes(2, "big") + body
    batch = decode_datablocks(data, slow_plan, reference_s=0.0)
    assert batch.errors == () and len(batch.cat034) == 5_000
    assert batch.cat034[-1].offset == 3 + 4_999
    assert batch.cat034[0].sac is None and batch.cat034[0].message_type is None


def test_defaults_name_an_edition_libasterix_has() -> None:
    for category, edition in DEFAULTS.items():
        assert libasterix_spec(category, edition).cv_category == category
