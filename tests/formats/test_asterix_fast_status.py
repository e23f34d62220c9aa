"""``fast_status`` reads the status categories as libasterix does: every edition it accepts,
on real CAT065 records and on random or damaged records of every status category."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dronewarn.formats.asterix.decoder import DecodePlan, decode_datablocks
from dronewarn.formats.asterix.editions import SUPPORTED, Editions
from dronewarn.formats.asterix.fast_status import FastStatus
from dronewarn.formats.asterix.status import STATUS_ITEMS
from dronewarn.formats.capture import read_capture

ACCEPTED = [
    (category, edition)
    for category in STATUS_ITEMS
    for edition in SUPPORTED[category]
    if category != 2  # no layout: libasterix describes CAT002 with random field sequencing
]


def _plans(category: int, edition: object) -> tuple[DecodePlan, DecodePlan]:
    editions = Editions({category: edition})  # type: ignore[dict-item]
    return DecodePlan.for_editions(editions), DecodePlan.for_editions(editions, fast=False)


def test_every_status_edition_but_cat002_is_read_by_hand() -> None:
    for category, edition in ACCEPTED:
        fast, slow = _plans(category, edition)
        plan = fast.category(category)
        assert plan is not None and isinstance(plan.fast, FastStatus), (category, edition)
        assert slow.category(category).fast is None  # type: ignore[union-attr]
    assert DecodePlan.for_editions().category(2).fast is None  # type: ignore[union-attr]


def _same(data: bytes, fast: DecodePlan, slow: DecodePlan) -> None:
    a = decode_datablocks(data, fast, reference_s=0.0)
    b = decode_datablocks(data, slow, reference_s=0.0)
    assert a.status == b.status
    assert [(e.kind, e.offset) for e in a.errors] == [(e.kind, e.offset) for e in b.errors]


def test_real_cat065_records_read_the_same(samples_dir: Path) -> None:
    fast, slow = _plans(65, Editions()[65])
    payloads = [
        p.payload
        for name in ("cat_062_065.pcap", "cat062cat065.raw")
        for p in read_capture(samples_dir / "asterix" / name)
    ]
    found = 0
    for payload in payloads:
        _same(payload, fast, slow)
        found += len(decode_datablocks(payload, fast, reference_s=0.0).status)
    assert found >= 2


@settings(max_examples=400, deadline=None)
@given(
    case=st.sampled_from(ACCEPTED),
    fspec=st.lists(st.integers(0, 255), min_size=1, max_size=3),
    body=st.binary(max_size=40),
)
def test_random_records_read_or_fail_the_same(
    case: tuple[int, object], fspec: list[int], body: bytes
) -> None:
    category, edition = case
    fast, slow = _plans(category, edition)
    records = bytes(fspec) + body
    _same(bytes([category]) + (3 + len(records)).to_bytes(2, "big") + records, fast, slow)
