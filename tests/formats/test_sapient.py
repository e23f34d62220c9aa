"""SAPIENT (BSI Flex 335 v2.0): framing, decoding, validation, DetectionReport -> Report."""

from __future__ import annotations

import contextlib
import itertools
import math
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from sapient_msg.bsi_flex_335_v2_0 import location_pb2, range_bearing_pb2, velocity_pb2
from sapient_msg.bsi_flex_335_v2_0.sapient_message_pb2 import SapientMessage
from sapient_msg.bsi_flex_335_v2_0.status_report_pb2 import StatusReport

from dronewarn.domain.errors import DecodeError, FieldValueError, UnsupportedError
from dronewarn.domain.report import GeoPoint, ObjectClass, PolarMeasurement, PositionMeasurement
from dronewarn.formats.sapient.convert import (
    NodeContext,
    NoSiteError,
    SapientConfig,
    Skip,
    class_hint,
    detection_to_report,
    status_site,
)
from dronewarn.formats.sapient.framing import (
    MAX_MESSAGE_BYTES,
    Deframer,
    FrameTooLargeError,
    WireFormatError,
    frame,
)
from dronewarn.formats.sapient.messages import (
    ContentKind,
    SapientClass,
    SapientDetection,
    SapientRegistration,
    SapientStatus,
    decode_message,
)

NODE = "5f0c2d8e-6c55-4a5b-9a5e-6f1d3c2b1a00"
REPORT_ID = "01JD3M5W8K2XQ7R9T4V6B8N0CE"
OBJECT_ID = "01JD3M5W8K2XQ7R9T4V6B8N0CF"
TIME_S = 1_760_000_000.25
"""2025-10-09T08:53:20.25Z"""
CONFIG = SapientConfig()


def envelope(**kwargs: Any) -> SapientMessage:
    message = SapientMessage(node_id=NODE, **kwargs)
    message.timestamp.seconds = int(TIME_S)
    message.timestamp.nanos = 250_000_000
    return message


def detection(**location: Any) -> SapientMessage:
    """A DetectionReport at 52.1 N 23.5 E, 300 m, with the given location fields overridden."""
    message = envelope()
    report = message.detection_report
    report.report_id = REPORT_ID
    report.object_id = OBJECT_ID
    fields: dict[str, Any] = {
        "x": 23.5,
        "y": 52.1,
        "z": 300.0,
        "x_error": 0.0002,
        "y_error": 0.0001,
        "z_error": 15.0,
        "coordinate_system": location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M,
        "datum": location_pb2.LOCATION_DATUM_WGS84_E,
    }
    fields.update(location)
    for name, value in fields.items():
        if value is not None:
            setattr(report.location, name, value)
    return message


def classify(message: SapientMessage, *path: tuple[str, float | None]) -> SapientMessage:
    parent: Any = None
    for level, (name, confidence) in enumerate(path):
        node = (
            message.detection_report.classification.add()
            if parent is None
            else parent.sub_class.add()
        )
        node.type = name
        if level:
            node.level = level
        if confidence is not None:
            node.confidence = confidence
        parent = node
    return message


def decoded_detection(message: SapientMessage) -> tuple[Any, SapientDetection]:
    data = decode_message(message.SerializeToString())
    assert isinstance(data.content, SapientDetection)
    return data, data.content


# ----------------------------------------------------------------------------------- framing


