"""CAT062 out: golden bytes checked by hand against the spec, libasterix's own decoder on
generated tracks, every edition, ranges, track numbers and the track life cycle."""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import numpy as np
import pytest
from asterix.base import Bits, RawDatablock
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from dronewarn.domain.errors import ConfigError, FieldValueError
from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.formats.asterix.encode062 import (
    ALTITUDE_LSB_FT,
    LATLON_LSB_DEG,
    TIME_LSB_S,
    VELOCITY_LSB_MPS,
    AltitudeSource,
    AsterixEncodeError,
    Cat062Config,
    Cat062Encoder,
    Cat062Record,
    Cat062Stream,
    TrackNumberAllocator,
    TrackNumberError,
    cat062_editions,
    encode_record,
    pack_datablocks,
    record_of,
)
from dronewarn.geo.frame import LocalFrame

T0_S = 1_700_000_000.25  # 2023-11-14T22:13:20.25Z: 80,000.25 s after midnight


def _track(**changes: Any) -> TrackState:
    base = TrackState(
        track_id="BY-T1",
        time_s=T0_S,
        status=TrackStatus.CONFIRMED,
        east_m=0.0,
        north_m=0.0,
        vel_east_mps=-12.3,
        vel_north_mps=40.1,
        # var_e 100, cov_en 20, var_n 400; velocity variances 4 and 9
        cov_enu=(100.0, 20.0, 0, 0, 20.0, 400.0, 0, 0, 0, 0, 4.0, 0, 0, 0, 0, 9.0),
        position=GeoPoint(52.1, 23.2, 300.0),
        quality=1.0,
        updates=3,
        sensors=frozenset({"radar-1", "acoustic-7"}),
        object_class=ObjectClass.SHAHED,
        first_seen_s=T0_S - 20.0,
        last_update_s=T0_S - 0.25,
        altitude_sigma_m=30.0,
    )
    return dataclasses.replace(base, **changes)


CONFIG = Cat062Config(sac=1, sic=2, service_id=3, reference_point=GeoPoint(52.0, 23.0))


@functools.cache
def encoder() -> Cat062Encoder:
    """One encoder for CONFIG: its frame and libasterix's spec load once (2-3 s)."""
    return Cat062Encoder(CONFIG)


@dataclasses.dataclass(frozen=True, slots=True)
class Decoded062:
    """The items dronewarn writes, as libasterix's parser reads them back."""

    sac: int
    sic: int
    service_id: int | None
    time_of_day_s: float
    lat_deg: float
    lon_deg: float
    x_m: float | None
    y_m: float | None
    vx_mps: float
    vy_mps: float
    track_number: int
    mon: int
    mrh: int
    src: int
    cnf: int
    sim: int
    tse: int
    tsb: int
    cst: int | None
    emc: int | None
    track_age_s: float | None
    altitude_ft: float | None
    apc: tuple[float, float] | None
    cov_m: float | None
    apw: tuple[float, float] | None
    aga_ft: float | None
    atv: tuple[float, float] | None


def _q(item: Any, unit: str) -> float:
    return float(item.variation.content.as_quantity(unit))


def _pair(group: Any, unit: str) -> tuple[float, float]:
    v = group.variation
    names = ("LAT", "LON") if unit == "°" else ("X", "Y")
    return (_q(v.get_item(names[0]), unit), _q(v.get_item(names[1]), unit))


