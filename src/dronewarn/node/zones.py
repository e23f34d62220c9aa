"""Protected zones of the nodes as lon/lat polygons: airports, border strips, GeoJSON."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from dronewarn.domain.errors import GeoError
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.borders import load_geojson_zones
from dronewarn.geo.geodesic import destination
from dronewarn.sim.scenario import BorderStripZone, CircleZone, Scenario


def zone_polygons(
    scenario: Scenario, countries: Mapping[str, BaseGeometry], airspace: AirspaceMap
) -> dict[str, BaseGeometry]:
    """Every node's zones, keyed by zone id (ids must not clash with country codes)."""
    out: dict[str, BaseGeometry] = {}
    for node in scenario.nodes:
        for zone in node.zones:
            if zone.id in out or zone.id in countries:
                raise GeoError(f"zone id {zone.id!r} is used twice")
            if isinstance(zone, CircleZone):
                bearings = np.linspace(0.0, 360.0, 73)[:-1]
                lat, lon = destination(
                    zone.centre[0], zone.centre[1], bearings, zone.radius_km * 1000.0
                )
                out[zone.id] = Polygon(np.column_stack([lon, lat]))
            elif isinstance(zone, BorderStripZone):
                strip = airspace.border_strip(node.country, zone.along, zone.depth_km * 1000.0)
                out[zone.id] = airspace.with_area(zone.id, strip).polygon_lonlat(zone.id)
            else:
                path = scenario.source_dir / zone.path
                features = load_geojson_zones(path)
                if zone.feature not in features:
                    raise GeoError(f"{path}: no feature with id {zone.feature!r}")
                out[zone.id] = features[zone.feature]
    return out