@settings(max_examples=150, deadline=None)
@given(
    payloads=st.lists(st.binary(max_size=300), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=20),
)
def test_frames_split_at_any_byte_come_out_whole_and_in_order(
    payloads: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(frame(p) for p in payloads)
    bounds = sorted({0, len(stream), *(c for c in cuts if c < len(stream))})
    deframer = Deframer()
    got: list[tuple[int, bytes]] = []
    for start, end in itertools.pairwise(bounds):
        got += deframer.feed(stream[start:end])
    deframer.check_complete()
    offsets = [sum(4 + len(p) for p in payloads[:i]) for i in range(len(payloads))]
    assert got == list(zip(offsets, payloads, strict=True))
    assert deframer.pending == 0


def test_a_length_above_the_limit_is_refused_before_its_body_is_buffered() -> None:
    deframer = Deframer(max_message_bytes=MAX_MESSAGE_BYTES)
    good = frame(b"\x0a\x00")
    header = struct.pack("<I", MAX_MESSAGE_BYTES + 1)
    assert deframer.feed(good) == [(0, b"\x0a\x00")]
    with pytest.raises(FrameTooLargeError) as caught:
        deframer.feed(header + b"\x00" * 10)
    assert caught.value.kind == "oversize"
    assert caught.value.offset == len(good)
    assert caught.value.field == "length"
    assert caught.value.data == header
    assert deframer.pending == 0
    with pytest.raises(FrameTooLargeError):  # the stream has lost its framing for good
        deframer.feed(good)


def test_a_frame_at_the_limit_is_accepted() -> None:
    deframer = Deframer(max_message_bytes=64)
    assert deframer.feed(frame(b"x" * 64)) == [(0, b"x" * 64)]


def test_a_zero_length_frame_is_framed_and_its_empty_message_refused() -> None:
    deframer = Deframer()
    frames = deframer.feed(frame(b"") + frame(b"\x0a\x00"))
    assert frames == [(0, b""), (4, b"\x0a\x00")]
    with pytest.raises(FieldValueError) as caught:
        decode_message(b"", offset=0)
    assert caught.value.field == "timestamp"


def test_a_stream_that_stops_inside_a_frame_is_reported_truncated() -> None:
    deframer = Deframer()
    deframer.feed(frame(b"abc")[:5])
    with pytest.raises(DecodeError) as caught:
        deframer.check_complete()
    assert caught.value.kind == "truncated"
    assert caught.value.offset == 0


# ---------------------------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    ("data", "error", "field"),
    [
        (b"\xff\xff\xff", WireFormatError, "message"),
        (b"\x12\x02\xff\xfe", WireFormatError, "message"),  # node_id with bad UTF-8
        (b"\x0a\x05abc", WireFormatError, "message"),  # a length past the end
        (SapientMessage(node_id=NODE).SerializeToString(), FieldValueError, "timestamp"),
        (envelope().SerializeToString(), FieldValueError, "content"),
    ],
)
def test_garbage_is_refused_with_a_typed_error(
    data: bytes, error: type[DecodeError], field: str
) -> None:
    with pytest.raises(error) as caught:
        decode_message(data, offset=123)
    assert caught.value.field == field
    assert caught.value.offset == 123
    assert caught.value.data == data


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_decode_or_raise_a_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_message(data)


@settings(max_examples=300, deadline=None)
@given(
    position=st.integers(min_value=0, max_value=10_000),
    value=st.integers(min_value=0, max_value=255),
    cut=st.integers(min_value=0, max_value=10_000),
)
def test_damaged_detections_decode_and_convert_or_raise_a_decode_error(
    position: int, value: int, cut: int
) -> None:
    good = bytearray(classify(detection(), ("UAV", 0.9), ("Rotary Wing", 0.8)).SerializeToString())
    good[position % len(good)] = value
    damaged = bytes(good[: max(1, cut % (len(good) + 1))])
    try:
        message = decode_message(damaged)
        if isinstance(message.content, SapientDetection):
            detection_to_report(message, message.content, NodeContext("s1"), CONFIG)
    except DecodeError:
        pass


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda m: setattr(m, "node_id", "not-a-uuid"), "node_id"),
        (lambda m: setattr(m, "destination_id", "42"), "destination_id"),
        (lambda m: setattr(m.timestamp, "seconds", 5), "timestamp.seconds"),
        (lambda m: setattr(m.timestamp, "nanos", -1), "timestamp.nanos"),
        (lambda m: setattr(m.detection_report, "report_id", "1"), "detection_report.report_id"),
        (lambda m: m.detection_report.ClearField("object_id"), "detection_report.object_id"),
        (lambda m: m.detection_report.ClearField("location"), "detection_report.location_oneof"),
        (
            lambda m: m.detection_report.location.ClearField("datum"),
            "detection_report.location.datum",
        ),
        (
            lambda m: setattr(m.detection_report.location, "coordinate_system", 42),
            "detection_report.location.coordinate_system",
        ),
    ],
)
def test_envelope_and_content_are_validated_against_the_schema(mutate: Any, field: str) -> None:
    message = detection()
    mutate(message)
    with pytest.raises(FieldValueError) as caught:
        decode_message(message.SerializeToString())
    assert caught.value.field == field


