"""ASTERIX CAT062 system-track records from dronewarn tracks, built with libasterix.

Specification: EUROCONTROL Specification for Surveillance Data Exchange, ASTERIX Part 9,
Category 062 "SDPS Track Messages" (EUROCONTROL-SPEC-0149-9), edition 1.20 by default. Any
edition libasterix carries (1.16 to 1.21) can be chosen: the items written here have the same
layout in all of them, and a test encodes each. The data block around the records is ASTERIX
Part 1 (EUROCONTROL-SPEC-0149-1) "General Message Structure": one octet CAT, two octets LEN
(the whole block, header included, big-endian), then the records, each FSPEC + items.

Items written, in UAP order (FRN: field reference number), with their least significant bits:

=====  =====  ==================================================  ============================
FRN    item   content                                             coding
=====  =====  ==================================================  ============================
1      I010   data source: SAC, SIC (config)                      2 x 8 bits
3      I015   service identification (config, optional)           8 bits
4      I070   time of track information: seconds since UTC        24 bits unsigned, LSB 1/128 s
              midnight of ``TrackState.time_s``
5      I105   WGS-84 latitude, longitude                          2 x 32 bits signed,
                                                                  LSB 180/2^25 deg; latitude
                                                                  in [-90, 90], longitude in
                                                                  [-180, 180)
6      I100   Cartesian x (east), y (north) from the configured   2 x 24 bits signed, LSB 0.5 m
              system reference point (optional; see below)
7      I185   Cartesian velocity vx (east), vy (north)            2 x 16 bits signed,
                                                                  LSB 0.25 m/s, [-8192, 8191.75]
11     I380   aircraft derived data, subfield EMC (emitter        8 bits; 13 = unmanned aerial
              category): drones only                              vehicle
12     I040   track number (``TrackNumberAllocator``)             16 bits
13     I080   track status: MON, SPI=0, MRH, SRC, CNF | SIM, TSE,  extended, 2 octets (4 when
              TSB, FPC..KOS=0 | (3rd octet 0) | CST               coasting)
14     I290   system track update ages, subfield TRK (track age   8 bits unsigned, LSB 1/4 s;
              since the track began)                              63.75 means "63.75 s or more"
18     I130   calculated track geometric altitude (height above   16 bits signed, LSB 6.25 ft,
              the WGS-84 ellipsoid), when known                   [-1500, 150000] ft
27     I500   estimated accuracies (1 sigma): APC x/y, COV,       APC 2 x 16 bits LSB 0.5 m;
              APW lat/lon, AGA, ATV x/y                           COV 16 bits signed LSB 0.5 m;
                                                                  APW 2 x 16 bits LSB
                                                                  180/2^25 deg; AGA 8 bits LSB
                                                                  6.25 ft; ATV 2 x 8 bits LSB
                                                                  0.25 m/s
=====  =====  ==================================================  ============================

Conventions:

* I070 is POSIX time modulo 86,400 s (POSIX days have no leap seconds); a time that rounds to
  midnight is written as 0, the next day's midnight.
* I100: the spec leaves the projection to the system; dronewarn uses the azimuthal equidistant
  plane centred on the reference point (``dronewarn.geo.frame.LocalFrame.to_plane``), so with
  the node's origin as reference point x/y are the tracker's own east/north.
* I185: the spec's y axis points to geographic north at the target. ``TrackState`` velocities
  are east/north in the node's tracking plane (AEQD around the node's origin), whose grid north
  leaves true north by the meridian convergence, about d_lon * sin(lat): 0.12 deg 10 km east
  or west of the origin at 52 N, 1.2 deg at 100 km. With ``Cat062Config.plane_origin`` set
  to the node's origin the velocity is turned to true north at the target; without it, it is
  written as given.
* I080 MRH=1 (geometric altitude more reliable) and SRC (``Cat062Config.altitude_source``)
  when I130 is present, MRH=0 and SRC=0 otherwise. MON=1 when one sensor fed the track.
  CNF=1 only for tentative tracks. TSB on the first record of a track number, TSE on the last
  (a ``TrackStatus.DELETED`` state, or a track that vanished from the picture: see
  ``Cat062Stream``). CST when ``time_s - last_update_s`` exceeds the configured threshold.
* I136 (measured flight level) and I135 are barometric: dronewarn has no pressure altitude, so
  they are never written, nor is I500 ABA. I500 AGA comes from ``altitude_sigma_m``.
* I500: APC is the square root of the east and north variances, COV is
  ``sign(cov_en) * sqrt(|cov_en|)`` (the spec's definition), APW converts the east/north
  sigmas to degrees with the WGS-84 radii of curvature at the track, ATV is the square root of
  the velocity variances. The spec says "maximum value means maximum value or above" for every
  I500 subfield and for I290, so those saturate; every other item refuses a value outside its
  range with ``AsterixEncodeError`` and never writes a wrapped-around one.

libasterix is pure Python: 1,000 to 1,400 CAT062 records a second on one core with every item
above (about 1,900 without I100 and I500; best of three runs over 2,000 tracks on the shared
2-core development machine), so a 1,000-track picture costs 0.7-1 s of CPU. The turn of I185
to true north adds one small pyproj call a track. ``asterix.generated`` takes about 2 s to
import, so it is imported when the first encoder is built, not with this module.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np

from dronewarn.domain.errors import ConfigError, DronewarnError, FieldValueError
from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.geo.frame import LocalFrame

CATEGORY = 62
DEFAULT_EDITION = "1.20"
MAX_DATAGRAM_BYTES = 1400
"""A UDP payload that fits an Ethernet MTU of 1,500 with IP/UDP headers and some margin."""

LATLON_LSB_DEG = 180.0 / 2**25
"""I105 and I500/APW: 180/2^25 deg (about 0.54 m of latitude)."""
TIME_LSB_S = 1.0 / 128.0
"""I070: 1/2^7 s."""
XY_LSB_M = 0.5
"""I100 and I500/APC, COV: 0.5 m."""
VELOCITY_LSB_MPS = 0.25
"""I185 and I500/ATV: 1/2^2 m/s."""
ALTITUDE_LSB_FT = 6.25
"""I130 and I500/AGA: 25/2^2 ft."""
AGE_LSB_S = 0.25
"""I290: 1/2^2 s."""
FT_PER_M = 1.0 / 0.3048
UAV_EMITTER_CATEGORY = 13
"""I380/EMC value "Unmanned aerial vehicle"."""
DRONE_CLASSES = frozenset(
    {ObjectClass.GERBERA, ObjectClass.SHAHED, ObjectClass.JET_DRONE, ObjectClass.MULTIROTOR}
)

_DAY_S = 86_400
_WGS84_A_M = 6_378_137.0
_WGS84_E2 = 6.694_379_990_14e-3


class AsterixEncodeError(FieldValueError):
    """A value that the ASTERIX item cannot carry (out of its range, NaN, infinite).

    ``field`` names the item and subfield, e.g. ``I062/185 VX``; ``data`` is empty and
    ``offset`` None: nothing was written.
    """

    kind = "encode_range"


class TrackNumberError(DronewarnError):
    """No track number is free, or a rebinding names an unknown or taken track id."""


class AltitudeSource(IntEnum):
    """I062/080 SRC: where the calculated geometric altitude (I062/130) comes from."""

    NO_SOURCE = 0
    GNSS = 1
    RADAR_3D = 2
    TRIANGULATION = 3
    HEIGHT_FROM_COVERAGE = 4
    SPEED_LOOKUP = 5
    DEFAULT_HEIGHT = 6
    MULTILATERATION = 7


def cat062_editions() -> tuple[str, ...]:
    """The CAT062 editions libasterix carries, e.g. ``("1.16", ..., "1.21")``."""
    import asterix.generated as gen  # 2 s to import: paid by encoders only

    return tuple(f"{c.cv_edition[0]}.{c.cv_edition[1]}" for c in gen.manifest["CATS"][CATEGORY])


def _cat062_spec(edition: str) -> Any:
    import asterix.generated as gen

    for spec in gen.manifest["CATS"][CATEGORY]:
        if f"{spec.cv_edition[0]}.{spec.cv_edition[1]}" == edition:
            return spec
    raise ConfigError(
        f"CAT062 edition {edition!r} is not one libasterix carries: {', '.join(cat062_editions())}"
    )


@dataclass(frozen=True, slots=True)
class Cat062Config:
    """What a dronewarn node writes into every CAT062 record it sends."""

    sac: int
    """System area code (I010); the up-to-date list is on EUROCONTROL's ASTERIX pages."""
    sic: int
    """System identification code (I010)."""
    edition: str = DEFAULT_EDITION
    service_id: int | None = None
    """I015 service identification; None leaves I015 out."""
    reference_point: GeoPoint | None = None
    """The system reference point of I100; None leaves I100 out."""
    plane_origin: GeoPoint | None = None
    """The origin of the node's tracking plane, in which ``TrackState`` velocities are given:
    I185 is then turned to true north at the target. None writes the velocities as given."""
    exercise: bool = False
    """Sets I080 SIM ("simulated track") on every record: for exercises and demos."""
    altitude_source: AltitudeSource = AltitudeSource.TRIANGULATION
    """I080 SRC when a track has an altitude: dronewarn's heights come from intersecting
    bearings and elevations of several sensors, hence triangulation by default."""
    coasting_after_s: float | None = 10.0
    """I080 CST is set when the last sensor update is older than this; None never sets it."""
    accuracies: bool = True
    """Write I500 estimated accuracies."""

    def __post_init__(self) -> None:
        for name in ("sac", "sic"):
            value = getattr(self, name)
            if not 0 <= value <= 255:
                raise ConfigError(f"CAT062 {name} {value} is not in 0..255")
        if self.service_id is not None and not 0 <= self.service_id <= 255:
            raise ConfigError(f"CAT062 service id {self.service_id} is not in 0..255")
        if self.coasting_after_s is not None and not self.coasting_after_s > 0:
            raise ConfigError(f"coasting_after_s {self.coasting_after_s} must be positive")
        for point in (self.reference_point, self.plane_origin):
            if point is not None and not (
                -90 <= point.lat_deg <= 90 and -180 <= point.lon_deg <= 180
            ):
                raise ConfigError(f"{point} is not a WGS-84 position")


