"""CoT air events as domain Reports: position, sigmas and the class a CoT type names."""

from __future__ import annotations

from dataclasses import dataclass

from dronewarn.domain.report import ClassHint, GeoPoint, ObjectClass, PositionMeasurement, Report
from dronewarn.formats.cot.event import CotEvent


@dataclass(frozen=True, slots=True)
class CotReportConfig:
    """How CoT events become Reports.

    ``unknown_ce_sigma_m`` is the horizontal sigma given to an air event that states no
    ``ce`` (TAK's 9999999); ``min_sigma_m`` floors a stated ``ce``/``le`` (0 would make the
    tracker trust a point absolutely); ``type_confidence`` is the confidence of the class hint
    read from the CoT type (a sender's symbol, not a measured classification).
    """

    unknown_ce_sigma_m: float = 1000.0
    min_sigma_m: float = 1.0
    type_confidence: float = 0.5


def class_hint_of_type(cot_type: str, confidence: float) -> ClassHint | None:
    """The dronewarn class a CoT air type names, if any.

    MIL-STD-2525 air function codes as CoT writes them after ``a-<affiliation>-A``:

    * ``M-H-Q...`` (military rotary-wing, drone; ``C-H-Q`` the civil one) -> MULTIROTOR;
    * ``M-F-Q...`` (military fixed-wing, drone/RPV/UAV; ``C-F-Q`` civil) -> no hint: CoT
      has no code that tells a Gerbera decoy from a Shahed-type or a jet drone, so the class
      is left to the track's kinematics rather than guessed;
    * ``C...`` (civil aircraft) -> CREWED;
    * anything else -> no hint. Military fixed- and rotary-wing codes without ``Q`` are not
      read as crewed: real senders mark drones so (MITRE's Global Hawk sample is
      ``a-f-A-M-F-R-X``, photographic reconnaissance), and calling a drone crewed is the
      mistake that hides a threat.
    """
    fields = cot_type.split(";", 1)[0].split("-")
    if len(fields) < 4 or fields[0] != "a" or fields[2] != "A":
        return None
    function = tuple(fields[3:])
    if len(function) >= 3 and function[0] in ("M", "C") and function[2] == "Q":
        # a drone, military or civil
        return ClassHint(ObjectClass.MULTIROTOR, confidence) if function[1] == "H" else None
    if function[0] == "C":
        return ClassHint(ObjectClass.CREWED, confidence)
    return None


def is_air(cot_type: str) -> bool:
    """``a-<affiliation>-A[-...]``: an atom in the air battle dimension."""
    fields = cot_type.split(";", 1)[0].split("-")
    return len(fields) >= 3 and fields[0] == "a" and fields[2] == "A"


def cot_report(
    event: CotEvent, sensor_id: str, config: CotReportConfig | None = None
) -> Report | None:
    """An air event as a position Report at the event's ``time``; None for any other event.

    ``ce``/``le`` are CoT's 1-sigma circular and vertical errors, which is what
    ``PositionMeasurement`` holds; the height is the event's ``hae`` (height above the
    ellipsoid, as ``GeoPoint.alt_m``), its sigma ``le`` when both are known.
    """
    if not is_air(event.type):
        return None
    settings = config or CotReportConfig()
    sigma_h = settings.unknown_ce_sigma_m if event.ce_m is None else event.ce_m
    sigma_v = None
    if event.hae_m is not None and event.le_m is not None:
        sigma_v = max(event.le_m, settings.min_sigma_m)
    return Report(
        sensor_id=sensor_id,
        time_s=event.time_s,
        measurement=PositionMeasurement(
            point=GeoPoint(event.lat_deg, event.lon_deg, event.hae_m),
            sigma_h_m=max(sigma_h, settings.min_sigma_m),
            sigma_v_m=sigma_v,
        ),
        class_hint=class_hint_of_type(event.type, settings.type_confidence),
        source=f"cot:{event.uid}",
    )