def decode_with_libasterix(data: bytes, edition: str = "1.20") -> list[Decoded062]:
    import asterix.generated as gen

    spec = next(
        s for s in gen.manifest["CATS"][62] if f"{s.cv_edition[0]}.{s.cv_edition[1]}" == edition
    )
    blocks = RawDatablock.parse(Bits.from_bytes(data))
    assert not isinstance(blocks, ValueError), blocks
    out = []
    for block in blocks:
        assert block.get_category() == 62
        records = spec.cv_uap.parse(block.get_raw_records())
        assert not isinstance(records, ValueError), records
        for r in records:
            i010, i015, i100 = r.get_item("010"), r.get_item("015"), r.get_item("100")
            i080 = r.get_item("080").variation
            i380, i290, i130, i500 = (r.get_item(n) for n in ("380", "290", "130", "500"))
            sub500 = None if i500 is None else i500.variation
            cst = i080.get_item("CST")

            def acc(name: str, unit: str, sub: Any = sub500) -> Any:
                if sub is None or sub.get_item(name) is None:
                    return None
                item = sub.get_item(name)
                return _pair(item, unit) if name in ("APC", "APW", "ATV") else _q(item, unit)

            xy = None if i100 is None else _pair(i100, "m")
            out.append(
                Decoded062(
                    sac=i010.variation.get_item("SAC").as_uint(),
                    sic=i010.variation.get_item("SIC").as_uint(),
                    service_id=None if i015 is None else i015.as_uint(),
                    time_of_day_s=_q(r.get_item("070"), "s"),
                    lat_deg=_q(r.get_item("105").variation.get_item("LAT"), "°"),
                    lon_deg=_q(r.get_item("105").variation.get_item("LON"), "°"),
                    x_m=None if xy is None else xy[0],
                    y_m=None if xy is None else xy[1],
                    vx_mps=_q(r.get_item("185").variation.get_item("VX"), "m/s"),
                    vy_mps=_q(r.get_item("185").variation.get_item("VY"), "m/s"),
                    track_number=r.get_item("040").as_uint(),
                    mon=i080.get_item("MON").as_uint(),
                    mrh=i080.get_item("MRH").as_uint(),
                    src=i080.get_item("SRC").as_uint(),
                    cnf=i080.get_item("CNF").as_uint(),
                    sim=i080.get_item("SIM").as_uint(),
                    tse=i080.get_item("TSE").as_uint(),
                    tsb=i080.get_item("TSB").as_uint(),
                    cst=None if cst is None else cst.as_uint(),
                    emc=None if i380 is None else i380.variation.get_item("EMC").as_uint(),
                    track_age_s=None if i290 is None else _q(i290.variation.get_item("TRK"), "s"),
                    altitude_ft=None if i130 is None else _q(i130, "ft"),
                    apc=acc("APC", "m"),
                    cov_m=acc("COV", "m"),
                    apw=acc("APW", "°"),
                    aga_ft=acc("AGA", "ft"),
                    atv=acc("ATV", "m/s"),
                )
            )
    return out


# ------------------------------------------------------------------------------- golden

GOLDEN = (
    "bf1f1104"  # FSPEC: FRN 1,3-7 | 11-14 | 18 | 27
    "0102"  # I010 SAC 1 SIC 2
    "03"  # I015 service 3
    "9c4020"  # I070 10,240,032/128 = 80,000.25 s
    "00943210"  # I105 LAT 9,712,144 x 180/2^25 = 52.1000004 deg
    "0041fdb9"  # I105 LON 4,324,793 x 180/2^25 = 23.1999975 deg
    "006b12"  # I100 X 27,410 x 0.5 = 13,705 m east of 52N 23E
    "005713"  # I100 Y 22,291 x 0.5 = 11,145.5 m north
    "ffcf"  # I185 VX -49 x 0.25 = -12.25 m/s (-12.3)
    "00a0"  # I185 VY 160 x 0.25 = 40.0 m/s (40.1)
    "0101020d"  # I380 FSPEC: subfield 21 (EMC) = 13 (UAV)
    "1092"  # I040 track number 4242
    "2d"  # I080 MON 0, SPI 0, MRH 1, SRC 3 (triangulation), CNF 0, FX
    "20"  # I080 SIM 0, TSE 0, TSB 1
    "8050"  # I290 TRK: 80 x 0.25 = 20 s
    "009d"  # I130 157 x 6.25 = 981.25 ft (300 m = 984.25 ft)
    "f4"  # I500 FSPEC: APC, COV, APW, AGA, ATV
    "00140028"  # APC 20 x 0.5 = 10 m, 40 x 0.5 = 20 m
    "0009"  # COV 9 x 0.5 = 4.5 m (sqrt 20 = 4.47)
    "0022001b"  # APW 34 and 27 x 180/2^25 deg (20 m of latitude, 10 m of longitude)
    "10"  # AGA 16 x 6.25 = 100 ft (30 m = 98.4 ft)
    "080c"  # ATV 8 x 0.25 = 2 m/s, 12 x 0.25 = 3 m/s
)


