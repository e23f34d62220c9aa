"""CoT output read back by independent decoders: takproto's XML and protobuf readers (and
pytak's event builder for the relayed-CoT case), plus the attribute rules of MITRE's
Event.xsd checked with the standard library (no lxml here, so no full XSD validation)."""

from __future__ import annotations

import math
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import pytak
import pytest
import takproto
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.domain.warning import EntryPrediction, Warning, WarningState
from dronewarn.formats.cot.encode import (
    encode,
    encode_mesh,
    encode_stream,
    encode_xml,
    strip_flow_tags,
    strip_flow_tags_message,
    tak_message,
)
from dronewarn.formats.cot.event import UNKNOWN_VALUE, CotEvent, TakProtocol
from dronewarn.formats.cot.tracks import CotOutConfig, circular_error_m, track_event, warning_event

NOW_S = 1_714_564_800.25  # 2024-05-01T12:00:00.250Z
CONFIG = CotOutConfig(node_id="PL-1", track_stale_s=45.0)
XS = "{http://www.w3.org/2001/XMLSchema}"
# written with 1 and 2 decimals: off by at most half the last digit
HALF_DECIMETRE = 0.05 + 1e-9
HALF_HUNDREDTH = 0.005 + 1e-9


@pytest.fixture(scope="module")
def event_xsd() -> Path:
    """MITRE's Event.xsd from the shared samples (the same place the other format tests read)."""
    default = Path(__file__).resolve().parents[3] / "shared" / "samples"
    path = Path(os.environ.get("DRONEWARN_SAMPLES", default)) / "cot" / "Event.xsd"
    if not path.is_file():
        pytest.skip(f"{path} not found (set DRONEWARN_SAMPLES)")
    return path


def covariance(east: float, north: float, cross: float = 0.0) -> tuple[float, ...]:
    return (
        *(east, cross, 0.0, 0.0),
        *(cross, north, 0.0, 0.0),
        *(0.0, 0.0, 4.0, 0.0),
        *(0.0, 0.0, 0.0, 4.0),
    )


def track(**changes: Any) -> TrackState:
    state = TrackState(
        track_id="T42",
        time_s=NOW_S - 0.75,
        status=TrackStatus.CONFIRMED,
        east_m=1000.0,
        north_m=-500.0,
        vel_east_mps=30.0,
        vel_north_mps=-40.0,
        cov_enu=covariance(400.0, 900.0, 100.0),
        position=GeoPoint(52.123456789, 23.456789012, 312.25),
        quality=0.9,
        updates=17,
        sensors=frozenset({"radar-1", "acoustic-7"}),
        object_class=ObjectClass.SHAHED,
        class_confidence=0.83,
        altitude_sigma_m=22.5,
    )
    return replace(state, **changes)


def warning(**changes: Any) -> Warning:
    value = Warning(
        warning_id="W-9",
        sequence=3,
        state=WarningState.UPDATE,
        sender="BY-1",
        recipient="PL-1",
        track_id="T42",
        issued_s=NOW_S - 1.0,
        track_position=GeoPoint(52.2, 23.9, 300.0),
        track_speed_mps=50.0,
        track_course_deg=250.0,
        object_class=ObjectClass.GERBERA,
        entry=EntryPrediction(
            point=GeoPoint(52.15, 23.65, 280.0),
            time_s=NOW_S + 300.0,
            earliest_s=NOW_S + 240.0,
            latest_s=NOW_S + 380.0,
            probability=0.87,
            sigma_major_m=1500.0,
            sigma_minor_m=400.0,
        ),
        priority=1,
        area="POL",
        class_confidence=0.61,
    )
    return replace(value, **changes)


def out_event(state: TrackState | None = None) -> CotEvent:
    event = track_event(state or track(), CONFIG, NOW_S)
    assert event is not None
    return event


# --- the independent reader ------------------------------------------------------------------


def read_back(data: bytes) -> Any:
    """takproto's own reader: XML through its ElementTree mapping, 0xBF through protobuf."""
    message = takproto.parse_proto(bytearray(data))
    assert message is not None
    return message.cotEvent


