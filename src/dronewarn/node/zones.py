"""The airspaces a node knows, as lon/lat polygons: countries and protected zones.

Countries are Natural Earth's (``geo.borders``), replaced by the deployment's own official
borders where it gives a GeoJSON file of them; zones are circles (airports), border strips
(EP R129) and GeoJSON polygons, the node's own and its partners'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from dronewarn.deploy.zones import BorderStripZone, CircleZone, Zone
from dronewarn.domain.errors import GeoError
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.borders import load_countries, load_geojson_zones
from dronewarn.geo.frame import LocalFrame
from dronewarn.geo.geodesic import destination

ZoneOwner = tuple[str, Zone]
"""(the ISO alpha-3 country a zone lies in, the zone)"""


def circle_polygon(centre: tuple[float, float], radius_m: float) -> Polygon:
    bearings = np.linspace(0.0, 360.0, 73)[:-1]
    lat, lon = destination(centre[0], centre[1], bearings, radius_m)
    return Polygon(np.column_stack([lon, lat]))


def zone_polygons(
    zones: Iterable[ZoneOwner],
    countries: Mapping[str, BaseGeometry],
    airspace: AirspaceMap,
    resolve: Mapping[str, str] | None = None,
) -> dict[str, BaseGeometry]:
    """Each zone's polygon, keyed by zone id (ids must not clash with country codes).

    ``resolve`` maps a GeoJSON zone's ``path`` as written to the file to read.
    """
    out: dict[str, BaseGeometry] = {}
    for country, zone in zones:
        if zone.id in out or zone.id in countries:
            raise GeoError(f"zone id {zone.id!r} is used twice")
        if isinstance(zone, CircleZone):
            out[zone.id] = circle_polygon(zone.centre, zone.radius_km * 1000.0)
        elif isinstance(zone, BorderStripZone):
            strip = airspace.border_strip(country, zone.along, zone.depth_km * 1000.0)
            out[zone.id] = airspace.with_area(zone.id, strip).polygon_lonlat(zone.id)
        else:
            path = (resolve or {}).get(zone.path, zone.path)
            features = load_geojson_zones(Path(path))
            if zone.feature not in features:
                raise GeoError(f"{path}: no feature with id {zone.feature!r}")
            out[zone.id] = features[zone.feature]
    return out


def known_countries(
    codes: Iterable[str], official: Mapping[str, BaseGeometry] | None = None
) -> dict[str, BaseGeometry]:
    """Natural Earth's polygons of ``codes``, the official ones where given."""
    wanted = sorted(set(codes))
    given = dict(official or {})
    missing = [c for c in wanted if c not in given]
    found = load_countries(missing) if missing else {}
    return {code: given.get(code, found.get(code)) for code in wanted}


def airspaces(
    frame: LocalFrame,
    codes: Iterable[str],
    zones: Iterable[ZoneOwner],
    official: Mapping[str, BaseGeometry] | None = None,
    resolve: Mapping[str, str] | None = None,
) -> dict[str, BaseGeometry]:
    """Countries (those named, those zones' strips run along) and zones, lon/lat."""
    zones = list(zones)
    needed = set(codes)
    for country, zone in zones:
        needed.add(country)
        if isinstance(zone, BorderStripZone):
            needed.update(zone.along)
    countries = known_countries(needed, official)
    plane = AirspaceMap(frame, countries)
    return {**countries, **zone_polygons(zones, countries, plane, resolve)}
