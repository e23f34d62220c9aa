"""Citizen sightings (ePPO-style app reports): dronewarn's JSON schema version 1.

Spec: this module is the specification (the HTTP endpoint is ``sighting_http``). JSON is
RFC 8259; times are RFC 3339 (ISO 8601 profile) with an offset. A phone app lets a person
who sees or hears a drone report where they stand, where they point, and when; Ukraine's
ePPO app collects such reports by the thousand. They arrive late (people type), are noisy
(phone compasses, guessed distances) and sometimes false; each reporter is rate-limited.

One sighting is a JSON object; a request may carry one or a list of up to ``max_batch``::

    {"v":1,"reporter":"app-5f3c9a","lat":51.2345,"lon":23.4567,"alt_m":180,
     "bearing_deg":75.0,"elevation_deg":12.0,"time":"2025-09-10T01:02:03.456Z",
     "distance_m":1500,"kind":"shahed","sound":"moped","seen":true}

=================  ========  ==================================================================
key                required  value
=================  ========  ==================================================================
``v``              yes       schema version, the integer 1
``reporter``       yes       the reporting app installation, 1-64 of ``A-Z a-z 0-9 . _ : -``
``lat``, ``lon``   yes       where the reporter stands, degrees WGS84
``alt_m``          no        reporter's height above the WGS84 ellipsoid, metres, [-500, 9000]
``bearing_deg``    yes       compass bearing to the object, degrees from true north, [0, 360)
``elevation_deg``  yes       angle above the horizon, degrees, [-10, 90]
``time``           yes       when it was seen, RFC 3339 with ``Z`` or an offset (a naive time is
                             refused); at most ``max_future_s`` ahead of the node's clock and
                             ``max_age_s`` old
``distance_m``     no        the reporter's estimate of the distance, metres, (0, 20000]
``kind``           no        ``shahed`` ``gerbera`` ``jet`` ``rotor`` ``crewed`` ``unknown``
``sound``          no        ``moped`` (piston engine) ``jet`` ``buzz`` (rotors) ``none``
                             ``other``
``seen``           no        true: saw it; false: only heard it
=================  ========  ==================================================================

Types are strict (pydantic v2 strict mode: no ``"5"`` for 5, no ``1`` for true, no NaN);
unknown keys are refused; ``null`` for an optional key means absent.

Where the object is (``SightingMeasurement.estimate``):

* with ``distance_m`` = d, taken as the line-of-sight distance: the point at ground distance
  d cos(elevation) along the bearing (WGS84 geodesic), at height d sin(elevation) above the
  reporter; 1-sigma = hypot(``distance_sigma_fraction`` x d, d x bearing sigma in radians);
* without it: the object is assumed ``assumed_height_m`` (500 m) above the reporter, so the
  ground distance is that height / tan(elevation), clamped to [``min_distance_m``,
  ``max_distance_m``] (at most 5 km: farther, nobody sees or hears a Shahed-type drone);
  1-sigma = hypot(``height_sigma_fraction`` x distance, distance x bearing sigma in radians).

The bearing sigma is ``seen_bearing_sigma_deg`` (10 deg) for a sighting and
``heard_bearing_sigma_deg`` (30 deg) when ``seen`` is false; every sigma is at least
``min_sigma_m``. The estimate's height is known only when the reporter's ``alt_m`` is.

Class hint: ``kind`` gives ``ClassHint(class, kind_confidence)`` (0.3: people mistake
aircraft); without a kind, ``sound`` gives a weaker one (``moped`` -> shahed, ``jet`` ->
jet_drone, ``buzz`` -> multirotor, at ``sound_confidence`` 0.15); nothing else gives none.

Rate limit: ``ReporterRateLimiter``, a token bucket per reporter (``per_minute`` tokens a
minute, ``burst`` at most) on an injected clock. Memory is bounded: a reporter idle long
enough for its bucket to refill completely is forgotten (it would start full anyway); beyond
``max_reporters`` the least recently seen are forgotten early (counted).
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, ConfigDict, Field, OnErrorOmit, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails, from_json

from dronewarn.domain.errors import DecodeError, FieldValueError, TruncatedError, UnsupportedError
from dronewarn.domain.report import ClassHint, GeoPoint, ObjectClass, Report, SightingMeasurement
from dronewarn.domain.time import MAX_FUTURE_S, to_time_s
from dronewarn.formats.json_path import field_path
from dronewarn.geo.geodesic import destination

SCHEMA_VERSION = 1
MAX_ERROR_BYTES = 512
_REPORTER_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"


class SightingKind(StrEnum):
    """What the reporter says they saw."""

    SHAHED = "shahed"
    GERBERA = "gerbera"
    JET = "jet"
    ROTOR = "rotor"
    CREWED = "crewed"
    UNKNOWN = "unknown"


class SightingSound(StrEnum):
    """What the reporter heard."""

    MOPED = "moped"
    """A piston engine (the Shahed/Gerbera "moped" sound)."""
    JET = "jet"
    BUZZ = "buzz"
    """Rotors (a multirotor)."""
    NONE = "none"
    OTHER = "other"


KIND_CLASS: MappingProxyType[SightingKind, ObjectClass | None] = MappingProxyType(
    {
        SightingKind.SHAHED: ObjectClass.SHAHED,
        SightingKind.GERBERA: ObjectClass.GERBERA,
        SightingKind.JET: ObjectClass.JET_DRONE,
        SightingKind.ROTOR: ObjectClass.MULTIROTOR,
        SightingKind.CREWED: ObjectClass.CREWED,
        SightingKind.UNKNOWN: None,
    }
)
SOUND_CLASS: MappingProxyType[SightingSound, ObjectClass | None] = MappingProxyType(
    {
        SightingSound.MOPED: ObjectClass.SHAHED,
        SightingSound.JET: ObjectClass.JET_DRONE,
        SightingSound.BUZZ: ObjectClass.MULTIROTOR,
        SightingSound.NONE: None,
        SightingSound.OTHER: None,
    }
)


class SightingTimeError(FieldValueError):
    """A sighting time in the future beyond the tolerance, or older than the maximum age."""

    kind = "bad_time"


class InvalidSightingsError(FieldValueError):
    """A request body with one or more bad sightings; ``errors`` holds every one of them.

    Its own ``field`` and ``kind`` are those of the first error.
    """

    def __init__(self, errors: list[DecodeError], *, data: bytes) -> None:
        self.errors = tuple(errors)
        first = errors[0]
        self.kind = first.kind
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first}{more}", data=data, offset=first.offset, field=first.field)


@dataclass(frozen=True, slots=True)
class SightingConfig:
    """Validation limits and the assumptions that turn a sighting into a position estimate."""

    sensor_id: str
    max_future_s: float = MAX_FUTURE_S
    """Phones' clocks run a little ahead; more is refused (as ``Sense`` would refuse it)."""
    max_age_s: float = 900.0
    """Older sightings are no use for early warning."""
    max_batch: int = 50
    assumed_height_m: float = 500.0
    height_sigma_fraction: float = 0.7
    min_distance_m: float = 100.0
    max_distance_m: float = 5000.0
    distance_sigma_fraction: float = 0.5
    seen_bearing_sigma_deg: float = 10.0
    heard_bearing_sigma_deg: float = 30.0
    min_sigma_m: float = 300.0
    kind_confidence: float = 0.3
    sound_confidence: float = 0.15