@dataclass(frozen=True, slots=True)
class Cat062Accuracy:
    """I062/500 subfields, as physical values (1 sigma)."""

    apc_x_m: float
    apc_y_m: float
    cov_xy_m: float
    """sign(cov(x, y)) * sqrt(|cov(x, y)|)."""
    apw_lat_deg: float
    apw_lon_deg: float
    atv_x_mps: float
    atv_y_mps: float
    aga_ft: float | None = None


@dataclass(frozen=True, slots=True)
class Cat062Record:
    """One CAT062 system-track record, in the format's own fields and physical units."""

    sac: int
    sic: int
    time_of_day_s: float
    """I070: seconds since the last UTC midnight, in [0, 86400)."""
    lat_deg: float
    lon_deg: float
    vx_mps: float
    vy_mps: float
    track_number: int
    service_id: int | None = None
    x_m: float | None = None
    y_m: float | None = None
    monosensor: bool = False
    confirmed: bool = True
    simulated: bool = False
    first: bool = False
    """I080 TSB: first message for this track number."""
    last: bool = False
    """I080 TSE: last message for this track number."""
    coasting: bool = False
    altitude_ft: float | None = None
    """I130 geometric altitude above the WGS-84 ellipsoid."""
    altitude_source: AltitudeSource = AltitudeSource.NO_SOURCE
    emitter_category: int | None = None
    """I380/EMC, e.g. 13 for an unmanned aerial vehicle."""
    track_age_s: float | None = None
    """I290/TRK: time since the track began."""
    accuracy: Cat062Accuracy | None = None


