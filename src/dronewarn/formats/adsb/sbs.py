"""BaseStation SBS-1 text lines (port 30003).

SBS-1 BaseStation port 30003 text: one CSV line per message, 22 fields: message type
(``MSG``), transmission type 1-8, session id, aircraft id, hex ident, flight id, date and
time generated, date and time logged, callsign, altitude (ft), ground speed (kt), track
(deg), latitude, longitude, vertical rate (ft/min), squawk, alert, emergency, SPI, is on
ground (flags ``-1``/``1`` true, ``0`` false, empty unknown). MSG,3 (airborne position) and
MSG,2 (surface position) carry a position. Extra trailing fields are ignored.
Times in the line are a calendar date and clock time WITHOUT a zone: dump1090 and
dump1090-fa write the receiver's local time, readsb (since 2021) writes UTC. dronewarn
assumes UTC unless ``AdsbConfig.sbs_clock_zone`` names the receiver's zone (a
``zoneinfo.ZoneInfo``); in a DST fall-back hour the first occurrence is taken (fold 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from dronewarn.domain.errors import FieldValueError, TruncatedError, UnsupportedError
from dronewarn.formats.adsb.position import MAX_ERROR_BYTES, AdsbPosition, AltitudeKind

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
