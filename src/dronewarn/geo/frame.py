"""Local frames: WGS84 <-> a node's local plane (east, north) and true topocentric ENU.

Two projections, both from pyproj, both centred on the node's origin:

* ``to_plane`` / ``from_plane``: azimuthal equidistant (AEQD). Distances and bearings from the
  origin are exact and the scale error at 300 km is under 0.04 %, so borders, tracks and
  predicted paths share one metric plane in which straight-line kinematics hold. The tracker
  and the crossing geometry work here.
* ``to_enu`` / ``from_enu``: geocentric -> topocentric ENU (the tangent plane at the origin,
  with "up" along the ellipsoid normal), for sensor geometry that needs true 3-D vectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from pyproj import Transformer

FloatArray = npt.NDArray[np.float64]


def _as_array(values: float | FloatArray | list[float]) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class LocalFrame:
    """A node's local frame centred at its origin (latitude, longitude, altitude)."""

    origin_lat_deg: float
    origin_lon_deg: float
    origin_alt_m: float = 0.0
    _plane_fwd: Transformer = field(init=False, repr=False, compare=False)
    _plane_inv: Transformer = field(init=False, repr=False, compare=False)
    _enu_fwd: Transformer = field(init=False, repr=False, compare=False)
    _enu_inv: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        aeqd = (
            f"+proj=aeqd +lat_0={self.origin_lat_deg} +lon_0={self.origin_lon_deg} "
            "+ellps=WGS84 +units=m +no_defs"
        )
        topo = (
            "+proj=pipeline +step +proj=cart +ellps=WGS84 "
            f"+step +proj=topocentric +ellps=WGS84 +lat_0={self.origin_lat_deg} "
            f"+lon_0={self.origin_lon_deg} +h_0={self.origin_alt_m}"
        )
        plane = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)
        enu = Transformer.from_pipeline(topo)
        object.__setattr__(self, "_plane_fwd", plane)
        object.__setattr__(
            self, "_plane_inv", Transformer.from_crs(aeqd, "EPSG:4326", always_xy=True)
        )
        object.__setattr__(self, "_enu_fwd", enu)
        object.__setattr__(self, "_enu_inv", enu)

    def to_plane(
        self, lat_deg: float | FloatArray, lon_deg: float | FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """(east_m, north_m) in the local AEQD plane."""
        east, north = self._plane_fwd.transform(_as_array(lon_deg), _as_array(lat_deg))
        return np.asarray(east, dtype=np.float64), np.asarray(north, dtype=np.float64)

    def from_plane(
        self, east_m: float | FloatArray, north_m: float | FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """(lat_deg, lon_deg) of local AEQD plane coordinates."""
        lon, lat = self._plane_inv.transform(_as_array(east_m), _as_array(north_m))
        return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)

    def to_enu(
        self,
        lat_deg: float | FloatArray,
        lon_deg: float | FloatArray,
        alt_m: float | FloatArray,
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """True topocentric (east_m, north_m, up_m) relative to the origin."""
        e, n, u = self._enu_fwd.transform(_as_array(lon_deg), _as_array(lat_deg), _as_array(alt_m))
        return (
            np.asarray(e, dtype=np.float64),
            np.asarray(n, dtype=np.float64),
            np.asarray(u, dtype=np.float64),
        )

    def from_enu(
        self,
        east_m: float | FloatArray,
        north_m: float | FloatArray,
        up_m: float | FloatArray,
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(lat_deg, lon_deg, alt_m) of topocentric ENU coordinates."""
        lon, lat, alt = self._enu_inv.transform(
            _as_array(east_m), _as_array(north_m), _as_array(up_m), direction="INVERSE"
        )
        return (
            np.asarray(lat, dtype=np.float64),
            np.asarray(lon, dtype=np.float64),
            np.asarray(alt, dtype=np.float64),
        )


def _ecef_transformer() -> Transformer:
    return Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


@dataclass(frozen=True)
class LineOfSight:
    """Vectors from sites to targets in each site's own topocentric ENU frame."""

    east_m: FloatArray
    north_m: FloatArray
    up_m: FloatArray

    @property
    def slant_range_m(self) -> FloatArray:
        return np.asarray(np.sqrt(self.east_m**2 + self.north_m**2 + self.up_m**2))

    @property
    def ground_range_m(self) -> FloatArray:
        return np.asarray(np.hypot(self.east_m, self.north_m))

    @property
    def bearing_deg(self) -> FloatArray:
        return np.mod(np.degrees(np.arctan2(self.east_m, self.north_m)), 360.0)

    @property
    def elevation_deg(self) -> FloatArray:
        return np.degrees(np.arctan2(self.up_m, self.ground_range_m))


def line_of_sight(
    site_lat_deg: float | FloatArray,
    site_lon_deg: float | FloatArray,
    site_alt_m: float | FloatArray,
    lat_deg: FloatArray,
    lon_deg: FloatArray,
    alt_m: float | FloatArray,
) -> LineOfSight:
    """Site-to-target vectors through ECEF, for fixed or moving sites (arrays broadcast)."""
    to_ecef = _ecef_transformer()
    s_lat, s_lon, s_alt = np.broadcast_arrays(
        np.asarray(site_lat_deg, dtype=np.float64),
        np.asarray(site_lon_deg, dtype=np.float64),
        np.asarray(site_alt_m, dtype=np.float64),
    )
    t_lat, t_lon, t_alt = np.broadcast_arrays(
        np.asarray(lat_deg, dtype=np.float64),
        np.asarray(lon_deg, dtype=np.float64),
        np.asarray(alt_m, dtype=np.float64),
    )
    sx, sy, sz = to_ecef.transform(s_lon.copy(), s_lat.copy(), s_alt.copy())
    tx, ty, tz = to_ecef.transform(t_lon.copy(), t_lat.copy(), t_alt.copy())
    dx = np.asarray(tx) - np.asarray(sx)
    dy = np.asarray(ty) - np.asarray(sy)
    dz = np.asarray(tz) - np.asarray(sz)
    lat0 = np.radians(np.asarray(site_lat_deg, dtype=np.float64))
    lon0 = np.radians(np.asarray(site_lon_deg, dtype=np.float64))
    sin_lat, cos_lat = np.sin(lat0), np.cos(lat0)
    sin_lon, cos_lon = np.sin(lon0), np.cos(lon0)
    east = -sin_lon * dx + cos_lon * dy
    north = -sin_lat * cos_lon * dx - sin_lat * sin_lon * dy + cos_lat * dz
    up = cos_lat * cos_lon * dx + cos_lat * sin_lon * dy + sin_lat * dz
    return LineOfSight(np.asarray(east), np.asarray(north), np.asarray(up))


EFFECTIVE_EARTH_RADIUS_M = 4.0 / 3.0 * 6_371_000.0
"""The 4/3-earth model of radio refraction in the standard atmosphere."""


def radar_horizon_m(
    antenna_height_m: float | FloatArray, target_height_m: float | FloatArray
) -> FloatArray:
    """Ground range at which a target at ``target_height_m`` rises above the radar horizon."""
    two_r = 2.0 * EFFECTIVE_EARTH_RADIUS_M
    h_a = np.maximum(np.asarray(antenna_height_m, dtype=np.float64), 0.0)
    h_t = np.maximum(np.asarray(target_height_m, dtype=np.float64), 0.0)
    return np.asarray(np.sqrt(two_r * h_a) + np.sqrt(two_r * h_t))


def site_jacobians(
    frame: LocalFrame, lat_deg: FloatArray, lon_deg: FloatArray, step_m: float = 100.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Plane position of each site and the 2x2 Jacobian d(plane)/d(local east, north) there.

    With it, a point ``d`` metres from a site along bearing ``b`` lands at
    ``site + J @ (d sin b, d cos b)`` in the plane: one matrix product instead of a geodesic and
    a projection per point. Within 150 km of a site 250 km from the frame origin this stays
    within 50 m of the exact geodesic-then-project result (tests/geo/test_frame.py).
    """
    from dronewarn.geo.geodesic import destination

    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    n = len(lat)
    north_lat, north_lon = destination(lat, lon, 0.0, step_m)
    east_lat, east_lon = destination(lat, lon, 90.0, step_m)
    e, nn = frame.to_plane(
        np.concatenate([lat, north_lat, east_lat]), np.concatenate([lon, north_lon, east_lon])
    )
    se, sn = e[:n], nn[:n]
    jac = np.empty((n, 2, 2))
    jac[:, 0, 0] = (e[2 * n :] - se) / step_m
    jac[:, 1, 0] = (nn[2 * n :] - sn) / step_m
    jac[:, 0, 1] = (e[n : 2 * n] - se) / step_m
    jac[:, 1, 1] = (nn[n : 2 * n] - sn) / step_m
    return se, sn, jac
