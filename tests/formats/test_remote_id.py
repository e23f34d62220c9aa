"""Open Drone ID (ASTM F3411) messages, transports and the Remote ID sensor input."""

from __future__ import annotations

import struct
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
from dronewarn.domain.report import ObjectClass, PositionMeasurement
from dronewarn.domain.sensor import SensorConfig, SensorKind, WireFormat
from dronewarn.formats.remote_id.messages import (
    BasicId,
    IdType,
    Location,
    SelfId,
    Status,
    System,
    UaType,
    aircraft_time_s,
    decode_message,
    decode_messages,
    encode_basic_id,
    encode_location,
    encode_pack,
)
from dronewarn.formats.remote_id.transport import (
    BEACON_MARK,
    BLUETOOTH_MARK,
    broadcasts_in_frame,
    capture_broadcasts,
    unwrap,
)
from dronewarn.sense.remote_id_input import UNKNOWN_SIGMA_M, RemoteIdInput

T0 = 1_757_462_400.0  # 2025-09-10T00:00:00Z, on the hour
SERIAL = "1596F3B2D4A7C9E0"


def _location(**kw: float | None) -> bytes:
    args: dict[str, float | None] = {
        "lat_deg": 52.2297,
        "lon_deg": 21.0122,
        "geodetic_alt_m": 312.5,
        "time_s": T0 + 1234.5,
        "horizontal_accuracy_m": 10.0,
        "vertical_accuracy_m": 25.0,
        "direction_deg": 250.0,
        "speed_mps": 12.25,
        "vertical_speed_mps": -1.5,
    }
    args.update(kw)
    return encode_location(**args)  # type: ignore[arg-type]


def test_a_location_round_trips_to_the_resolution_of_its_fields() -> None:
    message = decode_message(_location())
    assert isinstance(message, Location)
    assert message.lat_deg == pytest.approx(52.2297, abs=1e-7)
    assert message.lon_deg == pytest.approx(21.0122, abs=1e-7)
    assert message.geodetic_alt_m == 312.5
    assert message.pressure_alt_m is None and message.height_m is None
    assert message.direction_deg == 250.0  # over 180: the E/W bit
    assert message.speed_mps == 12.25
    assert message.vertical_speed_mps == -1.5
    assert message.horizontal_accuracy_m == 10.0
    assert message.vertical_accuracy_m == 25.0
    assert message.tenths_past_hour == 12345
    assert message.status is Status.AIRBORNE


def test_fast_speeds_use_the_multiplier_and_unknowns_decode_to_none() -> None:
    fast = decode_message(_location(speed_mps=100.0))
    assert isinstance(fast, Location)
    assert fast.speed_mps == pytest.approx(100.0, abs=0.75)
    unknown = decode_message(
        _location(
            direction_deg=None,
            speed_mps=None,
            vertical_speed_mps=None,
            geodetic_alt_m=None,
            time_s=None,
            horizontal_accuracy_m=None,
            vertical_accuracy_m=None,
        )
    )
    assert isinstance(unknown, Location)
    assert unknown.direction_deg is None and unknown.speed_mps is None
    assert unknown.vertical_speed_mps is None and unknown.geodetic_alt_m is None
    assert unknown.tenths_past_hour is None
    assert unknown.horizontal_accuracy_m is None and unknown.vertical_accuracy_m is None


def test_basic_id_and_a_pack() -> None:
    basic = encode_basic_id(SERIAL, ua_type=UaType.HELICOPTER_OR_MULTIROTOR)
    messages = decode_messages(encode_pack([basic, _location()]))
    assert [type(m) for m in messages] == [BasicId, Location]
    first = messages[0]
    assert isinstance(first, BasicId)
    assert first.uas_id == SERIAL
    assert first.id_type is IdType.SERIAL_NUMBER
    assert first.ua_type is UaType.HELICOPTER_OR_MULTIROTOR
    # messages back to back, without a pack, decode too
    assert [type(m) for m in decode_messages(basic + _location())] == [BasicId, Location]


