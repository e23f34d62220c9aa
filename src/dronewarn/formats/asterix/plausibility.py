"""The plausibility gate of decoded ASTERIX records: values no real target can have.

A record read with the wrong edition of its category usually still parses (the FSPEC and item
lengths happen to fit) but its values are nonsense: CAT021 edition 0.26 read as 2.x puts an
aircraft at latitude 215.97 degrees. Every value a Report is made from is checked here against
``domain.limits`` (physical bounds, not tuning) before the record becomes a Report; one out of
bounds refuses the record with an ``ImplausibleValueError`` that names the item, the value, the
bounds and the likely cause, with the edition it was read as.

=========================  ==================================================================
record                     checked
=========================  ==================================================================
CAT001 plot or track       I141 truncated time; I040 range and azimuth; I090 Mode C height
CAT048 plot                I140 time of day; I040 range (within the radar's configured reach,
                           else 1,000 km) and azimuth; I090 flight level; I200 ground speed
CAT062 track               I070 time; I105 latitude, longitude; I130 height; I136 flight
                           level; I185 speed
CAT021 report              I073/I071/I077/I140 times; I130/I131 latitude, longitude; I140
                           geometric height; I145 flight level
CAT015 report              I145 time; I600 latitude, longitude; I625 height; I627 speed
CAT010, CAT020 report      I140 time; I041 latitude, longitude; I090 flight level; I091 or
                           I105 height; I202 speed
=========================  ==================================================================
"""

from __future__ import annotations

import math

from dronewarn.domain.errors import ImplausibleValueError
from dronewarn.domain.limits import (
    MAX_ALT_M,
    MAX_RANGE_M,
    MAX_SPEED_MPS,
    MAX_TIME_OF_DAY_S,
    MIN_ALT_M,
)
from dronewarn.formats.asterix.cat001 import Cat001Report
from dronewarn.formats.asterix.cat010 import Cat010Report
from dronewarn.formats.asterix.cat020 import Cat020Report
from dronewarn.formats.asterix.cat021 import Cat021Report
from dronewarn.formats.asterix.cat048 import Cat048Plot
from dronewarn.formats.asterix.cat062 import Cat062Track
from dronewarn.formats.asterix.items import FT_M
from dronewarn.formats.asterix.records import PositionRecord

Record = PositionRecord
Check = tuple[str, str, float | None, float, float, str]
"""(item, what, value, lowest, highest, unit)"""


