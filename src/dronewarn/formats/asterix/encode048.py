"""ASTERIX CAT048 primary radar plots and CAT034 radar service messages, for a simulated radar.

Specifications: EUROCONTROL Specification for Surveillance Data Exchange, ASTERIX Part 4,
Category 048 "Monoradar Target Reports" (EUROCONTROL-SPEC-0149-4), editions 1.27 to 1.32, and
ASTERIX Part 2b, Category 034 "Monoradar Service Messages" (EUROCONTROL-SPEC-0149-2b), editions
1.27 to 1.29. The items written here have the same layout in every one of those editions, so
the bytes do not depend on the edition a receiver is set to. Data blocks: ASTERIX Part 1 (one
octet CAT, two octets LEN of the whole block, the records), see
``dronewarn.formats.asterix.encode062.pack_datablocks``.

CAT048 record (UAP FRN in brackets), written by hand with ``struct``: libasterix, pure
Python, builds about 8,800 records a second with I010/I140/I020/I040 only and 2,800 with
I130/I161/I170 too, where this encoder builds 660,000 and 410,000 (best of three runs on the
development machine), and a simulated radar with hundreds of targets needs the difference.
``tests/formats/test_asterix_encode048.py`` decodes about 2,000 generated plots a run with
libasterix and compares every field, and checks the bytes against libasterix's own encoding:

* FSPEC: 1 octet (items of FRN 1-7), 2 when I161 or I170 is present.
* I010 [1] data source: SAC, SIC (2 octets).
* I140 [2] time of day: 24 bits unsigned, LSB 1/128 s, seconds since UTC midnight.
* I020 [3] target report descriptor: 1 octet, TYP=1 (single PSR detection), SIM, RDP=0,
  SPI=0, RAB=0, FX=0.
* I040 [4] measured position in polar co-ordinates: RHO 16 bits unsigned, LSB 1/256 NM
  (1 NM = 1,852 m; at most 65,535/256 NM, 474,104 m: the extended-range REF field is not
  written), THETA 16 bits unsigned, LSB 360/2^16 deg, clockwise from north.
* I130 [7] radar plot characteristics (optional): compound with PRL (primary plot runlength,
  8 bits unsigned, LSB 360/2^13 deg) and PAM (amplitude of primary plot, 8 bits signed, 1 dBm).
* I161 [11] track number (optional): 4 spare bits, 12 bits.
* I170 [14] track status (optional): CNF, RAD=1 (PSR track), DOU=0, MAH, CDM; a second octet
  (TRE, GHO, SUP=0, TCC=0) when the track ends or is a ghost.

CAT034 records (north marker, sector crossing), also written with ``struct`` (a moving radar
sends a sector crossing with its position every few plots; libasterix builds about 12,000 a
second) and checked against libasterix in the tests: I010 [1], I000 [2] message type, I030 [3]
time of day (as I140), I020 [4] sector number (8 bits, LSB 360/2^8 deg), I041 [5] antenna
rotation period (16 bits, LSB 1/128 s), I120 [11] 3-D position of the data source (height
16 bits signed, 1 m, above the WGS84 ellipsoid; latitude and longitude 24 bits signed each,
LSB 180/2^23 deg): how a moving radar (airborne, ship-borne) says where its antenna is.

A value outside its item's range raises ``AsterixEncodeError``; nothing is ever wrapped around
(a bearing of 360 deg is written as 0 deg, the same direction).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from dronewarn.domain.errors import ConfigError
from dronewarn.formats.asterix.encode062 import (
    MAX_DATAGRAM_BYTES,
    AsterixEncodeError,
    pack_datablocks,
)

CAT048 = 48
CAT034 = 34
DEFAULT_CAT034_EDITION = "1.29"
METRES_PER_NM = 1852.0
RHO_LSB_M = METRES_PER_NM / 256.0
"""I048/040 RHO: 1/256 NM, 7.234 m."""
THETA_LSB_DEG = 360.0 / 2**16
"""I048/040 THETA: 360/2^16 deg."""
TIME_LSB_S = 1.0 / 128.0
"""I048/140, I034/030: 1/2^7 s."""
RUNLENGTH_LSB_DEG = 360.0 / 2**13
"""I048/130 PRL: 360/2^13 deg."""
SECTOR_LSB_DEG = 360.0 / 2**8
"""I034/020: 360/2^8 deg."""
ROTATION_LSB_S = 1.0 / 128.0
"""I034/041: 1/2^7 s."""
_DAY_TICKS = 86_400 * 128
_TYP_PSR = 1


class ClimbMode(IntEnum):
    """I048/170 CDM."""

    MAINTAINING = 0
    CLIMBING = 1
    DESCENDING = 2
    UNKNOWN = 3


@dataclass(frozen=True, slots=True)
class PlotTrackStatus:
    """I048/170 for a plot that the radar's own tracker associated with a track."""

    confirmed: bool = True
    manoeuvre: bool = False
    """MAH: horizontal manoeuvre sensed."""
    climb: ClimbMode = ClimbMode.UNKNOWN
    end_of_track: bool = False
    """TRE: the last report for this track."""
    ghost: bool = False


