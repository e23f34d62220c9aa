"""ADS-B positions, whatever the input (readsb JSON, SBS lines, raw Mode S), as domain Reports.

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

from dataclasses import dataclass
from datetime import UTC, tzinfo
from enum import StrEnum

from dronewarn.domain.report import ClassHint, GeoPoint, ObjectClass, PositionMeasurement, Report
from dronewarn.formats.adsb.accuracy import NACP_EPU_M, NUCP_RC_M

FT_M = 0.3048
R95_PER_SIGMA = 2.4477
"""R95 / sigma of a circular 2-D Gaussian: sqrt(-2 ln 0.05)."""
NM_M = 1852.0
MAX_ERROR_BYTES = 512
UAV_CATEGORY = "B6"


class AltitudeKind(StrEnum):
    BARO = "baro"
    GNSS = "gnss"
    GROUND = "ground"


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
