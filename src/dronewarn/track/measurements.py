"""Measurement conversion: every Report kind -> a position in the node's plane with covariance.

The tracker works on converted measurements (positions with covariance in the node's plane),
with the raw geometry kept where an update needs it:

* polar (radar): the ground range follows from the slant range and the elevation, or, for a
  2-D radar, from an assumed target altitude. Covariance in the site's local frame:
  ``sigma_range`` along the line of sight (inflated by the effect of the altitude's
  uncertainty on ground range), ``ground_range * sigma_bearing`` across it. With an elevation
  the plot also gives a height (4/3-earth model) for the track's altitude filter.
* bearing (acoustic node): the node hears within ``radius``; the expected distance of a target
  spread uniformly over the disc is 2/3 of the radius, so the point is placed there along the
  reported bearing, with that distribution's spread along it and the bearing error across.
  This serves gating and track initiation. When the detection updates a known track, the
  across-bearing error is re-linearised at the track's own distance from the node (an EKF
  bearing update), while the along-bearing part keeps the disc's information.
  Without a bearing the node's own position with sigma = radius / 2 is used.
* sighting: the reporter's own estimate with its stated sigma. position: as given, with height
  when the report has a vertical sigma.

Sensor-relative points go into the plane through each site's Jacobian
(``geo.frame.site_jacobians``), cached per site, so a batch costs a few array operations and no
per-point geodesic. Reports from sensors listed as cooperative (ADS-B, Remote ID) are flagged.
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
    """N measurements in the local plane, columnar.

    ``z`` (N x 2) and ``r`` (N x 2 x 2) are the converted positions and covariances.
    ``sensor`` indexes ``sensor_names``. ``alt_m`` is NaN where the report carries no height.
    Acoustic bearings keep their geometry (``bearing_site``, NaN for other kinds, the bearing
    in the plane ``bearing_rad``, its ``sigma_bearing_rad`` and the disc's ``along_sigma_m``)
    so that an update of a known track re-linearises the bearing at the track's own distance.
    """

    time_s: FloatArray
    z: FloatArray
    r: FloatArray
    sensor: npt.NDArray[np.intp]
    sensor_names: tuple[str, ...]
    hints: tuple[ClassHint | None, ...] = ()
    alt_m: FloatArray | None = None
    alt_sigma_m: FloatArray | None = None
    bearing_site: FloatArray | None = None
    bearing_rad: FloatArray | None = None
    sigma_bearing_rad: FloatArray | None = None
    along_sigma_m: FloatArray | None = None
    cooperative: npt.NDArray[np.bool_] | None = None
    one_per_target: npt.NDArray[np.bool_] | None = None
    """Plots of a scanning sensor (a radar, a plain detection list): one per target per
    batch and sensor. Acoustic nodes of one network and citizens are many ears."""

    def __len__(self) -> int:
        return len(self.time_s)

    @classmethod
    def positions(
        cls, time_s: FloatArray, xy_m: FloatArray, sigma_m: FloatArray, sensor: str = "plane"
    ) -> PlaneMeasurements:
        """Plain position detections with circular sigmas, all from one named sensor."""
        n = len(time_s)
        r = np.zeros((n, 2, 2))
        r[:, 0, 0] = r[:, 1, 1] = np.asarray(sigma_m, dtype=np.float64) ** 2
        return cls(
            time_s=np.asarray(time_s, dtype=np.float64),
            z=np.asarray(xy_m, dtype=np.float64).reshape(n, 2),
            r=r,
            sensor=np.zeros(n, dtype=np.intp),
            sensor_names=(sensor,),
            one_per_target=np.ones(n, dtype=bool),
        )

    def take(self, idx: npt.NDArray[np.intp]) -> PlaneMeasurements:
        """The measurements at ``idx`` (same sensor table)."""

        def pick(a: FloatArray | None) -> FloatArray | None:
            return None if a is None else a[idx]

        return PlaneMeasurements(
            time_s=self.time_s[idx],
            z=self.z[idx],
            r=self.r[idx],
            sensor=self.sensor[idx],
            sensor_names=self.sensor_names,
            hints=tuple(self.hints[i] for i in idx.tolist()) if self.hints else (),
            alt_m=pick(self.alt_m),
            alt_sigma_m=pick(self.alt_sigma_m),
            bearing_site=pick(self.bearing_site),
            bearing_rad=pick(self.bearing_rad),
            sigma_bearing_rad=pick(self.sigma_bearing_rad),
            along_sigma_m=pick(self.along_sigma_m),
            cooperative=None if self.cooperative is None else self.cooperative[idx],
            one_per_target=None if self.one_per_target is None else self.one_per_target[idx],
        )


def concat(parts: list[PlaneMeasurements]) -> PlaneMeasurements:
    """One batch from several (sensor tables merged; columns a part lacks are filled)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return PlaneMeasurements.positions(np.zeros(0), np.zeros((0, 2)), np.zeros(0))
    names: dict[str, int] = {}
    sensors = []
    for p in parts:
        table = np.array([names.setdefault(s, len(names)) for s in p.sensor_names], dtype=np.intp)
        sensors.append(table[p.sensor])

    def column(
        values: list[FloatArray | None], fill: float, width: tuple[int, ...] = ()
    ) -> FloatArray | None:
        if all(v is None for v in values):
            return None
        return np.concatenate(
            [
                np.full((len(p), *width), fill) if v is None else v
                for p, v in zip(parts, values, strict=True)
            ]
        )

    coop = None
    if any(p.cooperative is not None for p in parts):
        coop = np.concatenate(
            [
                np.zeros(len(p), dtype=bool) if p.cooperative is None else p.cooperative
                for p in parts
            ]
        )
    one = None
    if any(p.one_per_target is not None for p in parts):
        one = np.concatenate(
            [
                np.zeros(len(p), dtype=bool) if p.one_per_target is None else p.one_per_target
                for p in parts
            ]
        )
    hints: tuple[ClassHint | None, ...] = ()
    if any(p.hints for p in parts):
        hints = tuple(h for p in parts for h in (p.hints or (None,) * len(p)))
    return PlaneMeasurements(
        time_s=np.concatenate([p.time_s for p in parts]),
        z=np.concatenate([p.z for p in parts]),
        r=np.concatenate([p.r for p in parts]),
        sensor=np.concatenate(sensors),
        sensor_names=tuple(names),
        hints=hints,
        alt_m=column([p.alt_m for p in parts], np.nan),
        alt_sigma_m=column([p.alt_sigma_m for p in parts], np.nan),
        bearing_site=column([p.bearing_site for p in parts], np.nan, (2,)),
        bearing_rad=column([p.bearing_rad for p in parts], np.nan),
        sigma_bearing_rad=column([p.sigma_bearing_rad for p in parts], np.nan),
        along_sigma_m=column([p.along_sigma_m for p in parts], np.nan),
        cooperative=coop,
        one_per_target=one,
    )


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

    _MAX_SITES = 200_000

    def __init__(
        self,
        frame: LocalFrame,
        assumed_alt_m: float,
        assumed_alt_sigma_m: float,
        cooperative_sensors: frozenset[str] = frozenset(),
    ) -> None:
        self.frame = frame
        self.assumed_alt_m = assumed_alt_m
        self.assumed_alt_sigma_m = assumed_alt_sigma_m
        self.cooperative_sensors = cooperative_sensors
        # fixed sites (radars, acoustic nodes): index by (lat, lon); geometry in arrays
        self._index: dict[tuple[float, float], int] = {}
        self._site_en = np.zeros((0, 2))
        self._site_jac = np.zeros((0, 2, 2))

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
        alt = np.full(n, np.nan)
        alt_sigma = np.full(n, np.nan)
        b_site = np.full((n, 2), np.nan)
        b_rad = np.full(n, np.nan)
        b_sigma = np.full(n, np.nan)
        b_along = np.full(n, np.nan)
        polar: list[int] = []
        polar_rows: list[tuple[float, ...]] = []
        acoustic: list[int] = []
        acoustic_rows: list[tuple[float, ...]] = []
        absolute: list[int] = []
        abs_rows: list[tuple[float, float, float, float, float]] = []
        names: dict[str, int] = {}
        sensor = np.empty(n, dtype=np.intp)
        for i, report in enumerate(reports):
            sensor[i] = names.setdefault(report.sensor_id, len(names))
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
                e = m.estimate
                abs_rows.append(
                    (
                        e.lat_deg,
                        e.lon_deg,
                        m.sigma_m,
                        np.nan if e.alt_m is None else e.alt_m,
                        m.sigma_m,
                    )
                )
            elif isinstance(m, PositionMeasurement):
                absolute.append(i)
                pt = m.point
                abs_rows.append(
                    (
                        pt.lat_deg,
                        pt.lon_deg,
                        m.sigma_h_m,
                        np.nan if pt.alt_m is None or m.sigma_v_m is None else pt.alt_m,
                        np.nan if m.sigma_v_m is None else m.sigma_v_m,
                    )
                )
        if polar:
            rows = np.array(polar_rows)
            z[polar], cov[polar] = self._polar(rows)
            alt[polar], alt_sigma[polar] = radar_height(rows)
        if acoustic:
            rows = np.array(acoustic_rows)
            z[acoustic], cov[acoustic], geometry = self._acoustic(rows)
            b_site[acoustic], b_rad[acoustic], b_sigma[acoustic], b_along[acoustic] = geometry
        if absolute:
            rows = np.array(abs_rows)
            east, north = self.frame.to_plane(rows[:, 0], rows[:, 1])
            z[absolute] = np.column_stack([east, north])
            cov[absolute] = np.eye(2)[None] * (rows[:, 2] ** 2)[:, None, None]
            alt[absolute], alt_sigma[absolute] = rows[:, 3], rows[:, 4]
        sensor_names = tuple(names)
        coop = np.array([s in self.cooperative_sensors for s in sensor_names], dtype=bool)
        return PlaneMeasurements(
            time_s=np.fromiter((r.time_s for r in reports), dtype=np.float64, count=n),
            z=z,
            r=cov,
            sensor=sensor,
            sensor_names=sensor_names,
            hints=tuple(r.class_hint for r in reports),
            alt_m=alt,
            alt_sigma_m=alt_sigma,
            bearing_site=b_site if acoustic else None,
            bearing_rad=b_rad if acoustic else None,
            sigma_bearing_rad=b_sigma if acoustic else None,
            along_sigma_m=b_along if acoustic else None,
            cooperative=coop[sensor] if coop.any() else None,
        )

    def _to_plane(
        self,
        site_lat: FloatArray,
        site_lon: FloatArray,
        dist: FloatArray,
        brg: FloatArray,
        along: FloatArray,
        across: FloatArray,
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Points and covariances in the plane; also the sites and the plane bearings."""
        se, sn, jac = self._site_geometry(site_lat, site_lon)
        b = np.radians(brg)
        local = np.column_stack([np.sin(b), np.cos(b)])
        direction = np.einsum("nij,nj->ni", jac, local)
        site = np.column_stack([se, sn])
        z = site + direction * dist[:, None]
        cov = jac @ local_cov(along, across, brg) @ jac.transpose(0, 2, 1)
        return z, cov, site, np.arctan2(direction[:, 0], direction[:, 1])

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
        z, cov, _, _ = self._to_plane(site_lat, site_lon, ground, brg, along, across)
        return z, cov

    def _acoustic(
        self, rows: FloatArray
    ) -> tuple[FloatArray, FloatArray, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
        site_lat, site_lon, radius, brg, sig_b_deg = rows.T
        has_b = ~np.isnan(brg)
        brg = np.where(has_b, brg, 0.0)
        dist = np.where(has_b, 2.0 * radius / 3.0, 0.0)
        # radial spread of a uniform disc: sqrt(E[r^2] - E[r]^2) = radius / (3 sqrt 2)
        along = np.where(has_b, radius / (3.0 * np.sqrt(2.0)), radius / 2.0)
        across = np.where(has_b, np.maximum(dist * np.radians(sig_b_deg), 1.0), radius / 2.0)
        z, cov, site, plane_brg = self._to_plane(site_lat, site_lon, dist, brg, along, across)
        site = np.where(has_b[:, None], site, np.nan)
        return z, cov, (site, plane_brg, np.radians(sig_b_deg), along)


def radar_height(rows: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Height and its sigma of radar plots with an elevation (NaN without one).

    Rows as in ``PlaneConverter._polar``. Height above the site's ellipsoid height with the
    4/3-earth refraction model: ``h = h_site + R sin(el) + (R cos el)^2 / (2 k a)``.
    """
    _, _, site_alt, rng, _, elev, sig_r, _, sig_e_deg = rows.T
    el = np.radians(elev)
    ground = rng * np.cos(el)
    height = site_alt + rng * np.sin(el) + ground**2 / (2.0 * _EFFECTIVE_EARTH_RADIUS_M)
    sigma = np.hypot(np.sin(el) * sig_r, ground * np.radians(sig_e_deg))
    return height, sigma


_EFFECTIVE_EARTH_RADIUS_M = 4.0 / 3.0 * 6_371_000.0


def polar_in_plane(
    time_s: FloatArray,
    site_en: FloatArray,
    range_m: FloatArray,
    bearing_deg: FloatArray,
    sigma_range_m: FloatArray,
    sigma_bearing_deg: FloatArray,
    sensor: npt.NDArray[np.intp],
    sensor_names: tuple[str, ...],
) -> PlaneMeasurements:
    """Radar plots (ground range, bearing) from sites given in the plane (a flat local area)."""
    b = np.radians(bearing_deg)
    z = site_en + np.column_stack([range_m * np.sin(b), range_m * np.cos(b)])
    across = np.maximum(range_m, 1.0) * np.radians(sigma_bearing_deg)
    return PlaneMeasurements(
        time_s=time_s,
        z=z,
        r=local_cov(sigma_range_m, across, bearing_deg),
        sensor=sensor,
        sensor_names=sensor_names,
        one_per_target=np.ones(len(time_s), dtype=bool),
    )


def bearings_in_plane(
    time_s: FloatArray,
    site_en: FloatArray,
    radius_m: FloatArray,
    bearing_deg: FloatArray,
    sigma_bearing_deg: FloatArray,
    sensor: npt.NDArray[np.intp],
    sensor_names: tuple[str, ...],
) -> PlaneMeasurements:
    """Acoustic detections (presence within a radius, bearing) from nodes given in the plane.

    Same model as ``PlaneConverter`` for Reports: the point at 2/3 of the radius along the
    bearing, the disc's spread along it, the bearing error across.
    """
    b = np.radians(bearing_deg)
    dist = 2.0 * radius_m / 3.0
    along = radius_m / (3.0 * np.sqrt(2.0))
    z = site_en + np.column_stack([dist * np.sin(b), dist * np.cos(b)])
    return PlaneMeasurements(
        time_s=time_s,
        z=z,
        r=local_cov(along, np.maximum(dist * np.radians(sigma_bearing_deg), 1.0), bearing_deg),
        sensor=sensor,
        sensor_names=sensor_names,
        bearing_site=site_en,
        bearing_rad=b,
        sigma_bearing_rad=np.radians(sigma_bearing_deg),
        along_sigma_m=along,
    )