# ---------------------------------------------------------------------------- quantities


def _raw(value: float, lsb: float, bits: int, *, signed: bool, field: str) -> int:
    """The two's-complement (or unsigned) integer of ``value`` in ``bits`` bits, or an error."""
    if not math.isfinite(value):
        raise AsterixEncodeError(f"{field}: {value} is not a finite number", field=field)
    raw = round(value / lsb)
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if not low <= raw <= high:
        raise AsterixEncodeError(
            f"{field}: {value} is outside the item's range [{low * lsb}, {high * lsb}]",
            field=field,
        )
    return raw & ((1 << bits) - 1)


def _saturated(value: float, lsb: float, bits: int, *, field: str) -> int:
    """An unsigned accuracy or age: values beyond the range write the maximum, which the
    spec defines as "maximum value or above"."""
    if math.isnan(value) or value < 0:
        raise AsterixEncodeError(f"{field}: {value} is not a non-negative number", field=field)
    return min(round(value / lsb), (1 << bits) - 1)


def _signed_saturated(value: float, lsb: float, bits: int, *, field: str) -> int:
    if math.isnan(value):
        raise AsterixEncodeError(f"{field}: {value} is not a number", field=field)
    limit = (1 << (bits - 1)) - 1
    raw = max(-limit, min(limit, round(value / lsb)))
    return raw & ((1 << bits) - 1)


