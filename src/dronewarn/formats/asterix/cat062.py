"""CAT062: SDPS system tracks (a tracker's fused picture).

EUROCONTROL-SPEC-0149-9, ASTERIX Part 9 Category 062, editions 1.16-1.21 (one UAP): FRN 1 I010
data source (SAC, SIC); 4 I070 time of track information (1/128 s since UTC midnight); 5 I105
WGS-84 position (two 32-bit two's complement values, 180/2^25 deg); 6 I100 Cartesian position
(two 24-bit, 0.5 m); 7 I185 Cartesian velocity (two 16-bit, 0.25 m/s); 11 I380 aircraft derived
data (compound: ADR target address, ID target identification, ..., EMC emitter category, 13 =
unmanned aerial vehicle); 12 I040 track number (16 bits); 13 I080 track status (extended: MON,
SPI, MRH, SRC, CNF | SIM, TSE, TSB, ...); 14 I290 system track update ages (compound: TRK, PSR,
SSR, MDS, ADS, ES, ... in 1/4 s); 17 I136 measured flight level (1/4 FL); 18 I130 calculated
geometric altitude (6.25 ft); 27 I500 estimated accuracies (compound: APC x/y 0.5 m, COV, APW
lat/lon 180/2^25 deg, AGA 6.25 ft, ABA 1/4 FL, ...).

Edition 0.17, the draft of 2005-2008 found in old recordings, has another UAP (decoded by
``fast062`` only; see there): its I105 is 24+24 bits of 180/2^23 deg, its I100 16+16 bits of
1/64 NM, its velocity the polar I180 (ground speed, heading), which ``Cat062Track`` carries as
vx/vy; it has no I185, no I380/EMC and no I500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dronewarn.formats.asterix.items import (
    FL_FT,
    FT_M,
    lib_item,
    lib_quantity,
    lib_source,
    lib_string,
    lib_sub,
    lib_uint,
)

TIME_LSB_S = 1.0 / 128.0
WGS84_LSB_DEG = 180.0 / 2**25
XY_LSB_M = 0.5
V_LSB_MPS = 0.25
FL_LSB = 0.25
ALT_LSB_FT = 6.25
AGE_LSB_S = 0.25
EMITTER_UAV = 13
"""I380/EMC (and I021/020 ECAT) value of an unmanned aerial vehicle."""


@dataclass(frozen=True, slots=True)
class Cat062Track:
    """The fields of one CAT062 system track update that dronewarn uses; None where absent."""

    offset: int
    """Offset of the record (its FSPEC) in the payload."""
    sac: int | None
    sic: int | None
    time_of_track_s: float | None
    """I070: seconds since UTC midnight."""
    lat_deg: float | None
    """I105."""
    lon_deg: float | None
    x_m: float | None
    """I100: east in the SDPS's system plane."""
    y_m: float | None
    vx_mps: float | None
    """I185 (0.17: from I180 ground speed and heading)."""
    vy_mps: float | None
    track_number: int | None
    """I040."""
    confirmed: bool | None
    """I080 CNF = 0."""
    simulated: bool | None
    """I080 SIM (first extent)."""
    track_end: bool | None
    """I080 TSE: the last message for the track."""
    track_begin: bool | None
    """I080 TSB: the first message for the track."""
    measured_flight_level_ft: float | None
    """I136 (flight level x 100)."""
    geometric_altitude_m: float | None
    """I130."""
    aircraft_address: int | None
    """I380/ADR."""
    callsign: str | None
    """I380/ID, trailing spaces removed."""
    emitter_category: int | None
    """I380/EMC (13 = UAV)."""
    accuracy: Cat062Accuracy | None
    """I500, when sent."""
    ages: Cat062Ages | None
    """I290, when sent."""


@dataclass(frozen=True, slots=True)
class Cat062Accuracy:
    """I500 estimated accuracies (1 sigma); None for subfields not sent."""

    apc_x_m: float | None
    """APC: of I100 x."""
    apc_y_m: float | None
    apw_lat_deg: float | None
    """APW: of I105 latitude."""
    apw_lon_deg: float | None
    aga_m: float | None
    """AGA: of I130."""
    aba_ft: float | None
    """ABA: of the barometric altitude."""


@dataclass(frozen=True, slots=True)
class Cat062Ages:
    """I290 system track update ages; None for subfields not sent."""

    track_s: float | None
    """TRK (0.17: None)."""
    psr_s: float | None
    ssr_s: float | None
    mode_s_s: float | None
    """MDS."""
    adsb_es_s: float | None
    """ES (0.17: ADB)."""


def _q(item: Any, *path: str) -> float | None:
    node = item
    for name in path:
        node = lib_sub(node, name)
    return None if node is None else lib_quantity(node)


def _bit(node: Any) -> bool | None:
    return None if node is None else bool(lib_uint(node))


def track_from_libasterix(record: Any, offset: int) -> Cat062Track:
    """The dronewarn fields of a libasterix CAT062 (1.16-1.21) record."""
    sac, sic = lib_source(record)
    i070 = lib_item(record, "070")
    i105 = lib_item(record, "105")
    i100 = lib_item(record, "100")
    i185 = lib_item(record, "185")
    i040 = lib_item(record, "040")
    i080 = lib_item(record, "080")
    i136 = lib_item(record, "136")
    i130 = lib_item(record, "130")
    i380 = lib_item(record, "380")
    i500 = lib_item(record, "500")
    i290 = lib_item(record, "290")
    adr = lib_sub(i380, "ADR")
    ident = lib_sub(i380, "ID")
    emc = lib_sub(i380, "EMC")
    accuracy = None
    if i500 is not None:
        aga = _q(i500, "AGA")
        aba = _q(i500, "ABA")
        accuracy = Cat062Accuracy(
            apc_x_m=_q(i500, "APC", "X"),
            apc_y_m=_q(i500, "APC", "Y"),
            apw_lat_deg=_q(i500, "APW", "LAT"),
            apw_lon_deg=_q(i500, "APW", "LON"),
            aga_m=None if aga is None else aga * FT_M,
            aba_ft=None if aba is None else aba * FL_FT,
        )
    ages = None
    if i290 is not None:
        ages = Cat062Ages(
            track_s=_q(i290, "TRK"),
            psr_s=_q(i290, "PSR"),
            ssr_s=_q(i290, "SSR"),
            mode_s_s=_q(i290, "MDS"),
            adsb_es_s=_q(i290, "ES"),
        )
    return Cat062Track(
        offset=offset,
        sac=sac,
        sic=sic,
        time_of_track_s=None if i070 is None else lib_quantity(i070),
        lat_deg=_q(i105, "LAT"),
        lon_deg=_q(i105, "LON"),
        x_m=_q(i100, "X"),
        y_m=_q(i100, "Y"),
        vx_mps=_q(i185, "VX"),
        vy_mps=_q(i185, "VY"),
        track_number=None if i040 is None else lib_uint(i040),
        confirmed=None if i080 is None else not lib_uint(lib_sub(i080, "CNF")),
        simulated=_bit(lib_sub(i080, "SIM")),
        track_end=_bit(lib_sub(i080, "TSE")),
        track_begin=_bit(lib_sub(i080, "TSB")),
        measured_flight_level_ft=None if i136 is None else lib_quantity(i136) * FL_FT,
        geometric_altitude_m=None if i130 is None else lib_quantity(i130) * FT_M,
        aircraft_address=None if adr is None else lib_uint(adr),
        callsign=None if ident is None else lib_string(ident),
        emitter_category=None if emc is None else lib_uint(emc),
        accuracy=accuracy,
        ages=ages,
    )
