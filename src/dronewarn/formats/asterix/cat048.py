"""CAT048: monoradar target reports (plots and local tracks of one radar).

EUROCONTROL-SPEC-0149-4, ASTERIX Part 4 Category 048, editions 1.27-1.32 (one UAP for all):
FRN 1 I010 data source (SAC, SIC); 2 I140 time of day (1/128 s since UTC midnight); 3 I020
target report descriptor (extended: TYP, SIM, RDP, SPI, RAB | TST, ERR, XPP, ME, MI, FOE/FRI |
...); 4 I040 measured position, RHO (1/256 NM) and THETA (360/2^16 deg, clockwise from north);
5 I070 Mode-3/A (V, G, L, octal code); 6 I090 flight level (V, G, 14-bit two's complement,
1/4 FL); 7 I130 radar plot characteristics (compound); 8 I220 aircraft address (24 bits);
9 I240 aircraft identification (8 six-bit ICAO characters); 11 I161 track number (12 bits);
13 I200 calculated track velocity, ground speed (2^-14 NM/s) and heading (360/2^16 deg);
14 I170 track status (extended: CNF, RAD, DOU, MAH, CDM | TRE, GHO, SUP, TCC).

libasterix types I090's FL as unsigned before edition 1.32; the specification text of every
edition says two's complement, which both decoders here apply.

``plot_from_libasterix`` maps a libasterix record; ``fast048`` decodes the same fields from
bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dronewarn.formats.asterix.items import (
    FL_FT,
    NM_M,
    lib_item,
    lib_quantity,
    lib_source,
    lib_string,
    lib_sub,
    lib_uint,
    signed,
)

RHO_LSB_NM = 1.0 / 256.0
THETA_LSB_DEG = 360.0 / 65536.0
TIME_LSB_S = 1.0 / 128.0
GSP_LSB_NM_S = 2.0**-14
FL_LSB = 0.25


@dataclass(frozen=True, slots=True)
class Cat048Plot:
    """The fields of one CAT048 target report that dronewarn uses; None where absent."""

    offset: int
    """Offset of the record (its FSPEC) in the payload."""
    sac: int | None
    sic: int | None
    time_of_day_s: float | None
    """I140: seconds since UTC midnight."""
    report_type: int | None
    """I020 TYP: 0 no detection, 1 PSR, 2 SSR, 3 SSR+PSR, 4 Mode S all-call, 5 roll-call,
    6 all-call+PSR, 7 roll-call+PSR."""
    simulated: bool | None
    """I020 SIM."""
    test_target: bool | None
    """I020 TST (first extent)."""
    range_m: float | None
    """I040 RHO: slant range from the radar."""
    azimuth_deg: float | None
    """I040 THETA: clockwise from north."""
    mode3a_code: str | None
    """I070: four octal digits."""
    mode3a_validated: bool | None
    """I070 V = 0."""
    flight_level_ft: float | None
    """I090: pressure altitude in feet (flight level x 100)."""
    flight_level_validated: bool | None
    """I090 V = 0."""
    has_plot_characteristics: bool
    """I130 present."""
    aircraft_address: int | None
    """I220: ICAO 24-bit address."""
    callsign: str | None
    """I240, trailing spaces removed."""
    track_number: int | None
    """I161."""
    ground_speed_mps: float | None
    """I200 GSP."""
    heading_deg: float | None
    """I200 HDG."""
    track_confirmed: bool | None
    """I170 CNF = 0."""
    track_ended: bool | None
    """I170 TRE (first extent)."""


def _bit(node: Any) -> bool | None:
    return None if node is None else bool(lib_uint(node))


def plot_from_libasterix(record: Any, offset: int) -> Cat048Plot:
    """The dronewarn fields of a libasterix CAT048 record."""
    sac, sic = lib_source(record)
    i140 = lib_item(record, "140")
    i020 = lib_item(record, "020")
    i040 = lib_item(record, "040")
    i070 = lib_item(record, "070")
    i090 = lib_item(record, "090")
    i220 = lib_item(record, "220")
    i240 = lib_item(record, "240")
    i161 = lib_item(record, "161")
    i200 = lib_item(record, "200")
    i170 = lib_item(record, "170")
    return Cat048Plot(
        offset=offset,
        sac=sac,
        sic=sic,
        time_of_day_s=None if i140 is None else lib_quantity(i140),
        report_type=None if i020 is None else lib_uint(lib_sub(i020, "TYP")),
        simulated=_bit(lib_sub(i020, "SIM")),
        test_target=_bit(lib_sub(i020, "TST")),
        range_m=None if i040 is None else lib_quantity(lib_sub(i040, "RHO")) * NM_M,
        azimuth_deg=None if i040 is None else lib_quantity(lib_sub(i040, "THETA")),
        mode3a_code=None if i070 is None else lib_string(lib_sub(i070, "MODE3A")),
        mode3a_validated=None if i070 is None else not lib_uint(lib_sub(i070, "V")),
        flight_level_ft=(
            None if i090 is None else signed(lib_uint(lib_sub(i090, "FL")), 14) * FL_LSB * FL_FT
        ),
        flight_level_validated=None if i090 is None else not lib_uint(lib_sub(i090, "V")),
        has_plot_characteristics=lib_item(record, "130") is not None,
        aircraft_address=None if i220 is None else lib_uint(i220),
        callsign=None if i240 is None else lib_string(i240),
        track_number=None if i161 is None else lib_uint(lib_sub(i161, "TRN")),
        ground_speed_mps=None if i200 is None else lib_quantity(lib_sub(i200, "GSP")) * NM_M,
        heading_deg=None if i200 is None else lib_quantity(lib_sub(i200, "HDG")),
        track_confirmed=None if i170 is None else not lib_uint(lib_sub(i170, "CNF")),
        track_ended=_bit(lib_sub(i170, "TRE")),
    )