def _time_of_day_raw(time_of_day_s: float, field: str) -> int:
    if not math.isfinite(time_of_day_s) or not 0 <= time_of_day_s < _DAY_S:
        raise AsterixEncodeError(
            f"{field}: time of day {time_of_day_s} s is not in [0, 86400)", field=field
        )
    return round(time_of_day_s / TIME_LSB_S) % (_DAY_S * 128)


def time_of_day_s(time_s: float) -> float:
    """Seconds since the last UTC midnight of POSIX time ``time_s``."""
    if not math.isfinite(time_s):
        raise AsterixEncodeError(f"time {time_s} is not finite", field="I062/070")
    return time_s % _DAY_S


def _latlon_raw(lat_deg: float, lon_deg: float, field: str) -> tuple[int, int]:
    if not (math.isfinite(lat_deg) and -90.0 <= lat_deg <= 90.0):
        raise AsterixEncodeError(f"{field} LAT: {lat_deg} is not in [-90, 90]", field=field)
    if not (math.isfinite(lon_deg) and -180.0 <= lon_deg <= 180.0):
        raise AsterixEncodeError(f"{field} LON: {lon_deg} is not in [-180, 180]", field=field)
    lat = round(lat_deg / LATLON_LSB_DEG)
    lon = round(lon_deg / LATLON_LSB_DEG)
    if lon == 1 << 25:  # 180 deg E is 180 deg W: the spec's range is [-180, 180)
        lon = -(1 << 25)
    return lat & 0xFFFF_FFFF, lon & 0xFFFF_FFFF


# ---------------------------------------------------------------------- record <-> bytes


