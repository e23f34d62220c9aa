"""CAT034: monoradar service messages (north marker, sector crossing, filters, jamming strobes).

EUROCONTROL-SPEC-0149-2b, ASTERIX Part 2b Category 034, editions 1.27-1.29 (one UAP): FRN 1
I010 data source (SAC, SIC); 2 I000 message type (1 north marker, 2 sector crossing,
3 geographical filtering, 4 jamming strobe, 5 solar storm, 6 SSR jamming strobe, 7 Mode S
jamming strobe); 3 I030 time of day (1/128 s); 4 I020 sector number (8 bits of 360/2^8 deg);
5 I041 antenna rotation period (1/128 s); 11 I120 3-D position of the data source (height
16-bit two's complement in m, latitude and longitude 24-bit two's complement of 180/2^23 deg).
Decoded by ``fast034`` where its edition is validated (a moving radar sends one with each
plot), else through libasterix.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from dronewarn.formats.asterix.items import lib_item, lib_quantity, lib_source, lib_sub, lib_uint


class Cat034MessageType(IntEnum):
    """I034/000 values."""

    NORTH_MARKER = 1
    SECTOR_CROSSING = 2
    GEOGRAPHICAL_FILTERING = 3
    JAMMING_STROBE = 4
    SOLAR_STORM = 5
    SSR_JAMMING_STROBE = 6
    MODE_S_JAMMING_STROBE = 7


@dataclass(frozen=True, slots=True)
class Cat034Message:
    """The fields of one CAT034 service message that dronewarn uses; None where absent."""

    offset: int
    """Offset of the record (its FSPEC) in the payload."""
    sac: int | None
    sic: int | None
    message_type: int | None
    """I000 (compare with ``Cat034MessageType``)."""
    time_of_day_s: float | None
    """I030: seconds since UTC midnight."""
    sector_azimuth_deg: float | None
    """I020: azimuth of the sector just crossed, clockwise from north."""
    antenna_rotation_period_s: float | None
    """I041."""
    source_height_m: float | None
    """I120 height of the radar."""
    source_lat_deg: float | None
    source_lon_deg: float | None


def message_from_libasterix(record: Any, offset: int) -> Cat034Message:
    """The dronewarn fields of a libasterix CAT034 record."""
    sac, sic = lib_source(record)
    i000 = lib_item(record, "000")
    i030 = lib_item(record, "030")
    i020 = lib_item(record, "020")
    i041 = lib_item(record, "041")
    i120 = lib_item(record, "120")
    return Cat034Message(
        offset=offset,
        sac=sac,
        sic=sic,
        message_type=None if i000 is None else lib_uint(i000),
        time_of_day_s=None if i030 is None else lib_quantity(i030),
        sector_azimuth_deg=None if i020 is None else lib_quantity(i020),
        antenna_rotation_period_s=None if i041 is None else lib_quantity(i041),
        source_height_m=None if i120 is None else lib_quantity(lib_sub(i120, "HGT")),
        source_lat_deg=None if i120 is None else lib_quantity(lib_sub(i120, "LAT")),
        source_lon_deg=None if i120 is None else lib_quantity(lib_sub(i120, "LON")),
    )
