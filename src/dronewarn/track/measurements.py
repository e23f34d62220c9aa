"""Measurement conversion: every Report kind -> a position in the node's plane with covariance.

This is the thin tracker's measurement model (converted measurements):

* polar (radar): the ground range follows from the slant range and the elevation, or, for a
  2-D radar, from an assumed target altitude. Covariance in the site's local frame:
  ``sigma_range`` along the line of sight (inflated by the effect of the altitude's
  uncertainty on ground range), ``ground_range * sigma_bearing`` across it.
* bearing (acoustic node): the node hears within ``radius``; the expected distance of a target
  spread uniformly over the disc is 2/3 of the radius, so the point is placed there along the
  reported bearing, with that distribution's spread along it and the bearing error across.
  Without a bearing the node's own position with sigma = radius / 2 is used.
* sighting: the reporter's own estimate with its stated sigma. position: as given.

Sensor-relative points go into the plane through each site's Jacobian
(``geo.frame.site_jacobians``), cached per site, so a batch costs a few array operations and no
per-point geodesic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dronewarn.domain.report import (
    BearingMeasurement,
    ClassHint,
    PolarMeasurement,
    PositionMeasurement,
    Report,
    SightingMeasurement,
)
from dronewarn.geo.frame import LocalFrame, site_jacobians

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PlaneMeasurements:
    """N measurements in the local plane: times, positions (N x 2), covariances (N x 2 x 2)."""

    time_s: FloatArray
    z: FloatArray
    r: FloatArray
    sensor_ids: tuple[str, ...]
    hints: tuple[ClassHint | None, ...] = ()

    def __len__(self) -> int:
        return len(self.time_s)


def local_cov(
    along_sigma: FloatArray, across_sigma: FloatArray, bearing_deg: FloatArray
) -> FloatArray:
    """2x2 covariances (east, north) with the given sigmas along and across each bearing."""
    b = np.radians(bearing_deg)
    s, c = np.sin(b), np.cos(b)
    a2, x2 = along_sigma**2, across_sigma**2
    out = np.empty((len(b), 2, 2))
    out[:, 0, 0] = a2 * s * s + x2 * c * c
    out[:, 1, 1] = a2 * c * c + x2 * s * s
    out[:, 0, 1] = out[:, 1, 0] = (a2 - x2) * s * c
    return out


class PlaneConverter:
    """Converts Reports to plane measurements for one node's frame (site Jacobians cached)."""

    def __init__(self, frame: LocalFrame, assumed_alt_m: float, assumed_alt_sigma_m: float) -> None:
        self.frame = frame
        self.assumed_alt_m = assumed_alt_m
        self.assumed_alt_sigma_m = assumed_alt_sigma_m
        # fixed sites (radars, acoustic nodes): index by (lat, lon); geometry in arrays
        self._index: dict[tuple[float, float], int] = {}
        self._site_en = np.zeros((0, 2))
        self._site_jac = np.zeros((0, 2, 2))

    _MAX_SITES = 200_000

    def _site_geometry(
        self, lat: FloatArray, lon: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        keys = list(zip(lat.tolist(), lon.tolist(), strict=True))
        index = self._index
        missing = sorted({k for k in keys if k not in index})
        if len(missing) > 8 and np.ptp(lat) < 0.05 and np.ptp(lon) < 0.05:
            # a moving antenna (airborne radar) within one scan: every site projected exactly,
            # one Jacobian for all (it changes by far less than 1e-4 over a few km)
            site_e, site_n = self.frame.to_plane(lat, lon)
            _, _, one = site_jacobians(self.frame, lat[:1], lon[:1])
            return site_e, site_n, np.broadcast_to(one[0], (len(lat), 2, 2))
        if missing:
            if len(index) + len(missing) > self._MAX_SITES:  # bound the cache
                index.clear()
                self._site_en = np.zeros((0, 2))
                self._site_jac = np.zeros((0, 2, 2))
                missing = sorted(set(keys))
            m_e, m_n, m_jac = site_jacobians(
                self.frame, np.array([k[0] for k in missing]), np.array([k[1] for k in missing])
            )
            start = len(index)
            for offset, key in enumerate(missing):
                index[key] = start + offset
            self._site_en = np.concatenate([self._site_en, np.column_stack([m_e, m_n])])
            self._site_jac = np.concatenate([self._site_jac, m_jac])
        rows = [index[k] for k in keys]
        en = self._site_en[rows]
        return en[:, 0], en[:, 1], self._site_jac[rows]

    def convert(self, reports: list[Report]) -> PlaneMeasurements:
        n = len(reports)
        z = np.empty((n, 2))
        cov = np.empty((n, 2, 2))
        polar: list[int] = []
        polar_rows: list[tuple[float, ...]] = []
        acoustic: list[int] = []
        acoustic_rows: list[tuple[float, ...]] = []
        absolute: list[int] = []
        abs_rows: list[tuple[float, float, float]] = []
        for i, report in enumerate(reports):
            m = report.measurement
            if isinstance(m, PolarMeasurement):
                polar.append(i)
                polar_rows.append(
                    (
                        m.site.lat_deg,
                        m.site.lon_deg,
                        m.site.alt_m or 0.0,
                        m.range_m,
                        m.bearing_deg,
                        np.nan if m.elevation_deg is None else m.elevation_deg,
                        m.sigma_range_m,
                        m.sigma_bearing_deg,
                        m.sigma_elevation_deg or 0.0,
                    )
                )
            elif isinstance(m, BearingMeasurement):
                acoustic.append(i)
                acoustic_rows.append(
                    (
                        m.site.lat_deg,
                        m.site.lon_deg,
                        m.radius_m,
                        np.nan if m.bearing_deg is None else m.bearing_deg,
                        m.sigma_bearing_deg or 180.0,
                    )
                )
            elif isinstance(m, SightingMeasurement):
                absolute.append(i)
                abs_rows.append((m.estimate.lat_deg, m.estimate.lon_deg, m.sigma_m))
            elif isinstance(m, PositionMeasurement):
                absolute.append(i)
                abs_rows.append((m.point.lat_deg, m.point.lon_deg, m.sigma_h_m))
        if polar:
            z[polar], cov[polar] = self._polar(np.array(polar_rows))
        if acoustic:
            z[acoustic], cov[acoustic] = self._acoustic(np.array(acoustic_rows))
        if absolute:
            rows = np.array(abs_rows)
            east, north = self.frame.to_plane(rows[:, 0], rows[:, 1])
            z[absolute] = np.column_stack([east, north])
            cov[absolute] = np.eye(2)[None] * (rows[:, 2] ** 2)[:, None, None]
        return PlaneMeasurements(
            time_s=np.fromiter((r.time_s for r in reports), dtype=np.float64, count=n),
            z=z,
            r=cov,
            sensor_ids=tuple(r.sensor_id for r in reports),
            hints=tuple(r.class_hint for r in reports),
        )

    def _to_plane(
        self,
        site_lat: FloatArray,
        site_lon: FloatArray,
        dist: FloatArray,
        brg: FloatArray,
        along: FloatArray,
        across: FloatArray,
    ) -> tuple[FloatArray, FloatArray]:
        se, sn, jac = self._site_geometry(site_lat, site_lon)
        b = np.radians(brg)
        local = np.column_stack([dist * np.sin(b), dist * np.cos(b)])
        z = np.column_stack([se, sn]) + np.einsum("nij,nj->ni", jac, local)
        cov = jac @ local_cov(along, across, brg) @ jac.transpose(0, 2, 1)
        return z, cov

    def _polar(self, rows: FloatArray) -> tuple[FloatArray, FloatArray]:
        site_lat, site_lon, site_alt, rng, brg, elev, sig_r, sig_b_deg, sig_e_deg = rows.T
        has_elev = ~np.isnan(elev)
        if has_elev.all():
            elev_rad = np.radians(elev)
            ground = rng * np.cos(elev_rad)
            extra = rng * np.abs(np.sin(elev_rad)) * np.radians(sig_e_deg)
        else:
            # 2-D radar: ground range from an assumed altitude, whose own uncertainty smears
            # it by |d(ground)/d(alt)| = |dh| / ground
            dh = self.assumed_alt_m - site_alt
            ground = np.sqrt(np.maximum(rng**2 - dh**2, 0.0))
            extra = np.abs(dh) / np.maximum(ground, 1.0) * self.assumed_alt_sigma_m
            if has_elev.any():
                elev_rad = np.radians(np.where(has_elev, elev, 0.0))
                ground = np.where(has_elev, rng * np.cos(elev_rad), ground)
                extra = np.where(
                    has_elev, rng * np.abs(np.sin(elev_rad)) * np.radians(sig_e_deg), extra
                )
        along = np.sqrt(sig_r**2 + extra**2)
        across = np.maximum(ground, 1.0) * np.radians(sig_b_deg)
        return self._to_plane(site_lat, site_lon, ground, brg, along, across)

    def _acoustic(self, rows: FloatArray) -> tuple[FloatArray, FloatArray]:
        site_lat, site_lon, radius, brg, sig_b_deg = rows.T
        has_b = ~np.isnan(brg)
        brg = np.where(has_b, brg, 0.0)
        dist = np.where(has_b, 2.0 * radius / 3.0, 0.0)
        # radial spread of a uniform disc: sqrt(E[r^2] - E[r]^2) = radius / (3 sqrt 2)
        along = np.where(has_b, radius / (3.0 * np.sqrt(2.0)), radius / 2.0)
        across = np.where(has_b, np.maximum(dist * np.radians(sig_b_deg), 1.0), radius / 2.0)
        return self._to_plane(site_lat, site_lon, dist, brg, along, across)