def test_tasks_are_not_read() -> None:
    message = envelope()
    message.task.task_id = REPORT_ID
    with pytest.raises(UnsupportedError):
        decode_message(message.SerializeToString())


def test_an_incomplete_registration_is_decoded_with_its_problems() -> None:
    message = envelope()
    message.registration.icd_version = "SAPIENT v6"
    data = decode_message(message.SerializeToString())
    assert data.kind is ContentKind.REGISTRATION
    assert isinstance(data.content, SapientRegistration)
    problems = data.content.problems
    for missing in (
        "registration.node_definition: mandatory, empty",
        "registration.capabilities: mandatory, empty",
        "registration.status_definition: mandatory, missing",
        "registration.mode_definition: mandatory, empty",
        "registration.config_data: mandatory, empty",
    ):
        assert missing in problems
    assert any(p.startswith("registration.icd_version:") for p in problems)


def test_a_status_report_gives_the_node_site() -> None:
    message = envelope()
    status = message.status_report
    status.report_id = REPORT_ID
    status.system = StatusReport.SYSTEM_OK
    status.info = StatusReport.INFO_NEW
    status.mode = "default"
    status.node_location.x = 23.0
    status.node_location.y = 52.0
    status.node_location.z = 150.0
    status.node_location.coordinate_system = location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    status.node_location.datum = location_pb2.LOCATION_DATUM_WGS84_E
    data = decode_message(message.SerializeToString())
    assert isinstance(data.content, SapientStatus)
    assert data.content.system == "SYSTEM_OK"
    assert data.content.info == "INFO_NEW"
    assert status_site(data.content, CONFIG) == GeoPoint(52.0, 23.0, 150.0)


# ------------------------------------------------------------------------------ conversion


def test_a_location_report_becomes_a_position_report_golden() -> None:
    message = classify(detection(), ("Air Vehicle", 0.9), ("UAV", 0.8), ("Rotary Wing", 0.7))
    message.detection_report.enu_velocity.east_rate = 10.0
    message.detection_report.enu_velocity.north_rate = -5.0
    message.detection_report.enu_velocity.east_rate_error = 1.5
    data, content = decoded_detection(message)
    result = detection_to_report(data, content, NodeContext("cuas-1"), CONFIG)
    report = result.report
    assert report is not None
    assert report.sensor_id == "cuas-1"
    assert report.time_s == TIME_S
    assert report.source == f"sapient:{NODE}/{OBJECT_ID}/{REPORT_ID}"
    m = report.measurement
    assert isinstance(m, PositionMeasurement)
    assert m.point == GeoPoint(52.1, 23.5, 300.0)
    # By hand, WGS84 at 52.1 N: meridional radius 6,375,284 m, prime vertical 6,391,482 m.
    # east 2e-4 deg * pi/180 * 6,391,482 * cos(52.1) = 13.70 m; north 1e-4 deg -> 11.127 m;
    # sigma_h = sqrt((13.70^2 + 11.127^2) / 2) = 12.48 m.
    assert m.sigma_h_m == pytest.approx(12.4827, abs=1e-3)
    geod = Geod(ellps="WGS84")
    east = geod.inv(23.5, 52.1, 23.5002, 52.1)[2]
    north = geod.inv(23.5, 52.1, 23.5, 52.1001)[2]
    assert m.sigma_h_m == pytest.approx(math.sqrt((east**2 + north**2) / 2), rel=1e-4)
    assert m.sigma_v_m == 15.0
    assert report.class_hint is not None
    assert report.class_hint.object_class is ObjectClass.MULTIROTOR
    assert report.class_hint.confidence == pytest.approx(0.7)  # float32 on the wire
    assert result.velocity is not None
    assert (result.velocity.east_mps, result.velocity.north_mps) == (10.0, -5.0)
    assert result.velocity.sigma_east_mps == 1.5
    assert result.velocity.sigma_north_mps is None


def test_a_km_per_hour_node_has_its_velocity_in_metres_per_second() -> None:
    message = detection()
    message.detection_report.enu_velocity.east_rate = 36.0
    message.detection_report.enu_velocity.north_rate = 0.0
    data, content = decoded_detection(message)
    node = NodeContext("s", velocity_units="SPEED_UNITS_KPH")
    velocity = detection_to_report(data, content, node, CONFIG).velocity
    assert velocity is not None
    assert velocity.east_mps == pytest.approx(10.0)