def _items(record: Cat062Record) -> dict[str, Any]:
    """libasterix's arguments for each item: raw integers, range-checked here (libasterix
    itself would silently wrap a value that does not fit)."""
    items: dict[str, Any] = {
        "010": (record.sac, record.sic),
        "070": _time_of_day_raw(record.time_of_day_s, "I062/070"),
        "105": _latlon_raw(record.lat_deg, record.lon_deg, "I062/105"),
        "185": (
            _raw(record.vx_mps, VELOCITY_LSB_MPS, 16, signed=True, field="I062/185 VX"),
            _raw(record.vy_mps, VELOCITY_LSB_MPS, 16, signed=True, field="I062/185 VY"),
        ),
        "040": record.track_number,
    }
    if not 0 <= record.track_number <= 0xFFFF:
        raise AsterixEncodeError(
            f"track number {record.track_number} is not 16 bits", field="I062/040"
        )
    for name, value in (("SAC", record.sac), ("SIC", record.sic), ("SID", record.service_id)):
        if value is not None and not 0 <= value <= 255:
            raise AsterixEncodeError(f"{name} {value} is not in 0..255", field=f"I062 {name}")
    if record.service_id is not None:
        items["015"] = record.service_id
    if record.x_m is not None and record.y_m is not None:
        items["100"] = (
            _raw(record.x_m, XY_LSB_M, 24, signed=True, field="I062/100 X"),
            _raw(record.y_m, XY_LSB_M, 24, signed=True, field="I062/100 Y"),
        )
    if record.emitter_category is not None:
        if not 0 <= record.emitter_category <= 255:
            raise AsterixEncodeError(
                f"emitter category {record.emitter_category} is not 8 bits",
                field="I062/380 EMC",
            )
        items["380"] = {"EMC": record.emitter_category}
    has_altitude = record.altitude_ft is not None
    source = int(record.altitude_source) if has_altitude else 0
    octets: list[tuple[int | None, ...]] = [
        (int(record.monosensor), 0, int(has_altitude), source, int(not record.confirmed), None),
        (int(record.simulated), int(record.last), int(record.first), 0, 0, 0, 0, None),
    ]
    if record.coasting:
        octets.append((0, 0, 0, 0, 0, None))  # AMA, MD4, ME, MI, MD5: defaults
        octets.append((1, 0, 0, 0, 0, 0, 0, None))  # CST
    items["080"] = tuple(octets)
    if record.track_age_s is not None:
        items["290"] = {"TRK": _saturated(record.track_age_s, AGE_LSB_S, 8, field="I062/290 TRK")}
    if record.altitude_ft is not None:
        if not -1500.0 <= record.altitude_ft <= 150_000.0:
            raise AsterixEncodeError(
                f"I062/130: altitude {record.altitude_ft} ft is not in [-1500, 150000]",
                field="I062/130",
            )
        items["130"] = _raw(record.altitude_ft, ALTITUDE_LSB_FT, 16, signed=True, field="I062/130")
    acc = record.accuracy
    if acc is not None:
        sub: dict[str, Any] = {
            "APC": (
                _saturated(acc.apc_x_m, XY_LSB_M, 16, field="I062/500 APC X"),
                _saturated(acc.apc_y_m, XY_LSB_M, 16, field="I062/500 APC Y"),
            ),
            "COV": _signed_saturated(acc.cov_xy_m, XY_LSB_M, 16, field="I062/500 COV"),
            "APW": (
                _saturated(acc.apw_lat_deg, LATLON_LSB_DEG, 16, field="I062/500 APW LAT"),
                _saturated(acc.apw_lon_deg, LATLON_LSB_DEG, 16, field="I062/500 APW LON"),
            ),
            "ATV": (
                _saturated(acc.atv_x_mps, VELOCITY_LSB_MPS, 8, field="I062/500 ATV X"),
                _saturated(acc.atv_y_mps, VELOCITY_LSB_MPS, 8, field="I062/500 ATV Y"),
            ),
        }
        if acc.aga_ft is not None:
            sub["AGA"] = _saturated(acc.aga_ft, ALTITUDE_LSB_FT, 8, field="I062/500 AGA")
        items["500"] = sub
    return items


def encode_record(record: Cat062Record, edition: str = DEFAULT_EDITION) -> bytes:
    """One CAT062 record (FSPEC and items, no data block header) built by libasterix."""
    return bytes(_encode(record, _cat062_spec(edition)))


def _encode(record: Cat062Record, spec: Any) -> bytes:
    built = spec.cv_record.create(_items(record))
    return bytes(built.unparse().to_bytes())


# ---------------------------------------------------------------------- track -> record


def _radii_m(lat_deg: float) -> tuple[float, float]:
    """WGS-84 meridional (M) and prime-vertical (N) radii of curvature at a latitude."""
    s = math.sin(math.radians(lat_deg))
    w = 1.0 - _WGS84_E2 * s * s
    return _WGS84_A_M * (1.0 - _WGS84_E2) / w**1.5, _WGS84_A_M / math.sqrt(w)


def accuracy_of(state: TrackState) -> Cat062Accuracy:
    """I062/500 from the track's ENU covariance (and its altitude sigma)."""
    cov = state.cov_enu
    if len(cov) != 16:
        raise AsterixEncodeError(
            f"track {state.track_id}: cov_enu has {len(cov)} entries, not 16", field="I062/500"
        )
    var_e, var_n, cov_en, var_ve, var_vn = cov[0], cov[5], cov[1], cov[10], cov[15]
    for name, var in (
        ("east", var_e),
        ("north", var_n),
        ("vel east", var_ve),
        ("vel north", var_vn),
    ):
        if not var >= 0.0:  # also refuses NaN
            raise AsterixEncodeError(
                f"track {state.track_id}: {name} variance {var} is not >= 0", field="I062/500"
            )
    if math.isnan(cov_en):
        raise AsterixEncodeError(f"track {state.track_id}: cov(e, n) is NaN", field="I062/500")
    sigma_e, sigma_n = math.sqrt(var_e), math.sqrt(var_n)
    m_radius, n_radius = _radii_m(state.position.lat_deg)
    cos_lat = max(math.cos(math.radians(state.position.lat_deg)), 1e-9)
    aga = None
    if state.position.alt_m is not None and state.altitude_sigma_m is not None:
        aga = state.altitude_sigma_m * FT_PER_M
    return Cat062Accuracy(
        apc_x_m=sigma_e,
        apc_y_m=sigma_n,
        cov_xy_m=math.copysign(math.sqrt(abs(cov_en)), cov_en),
        apw_lat_deg=math.degrees(sigma_n / m_radius),
        apw_lon_deg=math.degrees(sigma_e / (n_radius * cos_lat)),
        atv_x_mps=math.sqrt(var_ve),
        atv_y_mps=math.sqrt(var_vn),
        aga_ft=aga,
    )