@dataclass(frozen=True, slots=True)
class Sighting:
    """One sighting, field for field as on the wire; the annotations are the schema."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(
        strict=True, extra="forbid", allow_inf_nan=False
    )

    version: Annotated[int, Field(alias="v")]
    reporter_id: Annotated[str, Field(alias="reporter", pattern=_REPORTER_PATTERN)]
    lat_deg: Annotated[float, Field(alias="lat", ge=-90.0, le=90.0)]
    lon_deg: Annotated[float, Field(alias="lon", ge=-180.0, le=180.0)]
    bearing_deg: Annotated[float, Field(alias="bearing_deg", ge=0.0, lt=360.0)]
    elevation_deg: Annotated[float, Field(alias="elevation_deg", ge=-10.0, le=90.0)]
    time: Annotated[AwareDatetime, Field(alias="time")]
    alt_m: Annotated[float | None, Field(alias="alt_m", ge=-500.0, le=9000.0)] = None
    distance_m: Annotated[float | None, Field(alias="distance_m", gt=0.0, le=20_000.0)] = None
    kind: Annotated[SightingKind | None, Field(alias="kind")] = None
    sound: Annotated[SightingSound | None, Field(alias="sound")] = None
    seen: Annotated[bool | None, Field(alias="seen")] = None


# Validators are immutable once built; building them per request would cost milliseconds.
_ONE = TypeAdapter(Sighting)
_MANY = TypeAdapter(list[Sighting])
_MANY_GOOD = TypeAdapter(list[OnErrorOmit[Sighting]])


def _order(field: str) -> int:
    """A field path's element index (``[3].lat`` -> 3), to list errors element by element.

    A field that only looks like one (an unknown key ``"[v"``, found by fuzzing) sorts first.
    """
    index, closed, _ = field.removeprefix("[").partition("]")
    return int(index) if field.startswith("[") and closed and index.isdigit() else 0


def decode_sightings(body: bytes, config: SightingConfig, now_s: float) -> list[Sighting]:
    """The sightings of a request body (one object or a list), all valid, or an error.

    Raises TruncatedError / FieldValueError for a body that is not JSON, FieldValueError
    for one that is neither an object nor a list of 1 to ``max_batch`` objects, and
    InvalidSightingsError listing every bad field of every sighting (``[2].time``...);
    sightings are accepted all together or not at all.
    """
    data = body[:MAX_ERROR_BYTES]
    try:
        raw = from_json(body, allow_inf_nan=True)
    except ValueError as error:
        text = str(error)
        cls = TruncatedError if text.startswith("EOF") else FieldValueError
        raise cls(f"not JSON: {text}", data=data, field="$") from None
    batch = isinstance(raw, list)
    if batch:
        if not 1 <= len(raw) <= config.max_batch:
            raise FieldValueError(
                f"a request carries 1 to {config.max_batch} sightings, not {len(raw)}",
                data=data,
                field="$",
            )
    elif not isinstance(raw, dict):
        raise FieldValueError("expected a sighting object or a list of them", data=data, field="$")
    try:
        sightings = _MANY.validate_json(body) if batch else [_ONE.validate_json(body)]
        details: list[ErrorDetails] = []
        indices = list(range(len(sightings)))
    except ValidationError as error:
        details = error.errors(include_url=False)
        # the well-typed elements of a bad list still get their version and time checked
        sightings = _MANY_GOOD.validate_json(body) if batch else []
        bad = {d["loc"][0] for d in details if d["loc"]}
        indices = [i for i in range(len(raw)) if i not in bad] if batch else []
    errors = _type_errors(details, raw, data)
    for i, sighting in zip(indices, sightings, strict=True):
        prefix = f"[{i}]." if batch else ""
        errors.extend(_check(sighting, config, now_s, prefix, data))
    errors.sort(key=lambda e: _order(e.field))
    if errors:
        raise InvalidSightingsError(errors, data=data)
    return sightings


def _type_errors(details: list[ErrorDetails], raw: object, data: bytes) -> list[DecodeError]:
    """pydantic's errors as DecodeErrors; an element of another version gets one error only."""
    errors: list[DecodeError] = []
    unsupported: set[int | None] = set()
    for detail in details:
        loc = detail["loc"]
        index = loc[0] if isinstance(raw, list) and loc and isinstance(loc[0], int) else None
        element = raw[index] if isinstance(raw, list) and index is not None else raw
        version = element.get("v") if isinstance(element, dict) else None
        if type(version) is int and version != SCHEMA_VERSION:
            if index not in unsupported:
                unsupported.add(index)
                field = "v" if index is None else f"[{index}].v"
                errors.append(
                    UnsupportedError(
                        f"{field}: schema version {version} (this server reads {SCHEMA_VERSION})",
                        data=data,
                        field=field,
                    )
                )
            continue
        field = field_path(loc)
        errors.append(FieldValueError(f"{field}: {detail['msg']}", data=data, field=field))
    return errors