def assert_same(cot: Any, event: CotEvent) -> None:
    assert cot.uid == event.uid
    assert cot.type == event.type
    assert cot.how == event.how
    assert cot.sendTime == round(event.time_s * 1000)
    assert cot.startTime == round(event.start_s * 1000)
    assert cot.staleTime == round(event.stale_s * 1000)
    assert cot.lat == pytest.approx(event.lat_deg, abs=1e-7)
    assert cot.lon == pytest.approx(event.lon_deg, abs=1e-7)
    for name in ("hae", "ce", "le"):
        value = getattr(event, f"{name}_m")
        expected = UNKNOWN_VALUE if value is None else value
        assert getattr(cot, name) == pytest.approx(expected, abs=HALF_DECIMETRE), name
    assert cot.detail.contact.callsign == event.callsign
    if event.course_deg is None:
        assert not cot.detail.HasField("track")
    else:
        assert cot.detail.track.course == pytest.approx(event.course_deg, abs=HALF_HUNDREDTH)
        assert cot.detail.track.speed == pytest.approx(event.speed_mps, abs=HALF_HUNDREDTH)
    remarks = SafeET.fromstring(f"<d>{cot.detail.xmlDetail}</d>").find("remarks")
    assert remarks is not None
    assert remarks.text == event.remarks
    assert "_flow-tags_" not in cot.detail.xmlDetail


@pytest.mark.parametrize("protocol", ["xml", "stream", "mesh"])
def test_track_round_trip(protocol: str) -> None:
    event = out_event()
    data = {"xml": encode_xml, "stream": encode_stream, "mesh": encode_mesh}[protocol](event)
    assert_same(read_back(data), event)


def test_track_fields_by_hand() -> None:
    event = out_event()
    assert event.uid == "dronewarn.PL-1.T42"
    assert event.type == "a-h-A-M-F-Q"
    assert event.how == "m-f"
    assert (event.time_s, event.start_s, event.stale_s) == (NOW_S, NOW_S, NOW_S + 45.0)
    assert event.hae_m == 312.25
    assert event.le_m == 22.5
    # east/north covariance [[400, 100], [100, 900]]: eigenvalues 650 -/+ sqrt(250^2 + 100^2)
    assert event.ce_m == pytest.approx(math.sqrt(650.0 + math.hypot(250.0, 100.0)))
    assert event.ce_m == pytest.approx(30.32, abs=0.01)
    assert event.course_deg == pytest.approx(math.degrees(math.atan2(30.0, -40.0)) % 360.0)
    assert event.course_deg == pytest.approx(143.13, abs=0.01)
    assert event.speed_mps == 50.0
    assert "class shahed (confidence 0.83)" in (event.remarks or "")
    cot = read_back(encode_xml(event))
    assert cot.sendTime == 1_714_564_800_250
    assert cot.staleTime == 1_714_564_845_250
    assert cot.lat == 52.1234568  # written with 7 decimals (about 1 cm)


@pytest.mark.parametrize(
    ("changes", "cot_type"),
    [
        ({"object_class": ObjectClass.GERBERA}, "a-h-A-M-F-Q"),
        ({"object_class": ObjectClass.JET_DRONE}, "a-h-A-M-F-Q"),
        ({"object_class": ObjectClass.UNKNOWN}, "a-u-A-M-F-Q"),
        ({"object_class": ObjectClass.MULTIROTOR}, "a-u-A-M-H-Q"),
        ({"object_class": ObjectClass.CREWED}, "a-u-A-C"),
        ({"object_class": ObjectClass.BIRD_CLUTTER}, "a-u-A"),
        ({"object_class": ObjectClass.CREWED, "cooperative": True}, "a-n-A-C"),
        ({"object_class": ObjectClass.SHAHED, "cooperative": True}, "a-n-A-C"),
    ],
)
def test_track_types(changes: dict[str, Any], cot_type: str) -> None:
    assert out_event(track(**changes)).type == cot_type


def test_friendly_cooperative_affiliation() -> None:
    event = track_event(
        track(cooperative=True), CotOutConfig("PL-1", cooperative_affiliation="f"), NOW_S
    )
    assert event is not None
    assert event.type == "a-f-A-C"