def test_aircraft_time_takes_the_hour_nearest_the_arrival() -> None:
    location = decode_message(_location(time_s=T0 + 3599.5))
    assert isinstance(location, Location)
    # heard 1.5 s later, just after the hour turned
    assert aircraft_time_s(location, T0 + 3601.0) == pytest.approx(T0 + 3599.5)
    assert aircraft_time_s(location, T0 + 3599.9) == pytest.approx(T0 + 3599.5)


@pytest.mark.parametrize(
    ("data", "error", "field"),
    [
        (b"\x12" * 10, TruncatedError, "message"),
        (bytes([0x13]) + bytes(24), FieldValueError, "header.version"),
        (bytes([0x72]) + bytes(24), UnsupportedError, "header.type"),
        (bytes([0xF2, 24, 1]) + bytes(25), FieldValueError, "pack.size"),
        (bytes([0xF2, 25, 12]) + bytes(25 * 9), FieldValueError, "pack.count"),
        (bytes([0xF2, 25, 3]) + bytes(50), TruncatedError, "pack"),
        (bytes(30), FieldValueError, "message"),
    ],
)
def test_malformed_input_raises_typed_errors(
    data: bytes, error: type[DecodeError], field: str
) -> None:
    with pytest.raises(error) as caught:
        decode_messages(data)
    assert caught.value.field == field


def test_a_position_off_the_earth_and_a_time_past_the_hour_are_refused() -> None:
    bad = bytearray(_location())
    struct.pack_into("<i", bad, 5, 950_000_000)  # 95 degrees north
    with pytest.raises(FieldValueError, match="off the Earth"):
        decode_message(bytes(bad))
    late = bytearray(_location())
    struct.pack_into("<H", late, 21, 36_000)
    with pytest.raises(FieldValueError, match="an hour has 3600 s"):
        decode_message(bytes(late))


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_decode_or_raise_a_decode_error(data: bytes) -> None:
    try:
        messages = decode_messages(data)
    except DecodeError:
        return
    assert all(m.version <= 2 for m in messages)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=25, max_size=25), st.integers(0, 5), st.integers(0, 2))
def test_every_defined_message_type_decodes_any_body(body: bytes, kind: int, version: int) -> None:
    data = bytes([kind << 4 | version]) + body[1:]
    try:
        message = decode_message(data)
    except FieldValueError as error:  # only a position off the Earth or a time past the hour
        assert error.field in {"location", "system.operator", "location.timestamp"}
        return
    assert message.version == version


def test_transport_framings_unwrap_to_the_same_messages() -> None:
    pack = encode_pack([encode_basic_id(SERIAL), _location()])
    beacon = bytes([0xDD, len(BEACON_MARK) + 1 + len(pack)]) + BEACON_MARK + b"\x07" + pack
    bluetooth = bytes([len(BLUETOOTH_MARK) + 1 + len(pack)]) + BLUETOOTH_MARK + b"\x2a" + pack
    for framed in (pack, beacon, bluetooth, b"\x0d\x2a" + pack):
        assert decode_messages(unwrap(framed)) == decode_messages(pack)
    radio_frame = b"\x00" * 17 + beacon + b"\x30\x14" + b"\x00" * 20
    assert list(broadcasts_in_frame(radio_frame)) == [pack]


def test_real_captures_of_three_transports(samples_dir: Path) -> None:
    """Wi-Fi NAN, Wi-Fi beacon and Bluetooth 5 long-range captures (opendroneid's dissector
    samples): every broadcast found, the few corrupt Bluetooth ones refused by type."""
    seen: dict[str, dict[str, int]] = {}
    for capture in sorted((samples_dir / "odid").iterdir()):
        kinds: dict[str, int] = {}
        for _, broadcast in capture_broadcasts(capture):
            try:
                messages = decode_messages(broadcast)
            except DecodeError:
                kinds["error"] = kinds.get("error", 0) + 1
                continue
            for m in messages:
                kinds[type(m).__name__] = kinds.get(type(m).__name__, 0) + 1
        seen[capture.name] = kinds
    beacon = seen["odid_wifi_bcn_sample.pcap"]
    assert beacon == dict.fromkeys(["BasicId", "Location", "SelfId", "System", "OperatorId"], 21)
    assert seen["odid_wifi_sample.pcap"]["Location"] == 31
    bluetooth = seen["odid_bt5_lr_sample.pcapng"]
    assert bluetooth["Location"] > 200 and bluetooth["BasicId"] > 200
    assert bluetooth["error"] < 0.05 * bluetooth["Location"]
    assert "error" not in beacon


