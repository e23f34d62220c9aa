"""CoT input: MITRE's sample pinned field by field, hostile XML refused, TAK protocol 1 from
takproto, and the TCP stream cut at arbitrary places."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import takproto
from hypothesis import given, settings
from hypothesis import strategies as st
from takproto.proto import TakMessage

from dronewarn.domain.errors import (
    DecodeError,
    FieldValueError,
    TruncatedError,
    UnsupportedError,
)
from dronewarn.domain.report import ObjectClass, PositionMeasurement
from dronewarn.formats.cot.decode import (
    MAX_EVENT_BYTES,
    UnsafeXmlError,
    decode_datagram,
    decode_tak_message,
    decode_xml,
    parse_cot_time,
)
from dronewarn.formats.cot.event import CotEvent, TakProtocol
from dronewarn.formats.cot.reports import CotReportConfig, class_hint_of_type, cot_report
from dronewarn.formats.cot.stream import CotStreamSplitter, StreamItem, decode_stream_message
from dronewarn.sense.ingest import check_report

# 2008-12-11T00:00:00Z = 14,224 days after the epoch (38 years with 9 leap days, then 345
# days into leap year 2008) = 1,228,953,600 s.
DAY_S = 1_228_953_600.0
TIME_S = DAY_S + 18 * 3600 + 45 * 60 + 34  # 18:45:34.00Z
STALE_S = DAY_S + 19 * 3600 + 19 * 60 + 2.12  # 19:19:02.12Z


@pytest.fixture(scope="module")
def globalhawk(samples_dir: Path) -> bytes:
    return (samples_dir / "cot" / "mitre_globalhawk_cot.xml").read_bytes()


def event_xml(
    *,
    uid: str = "test-1",
    cot_type: str = "a-h-A-M-F-Q",
    time: str = "2024-05-01T12:00:00Z",
    start: str = "2024-05-01T12:00:00Z",
    stale: str = "2024-05-01T12:05:00Z",
    point: str = 'lat="52.1" lon="23.4" hae="300" ce="25" le="10"',
    detail: str = "",
) -> bytes:
    return (
        f'<event version="2.0" uid="{uid}" type="{cot_type}" how="m-g" time="{time}" '
        f'start="{start}" stale="{stale}"><point {point}/>{detail}</event>'
    ).encode()


# --- the real sample -------------------------------------------------------------------------


def test_globalhawk_golden(globalhawk: bytes) -> None:
    event = decode_xml(globalhawk)
    assert event.uid == "GLOBALHAWK.30"
    assert event.type == "a-f-A-M-F-R-X"
    assert event.how == "m-s"
    assert event.time_s == TIME_S == 1_229_021_134.0
    assert event.start_s == TIME_S
    assert event.stale_s == pytest.approx(STALE_S, abs=1e-6)
    assert event.lat_deg == 8.796735
    assert event.lon_deg == -15.365738
    assert event.hae_m == 19397.6
    assert event.ce_m == 20.0
    assert event.le_m == 20.0
    assert event.course_deg == 124.8777771
    assert event.speed_mps == 216.466522217
    assert event.callsign == "LONGLOOK94"
    assert event.remarks is None
    assert event.qos == "2-r-d"
    assert event.opex == "s-"
    assert event.protocol is TakProtocol.XML
    assert event.detail_xml.startswith("<detail>")
    assert '<attitude pitch="1.480173" roll="0.07213" />' in event.detail_xml
    assert "_flow-tags_" in event.detail_xml  # kept as received; stripped only when relayed


def test_globalhawk_report(globalhawk: bytes) -> None:
    report = cot_report(decode_xml(globalhawk), "tak-gw")
    assert report is not None
    check_report(report)
    assert report.sensor_id == "tak-gw"
    assert report.time_s == TIME_S
    assert report.source == "cot:GLOBALHAWK.30"
    measurement = report.measurement
    assert isinstance(measurement, PositionMeasurement)
    assert (measurement.point.lat_deg, measurement.point.lon_deg) == (8.796735, -15.365738)
    assert measurement.point.alt_m == 19397.6
    assert measurement.sigma_h_m == 20.0  # ce is CoT's one-sigma circular error
    assert measurement.sigma_v_m == 20.0
    # A-M-F-R-X (photographic reconnaissance) does not say crewed or drone: no class claimed
    assert report.class_hint is None


SAME_IN_BOTH = (
    *("uid", "type", "how", "time_s", "start_s", "lat_deg", "lon_deg", "hae_m", "ce_m"),
    *("le_m", "course_deg", "speed_mps", "callsign", "qos", "opex"),
)


def test_protocol1_from_takproto_matches_xml(globalhawk: bytes) -> None:
    from_xml = decode_xml(globalhawk)
    mesh = bytes(takproto.xml2proto(globalhawk, takproto.TAKProtoVer.MESH))
    stream = bytes(takproto.xml2proto(globalhawk, takproto.TAKProtoVer.STREAM))
    assert mesh[:3] == b"\xbf\x01\xbf"
    for event in (decode_datagram(mesh), decode_stream_message(stream)):
        assert event.protocol is TakProtocol.PROTOBUF
        for name in SAME_IN_BOTH:
            assert getattr(event, name) == getattr(from_xml, name), name
        # takproto turns the stale time into whole milliseconds by truncating
        assert event.stale_s == pytest.approx(from_xml.stale_s, abs=1e-3)
        assert "<attitude" in event.detail_xml  # the untyped detail travels as xmlDetail


# --- protocol 1 built field by field ---------------------------------------------------------


def tak_message(**fields: object) -> bytes:
    message = TakMessage()
    cot = message.cotEvent
    values: dict[str, object] = {
        "type": "a-h-A-M-H-Q",
        "uid": "pb-1",
        "how": "m-f",
        "sendTime": 1_714_564_800_250,
        "startTime": 1_714_564_800_250,
        "staleTime": 1_714_564_830_250,
        "lat": 50.5,
        "lon": 30.25,
        "hae": 9_999_999.0,
        "ce": 35.0,
        "le": 9_999_999.0,
    }
    values.update(fields)
    for name, value in values.items():
        setattr(cot, name, value)
    cot.detail.contact.callsign = "DRONE 1"
    cot.detail.track.course = 270.0
    cot.detail.track.speed = 12.5
    cot.detail.xmlDetail = "<remarks>seen by PL-3</remarks>"
    payload: bytes = message.SerializeToString()
    return payload


def test_protocol1_fields() -> None:
    event = decode_tak_message(tak_message())
    assert event == CotEvent(
        uid="pb-1",
        type="a-h-A-M-H-Q",
        how="m-f",
        time_s=1_714_564_800.25,
        start_s=1_714_564_800.25,
        stale_s=1_714_564_830.25,
        lat_deg=50.5,
        lon_deg=30.25,
        hae_m=None,
        ce_m=35.0,
        le_m=None,
        course_deg=270.0,
        speed_mps=12.5,
        callsign="DRONE 1",
        remarks="seen by PL-3",
        detail_xml=event.detail_xml,
        protocol=TakProtocol.PROTOBUF,
    )
    report = cot_report(event, "tak")
    assert report is not None
    assert report.class_hint is not None
    assert report.class_hint.object_class is ObjectClass.MULTIROTOR
    assert isinstance(report.measurement, PositionMeasurement)
    assert report.measurement.point.alt_m is None
    assert report.measurement.sigma_v_m is None


def test_protocol1_refusals() -> None:
    control = TakMessage()
    control.takControl.minProtoVersion = 1
    with pytest.raises(UnsupportedError):
        decode_tak_message(control.SerializeToString())
    with pytest.raises(FieldValueError):
        decode_tak_message(b"\x12\xff\xff\xff\xff\x0f")  # a length past the end
    with pytest.raises(FieldValueError, match="UTF-8"):
        decode_tak_message(b"\x12\x03\x2a\x01\xff")  # uid with a bad UTF-8 byte
    with pytest.raises(UnsupportedError) as version:
        decode_datagram(b"\xbf\x02\xbf" + tak_message())
    assert version.value.field == "version"
    with pytest.raises(FieldValueError):
        decode_datagram(b"\xbf\x01\x00" + tak_message())
    with pytest.raises(FieldValueError) as stale:
        decode_tak_message(tak_message(staleTime=1_714_564_700_000))
    assert stale.value.field == "stale"
    with pytest.raises(FieldValueError) as missing:
        decode_tak_message(tak_message(sendTime=0))
    assert missing.value.field == "sendTime"
    with pytest.raises(FieldValueError):
        decode_tak_message(tak_message(lat=float("nan")))
    with pytest.raises(FieldValueError):
        decode_tak_message(tak_message(lon=180.5))


def test_truncated_mesh_datagrams() -> None:
    whole = b"\xbf\x01\xbf" + tak_message()
    for cut in range(len(whole)):
        with pytest.raises(DecodeError):
            decode_datagram(whole[:cut])
    with pytest.raises(TruncatedError):
        decode_datagram(b"\xbf\x01")


# --- hostile and broken XML ------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE event [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<event version="2.0" uid="&lol9;" type="a-h-A" how="m-g" time="2024-05-01T12:00:00Z"
 start="2024-05-01T12:00:00Z" stale="2024-05-01T12:05:00Z"><point lat="0" lon="0"/></event>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE event [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<event uid="x" type="a-h-A" how="m-g" time="2024-05-01T12:00:00Z" start="2024-05-01T12:00:00Z"
 stale="2024-05-01T12:05:00Z"><point lat="0" lon="0"/><detail><remarks>&xxe;</remarks></detail>
</event>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE event SYSTEM "http://127.0.0.1:1/cot.dtd">
<event uid="x"/>"""
PARAMETER_ENTITY = b"""<!DOCTYPE event [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>
<event uid="x"/>"""


