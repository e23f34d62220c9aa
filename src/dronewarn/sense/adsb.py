"""ADS-B as cooperative traffic: readsb/dump1090 ``aircraft.json``, SBS (BaseStation) lines, raw
Mode S / ADS-B messages (pyModeS 3).

Specs and sources:

* ``aircraft.json``: readsb's README-json.md (wiedehopf/readsb; dump1090-fa writes the same
  keys). ``now`` is POSIX seconds; per aircraft ``hex`` (6 hex digits, ``~`` prefix for a
  non-ICAO address), ``type`` (``adsb_icao``, ``mlat``, ``tisb_icao``...), ``flight``, ``lat``,
  ``lon``, ``alt_baro`` (ft, or ``"ground"``), ``alt_geom`` (ft above the WGS84 ellipsoid),
  ``gs`` (kt), ``track`` (deg), ``seen_pos`` (s before ``now``), ``category`` (A0-D7, DO-260B
  2.2.3.2.5.2), ``nic`` and ``rc`` (m, DO-260B 2.2.3.2.7.2.6), ``nac_p`` (DO-260B
  2.2.5.1.35), ``version``, ``mlat``/``tisb`` (lists of fields derived from MLAT/TIS-B).
  Every other key is ignored; a key present with the wrong type is an error for that aircraft.
* SBS-1 BaseStation port 30003 text: one CSV line per message, 22 fields: message type
  (``MSG``), transmission type 1-8, session id, aircraft id, hex ident, flight id, date and
  time generated, date and time logged, callsign, altitude (ft), ground speed (kt), track
  (deg), latitude, longitude, vertical rate (ft/min), squawk, alert, emergency, SPI, is on
  ground (flags ``-1``/``1`` true, ``0`` false, empty unknown). MSG,3 (airborne position) and
  MSG,2 (surface position) carry a position. Extra trailing fields are ignored.
  Times in the line are a calendar date and clock time WITHOUT a zone: dump1090 and
  dump1090-fa write the receiver's local time, readsb (since 2021) writes UTC. dronewarn
  assumes UTC unless ``AdsbConfig.sbs_clock_zone`` names the receiver's zone (a
  ``zoneinfo.ZoneInfo``); in a DST fall-back hour the first occurrence is taken (fold 0).
* Raw messages: ICAO Annex 10 Vol IV / RTCA DO-260B, decoded by ``pyModeS.PipeDecoder``
  (pyModeS 3): airborne positions from even/odd CPR pairs, then locally from the last
  position; surface positions need ``AdsbConfig.surface_ref`` (the receiver's location).
  pyModeS holds a position back until three CPR candidates agree; the streaming decoder
  reports positions as they are returned (the held ones are filled into earlier results
  later, which a stream cannot use). On pyModeS's sample of 2,000 messages of one aircraft
  this yields 929 positions (a batch ``pyModeS.decode`` of the list: 937 with the 8 held).

Accuracy (``PositionMeasurement.sigma_h_m``): a 95 % horizontal bound R95 becomes the 1-sigma
of a circular Gaussian, sigma = R95 / 2.4477 (sqrt(-2 ln 0.05)). The bound is, in order:
NACp's EPU (DO-260B 2.2.5.1.35: NACp 11 -> 3 m ... 1 -> 10 NM; from ``nac_p`` or, for raw
messages, the operational status message BDS 6,5), the containment radius ``rc`` of NIC
(aircraft.json; an integrity bound, larger than the accuracy: conservative), the type code's
NUCp (DO-260 version 0: NUCp 9 -> 3 m ... 1 -> 10 NM; raw messages); else
``default_sigma_h_m`` (200 m; ``mlat_sigma_h_m`` 300 m for MLAT positions).

Heights: ``GeoPoint.alt_m`` is above the WGS84 ellipsoid. GNSS heights (``alt_geom``, type
codes 20-22) are used as they are (``gnss_sigma_v_m`` 15 m); a barometric (pressure) altitude
is used as an approximation with ``baro_sigma_v_m`` (150 m: pressure vs geometric height
differs by the weather and the geoid). On the ground: no height.

Every position becomes a ``Report`` with a ``PositionMeasurement``, ``source``
``icao:<ICAO>`` (upper case, ``~`` kept) and the class hint ``CREWED`` (``crewed_confidence``)
unless the emitter category is B6 (UAV), which gets no hint: dronewarn has no generic drone
class and the emitter says it is not crewed.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

import pyModeS
from pydantic import ConfigDict, Field, OnErrorOmit, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from dronewarn.domain.errors import DecodeError, FieldValueError, TruncatedError, UnsupportedError
from dronewarn.domain.report import ClassHint, GeoPoint, ObjectClass, PositionMeasurement, Report
from dronewarn.sense.adsb_accuracy import NACP_EPU_M, NUCP_RC_M
from dronewarn.sense.json_path import field_path

FT_M = 0.3048
R95_PER_SIGMA = 2.4477
"""R95 / sigma of a circular 2-D Gaussian: sqrt(-2 ln 0.05)."""
NM_M = 1852.0
MAX_ERROR_BYTES = 512
UAV_CATEGORY = "B6"

_CATEGORY_SET = {4: "A", 3: "B", 2: "C", 1: "D"}
"""Identification type code -> emitter category set (DO-260B 2.2.3.2.5.2)."""


class AltitudeKind(StrEnum):
    BARO = "baro"
    GNSS = "gnss"
    GROUND = "ground"


class CrcError(FieldValueError):
    """A Mode S message whose parity does not check: noise, not data."""

    kind = "bad_crc"


@dataclass(frozen=True, slots=True)
class AdsbConfig:
    """One ADS-B receiver as a node knows it."""

    sensor_id: str
    default_sigma_h_m: float = 200.0
    mlat_sigma_h_m: float = 300.0
    baro_sigma_v_m: float = 150.0
    gnss_sigma_v_m: float = 15.0
    crewed_confidence: float = 0.99
    max_position_age_s: float = 15.0
    """aircraft.json: positions older than this (``seen_pos``) are not reported."""
    sbs_clock_zone: tzinfo = UTC
    """The zone of the receiver's clock in SBS lines (see the module docstring)."""
    surface_ref: tuple[float, float] | None = None
    """(lat, lon) of the receiver: lets pyModeS decode surface positions."""
    max_aircraft: int = 10_000
    """How many aircraft a stateful decoder remembers (least recently seen forgotten)."""
    max_json_bytes: int = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class AdsbPosition:
    """One position of one aircraft, whatever the input format, before it becomes a Report."""

    icao: str
    time_s: float
    lat_deg: float
    lon_deg: float
    altitude_ft: float | None
    altitude_kind: AltitudeKind | None
    category: str | None = None
    nac_p: int | None = None
    nuc_p: int | None = None
    rc_m: float | None = None
    mlat: bool = False


