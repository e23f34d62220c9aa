"""Acoustic detection schema: round trips, one typed error per bad field, topics, fuzzing."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewarn.domain.errors import (
    DecodeError,
    FieldValueError,
    TruncatedError,
    UnsupportedError,
)
from dronewarn.domain.report import BearingMeasurement, ClassHint, GeoPoint, ObjectClass, Report
from dronewarn.domain.sensor import SensorConfig, SensorKind
from dronewarn.formats.acoustic import (
    SCHEMA_VERSION,
    AcousticClass,
    AcousticConfig,
    AcousticDetection,
    OversizePayloadError,
    TopicError,
    decode_message,
    decode_payload,
    detection_from_report,
    encode_batch,
    encode_detection,
    gateway_topic,
    node_topic,
    parse_topic,
    topic_filter,
)
from dronewarn.sense.ingest import Sense

CONFIG = AcousticConfig("ua-acoustic", "ua", default_radius_m=1800.0)
GOOD: dict[str, object] = {
    "v": 1,
    "node": "lv-0412",
    "lat": 50.45012,
    "lon": 30.52341,
    "alt_m": 168.0,
    "t_ms": 1757466123456,
    "conf": 0.87,
    "cls": "shahed",
    "brg_deg": 231.5,
    "brg_sd_deg": 8.0,
    "r_m": 2500,
}


def _payload(**changes: object) -> bytes:
    """GOOD with keys replaced (a value of ``...`` removes the key)."""
    obj = {k: v for k, v in {**GOOD, **changes}.items() if v is not ...}
    return json.dumps(obj).encode()


def _only_error(payload: bytes) -> DecodeError:
    decoded = decode_payload(payload)
    assert decoded.detections == ()
    assert len(decoded.errors) == 1
    return decoded.errors[0]


# ---------------------------------------------------------------- decoding good input


def test_documented_example_decodes_field_for_field() -> None:
    decoded = decode_payload(_payload())
    assert decoded.errors == () and not decoded.batch
    assert decoded.detections == (
        AcousticDetection(
            version=1,
            node_id="lv-0412",
            lat_deg=50.45012,
            lon_deg=30.52341,
            time_ms=1757466123456,
            confidence=0.87,
            acoustic_class=AcousticClass.SHAHED,
            alt_m=168.0,
            bearing_deg=231.5,
            sigma_bearing_deg=8.0,
            radius_m=2500.0,
        ),
    )


def test_report_is_a_bearing_measurement_with_a_class_hint() -> None:
    message = decode_message(node_topic("ua", "lv-0412"), _payload(), CONFIG)
    assert message.errors == []
    assert message.reports == [
        Report(
            sensor_id="ua-acoustic",
            time_s=1757466123.456,
            measurement=BearingMeasurement(
                site=GeoPoint(50.45012, 30.52341, 168.0),
                radius_m=2500.0,
                bearing_deg=231.5,
                sigma_bearing_deg=8.0,
            ),
            class_hint=ClassHint(ObjectClass.SHAHED, 0.87),
            source="mqtt:dronewarn/acoustic/ua/lv-0412",
        )
    ]


def test_optional_fields_absent_or_null_take_defaults() -> None:
    payload = _payload(alt_m=None, brg_deg=..., brg_sd_deg=..., r_m=..., cls="unknown")
    (report,) = decode_message(node_topic("ua", "lv-0412"), payload, CONFIG).reports
    assert report.measurement == BearingMeasurement(GeoPoint(50.45012, 30.52341, None), 1800.0)
    assert report.class_hint is None  # "unknown" says nothing about the class


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        ("shahed", ObjectClass.SHAHED),
        ("gerbera", ObjectClass.GERBERA),
        ("jet", ObjectClass.JET_DRONE),
        ("rotor", ObjectClass.MULTIROTOR),
        ("crewed", ObjectClass.CREWED),
        ("clutter", ObjectClass.BIRD_CLUTTER),
    ],
)
def test_every_class_maps_to_an_object_class(cls: str, expected: ObjectClass) -> None:
    (report,) = decode_message(node_topic("ua", "lv-0412"), _payload(cls=cls), CONFIG).reports
    assert report.class_hint == ClassHint(expected, 0.87)


def test_reports_pass_the_sense_entry_point() -> None:
    rejected: list[object] = []
    sense = Sense(
        {"ua-acoustic": SensorConfig("ua-acoustic", SensorKind.ACOUSTIC)},
        lambda report, error: rejected.append(error),
    )
    reports = decode_message(node_topic("ua", "lv-0412"), _payload(), CONFIG).reports
    assert sense.ingest(reports, now_s=1757466124.0) == reports and not rejected


# ---------------------------------------------------------------- round trips


def _floats(
    low: float, high: float, *, open_low: bool = False, open_high: bool = False
) -> st.SearchStrategy[float]:
    return st.floats(
        low,
        high,
        allow_nan=False,
        allow_infinity=False,
        exclude_min=open_low,
        exclude_max=open_high,
    )


detections = st.builds(
    AcousticDetection,
    version=st.just(SCHEMA_VERSION),
    node_id=st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True),
    lat_deg=_floats(-90.0, 90.0),
    lon_deg=_floats(-180.0, 180.0),
    time_ms=st.integers(0, 4_102_444_799_999),
    confidence=_floats(0.0, 1.0),
    acoustic_class=st.sampled_from(AcousticClass),
    alt_m=st.none() | _floats(-1000.0, 9000.0),
    bearing_deg=st.none(),
    sigma_bearing_deg=st.none(),
    radius_m=st.none() | _floats(0.0, 50_000.0, open_low=True),
)


@st.composite
def any_detection(draw: st.DrawFn) -> AcousticDetection:
    detection = draw(detections)
    if draw(st.booleans()):
        return detection
    bearing = draw(_floats(0.0, 360.0, open_high=True))
    sigma = draw(_floats(0.0, 180.0, open_low=True))
    return AcousticDetection(
        detection.version,
        detection.node_id,
        detection.lat_deg,
        detection.lon_deg,
        detection.time_ms,
        detection.confidence,
        detection.acoustic_class,
        detection.alt_m,
        bearing,
        sigma,
        detection.radius_m,
    )


@given(any_detection())
def test_encode_decode_round_trip(detection: AcousticDetection) -> None:
    decoded = decode_payload(encode_detection(detection))
    assert decoded.errors == ()
    assert decoded.detections == (detection,)


@given(st.lists(any_detection(), min_size=1, max_size=20))
@settings(max_examples=30)
def test_batch_round_trip(batch: list[AcousticDetection]) -> None:
    decoded = decode_payload(encode_batch(batch))
    assert decoded.batch and decoded.errors == ()
    assert decoded.detections == tuple(batch)
    assert decoded.indices == tuple(range(len(batch)))


def test_simulated_report_encodes_to_what_decodes_back() -> None:
    report = Report(
        "sim-acoustic",
        1757466123.4564,
        BearingMeasurement(GeoPoint(52.1, 23.9, 0.0), 2000.0, 45.25, 10.0),
        ClassHint(ObjectClass.GERBERA, 0.6),
        source="sim-acoustic/n00017",
    )
    detection = detection_from_report(report, "n00017")
    assert detection.time_ms == 1757466123456 and detection.acoustic_class is AcousticClass.GERBERA
    (back,) = decode_message(
        node_topic("ua", "n00017"), encode_detection(detection), CONFIG
    ).reports
    assert back.measurement == report.measurement and back.class_hint == report.class_hint
    assert back.time_s == pytest.approx(report.time_s, abs=5e-4)


# ---------------------------------------------------------------- one typed error per bad field

BAD_FIELDS: list[tuple[dict[str, object], str]] = [
    ({"node": ...}, "node"),
    ({"lat": ...}, "lat"),
    ({"lon": ...}, "lon"),
    ({"t_ms": ...}, "t_ms"),
    ({"conf": ...}, "conf"),
    ({"cls": ...}, "cls"),
    ({"v": ...}, "v"),
    ({"v": "1"}, "v"),
    ({"v": True}, "v"),
    ({"node": ""}, "node"),
    ({"node": "a/b"}, "node"),
    ({"node": "x" * 65}, "node"),
    ({"node": 17}, "node"),
    ({"lat": True}, "lat"),
    ({"lat": "50.4"}, "lat"),
    ({"lat": 90.0001}, "lat"),
    ({"lat": -91}, "lat"),
    ({"lon": 180.5}, "lon"),
    ({"lon": None}, "lon"),
    ({"alt_m": 9001}, "alt_m"),
    ({"alt_m": "high"}, "alt_m"),
    ({"t_ms": 1757466123456.0}, "t_ms"),
    ({"t_ms": "2025-09-10T01:02:03"}, "t_ms"),  # a (naive) ISO time where ms belong
    ({"t_ms": "2025-09-10T01:02:03Z"}, "t_ms"),
    ({"t_ms": -1}, "t_ms"),
    ({"t_ms": 1757466123456000}, "t_ms"),  # microseconds
    ({"conf": 1.01}, "conf"),
    ({"conf": -0.01}, "conf"),
    ({"conf": [0.5]}, "conf"),
    ({"cls": "ufo"}, "cls"),
    ({"cls": 3}, "cls"),
    ({"brg_deg": 360.0}, "brg_deg"),
    ({"brg_deg": -0.5}, "brg_deg"),
    ({"brg_deg": 400}, "brg_deg"),
    ({"brg_deg": ...}, "brg_deg"),  # brg_sd_deg alone: its bearing is missing
    ({"brg_sd_deg": ...}, "brg_sd_deg"),
    ({"brg_sd_deg": 0.0}, "brg_sd_deg"),
    ({"brg_sd_deg": 181}, "brg_sd_deg"),
    ({"r_m": 0}, "r_m"),
    ({"r_m": 50001}, "r_m"),
    ({"bearing": 10.0}, "bearing"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_FIELDS)
def test_each_bad_field_is_named(changes: dict[str, object], field: str) -> None:
    error = _only_error(_payload(**changes))
    assert type(error) is FieldValueError
    assert error.field == field
    assert error.kind == "bad_field"
    assert str(error).startswith(field)


@pytest.mark.parametrize(
    ("literal", "field"),
    [("NaN", "lat"), ("Infinity", "conf"), ("-Infinity", "brg_deg"), ("1e999", "lon")],
)
def test_non_finite_numbers_are_named(literal: str, field: str) -> None:
    text = _payload(**{field: 12345.5}).decode().replace("12345.5", literal)
    error = _only_error(text.encode())
    assert type(error) is FieldValueError and error.field == field


def test_another_version_is_unsupported_even_with_other_fields() -> None:
    error = _only_error(_payload(v=2))
    assert type(error) is UnsupportedError and error.field == "v" and error.kind == "unsupported"
    error = _only_error(b'{"v":2,"id":"n1","pos":[50,23]}')
    assert type(error) is UnsupportedError and error.field == "v"


@pytest.mark.parametrize(
    ("payload", "error_type", "field"),
    [
        (b'{"v":1,"node":"n1"', TruncatedError, "payload"),
        (b"", TruncatedError, "payload"),
        (b'{"v":1,}', FieldValueError, "payload"),
        (b"\xff\xfe{}", FieldValueError, "payload"),
        (b'{"v":1} trailing', FieldValueError, "payload"),
        (b"[" * 10_000, FieldValueError, "payload"),
        (b"42", FieldValueError, "$"),
        (b"null", FieldValueError, "$"),
        (b'"v"', FieldValueError, "$"),
        (b"[]", FieldValueError, "$"),
        (b"[" + b"{}," * 1000 + b"{}]", FieldValueError, "$"),
    ],
)
def test_unusable_payloads_raise(payload: bytes, error_type: type[DecodeError], field: str) -> None:
    with pytest.raises(error_type) as raised:
        decode_payload(payload)
    assert type(raised.value) is error_type and raised.value.field == field


def test_truncation_reports_its_offset() -> None:
    with pytest.raises(TruncatedError) as raised:
        decode_payload(b'{"v":1,"node":"n1"')
    assert raised.value.offset == 18 and raised.value.data == b'{"v":1,"node":"n1"'


def test_oversize_payload_is_refused_unread() -> None:
    payload = _payload(node="n" * 60) + b" " * 70_000
    with pytest.raises(OversizePayloadError) as raised:
        decode_payload(payload)
    assert raised.value.kind == "oversize" and raised.value.field == "payload"
    assert len(raised.value.data) == 512
    assert len(decode_payload(payload, max_bytes=80_000).detections) == 1


def test_a_bad_element_does_not_spoil_its_batch() -> None:
    good = json.loads(_payload())
    batch = [good, {**good, "conf": 2}, 7, {**good, "v": 3}, {**good, "brg_deg": None}, good]
    decoded = decode_payload(json.dumps(batch).encode())
    assert decoded.indices == (0, 5) and len(decoded.detections) == 2
    fields = [(type(e).__name__, e.field) for e in decoded.errors]
    assert fields == [
        ("FieldValueError", "[1].conf"),
        ("FieldValueError", "[2]"),
        ("UnsupportedError", "[3].v"),
        ("FieldValueError", "[4].brg_deg"),
    ]
    message = decode_message(node_topic("ua", "lv-0412"), json.dumps(batch).encode(), CONFIG)
    assert [r.source for r in message.reports] == [
        "mqtt:dronewarn/acoustic/ua/lv-0412[0]",
        "mqtt:dronewarn/acoustic/ua/lv-0412[5]",
    ]
    assert len(message.errors) == 4


# ---------------------------------------------------------------- topics


def test_topic_layout() -> None:
    assert topic_filter("ua") == "dronewarn/acoustic/ua/#"
    assert parse_topic(node_topic("ua", "lv-0412"), "ua").node_id == "lv-0412"
    gateway = parse_topic(gateway_topic("ua", "gw-7"), "ua")
    assert gateway.gateway_id == "gw-7" and gateway.node_id is None
    assert parse_topic("dronewarn/acoustic/ua/gw", "ua").node_id == "gw"  # a node called gw


@pytest.mark.parametrize(
    "topic",
    [
        "dronewarn/acoustic/pl/n1",
        "dronewarn/acoustic/ua",
        "dronewarn/acoustic/ua/",
        "dronewarn/acoustic/ua/n1/extra",
        "dronewarn/acoustic/ua/gw/",
        "dronewarn/acoustic/ua/gw/a/b",
        "dronewarn/acoustic/ua/n 1",
        "dronewarn/radar/ua/n1",
    ],
)
def test_topics_outside_the_layout_are_refused(topic: str) -> None:
    with pytest.raises(TopicError) as raised:
        decode_message(topic, _payload(), CONFIG)
    assert raised.value.field == "topic" and raised.value.kind == "bad_topic"


def test_node_topic_must_name_the_payloads_node() -> None:
    with pytest.raises(TopicError) as raised:
        decode_message(node_topic("ua", "lv-0413"), _payload(), CONFIG)
    assert raised.value.field == "node"
    batch = encode_batch(
        [
            *decode_payload(_payload()).detections,
            *decode_payload(_payload(node="lv-9")).detections,
        ]
    )
    with pytest.raises(TopicError) as raised:
        decode_message(node_topic("ua", "lv-0412"), batch, CONFIG)
    assert raised.value.field == "[1].node"
    relayed = decode_message(gateway_topic("ua", "gw-7"), batch, CONFIG)
    assert len(relayed.reports) == 2 and relayed.reports[1].source.endswith("gw/gw-7[1]")


# ---------------------------------------------------------------- no crash on any input


@given(st.binary(max_size=300))
@settings(max_examples=300)
def test_random_bytes_only_ever_raise_decode_errors(payload: bytes) -> None:
    try:
        decoded = decode_payload(payload)
    except DecodeError:
        return
    assert all(isinstance(e, DecodeError) for e in decoded.errors)


json_values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(list(GOOD.values()))
    | st.lists(st.integers(), max_size=2)
)


@given(st.lists(st.tuples(st.sampled_from([*GOOD, "x"]), json_values), max_size=4))
@settings(max_examples=150)
def test_random_objects_decode_or_name_a_field(changes: list[tuple[str, object]]) -> None:
    payload = json.dumps({**GOOD, **dict(changes)}).encode()
    try:
        message = decode_message(node_topic("ua", "lv-0412"), payload, CONFIG)
    except DecodeError as raised:
        assert raised.field
        return
    assert all(error.field for error in message.errors)
    for report in message.reports:
        m = report.measurement
        assert isinstance(m, BearingMeasurement)
        assert math.isfinite(m.site.lat_deg) and math.isfinite(report.time_s)