@dataclass(frozen=True, slots=True)
class RadarPlot:
    """One primary-radar detection, as the radar reports it."""

    sac: int
    sic: int
    time_of_day_s: float
    """Seconds since the last UTC midnight, in [0, 86400)."""
    range_m: float
    """Slant range from the antenna."""
    azimuth_deg: float
    """Clockwise from true north, in [0, 360]."""
    simulated: bool = False
    """I020 SIM: a simulated target report."""
    runlength_deg: float | None = None
    """I130 PRL."""
    amplitude_dbm: float | None = None
    """I130 PAM."""
    track_number: int | None = None
    """I161, 0..4095."""
    track_status: PlotTrackStatus | None = None
    """I170."""


class ServiceMessageType(IntEnum):
    """I034/000."""

    NORTH_MARKER = 1
    SECTOR_CROSSING = 2


@dataclass(frozen=True, slots=True)
class RadarServiceMessage:
    """A CAT034 north marker or sector crossing."""

    sac: int
    sic: int
    time_of_day_s: float
    message_type: ServiceMessageType
    sector_deg: float | None = None
    """I020: azimuth of the sector just entered (required for a sector crossing)."""
    rotation_period_s: float | None = None
    """I041: the antenna's rotation period."""
    source_lat_deg: float | None = None
    source_lon_deg: float | None = None
    source_height_m: float | None = None
    """I120: where a moving radar's antenna is (height above the WGS84 ellipsoid)."""


# ---------------------------------------------------------------------------- quantities


def _byte(value: int, field: str) -> int:
    if not 0 <= value <= 255:
        raise AsterixEncodeError(f"{field}: {value} is not in 0..255", field=field)
    return value


def _time_ticks(time_of_day_s: float, field: str) -> int:
    if not (math.isfinite(time_of_day_s) and 0.0 <= time_of_day_s < 86_400.0):
        raise AsterixEncodeError(
            f"{field}: time of day {time_of_day_s} s is not in [0, 86400)", field=field
        )
    return round(time_of_day_s / TIME_LSB_S) % _DAY_TICKS  # 86399.999 s is the next midnight


def _azimuth_raw(azimuth_deg: float, lsb: float, bits: int, field: str) -> int:
    if not (math.isfinite(azimuth_deg) and 0.0 <= azimuth_deg <= 360.0):
        raise AsterixEncodeError(f"{field}: {azimuth_deg} deg is not in [0, 360]", field=field)
    return round(azimuth_deg / lsb) % (1 << bits)  # 360 deg is north again


def _unsigned(value: float, lsb: float, bits: int, field: str) -> int:
    if not math.isfinite(value):
        raise AsterixEncodeError(f"{field}: {value} is not a finite number", field=field)
    raw = round(value / lsb)
    if not 0 <= raw < 1 << bits:
        raise AsterixEncodeError(
            f"{field}: {value} is outside [0, {((1 << bits) - 1) * lsb}]", field=field
        )
    return raw


# ------------------------------------------------------------------------------ CAT048


_HEAD = struct.Struct(">BBBBBBHH")  # I010 SAC SIC, I140 (3 octets), I020, I040 RHO THETA


def encode_plot(plot: RadarPlot) -> bytes:
    """One CAT048 record (FSPEC and items, no data block header)."""
    sac = _byte(plot.sac, "I048/010 SAC")
    sic = _byte(plot.sic, "I048/010 SIC")
    ticks = _time_ticks(plot.time_of_day_s, "I048/140")
    rho = _unsigned(plot.range_m, RHO_LSB_M, 16, "I048/040 RHO")
    theta = _azimuth_raw(plot.azimuth_deg, THETA_LSB_DEG, 16, "I048/040 THETA")
    descriptor = _TYP_PSR << 5 | (0x10 if plot.simulated else 0)
    body = _HEAD.pack(
        sac, sic, ticks >> 16, (ticks >> 8) & 0xFF, ticks & 0xFF, descriptor, rho, theta
    )
    fspec1 = 0xF0  # I010, I140, I020, I040
    tail = b""
    if plot.runlength_deg is not None or plot.amplitude_dbm is not None:
        fspec1 |= 0x02
        presence = 0
        sub = b""
        if plot.runlength_deg is not None:
            presence |= 0x10
            sub += bytes((_unsigned(plot.runlength_deg, RUNLENGTH_LSB_DEG, 8, "I048/130 PRL"),))
        if plot.amplitude_dbm is not None:
            presence |= 0x08
            pam = plot.amplitude_dbm
            if not (math.isfinite(pam) and -128 <= round(pam) <= 127):
                raise AsterixEncodeError(
                    f"I048/130 PAM: {pam} dBm is not in [-128, 127]", field="I048/130 PAM"
                )
            sub += struct.pack(">b", round(pam))
        tail = bytes((presence,)) + sub
    fspec2 = 0
    if plot.track_number is not None:
        if not 0 <= plot.track_number <= 0x0FFF:
            raise AsterixEncodeError(
                f"I048/161: track number {plot.track_number} is not in 0..4095",
                field="I048/161",
            )
        fspec2 |= 0x10
        tail += struct.pack(">H", plot.track_number)
    status = plot.track_status
    if status is not None:
        fspec2 |= 0x02
        octet = (0 if status.confirmed else 0x80) | 0x20 | (0x08 if status.manoeuvre else 0)
        octet |= int(status.climb) << 1
        if status.end_of_track or status.ghost:
            tail += bytes(
                (octet | 1, (0x80 if status.end_of_track else 0) | (0x40 if status.ghost else 0))
            )
        else:
            tail += bytes((octet,))
    fspec = bytes((fspec1 | 1, fspec2)) if fspec2 else bytes((fspec1,))
    return fspec + body + tail