def sigma_h_m(position: AdsbPosition, config: AdsbConfig) -> float:
    """1-sigma horizontal error: from NACp, else NIC's Rc, else NUCp, else the default."""
    if position.mlat:
        return config.mlat_sigma_h_m
    for bound in (
        NACP_EPU_M.get(position.nac_p) if position.nac_p is not None else None,
        position.rc_m if position.rc_m else None,
        NUCP_RC_M.get(position.nuc_p) if position.nuc_p is not None else None,
    ):
        if bound is not None:
            return bound / R95_PER_SIGMA
    return config.default_sigma_h_m


def to_report(position: AdsbPosition, config: AdsbConfig) -> Report:
    """The domain Report of a position (PositionMeasurement, CREWED unless category B6)."""
    if position.altitude_ft is None or position.altitude_kind in (None, AltitudeKind.GROUND):
        alt_m, sigma_v = None, None
    else:
        alt_m = position.altitude_ft * FT_M
        gnss = position.altitude_kind is AltitudeKind.GNSS
        sigma_v = config.gnss_sigma_v_m if gnss else config.baro_sigma_v_m
    hint = (
        None
        if position.category == UAV_CATEGORY
        else ClassHint(ObjectClass.CREWED, config.crewed_confidence)
    )
    return Report(
        sensor_id=config.sensor_id,
        time_s=position.time_s,
        measurement=PositionMeasurement(
            GeoPoint(position.lat_deg, position.lon_deg, alt_m),
            sigma_h_m=sigma_h_m(position, config),
            sigma_v_m=sigma_v,
        ),
        class_hint=hint,
        source=f"icao:{position.icao.upper()}",
    )


