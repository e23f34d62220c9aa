"""UTC time.

Hot paths carry time as ``time_s``: float seconds since 1970-01-01T00:00:00Z (POSIX time,
which is UTC by definition). Every boundary (files, CLI, JSON, the operator picture) converts
with the functions here, which only ever produce or accept timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dronewarn.domain.errors import NaiveTimeError

MAX_FUTURE_S = 5.0
"""Reports stamped more than this ahead of the node's clock are refused (by ``sense.ingest``
and by the decoders that check a time against the clock)."""


def to_time_s(moment: datetime) -> float:
    """POSIX seconds of an aware datetime; a naive datetime is refused, never guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveTimeError(f"naive datetime {moment.isoformat()} has no timezone; give UTC")
    return moment.timestamp()


def from_time_s(time_s: float) -> datetime:
    """Aware UTC datetime of POSIX seconds."""
    return datetime.fromtimestamp(time_s, tz=UTC)


def iso(time_s: float) -> str:
    """ISO 8601 with a ``Z`` suffix and millisecond precision."""
    return from_time_s(time_s).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> float:
    """POSIX seconds of an ISO 8601 string that carries an offset (``Z`` or ``+hh:mm``)."""
    moment = datetime.fromisoformat(text)
    return to_time_s(moment)