def true_north_velocity(
    plane: LocalFrame, lat_deg: float, lon_deg: float, vel_east_mps: float, vel_north_mps: float
) -> tuple[float, float]:
    """A velocity given in ``plane``'s grid, as east/north components at the target's own
    meridian: the grid direction of true north there is found by stepping 1e-4 deg north."""
    if not abs(lat_deg) < 89.99:  # true north is no direction at a pole (or NaN)
        return vel_east_mps, vel_north_mps
    east, north = plane.to_plane(np.array([lat_deg, lat_deg + 1e-4]), np.full(2, lon_deg))
    dx, dy = float(east[1] - east[0]), float(north[1] - north[0])
    norm = math.hypot(dx, dy)
    if not norm > 0:
        return vel_east_mps, vel_north_mps
    sin_g, cos_g = dx / norm, dy / norm  # true north in the grid: (sin g, cos g)
    return (
        vel_east_mps * cos_g - vel_north_mps * sin_g,
        vel_east_mps * sin_g + vel_north_mps * cos_g,
    )


def record_of(
    state: TrackState,
    track_number: int,
    config: Cat062Config,
    *,
    frame: LocalFrame | None = None,
    plane: LocalFrame | None = None,
    first: bool = False,
    last: bool = False,
) -> Cat062Record:
    """The CAT062 fields of one track state. ``frame`` (centred on the configured reference
    point) gives I100, left out without it; ``plane`` (centred on the configured plane origin)
    turns the velocity to true north, written as given without it."""
    pos = state.position
    x_m = y_m = None
    if frame is not None:
        east, north = frame.to_plane(pos.lat_deg, pos.lon_deg)
        x_m, y_m = float(east), float(north)
    vx, vy = state.vel_east_mps, state.vel_north_mps
    if plane is not None:
        vx, vy = true_north_velocity(plane, pos.lat_deg, pos.lon_deg, vx, vy)
    alt_ft = None if pos.alt_m is None else pos.alt_m * FT_PER_M
    coasting = (
        config.coasting_after_s is not None
        and state.time_s - state.last_update_s > config.coasting_after_s
    )
    age = None
    if 0.0 < state.first_seen_s <= state.time_s:
        age = state.time_s - state.first_seen_s
    return Cat062Record(
        sac=config.sac,
        sic=config.sic,
        service_id=config.service_id,
        time_of_day_s=time_of_day_s(state.time_s),
        lat_deg=pos.lat_deg,
        lon_deg=pos.lon_deg,
        x_m=x_m,
        y_m=y_m,
        vx_mps=vx,
        vy_mps=vy,
        track_number=track_number,
        monosensor=len(state.sensors) == 1,
        confirmed=state.status is not TrackStatus.TENTATIVE,
        simulated=config.exercise,
        first=first,
        last=last or state.status is TrackStatus.DELETED,
        coasting=coasting,
        altitude_ft=alt_ft,
        altitude_source=config.altitude_source if alt_ft is not None else AltitudeSource.NO_SOURCE,
        emitter_category=UAV_EMITTER_CATEGORY if state.object_class in DRONE_CLASSES else None,
        track_age_s=age,
        accuracy=accuracy_of(state) if config.accuracies else None,
    )