# ---------------------------------------------------------------- aircraft.json


@dataclass(frozen=True, slots=True)
class JsonAircraft:
    """One entry of ``aircraft[]`` (the keys dronewarn reads; others are ignored)."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(
        strict=True, extra="ignore", allow_inf_nan=False
    )

    hex: Annotated[str, Field(pattern=r"^~?[0-9a-fA-F]{6}$")]
    type: str | None = None
    flight: str | None = None
    lat: Annotated[float | None, Field(ge=-90.0, le=90.0)] = None
    lon: Annotated[float | None, Field(ge=-180.0, le=180.0)] = None
    alt_baro_ft: Annotated[
        Annotated[float, Field(ge=-2000.0, le=100_000.0)] | Literal["ground"] | None,
        Field(alias="alt_baro"),
    ] = None
    alt_geom_ft: Annotated[float | None, Field(alias="alt_geom", ge=-2000.0, le=100_000.0)] = None
    gs_kt: Annotated[float | None, Field(alias="gs", ge=0.0)] = None
    track_deg: Annotated[float | None, Field(alias="track", ge=0.0, le=360.0)] = None
    seen_pos_s: Annotated[float | None, Field(alias="seen_pos", ge=0.0)] = None
    category: Annotated[str | None, Field(pattern=r"^[A-D][0-7]$")] = None
    nic: Annotated[int | None, Field(ge=0, le=11)] = None
    rc_m: Annotated[float | None, Field(alias="rc", ge=0.0)] = None
    nac_p: Annotated[int | None, Field(ge=0, le=11)] = None
    version: int | None = None
    mlat: tuple[str, ...] = ()
    tisb: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AircraftJson:
    """A decoded ``aircraft.json``: the aircraft that decoded and one error per other."""

    now_s: float
    aircraft: tuple[JsonAircraft, ...]
    errors: tuple[DecodeError, ...] = ()


@dataclass(frozen=True, slots=True)
class _Document:
    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(
        strict=True, extra="ignore", allow_inf_nan=False
    )

    now_s: Annotated[float, Field(alias="now", ge=0.0)]
    aircraft: tuple[JsonAircraft, ...]


@dataclass(frozen=True, slots=True)
class _LenientDocument:
    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(
        strict=True, extra="ignore", allow_inf_nan=False
    )

    now_s: Annotated[float, Field(alias="now", ge=0.0)]
    aircraft: list[OnErrorOmit[JsonAircraft]]


# Validators are immutable once built; building them per call would cost milliseconds.
_DOCUMENT = TypeAdapter(_Document)
_LENIENT_DOCUMENT = TypeAdapter(_LenientDocument)


def decode_aircraft_json(data: bytes, *, max_bytes: int = 16 * 1024 * 1024) -> AircraftJson:
    """Decode an ``aircraft.json`` document.

    Raises a DecodeError when the document as a whole is unusable (too large, not JSON,
    ``now`` or ``aircraft`` missing or mistyped); a bad aircraft entry becomes one entry of
    ``errors`` (field ``aircraft[i].key``) and the others still decode.
    """
    head = data[:MAX_ERROR_BYTES]
    if len(data) > max_bytes:
        raise FieldValueError(f"{len(data)} bytes exceed {max_bytes}", data=head, field="$")
    try:
        document = _DOCUMENT.validate_json(data)
    except ValidationError as error:
        return _partial(data, error.errors(include_url=False), head)
    return AircraftJson(document.now_s, document.aircraft)


def _partial(data: bytes, details: list[ErrorDetails], head: bytes) -> AircraftJson:
    first = details[0]
    if first["type"] == "json_invalid":
        text = str(first.get("ctx", {}).get("error", first["msg"]))
        cls = TruncatedError if text.startswith("EOF") else FieldValueError
        raise cls(f"not JSON: {text}", data=head, field="$")
    bad_entries: dict[int, ErrorDetails] = {}
    for detail in details:
        loc = detail["loc"]
        if len(loc) >= 2 and loc[0] == "aircraft" and isinstance(loc[1], int):
            bad_entries.setdefault(loc[1], detail)
        else:
            field = field_path(loc)
            raise FieldValueError(f"{field}: {detail['msg']}", data=head, field=field)
    lenient = _LENIENT_DOCUMENT.validate_json(data)
    errors: list[DecodeError] = []
    for index in sorted(bad_entries):
        field = field_path(bad_entries[index]["loc"])
        message = f"{field}: {bad_entries[index]['msg']}"
        errors.append(FieldValueError(message, data=head, field=field))
    return AircraftJson(lenient.now_s, tuple(lenient.aircraft), tuple(errors))


def aircraft_positions(document: AircraftJson, config: AdsbConfig) -> list[AdsbPosition]:
    """The positions of a document: aircraft with ``lat``/``lon`` and ``seen_pos`` at most
    ``max_position_age_s``; time = ``now - seen_pos``."""
    out: list[AdsbPosition] = []
    for a in document.aircraft:
        if a.lat is None or a.lon is None:
            continue
        age = a.seen_pos_s if a.seen_pos_s is not None else 0.0
        if age > config.max_position_age_s:
            continue
        altitude: float | None
        if a.alt_baro_ft == "ground":
            altitude, kind = None, AltitudeKind.GROUND
        elif a.alt_geom_ft is not None:
            altitude, kind = a.alt_geom_ft, AltitudeKind.GNSS
        elif a.alt_baro_ft is not None:
            altitude, kind = a.alt_baro_ft, AltitudeKind.BARO
        else:
            altitude, kind = None, None
        out.append(
            AdsbPosition(
                icao=a.hex,
                time_s=document.now_s - age,
                lat_deg=a.lat,
                lon_deg=a.lon,
                altitude_ft=altitude,
                altitude_kind=kind,
                category=a.category,
                nac_p=a.nac_p or None,
                rc_m=a.rc_m,
                mlat=a.type == "mlat" or "lat" in a.mlat,
            )
        )
    return out


class AircraftJsonFeed:
    """Reports from successive polls of ``aircraft.json``, each position once.

    readsb keeps showing an aircraft's last position until a new one arrives; a position is
    new when its coordinates differ from the last one reported for that address. Memory is
    bounded by ``max_aircraft`` (least recently updated forgotten).
    """

    def __init__(self, config: AdsbConfig) -> None:
        self._config = config
        self._last: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def update(self, data: bytes) -> tuple[list[Report], tuple[DecodeError, ...]]:
        """Reports of the new positions in one poll, and the entries that did not decode."""
        document = decode_aircraft_json(data, max_bytes=self._config.max_json_bytes)
        reports: list[Report] = []
        for position in aircraft_positions(document, self._config):
            where = (position.lat_deg, position.lon_deg)
            if self._last.get(position.icao) == where:
                continue
            self._last[position.icao] = where
            self._last.move_to_end(position.icao)
            reports.append(to_report(position, self._config))
        while len(self._last) > self._config.max_aircraft:
            self._last.popitem(last=False)
        return reports, document.errors


# ---------------------------------------------------------------- SBS (BaseStation) lines

SBS_FIELDS = (
    "message_type",
    "transmission_type",
    "session_id",
    "aircraft_id",
    "hex_ident",
    "flight_id",
    "date_generated",
    "time_generated",
    "date_logged",
    "time_logged",
    "callsign",
    "altitude",
    "ground_speed",
    "track",
    "lat",
    "lon",
    "vertical_rate",
    "squawk",
    "alert",
    "emergency",
    "spi",
    "is_on_ground",
)


@dataclass(frozen=True, slots=True)
class SbsMessage:
    """One MSG line, field for field (empty fields are None)."""

    transmission_type: int
    hex_ident: str
    time_s: float
    """Date and time generated, read in the configured clock zone."""
    logged_time_s: float | None
    callsign: str | None
    altitude_ft: float | None
    ground_speed_kt: float | None
    track_deg: float | None
    lat_deg: float | None
    lon_deg: float | None
    vertical_rate_fpm: float | None
    squawk: str | None
    alert: bool | None
    emergency: bool | None
    spi: bool | None
    on_ground: bool | None


def decode_sbs_line(line: bytes | str, *, clock_zone: tzinfo = UTC) -> SbsMessage:
    """Decode one BaseStation line (with or without its line ending).

    TruncatedError: fewer than 22 fields (named: the first missing); UnsupportedError: not a
    ``MSG`` line, or a transmission type outside 1-8; FieldValueError: any field that does
    not parse or is out of range (named by ``SBS_FIELDS``).
    """
    raw = line if isinstance(line, bytes) else line.encode("utf-8", "replace")
    data = raw[:MAX_ERROR_BYTES]
    try:
        text = raw.decode("ascii").rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise FieldValueError(
            "SBS lines are ASCII", data=data, offset=error.start, field="line"
        ) from None
    parts = text.split(",")
    if parts[0] != "MSG":
        raise UnsupportedError(
            f"message type {parts[0][:10]!r} (only MSG lines carry data)",
            data=data,
            offset=0,
            field="message_type",
        )
    if len(parts) < len(SBS_FIELDS):
        missing = SBS_FIELDS[len(parts)]
        raise TruncatedError(
            f"{len(parts)} of {len(SBS_FIELDS)} fields: {missing} missing",
            data=data,
            offset=len(text),
            field=missing,
        )
    fields = dict(zip(SBS_FIELDS, parts, strict=False))
    offsets = _offsets(parts)
    reader = _SbsReader(fields, offsets, data)
    transmission = reader.integer("transmission_type")
    if transmission is None or not 1 <= transmission <= 8:
        raise UnsupportedError(
            f"transmission type {fields['transmission_type'][:10]!r} is not 1-8",
            data=data,
            offset=offsets["transmission_type"],
            field="transmission_type",
        )
    hex_ident = fields["hex_ident"]
    address = hex_ident.removeprefix("~")
    if not (len(address) == 6 and _is_hex(address)):
        raise reader.error("hex_ident", "is not a 24-bit address in 6 hex digits")
    generated = reader.time("date_generated", "time_generated", clock_zone)
    if generated is None:
        raise reader.error("date_generated", "is empty (no time for the message)")
    lat = reader.number("lat", -90.0, 90.0)
    lon = reader.number("lon", -180.0, 180.0)
    if (lat is None) != (lon is None):
        raise reader.error("lon" if lon is None else "lat", "given without its pair")
    squawk = fields["squawk"] or None
    if squawk is not None and not (len(squawk) == 4 and set(squawk) <= set("01234567")):
        raise reader.error("squawk", "is not 4 octal digits")
    return SbsMessage(
        transmission_type=transmission,
        hex_ident=hex_ident,
        time_s=generated,
        logged_time_s=reader.time("date_logged", "time_logged", clock_zone),
        callsign=fields["callsign"].strip() or None,
        altitude_ft=reader.number("altitude", -2000.0, 100_000.0),
        ground_speed_kt=reader.number("ground_speed", 0.0, 5000.0),
        track_deg=reader.number("track", 0.0, 360.0),
        lat_deg=lat,
        lon_deg=lon,
        vertical_rate_fpm=reader.number("vertical_rate", -100_000.0, 100_000.0),
        squawk=squawk,
        alert=reader.flag("alert"),
        emergency=reader.flag("emergency"),
        spi=reader.flag("spi"),
        on_ground=reader.flag("is_on_ground"),
    )


def _offsets(parts: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    at = 0
    for name, part in zip(SBS_FIELDS, parts, strict=False):
        out[name] = at
        at += len(part) + 1
    return out


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


class _SbsReader:
    """Typed access to one line's fields, every failure a FieldValueError naming the field."""

    def __init__(self, fields: dict[str, str], offsets: dict[str, int], data: bytes) -> None:
        self._fields = fields
        self._offsets = offsets
        self._data = data

    def error(self, name: str, message: str) -> FieldValueError:
        value = self._fields.get(name, "")[:40]
        return FieldValueError(
            f"{name} {value!r} {message}", data=self._data, offset=self._offsets[name], field=name
        )

    def integer(self, name: str) -> int | None:
        text = self._fields[name].strip()
        if not text:
            return None
        if not text.lstrip("-").isdigit() or len(text) > 12:
            raise self.error(name, "is not an integer")
        return int(text)

    def number(self, name: str, low: float, high: float) -> float | None:
        text = self._fields[name].strip()
        if not text:
            return None
        if len(text) > 32:
            raise self.error(name, "is too long for a number")
        try:
            value = float(text)
        except ValueError:
            raise self.error(name, "is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise self.error(name, f"is outside [{low:g}, {high:g}]")
        return value

    def flag(self, name: str) -> bool | None:
        text = self._fields[name].strip()
        if not text:
            return None
        if text in ("-1", "1"):
            return True
        if text == "0":
            return False
        raise self.error(name, "is not a flag (-1, 1 or 0)")

    def time(self, date_name: str, time_name: str, zone: tzinfo) -> float | None:
        date_text, time_text = self._fields[date_name], self._fields[time_name]
        if not date_text and not time_text:
            return None
        date = date_text.split("/")
        if len(date) != 3 or not all(p.isdigit() and len(p) <= 4 for p in date):
            raise self.error(date_name, "is not YYYY/MM/DD")
        clock, _, fraction = time_text.partition(".")
        hms = clock.split(":")
        if len(hms) != 3 or not all(p.isdigit() and len(p) <= 2 for p in hms):
            raise self.error(time_name, "is not HH:MM:SS[.fff]")
        if fraction and not (fraction.isdigit() and len(fraction) <= 9):
            raise self.error(time_name, "has a bad fraction of a second")
        try:
            moment = datetime(
                int(date[0]),
                int(date[1]),
                int(date[2]),
                int(hms[0]),
                int(hms[1]),
                int(hms[2]),
                tzinfo=zone,
            )
        except ValueError as error:
            raise self.error(date_name, f"is no calendar time: {error}") from None
        seconds = int(fraction) / 10 ** len(fraction) if fraction else 0.0
        return moment.timestamp() + seconds


def sbs_position(message: SbsMessage) -> AdsbPosition | None:
    """The position of an MSG,3 (airborne) or MSG,2 (surface) line; None for other lines."""
    if message.transmission_type not in (2, 3):
        return None
    if message.lat_deg is None or message.lon_deg is None:
        return None
    surface = message.transmission_type == 2 or message.on_ground is True
    return AdsbPosition(
        icao=message.hex_ident,
        time_s=message.time_s,
        lat_deg=message.lat_deg,
        lon_deg=message.lon_deg,
        altitude_ft=None if surface else message.altitude_ft,
        altitude_kind=AltitudeKind.GROUND
        if surface
        else (AltitudeKind.BARO if message.altitude_ft is not None else None),
    )


# ---------------------------------------------------------------- raw Mode S / ADS-B


class ModeSDecoder:
    """Raw Mode S hex messages -> positions, through one ``pyModeS.PipeDecoder``.

    Stateful (CPR pairs, the last position, emitter categories and NACp per address): feed
    one receiver's messages in time order. Not thread-safe (neither is PipeDecoder).
    """

    def __init__(self, config: AdsbConfig) -> None:
        self._config = config
        self._pipe = pyModeS.PipeDecoder(surface_ref=config.surface_ref)
        self._known: OrderedDict[str, tuple[str | None, int | None]] = OrderedDict()
        self.messages = 0
        self.positions = 0

    def decode(self, message: str | bytes, time_s: float) -> AdsbPosition | None:
        """The position a message completes, or None; DecodeError for a bad message.

        Accepts bare hex (14 or 28 digits) or dump1090's AVR framing ``*hex;``.
        ``time_s`` is the receiver's POSIX UTC time of reception.
        """
        text = _hex_text(message)
        data = text.encode()[:MAX_ERROR_BYTES]
        if not math.isfinite(time_s):
            raise FieldValueError(f"time {time_s} is not finite", data=data, field="time_s")
        try:
            result = self._pipe.decode(text, timestamp=time_s)
        except (ValueError, KeyError, IndexError, TypeError, ArithmeticError) as error:
            raise FieldValueError(f"pyModeS: {error}", data=data, field="hex") from None
        self.messages += 1
        if "error" in result:
            short = "hex chars" in str(result["error"]) and len(text) < 28
            cls = TruncatedError if short else FieldValueError
            raise cls(str(result["error"])[:200], data=data, offset=0, field="hex")
        icao = str(result.get("icao", ""))
        if result.get("df") in (17, 18) and result.get("crc_valid") is False:
            raise CrcError("parity check failed", data=data, field="crc")
        category, nac_p = self._remember(icao, result)
        lat, lon = result.get("latitude"), result.get("longitude")
        if lat is None or lon is None:
            return None
        typecode = result.get("typecode")
        altitude = result.get("altitude")
        if isinstance(typecode, int) and 5 <= typecode <= 8:
            kind: AltitudeKind | None = AltitudeKind.GROUND
            altitude = None
        elif isinstance(typecode, int) and 20 <= typecode <= 22:
            kind = AltitudeKind.GNSS
        else:
            kind = AltitudeKind.BARO if altitude is not None else None
        self.positions += 1
        return AdsbPosition(
            icao=icao,
            time_s=time_s,
            lat_deg=float(lat),
            lon_deg=float(lon),
            altitude_ft=None if altitude is None else float(altitude),
            altitude_kind=kind,
            category=category,
            nac_p=nac_p,
            nuc_p=result.get("nuc_p"),
        )

    def _remember(self, icao: str, result: pyModeS.Decoded) -> tuple[str | None, int | None]:
        """Update and return (emitter category, NACp) known for an address."""
        category, nac_p = self._known.get(icao, (None, None))
        changed = False
        if result.get("bds") == "0,8" and result.get("crc_valid") is True:
            letter = _CATEGORY_SET.get(result.get("typecode", 0))
            if letter is not None:
                category, changed = f"{letter}{result.get('category', 0)}", True
        if result.get("bds") == "6,5" and result.get("crc_valid") is True:
            version, value = result.get("version"), result.get("nac_p")
            if isinstance(version, int) and version >= 1 and isinstance(value, int) and value:
                nac_p, changed = value, True
        if changed or icao in self._known:
            self._known[icao] = (category, nac_p)
            self._known.move_to_end(icao)
            while len(self._known) > self._config.max_aircraft:
                self._known.popitem(last=False)
        return category, nac_p


def _hex_text(message: str | bytes) -> str:
    text = message.decode("ascii", "replace") if isinstance(message, bytes) else message
    text = text.strip()
    if text.startswith("*") and text.endswith(";"):
        text = text[1:-1]
    return text
