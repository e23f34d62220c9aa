"""CAT020: multilateration (MLAT and WAM) target reports.

EUROCONTROL-SPEC-0149-14 (ASTERIX Part 14 Category 020, editions 1.9-1.11), decoded through
libasterix: I010 data source, I020 target report descriptor (SSR, MS, HF, ... SIM, TST), I140
time of day (1/128 s), I041 WGS-84 position (180/2^25 deg), I042 Cartesian position (m),
I161 track number, I105 geometric height (6.25 ft), I090 flight level (1/4 FL), I202
Cartesian velocity (m/s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dronewarn.formats.asterix.items import (
    FL_FT,
    FT_M,
    lib_flag,
    lib_item,
    lib_source,
    lib_sub,
    lib_uint,
    lib_value,
)


@dataclass(frozen=True, slots=True)
class Cat020Report:
    """The fields of one CAT020 record that dronewarn uses; None where absent."""

    offset: int
    sac: int | None
    sic: int | None
    simulated: bool | None
    test_target: bool | None
    time_of_day_s: float | None
    lat_deg: float | None
    lon_deg: float | None
    track_number: int | None
    geometric_height_m: float | None
    flight_level_ft: float | None
    vx_mps: float | None
    vy_mps: float | None


def report_from_libasterix(record: Any, offset: int) -> Cat020Report:
    """The dronewarn fields of a libasterix CAT020 record."""
    sac, sic = lib_source(record)
    i020 = lib_item(record, "020")
    i041 = lib_item(record, "041")
    i161 = lib_item(record, "161")
    i202 = lib_item(record, "202")
    fl = lib_value(lib_item(record, "090"), "FL")
    height = lib_value(lib_item(record, "105"))
    return Cat020Report(
        offset=offset,
        sac=sac,
        sic=sic,
        simulated=None if i020 is None else lib_flag(i020, "SIM"),
        test_target=None if i020 is None else lib_flag(i020, "TST"),
        time_of_day_s=lib_value(lib_item(record, "140")),
        lat_deg=lib_value(i041, "LAT"),
        lon_deg=lib_value(i041, "LON"),
        track_number=None if i161 is None else lib_uint(lib_sub(i161, "TRN")),
        geometric_height_m=None if height is None else height * FT_M,
        flight_level_ft=None if fl is None else fl * FL_FT,
        vx_mps=lib_value(i202, "VX"),
        vy_mps=lib_value(i202, "VY"),
    )