class Cat062Encoder:
    """Encodes track states as CAT062 records under one configuration."""

    def __init__(self, config: Cat062Config) -> None:
        self.config = config
        self._spec = _cat062_spec(config.edition)
        ref, origin = config.reference_point, config.plane_origin
        self._frame = None if ref is None else LocalFrame(ref.lat_deg, ref.lon_deg)
        if origin is None:
            self._plane = None
        elif ref is not None and (origin.lat_deg, origin.lon_deg) == (ref.lat_deg, ref.lon_deg):
            self._plane = self._frame
        else:
            self._plane = LocalFrame(origin.lat_deg, origin.lon_deg)

    def record(
        self, state: TrackState, track_number: int, *, first: bool = False, last: bool = False
    ) -> Cat062Record:
        return record_of(
            state,
            track_number,
            self.config,
            frame=self._frame,
            plane=self._plane,
            first=first,
            last=last,
        )

    def encode(
        self, state: TrackState, track_number: int, *, first: bool = False, last: bool = False
    ) -> bytes:
        """One record's bytes (FSPEC and items); raises ``AsterixEncodeError``."""
        return _encode(self.record(state, track_number, first=first, last=last), self._spec)


# -------------------------------------------------------------------------- track numbers


@dataclass(frozen=True, slots=True)
class TrackNumber:
    number: int
    first: bool
    """True when the number was just bound to the track: its next record carries TSB."""


class TrackNumberAllocator:
    """Stable 16-bit I062/040 track numbers for dronewarn's string track ids.

    * A track id keeps its number for as long as it lives; ``rebind`` moves a number to a new
      id when the tracker renames a track, so receivers see one continuous track.
    * A new id first tries a number derived from a hash of the id (so a restarted node tends to
      give the same ids the same numbers), then the next free ones, in order.
    * A released number rests for ``quarantine_s`` before another track may take it, so a
      receiver never glues a new track onto an old one's history. The id that released it may
      take it back at once (the same track, returning).
    """

    def __init__(self, *, first: int = 1, last: int = 0xFFFF, quarantine_s: float = 300.0):
        if not 0 <= first <= last <= 0xFFFF:
            raise ConfigError(f"track numbers {first}..{last} are not a 16-bit range")
        if quarantine_s < 0:
            raise ConfigError(f"quarantine_s {quarantine_s} must not be negative")
        self.first = first
        self.last = last
        self.quarantine_s = quarantine_s
        self._by_id: dict[str, int] = {}
        self._by_number: dict[int, str] = {}
        self._released: dict[int, tuple[str, float]] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def number_of(self, track_id: str) -> int | None:
        return self._by_id.get(track_id)

    def preferred(self, track_id: str) -> int:
        """The number a new ``track_id`` tries first."""
        digest = hashlib.blake2b(track_id.encode(), digest_size=4).digest()
        return self.first + int.from_bytes(digest, "big") % (self.last - self.first + 1)

    def assign(self, track_id: str, time_s: float) -> TrackNumber:
        """The track's number, binding a free one on first sight."""
        number = self._by_id.get(track_id)
        if number is not None:
            return TrackNumber(number, first=False)
        span = self.last - self.first + 1
        start = self.preferred(track_id) - self.first
        for k in range(span):
            candidate = self.first + (start + k) % span
            if candidate in self._by_number:
                continue
            resting = self._released.get(candidate)
            if resting is not None:
                owner, released_s = resting
                if owner != track_id and time_s - released_s < self.quarantine_s:
                    continue
                del self._released[candidate]
            self._by_id[track_id] = candidate
            self._by_number[candidate] = track_id
            return TrackNumber(candidate, first=True)
        raise TrackNumberError(
            f"no track number in {self.first}..{self.last} is free for {track_id!r} "
            f"({len(self._by_id)} bound, {len(self._released)} resting)"
        )

    def release(self, track_id: str, time_s: float) -> None:
        """The track ended (its TSE record went out): its number starts resting."""
        number = self._by_id.pop(track_id, None)
        if number is not None:
            del self._by_number[number]
            self._released[number] = (track_id, time_s)

    def withdraw(self, track_id: str) -> None:
        """Undo an ``assign`` whose record never left: the number is free again at once."""
        number = self._by_id.pop(track_id, None)
        if number is not None:
            del self._by_number[number]

    def rebind(self, old_id: str, new_id: str) -> None:
        """The tracker renamed ``old_id`` to ``new_id``: the number follows the track."""
        number = self._by_id.get(old_id)
        if number is None:
            raise TrackNumberError(f"track {old_id!r} has no number to pass on")
        if new_id in self._by_id:
            raise TrackNumberError(f"track {new_id!r} already has number {self._by_id[new_id]}")
        del self._by_id[old_id]
        self._by_id[new_id] = number
        self._by_number[number] = new_id


