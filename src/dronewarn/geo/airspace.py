"""Airspaces (countries and zones) projected into a node's local plane, with vectorised queries.

All queries take and return numpy arrays of local plane coordinates (``LocalFrame.to_plane``):
point-in-area, signed distance to an area's boundary, and the first entry of straight segments
or polylines into an area.

The first-entry query finds candidate (segment, boundary edge) pairs with shapely's STRtree
and solves the segment-segment intersections for all pairs at once in numpy; an R-tree plus
one vector solve keeps the cost near-linear in the number of segments (bench/first_entry.py
measures it). A segment that starts inside the area enters it at fraction 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from dronewarn.domain.errors import GeoError
from dronewarn.geo.frame import LocalFrame

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Entries:
    """First entries of N segments (or paths) into an area; NaN where there is none."""

    fraction: FloatArray
    east_m: FloatArray
    north_m: FloatArray

    @property
    def found(self) -> BoolArray:
        return ~np.isnan(self.fraction)


@dataclass(frozen=True)
class PathEntries:
    """First entries of N polylines: the segment index (-1 if none) and the entry point."""

    segment: IntArray
    fraction: FloatArray
    east_m: FloatArray
    north_m: FloatArray

    @property
    def found(self) -> BoolArray:
        return self.segment >= 0


class _Area:
    """One projected area with its prepared polygon and boundary edges."""

    def __init__(self, area_id: str, polygon: BaseGeometry) -> None:
        self.area_id = area_id
        self.polygon = polygon
        shapely.prepare(polygon)
        self.boundary = polygon.boundary
        starts: list[FloatArray] = []
        ends: list[FloatArray] = []
        for ring in shapely.get_parts(self.boundary):
            coords = shapely.get_coordinates(ring)
            starts.append(coords[:-1])
            ends.append(coords[1:])
        self.edge_a = np.concatenate(starts)
        self.edge_b = np.concatenate(ends)
        self.edge_tree = shapely.STRtree(
            shapely.linestrings(np.stack([self.edge_a, self.edge_b], axis=1))
        )


class AirspaceMap:
    """Named areas (ISO alpha-3 countries, zone ids) in one local frame."""

    def __init__(self, frame: LocalFrame, areas_lonlat: Mapping[str, BaseGeometry]) -> None:
        self.frame = frame
        self._lonlat = dict(areas_lonlat)
        self._areas = {
            area_id: _Area(area_id, self._project(geom)) for area_id, geom in areas_lonlat.items()
        }

    def _project(self, geom: BaseGeometry) -> BaseGeometry:
        def to_plane(lonlat: FloatArray) -> FloatArray:
            east, north = self.frame.to_plane(lonlat[:, 1], lonlat[:, 0])
            return np.column_stack([east, north])

        return shapely.transform(geom, to_plane)

    def area_ids(self) -> list[str]:
        return list(self._areas)

    def polygon(self, area_id: str) -> BaseGeometry:
        """The area's polygon in the local plane."""
        return self._area(area_id).polygon

    def polygon_lonlat(self, area_id: str) -> BaseGeometry:
        """The area's polygon in lon/lat degrees, as loaded."""
        self._area(area_id)
        return self._lonlat[area_id]

    def _area(self, area_id: str) -> _Area:
        try:
            return self._areas[area_id]
        except KeyError:
            raise GeoError(f"unknown area {area_id!r}; known: {sorted(self._areas)}") from None

    def with_area(self, area_id: str, polygon_plane: BaseGeometry) -> AirspaceMap:
        """A copy with one more area given in the local plane (e.g. a derived strip)."""

        def to_lonlat(en: FloatArray) -> FloatArray:
            lat, lon = self.frame.from_plane(en[:, 0], en[:, 1])
            return np.column_stack([lon, lat])

        areas = dict(self._lonlat)
        areas[area_id] = shapely.transform(polygon_plane, to_lonlat)
        return AirspaceMap(self.frame, areas)

    def contains(self, area_id: str, east_m: FloatArray, north_m: FloatArray) -> BoolArray:
        """Which points lie inside the area (boundary included)."""
        area = self._area(area_id)
        inside = shapely.intersects_xy(area.polygon, np.asarray(east_m), np.asarray(north_m))
        return np.asarray(inside, dtype=np.bool_)

    def area_at(
        self, east_m: FloatArray, north_m: FloatArray, area_ids: Iterable[str] | None = None
    ) -> npt.NDArray[np.str_]:
        """The first of ``area_ids`` (default: all) containing each point, '' where none does."""
        east = np.asarray(east_m, dtype=np.float64)
        result = np.full(east.shape, "", dtype=object)
        for area_id in area_ids if area_ids is not None else self._areas:
            free = result == ""
            if not free.any():
                break
            hit = self.contains(area_id, east, np.asarray(north_m)) & free
            result[hit] = area_id
        return result.astype(np.str_)

    def signed_distance_m(
        self, area_id: str, east_m: FloatArray, north_m: FloatArray
    ) -> FloatArray:
        """Distance to the area's boundary: positive outside, negative inside."""
        area = self._area(area_id)
        east = np.asarray(east_m, dtype=np.float64)
        north = np.asarray(north_m, dtype=np.float64)
        # nearest boundary edge through the R-tree: far faster than distance to the whole ring
        pts = shapely.points(east.ravel(), np.asarray(north, dtype=np.float64).ravel())
        (point_idx, _), dist_found = area.edge_tree.query_nearest(
            pts, return_distance=True, all_matches=False
        )
        flat = np.empty(len(pts))
        flat[point_idx] = dist_found
        dist = flat.reshape(east.shape)
        return np.asarray(np.where(self.contains(area_id, east, north), -dist, dist))

    def path_comes_within(
        self, area_id: str, east_m: FloatArray, north_m: FloatArray, distance_m: float
    ) -> bool:
        """Whether a polyline comes within ``distance_m`` of the area (or enters it)."""
        area = self._area(area_id)
        line = shapely.linestrings(np.column_stack([east_m, north_m]))
        return bool(shapely.dwithin(area.polygon, line, distance_m))

    def first_entry(
        self,
        area_id: str,
        start_e: FloatArray,
        start_n: FloatArray,
        end_e: FloatArray,
        end_n: FloatArray,
    ) -> Entries:
        """Where each straight segment start -> end first enters the area."""
        area = self._area(area_id)
        p = np.column_stack(
            [np.asarray(start_e, float).ravel(), np.asarray(start_n, float).ravel()]
        )
        q = np.column_stack([np.asarray(end_e, float).ravel(), np.asarray(end_n, float).ravel()])
        count = len(p)
        fraction = np.full(count, np.inf)
        if count:
            segments = shapely.linestrings(np.stack([p, q], axis=1))
            seg_idx, edge_idx = area.edge_tree.query(segments)
            if len(seg_idx):
                r = q[seg_idx] - p[seg_idx]
                s = area.edge_b[edge_idx] - area.edge_a[edge_idx]
                qp = area.edge_a[edge_idx] - p[seg_idx]
                denom = r[:, 0] * s[:, 1] - r[:, 1] * s[:, 0]
                with np.errstate(divide="ignore", invalid="ignore"):
                    t = (qp[:, 0] * s[:, 1] - qp[:, 1] * s[:, 0]) / denom
                    u = (qp[:, 0] * r[:, 1] - qp[:, 1] * r[:, 0]) / denom
                ok = (denom != 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
                np.minimum.at(fraction, seg_idx[ok], t[ok])
            inside = self.contains(area_id, p[:, 0], p[:, 1])
            fraction[inside] = 0.0
        fraction[np.isinf(fraction)] = np.nan
        east = p[:, 0] + fraction * (q[:, 0] - p[:, 0])
        north = p[:, 1] + fraction * (q[:, 1] - p[:, 1])
        return Entries(fraction=fraction, east_m=east, north_m=north)

    def first_entry_along_paths(self, area_id: str, paths: FloatArray) -> PathEntries:
        """First entry of each polyline of ``paths`` (shape N x K x 2, K >= 2) into the area."""
        paths = np.asarray(paths, dtype=np.float64)
        if paths.ndim != 3 or paths.shape[1] < 2 or paths.shape[2] != 2:
            raise GeoError(f"paths must have shape (N, K>=2, 2), not {paths.shape}")
        n_paths, k = paths.shape[0], paths.shape[1]
        starts = paths[:, :-1, :].reshape(-1, 2)
        ends = paths[:, 1:, :].reshape(-1, 2)
        entries = self.first_entry(area_id, starts[:, 0], starts[:, 1], ends[:, 0], ends[:, 1])
        found = entries.found.reshape(n_paths, k - 1)
        segment = np.where(found.any(axis=1), found.argmax(axis=1), -1)
        flat = np.arange(n_paths) * (k - 1) + np.maximum(segment, 0)
        hit = segment >= 0
        nan = np.full(n_paths, np.nan)
        return PathEntries(
            segment=segment.astype(np.intp),
            fraction=np.where(hit, entries.fraction[flat], nan),
            east_m=np.where(hit, entries.east_m[flat], nan),
            north_m=np.where(hit, entries.north_m[flat], nan),
        )

    def border_strip(
        self, area_id: str, neighbour_ids: Iterable[str], depth_m: float
    ) -> BaseGeometry:
        """The part of an area within ``depth_m`` of its neighbours (e.g. a 30 km border strip)."""
        area = self._area(area_id).polygon
        neighbours = shapely.union_all([self._area(n).polygon for n in neighbour_ids])
        return shapely.intersection(area, shapely.buffer(neighbours, depth_m))