def test_radians_locations_are_converted() -> None:
    message = detection(
        x=math.radians(23.5),
        y=math.radians(52.1),
        x_error=math.radians(0.0002),
        y_error=math.radians(0.0001),
        coordinate_system=location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_RAD_M,
    )
    data, content = decoded_detection(message)
    m = detection_to_report(data, content, NodeContext("s"), CONFIG).report
    assert m is not None
    assert isinstance(m.measurement, PositionMeasurement)
    assert m.measurement.point.lat_deg == pytest.approx(52.1, abs=1e-12)
    assert m.measurement.point.lon_deg == pytest.approx(23.5, abs=1e-12)
    assert m.measurement.sigma_h_m == pytest.approx(12.4827, abs=1e-3)


def test_a_geoid_height_is_dropped_and_the_position_kept() -> None:
    data, content = decoded_detection(detection(datum=location_pb2.LOCATION_DATUM_WGS84_G))
    report = detection_to_report(data, content, NodeContext("s"), CONFIG).report
    assert report is not None
    assert isinstance(report.measurement, PositionMeasurement)
    assert report.measurement.point == GeoPoint(52.1, 23.5, None)
    assert report.measurement.sigma_v_m is None


def test_a_location_without_errors_gets_the_configured_sigma() -> None:
    data, content = decoded_detection(detection(x_error=None, y_error=None, z_error=None))
    report = detection_to_report(
        data, content, NodeContext("s"), SapientConfig(default_sigma_h_m=80.0)
    ).report
    assert report is not None
    assert isinstance(report.measurement, PositionMeasurement)
    assert report.measurement.sigma_h_m == 80.0
    assert report.measurement.sigma_v_m is None


@pytest.mark.parametrize(
    ("location", "error", "field"),
    [
        (
            {"coordinate_system": location_pb2.LOCATION_COORDINATE_SYSTEM_UTM_M},
            UnsupportedError,
            "detection_report.location.coordinate_system",
        ),
        (
            {"coordinate_system": location_pb2.LOCATION_COORDINATE_SYSTEM_UNSPECIFIED},
            FieldValueError,
            "detection_report.location.coordinate_system",
        ),
        (
            {"datum": location_pb2.LOCATION_DATUM_UNSPECIFIED},
            FieldValueError,
            "detection_report.location.datum",
        ),
        ({"y": 95.0}, FieldValueError, "detection_report.location.y"),
        ({"x": math.nan}, FieldValueError, "detection_report.location.x"),
        ({"x_error": -1.0}, FieldValueError, "detection_report.location.x_error"),
        ({"z": math.inf}, FieldValueError, "detection_report.location.z"),
    ],
)
def test_locations_dronewarn_cannot_read_are_refused(
    location: dict[str, Any], error: type[DecodeError], field: str
) -> None:
    data, content = decoded_detection(detection(**location))
    with pytest.raises(error) as caught:
        detection_to_report(data, content, NodeContext("s"), CONFIG)
    assert type(caught.value) is error
    assert caught.value.field == field


def range_bearing_detection(**fields: Any) -> SapientMessage:
    message = envelope()
    report = message.detection_report
    report.report_id = REPORT_ID
    report.object_id = OBJECT_ID
    values: dict[str, Any] = {
        "range": 2.5,
        "azimuth": math.radians(45.0),
        "elevation": math.radians(3.0),
        "range_error": 0.01,
        "azimuth_error": math.radians(0.5),
        "coordinate_system": range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_KM,
        "datum": range_bearing_pb2.RANGE_BEARING_DATUM_TRUE,
    }
    values.update(fields)
    for name, value in values.items():
        if value is not None:
            setattr(report.range_bearing, name, value)
    return message