def test_golden_record_checked_by_hand() -> None:
    record = encoder().encode(_track(), 4242, first=True)
    assert record.hex() == GOLDEN


def test_golden_record_decodes_with_libasterix() -> None:
    (block,) = pack_datablocks(62, [bytes.fromhex(GOLDEN)])
    assert block[:3] == bytes((62, 0, 3 + len(GOLDEN) // 2))
    (d,) = decode_with_libasterix(block)
    assert (d.sac, d.sic, d.service_id, d.track_number) == (1, 2, 3, 4242)
    assert d.time_of_day_s == 80_000.25
    assert (d.tsb, d.tse, d.mrh, d.src, d.cnf, d.mon, d.emc) == (1, 0, 1, 3, 0, 0, 13)
    assert d.vx_mps == -12.25 and d.vy_mps == 40.0
    assert d.x_m == 13_705.0 and d.y_m == 11_145.5


# ------------------------------------------------------------------- generated round trips

central_europe = st.builds(
    GeoPoint,
    st.floats(45.0, 56.0),
    st.floats(12.0, 30.0),
    st.one_of(st.none(), st.floats(-100.0, 12_000.0)),
)


@st.composite
def track_states(draw: st.DrawFn) -> TrackState:
    sigma_e = draw(st.floats(0.5, 5_000.0))
    sigma_n = draw(st.floats(0.5, 5_000.0))
    rho = draw(st.floats(-0.99, 0.99))
    var_ve = draw(st.floats(0.0, 2_500.0))
    var_vn = draw(st.floats(0.0, 2_500.0))
    cov_en = rho * sigma_e * sigma_n
    time_s = draw(st.floats(1.6e9, 1.9e9))
    position = draw(central_europe)
    return _track(
        track_id=draw(st.text("ABCDEFT0123456789-", min_size=1, max_size=12)),
        time_s=time_s,
        status=draw(st.sampled_from([TrackStatus.CONFIRMED, TrackStatus.TENTATIVE])),
        vel_east_mps=draw(st.floats(-300.0, 300.0)),
        vel_north_mps=draw(st.floats(-300.0, 300.0)),
        cov_enu=(
            *(sigma_e**2, cov_en, 0.0, 0.0),
            *(cov_en, sigma_n**2, 0.0, 0.0),
            *(0.0, 0.0, var_ve, 0.0),
            *(0.0, 0.0, 0.0, var_vn),
        ),
        position=position,
        sensors=frozenset(draw(st.lists(st.sampled_from("abcde"), min_size=1, max_size=3))),
        object_class=draw(st.sampled_from(list(ObjectClass))),
        first_seen_s=time_s - draw(st.floats(0.0, 200.0)),
        last_update_s=time_s - draw(st.floats(0.0, 30.0)),
        altitude_sigma_m=None if position.alt_m is None else draw(st.floats(1.0, 500.0)),
    )


def _close(decoded: float, sent: float, lsb: float) -> bool:
    return abs(decoded - sent) <= lsb / 2 + 1e-9


def check_decoded(d: Decoded062, r: Cat062Record) -> None:
    """Every field libasterix (or the peer) reads back is the sent value within half an LSB."""
    assert (d.sac, d.sic, d.service_id, d.track_number) == (
        r.sac,
        r.sic,
        r.service_id,
        r.track_number,
    )
    tod = d.time_of_day_s if d.time_of_day_s >= r.time_of_day_s - 1 else d.time_of_day_s + 86_400
    assert _close(tod, r.time_of_day_s, TIME_LSB_S)
    assert _close(d.lat_deg, r.lat_deg, LATLON_LSB_DEG)
    assert _close(d.lon_deg, r.lon_deg, LATLON_LSB_DEG) or _close(
        d.lon_deg + 360.0, r.lon_deg, LATLON_LSB_DEG
    )
    assert _close(d.vx_mps, r.vx_mps, VELOCITY_LSB_MPS)
    assert _close(d.vy_mps, r.vy_mps, VELOCITY_LSB_MPS)
    if r.x_m is None or r.y_m is None:
        assert d.x_m is None
    else:
        assert d.x_m is not None and d.y_m is not None
        assert _close(d.x_m, r.x_m, 0.5) and _close(d.y_m, r.y_m, 0.5)
    assert d.mon == int(r.monosensor)
    assert d.cnf == int(not r.confirmed)
    assert (d.sim, d.tse, d.tsb) == (int(r.simulated), int(r.last), int(r.first))
    assert (d.cst or 0) == int(r.coasting)
    assert d.emc == r.emitter_category
    if r.altitude_ft is None:
        assert d.altitude_ft is None and d.mrh == 0 and d.src == 0
    else:
        assert d.altitude_ft is not None
        assert _close(d.altitude_ft, r.altitude_ft, ALTITUDE_LSB_FT)
        assert (d.mrh, d.src) == (1, int(r.altitude_source))
    if r.track_age_s is None:
        assert d.track_age_s is None
    else:
        assert d.track_age_s is not None
        assert _close(d.track_age_s, min(r.track_age_s, 63.75), 0.25)
    acc = r.accuracy
    if acc is None:
        assert d.apc is None
        return
    assert d.apc is not None and d.apw is not None and d.atv is not None and d.cov_m is not None

    def sat(decoded: float, sent: float, lsb: float, maximum: float) -> bool:
        return _close(decoded, min(sent, maximum), lsb)

    assert sat(d.apc[0], acc.apc_x_m, 0.5, 32_767.5) and sat(d.apc[1], acc.apc_y_m, 0.5, 32_767.5)
    assert _close(d.cov_m, max(-16_383.5, min(16_383.5, acc.cov_xy_m)), 0.5)
    top = 65_535 * LATLON_LSB_DEG
    assert sat(d.apw[0], acc.apw_lat_deg, LATLON_LSB_DEG, top)
    assert sat(d.apw[1], acc.apw_lon_deg, LATLON_LSB_DEG, top)
    assert sat(d.atv[0], acc.atv_x_mps, 0.25, 63.75) and sat(d.atv[1], acc.atv_y_mps, 0.25, 63.75)
    if acc.aga_ft is None:
        assert d.aga_ft is None
    else:
        assert d.aga_ft is not None and sat(d.aga_ft, acc.aga_ft, ALTITUDE_LSB_FT, 1593.75)


@settings(max_examples=150, deadline=None)
@given(track_states(), st.integers(0, 0xFFFF), st.booleans(), st.booleans())
def test_libasterix_reads_back_what_was_meant(
    state: TrackState, number: int, first: bool, last: bool
) -> None:
    record = encoder().record(state, number, first=first, last=last)
    (block,) = pack_datablocks(62, [encoder().encode(state, number, first=first, last=last)])
    (decoded,) = decode_with_libasterix(block)
    check_decoded(decoded, record)


@pytest.mark.parametrize("edition", ["1.16", "1.17", "1.18", "1.19", "1.20", "1.21"])
def test_every_edition_libasterix_carries(edition: str) -> None:
    assert edition in cat062_editions()
    config = dataclasses.replace(CONFIG, edition=edition)
    encoder = Cat062Encoder(config)
    record = encoder.encode(_track(), 4242, first=True)
    assert record.hex() == GOLDEN  # the items written have one layout in all of them
    (block,) = pack_datablocks(62, [record])
    (decoded,) = decode_with_libasterix(block, edition)
    check_decoded(decoded, encoder.record(_track(), 4242, first=True))
    assert record_of(_track(), 4242, config).x_m is None  # no frame given: no I100


def test_an_unknown_edition_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"1\.99"):
        Cat062Encoder(dataclasses.replace(CONFIG, edition="1.99"))


@pytest.mark.parametrize("value", [-1, 256])
def test_sac_sic_service_out_of_range_are_config_errors(value: int) -> None:
    with pytest.raises(ConfigError):
        Cat062Config(sac=value, sic=1)
    with pytest.raises(ConfigError):
        Cat062Config(sac=1, sic=value)
    with pytest.raises(ConfigError):
        Cat062Config(sac=1, sic=1, service_id=value)


# ------------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"vel_east_mps": 8_192.0}, "I062/185 VX"),
        ({"vel_north_mps": -8_192.2}, "I062/185 VY"),
        ({"vel_north_mps": math.nan}, "I062/185 VY"),
        ({"vel_east_mps": math.inf}, "I062/185 VX"),
        ({"position": GeoPoint(90.5, 23.0)}, "I062/105"),
        ({"position": GeoPoint(52.0, -180.01)}, "I062/105"),
        ({"position": GeoPoint(math.nan, 23.0)}, "I062/105"),
        ({"position": GeoPoint(52.0, 23.0, 46_000.0)}, "I062/130"),
        ({"position": GeoPoint(52.0, 23.0, -500.0)}, "I062/130"),
        ({"time_s": math.nan}, "I062/070"),
        ({"cov_enu": (math.nan,) * 16}, "I062/500"),
        ({"cov_enu": (-1.0,) + (0.0,) * 15}, "I062/500"),
        ({"cov_enu": (1.0,) * 4}, "I062/500"),
    ],
)
def test_out_of_range_values_raise_and_never_wrap(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(AsterixEncodeError) as caught:
        encoder().encode(_track(**changes), 1)
    assert caught.value.field.startswith(field)
    assert isinstance(caught.value, FieldValueError)
    assert caught.value.kind == "encode_range"


def test_range_edges_are_written() -> None:
    plain = Cat062Encoder(Cat062Config(sac=1, sic=2))
    edge = _track(vel_east_mps=8_191.75, vel_north_mps=-8_192.0, position=GeoPoint(90.0, 180.0))
    (d,) = decode_with_libasterix(pack_datablocks(62, [plain.encode(edge, 0xFFFF)])[0])
    assert (d.vx_mps, d.vy_mps) == (8_191.75, -8_192.0)
    assert (d.lat_deg, d.lon_deg) == (90.0, -180.0)  # 180 E is 180 W, the spec's [-180, 180)
    assert d.track_number == 0xFFFF
    with pytest.raises(AsterixEncodeError, match="16 bits"):
        plain.encode(edge, 0x10000)


def test_a_time_rounding_up_to_midnight_is_midnight() -> None:
    late = _track(time_s=1_699_920_000.0 + 86_399.999)  # 23:59:59.999
    (d,) = decode_with_libasterix(pack_datablocks(62, [encoder().encode(late, 1)])[0])
    assert d.time_of_day_s == 0.0


def test_accuracies_saturate_as_the_spec_says() -> None:
    huge = (1e12, 0.0, 0, 0, 0.0, 1e12, 0, 0, 0, 0, 1e6, 0, 0, 0, 0, 1e6)
    wide = _track(cov_enu=huge, altitude_sigma_m=1e5, first_seen_s=T0_S - 1e4)
    (d,) = decode_with_libasterix(pack_datablocks(62, [encoder().encode(wide, 1)])[0])
    assert d.apc == (32_767.5, 32_767.5)
    assert d.atv == (63.75, 63.75)
    assert d.aga_ft == 255 * 6.25
    assert d.track_age_s == 63.75
    negative = _track(cov_enu=(1e12, -1e12, 0, 0, -1e12, 1e12, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1))
    blocks = pack_datablocks(62, [encoder().encode(negative, 1)])
    assert decode_with_libasterix(blocks[0])[0].cov_m == -16_383.5


def test_flags_follow_the_track() -> None:
    exercise = Cat062Encoder(dataclasses.replace(CONFIG, exercise=True, coasting_after_s=5.0))
    crewed = _track(
        status=TrackStatus.TENTATIVE,
        object_class=ObjectClass.CREWED,
        sensors=frozenset({"radar-1"}),
        position=GeoPoint(52.1, 23.2, None),
        altitude_sigma_m=None,
        last_update_s=T0_S - 6.0,
    )
    (d,) = decode_with_libasterix(pack_datablocks(62, [exercise.encode(crewed, 7, last=True)])[0])
    assert (d.cnf, d.mon, d.sim, d.tse, d.tsb, d.cst) == (1, 1, 1, 1, 0, 1)
    assert d.emc is None  # no emitter category claimed for a crewed aircraft
    assert d.altitude_ft is None and (d.mrh, d.src) == (0, 0) and d.aga_ft is None
    deleted = _track(status=TrackStatus.DELETED)
    assert encoder().record(deleted, 1).last


def test_velocity_is_turned_to_true_north_at_the_target() -> None:
    """A target 200 km east of the node's origin flying 100 m/s grid-north: its true course,
    from pyproj's geodesic between where it is and where it is a second later, is what I185
    carries (meridian convergence: about 2.9 deg of longitude x sin 52 deg = 2.3 deg)."""
    plane = LocalFrame(52.0, 23.0)
    (lat, lat_1s), (lon, lon_1s) = plane.from_plane(np.full(2, 200_000.0), np.array([0, 100.0]))
    course = Geod(ellps="WGS84").inv(lon, lat, lon_1s, lat_1s)[0] % 360.0
    assert 2.0 < course < 2.6
    config = Cat062Config(sac=1, sic=2, plane_origin=GeoPoint(52.0, 23.0), accuracies=False)
    state = _track(position=GeoPoint(float(lat), float(lon)), vel_east_mps=0.0, vel_north_mps=100.0)
    turned = Cat062Encoder(config).encode(state, 1)
    (d,) = decode_with_libasterix(pack_datablocks(62, [turned])[0])
    assert math.degrees(math.atan2(d.vx_mps, d.vy_mps)) == pytest.approx(course, abs=0.15)
    assert math.hypot(d.vx_mps, d.vy_mps) == pytest.approx(100.0, abs=0.2)
    record = Cat062Encoder(config).record(state, 1)
    assert math.degrees(math.atan2(record.vx_mps, record.vy_mps)) == pytest.approx(course, abs=0.01)
    as_given = Cat062Encoder(dataclasses.replace(config, plane_origin=None)).record(state, 1)
    assert (as_given.vx_mps, as_given.vy_mps) == (0.0, 100.0)


def test_without_reference_point_or_accuracies_those_items_are_absent() -> None:
    bare = Cat062Config(sac=9, sic=8, accuracies=False, altitude_source=AltitudeSource.RADAR_3D)
    (d,) = decode_with_libasterix(pack_datablocks(62, [Cat062Encoder(bare).encode(_track(), 1)])[0])
    assert d.x_m is None and d.apc is None and d.service_id is None
    assert d.src == int(AltitudeSource.RADAR_3D)


def test_encode_record_from_fields() -> None:
    record = Cat062Record(
        sac=1, sic=2, time_of_day_s=10.0, lat_deg=50.0, lon_deg=20.0, vx_mps=0, vy_mps=0,
        track_number=5,
    )  # fmt: skip
    (d,) = decode_with_libasterix(pack_datablocks(62, [encode_record(record)])[0])
    check_decoded(d, record)


# ------------------------------------------------------------------------- data blocks


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=300), max_size=40), st.integers(303, 1500))
def test_blocks_keep_records_whole_in_order_and_fit(records: list[bytes], limit: int) -> None:
    blocks = pack_datablocks(62, records, limit)
    assert all(len(b) <= limit for b in blocks)
    assert all(b[0] == 62 and int.from_bytes(b[1:3], "big") == len(b) for b in blocks)
    assert b"".join(b[3:] for b in blocks) == b"".join(records)
    # greedy: a block ends only where the next record would not have fitted
    at = 0
    for block in blocks:
        size = 3
        while at < len(records) and size + len(records[at]) <= len(block):
            size += len(records[at])
            at += 1
        assert size == len(block)
        if at < len(records):
            assert len(block) + len(records[at]) > limit
    assert at == len(records)


