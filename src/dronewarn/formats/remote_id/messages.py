"""Open Drone ID broadcast messages (ASTM F3411-22a, ASD-STAN EN 4709-002): decode and encode.

Spec: ASTM F3411-22a "Standard Specification for Remote ID and Tracking", section 5.4.5
(message formats); the European profile ASD-STAN prEN 4709-002 uses the same 25-octet
messages. Each message is 25 octets; octet 0 is the header: message type in the high nibble,
protocol version (0, 1 or 2) in the low one. Multi-octet integers are little-endian.

====  ==============  =======================================================================
type  message         what dronewarn reads
====  ==============  =======================================================================
0x0   Basic ID        ID type and UA type (octet 1, high/low nibble), UAS ID (octets 2-21,
                      ASCII, NUL-padded): serial number (CTA-2063-A), CAA registration, UTM
                      UUID or session ID
0x1   Location        status, height type, E/W bit and speed multiplier (octet 1); track
                      direction (2), ground speed (3), vertical speed (4, int8 x 0.5 m/s);
                      latitude and longitude (5-8, 9-12, int32 x 1e-7 deg); pressure and
                      geodetic altitude and height (13-18, uint16 x 0.5 - 1000 m); vertical
                      and horizontal accuracy (19), baro and speed accuracy (20); timestamp
                      (21-22, tenths of a second past the hour, 0xFFFF unknown); timestamp
                      accuracy (23, low nibble, tenths of a second)
0x2   Authentication  kept as its page octets (not verified)
0x3   Self-ID         description type (1), text (2-24)
0x4   System          operator location type (1); operator latitude, longitude (2-9); area
                      count, radius, ceiling, floor (10-16); EU category and class (17);
                      operator altitude (18-19); timestamp (20-23, seconds since
                      2019-01-01T00:00Z)
0x5   Operator ID     ID type (1), operator ID (2-21)
0xF   Message Pack    message size (1, must be 25), count (2, at most 9; transmitters send
                      empty packs between updates), the messages
====  ==============  =======================================================================

Values the specification reserves for "unknown" (direction 361, speed 255 m/s, altitude
-1000 m, latitude and longitude both 0, accuracy enum 0) decode to None. A message shorter than
25 octets raises TruncatedError; a value the specification forbids (a latitude past 90 deg, a
version above 2, a pack whose size is not 25) raises FieldValueError; a message type the
specification does not define raises UnsupportedError. Nothing else escapes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from types import MappingProxyType
from typing import TypeVar

from dronewarn.domain.errors import (
    DecodeError,
    FieldValueError,
    TruncatedError,
    UnsupportedError,
)

MESSAGE_OCTETS = 25
MAX_PACK_MESSAGES = 9
MAX_VERSION = 2
_E = TypeVar("_E", bound=IntEnum)
SYSTEM_EPOCH_S = datetime(2019, 1, 1, tzinfo=UTC).timestamp()
"""Where the System message's timestamp counts from."""


class MessageType(IntEnum):
    BASIC_ID = 0x0
    LOCATION = 0x1
    AUTHENTICATION = 0x2
    SELF_ID = 0x3
    SYSTEM = 0x4
    OPERATOR_ID = 0x5
    PACK = 0xF


class IdType(IntEnum):
    NONE = 0
    SERIAL_NUMBER = 1
    CAA_REGISTRATION = 2
    UTM_UUID = 3
    SPECIFIC_SESSION = 4


class UaType(IntEnum):
    NONE = 0
    AEROPLANE = 1
    HELICOPTER_OR_MULTIROTOR = 2
    GYROPLANE = 3
    HYBRID_LIFT = 4
    ORNITHOPTER = 5
    GLIDER = 6
    KITE = 7
    FREE_BALLOON = 8
    CAPTIVE_BALLOON = 9
    AIRSHIP = 10
    FREE_FALL_PARACHUTE = 11
    ROCKET = 12
    TETHERED_POWERED = 13
    GROUND_OBSTACLE = 14
    OTHER = 15


class Status(IntEnum):
    UNDECLARED = 0
    GROUND = 1
    AIRBORNE = 2
    EMERGENCY = 3
    REMOTE_ID_FAILURE = 4


