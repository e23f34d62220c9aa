"""CAT015: independent non-cooperative surveillance (INCS) target reports: drone radars,
passive radars and other sensors of targets that do not answer.

EUROCONTROL-SPEC-0149-15, ASTERIX Category 015, editions 1.0-1.2 (one UAP), decoded through
libasterix: FRN 1 I010 (SAC, SIC); 2 I000 message type (MT: 1 measurement plot, 2 measurement
track, 3 sensor centric plot, 4 sensor centric track, 5 track end); 6 I145 time of applicability
(1/128 s since UTC midnight); 7 I161 track/plot number; 11 I300 object classification
(repetitive: CLS, a 9-bit class whose meaning a local interface control document allocates, and
PRB, its probability in percent); 13 I600 horizontal position (compound: P84 latitude/longitude
32-bit two's complement of 180/2^31 deg, HPR resolution, HPP standard deviations x/y in 1/4 m);
14 I601 geometric height (compound: GH 1/100 m above the WGS-84 ellipsoid, RSGH, SDGH standard
deviation in 1/100 m, ...); 15 I602 horizontal velocity (compound: HV x/y, 20-bit two's
complement of 1/100 m/s, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dronewarn.formats.asterix.items import lib_item, lib_quantity, lib_source, lib_sub, lib_uint


@dataclass(frozen=True, slots=True)
class Cat015Class:
    """One I300 entry: a class code (meaning per the sensor's ICD) and its probability."""

    code: int
    probability_pct: int


@dataclass(frozen=True, slots=True)
class Cat015Report:
    """The fields of one CAT015 report that dronewarn uses; None where absent."""

    offset: int
    """Offset of the record (its FSPEC) in the payload."""
    sac: int | None
    sic: int | None
    message_type: int | None
    """I000 MT."""
    time_of_applicability_s: float | None
    """I145: seconds since UTC midnight."""
    track_number: int | None
    """I161."""
    lat_deg: float | None
    """I600/P84."""
    lon_deg: float | None
    sd_x_m: float | None
    """I600/HPP: standard deviation of the position, x."""
    sd_y_m: float | None
    geometric_height_m: float | None
    """I601/GH, above the WGS-84 ellipsoid."""
    sd_height_m: float | None
    """I601/SDGH."""
    vx_mps: float | None
    """I602/HV."""
    vy_mps: float | None
    classes: tuple[Cat015Class, ...]
    """I300 (empty when absent)."""


def _q(item: Any, *path: str) -> float | None:
    node = item
    for name in path:
        node = lib_sub(node, name)
    return None if node is None else lib_quantity(node)


def report_from_libasterix(record: Any, offset: int) -> Cat015Report:
    """The dronewarn fields of a libasterix CAT015 record."""
    sac, sic = lib_source(record)
    i000 = lib_item(record, "000")
    i145 = lib_item(record, "145")
    i161 = lib_item(record, "161")
    i300 = lib_item(record, "300")
    i600 = lib_item(record, "600")
    i601 = lib_item(record, "601")
    i602 = lib_item(record, "602")
    classes: tuple[Cat015Class, ...] = ()
    if i300 is not None:
        classes = tuple(
            Cat015Class(lib_uint(entry.get_item("CLS")), lib_uint(entry.get_item("PRB")))
            for entry in i300.variation.get_list()
        )
    return Cat015Report(
        offset=offset,
        sac=sac,
        sic=sic,
        message_type=None if i000 is None else lib_uint(lib_sub(i000, "MT")),
        time_of_applicability_s=None if i145 is None else lib_quantity(i145),
        track_number=None if i161 is None else lib_uint(i161),
        lat_deg=_q(i600, "P84", "LATITUDE"),
        lon_deg=_q(i600, "P84", "LONGITUDE"),
        sd_x_m=_q(i600, "HPP", "SDHPX"),
        sd_y_m=_q(i600, "HPP", "SDHPY"),
        geometric_height_m=_q(i601, "GH"),
        sd_height_m=_q(i601, "SDGH"),
        vx_mps=_q(i602, "HV", "X"),
        vy_mps=_q(i602, "HV", "Y"),
        classes=classes,
    )