@pytest.mark.parametrize(
    "document", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY]
)
def test_dtds_and_entities_are_refused(document: bytes) -> None:
    with pytest.raises(UnsafeXmlError) as refused:
        decode_xml(document)
    assert refused.value.kind == "unsafe_xml"
    assert refused.value.data == document
    # the same through the stream: one typed error, nothing else
    splitter = CotStreamSplitter()
    items = splitter.feed(document) + splitter.close()
    assert [type(item) for item in items] == [UnsafeXmlError]


def test_undeclared_entity_is_an_error() -> None:
    with pytest.raises(FieldValueError, match="undefined entity"):
        decode_xml(event_xml(detail="<detail><remarks>&lol;</remarks></detail>"))


def test_truncated_xml(globalhawk: bytes) -> None:
    end = globalhawk.rindex(b"</event>") + len(b"</event>")
    for cut in range(end):
        with pytest.raises(TruncatedError):
            decode_xml(globalhawk[:cut])
    splitter = CotStreamSplitter()
    assert splitter.feed(globalhawk[: end - 3]) == []
    (left,) = splitter.close()
    assert isinstance(left, TruncatedError)


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (event_xml(time="2024-05-01T12:00:00"), "time"),  # no zone: naive, refused
        (event_xml(start="2024-13-01T12:00:00Z"), "start"),
        (event_xml(stale="2024-02-30T12:00:00Z"), "stale"),
        (event_xml(time="yesterday"), "time"),
        (event_xml(time="\uff12024-05-01T12:00:00Z"), "time"),  # a full-width digit
        (event_xml(stale="2024-05-01T11:59:59Z"), "stale"),  # stale before start
        (event_xml(point='lat="91" lon="0"'), "point.lat"),
        (event_xml(point='lat="0" lon="-180.5"'), "point.lon"),
        (event_xml(point='lat="NaN" lon="0"'), "point.lat"),
        (event_xml(point='lat="1e999" lon="0"'), "point.lat"),
        (event_xml(point='lon="0"'), "point.lat"),
        (event_xml(point='lat="0" lon="0" ce="-5"'), "point.ce"),
        (event_xml(detail='<detail><track course="4" speed="-1"/></detail>'), "detail.track.speed"),
        (event_xml(time="1969-12-31T23:59:59Z", start="1969-12-31T23:59:59Z"), "time"),
        (event_xml(uid=""), "uid"),
        (event_xml(cot_type="a h"), "type"),
        (
            event_xml(detail='<detail><track course="400" speed="3"/></detail>'),
            "detail.track.course",
        ),
        (
            event_xml(detail='<detail><track course="4" speed="fast"/></detail>'),
            "detail.track.speed",
        ),
    ],
)
def test_bad_fields(document: bytes, field: str) -> None:
    with pytest.raises(FieldValueError) as bad:
        decode_xml(document)
    assert bad.value.field == field