HORIZONTAL_ACCURACY_M = MappingProxyType(
    {
        1: 18520.0,
        2: 7408.0,
        3: 3704.0,
        4: 1852.0,
        5: 926.0,
        6: 555.6,
        7: 185.2,
        8: 92.6,
        9: 30.0,
        10: 10.0,
        11: 3.0,
        12: 1.0,
    }
)
"""Horizontal accuracy enum -> the 95 % bound it declares, metres (0 and 13-15: unknown)."""
VERTICAL_ACCURACY_M = MappingProxyType({1: 150.0, 2: 45.0, 3: 25.0, 4: 10.0, 5: 3.0, 6: 1.0})
"""Vertical (and barometric) accuracy enum -> 95 % bound, metres."""
SPEED_ACCURACY_MPS = MappingProxyType({1: 10.0, 2: 3.0, 3: 1.0, 4: 0.3})


@dataclass(frozen=True, slots=True)
class BasicId:
    version: int
    id_type: IdType | int
    ua_type: UaType
    uas_id: str


@dataclass(frozen=True, slots=True)
class Location:
    version: int
    status: Status | int
    height_above_takeoff: bool
    """True: ``height_m`` is above the take-off point; False: above ground."""
    direction_deg: float | None
    speed_mps: float | None
    vertical_speed_mps: float | None
    lat_deg: float | None
    lon_deg: float | None
    pressure_alt_m: float | None
    geodetic_alt_m: float | None
    height_m: float | None
    horizontal_accuracy_m: float | None
    vertical_accuracy_m: float | None
    baro_accuracy_m: float | None
    speed_accuracy_mps: float | None
    tenths_past_hour: int | None
    timestamp_accuracy_s: float | None


@dataclass(frozen=True, slots=True)
class Authentication:
    version: int
    page: bytes


@dataclass(frozen=True, slots=True)
class SelfId:
    version: int
    description_type: int
    description: str


@dataclass(frozen=True, slots=True)
class System:
    version: int
    operator_location_type: int
    operator_lat_deg: float | None
    operator_lon_deg: float | None
    area_count: int
    area_radius_m: float
    area_ceiling_m: float | None
    area_floor_m: float | None
    category: int
    class_value: int
    operator_alt_m: float | None
    time_s: float | None
    """UTC seconds since 1970 (the message counts from 2019-01-01), None when 0."""


@dataclass(frozen=True, slots=True)
class OperatorId:
    version: int
    id_type: int
    operator_id: str


Message = BasicId | Location | Authentication | SelfId | System | OperatorId


# ---------------------------------------------------------------- decode


def decode_messages(data: bytes) -> list[Message]:
    """One message, a message pack, or messages back to back (a multiple of 25 octets)."""
    _whole_message(data)
    if data[0] >> 4 == MessageType.PACK:
        return _pack(data)
    if len(data) % MESSAGE_OCTETS:
        raise FieldValueError(
            f"{len(data)} octets are not whole {MESSAGE_OCTETS}-octet messages",
            data=data[:64],
            offset=len(data) - len(data) % MESSAGE_OCTETS,
            field="message",
        )
    return [
        decode_message(data[i : i + MESSAGE_OCTETS]) for i in range(0, len(data), MESSAGE_OCTETS)
    ]


def _pack(data: bytes) -> list[Message]:
    _version(data)
    size, count = data[1], data[2]
    if size != MESSAGE_OCTETS:
        raise FieldValueError(
            f"message pack says messages are {size} octets; the specification fixes 25",
            data=data[:64],
            offset=1,
            field="pack.size",
        )
    if count > MAX_PACK_MESSAGES:
        raise FieldValueError(
            f"message pack holds {count} messages; at most {MAX_PACK_MESSAGES} are allowed",
            data=data[:64],
            offset=2,
            field="pack.count",
        )
    end = 3 + count * MESSAGE_OCTETS
    if len(data) < end:
        raise TruncatedError(
            f"message pack of {count} messages needs {end} octets, got {len(data)}",
            data=data[:64],
            offset=len(data),
            field="pack",
        )
    messages: list[Message] = []
    for i in range(3, end, MESSAGE_OCTETS):
        if data[i] >> 4 == MessageType.PACK:
            raise FieldValueError(
                "a message pack inside a message pack", data=data[:64], offset=i, field="pack"
            )
        try:
            messages.append(decode_message(data[i : i + MESSAGE_OCTETS]))
        except DecodeError as error:
            error.offset = i + (error.offset or 0)
            raise
    return messages


def decode_message(data: bytes) -> Message:
    """One 25-octet message (not a pack)."""
    _whole_message(data)
    version = _version(data)
    kind = data[0] >> 4
    match kind:
        case MessageType.BASIC_ID:
            return BasicId(
                version, _enum(IdType, data[1] >> 4), UaType(data[1] & 0xF), _text(data[2:22])
            )
        case MessageType.LOCATION:
            return _location(data, version)
        case MessageType.AUTHENTICATION:
            return Authentication(version, bytes(data[1:MESSAGE_OCTETS]))
        case MessageType.SELF_ID:
            return SelfId(version, data[1], _text(data[2:25]))
        case MessageType.SYSTEM:
            return _system(data, version)
        case MessageType.OPERATOR_ID:
            return OperatorId(version, data[1], _text(data[2:22]))
        case _:
            raise UnsupportedError(
                f"Open Drone ID message type {kind:#x} is not defined by ASTM F3411-22a",
                data=data[:MESSAGE_OCTETS],
                offset=0,
                field="header.type",
            )