def _check(
    sighting: Sighting, config: SightingConfig, now_s: float, prefix: str, data: bytes
) -> list[DecodeError]:
    """What types cannot say: the version, and the time against the node's clock."""
    errors: list[DecodeError] = []
    if sighting.version != SCHEMA_VERSION:
        errors.append(
            UnsupportedError(
                f"{prefix}v: schema version {sighting.version} (this server reads "
                f"{SCHEMA_VERSION})",
                data=data,
                field=prefix + "v",
            )
        )
    time_s = to_time_s(sighting.time)
    field = prefix + "time"
    if time_s > now_s + config.max_future_s:
        errors.append(
            SightingTimeError(
                f"{field}: {time_s - now_s:.0f} s in the future (tolerance "
                f"{config.max_future_s:.0f} s)",
                data=data,
                field=field,
            )
        )
    elif time_s < now_s - config.max_age_s:
        errors.append(
            SightingTimeError(
                f"{field}: {now_s - time_s:.0f} s old (at most {config.max_age_s:.0f} s)",
                data=data,
                field=field,
            )
        )
    return errors


def sighting_time_s(sighting: Sighting) -> float:
    """POSIX seconds of the sighting's (timezone-aware) time."""
    moment: datetime = sighting.time
    return to_time_s(moment)