def test_structure_refusals() -> None:
    with pytest.raises(UnsupportedError):
        decode_xml(b'<?xml version="1.0"?><not-an-event/>')
    with pytest.raises(FieldValueError) as points:
        decode_xml(event_xml(detail='<point lat="1" lon="1"/>'))
    assert points.value.field == "point"
    deep = "<a>" * 100 + "</a>" * 100
    with pytest.raises(FieldValueError, match="nested"):
        decode_xml(event_xml(detail=f"<detail>{deep}</detail>"))
    huge = event_xml(detail=f"<detail><remarks>{'x' * MAX_EVENT_BYTES}</remarks></detail>")
    with pytest.raises(FieldValueError, match="exceeds"):
        decode_xml(huge)
    with pytest.raises(FieldValueError):
        decode_xml(b'<?xml version="1.0" encoding="no-such-codec"?><event/>')


def test_times_and_unknowns() -> None:
    assert parse_cot_time("2002-10-05T18:00:23Z") == parse_cot_time("2002-10-05T20:00:23+02:00")
    assert parse_cot_time("2002-10-05T18:00:23.123456789Z") == pytest.approx(
        parse_cot_time("2002-10-05T18:00:23Z") + 0.123456789
    )
    event = decode_xml(event_xml(point='lat="0" lon="0" hae="9999999" ce="9999999.0" le="999999"'))
    assert (event.hae_m, event.ce_m, event.le_m) == (None, None, None)
    report = cot_report(event, "s", CotReportConfig(unknown_ce_sigma_m=750.0))
    assert report is not None
    assert isinstance(report.measurement, PositionMeasurement)
    assert report.measurement.sigma_h_m == 750.0
    exact = decode_xml(event_xml(point='lat="0" lon="0" hae="10" ce="0" le="0"'))
    report = cot_report(exact, "s", CotReportConfig(min_sigma_m=2.0))
    assert report is not None
    assert isinstance(report.measurement, PositionMeasurement)
    assert (report.measurement.sigma_h_m, report.measurement.sigma_v_m) == (2.0, 2.0)


