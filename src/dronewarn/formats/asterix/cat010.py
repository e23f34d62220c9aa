"""CAT010: monitoring of surface movement (surface movement radars, airport multilateration,
ADS-B on the aerodrome), where drones near airports are seen.

EUROCONTROL-SPEC-0149-7 (ASTERIX Part 7 Category 010, edition 1.1), decoded through
libasterix: I010 data source, I000 message type (1 target report, 2 start of update cycle,
3 periodic status, 4 event-triggered status), I020 target report descriptor (TYP: 0 SSR
multilateration, 1 Mode S multilateration, 2 ADS-B, 3 PSR, 4 magnetic loop, 5 HF
multilateration; SIM, TST), I140 time of day (1/128 s), I041 WGS-84 position (180/2^31 deg),
I042 Cartesian position from the sensor (m), I161 track number, I202 Cartesian velocity (m/s),
I090 flight level (1/4 FL), I091 measured height (6.25 ft), I500 standard deviation of
position (DEVX, DEVY in m).
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
class Cat010Report:
    """The fields of one CAT010 record that dronewarn uses; None where absent."""

    offset: int
    sac: int | None
    sic: int | None
    message_type: int | None
    """I000: 1 target report; 2-4 start of update cycle and status messages."""
    report_type: int | None
    """I020 TYP: 0 SSR MLAT, 1 Mode S MLAT, 2 ADS-B, 3 PSR, 4 magnetic loop, 5 HF MLAT."""
    simulated: bool | None
    test_target: bool | None
    time_of_day_s: float | None
    """I140, seconds since UTC midnight."""
    lat_deg: float | None
    lon_deg: float | None
    x_m: float | None
    """I042, from the sensor (a surface radar's position is configuration)."""
    y_m: float | None
    track_number: int | None
    vx_mps: float | None
    vy_mps: float | None
    flight_level_ft: float | None
    measured_height_m: float | None
    sd_x_m: float | None
    """I500 DEVX."""
    sd_y_m: float | None


def report_from_libasterix(record: Any, offset: int) -> Cat010Report:
    """The dronewarn fields of a libasterix CAT010 record."""
    sac, sic = lib_source(record)
    i000 = lib_item(record, "000")
    i020 = lib_item(record, "020")
    i041 = lib_item(record, "041")
    i042 = lib_item(record, "042")
    i090 = lib_item(record, "090")
    i091 = lib_item(record, "091")
    i161 = lib_item(record, "161")
    i202 = lib_item(record, "202")
    i500 = lib_item(record, "500")
    fl = lib_value(i090, "FL")
    height = lib_value(i091)
    return Cat010Report(
        offset=offset,
        sac=sac,
        sic=sic,
        message_type=None if i000 is None else lib_uint(i000),
        report_type=None if i020 is None else lib_uint(lib_sub(i020, "TYP")),
        simulated=None if i020 is None else lib_flag(i020, "SIM"),
        test_target=None if i020 is None else lib_flag(i020, "TST"),
        time_of_day_s=lib_value(lib_item(record, "140")),
        lat_deg=lib_value(i041, "LAT"),
        lon_deg=lib_value(i041, "LON"),
        x_m=lib_value(i042, "X"),
        y_m=lib_value(i042, "Y"),
        track_number=None if i161 is None else lib_uint(lib_sub(i161, "TRK")),
        vx_mps=lib_value(i202, "VX"),
        vy_mps=lib_value(i202, "VY"),
        flight_level_ft=None if fl is None else fl * FL_FT,
        measured_height_m=None if height is None else height * FT_M,
        sd_x_m=lib_value(i500, "DEVX"),
        sd_y_m=lib_value(i500, "DEVY"),
    )
