"""The hand-written CAT034 decoder gives exactly what libasterix gives: on the real captures,
on service messages of every kind dronewarn's encoder writes (I120 included), on damaged
blocks, in every edition."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewarn.formats.asterix.decoder import DecodePlan, decode_datablocks
from dronewarn.formats.asterix.editions import parse_editions
from dronewarn.formats.asterix.encode048 import (
    RadarServiceMessage,
    ServiceMessageType,
    encode_service_messages,
)
from dronewarn.formats.asterix.fast034 import Fast034
from dronewarn.formats.capture import read_capture

EDITIONS = ("1.27", "1.28", "1.29")


def _plans(edition: str) -> tuple[DecodePlan, DecodePlan]:
    editions = parse_editions(f"34:{edition}")
    fast = DecodePlan.for_editions(editions)
    assert isinstance(fast.categories[34].fast, Fast034)
    return fast, DecodePlan.for_editions(editions, fast=False)


@pytest.fixture(scope="module", params=EDITIONS)
def plans(request: pytest.FixtureRequest) -> tuple[DecodePlan, DecodePlan]:
    return _plans(request.param)


def _same(data: bytes, plans: tuple[DecodePlan, DecodePlan]) -> int:
    fast, slow = (decode_datablocks(data, p, reference_s=0.0) for p in plans)
    assert fast.cat034 == slow.cat034
    assert [(type(e), e.offset) for e in fast.errors] == [(type(e), e.offset) for e in slow.errors]
    return len(fast.cat034)


def test_real_captures(samples_dir: Path, plans: tuple[DecodePlan, DecodePlan]) -> None:
    count = sum(
        _same(p.payload, plans) for p in read_capture(samples_dir / "asterix" / "cat_034_048.pcap")
    )
    assert count == 34
    assert _same((samples_dir / "asterix" / "cat034.raw").read_bytes(), plans) == 1


messages = st.builds(
    RadarServiceMessage,
    sac=st.integers(0, 255),
    sic=st.integers(0, 255),
    time_of_day_s=st.floats(0.0, 86_399.0),
    message_type=st.sampled_from(list(ServiceMessageType)),
    sector_deg=st.floats(0.0, 360.0),
    rotation_period_s=st.none() | st.floats(0.5, 60.0),
    source_lat_deg=st.floats(-90.0, 90.0),
    source_lon_deg=st.floats(-180.0, 180.0),
    source_height_m=st.floats(-1000.0, 15_000.0),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(messages, min_size=1, max_size=20), st.data())
def test_encoded_messages_and_damaged_blocks(
    batch: list[RadarServiceMessage], data: st.DataObject
) -> None:
    plans = _plans(data.draw(st.sampled_from(EDITIONS)))
    (block,) = encode_service_messages(batch)
    assert _same(block, plans) == len(batch)
    # a damaged copy: both decoders keep the same records and fail at the same place
    damaged = bytearray(block)
    index = data.draw(st.integers(3, len(block) - 1))
    damaged[index] = data.draw(st.integers(0, 255))
    _same(bytes(damaged), plans)
    _same(block[: data.draw(st.integers(0, len(block)))], plans)