# --- types to reports ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cot_type", "expected"),
    [
        ("a-h-A-M-H-Q", ObjectClass.MULTIROTOR),
        ("a-u-A-C-H-Q", ObjectClass.MULTIROTOR),
        ("a-h-A-M-F-Q", None),  # fixed-wing UAV: Gerbera, Shahed or jet drone, CoT can't say
        ("a-f-A-M-F-Q-r", None),
        ("a-n-A-C-F", ObjectClass.CREWED),
        ("a-n-A-C", ObjectClass.CREWED),
        ("a-f-A-M-F-F", None),  # a military fixed-wing is not assumed crewed
        ("a-h-A", None),
        ("a-h-A-W-M", None),
    ],
)
def test_class_hints(cot_type: str, expected: ObjectClass | None) -> None:
    hint = class_hint_of_type(cot_type, 0.5)
    assert (hint.object_class if hint else None) is expected


@pytest.mark.parametrize("cot_type", ["a-f-G-U-C", "a-h-S", "b-m-p-s-p-i", "t-x-d-d", "a"])
def test_non_air_events_are_not_reports(cot_type: str) -> None:
    assert cot_report(decode_xml(event_xml(cot_type=cot_type)), "tak") is None


# --- the stream ------------------------------------------------------------------------------

TRICKY = event_xml(
    uid="tricky",
    detail=(
        "<detail><!-- </event> in a comment --><remarks a='x>y' b=\"/>\">"
        "<![CDATA[ </event> <event> ]]></remarks><empty/></detail>"
    ),
)


def stream_parts(globalhawk: bytes) -> list[tuple[str, bytes]]:
    proto_source = globalhawk.replace(b"GLOBALHAWK.30", b"proto-1")
    return [
        ("GLOBALHAWK.30", globalhawk),
        ("tricky", TRICKY),
        ("plain", b"\r\n" + event_xml(uid="plain") + b"\n"),
        ("proto-1", bytes(takproto.xml2proto(proto_source, takproto.TAKProtoVer.STREAM))),
        ("single", event_xml(uid="single").replace(b'"', b"'")),
    ]