def _checks(record: Record, max_range_m: float) -> list[Check]:
    if isinstance(record, Cat001Report):
        fl = record.flight_level_ft
        return [
            ("I001/141", "truncated time", record.truncated_time_s, 0.0, 512.0, "s"),
            ("I001/040", "range", record.range_m, 0.0, max_range_m, "m"),
            ("I001/040", "azimuth", record.azimuth_deg, 0.0, 360.0, "deg"),
            ("I001/090", "Mode C height", None if fl is None else fl * FT_M,
             MIN_ALT_M, MAX_ALT_M, "m"),
        ]  # fmt: skip
    if isinstance(record, Cat048Plot):
        fl = record.flight_level_ft
        return [
            ("I048/140", "time of day", record.time_of_day_s, 0.0, MAX_TIME_OF_DAY_S, "s"),
            ("I048/040", "range", record.range_m, 0.0, max_range_m, "m"),
            ("I048/040", "azimuth", record.azimuth_deg, 0.0, 360.0, "deg"),
            ("I048/090", "flight level height", None if fl is None else fl * FT_M,
             MIN_ALT_M, MAX_ALT_M, "m"),
            ("I048/200", "ground speed", record.ground_speed_mps, 0.0, MAX_SPEED_MPS, "m/s"),
        ]  # fmt: skip
    if isinstance(record, Cat062Track):
        fl = record.measured_flight_level_ft
        return [
            ("I062/070", "time of track", record.time_of_track_s, 0.0, MAX_TIME_OF_DAY_S, "s"),
            ("I062/105", "latitude", record.lat_deg, -90.0, 90.0, "deg"),
            ("I062/105", "longitude", record.lon_deg, -180.0, 180.0, "deg"),
            ("I062/130", "geometric height", record.geometric_altitude_m, MIN_ALT_M, MAX_ALT_M,
             "m"),
            ("I062/136", "flight level height", None if fl is None else fl * FT_M,
             MIN_ALT_M, MAX_ALT_M, "m"),
            ("I062/185", "speed", _speed(record.vx_mps, record.vy_mps), 0.0, MAX_SPEED_MPS,
             "m/s"),
        ]  # fmt: skip
    if isinstance(record, Cat021Report):
        fl = record.flight_level_ft
        times = [
            ("I021/073", "time of reception of position", record.time_reception_position_s),
            ("I021/071", "time of applicability of position",
             record.time_applicability_position_s),
            ("I021/077", "time of report transmission", record.time_report_transmission_s),
            ("I021/030", "time of day", record.time_of_day_s),
        ]  # fmt: skip
        return [
            *((item, what, value, 0.0, MAX_TIME_OF_DAY_S, "s") for item, what, value in times),
            ("I021/130", "latitude", record.lat_deg, -90.0, 90.0, "deg"),
            ("I021/130", "longitude", record.lon_deg, -180.0, 180.0, "deg"),
            ("I021/140", "geometric height", record.geometric_height_m, MIN_ALT_M, MAX_ALT_M,
             "m"),
            ("I021/145", "flight level height", None if fl is None else fl * FT_M,
             MIN_ALT_M, MAX_ALT_M, "m"),
        ]  # fmt: skip
    if isinstance(record, Cat010Report | Cat020Report):
        cat = "I010" if isinstance(record, Cat010Report) else "I020"
        fl = record.flight_level_ft
        height = (
            record.measured_height_m
            if isinstance(record, Cat010Report)
            else record.geometric_height_m
        )
        return [
            (f"{cat}/140", "time of day", record.time_of_day_s, 0.0, MAX_TIME_OF_DAY_S, "s"),
            (f"{cat}/041", "latitude", record.lat_deg, -90.0, 90.0, "deg"),
            (f"{cat}/041", "longitude", record.lon_deg, -180.0, 180.0, "deg"),
            (f"{cat}/090", "flight level height", None if fl is None else fl * FT_M,
             MIN_ALT_M, MAX_ALT_M, "m"),
            (f"{cat}/105" if cat == "I020" else f"{cat}/091", "height", height, MIN_ALT_M,
             MAX_ALT_M, "m"),
            (f"{cat}/202", "speed", _speed(record.vx_mps, record.vy_mps), 0.0, MAX_SPEED_MPS,
             "m/s"),
        ]  # fmt: skip
    return [
        ("I015/145", "time of applicability", record.time_of_applicability_s, 0.0,
         MAX_TIME_OF_DAY_S, "s"),
        ("I015/600", "latitude", record.lat_deg, -90.0, 90.0, "deg"),
        ("I015/600", "longitude", record.lon_deg, -180.0, 180.0, "deg"),
        ("I015/625", "height", record.geometric_height_m, MIN_ALT_M, MAX_ALT_M, "m"),
        ("I015/627", "speed", _speed(record.vx_mps, record.vy_mps), 0.0, MAX_SPEED_MPS, "m/s"),
    ]  # fmt: skip


def _speed(vx: float | None, vy: float | None) -> float | None:
    return None if vx is None or vy is None else math.hypot(vx, vy)


def implausible(
    category: int, record: Record, edition: object, *, max_range_m: float | None = None
) -> ImplausibleValueError | None:
    """Why ``record`` (read as ``edition`` of ``category``) cannot be a real target, or None.

    ``edition`` is only formatted when the record is refused (no string per good record)."""
    reach = MAX_RANGE_M if max_range_m is None else max_range_m
    for item, what, value, lowest, highest, unit in _checks(record, reach):
        if value is None:
            continue
        if math.isfinite(value) and lowest <= value <= highest:
            continue
        if item == "I048/040" and what == "range" and max_range_m is not None:
            cause = (
                f"beyond the radar's configured reach of {max_range_m / 1000:.0f} km: the "
                f"wrong SAC/SIC for this sensor, or the wrong edition (CAT{category:03d} "
                f"read as {edition})"
            )
        else:
            cause = (
                f"no real target has it: the record was probably read with the wrong edition "
                f"(CAT{category:03d} read as {edition}; set the sensor's edition, "
                f"`--edition {category}:X.Y` for `dronewarn decode`), or its sender is faulty"
            )
        return ImplausibleValueError(
            f"{item} {what} {value:.6g} {unit} outside [{lowest:g}, {highest:g}]: {cause}",
            offset=record.offset,
            field=item,
        )
    return None
