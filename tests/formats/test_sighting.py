"""Citizen sightings: schema, typed field errors, position estimates, per-reporter rate limit."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewarn.domain.errors import DecodeError, FieldValueError, TruncatedError, UnsupportedError
from dronewarn.domain.report import ClassHint, GeoPoint, ObjectClass, SightingMeasurement
from dronewarn.domain.sensor import SensorConfig, SensorKind
from dronewarn.formats.sighting import (
    InvalidSightingsError,
    RateLimit,
    ReporterRateLimiter,
    Sighting,
    SightingConfig,
    SightingKind,
    SightingSound,
    SightingTimeError,
    decode_sightings,
    encode_sightings,
    sighting_dict,
    to_report,
)
from dronewarn.sense.ingest import Sense

CONFIG = SightingConfig("ua-eppo")
NOW = datetime(2025, 9, 10, 1, 2, 33, tzinfo=UTC)
NOW_S = NOW.timestamp()
GOOD: dict[str, object] = {
    "v": 1,
    "reporter": "app-5f3c9a",
    "lat": 50.0,
    "lon": 30.0,
    "alt_m": 180,
    "bearing_deg": 90.0,
    "elevation_deg": 0.0,
    "time": "2025-09-10T01:02:03.456Z",
    "distance_m": 2000,
    "kind": "shahed",
    "sound": "moped",
    "seen": True,
}


def _body(**changes: object) -> bytes:
    """GOOD with keys replaced (``...`` removes a key)."""
    return json.dumps({k: v for k, v in {**GOOD, **changes}.items() if v is not ...}).encode()


def _one(**changes: object) -> Sighting:
    (sighting,) = decode_sightings(_body(**changes), CONFIG, NOW_S)
    return sighting


# ---------------------------------------------------------------- decoding


def test_documented_example_decodes_field_for_field() -> None:
    assert _one() == Sighting(
        version=1,
        reporter_id="app-5f3c9a",
        lat_deg=50.0,
        lon_deg=30.0,
        bearing_deg=90.0,
        elevation_deg=0.0,
        time=datetime(2025, 9, 10, 1, 2, 3, 456000, tzinfo=UTC),
        alt_m=180.0,
        distance_m=2000.0,
        kind=SightingKind.SHAHED,
        sound=SightingSound.MOPED,
        seen=True,
    )


def test_time_with_an_offset_is_the_same_instant() -> None:
    assert _one(time="2025-09-10T04:02:03.456+03:00").time == _one().time


def test_a_list_decodes_in_order() -> None:
    body = json.dumps([GOOD, {**GOOD, "reporter": "app-2"}]).encode()
    assert [s.reporter_id for s in decode_sightings(body, CONFIG, NOW_S)] == ["app-5f3c9a", "app-2"]


BAD_FIELDS: list[tuple[dict[str, object], str]] = [
    ({"reporter": ...}, "reporter"),
    ({"reporter": ""}, "reporter"),
    ({"reporter": "a b"}, "reporter"),
    ({"reporter": 5}, "reporter"),
    ({"lat": ...}, "lat"),
    ({"lat": 90.5}, "lat"),
    ({"lat": "50"}, "lat"),
    ({"lon": -180.1}, "lon"),
    ({"lon": True}, "lon"),
    ({"alt_m": 9500}, "alt_m"),
    ({"bearing_deg": ...}, "bearing_deg"),
    ({"bearing_deg": 360}, "bearing_deg"),
    ({"bearing_deg": -1}, "bearing_deg"),
    ({"elevation_deg": ...}, "elevation_deg"),
    ({"elevation_deg": 90.5}, "elevation_deg"),
    ({"elevation_deg": -11}, "elevation_deg"),
    ({"time": ...}, "time"),
    ({"time": "2025-09-10T01:02:03"}, "time"),  # naive
    ({"time": "2025-09-10"}, "time"),
    ({"time": 1757466123}, "time"),
    ({"time": "yesterday"}, "time"),
    ({"distance_m": 0}, "distance_m"),
    ({"distance_m": 25_000}, "distance_m"),
    ({"kind": "ufo"}, "kind"),
    ({"sound": "loud"}, "sound"),
    ({"seen": 1}, "seen"),
    ({"seen": "yes"}, "seen"),
    ({"v": ...}, "v"),
    ({"v": "1"}, "v"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_FIELDS)
def test_each_bad_field_is_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidSightingsError) as raised:
        decode_sightings(_body(**changes), CONFIG, NOW_S)
    (error,) = raised.value.errors
    assert type(error) is FieldValueError and error.field == field and error.kind == "bad_field"
    assert raised.value.field == field


@pytest.mark.parametrize(("literal", "field"), [("NaN", "lat"), ("Infinity", "bearing_deg")])
def test_non_finite_numbers_are_named(literal: str, field: str) -> None:
    body = _body(**{field: 12.5}).decode().replace("12.5", literal).encode()
    with pytest.raises(InvalidSightingsError) as raised:
        decode_sightings(body, CONFIG, NOW_S)
    assert [e.field for e in raised.value.errors] == [field]


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        ("2025-09-10T01:02:39Z", "6 s in the future"),
        ("2025-09-10T00:47:32Z", "901 s old"),
        ("1970-01-01T00:00:00Z", "old"),
        ("9999-12-31T23:59:59Z", "in the future"),
    ],
)
def test_times_outside_the_window_are_refused(moment: str, message: str) -> None:
    with pytest.raises(InvalidSightingsError) as raised:
        decode_sightings(_body(time=moment), CONFIG, NOW_S)
    (error,) = raised.value.errors
    assert type(error) is SightingTimeError and error.field == "time" and error.kind == "bad_time"
    assert message in str(error)


def test_times_at_the_edges_of_the_window_pass() -> None:
    assert _one(time="2025-09-10T01:02:38Z")  # 5 s ahead
    assert _one(time="2025-09-10T00:47:33Z")  # 900 s old


def test_every_error_of_every_sighting_is_listed() -> None:
    body = json.dumps(
        [
            GOOD,
            {**GOOD, "lat": 91, "bearing_deg": 400},
            {**GOOD, "v": 2, "lat": "x"},
            {**GOOD, "seen": None, "kind": None},
        ]
    ).encode()
    with pytest.raises(InvalidSightingsError) as raised:
        decode_sightings(body, CONFIG, NOW_S)
    found = [(type(e).__name__, e.field) for e in raised.value.errors]
    assert found == [
        ("FieldValueError", "[1].lat"),
        ("FieldValueError", "[1].bearing_deg"),
        ("UnsupportedError", "[2].v"),
    ]


def test_another_version_is_unsupported() -> None:
    with pytest.raises(InvalidSightingsError) as raised:
        decode_sightings(_body(v=2), CONFIG, NOW_S)
    (error,) = raised.value.errors
    assert type(error) is UnsupportedError and error.field == "v"
    assert raised.value.kind == "unsupported"


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        (b'{"v":1,"reporter":', TruncatedError),
        (b"", TruncatedError),
        (b"sighting", FieldValueError),
        (b"\xff", FieldValueError),
        (b"[]", FieldValueError),
        (b"42", FieldValueError),
        (b"[1, 2]", InvalidSightingsError),
        (json.dumps([GOOD] * 51).encode(), FieldValueError),
        (b"[" * 5000, FieldValueError),
    ],
)
def test_unusable_bodies_raise(body: bytes, error_type: type[DecodeError]) -> None:
    with pytest.raises(error_type) as raised:
        decode_sightings(body, CONFIG, NOW_S)
    assert type(raised.value) is error_type and raised.value.field


# ---------------------------------------------------------------- round trip and fuzzing

sightings = st.builds(
    Sighting,
    version=st.just(1),
    reporter_id=st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True),
    lat_deg=st.floats(-90.0, 90.0, allow_nan=False),
    lon_deg=st.floats(-180.0, 180.0, allow_nan=False),
    bearing_deg=st.floats(0.0, 360.0, allow_nan=False, exclude_max=True),
    elevation_deg=st.floats(-10.0, 90.0, allow_nan=False),
    time=st.datetimes(
        NOW.replace(tzinfo=None) - timedelta(seconds=900),
        NOW.replace(tzinfo=None) + timedelta(seconds=5),
        timezones=st.just(UTC),
    ),
    alt_m=st.none() | st.floats(-500.0, 9000.0, allow_nan=False),
    distance_m=st.none() | st.floats(0.0, 20_000.0, allow_nan=False, exclude_min=True),
    kind=st.none() | st.sampled_from(SightingKind),
    sound=st.none() | st.sampled_from(SightingSound),
    seen=st.none() | st.booleans(),
)


@given(st.lists(sightings, min_size=1, max_size=5))
@settings(max_examples=60)
def test_round_trip_and_reports_are_plausible(batch: list[Sighting]) -> None:
    decoded = decode_sightings(encode_sightings(batch), CONFIG, NOW_S)
    assert decoded == batch
    # accepted sightings span max_age_s + max_future_s (hypothesis found two 900.000001 s apart)
    tolerance_s = CONFIG.max_age_s + CONFIG.max_future_s
    sensor = SensorConfig("ua-eppo", SensorKind.SIGHTING, max_reorder_s=tolerance_s)
    sense = Sense({"ua-eppo": sensor}, _never)
    reports = [to_report(s, CONFIG) for s in decoded]
    assert sense.ingest(reports, now_s=NOW_S) == reports


def _never(report: object, error: object) -> None:
    raise AssertionError(f"{report} refused: {error}")


@given(st.binary(max_size=200))
@settings(max_examples=200)
def test_random_bytes_only_ever_raise_decode_errors(body: bytes) -> None:
    try:
        decode_sightings(body, CONFIG, NOW_S)
    except DecodeError as error:
        assert error.field


# ---------------------------------------------------------------- reports


def test_stated_distance_gives_the_estimate() -> None:
    report = to_report(_one(), CONFIG)
    m = report.measurement
    assert isinstance(m, SightingMeasurement)
    assert report.sensor_id == "ua-eppo" and report.time_s == pytest.approx(1757466123.456)
    assert report.source == "sighting:app-5f3c9a"
    assert m.reporter == GeoPoint(50.0, 30.0, 180.0)
    # 2000 m due east at 50 N: one degree of longitude is N cos(lat) pi/180 = 71,696 m on WGS84
    assert m.estimate.lon_deg == pytest.approx(30.0 + 2000.0 / 71_695.9, abs=2e-6)
    assert m.estimate.lat_deg == pytest.approx(50.0, abs=1e-5)
    assert m.estimate.alt_m == pytest.approx(180.0)  # elevation 0: at the reporter's height
    assert m.sigma_m == pytest.approx(math.hypot(1000.0, 2000.0 * math.radians(10.0)))
    assert report.class_hint == ClassHint(ObjectClass.SHAHED, 0.3)


def test_elevation_with_the_assumed_height_gives_the_distance() -> None:
    sighting = _one(distance_m=..., bearing_deg=0.0, elevation_deg=45.0, alt_m=..., kind=...)
    report = to_report(sighting, CONFIG)
    m = report.measurement
    assert isinstance(m, SightingMeasurement)
    # 500 m north at 50 N: one degree of latitude is 111,229 m (meridian radius 6,372,980 m)
    assert m.estimate.lat_deg == pytest.approx(50.0 + 500.0 / 111_229.0, abs=2e-6)
    assert m.estimate.lon_deg == pytest.approx(30.0, abs=1e-9)
    assert m.estimate.alt_m is None  # the reporter's height is unknown
    assert m.sigma_m == pytest.approx(math.hypot(350.0, 500.0 * math.radians(10.0)))
    assert report.class_hint == ClassHint(ObjectClass.SHAHED, 0.15)  # from the moped sound


@pytest.mark.parametrize(
    ("elevation_deg", "distance_m", "sigma_m"),
    [
        (2.0, 5000.0, math.hypot(3500.0, 5000.0 * math.radians(10.0))),  # 14 km: clamped
        (0.0, 5000.0, math.hypot(3500.0, 5000.0 * math.radians(10.0))),
        (-5.0, 5000.0, math.hypot(3500.0, 5000.0 * math.radians(10.0))),
        (89.99, 100.0, 300.0),  # overhead: the minimum distance and sigma
    ],
)
def test_assumed_distance_is_clamped(
    elevation_deg: float, distance_m: float, sigma_m: float
) -> None:
    sighting = _one(distance_m=..., bearing_deg=0.0, elevation_deg=elevation_deg)
    m = to_report(sighting, CONFIG).measurement
    assert isinstance(m, SightingMeasurement)
    assert (m.estimate.lat_deg - 50.0) * 111_229.0 == pytest.approx(distance_m, rel=1e-4)
    assert m.sigma_m == pytest.approx(sigma_m)


def test_slant_distance_and_hearing_only() -> None:
    sighting = _one(elevation_deg=30.0, seen=False, kind=..., sound="jet")
    report = to_report(sighting, CONFIG)
    m = report.measurement
    assert isinstance(m, SightingMeasurement)
    assert m.estimate.alt_m == pytest.approx(180.0 + 1000.0)  # 2000 m at 30 degrees up
    east_m = (m.estimate.lon_deg - 30.0) * 71_695.9
    assert east_m == pytest.approx(2000.0 * math.cos(math.radians(30.0)), rel=1e-4)
    assert m.sigma_m == pytest.approx(math.hypot(1000.0, 2000.0 * math.radians(30.0)))
    assert report.class_hint == ClassHint(ObjectClass.JET_DRONE, 0.15)


def test_no_kind_and_no_telling_sound_gives_no_hint() -> None:
    assert to_report(_one(kind="unknown", sound="other"), CONFIG).class_hint is None
    assert to_report(_one(kind=..., sound=...), CONFIG).class_hint is None


def test_encoded_sighting_is_the_documented_object() -> None:
    assert sighting_dict(_one()) == {**GOOD, "alt_m": 180.0, "distance_m": 2000.0}


# ---------------------------------------------------------------- rate limiter


class Clock:
    def __init__(self, now_s: float = 1000.0) -> None:
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = ReporterRateLimiter(RateLimit(per_minute=6.0, burst=5), clock)
    assert [limiter.admit({"a": 1}) for _ in range(5)] == [0.0] * 5
    assert limiter.admit({"a": 1}) == pytest.approx(10.0)  # one token per 10 s
    clock.now_s += 9.0
    assert limiter.admit({"a": 1}) == pytest.approx(1.0)
    clock.now_s += 1.0
    assert limiter.admit({"a": 1}) == 0.0
    assert limiter.admit({"b": 5}) == 0.0  # other reporters are not affected


def test_a_request_is_admitted_for_all_its_reporters_or_none() -> None:
    clock = Clock()
    limiter = ReporterRateLimiter(RateLimit(per_minute=6.0, burst=2), clock)
    assert limiter.admit({"a": 2}) == 0.0
    assert limiter.admit({"a": 1, "b": 2}) == pytest.approx(10.0)
    assert limiter.admit({"b": 2}) == 0.0  # b's tokens were not taken by the refusal
    with pytest.raises(ValueError, match="burst"):
        limiter.admit({"c": 3})


def test_idle_reporters_are_forgotten() -> None:
    clock = Clock()
    limiter = ReporterRateLimiter(RateLimit(per_minute=6.0, burst=5), clock)
    for i in range(100):  # r0 at t=1000.0, r1 at 1000.5 ... r99 at 1049.5
        assert limiter.admit({f"r{i}": 1}) == 0.0
        clock.now_s += 0.5
    assert len(limiter) == 100
    # a bucket idle for burst / rate = 50 s is full whatever it held: forgetting it is exact
    limiter.admit({"new": 1})  # t=1050: r0 goes
    assert len(limiter) == 100
    clock.now_s += 25.0
    limiter.admit({"newer": 1})  # t=1075: r1..r50 (idle >= 50 s) go
    assert len(limiter) == 49 + 2
    clock.now_s += 1000.0
    limiter.admit({"last": 1})
    assert len(limiter) == 1 and limiter.evicted_early == 0


def test_memory_is_bounded_even_when_everyone_is_active() -> None:
    clock = Clock()
    limiter = ReporterRateLimiter(RateLimit(per_minute=6.0, burst=5, max_reporters=3), clock)
    for i in range(10):
        assert limiter.admit({f"r{i}": 1}) == 0.0
    assert len(limiter) == 3 and limiter.evicted_early == 7


@pytest.mark.parametrize("key", ["[v", "[", "[x]", "[3", "]"])
def test_unknown_keys_that_look_like_indices_are_field_errors(key: str) -> None:
    """Found by bench/fuzz.py: an unknown key ``"[v"`` broke the sorting of the errors."""
    body = json.dumps({key: 1, "reporter": "r1"}).encode()
    with pytest.raises(InvalidSightingsError) as caught:
        decode_sightings(body, CONFIG, NOW_S)
    assert key in {error.field for error in caught.value.errors}