def test_many_tracks_fill_1400_byte_datagrams() -> None:
    records = [encoder().encode(_track(track_id=f"T{i}"), i) for i in range(100)]
    blocks = pack_datablocks(62, records)
    assert [len(b) for b in blocks] == [3 + 25 * 54] * 4
    decoded = [d for b in blocks for d in decode_with_libasterix(b)]
    assert [d.track_number for d in decoded] == list(range(100))


def test_a_record_too_long_for_the_datagram_is_refused() -> None:
    with pytest.raises(AsterixEncodeError, match="does not fit"):
        pack_datablocks(62, [b"x" * 100], max_bytes=102)
    assert pack_datablocks(62, [b"x" * 100], max_bytes=103) == [b"\x3e\x00\x67" + b"x" * 100]
    assert pack_datablocks(62, []) == []


# ------------------------------------------------------------------------- track numbers


def test_track_numbers_are_stable_and_hash_preferred() -> None:
    numbers = TrackNumberAllocator()
    a = numbers.assign("BY-T1", 0.0)
    assert a.first and a.number == numbers.preferred("BY-T1")
    assert numbers.assign("BY-T1", 1.0) == dataclasses.replace(a, first=False)
    assert TrackNumberAllocator().assign("BY-T1", 50.0).number == a.number  # after a restart


