"""CAT001: monoradar target reports of the older radars still in service (before CAT048).

EUROCONTROL ASTERIX Part 2a Category 001 (editions 1.2-1.4), decoded through libasterix. One
category, two User Application Profiles chosen by the record itself: I020 TYP 0 is a plot,
TYP 1 a track, and the two UAPs share only FRN 1 (I010) and FRN 2 (I020). Read: I010 data
source, I020 TYP, SIM, TST; I040 polar position (RHO 1/128 NM, THETA 360/2^16 deg); I090
Mode C height (1/4 FL); I141 *truncated* time of day (1/128 s, 16 bits: it wraps every 512 s,
so the full time is the one nearest the reference, ``full_time_of_day``); I161 track number
(track UAP).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

from dronewarn.formats.asterix.items import (
    FL_FT,
    NM_M,
    lib_flag,
    lib_item,
    lib_source,
    lib_uint,
    lib_value,
)

TRUNCATED_PERIOD_S: Final = 512.0
"""I141 counts 1/128 s in 16 bits: the same value comes back every 512 s."""
DAY_S: Final = 86_400.0


@dataclass(frozen=True, slots=True)
class Cat001Report:
    """The fields of one CAT001 plot or track that dronewarn uses; None where absent."""

    offset: int
    sac: int | None
    sic: int | None
    is_track: bool | None
    """I020 TYP: False plot, True track."""
    simulated: bool | None
    test_target: bool | None
    truncated_time_s: float | None
    """I141: seconds modulo 512 (see ``full_time_of_day``)."""
    range_m: float | None
    azimuth_deg: float | None
    flight_level_ft: float | None
    track_number: int | None


def full_time_of_day(truncated_s: float, reference_tod_s: float) -> float:
    """The time of day whose I141 (seconds since midnight modulo 512) is ``truncated_s``,
    nearest ``reference_tod_s`` (a day is not a whole number of 512 s: the count starts
    again at midnight, so the candidates of the day before and after are weighed too)."""
    best, best_distance = truncated_s, math.inf
    for day in (-1.0, 0.0, 1.0):
        k = math.floor((reference_tod_s - day * DAY_S - truncated_s) / TRUNCATED_PERIOD_S)
        for step in (k, k + 1):
            within_day = step * TRUNCATED_PERIOD_S + truncated_s
            if not 0.0 <= within_day < DAY_S:
                continue
            distance = abs(day * DAY_S + within_day - reference_tod_s)
            if distance < best_distance:
                best, best_distance = within_day, distance
    return best


def report_from_libasterix(record: Any, offset: int) -> Cat001Report:
    """The dronewarn fields of a libasterix CAT001 record (either UAP)."""
    sac, sic = lib_source(record)
    i020 = lib_item(record, "020")
    i040 = lib_item(record, "040")
    i161 = lib_item(record, "161") if _has(record, "161") else None
    rho = lib_value(i040, "RHO")
    fl = lib_value(lib_item(record, "090"), "HGT")
    return Cat001Report(
        offset=offset,
        sac=sac,
        sic=sic,
        is_track=None if i020 is None else lib_flag(i020, "TYP"),
        simulated=None if i020 is None else lib_flag(i020, "SIM"),
        test_target=None if i020 is None else lib_flag(i020, "TST"),
        truncated_time_s=lib_value(lib_item(record, "141")),
        range_m=None if rho is None else rho * NM_M,
        azimuth_deg=lib_value(i040, "THETA"),
        flight_level_ft=None if fl is None else fl * FL_FT,
        track_number=None if i161 is None else lib_uint(i161),
    )


def _has(record: Any, name: str) -> bool:
    try:
        return record.get_item(name) is not None
    except (KeyError, AttributeError, ValueError):
        return False