def feed_chunks(data: bytes, cuts: list[int]) -> tuple[list[StreamItem], int]:
    splitter = CotStreamSplitter()
    items: list[StreamItem] = []
    most = 0
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        items += splitter.feed(data[start:cut])
        most = max(most, splitter.buffered)
        start = cut
    return items + splitter.close(), most


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_stream_split_anywhere(globalhawk: bytes, data: st.DataObject) -> None:
    parts = stream_parts(globalhawk)
    chosen = data.draw(st.lists(st.sampled_from(parts), min_size=1, max_size=6))
    stream = b"".join(part for _, part in chosen)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=40))
    items, _ = feed_chunks(stream, cuts)
    assert all(isinstance(item, CotEvent) for item in items), items
    assert [item.uid for item in items if isinstance(item, CotEvent)] == [uid for uid, _ in chosen]


def test_stream_byte_by_byte(globalhawk: bytes) -> None:
    parts = stream_parts(globalhawk)
    stream = b"".join(part for _, part in parts)
    items, most = feed_chunks(stream, list(range(len(stream))))
    assert [item.uid for item in items if isinstance(item, CotEvent)] == [u for u, _ in parts]
    assert most <= max(len(part) for _, part in parts)


def test_stream_recovers_from_garbage_and_bad_events(globalhawk: bytes) -> None:
    stream = (
        b"junk!"
        + event_xml(uid="one")
        + event_xml(uid="bad", time="never")
        + b"</stray>"
        + event_xml(uid="two")
        + b"\xbf\x00"  # an empty protocol 1 message
        + BILLION_LAUGHS
        + globalhawk
    )
    splitter = CotStreamSplitter()
    items = splitter.feed(stream) + splitter.close()
    summary = [item.uid if isinstance(item, CotEvent) else type(item).__name__ for item in items]
    assert summary == [
        "FieldValueError",  # junk
        "one",
        "FieldValueError",  # bad time
        "FieldValueError",  # stray end tag
        "two",
        "FieldValueError",  # empty message
        "UnsafeXmlError",
        "GLOBALHAWK.30",
    ]
    errors = [item for item in items if isinstance(item, DecodeError)]
    assert errors[0].offset == 0
    assert errors[1].field == "time"
    assert errors[1].offset == stream.index(b'<event version="2.0" uid="bad"')


def test_oversized_events_are_skipped_not_buffered(globalhawk: bytes) -> None:
    remarks = "<detail><remarks>" + "x" * (3 * MAX_EVENT_BYTES) + "</remarks></detail>"
    huge_xml = event_xml(uid="huge", detail=remarks)
    declared = 10 * MAX_EVENT_BYTES  # 655,360 = 0x0A0000: varint 80 80 28
    huge_proto = b"\xbf\x80\x80\x28" + b"\0" * declared
    assert declared == 0x28 << 14
    stream = huge_xml + globalhawk + huge_proto + event_xml(uid="after")
    items, most = feed_chunks(stream, list(range(0, len(stream), 4096)))
    summary = [item.uid if isinstance(item, CotEvent) else str(item) for item in items]
    assert summary[1] == "GLOBALHAWK.30"
    assert summary[3] == "after"
    assert "longer than" in summary[0]
    assert "exceeds" in summary[2]
    assert len(items) == 4
    assert most <= MAX_EVENT_BYTES + 4096


def test_overlong_varint_is_an_error() -> None:
    splitter = CotStreamSplitter()
    items = splitter.feed(b"\xbf" + b"\xff" * 11 + event_xml(uid="after"))
    assert isinstance(items[0], FieldValueError)
    assert items[0].field == "varint"
    assert isinstance(items[-1], CotEvent)
    assert items[-1].uid == "after"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_events_or_typed_errors(data: bytes) -> None:
    splitter = CotStreamSplitter(max_event_bytes=256)
    for item in splitter.feed(data) + splitter.feed(data) + splitter.close():
        assert isinstance(item, CotEvent | DecodeError)
    for decode in (decode_xml, decode_datagram, decode_tak_message):
        with contextlib.suppress(DecodeError):
            decode(data)