def test_unknowns_and_deleted_tracks() -> None:
    unknown = out_event(
        track(position=GeoPoint(50.0, 20.0, None), cov_enu=(math.nan,) * 16, altitude_sigma_m=9.0)
    )
    assert (unknown.hae_m, unknown.ce_m, unknown.le_m) == (None, None, None)
    cot = read_back(encode_xml(unknown))
    assert (cot.hae, cot.ce, cot.le) == (UNKNOWN_VALUE, UNKNOWN_VALUE, UNKNOWN_VALUE)
    assert b'hae="9999999.0" ce="9999999.0" le="9999999.0"' in encode_xml(unknown)
    deleted = out_event(track(status=TrackStatus.DELETED))
    assert deleted.stale_s == NOW_S  # stale at once: TAK clients drop the marker
    assert track_event(track(position=GeoPoint(math.nan, 20.0)), CONFIG, NOW_S) is None
    assert circular_error_m(covariance(-4.0, -9.0)) is None
    assert circular_error_m(covariance(25.0, 25.0)) == 5.0


def test_warning_event() -> None:
    event = warning_event(warning(), CONFIG, NOW_S)
    assert event is not None
    assert event.uid == "dronewarn.PL-1.warning.W-9"
    assert event.type == "b-m-p-s-p-i"
    assert event.how == "m-p"
    assert (event.lat_deg, event.lon_deg, event.hae_m) == (52.15, 23.65, 280.0)
    assert event.ce_m == 1500.0
    assert event.stale_s == NOW_S + 380.0  # the latest predicted entry
    assert event.link_uid == "dronewarn.PL-1.T42"
    assert "probability 0.87" in (event.remarks or "")
    assert "2024-05-01T12:05:00.250Z" in (event.remarks or "")  # the predicted entry time
    for data in (encode_xml(event), encode_stream(event)):
        cot = read_back(data)
        assert_same(cot, event)
        link = SafeET.fromstring(f"<d>{cot.detail.xmlDetail}</d>").find("link")
        assert link is not None
        assert link.attrib == {
            "uid": "dronewarn.PL-1.T42",
            "type": "a-h-A-M-F-Q",
            "relation": "p-p",
        }
    closed = warning_event(warning(state=WarningState.CROSSED), CONFIG, NOW_S)
    assert closed is not None
    assert closed.stale_s == NOW_S
    no_entry = warning_event(warning(entry=None), CONFIG, NOW_S)
    assert no_entry is not None
    assert (no_entry.lat_deg, no_entry.stale_s) == (52.2, NOW_S)


# --- Event.xsd -------------------------------------------------------------------------------

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATETIME = re.compile(
    r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)


def check_against_xsd(xsd: ET.Element, element: ET.Element) -> None:
    """The schema's rules for one element's attributes: required ones present, no undeclared
    ones (``event`` and ``point`` have no anyAttribute), base types, patterns and ranges."""
    declaration = next(item for item in xsd.iter(f"{XS}element") if item.get("name") == element.tag)
    declared = {item.get("name"): item for item in declaration.iter(f"{XS}attribute")}
    assert set(element.attrib) <= set(declared), element.attrib
    for name, rule in declared.items():
        value = element.get(str(name))
        if value is None:
            assert rule.get("use") != "required", f"{element.tag}/@{name} missing"
            continue
        restriction = rule.find(f".//{XS}restriction")
        base = restriction.get("base") if restriction is not None else rule.get("type")
        if base == "xs:decimal":
            assert _DECIMAL.fullmatch(value), (name, value)
        elif base == "xs:dateTime":
            assert _DATETIME.fullmatch(value), (name, value)
        if restriction is None:
            continue
        for pattern in restriction.findall(f"{XS}pattern"):
            assert re.fullmatch(str(pattern.get("value")), value), (name, value)
        low = restriction.find(f"{XS}minInclusive")
        high = restriction.find(f"{XS}maxInclusive")
        if low is not None:
            assert float(value) >= float(str(low.get("value"))), (name, value)
        if high is not None:
            assert float(value) <= float(str(high.get("value"))), (name, value)


def test_xml_follows_event_xsd(event_xsd: Path) -> None:
    xsd = SafeET.fromstring(event_xsd.read_bytes())
    events = [
        out_event(),
        out_event(track(position=GeoPoint(-89.9, 179.99, None), cov_enu=(0.0,) * 16)),
        warning_event(warning(), CONFIG, NOW_S),
    ]
    for event in events:
        assert event is not None
        data = encode_xml(event)
        assert data.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<event')
        root = SafeET.fromstring(data)
        assert [child.tag for child in root] == ["point", "detail"]
        check_against_xsd(xsd, root)
        point = root.find("point")
        assert point is not None
        check_against_xsd(xsd, point)


