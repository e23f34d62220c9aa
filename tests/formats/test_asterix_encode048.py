"""CAT048 plots (hand-written encoder) checked against libasterix on thousands of generated
plots, and CAT034 service messages (libasterix) read back."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
from asterix.base import Bits, RawDatablock
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewarn.domain.errors import ConfigError
from dronewarn.formats.asterix.encode048 import (
    RHO_LSB_M,
    RUNLENGTH_LSB_DEG,
    SECTOR_LSB_DEG,
    THETA_LSB_DEG,
    TIME_LSB_S,
    ClimbMode,
    PlotTrackStatus,
    RadarPlot,
    RadarServiceMessage,
    ServiceMessageType,
    cat034_editions,
    encode_plot,
    encode_plots,
    encode_service_message,
    encode_service_messages,
)
from dronewarn.formats.asterix.encode062 import AsterixEncodeError

CAT048_EDITIONS = ("1.27", "1.28", "1.29", "1.30", "1.31", "1.32")


def _spec(category: int, edition: str) -> Any:
    import asterix.generated as gen

    return next(
        s
        for s in gen.manifest["CATS"][category]
        if f"{s.cv_edition[0]}.{s.cv_edition[1]}" == edition
    )


def _records(data: bytes, category: int, edition: str) -> list[Any]:
    blocks = RawDatablock.parse(Bits.from_bytes(data))
    assert not isinstance(blocks, ValueError), blocks
    out: list[Any] = []
    for block in blocks:
        assert block.get_category() == category
        records = _spec(category, edition).cv_uap.parse(block.get_raw_records())
        assert not isinstance(records, ValueError), records
        out.extend(records)
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class Decoded048:
    sac: int
    sic: int
    time_of_day_s: float
    typ: int
    sim: int
    rdp: int
    spi: int
    rab: int
    rho_nm: float
    theta_deg: float
    prl_deg: float | None
    pam_dbm: float | None
    other_130: tuple[str, ...]
    track_number: int | None
    cnf: int | None
    rad: int | None
    mah: int | None
    cdm: int | None
    tre: int | None
    gho: int | None
    items: frozenset[str]


def decode_048(data: bytes, edition: str = "1.32") -> list[Decoded048]:
    out = []
    for r in _records(data, 48, edition):
        i010, i020, i040 = r.get_item("010"), r.get_item("020").variation, r.get_item("040")
        i130, i161, i170 = r.get_item("130"), r.get_item("161"), r.get_item("170")
        names = ("SRL", "SRR", "SAM", "PRL", "PAM", "RPD", "APD")
        sub130 = {n: i130.variation.get_item(n) for n in names} if i130 is not None else {}
        status = None if i170 is None else i170.variation

        def flag(name: str, v: Any = status) -> int | None:
            item = None if v is None else v.get_item(name)
            return None if item is None else int(item.as_uint())

        out.append(
            Decoded048(
                sac=i010.variation.get_item("SAC").as_uint(),
                sic=i010.variation.get_item("SIC").as_uint(),
                time_of_day_s=r.get_item("140").variation.content.as_quantity("s"),
                typ=i020.get_item("TYP").as_uint(),
                sim=i020.get_item("SIM").as_uint(),
                rdp=i020.get_item("RDP").as_uint(),
                spi=i020.get_item("SPI").as_uint(),
                rab=i020.get_item("RAB").as_uint(),
                rho_nm=i040.variation.get_item("RHO").variation.content.as_quantity("NM"),
                theta_deg=i040.variation.get_item("THETA").variation.content.as_quantity("°"),
                prl_deg=None
                if sub130.get("PRL") is None
                else sub130["PRL"].variation.content.as_quantity("°"),
                pam_dbm=None
                if sub130.get("PAM") is None
                else sub130["PAM"].variation.content.as_quantity("dBm"),
                other_130=tuple(
                    n for n in ("SRL", "SRR", "SAM", "RPD", "APD") if sub130.get(n) is not None
                ),
                track_number=None if i161 is None else i161.variation.get_item("TRN").as_uint(),
                cnf=flag("CNF"),
                rad=flag("RAD"),
                mah=flag("MAH"),
                cdm=flag("CDM"),
                tre=flag("TRE"),
                gho=flag("GHO"),
                items=frozenset(
                    n
                    for n in ("010", "140", "020", "040", "070", "090", "130", "161", "170")
                    if r.get_item(n) is not None
                ),
            )
        )
    return out


# ------------------------------------------------------------------------------ golden

GOLDEN_PLOT = RadarPlot(
    sac=1,
    sic=2,
    time_of_day_s=1234.5,
    range_m=18_520.0,
    azimuth_deg=45.0,
    runlength_deg=0.5,
    amplitude_dbm=-30.0,
    track_number=123,
    track_status=PlotTrackStatus(climb=ClimbMode.UNKNOWN),
)
GOLDEN_HEX = (
    "f312"  # FSPEC: FRN 1-4 and 7 (I130), FX | FRN 11 (I161) and 14 (I170)
    "0102"  # I010 SAC 1 SIC 2
    "026940"  # I140 158,016 / 128 = 1,234.5 s
    "20"  # I020 TYP 1 (single PSR detection), SIM 0, FX 0
    "0a00"  # I040 RHO 2,560 / 256 = 10 NM = 18,520 m
    "2000"  # I040 THETA 8,192 x 360/2^16 = 45 deg
    "18"  # I130 presence: PRL, PAM
    "0b"  # PRL 11 x 360/2^13 = 0.483 deg (0.5)
    "e2"  # PAM -30 dBm
    "007b"  # I161 track number 123
    "26"  # I170 CNF 0 (confirmed), RAD 1 (PSR track), DOU 0, MAH 0, CDM 3 (unknown), FX 0
)


def test_golden_plot_checked_by_hand() -> None:
    assert encode_plot(GOLDEN_PLOT).hex() == GOLDEN_HEX


def test_golden_plot_equals_libasterix_own_encoding() -> None:
    spec = _spec(48, "1.32")
    record = spec.cv_record.create(
        {
            "010": (1, 2),
            "140": (1234.5, "s"),
            "020": ((1, 0, 0, 0, 0, None),),
            "040": (("RHO", (10.0, "NM")), ("THETA", (45.0, "°"))),
            "130": {"PRL": (0.5, "°"), "PAM": (-30.0, "dBm")},
            "161": (0, 123),
            "170": ((0, 1, 0, 0, 3, None),),
        }
    )
    assert record.unparse().to_bytes().hex() == GOLDEN_HEX


def test_minimal_plot_has_one_fspec_octet() -> None:
    plain = RadarPlot(sac=9, sic=8, time_of_day_s=0.0, range_m=0.0, azimuth_deg=360.0)
    assert encode_plot(plain).hex() == "f0" + "0908" + "000000" + "20" + "0000" + "0000"


# --------------------------------------------------------------- generated, vs libasterix

track_statuses = st.builds(
    PlotTrackStatus,
    confirmed=st.booleans(),
    manoeuvre=st.booleans(),
    climb=st.sampled_from(list(ClimbMode)),
    end_of_track=st.booleans(),
    ghost=st.booleans(),
)
plots = st.builds(
    RadarPlot,
    sac=st.integers(0, 255),
    sic=st.integers(0, 255),
    time_of_day_s=st.floats(0.0, 86_399.99),
    range_m=st.floats(0.0, 65_535 * RHO_LSB_M),
    azimuth_deg=st.floats(0.0, 360.0),
    simulated=st.booleans(),
    runlength_deg=st.one_of(st.none(), st.floats(0.0, 255 * RUNLENGTH_LSB_DEG)),
    amplitude_dbm=st.one_of(st.none(), st.floats(-128.0, 127.0)),
    track_number=st.one_of(st.none(), st.integers(0, 4095)),
    track_status=st.one_of(st.none(), track_statuses),
)


def _close(got: float, sent: float, lsb: float) -> bool:
    return abs(got - sent) <= lsb / 2 + 1e-9


def check_plot(d: Decoded048, p: RadarPlot) -> None:
    assert (d.sac, d.sic) == (p.sac, p.sic)
    tod = d.time_of_day_s if d.time_of_day_s >= p.time_of_day_s - 1 else d.time_of_day_s + 86_400
    assert _close(tod, p.time_of_day_s, TIME_LSB_S)
    assert (d.typ, d.sim, d.rdp, d.spi, d.rab) == (1, int(p.simulated), 0, 0, 0)
    assert _close(d.rho_nm * 1852.0, p.range_m, RHO_LSB_M)
    theta = d.theta_deg if d.theta_deg >= p.azimuth_deg - 1 else d.theta_deg + 360.0
    assert _close(theta, p.azimuth_deg, THETA_LSB_DEG)
    if p.runlength_deg is None:
        assert d.prl_deg is None
    else:
        assert d.prl_deg is not None and _close(d.prl_deg, p.runlength_deg, RUNLENGTH_LSB_DEG)
    if p.amplitude_dbm is None:
        assert d.pam_dbm is None
    else:
        assert d.pam_dbm is not None and _close(d.pam_dbm, p.amplitude_dbm, 1.0)
    assert d.other_130 == ()  # no SSR subfields
    assert d.track_number == p.track_number
    s = p.track_status
    if s is None:
        assert d.cnf is None and "170" not in d.items
    else:
        assert (d.cnf, d.rad, d.mah, d.cdm) == (
            int(not s.confirmed),
            1,
            int(s.manoeuvre),
            int(s.climb),
        )
        two = s.end_of_track or s.ghost
        assert (d.tre, d.gho) == ((int(s.end_of_track), int(s.ghost)) if two else (None, None))
    expected = {"010", "140", "020", "040"}
    expected |= {"130"} if p.runlength_deg is not None or p.amplitude_dbm is not None else set()
    expected |= {"161"} if p.track_number is not None else set()
    expected |= {"170"} if s is not None else set()
    assert d.items == expected


@settings(max_examples=70, deadline=None)
@given(st.lists(plots, min_size=20, max_size=40))
def test_libasterix_decodes_generated_plots(batch: list[RadarPlot]) -> None:
    """About 2,000 plots per run (70 batches of 20-40), in data blocks of up to 1,400 bytes."""
    blocks = encode_plots(batch)
    decoded = [d for block in blocks for d in decode_048(block)]
    assert len(decoded) == len(batch)
    for d, p in zip(decoded, batch, strict=True):
        check_plot(d, p)


@pytest.mark.parametrize("edition", CAT048_EDITIONS)
def test_every_cat048_edition_reads_the_same_plot(edition: str) -> None:
    (block,) = encode_plots([GOLDEN_PLOT, dataclasses.replace(GOLDEN_PLOT, simulated=True)])
    decoded = decode_048(block, edition)
    check_plot(decoded[0], GOLDEN_PLOT)
    assert decoded[1].sim == 1


# ------------------------------------------------------------------------------ ranges


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"range_m": 65_535.6 * RHO_LSB_M}, "I048/040 RHO"),
        ({"range_m": -5.0}, "I048/040 RHO"),
        ({"range_m": math.nan}, "I048/040 RHO"),
        ({"azimuth_deg": -0.1}, "I048/040 THETA"),
        ({"azimuth_deg": 360.1}, "I048/040 THETA"),
        ({"azimuth_deg": math.inf}, "I048/040 THETA"),
        ({"time_of_day_s": 86_400.0}, "I048/140"),
        ({"time_of_day_s": -0.01}, "I048/140"),
        ({"sac": 256}, "I048/010 SAC"),
        ({"sic": -1}, "I048/010 SIC"),
        ({"runlength_deg": 11.3}, "I048/130 PRL"),
        ({"amplitude_dbm": 127.6}, "I048/130 PAM"),
        ({"amplitude_dbm": math.nan}, "I048/130 PAM"),
        ({"track_number": 4096}, "I048/161"),
    ],
)
def test_out_of_range_plots_raise(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(AsterixEncodeError) as caught:
        encode_plot(dataclasses.replace(GOLDEN_PLOT, **changes))
    assert caught.value.field == field


def test_bearing_360_is_north_and_the_last_tick_is_midnight() -> None:
    plot = dataclasses.replace(GOLDEN_PLOT, azimuth_deg=360.0, time_of_day_s=86_399.999)
    (d,) = decode_048(encode_plots([plot])[0])
    assert d.theta_deg == 0.0 and d.time_of_day_s == 0.0


# ------------------------------------------------------------------------------ CAT034


def _decode_034(data: bytes, edition: str) -> list[dict[str, float | None]]:
    out = []
    for r in _records(data, 34, edition):
        i020, i041 = r.get_item("020"), r.get_item("041")
        out.append(
            {
                "sac": r.get_item("010").variation.get_item("SAC").as_uint(),
                "sic": r.get_item("010").variation.get_item("SIC").as_uint(),
                "type": r.get_item("000").as_uint(),
                "time": r.get_item("030").variation.content.as_quantity("s"),
                "sector": None if i020 is None else i020.variation.content.as_quantity("°"),
                "period": None if i041 is None else i041.variation.content.as_quantity("s"),
            }
        )
    return out


def test_golden_sector_crossing_checked_by_hand() -> None:
    message = RadarServiceMessage(1, 2, 100.0, ServiceMessageType.SECTOR_CROSSING, 45.0, 4.0)
    assert encode_service_message(message).hex() == (
        "f8"  # FSPEC: I010, I000, I030, I020, I041
        "0102"  # I010
        "02"  # I000 sector crossing
        "003200"  # I030 12,800 / 128 = 100 s
        "20"  # I020 32 x 360/2^8 = 45 deg
        "0200"  # I041 512 / 128 = 4 s
    )


@pytest.mark.parametrize("edition", ["1.27", "1.28", "1.29"])
def test_service_messages_read_back(edition: str) -> None:
    assert edition in cat034_editions()
    messages = [
        RadarServiceMessage(7, 9, 10.0, ServiceMessageType.NORTH_MARKER, rotation_period_s=4.0),
        *(
            RadarServiceMessage(7, 9, 10.0 + k / 8, ServiceMessageType.SECTOR_CROSSING, k * 11.25)
            for k in range(1, 32)
        ),
    ]
    (block,) = encode_service_messages(messages, edition)
    decoded = _decode_034(block, edition)
    assert decoded[0] == {
        "sac": 7,
        "sic": 9,
        "type": 1,
        "time": 10.0,
        "sector": None,
        "period": 4.0,
    }
    for k, d in enumerate(decoded[1:], start=1):
        assert d["type"] == 2 and d["time"] == 10.0 + k / 8
        sector = d["sector"]
        assert sector is not None and _close(sector, k * 11.25, SECTOR_LSB_DEG)


def test_service_message_errors() -> None:
    with pytest.raises(AsterixEncodeError, match="needs its sector"):
        encode_service_message(RadarServiceMessage(1, 2, 0.0, ServiceMessageType.SECTOR_CROSSING))
    with pytest.raises(AsterixEncodeError) as caught:
        encode_service_message(
            RadarServiceMessage(1, 2, 0.0, ServiceMessageType.NORTH_MARKER, None, 512.0)
        )
    assert caught.value.field == "I034/041"
    with pytest.raises(ConfigError):
        encode_service_message(
            RadarServiceMessage(1, 2, 0.0, ServiceMessageType.NORTH_MARKER), edition="2.0"
        )


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-90.0, 90.0),
    lon=st.floats(-180.0, 180.0),
    height=st.floats(-1000.0, 15_000.0),
    sector=st.floats(0.0, 360.0),
)
def test_moving_radar_position_reads_back(
    lat: float, lon: float, height: float, sector: float
) -> None:
    """I034/120 as libasterix reads it: within half an LSB (180 E and 180 W are one place)."""
    message = RadarServiceMessage(
        3,
        4,
        5000.0,
        ServiceMessageType.SECTOR_CROSSING,
        sector,
        5.0,
        source_lat_deg=lat,
        source_lon_deg=lon,
        source_height_m=height,
    )
    (block,) = encode_service_messages([message])
    (record,) = _records(block, 34, "1.29")
    i120 = record.get_item("120").variation
    got_lat = i120.get_item("LAT").variation.content.as_quantity("°")
    got_lon = i120.get_item("LON").variation.content.as_quantity("°")
    got_height = i120.get_item("HGT").variation.content.as_quantity("m")
    lsb = 180.0 / (1 << 23)
    assert abs(got_lat - lat) <= lsb / 2 + 1e-12
    assert abs((got_lon - lon + 180.0) % 360.0 - 180.0) <= lsb / 2 + 1e-12
    assert abs(got_height - height) <= 0.5
    assert _decode_034(block, "1.29")[0]["sector"] is not None


def test_moving_radar_position_out_of_range() -> None:
    with pytest.raises(AsterixEncodeError) as caught:
        encode_service_message(
            RadarServiceMessage(
                1, 2, 0.0, ServiceMessageType.NORTH_MARKER, source_lat_deg=91.0, source_lon_deg=0.0
            )
        )
    assert caught.value.field == "I034/120 LAT"
    with pytest.raises(AsterixEncodeError, match="both"):
        encode_service_message(
            RadarServiceMessage(1, 2, 0.0, ServiceMessageType.NORTH_MARKER, source_lat_deg=50.0)
        )
