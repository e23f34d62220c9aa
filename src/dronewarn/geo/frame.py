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
    """A node's local frame, centred at (``origin_lat_deg``, ``origin_lon_deg``, ``origin_alt_m``)."""

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
        object.__setattr__(self, "_plane_inv", Transformer.from_crs(aeqd, "EPSG:4326", always_xy=True))
        object.__setattr__(self, "_enu_fwd", enu)
        object.__setattr__(self, "_enu_inv", Transformer.from_pipeline(topo + " +inv"))

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
        e, n, u = self._enu_fwd.transform(
            _as_array(lon_deg), _as_array(lat_deg), _as_array(alt_m)
        )
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
            _as_array(east_m), _as_array(north_m), _as_array(up_m)
        )
        return (
            np.asarray(lat, dtype=np.float64),
            np.asarray(lon, dtype=np.float64),
            np.asarray(alt, dtype=np.float64),
        )
