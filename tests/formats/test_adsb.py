"""ADS-B: pyModeS on the real sample (golden, checked with the CPR formulas of DO-260B),
readsb aircraft.json and SBS lines written by hand, typed errors for bad input."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewarn.domain.errors import DecodeError, FieldValueError, TruncatedError, UnsupportedError
from dronewarn.domain.report import ClassHint, GeoPoint, ObjectClass, PositionMeasurement, Report
from dronewarn.domain.sensor import SensorConfig, SensorKind
from dronewarn.formats.adsb.modes import CrcError, ModeSDecoder
from dronewarn.formats.adsb.position import AdsbConfig, AltitudeKind, to_report
from dronewarn.formats.adsb.readsb import AircraftJsonFeed, aircraft_positions, decode_aircraft_json
from dronewarn.formats.adsb.sbs import SbsMessage, decode_sbs_line, sbs_position
from dronewarn.sense.ingest import Sense

CONFIG = AdsbConfig("pl-adsb-1")
CREWED = ClassHint(ObjectClass.CREWED, 0.99)
NUCP7_SIGMA_M = 0.05 * 1852.0 / 2.4477  # type code 11: NUCp 7, RCu 0.05 NM (95 %)


def _sample(samples_dir: Path) -> list[tuple[float, str]]:
    with (samples_dir / "adsb" / "sample_data_adsb.csv").open() as f:
        return [(float(row[0]), row[1]) for row in csv.reader(f)]


# ---------------------------------------------------------------- CPR, written from the spec


def _me(hex_message: str) -> int:
    """The 56-bit ME field of a 112-bit DF17 message."""
    return (int(hex_message, 16) >> 24) & ((1 << 56) - 1)


def _cpr(hex_message: str) -> tuple[int, float, float]:
    """(F, YZ/2^17, XZ/2^17) of an airborne position (DO-260B 2.2.3.2.3: ME bits 22, 23-39,
    40-56 counted from 1)."""
    me = _me(hex_message)
    return (me >> 34) & 1, ((me >> 17) & 0x1FFFF) / 2**17, (me & 0x1FFFF) / 2**17


def _nl(lat: float) -> int:
    """Number of longitude zones (DO-260B A.1.7.2 d, NZ = 15)."""
    if lat == 0.0:
        return 59
    if abs(lat) == 87.0:
        return 2
    if abs(lat) > 87.0:
        return 1
    a = 1.0 - math.cos(math.pi / 30.0)
    return math.floor(2.0 * math.pi / math.acos(1.0 - a / math.cos(math.radians(lat)) ** 2))


def _global_cpr(even: str, odd: str, newest_is_even: bool) -> tuple[float, float]:
    """Globally unambiguous airborne position from an even and an odd frame (DO-260B A.1.7.7)."""
    _, lat_e, lon_e = _cpr(even)
    _, lat_o, lon_o = _cpr(odd)
    j = math.floor(59.0 * lat_e - 60.0 * lat_o + 0.5)
    rlat_e = 360.0 / 60.0 * (j % 60 + lat_e)
    rlat_o = 360.0 / 59.0 * (j % 59 + lat_o)
    rlat_e -= 360.0 if rlat_e >= 270.0 else 0.0
    rlat_o -= 360.0 if rlat_o >= 270.0 else 0.0
    assert _nl(rlat_e) == _nl(rlat_o)
    lat = rlat_e if newest_is_even else rlat_o
    nl = _nl(lat)
    m = math.floor(lon_e * (nl - 1) - lon_o * nl + 0.5)
    n = max(nl - (0 if newest_is_even else 1), 1)
    lon = 360.0 / n * (m % n + (lon_e if newest_is_even else lon_o))
    return lat, lon - 360.0 if lon >= 180.0 else lon


def _spec_position(messages: list[tuple[float, str]], index: int) -> tuple[float, float]:
    """The position of message ``index`` paired with the latest earlier frame of the other
    parity (type codes 9-18)."""
    this = messages[index][1]
    parity = _cpr(this)[0]
    for k in range(index - 1, -1, -1):
        other = messages[k][1]
        if 9 <= _me(other) >> 51 <= 18 and _cpr(other)[0] != parity:
            break
    else:
        raise AssertionError("no opposite frame")
    even, odd = (this, other) if parity == 0 else (other, this)
    return _global_cpr(even, odd, newest_is_even=parity == 0)


# ---------------------------------------------------------------- raw messages: golden


GOLDEN = {  # index in the sample: (time_s, lat, lon), lat/lon as pyModeS 3.6 returns them
    20: (1457996408.0, 51.148386809785485, 7.227935791015625),  # the first position
    1003: (1457996766.0, 51.393310546875, 5.99311622413429),
    1998: (1457997130.0, 51.700030827926376, 4.773406982421875),  # the last
}


def test_sample_yields_929_positions_matching_the_cpr_formulas(samples_dir: Path) -> None:
    messages = _sample(samples_dir)
    decoder = ModeSDecoder(CONFIG)
    found: dict[int, Report] = {}
    for i, (time_s, hex_message) in enumerate(messages):
        position = decoder.decode(hex_message, time_s)
        if position is not None:
            found[i] = to_report(position, CONFIG)
    assert len(found) == 929 and decoder.messages == 2000 and decoder.positions == 929
    for index, (time_s, lat, lon) in GOLDEN.items():
        assert found[index] == Report(
            "pl-adsb-1",
            time_s,
            PositionMeasurement(
                GeoPoint(lat, lon, 36000 * 0.3048), sigma_h_m=NUCP7_SIGMA_M, sigma_v_m=150.0
            ),
            CREWED,
            "icao:406B90",
        )
        spec_lat, spec_lon = _spec_position(messages, index)
        assert spec_lat == pytest.approx(lat, abs=1e-9)
        assert spec_lon == pytest.approx(lon, abs=1e-9)
    # every position is where a global decode of its pair puts it (local decoding agrees)
    for index in list(found)[::50]:
        m = found[index].measurement
        assert isinstance(m, PositionMeasurement)
        lat, lon = _spec_position(messages, index)
        assert (m.point.lat_deg, m.point.lon_deg) == pytest.approx((lat, lon), abs=1e-9)
    sense = Sense({"pl-adsb-1": SensorConfig("pl-adsb-1", SensorKind.ADSB)}, _never)
    reports = list(found.values())
    assert sense.ingest(reports, now_s=1457997131.0) == reports


def _never(report: object, error: object) -> None:
    raise AssertionError(f"{report} refused: {error}")


def _crc24(bits88: int) -> int:
    """Mode S parity of the first 88 bits (Annex 10 Vol IV 3.1.2.3.3: generator 0x1FFF409)."""
    data = bits88 << 24
    for i in range(111, 23, -1):
        if data >> i & 1:
            data ^= 0x1FFF409 << (i - 24)
    return data & 0xFFFFFF


def _identification(icao: str, type_code: int, category: int, callsign: str) -> str:
    chars = "#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######"
    me = (type_code << 51) | (category << 48)
    for k, c in enumerate(callsign.ljust(8)):
        me |= chars.index(c) << (42 - 6 * k)
    bits88 = (0x8D << 80) | (int(icao, 16) << 56) | me
    return f"{(bits88 << 24) | _crc24(bits88):028X}"


def test_crc_written_from_the_spec_matches_a_real_message() -> None:
    assert _identification("406B90", 4, 0, "EZY85MH") == "8D406B902015A678D4D220AA4BDA"


def test_uav_emitter_category_removes_the_crewed_hint(samples_dir: Path) -> None:
    # the same flight, its identification messages (set A, category 0) replaced by B6 ones
    uav = _identification("406B90", 3, 6, "UAV1")
    messages = [(t, uav if _me(m) >> 51 == 4 else m) for t, m in _sample(samples_dir)]
    decoder = ModeSDecoder(CONFIG)
    positions = [p for t, m in messages if (p := decoder.decode(m, t)) is not None]
    assert len(positions) == 929 and {p.category for p in positions} == {"B6"}
    assert {to_report(p, CONFIG).class_hint for p in positions} == {None}


def test_avr_framing_is_accepted(samples_dir: Path) -> None:
    messages = _sample(samples_dir)
    framed = [(t, f"*{m};") for t, m in messages[:40]]
    decoder = ModeSDecoder(CONFIG)
    positions = [p for t, m in framed if (p := decoder.decode(m, t)) is not None]
    assert positions[0].lat_deg == GOLDEN[20][1]


@pytest.mark.parametrize(
    ("message", "error_type", "field"),
    [
        ("8D406B902015A678D4D220AA4BDB", CrcError, "crc"),  # last bit flipped
        ("8D406B902015A678D4D220AA4B", TruncatedError, "hex"),
        ("8D406B90", TruncatedError, "hex"),
        ("", FieldValueError, "hex"),
        ("8D406B902015A678D4D220AA4BDA00", FieldValueError, "hex"),
        ("8D406B902015A678D4D220AA4BDZ", FieldValueError, "hex"),
        ("Ω" * 28, FieldValueError, "hex"),
    ],
)
def test_bad_raw_messages_raise_typed_errors(
    message: str, error_type: type[DecodeError], field: str
) -> None:
    with pytest.raises(error_type) as raised:
        ModeSDecoder(CONFIG).decode(message, 1457996400.0)
    assert type(raised.value) is error_type and raised.value.field == field
    assert len(str(raised.value)) < 300


def test_crc_errors_are_counted_as_their_own_kind() -> None:
    with pytest.raises(CrcError) as raised:
        ModeSDecoder(CONFIG).decode("8D406B902015A678D4D220AA4BDB", 0.0)
    assert raised.value.kind == "bad_crc"
    with pytest.raises(FieldValueError) as raised_nan:
        ModeSDecoder(CONFIG).decode("8D406B902015A678D4D220AA4BDA", math.nan)
    assert raised_nan.value.field == "time_s"


@given(st.text(alphabet="0123456789ABCDEFabcdef*;xZ ", max_size=34), st.floats(0, 2e9))
@settings(max_examples=300)
def test_any_text_decodes_or_raises_a_decode_error(message: str, time_s: float) -> None:
    decoder = ModeSDecoder(CONFIG)
    try:
        decoder.decode(message, time_s)
    except DecodeError as error:
        assert error.field in ("hex", "crc")


# ---------------------------------------------------------------- aircraft.json

NOW = 1757466153.5  # 2025-09-10T01:02:33.5Z
DOCUMENT = {
    "now": NOW,
    "messages": 123456,
    "aircraft": [
        {  # airliner, ADS-B version 2 with NACp 9 (EPU 30 m) and a GNSS height
            "hex": "4ca2d6",
            "type": "adsb_icao",
            "flight": "RYR1AB  ",
            "alt_baro": 37000,
            "alt_geom": 37625,
            "gs": 451.2,
            "track": 271.3,
            "baro_rate": -64,
            "squawk": "2214",
            "category": "A3",
            "nav_qnh": 1013.6,
            "lat": 51.502120,
            "lon": 19.123450,
            "nic": 8,
            "rc": 186,
            "seen_pos": 0.4,
            "version": 2,
            "nac_p": 9,
            "nac_v": 1,
            "sil": 3,
            "sil_type": "perhour",
            "mlat": [],
            "tisb": [],
            "messages": 512,
            "seen": 0.1,
            "rssi": -21.4,
        },
        {  # a UAV (B6), NIC only: Rc 370 m is the bound
            "hex": "48c0de",
            "type": "adsb_icao",
            "alt_baro": 1200,
            "category": "B6",
            "lat": 52.1,
            "lon": 21.0,
            "nic": 7,
            "rc": 370,
            "seen_pos": 2.0,
            "version": 2,
            "nac_p": 0,
        },
        {  # multilateration, barometric altitude only
            "hex": "3c6586",
            "type": "mlat",
            "alt_baro": 24000,
            "lat": 50.0,
            "lon": 20.0,
            "seen_pos": 1.5,
            "mlat": ["lat", "lon", "track", "gs"],
        },
        {  # on the ground at an airport, non-ICAO address from TIS-B
            "hex": "~2b00a1",
            "type": "tisb_other",
            "alt_baro": "ground",
            "lat": 52.16,
            "lon": 20.96,
            "seen_pos": 3.0,
        },
        {"hex": "4b1621", "alt_baro": 3000, "lat": 49.9, "lon": 19.9, "seen_pos": 20.0},  # stale
        {"hex": "471f5a", "alt_baro": 11000, "seen": 0.2},  # no position
        {"hex": "4ca7xx", "lat": 50.0, "lon": 20.0},  # bad address
        {"hex": "4ca2d7", "lat": 91.0, "lon": 20.0, "seen_pos": 0.0},  # impossible latitude
        {"hex": "4ca2d8", "lat": "50.0", "lon": 20.0, "seen_pos": 0.0},  # string for a number
    ],
}


def test_aircraft_json_positions_as_written_by_hand() -> None:
    document = decode_aircraft_json(json.dumps(DOCUMENT).encode())
    assert document.now_s == NOW and len(document.aircraft) == 6
    assert [(type(e), e.field) for e in document.errors] == [
        (FieldValueError, "aircraft[6].hex"),
        (FieldValueError, "aircraft[7].lat"),
        (FieldValueError, "aircraft[8].lat"),
    ]
    reports = [to_report(p, CONFIG) for p in aircraft_positions(document, CONFIG)]
    assert reports == [
        Report(
            "pl-adsb-1",
            NOW - 0.4,
            PositionMeasurement(GeoPoint(51.50212, 19.12345, 37625 * 0.3048), 30.0 / 2.4477, 15.0),
            CREWED,
            "icao:4CA2D6",
        ),
        Report(
            "pl-adsb-1",
            NOW - 2.0,
            PositionMeasurement(GeoPoint(52.1, 21.0, 1200 * 0.3048), 370.0 / 2.4477, 150.0),
            None,  # B6: a UAV says so itself
            "icao:48C0DE",
        ),
        Report(
            "pl-adsb-1",
            NOW - 1.5,
            PositionMeasurement(GeoPoint(50.0, 20.0, 24000 * 0.3048), 300.0, 150.0),
            CREWED,
            "icao:3C6586",
        ),
        Report(
            "pl-adsb-1",
            NOW - 3.0,
            PositionMeasurement(GeoPoint(52.16, 20.96, None), 200.0, None),
            CREWED,
            "icao:~2B00A1",
        ),
    ]


def test_aircraft_json_feed_reports_each_position_once() -> None:
    feed = AircraftJsonFeed(CONFIG)
    data = json.dumps(DOCUMENT).encode()
    reports, errors = feed.update(data)
    assert len(reports) == 4 and len(errors) == 3
    assert feed.update(data)[0] == []  # the same positions again
    moved = json.loads(data)
    moved["now"] = NOW + 1.0
    moved["aircraft"][0]["lat"] = 51.5025
    again, _ = feed.update(json.dumps(moved).encode())
    assert [r.source for r in again] == ["icao:4CA2D6"] and again[0].time_s == NOW + 0.6


@pytest.mark.parametrize(
    ("data", "error_type", "field"),
    [
        (b'{"now":1757466153.5,"aircraft":[', TruncatedError, "$"),
        (b"<html>", FieldValueError, "$"),
        (b'{"aircraft":[]}', FieldValueError, "now"),
        (b'{"now":"yesterday","aircraft":[]}', FieldValueError, "now"),
        (b'{"now":1757466153.5}', FieldValueError, "aircraft"),
        (b'{"now":1757466153.5,"aircraft":{}}', FieldValueError, "aircraft"),
        (b"[]", FieldValueError, "$"),
    ],
)
def test_unusable_aircraft_json_raises(
    data: bytes, error_type: type[DecodeError], field: str
) -> None:
    with pytest.raises(error_type) as raised:
        decode_aircraft_json(data)
    assert type(raised.value) is error_type and raised.value.field == field


def test_oversize_aircraft_json_is_refused() -> None:
    with pytest.raises(FieldValueError):
        decode_aircraft_json(b" " * 2000, max_bytes=1000)


# ---------------------------------------------------------------- SBS lines

MSG3 = (
    "MSG,3,1,1,4CA2D6,1,2025/09/10,01:02:03.456,2025/09/10,01:02:03.500,,37000,,,"
    "51.50212,19.12345,,,0,0,0,0"
)


def test_sbs_airborne_position_line() -> None:
    message = decode_sbs_line(MSG3 + "\r\n")
    # 2025-09-10 is day 20,341 since 1970-01-01: 20341 * 86400 + 3723.456 s
    assert message == SbsMessage(
        transmission_type=3,
        hex_ident="4CA2D6",
        time_s=1757466123.456,
        logged_time_s=1757466123.5,
        callsign=None,
        altitude_ft=37000.0,
        ground_speed_kt=None,
        track_deg=None,
        lat_deg=51.50212,
        lon_deg=19.12345,
        vertical_rate_fpm=None,
        squawk=None,
        alert=False,
        emergency=False,
        spi=False,
        on_ground=False,
    )
    position = sbs_position(message)
    assert position is not None
    assert to_report(position, CONFIG) == Report(
        "pl-adsb-1",
        1757466123.456,
        PositionMeasurement(GeoPoint(51.50212, 19.12345, 37000 * 0.3048), 200.0, 150.0),
        CREWED,
        "icao:4CA2D6",
    )


def test_sbs_local_time_of_a_dump1090_receiver_in_warsaw() -> None:
    local = MSG3.replace("01:02:03.456", "03:02:03.456")  # CEST, UTC+2
    message = decode_sbs_line(local, clock_zone=ZoneInfo("Europe/Warsaw"))
    assert message.time_s == 1757466123.456
    assert decode_sbs_line(local.encode()).time_s == 1757466123.456 + 7200.0  # read as UTC


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "MSG,1,1,1,4CA2D6,1,2025/09/10,01:02:03.456,2025/09/10,01:02:03.456,RYR1AB  "
            ",,,,,,,,,,,",
            {},
        ),
        (
            "MSG,4,1,1,4CA2D6,1,2025/09/10,01:02:03,2025/09/10,01:02:03,,,451,271.3,,,-64,,,,,",
            {"ground_speed_kt": 451.0, "track_deg": 271.3, "vertical_rate_fpm": -64.0},
        ),
        (
            "MSG,6,1,1,4CA2D6,1,2025/09/10,01:02:03,2025/09/10,01:02:03,,37000,,,,,,7700,-1,-1,0,0",
            {"squawk": "7700", "alert": True, "emergency": True, "altitude_ft": 37000.0},
        ),
    ],
)
def test_sbs_lines_without_position(line: str, expected: dict[str, object]) -> None:
    message = decode_sbs_line(line)
    assert sbs_position(message) is None
    for name, value in expected.items():
        assert getattr(message, name) == value
    if message.transmission_type == 1:
        assert message.callsign == "RYR1AB"


def test_sbs_surface_position_has_no_height() -> None:
    line = "MSG,2,1,1,4CA2D6,1,2025/09/10,01:02:03,2025/09/10,01:02:03,,,12,90,52.16,20.96,,,,,,-1"
    position = sbs_position(decode_sbs_line(line))
    assert position is not None and position.altitude_kind is AltitudeKind.GROUND
    assert to_report(position, CONFIG).measurement == PositionMeasurement(
        GeoPoint(52.16, 20.96, None), 200.0, None
    )


@pytest.mark.parametrize(
    ("line", "error_type", "field"),
    [
        ("MSG,3,1,1,4CA2D6,1,2025/09/10,01:02:03.456", TruncatedError, "date_logged"),
        ("MSG", TruncatedError, "transmission_type"),
        ("", UnsupportedError, "message_type"),
        (
            "AIR,,1,1,4CA2D6,1,2025/09/10,01:02:03,2025/09/10,01:02:03,,,,,,,,,,,,",
            UnsupportedError,
            "message_type",
        ),
        (MSG3.replace("MSG,3,", "MSG,9,"), UnsupportedError, "transmission_type"),
        (MSG3.replace("MSG,3,", "MSG,x,"), FieldValueError, "transmission_type"),
        (MSG3.replace("4CA2D6", "4CA2D"), FieldValueError, "hex_ident"),
        (MSG3.replace("51.50212", "91.5"), FieldValueError, "lat"),
        (MSG3.replace("19.12345", "nan"), FieldValueError, "lon"),
        (MSG3.replace("19.12345", ""), FieldValueError, "lon"),
        (MSG3.replace("37000", "37,000"), FieldValueError, "lat"),  # shifted: lon alone
        (MSG3.replace("37000", "high"), FieldValueError, "altitude"),
        (
            MSG3.replace("2025/09/10,01:02:03.456", "2025-09-10,01:02:03.456"),
            FieldValueError,
            "date_generated",
        ),
        (
            MSG3.replace("2025/09/10,01:02:03.456", "2025/02/30,01:02:03.456"),
            FieldValueError,
            "date_generated",
        ),
        (MSG3.replace("01:02:03.456", "1:2"), FieldValueError, "time_generated"),
        (MSG3.replace("2025/09/10,01:02:03.456", ","), FieldValueError, "date_generated"),
        (MSG3.replace(",0,0,0,0", ",2,0,0,0"), FieldValueError, "alert"),
        (
            MSG3.replace(",,,51.5", ",,,51.5").replace(",,0,0,0,0", ",1289,0,0,0,0"),
            FieldValueError,
            "squawk",
        ),
        (MSG3.replace("4CA2D6", "4CÄ2D6"), FieldValueError, "line"),
    ],
)
def test_bad_sbs_lines_name_the_field(line: str, error_type: type[DecodeError], field: str) -> None:
    with pytest.raises(error_type) as raised:
        decode_sbs_line(line)
    assert type(raised.value) is error_type and raised.value.field == field


@given(st.lists(st.text(alphabet="0123456789-.:/,MSGx9A ", max_size=14), max_size=24))
@settings(max_examples=300)
def test_any_line_decodes_or_raises_a_decode_error(fields: list[str]) -> None:
    try:
        decode_sbs_line(",".join(["MSG", *fields]))
    except DecodeError as error:
        assert error.field
