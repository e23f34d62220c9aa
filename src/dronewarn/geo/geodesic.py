"""Geodesic distance, bearing and destination on the WGS84 ellipsoid (pyproj.Geod), vectorised."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pyproj import Geod

FloatArray = npt.NDArray[np.float64]

_WGS84 = Geod(ellps="WGS84")  # immutable; pyproj's Geod holds no mutable state


def _arrays(*values: float | FloatArray) -> list[FloatArray]:
    """Broadcast scalars and arrays to one shape (pyproj wants equal lengths)."""
    return [np.array(v, dtype=np.float64) for v in np.broadcast_arrays(*values)]


def distance_m(
    lat1_deg: float | FloatArray,
    lon1_deg: float | FloatArray,
    lat2_deg: float | FloatArray,
    lon2_deg: float | FloatArray,
) -> FloatArray:
    """Geodesic distance between two points (or arrays of points)."""
    lon1, lat1, lon2, lat2 = _arrays(lon1_deg, lat1_deg, lon2_deg, lat2_deg)
    _, _, dist = _WGS84.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist, dtype=np.float64)


def bearing_deg(
    lat1_deg: float | FloatArray,
    lon1_deg: float | FloatArray,
    lat2_deg: float | FloatArray,
    lon2_deg: float | FloatArray,
) -> FloatArray:
    """Initial bearing from point 1 to point 2, degrees clockwise from true north in [0, 360)."""
    lon1, lat1, lon2, lat2 = _arrays(lon1_deg, lat1_deg, lon2_deg, lat2_deg)
    az, _, _ = _WGS84.inv(lon1, lat1, lon2, lat2)
    return np.mod(np.asarray(az, dtype=np.float64), 360.0)


def destination(
    lat_deg: float | FloatArray,
    lon_deg: float | FloatArray,
    bearing: float | FloatArray,
    dist_m: float | FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """(lat_deg, lon_deg) reached from a point along a bearing after a geodesic distance."""
    lon0, lat0, az, dist = _arrays(lon_deg, lat_deg, bearing, dist_m)
    lon, lat, _ = _WGS84.fwd(lon0, lat0, az, dist)
    return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