def _input() -> RemoteIdInput:
    return RemoteIdInput(SensorConfig("rid-1", SensorKind.REMOTE_ID, wire=WireFormat.ODID))


def test_the_input_makes_a_cooperative_report_named_by_the_serial() -> None:
    rid = _input()
    pack = encode_pack(
        [encode_basic_id(SERIAL, ua_type=UaType.HELICOPTER_OR_MULTIROTOR), _location()]
    )
    decoded = rid.decode(pack, T0 + 1236.0)
    assert decoded.errors == ()
    (report,) = decoded.reports
    assert report.source == f"rid:{SERIAL}"
    assert report.time_s == pytest.approx(T0 + 1234.5)
    assert isinstance(report.measurement, PositionMeasurement)
    assert report.measurement.sigma_h_m == 5.0  # half the 95 % bound
    assert report.measurement.point.alt_m == 312.5
    assert report.class_hint is not None
    assert report.class_hint.object_class is ObjectClass.MULTIROTOR


def test_a_location_alone_takes_the_basic_id_heard_just_before() -> None:
    rid = _input()
    assert rid.decode(_location(horizontal_accuracy_m=None), T0 + 1235.0).errors  # nameless
    assert rid.decode(encode_basic_id(SERIAL, ua_type=UaType.AEROPLANE), T0 + 1235.0).reports == ()
    decoded = rid.decode(_location(horizontal_accuracy_m=None), T0 + 1236.0)
    (report,) = decoded.reports
    assert report.source == f"rid:{SERIAL}" and report.class_hint is None
    assert isinstance(report.measurement, PositionMeasurement)
    assert report.measurement.sigma_h_m == UNKNOWN_SIGMA_M
    # long after, the name has lapsed
    assert rid.decode(_location(), T0 + 1300.0).errors


def test_the_input_counts_malformed_datagrams_and_goes_on() -> None:
    rid = _input()
    bad = rid.decode(b"\xf2\x19\x05" + bytes(10), T0)
    assert bad.reports == () and isinstance(bad.errors[0], TruncatedError)
    good = rid.decode(encode_pack([encode_basic_id(SERIAL), _location()]), T0 + 1236.0)
    assert len(good.reports) == 1


def test_self_id_and_system_fields() -> None:
    self_id = bytes([0x32, 0]) + b"Drone ID demo".ljust(23, b"\0")
    message = decode_message(self_id)
    assert isinstance(message, SelfId) and message.description == "Drone ID demo"
    system = bytearray(25)
    system[0] = 0x42
    struct.pack_into("<ii", system, 2, 522_000_000, 210_000_000)
    struct.pack_into("<I", system, 20, 86_400)
    decoded = decode_message(bytes(system))
    assert isinstance(decoded, System)
    assert decoded.operator_lat_deg == pytest.approx(52.2)
    assert decoded.time_s == pytest.approx(1_546_300_800.0 + 86_400)


def test_a_location_with_a_broken_clock_is_dated_by_its_arrival() -> None:
    rid = _input()
    pack = encode_pack([encode_basic_id(SERIAL), _location(time_s=T0)])  # top of the hour
    (report,) = rid.decode(pack, T0 + 1200.0).reports
    assert report.time_s == T0 + 1200.0


def test_decode_reads_remote_id_out_of_radio_captures(samples_dir: Path) -> None:
    from typer.testing import CliRunner

    from dronewarn.cli.app import app

    result = CliRunner().invoke(
        app, ["decode", str(samples_dir / "odid" / "odid_wifi_bcn_sample.pcap")]
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 21
    assert all('"source": "rid:MFG1A0123456789"' in line for line in lines)