def _whole_message(data: bytes) -> None:
    if len(data) < MESSAGE_OCTETS:
        raise TruncatedError(
            f"an Open Drone ID message is {MESSAGE_OCTETS} octets, got {len(data)}",
            data=data[:64],
            offset=0,
            field="message",
        )


def _version(data: bytes) -> int:
    version = data[0] & 0xF
    if version > MAX_VERSION:
        raise FieldValueError(
            f"Open Drone ID protocol version {version}; versions 0 to {MAX_VERSION} exist",
            data=data[:MESSAGE_OCTETS],
            offset=0,
            field="header.version",
        )
    return version


def _enum(kind: type[_E], value: int) -> _E | int:
    try:
        return kind(value)
    except ValueError:
        return value


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", errors="replace").strip()


def _altitude(raw: int) -> float | None:
    return None if raw == 0 else raw * 0.5 - 1000.0


def _lat_lon(data: bytes, at: int, field: str) -> tuple[float | None, float | None]:
    lat_e7, lon_e7 = struct.unpack_from("<ii", data, at)
    if lat_e7 == 0 and lon_e7 == 0:
        return None, None
    lat, lon = lat_e7 * 1e-7, lon_e7 * 1e-7
    if abs(lat) > 90.0 or abs(lon) > 180.0:
        raise FieldValueError(
            f"{field} at {lat:.7f}, {lon:.7f} degrees is off the Earth",
            data=data[:MESSAGE_OCTETS],
            offset=at,
            field=field,
        )
    return lat, lon


def _location(data: bytes, version: int) -> Location:
    flags = data[1]
    raw_direction = data[2] + (180 if flags & 0x02 else 0)
    direction = None if raw_direction > 360 else float(raw_direction % 360)
    raw_speed = data[3]
    if flags & 0x01:
        speed = None if raw_speed == 255 else raw_speed * 0.75 + 255 * 0.25
    else:
        speed = raw_speed * 0.25
    raw_vspeed = struct.unpack_from("<b", data, 4)[0]
    vspeed = None if raw_vspeed == 126 else raw_vspeed * 0.5
    lat, lon = _lat_lon(data, 5, "location")
    pressure, geodetic, height = struct.unpack_from("<HHH", data, 13)
    tenths = struct.unpack_from("<H", data, 21)[0]
    if tenths != 0xFFFF and tenths >= 36000:
        raise FieldValueError(
            f"location timestamp {tenths / 10:.1f} s past the hour; an hour has 3600 s",
            data=data[:MESSAGE_OCTETS],
            offset=21,
            field="location.timestamp",
        )
    ts_accuracy = data[23] & 0xF
    return Location(
        version=version,
        status=_enum(Status, flags >> 4),
        height_above_takeoff=not flags & 0x04,
        direction_deg=direction,
        speed_mps=speed,
        vertical_speed_mps=vspeed,
        lat_deg=lat,
        lon_deg=lon,
        pressure_alt_m=_altitude(pressure),
        geodetic_alt_m=_altitude(geodetic),
        height_m=_altitude(height),
        horizontal_accuracy_m=HORIZONTAL_ACCURACY_M.get(data[19] & 0xF),
        vertical_accuracy_m=VERTICAL_ACCURACY_M.get(data[19] >> 4),
        baro_accuracy_m=VERTICAL_ACCURACY_M.get(data[20] >> 4),
        speed_accuracy_mps=SPEED_ACCURACY_MPS.get(data[20] & 0xF),
        tenths_past_hour=None if tenths == 0xFFFF else tenths,
        timestamp_accuracy_s=ts_accuracy / 10 if ts_accuracy else None,
    )


def _system(data: bytes, version: int) -> System:
    lat, lon = _lat_lon(data, 2, "system.operator")
    count, radius = struct.unpack_from("<HB", data, 10)
    ceiling, floor = struct.unpack_from("<HH", data, 13)
    operator_alt = struct.unpack_from("<H", data, 18)[0]
    stamp = struct.unpack_from("<I", data, 20)[0]
    return System(
        version=version,
        operator_location_type=data[1] & 0x3,
        operator_lat_deg=lat,
        operator_lon_deg=lon,
        area_count=count,
        area_radius_m=radius * 10.0,
        area_ceiling_m=_altitude(ceiling),
        area_floor_m=_altitude(floor),
        category=data[17] >> 4,
        class_value=data[17] & 0xF,
        operator_alt_m=_altitude(operator_alt),
        time_s=None if stamp == 0 else SYSTEM_EPOCH_S + stamp,
    )