# --------------------------------------------------------------------------------- stream


@dataclass(slots=True)
class Cat062Batch:
    """The records of one picture, and the tracks that could not be encoded."""

    records: list[bytes] = field(default_factory=list)
    rejected: list[tuple[str, AsterixEncodeError]] = field(default_factory=list)


class Cat062Stream:
    """Successive track pictures in, CAT062 records out, with track life-cycle flags.

    Each ``update`` gets the node's current states. A track seen for the first time is sent
    with TSB; a ``DELETED`` state, or a track missing from the picture, is sent once more with
    TSE (its last state, unchanged) and its number starts resting. A track whose values do not
    fit CAT062 is left out of that picture and listed in ``rejected``.
    """

    def __init__(self, encoder: Cat062Encoder, numbers: TrackNumberAllocator | None = None):
        self.encoder = encoder
        self.numbers = numbers if numbers is not None else TrackNumberAllocator()
        self._live: dict[str, TrackState] = {}

    @property
    def live(self) -> int:
        return len(self._live)

    def update(self, states: Iterable[TrackState]) -> Cat062Batch:
        batch = Cat062Batch()
        seen: dict[str, TrackState] = {}
        ended: set[str] = set()
        for state in states:
            tid = state.track_id
            if state.status is TrackStatus.DELETED:
                ended.add(tid)
                self._end(state, batch)
                continue
            number = self.numbers.assign(tid, state.time_s)
            try:
                batch.records.append(self.encoder.encode(state, number.number, first=number.first))
            except AsterixEncodeError as exc:
                batch.rejected.append((tid, exc))
                if number.first:
                    self.numbers.withdraw(tid)
                elif tid in self._live:
                    seen[tid] = self._live[tid]  # keep it alive: its last good state
                continue
            seen[tid] = state
        for tid, old in self._live.items():
            if tid not in seen and tid not in ended:
                self._end(old, batch)
        self._live = seen
        return batch

    def close(self) -> Cat062Batch:
        """End every live track (TSE), e.g. when the node stops sending."""
        batch = Cat062Batch()
        for old in self._live.values():
            self._end(old, batch)
        self._live = {}
        return batch

    def _end(self, state: TrackState, batch: Cat062Batch) -> None:
        tid = state.track_id
        number = self.numbers.number_of(tid)
        if number is None:  # never sent: nothing to end
            return
        try:
            batch.records.append(self.encoder.encode(state, number, last=True))
        except AsterixEncodeError as exc:
            batch.rejected.append((tid, exc))
        self.numbers.release(tid, state.time_s)


# ---------------------------------------------------------------------------- data blocks


def pack_datablocks(
    category: int, records: Sequence[bytes], max_bytes: int = MAX_DATAGRAM_BYTES
) -> list[bytes]:
    """Records packed into as few data blocks (CAT, LEN, records) as fit ``max_bytes`` each.

    Records keep their order and are never split. Each block is meant to be one UDP datagram.
    A single record longer than ``max_bytes - 3`` raises ``AsterixEncodeError``.
    """
    if not 0 <= category <= 255:
        raise AsterixEncodeError(f"category {category} is not 8 bits", field="CAT")
    if not 4 <= max_bytes <= 0xFFFF:
        raise AsterixEncodeError(f"max_bytes {max_bytes} is not in 4..65535", field="LEN")
    blocks: list[bytes] = []
    pending: list[bytes] = []
    size = 3
    for record in records:
        if len(record) + 3 > max_bytes:
            raise AsterixEncodeError(
                f"a {len(record)}-byte record does not fit a {max_bytes}-byte data block",
                field="LEN",
            )
        if size + len(record) > max_bytes:
            blocks.append(struct.pack(">BH", category, size) + b"".join(pending))
            pending, size = [], 3
        pending.append(record)
        size += len(record)
    if pending:
        blocks.append(struct.pack(">BH", category, size) + b"".join(pending))
    return blocks