def test_a_range_bearing_report_becomes_a_polar_report_from_the_node_site_golden() -> None:
    site = GeoPoint(52.0, 23.0, 150.0)
    data, content = decoded_detection(range_bearing_detection())
    report = detection_to_report(data, content, NodeContext("radar-1", site), CONFIG).report
    assert report is not None
    m = report.measurement
    assert isinstance(m, PolarMeasurement)
    assert m.site == site
    assert m.range_m == pytest.approx(2500.0)
    assert m.bearing_deg == pytest.approx(45.0)
    assert m.elevation_deg == pytest.approx(3.0)
    assert m.sigma_range_m == pytest.approx(10.0)
    assert m.sigma_bearing_deg == pytest.approx(0.5)
    assert m.sigma_elevation_deg == CONFIG.default_sigma_elevation_deg  # not stated


def test_a_negative_azimuth_in_degrees_is_a_bearing_in_0_360() -> None:
    data, content = decoded_detection(
        range_bearing_detection(
            azimuth=-90.0,
            elevation=None,
            range=800.0,
            range_error=None,
            azimuth_error=None,
            coordinate_system=range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M,
        )
    )
    report = detection_to_report(data, content, NodeContext("s", GeoPoint(52, 23)), CONFIG).report
    assert report is not None
    m = report.measurement
    assert isinstance(m, PolarMeasurement)
    assert (m.range_m, m.bearing_deg, m.elevation_deg) == (800.0, 270.0, None)
    assert m.sigma_range_m == CONFIG.default_sigma_range_m
    assert m.sigma_bearing_deg == CONFIG.default_sigma_bearing_deg


@pytest.mark.parametrize(
    ("datum", "error"),
    [
        (range_bearing_pb2.RANGE_BEARING_DATUM_MAGNETIC, UnsupportedError),
        (range_bearing_pb2.RANGE_BEARING_DATUM_GRID, UnsupportedError),
        (range_bearing_pb2.RANGE_BEARING_DATUM_PLATFORM, UnsupportedError),
        (range_bearing_pb2.RANGE_BEARING_DATUM_UNSPECIFIED, FieldValueError),
    ],
)
def test_bearings_not_from_true_north_are_refused(datum: int, error: type[DecodeError]) -> None:
    data, content = decoded_detection(range_bearing_detection(datum=datum))
    with pytest.raises(error) as caught:
        detection_to_report(data, content, NodeContext("s", GeoPoint(52, 23)), CONFIG)
    assert type(caught.value) is error
    assert caught.value.field == "detection_report.range_bearing.datum"


def test_a_range_bearing_without_a_known_site_is_refused() -> None:
    data, content = decoded_detection(range_bearing_detection())
    with pytest.raises(NoSiteError) as caught:
        detection_to_report(data, content, NodeContext("s", None), CONFIG)
    assert caught.value.kind == "no_site"


# -------------------------------------------------------------------------- classification


def tree(*path: tuple[str, float | None]) -> tuple[SapientClass, ...]:
    node: tuple[SapientClass, ...] = ()
    for level, (name, confidence) in reversed(list(enumerate(path))):
        node = (SapientClass(name, confidence, level, node),)
    return node


@pytest.mark.parametrize(
    ("path", "expected", "confidence"),
    [
        ((("UAV rotary wing", 0.8),), ObjectClass.MULTIROTOR, 0.8),
        ((("Air Vehicle", 0.9), ("UAV", 0.8), ("Rotary Wing", 0.6)), ObjectClass.MULTIROTOR, 0.6),
        ((("Air Vehicle", 0.9), ("Quadcopter", None)), ObjectClass.MULTIROTOR, 0.9),
        ((("UAV fixed wing", 0.7),), ObjectClass.SHAHED, 0.7),
        (
            (("Air Vehicle", 0.9), ("UAV", 0.9), ("Fixed Wing", 0.8), ("Gerbera", 0.5)),
            ObjectClass.GERBERA,
            0.5,
        ),
        (
            (("Air Vehicle", 0.9), ("UAV", 0.9), ("Fixed-Wing", 0.8), ("Shahed-136", 0.6)),
            ObjectClass.SHAHED,
            0.6,
        ),
        ((("UAV", 0.9), ("Jet", 0.4)), ObjectClass.JET_DRONE, 0.4),
        ((("Air Vehicle", 0.8), ("Manned", 0.7), ("Fixed Wing", None)), ObjectClass.CREWED, 0.7),
        ((("Helicopter", None),), ObjectClass.CREWED, CONFIG.default_class_confidence),
        ((("Bird", 0.95),), ObjectClass.BIRD_CLUTTER, 0.95),
        ((("Animal", 0.9), ("Bird", 0.8)), ObjectClass.BIRD_CLUTTER, 0.8),
        ((("Air Vehicle", 0.5), ("UAV", 0.9), ("Rotary Wing", 0.9)), ObjectClass.MULTIROTOR, 0.5),
        ((("Air Vehicle", 0.9), ("UAV", 0.9)), None, None),  # a UAV of no known kind
        ((("Air Vehicle", 0.9), ("Fixed Wing", 0.8)), None, None),  # crewed or not: no hint
        ((("Unknown", 0.5),), None, None),
        ((("Balloon", 0.5),), None, None),
    ],
)
def test_classification_mapping(
    path: tuple[tuple[str, float | None], ...],
    expected: ObjectClass | None,
    confidence: float | None,
) -> None:
    mapping = class_hint(tree(*path), CONFIG)
    assert mapping.air
    assert mapping.path == tuple(name for name, _ in path)
    if expected is None:
        assert mapping.hint is None
    else:
        assert mapping.hint is not None
        assert mapping.hint.object_class is expected
        assert mapping.hint.confidence == pytest.approx(confidence)


