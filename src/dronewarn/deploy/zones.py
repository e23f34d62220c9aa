"""Protected zones a node is warned about besides its country: airports, border strips, polygons.

The same zone entries appear in scenario files (a node's ``zones``) and in node.toml (the
node's own ``[[zones]]`` and each partner's ``[[partners.zones]]``: a sender must know the
zones of the partner it warns).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dronewarn.deploy.fields import Iso3, LatLon, Positive, StrictModel


class CircleZone(StrictModel):
    """A protected circle, e.g. an airport's control zone."""

    id: str
    kind: Literal["circle"]
    centre: LatLon
    radius_km: Positive


class BorderStripZone(StrictModel):
    """The node's country within ``depth_km`` of ``along`` (e.g. Poland's EP R129)."""

    id: str
    kind: Literal["border_strip"]
    along: Annotated[list[Iso3], Field(min_length=1)]
    depth_km: Positive


class GeoJsonZone(StrictModel):
    """Polygons from a GeoJSON file (path relative to the file that names it), ``feature`` by
    id."""

    id: str
    kind: Literal["geojson"]
    path: str
    feature: str


Zone = Annotated[CircleZone | BorderStripZone | GeoJsonZone, Field(discriminator="kind")]