def to_report(sighting: Sighting, config: SightingConfig, source: str = "") -> Report:
    """The domain Report of a sighting: SightingMeasurement with an estimated position.

    ``source`` defaults to ``sighting:<reporter>``.
    """
    bearing_sigma_deg = (
        config.heard_bearing_sigma_deg if sighting.seen is False else config.seen_bearing_sigma_deg
    )
    bearing_sigma = math.radians(bearing_sigma_deg)
    elevation = math.radians(sighting.elevation_deg)
    if sighting.distance_m is not None:
        ground_m = sighting.distance_m * math.cos(elevation)
        height_m = sighting.distance_m * math.sin(elevation)
        sigma_m = math.hypot(
            config.distance_sigma_fraction * sighting.distance_m,
            sighting.distance_m * bearing_sigma,
        )
    else:
        height_m = config.assumed_height_m
        slope = math.tan(elevation)  # at or below the horizon: as far as anyone sees
        far = slope <= height_m / config.max_distance_m
        ground_m = config.max_distance_m if far else max(height_m / slope, config.min_distance_m)
        sigma_m = math.hypot(config.height_sigma_fraction * ground_m, ground_m * bearing_sigma)
    lat, lon = destination(sighting.lat_deg, sighting.lon_deg, sighting.bearing_deg, ground_m)
    reporter = GeoPoint(sighting.lat_deg, sighting.lon_deg, sighting.alt_m)
    # a drone seen below the horizon (from a hill) is still above the ground: no estimate
    # goes below the ellipsoid (central Europe's terrain and geoid are both above it)
    estimate_alt = None if sighting.alt_m is None else max(sighting.alt_m + height_m, 0.0)
    return Report(
        sensor_id=config.sensor_id,
        time_s=sighting_time_s(sighting),
        measurement=SightingMeasurement(
            reporter=reporter,
            bearing_deg=sighting.bearing_deg,
            elevation_deg=sighting.elevation_deg,
            estimate=GeoPoint(float(lat), float(lon), estimate_alt),
            sigma_m=max(sigma_m, config.min_sigma_m),
        ),
        class_hint=_hint(sighting, config),
        source=source or f"sighting:{sighting.reporter_id}",
    )