@pytest.mark.parametrize(
    "name", ["Human", "Person", "Vehicle", "Land Vehicle", "Car", "Boat", "Animal"]
)
def test_ground_objects_are_no_air_objects(name: str) -> None:
    assert not class_hint(tree((name, 0.9)), CONFIG).air


def test_a_site_can_choose_the_class_of_a_generic_fixed_wing_uav() -> None:
    config = SapientConfig(fixed_wing_class=ObjectClass.GERBERA)
    hint = class_hint(tree(("UAV", 0.9), ("Fixed Wing", 0.9)), config).hint
    assert hint is not None
    assert hint.object_class is ObjectClass.GERBERA


def test_the_most_confident_class_and_sub_class_are_followed() -> None:
    classes = (
        SapientClass("Bird", 0.3, 0),
        SapientClass(
            "UAV",
            0.7,
            0,
            (SapientClass("Fixed Wing", 0.2, 1), SapientClass("Rotary Wing", 0.5, 1)),
        ),
    )
    mapping = class_hint(classes, CONFIG)
    assert mapping.path == ("UAV", "Rotary Wing")
    assert mapping.hint is not None
    assert mapping.hint.object_class is ObjectClass.MULTIROTOR


def test_a_confidence_outside_0_1_is_refused() -> None:
    with pytest.raises(FieldValueError):
        class_hint(tree(("UAV", 1.5)), CONFIG)
    with pytest.raises(FieldValueError):
        class_hint(tree(("UAV", math.nan)), CONFIG)


def test_people_vehicles_and_lost_objects_give_no_report() -> None:
    data, content = decoded_detection(classify(detection(), ("Human", 0.9)))
    result = detection_to_report(data, content, NodeContext("s"), CONFIG)
    assert result.report is None
    assert result.skipped is Skip.NOT_AIR
    message = classify(detection(), ("UAV", 0.9))
    message.detection_report.state = "Lost"
    data, content = decoded_detection(message)
    result = detection_to_report(data, content, NodeContext("s"), CONFIG)
    assert result.report is None
    assert result.skipped is Skip.LOST


def test_a_classification_deeper_than_the_limit_is_refused() -> None:
    message = detection()
    node: Any = message.detection_report.classification.add(type="Air Vehicle")
    for level in range(1, 20):
        node = node.sub_class.add(type="UAV", level=level)
    with pytest.raises(FieldValueError) as caught:
        decode_message(message.SerializeToString())
    assert "classification" in caught.value.field


def test_velocity_units_are_read_from_the_registration() -> None:
    message = envelope()
    reg = message.registration
    mode = reg.mode_definition.add(mode_name="default")
    vt = mode.detection_definition.add().velocity_type
    vt.enu_velocity_units.east_north_rate_units = velocity_pb2.SPEED_UNITS_KPH
    data = decode_message(message.SerializeToString())
    assert isinstance(data.content, SapientRegistration)
    assert data.content.velocity_units == "SPEED_UNITS_KPH"
    assert data.content.mode_names == ("default",)