def test_the_xsd_check_can_fail(event_xsd: Path) -> None:
    xsd = SafeET.fromstring(event_xsd.read_bytes())
    root = SafeET.fromstring(encode_xml(out_event()))
    root.set("how", "fused!")
    with pytest.raises(AssertionError):
        check_against_xsd(xsd, root)
    point = root.find("point")
    assert point is not None
    point.set("lat", "90.5")
    with pytest.raises(AssertionError):
        check_against_xsd(xsd, point)


@settings(max_examples=100, deadline=None)
@given(
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    alt=st.none() | st.floats(-400, 20_000),
    vel=st.tuples(st.floats(-300, 300), st.floats(-300, 300)),
    sigma=st.floats(0, 1e5),
    track_id=st.text(min_size=1, max_size=12),  # controls and lone surrogates included
    protocol=st.sampled_from(TakProtocol),
)
def test_any_track_reads_back(
    lat: float,
    lon: float,
    alt: float | None,
    vel: tuple[float, float],
    sigma: float,
    track_id: str,
    protocol: TakProtocol,
) -> None:
    state = track(
        track_id=track_id,
        position=GeoPoint(lat, lon, alt),
        vel_east_mps=vel[0],
        vel_north_mps=vel[1],
        cov_enu=covariance(sigma, sigma),
    )
    event = out_event(state)
    assert_same(read_back(encode(event, protocol)), event)
    # what XML 1.0 cannot carry (controls, lone surrogates) is left out, the rest kept
    kept = "".join(c for c in track_id if c in "\t\n\r" or (c >= " " and c.isprintable()))
    assert all(c in event.uid for c in kept if c.isalnum())


# --- _flow-tags_ -----------------------------------------------------------------------------


def pytak_event_with_flow_tags() -> bytes:
    element = pytak.cot_event(
        lat=52.0, lon=23.0, ce=15.0, hae=150.0, le=8.0, uid="atak-7", cot_type="a-f-G-U-C"
    )
    detail = element.find("detail")
    assert detail is not None
    pytak.add_remarks(detail, ["relayed"])
    data: bytes = pytak.serialize_cot(element)
    assert b"<_flow-tags_" in data
    return data


def test_strip_flow_tags_xml() -> None:
    original = pytak_event_with_flow_tags()
    stripped = strip_flow_tags(original)
    assert b"_flow-tags_" not in stripped
    before, after = read_back(original), read_back(stripped)
    assert "_flow-tags_" in before.detail.xmlDetail
    for name in ("uid", "type", "how", "sendTime", "staleTime", "lat", "lon", "ce", "hae", "le"):
        assert getattr(after, name) == getattr(before, name), name
    assert "<remarks>relayed</remarks>" in after.detail.xmlDetail


def test_strip_flow_tags_protocol1() -> None:
    payload = bytes(takproto.xml2proto(pytak_event_with_flow_tags()))[3:]  # mesh header off
    stripped = strip_flow_tags_message(payload)
    after = takproto.parse_mesh(b"\xbf\x01\xbf" + stripped).cotEvent
    assert "_flow-tags_" not in after.detail.xmlDetail
    assert "<remarks>relayed</remarks>" in after.detail.xmlDetail
    assert after.uid == "atak-7"
    clean = tak_message(out_event())
    assert strip_flow_tags_message(clean) == clean


def test_dronewarn_never_writes_flow_tags() -> None:
    for event in (out_event(), warning_event(warning(), CONFIG, NOW_S)):
        assert event is not None
        for data in (encode_xml(event), encode_stream(event), encode_mesh(event)):
            assert b"flow-tags" not in data


def test_strip_refuses_hostile_xml() -> None:
    from dronewarn.domain.errors import FieldValueError, UnsupportedError

    with pytest.raises(UnsupportedError):
        strip_flow_tags(b'<!DOCTYPE e [<!ENTITY a "b">]><event>&a;</event>')
    with pytest.raises(FieldValueError):
        strip_flow_tags(b"<event><detail>")
    with pytest.raises(FieldValueError):
        strip_flow_tags_message(b"\x12\xff\xff")