def _hint(sighting: Sighting, config: SightingConfig) -> ClassHint | None:
    if sighting.kind is not None and (cls := KIND_CLASS[sighting.kind]) is not None:
        return ClassHint(cls, config.kind_confidence)
    if sighting.sound is not None and (cls := SOUND_CLASS[sighting.sound]) is not None:
        return ClassHint(cls, config.sound_confidence)
    return None


def sighting_dict(sighting: Sighting) -> dict[str, object]:
    """The wire object of a sighting (absent fields omitted)."""
    out: dict[str, object] = {
        "v": sighting.version,
        "reporter": sighting.reporter_id,
        "lat": sighting.lat_deg,
        "lon": sighting.lon_deg,
        "bearing_deg": sighting.bearing_deg,
        "elevation_deg": sighting.elevation_deg,
        "time": _rfc3339(sighting.time),
    }
    optional: dict[str, object] = {
        "alt_m": sighting.alt_m,
        "distance_m": sighting.distance_m,
        "kind": None if sighting.kind is None else sighting.kind.value,
        "sound": None if sighting.sound is None else sighting.sound.value,
        "seen": sighting.seen,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def _rfc3339(moment: datetime) -> str:
    """UTC with ``Z``, milliseconds unless the time has finer digits."""
    utc = moment.astimezone(UTC)
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.isoformat(timespec=spec).replace("+00:00", "Z")


def encode_sightings(sightings: Sequence[Sighting]) -> bytes:
    """A request body: one object for one sighting, else a list (for clients and tests)."""
    objects = [sighting_dict(s) for s in sightings]
    value: object = objects[0] if len(objects) == 1 else objects
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


# ---------------------------------------------------------------- rate limit


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket per reporter: ``burst`` sightings at once, ``per_minute`` sustained."""

    per_minute: float = 6.0
    burst: int = 5
    max_reporters: int = 100_000


class ReporterRateLimiter:
    """Token buckets per reporter with bounded memory, on an injected clock (seconds)."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float]) -> None:
        if limit.per_minute <= 0 or limit.burst < 1 or limit.max_reporters < 1:
            raise ValueError(f"unusable rate limit {limit}")
        self._limit = limit
        self._rate_per_s = limit.per_minute / 60.0
        self._refill_s = limit.burst / self._rate_per_s
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.evicted_early = 0
        """Reporters forgotten before their bucket was full (more than max_reporters active)."""

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)

    def admit(self, demands: Mapping[str, int]) -> float:
        """Take ``demands[reporter]`` tokens from each reporter's bucket, all or none.

        Returns 0.0 when admitted, else the seconds until every bucket would hold its demand
        (nothing is taken then). A demand above ``burst`` can never be met: ValueError.
        """
        for reporter, n in demands.items():
            if not 0 <= n <= self._limit.burst:
                raise ValueError(f"{n} sightings from {reporter!r} exceed the burst")
        with self._lock:
            now = self._clock()
            self._evict(now)
            levels = {reporter: self._level(reporter, now) for reporter in demands}
            wait = max(
                ((n - levels[r]) / self._rate_per_s for r, n in demands.items()),
                default=0.0,
            )
            if wait > 0.0:
                return wait
            for reporter, n in demands.items():
                self._buckets[reporter] = (levels[reporter] - n, now)
                self._buckets.move_to_end(reporter)
            while len(self._buckets) > self._limit.max_reporters:
                self._buckets.popitem(last=False)
                self.evicted_early += 1
            return 0.0

    def _level(self, reporter: str, now: float) -> float:
        found = self._buckets.get(reporter)
        if found is None:
            return float(self._limit.burst)
        tokens, updated = found
        return min(float(self._limit.burst), tokens + max(now - updated, 0.0) * self._rate_per_s)

    def _evict(self, now: float) -> None:
        """Forget reporters whose buckets have refilled (oldest first: O(1) amortised)."""
        while self._buckets:
            reporter, (_, updated) = next(iter(self._buckets.items()))
            if now - updated < self._refill_s:
                return
            del self._buckets[reporter]
