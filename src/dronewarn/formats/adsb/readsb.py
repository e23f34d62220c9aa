"""readsb/dump1090 ``aircraft.json`` (cooperative traffic, ADS-B and MLAT).

``aircraft.json``: readsb's README-json.md (wiedehopf/readsb; dump1090-fa writes the same
keys). ``now`` is POSIX seconds; per aircraft ``hex`` (6 hex digits, ``~`` prefix for a
non-ICAO address), ``type`` (``adsb_icao``, ``mlat``, ``tisb_icao``...), ``flight``, ``lat``,
``lon``, ``alt_baro`` (ft, or ``"ground"``), ``alt_geom`` (ft above the WGS84 ellipsoid),
``gs`` (kt), ``track`` (deg), ``seen_pos`` (s before ``now``), ``category`` (A0-D7, DO-260B
2.2.3.2.5.2), ``nic`` and ``rc`` (m, DO-260B 2.2.3.2.7.2.6), ``nac_p`` (DO-260B
2.2.5.1.35), ``version``, ``mlat``/``tisb`` (lists of fields derived from MLAT/TIS-B).
Every other key is ignored; a key present with the wrong type is an error for that aircraft.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from pydantic import ConfigDict, Field, OnErrorOmit, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from dronewarn.domain.errors import DecodeError, FieldValueError, TruncatedError
from dronewarn.domain.report import Report
from dronewarn.formats.adsb.position import (
    MAX_ERROR_BYTES,
    AdsbConfig,
    AdsbPosition,
    AltitudeKind,
    to_report,
)
from dronewarn.formats.json_path import field_path

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
