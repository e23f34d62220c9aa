"""A node's tracks and warnings as CoT events (``formats.cot.encode`` writes them).

Tracks (one event per track, uid ``dronewarn.<node>.<track_id>``, ``how="m-f"`` fused):

========================================  =================  ===============================
track                                     type               why
========================================  =================  ===============================
cooperative (ADS-B / Remote ID matched)   ``a-n-A-C``        neutral civil aircraft
                                          (``a-f-A-C`` when  (``cooperative_affiliation``)
                                          configured)
Shahed-type, Gerbera, jet drone           ``a-h-A-M-F-Q``    hostile fixed-wing UAV
multirotor                                ``a-u-A-M-H-Q``    rotary UAV, affiliation unknown
unknown class                             ``a-u-A-M-F-Q``    what dronewarn tracks: a drone
crewed, not cooperative                   ``a-u-A-C``        civil aircraft, not identified
bird / clutter                            ``a-u-A``          air object, nothing more
========================================  =================  ===============================

``time`` and ``start`` are the publishing time, ``stale`` ``track_stale_s`` later (a deleted
track is stale at once, which makes TAK clients drop its marker). ``point``: WGS84 lat/lon,
``hae`` the track's height above the ellipsoid. ``ce`` is a one-sigma *circular* error as
the schema defines it, taken conservatively as the one-sigma error along the worst axis:
the square root of the larger eigenvalue of the 2x2 east/north position covariance. ``le``
is the altitude sigma. Unknown ``hae``/``ce``/``le`` are 9999999, TAK's convention.
``<detail>``: ``<track course speed>`` (degrees true, metres per second, as CoT has them),
``<contact callsign>`` and ``<remarks>`` with class, confidence, status and sensors.

Warnings are a ``b-m-p-s-p-i`` event (a point of interest) at the predicted entry point,
uid ``dronewarn.<node>.warning.<warning_id>`` so that each update replaces the marker, with
a ``<link>`` to the track's uid. A point of interest rather than an ``a-h-A`` atom: an atom
at the entry point would draw and count as a second hostile aircraft. ``stale`` is the
latest predicted entry time; a closed warning (crossed, turned away, lost, ...) is stale at
once. Remarks carry the entry window, probability, priority and the class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

from dronewarn.domain.report import ObjectClass
from dronewarn.domain.time import iso
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.domain.warning import Warning
from dronewarn.formats.cot.encode import clean
from dronewarn.formats.cot.event import CotEvent

TRACK_HOW: Final = "m-f"
"""Machine-made, fused: a track combines reports from one or more sensors."""
WARNING_TYPE: Final = "b-m-p-s-p-i"
WARNING_HOW: Final = "m-p"
"""Machine-made, predicted: the entry point is a prediction of the future."""
_HOSTILE_CLASSES: Final = frozenset(
    {ObjectClass.SHAHED, ObjectClass.GERBERA, ObjectClass.JET_DRONE}
)


@dataclass(frozen=True, slots=True)
class CotOutConfig:
    """How a node writes CoT."""

    node_id: str
    track_stale_s: float = 30.0
    cooperative_affiliation: Literal["n", "f"] = "n"
    """``n`` neutral (default: a matched airliner is nobody's side) or ``f`` friendly."""


def _remarks(value: str) -> str:
    """Free text as every reader gets it back: XML parsers turn a carriage return into a line
    feed (XML 1.0 section 2.11), and takproto writes remarks it read back out raw, so line
    ends are line feeds from the start (hypothesis found a track id of a lone CR)."""
    return clean(value).replace("\r\n", "\n").replace("\r", "\n")


def track_uid(node_id: str, track_id: str) -> str:
    return clean(f"dronewarn.{node_id}.{track_id}")


def track_type(
    object_class: ObjectClass, cooperative: bool = False, cooperative_affiliation: str = "n"
) -> str:
    """The CoT type of a track (table in the module docstring)."""
    if cooperative:
        return f"a-{cooperative_affiliation}-A-C"
    if object_class in _HOSTILE_CLASSES:
        return "a-h-A-M-F-Q"
    if object_class is ObjectClass.MULTIROTOR:
        return "a-u-A-M-H-Q"
    if object_class is ObjectClass.CREWED:
        return "a-u-A-C"
    if object_class is ObjectClass.BIRD_CLUTTER:
        return "a-u-A"
    return "a-u-A-M-F-Q"


def circular_error_m(cov_enu: tuple[float, ...]) -> float | None:
    """One-sigma error along the worst horizontal axis: sqrt of the larger eigenvalue of the
    east/north block of the 4x4 (row-major) covariance; None if it is not a covariance."""
    if len(cov_enu) < 6:
        return None
    east, cross, north = cov_enu[0], 0.5 * (cov_enu[1] + cov_enu[4]), cov_enu[5]
    if not all(math.isfinite(value) for value in (east, cross, north)):
        return None
    half_sum = 0.5 * (east + north)
    largest = half_sum + math.hypot(0.5 * (east - north), cross)
    if largest < 0.0:
        return None
    return math.sqrt(largest)


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def track_event(state: TrackState, config: CotOutConfig, now_s: float) -> CotEvent | None:
    """A track as a CoT event published at ``now_s``; None if it has no usable position."""
    point = state.position
    if not (math.isfinite(point.lat_deg) and math.isfinite(point.lon_deg)):
        return None
    if not (-90.0 <= point.lat_deg <= 90.0 and -180.0 <= point.lon_deg <= 180.0):
        return None
    hae = _finite_or_none(point.alt_m)
    le = _finite_or_none(state.altitude_sigma_m) if hae is not None else None
    speed = _finite_or_none(state.speed_mps)
    course = state.course_deg if speed is not None and math.isfinite(state.course_deg) else None
    sensors = ", ".join(sorted(state.sensors)) or "none"
    kind = "cooperative traffic" if state.cooperative else str(state.object_class)
    remarks = (
        f"dronewarn {config.node_id} track {state.track_id}: class {kind} "
        f"(confidence {state.class_confidence:.2f}), {state.status}, "
        f"{state.updates} updates, sensors {sensors}, "
        f"state at {iso(state.time_s)}"
    )
    stale = now_s if state.status is TrackStatus.DELETED else now_s + config.track_stale_s
    return CotEvent(
        uid=track_uid(config.node_id, state.track_id),
        type=track_type(state.object_class, state.cooperative, config.cooperative_affiliation),
        how=TRACK_HOW,
        time_s=now_s,
        start_s=now_s,
        stale_s=stale,
        lat_deg=point.lat_deg,
        lon_deg=point.lon_deg,
        hae_m=hae,
        ce_m=circular_error_m(state.cov_enu),
        le_m=le,
        course_deg=course,
        speed_mps=speed,
        callsign=clean(f"{kind.upper()} {state.track_id}"),
        remarks=_remarks(remarks),
    )


def warning_uid(node_id: str, warning_id: str) -> str:
    return clean(f"dronewarn.{node_id}.warning.{warning_id}")


def warning_event(warning: Warning, config: CotOutConfig, now_s: float) -> CotEvent | None:
    """A warning as a point of interest at its predicted entry point, stale at the latest
    entry time (at once when the warning is closed); None if it has no usable point."""
    entry = warning.entry
    point = entry.point if entry is not None else warning.track_position
    if not (math.isfinite(point.lat_deg) and math.isfinite(point.lon_deg)):
        return None
    closed = entry is None or warning.state.is_closing
    stale = now_s if closed or entry is None else max(now_s, entry.latest_s)
    if entry is not None:
        window = (
            f"predicted to enter {warning.area or warning.recipient} at {iso(entry.time_s)} "
            f"(window {iso(entry.earliest_s)} to {iso(entry.latest_s)}, "
            f"probability {entry.probability:.2f})"
        )
        ce = _finite_or_none(entry.sigma_major_m)
    else:
        window = "no entry predicted"
        ce = None
    remarks = (
        f"dronewarn warning {warning.warning_id} #{warning.sequence} {warning.state}, "
        f"priority {warning.priority}: {warning.object_class} "
        f"(confidence {warning.class_confidence:.2f}) track {warning.track_id} {window}; "
        f"from {warning.sender} to {warning.recipient}"
    )
    return CotEvent(
        uid=warning_uid(config.node_id, warning.warning_id),
        type=WARNING_TYPE,
        how=WARNING_HOW,
        time_s=now_s,
        start_s=now_s,
        stale_s=stale,
        lat_deg=point.lat_deg,
        lon_deg=point.lon_deg,
        hae_m=_finite_or_none(point.alt_m),
        ce_m=ce,
        le_m=None,
        course_deg=None,
        speed_mps=None,
        callsign=clean(f"ENTRY {warning.area or warning.recipient} P{warning.priority}"),
        remarks=_remarks(remarks),
        link_uid=track_uid(config.node_id, warning.track_id),
        link_type=track_type(warning.object_class),
    )
