"""CAT021: ADS-B target reports (cooperative traffic: dronewarn uses them to rule airliners out).

Two families with different UAPs, decoded through libasterix:

* EUROCONTROL ASTERIX Part 12 Category 021 editions 0.23-0.26 (2002-2008): FRN 1 I010, 2 I040,
  3 I030 time of day (1/128 s), 4 I130 WGS-84 position (0.23-0.25: 24+24 bits of 180/2^23 deg;
  0.26: 32+32 bits of 180/2^25 deg), 5 I080 target address, 6 I140 geometric altitude (6.25 ft),
  7 I090 figure of merit (PA: position accuracy, the NUCp), 10 I145 flight level (1/4 FL),
  18 I170 target identification, 22 I020 emitter category (13 = UAV). (0.26's I131 is the
  signal amplitude, not a position.)
* EUROCONTROL-SPEC-0149-12 editions 2.1-2.7: FRN 1 I010, 5 I071 time of applicability for
  position, 6 I130 position (24+24 bits, 180/2^23 deg), 7 I131 high-resolution position (32+32
  bits, 180/2^30 deg), 11 I080 target address, 12 I073 time of message reception for position,
  14 I075 time of message reception for velocity, 16 I140 geometric height (6.25 ft), 17 I090
  quality indicators (NUCr/NACv, NUCp/NIC | NICbaro, SIL, NACp | ...), 18 I210 MOPS version
  (VN: 0 DO-260 where I090 carries NUCp, 1/2/3 DO-260A/B/C where it carries NIC and NACp),
  21 I145 flight level, 28 I077 time of report transmission, 29 I170 target identification,
  30 I020 emitter category (ECAT, 13 = UAV).
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


@dataclass(frozen=True, slots=True)
class Cat021Report:
    """The fields of one CAT021 report that dronewarn uses; None where absent."""

    offset: int
    """Offset of the record (its FSPEC) in the payload."""
    sac: int | None
    sic: int | None
    time_of_day_s: float | None
    """0.2x I030, seconds since UTC midnight (2.x: None)."""
    time_applicability_position_s: float | None
    """2.x I071."""
    time_reception_position_s: float | None
    """2.x I073."""
    time_reception_velocity_s: float | None
    """2.x I075."""
    time_report_transmission_s: float | None
    """2.x I077."""
    lat_deg: float | None
    """2.x: I131 when present, else I130; 0.2x: I130."""
    lon_deg: float | None
    high_resolution: bool
    """The position came from 2.x's I131."""
    target_address: int | None
    """I080: ICAO 24-bit address."""
    callsign: str | None
    """I170, trailing spaces removed."""
    geometric_height_m: float | None
    """I140."""
    flight_level_ft: float | None
    """I145 (flight level x 100)."""
    emitter_category: int | None
    """I020 ECAT (13 = UAV)."""
    nucp_nic: int | None
    """2.x I090 NUCp or NIC (per ``mops_version``); 0.2x I090 PA."""
    nacp: int | None
    """2.x I090 NACp (first extent)."""
    mops_version: int | None
    """2.x I210 VN: 0 DO-260 (NUCp), 1 DO-260A, 2 DO-260B, 3 DO-260C."""


def _seconds(record: Any, name: str) -> float | None:
    item = lib_item(record, name)
    return None if item is None else lib_quantity(item)


def report_from_libasterix(record: Any, offset: int, major: int) -> Cat021Report:
    """The dronewarn fields of a libasterix CAT021 record of an edition ``major``.x."""
    sac, sic = lib_source(record)
    i130 = lib_item(record, "130")
    i131 = lib_item(record, "131") if major >= 2 else None
    position = i131 if i131 is not None else i130
    i080 = lib_item(record, "080")
    i170 = lib_item(record, "170")
    i140 = lib_item(record, "140")
    i145 = lib_item(record, "145")
    i020 = lib_item(record, "020")
    i090 = lib_item(record, "090")
    i210 = lib_item(record, "210") if major >= 2 else None
    if major >= 2:
        nucp = lib_sub(i090, "NUCPNIC")
        nacp = lib_sub(i090, "NACP")
        nucp_nic = None if nucp is None else lib_uint(nucp)
    else:
        nacp = None
        pa = lib_sub(i090, "PA")
        nucp_nic = None if pa is None else lib_uint(pa)
    return Cat021Report(
        offset=offset,
        sac=sac,
        sic=sic,
        time_of_day_s=_seconds(record, "030") if major < 2 else None,
        time_applicability_position_s=_seconds(record, "071") if major >= 2 else None,
        time_reception_position_s=_seconds(record, "073") if major >= 2 else None,
        time_reception_velocity_s=_seconds(record, "075") if major >= 2 else None,
        time_report_transmission_s=_seconds(record, "077") if major >= 2 else None,
        lat_deg=None if position is None else lib_quantity(lib_sub(position, "LAT")),
        lon_deg=None if position is None else lib_quantity(lib_sub(position, "LON")),
        high_resolution=i131 is not None,
        target_address=None if i080 is None else lib_uint(i080),
        callsign=None if i170 is None else lib_string(i170),
        geometric_height_m=None if i140 is None else lib_quantity(i140) * FT_M,
        flight_level_ft=None if i145 is None else lib_quantity(i145) * FL_FT,
        emitter_category=None if i020 is None else lib_uint(i020),
        nucp_nic=nucp_nic,
        nacp=None if nacp is None else lib_uint(nacp),
        mops_version=None if i210 is None else lib_uint(lib_sub(i210, "VN")),
    )