def encode_plots(plots: Sequence[RadarPlot], max_bytes: int = MAX_DATAGRAM_BYTES) -> list[bytes]:
    """CAT048 data blocks of at most ``max_bytes`` each, one per UDP datagram."""
    return pack_datablocks(CAT048, [encode_plot(p) for p in plots], max_bytes)


# ------------------------------------------------------------------------------ CAT034


def cat034_editions() -> tuple[str, ...]:
    """The CAT034 editions whose items written here share one layout."""
    return ("1.27", "1.28", "1.29")


_POSITION_LSB_DEG = 180.0 / (1 << 23)
"""I034/120 latitude and longitude."""


def _signed(value: float, lsb: float, bits: int, field: str) -> int:
    if not math.isfinite(value):
        raise AsterixEncodeError(f"{field}: {value} is not a finite number", field=field)
    raw = round(value / lsb)
    if not -(1 << (bits - 1)) <= raw < 1 << (bits - 1):
        raise AsterixEncodeError(f"{field}: {value} is outside the item's range", field=field)
    return raw & ((1 << bits) - 1)


def encode_service_message(
    message: RadarServiceMessage, edition: str = DEFAULT_CAT034_EDITION
) -> bytes:
    """One CAT034 record (FSPEC and items)."""
    if edition not in cat034_editions():
        raise ConfigError(
            f"CAT034 edition {edition!r} is not one of {', '.join(cat034_editions())}"
        )
    fspec1 = 0xE0  # I010, I000, I030
    items = [
        bytes((_byte(message.sac, "I034/010 SAC"), _byte(message.sic, "I034/010 SIC"))),
        bytes((int(ServiceMessageType(message.message_type)),)),
        _time_ticks(message.time_of_day_s, "I034/030").to_bytes(3, "big"),
    ]
    if message.sector_deg is not None:
        fspec1 |= 0x10
        items.append(bytes((_azimuth_raw(message.sector_deg, SECTOR_LSB_DEG, 8, "I034/020"),)))
    elif message.message_type is ServiceMessageType.SECTOR_CROSSING:
        raise AsterixEncodeError("a sector crossing needs its sector", field="I034/020")
    if message.rotation_period_s is not None:
        fspec1 |= 0x08
        raw = _unsigned(message.rotation_period_s, ROTATION_LSB_S, 16, "I034/041")
        items.append(raw.to_bytes(2, "big"))
    fspec = bytes((fspec1,))
    if message.source_lat_deg is not None or message.source_lon_deg is not None:
        if message.source_lat_deg is None or message.source_lon_deg is None:
            raise AsterixEncodeError("I034/120 needs both latitude and longitude", field="I034/120")
        if not -90.0 <= message.source_lat_deg <= 90.0:
            raise AsterixEncodeError(
                f"I034/120: latitude {message.source_lat_deg} is not in [-90, 90]",
                field="I034/120 LAT",
            )
        lon = message.source_lon_deg
        if not -180.0 <= lon <= 180.0:
            raise AsterixEncodeError(
                f"I034/120: longitude {lon} is not in [-180, 180]", field="I034/120 LON"
            )
        lon = lon - 360.0 if lon >= 180.0 - _POSITION_LSB_DEG / 2 else lon  # 180 E is 180 W
        fspec = bytes((fspec1 | 0x01, 0x10))
        items.append(
            _signed(message.source_height_m or 0.0, 1.0, 16, "I034/120 HGT").to_bytes(2, "big")
            + _signed(message.source_lat_deg, _POSITION_LSB_DEG, 24, "I034/120 LAT").to_bytes(
                3, "big"
            )
            + _signed(lon, _POSITION_LSB_DEG, 24, "I034/120 LON").to_bytes(3, "big")
        )
    return fspec + b"".join(items)


def encode_service_messages(
    messages: Sequence[RadarServiceMessage],
    edition: str = DEFAULT_CAT034_EDITION,
    max_bytes: int = MAX_DATAGRAM_BYTES,
) -> list[bytes]:
    """CAT034 data blocks of at most ``max_bytes`` each."""
    return pack_datablocks(
        CAT034, [encode_service_message(m, edition) for m in messages], max_bytes
    )