def aircraft_time_s(location: Location, received_s: float) -> float:
    """When a Location was true: its tenths past the hour, in the hour nearest ``received_s``
    (a message is seconds old, never half an hour); its arrival when it has no timestamp."""
    if location.tenths_past_hour is None:
        return received_s
    past_hour_s = location.tenths_past_hour / 10.0
    hour_s = received_s - received_s % 3600.0
    candidates = (hour_s - 3600.0 + past_hour_s, hour_s + past_hour_s, hour_s + 3600 + past_hour_s)
    return min(candidates, key=lambda t: abs(t - received_s))


# ---------------------------------------------------------------- encode


def encode_basic_id(
    uas_id: str,
    *,
    id_type: IdType = IdType.SERIAL_NUMBER,
    ua_type: UaType = UaType.HELICOPTER_OR_MULTIROTOR,
    version: int = MAX_VERSION,
) -> bytes:
    raw = uas_id.encode("ascii")
    if len(raw) > 20:
        raise ValueError(f"a UAS ID has at most 20 characters, got {len(raw)}")
    return bytes([MessageType.BASIC_ID << 4 | version, id_type << 4 | ua_type]) + raw.ljust(
        23, b"\0"
    )


def _enum_of(table: MappingProxyType[int, float], bound: float | None) -> int:
    """The tightest enum whose bound still covers ``bound`` (0: unknown)."""
    if bound is None:
        return 0
    fitting = [k for k, v in table.items() if v >= bound]
    return max(fitting) if fitting else 0


def _encode_altitude(alt_m: float | None) -> int:
    if alt_m is None:
        return 0
    return max(1, min(0xFFFF, round((alt_m + 1000.0) * 2)))


def encode_location(
    *,
    lat_deg: float,
    lon_deg: float,
    geodetic_alt_m: float | None,
    time_s: float | None,
    horizontal_accuracy_m: float | None = None,
    vertical_accuracy_m: float | None = None,
    direction_deg: float | None = None,
    speed_mps: float | None = None,
    vertical_speed_mps: float | None = None,
    pressure_alt_m: float | None = None,
    height_m: float | None = None,
    status: Status = Status.AIRBORNE,
    version: int = MAX_VERSION,
) -> bytes:
    """A Location message; ``time_s`` (UTC s) becomes tenths of a second past its hour."""
    direction = 361 if direction_deg is None else round(direction_deg) % 360
    east_west = direction >= 180
    multiplier = speed_mps is None or speed_mps > 63.75
    if speed_mps is None:
        raw_speed = 255
    elif multiplier:
        raw_speed = min(254, round((speed_mps - 63.75) / 0.75))
    else:
        raw_speed = round(speed_mps / 0.25)
    flags = status << 4 | 0x02 * east_west | 0x01 * multiplier  # height above take-off
    raw_vspeed = (
        126 if vertical_speed_mps is None else max(-124, min(124, round(vertical_speed_mps * 2)))
    )
    tenths = 0xFFFF if time_s is None else round(time_s * 10) % 36000
    return struct.pack(
        "<BBBBbiiHHHBBHBB",
        MessageType.LOCATION << 4 | version,
        flags,
        direction - 180 if east_west else direction,
        raw_speed,
        raw_vspeed,
        round(lat_deg * 1e7),
        round(lon_deg * 1e7),
        _encode_altitude(pressure_alt_m),
        _encode_altitude(geodetic_alt_m),
        _encode_altitude(height_m),
        _enum_of(VERTICAL_ACCURACY_M, vertical_accuracy_m) << 4
        | _enum_of(HORIZONTAL_ACCURACY_M, horizontal_accuracy_m),
        0,
        tenths,
        0,
        0,
    )


def encode_pack(messages: list[bytes], *, version: int = MAX_VERSION) -> bytes:
    if not 1 <= len(messages) <= MAX_PACK_MESSAGES or any(
        len(m) != MESSAGE_OCTETS for m in messages
    ):
        raise ValueError(f"a message pack holds 1 to {MAX_PACK_MESSAGES} messages of 25 octets")
    return bytes([MessageType.PACK << 4 | version, MESSAGE_OCTETS, len(messages)]) + b"".join(
        messages
    )