def test_a_released_number_rests_before_another_track_takes_it() -> None:
    numbers = TrackNumberAllocator(first=10, last=11, quarantine_s=60.0)
    a = numbers.assign("a", 0.0).number
    b = numbers.assign("b", 0.0).number
    assert {a, b} == {10, 11}
    numbers.release("a", 5.0)
    with pytest.raises(TrackNumberError, match="no track number"):
        numbers.assign("c", 30.0)  # a's number is resting
    again = numbers.assign("a", 31.0)  # the same track may come back to it at once
    assert again.number == a and again.first
    numbers.release("a", 40.0)
    assert numbers.assign("c", 100.1).number == a  # rested long enough


def test_rebind_and_withdraw() -> None:
    numbers = TrackNumberAllocator()
    n = numbers.assign("old", 0.0).number
    numbers.rebind("old", "new")
    assert numbers.number_of("new") == n and numbers.number_of("old") is None
    assert not numbers.assign("new", 1.0).first
    with pytest.raises(TrackNumberError):
        numbers.rebind("missing", "x")
    other = numbers.assign("other", 1.0).number
    with pytest.raises(TrackNumberError):
        numbers.rebind("new", "other")
    numbers.withdraw("other")
    assert len(numbers) == 1
    assert numbers.assign("third", 1.0).number in (other, numbers.preferred("third"))


@pytest.mark.parametrize(("first", "last"), [(-1, 10), (5, 4), (0, 0x10000)])
def test_allocator_range_must_be_16_bits(first: int, last: int) -> None:
    with pytest.raises(ConfigError):
        TrackNumberAllocator(first=first, last=last)


# ------------------------------------------------------------------------------ stream


def _flags(records: list[bytes]) -> dict[int, tuple[int, int]]:
    decoded = decode_with_libasterix(pack_datablocks(62, records)[0]) if records else []
    return {d.track_number: (d.tsb, d.tse) for d in decoded}


def test_stream_marks_first_and_last_records() -> None:
    stream = Cat062Stream(encoder())
    one, two = _track(track_id="one"), _track(track_id="two")
    n1, n2 = stream.numbers.preferred("one"), stream.numbers.preferred("two")
    assert _flags(stream.update([one, two]).records) == {n1: (1, 0), n2: (1, 0)}
    assert _flags(stream.update([one, two]).records) == {n1: (0, 0), n2: (0, 0)}
    # "two" vanished from the picture, "one" was deleted by the tracker
    gone = stream.update([dataclasses.replace(one, status=TrackStatus.DELETED)])
    assert _flags(gone.records) == {n1: (0, 1), n2: (0, 1)}
    assert stream.live == 0 and len(stream.numbers) == 0
    assert _flags(stream.update([one]).records) == {n1: (1, 0)}  # back: a new start
    assert _flags(stream.close().records) == {n1: (0, 1)}


def test_stream_leaves_out_a_track_that_does_not_fit_and_keeps_the_rest() -> None:
    stream = Cat062Stream(encoder())
    good, bad = _track(track_id="good"), _track(track_id="bad", vel_east_mps=1e5)
    batch = stream.update([bad, good])
    assert [tid for tid, _ in batch.rejected] == ["bad"]
    assert len(batch.records) == 1 and stream.numbers.number_of("bad") is None
    # a live track that stops fitting keeps its number and its last good state
    stream.update([good])
    batch = stream.update([dataclasses.replace(good, vel_east_mps=1e5)])
    assert [tid for tid, _ in batch.rejected] == ["good"] and not batch.records
    assert stream.live == 1
    assert _flags(stream.close().records) == {stream.numbers.preferred("good"): (0, 1)}
