"""Sensor emulators: turn ground truth into the Reports each sensor would send.

Until the wire-format encoders land (issue: formats), emulators produce Reports directly;
the node takes them through the same ``sense`` entry point real decoders will feed.

* ``radar`` / ``airborne_radar``: a rotating antenna. A target is seen at the moment the beam
  passes its bearing, if it is within range and above the 4/3-earth radar horizon, with
  probability ``pd``; range and bearing get Gaussian errors; clutter is Poisson per scan and
  uniform over the coverage disc. Plots of one scan are delivered together at the end of the
  scan plus ``latency_s``. Slant range and bearing are computed in 3-D through ECEF.
* ``acoustic_strip`` / ``acoustic_grid``: nodes on a grid; every ``report_period_s`` each node
  hears drones within ``radius_km`` (horizontal) with probability ``pd`` and reports a bearing
  with ``sigma_bearing_deg`` error after a latency drawn from ``latency_s``.
* ``cuas``: a counter-drone sensor on a mast: every ``update_period_s`` each drone within
  ``max_range_km`` and above the radar horizon is located with probability ``pd``, with
  ``sigma_m`` horizontal and ``sigma_alt_m`` vertical error, and classified as its true type
  with probability ``class_accuracy`` (else unknown); the sensor's processor sends each
  update's detections together after ``latency_s``.
* ``remote_id``: receivers at fixed sites; every ``update_period_s`` each broadcasting drone
  (its type has ``remote_id``) within ``range_km`` of a receiver is heard with probability
  ``pd`` and reports its own GNSS position, off by ``sigma_m`` / ``sigma_alt_m``; the source
  is the drone's serial number (``rid:<serial>``).
* ``sighting``: citizens near drones over ``country`` report at a Poisson rate: their own
  position, a compass bearing and elevation to the drone, and an estimate of its position off
  by ``error_km``; delayed by ``delay_s``; ``false_fraction`` of all sightings are false.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import shapely
from scipy.spatial import cKDTree

from dronewarn.domain.report import (
    BearingMeasurement,
    ClassHint,
    GeoPoint,
    ObjectClass,
    PolarMeasurement,
    PositionMeasurement,
    Report,
    SightingMeasurement,
)
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.frame import line_of_sight, radar_horizon_m
from dronewarn.sim.scenario import (
    AcousticGridSensor,
    AcousticStripSensor,
    AirborneRadarSensor,
    CuasSensor,
    RadarSensor,
    RemoteIdSensor,
    Scenario,
    Sensor,
    SightingSensor,
)
from dronewarn.sim.stream import Delivery
from dronewarn.sim.truth import Truth

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def sensor_rng(seed: int, sensor_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(sensor_id.encode()), 7])


def emulate(
    scenario: Scenario, truth: Truth, airspace: AirspaceMap, sensor: Sensor
) -> list[Delivery]:
    """All deliveries one sensor makes over the scenario window (none during its outages:
    what it observed then is never sent)."""
    rng = sensor_rng(scenario.seed, sensor.id)
    if isinstance(sensor, RadarSensor | AirborneRadarSensor):
        made = _radar(scenario, truth, airspace, sensor, rng)
    elif isinstance(sensor, AcousticStripSensor | AcousticGridSensor):
        made = _acoustic(scenario, truth, airspace, sensor, rng)
    elif isinstance(sensor, CuasSensor):
        made = _cuas(scenario, truth, sensor, rng)
    elif isinstance(sensor, RemoteIdSensor):
        made = _remote_id(scenario, truth, airspace, sensor, rng)
    else:
        made = _sightings(scenario, truth, airspace, sensor, rng)
    return _outside_outages(made, sensor)


def _outside_outages(deliveries: list[Delivery], sensor: Sensor) -> list[Delivery]:
    if not sensor.outages:
        return deliveries
    spans = [(o.start.timestamp(), o.end.timestamp()) for o in sensor.outages]
    kept: list[Delivery] = []
    for delivery in deliveries:
        reports = tuple(r for r in delivery.reports if not any(a <= r.time_s < b for a, b in spans))
        if reports:
            kept.append(replace(delivery, reports=reports))
    return kept


# ---------------------------------------------------------------- radar


class AntennaOrbit:
    """Where a radar's antenna is at a given time: fixed, or flying a circle."""

    def __init__(self, airspace: AirspaceMap, sensor: RadarSensor | AirborneRadarSensor) -> None:
        self.airspace = airspace
        self.sensor = sensor
        if isinstance(sensor, RadarSensor):
            self.centre = airspace.frame.to_plane(*sensor.site)
        else:
            self.centre = airspace.frame.to_plane(*sensor.orbit_centre)

    def site(self, time_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(lat, lon, alt) of the antenna at each time."""
        sensor = self.sensor
        if isinstance(sensor, RadarSensor):
            ones = np.ones_like(time_s)
            return sensor.site[0] * ones, sensor.site[1] * ones, sensor.antenna_alt_m * ones
        angle = 2.0 * np.pi * time_s / sensor.orbit_period_s
        radius = sensor.orbit_radius_km * 1000.0
        east = self.centre[0] + radius * np.sin(angle)
        north = self.centre[1] + radius * np.cos(angle)
        lat, lon = self.airspace.frame.from_plane(east, north)
        return lat, lon, np.full_like(time_s, sensor.alt_m)


def _radar(
    scenario: Scenario,
    truth: Truth,
    airspace: AirspaceMap,
    sensor: RadarSensor | AirborneRadarSensor,
    rng: np.random.Generator,
) -> list[Delivery]:
    period = sensor.scan_period_s
    phase = float(rng.uniform(0.0, period))
    scans = np.arange(scenario.start_s + phase, scenario.end_s, period)
    orbit = AntennaOrbit(airspace, sensor)
    max_range = sensor.max_range_km * 1000.0
    airborne = isinstance(sensor, AirborneRadarSensor)
    antenna_height = (
        sensor.alt_m if isinstance(sensor, AirborneRadarSensor) else sensor.antenna_alt_m
    )

    scan_idx: list[IntArray] = []
    times: list[FloatArray] = []
    ranges: list[FloatArray] = []
    bearings: list[FloatArray] = []
    elevations: list[FloatArray] = []
    sites: list[tuple[FloatArray, FloatArray, FloatArray]] = []
    for drone in truth.drones:
        k = np.nonzero((scans >= drone.launch_s) & (scans <= drone.end_s))[0]
        if not len(k):
            continue
        t_scan = scans[k]
        site_lat, site_lon, site_alt = orbit.site(t_scan)
        lat, lon = drone.latlon_at(t_scan)
        first = line_of_sight(site_lat, site_lon, site_alt, lat, lon, drone.alt_m)
        t_hit = t_scan + first.bearing_deg / 360.0 * period
        ok = t_hit <= drone.end_s
        k, t_hit = k[ok], t_hit[ok]
        site_lat, site_lon, site_alt = orbit.site(t_hit)
        lat, lon = drone.latlon_at(t_hit)
        los = line_of_sight(site_lat, site_lon, site_alt, lat, lon, drone.alt_m)
        ground = los.ground_range_m
        visible = (ground <= max_range) & (ground <= radar_horizon_m(antenna_height, drone.alt_m))
        detected = visible & (rng.random(len(k)) < sensor.pd)
        if not detected.any():
            continue
        n = int(detected.sum())
        scan_idx.append(k[detected])
        times.append(t_hit[detected])
        ranges.append(los.slant_range_m[detected] + rng.normal(0, sensor.sigma_range_m, n))
        bearings.append(los.bearing_deg[detected] + rng.normal(0, sensor.sigma_bearing_deg, n))
        elevations.append(los.elevation_deg[detected] + rng.normal(0, 0.5, n))
        sites.append((site_lat[detected], site_lon[detected], site_alt[detected]))

    # clutter: Poisson per scan, uniform over the coverage disc
    counts = rng.poisson(sensor.clutter_per_scan, len(scans))
    c_scan = np.repeat(np.arange(len(scans)), counts)
    c_bearing = rng.uniform(0.0, 360.0, len(c_scan))
    c_time = scans[c_scan] + c_bearing / 360.0 * period
    c_range = max_range * np.sqrt(rng.uniform(0.0, 1.0, len(c_scan)))
    c_lat, c_lon, c_alt = orbit.site(c_time)
    scan_idx.append(c_scan)
    times.append(c_time)
    ranges.append(c_range)
    bearings.append(c_bearing)
    elevations.append(rng.uniform(-2.0, 5.0, len(c_scan)))
    sites.append((c_lat, c_lon, c_alt))

    all_scan = np.concatenate(scan_idx)
    all_time = np.concatenate(times)
    all_range = np.concatenate(ranges)
    all_bearing = np.mod(np.concatenate(bearings), 360.0)
    all_elev = np.concatenate(elevations)
    all_site = [np.concatenate([s[i] for s in sites]) for i in range(3)]
    order = np.lexsort((all_time, all_scan))
    columns = [
        a[order].tolist() for a in (all_scan, all_time, all_range, all_bearing, all_elev, *all_site)
    ]
    fixed_site = (
        GeoPoint(sensor.site[0], sensor.site[1], sensor.antenna_alt_m)
        if isinstance(sensor, RadarSensor)
        else None
    )
    by_scan: dict[int, list[Report]] = defaultdict(list)
    for scan, t, rng_m, brg, elev, lat, lon, alt in zip(*columns, strict=True):
        measurement = PolarMeasurement(
            site=fixed_site or GeoPoint(lat, lon, alt),
            range_m=max(rng_m, 0.0),
            bearing_deg=brg,
            sigma_range_m=sensor.sigma_range_m,
            sigma_bearing_deg=sensor.sigma_bearing_deg,
            elevation_deg=elev if airborne else None,
            sigma_elevation_deg=0.5 if airborne else None,
        )
        by_scan[scan].append(Report(sensor.id, t, measurement, source=f"{sensor.id}/scan{scan}"))
    return [
        Delivery(float(scans[scan]) + period + sensor.latency_s, sensor.node, sensor.id, tuple(r))
        for scan, r in sorted(by_scan.items())
    ]


# ---------------------------------------------------------------- acoustic


def acoustic_sites(
    airspace: AirspaceMap, sensor: AcousticStripSensor | AcousticGridSensor
) -> FloatArray:
    """Node positions (N x 2, scenario plane) of an acoustic network."""
    if isinstance(sensor, AcousticStripSensor):
        region = airspace.border_strip(sensor.country, sensor.along, sensor.depth_km * 1000.0)
    else:
        box = sensor.area
        lat = np.array([box.south_deg, box.south_deg, box.north_deg, box.north_deg])
        lon = np.array([box.west_deg, box.east_deg, box.east_deg, box.west_deg])
        east, north = airspace.frame.to_plane(lat, lon)
        region = shapely.intersection(
            shapely.polygons(np.column_stack([east, north])), airspace.polygon(sensor.country)
        )
    spacing = sensor.spacing_km * 1000.0
    west, south, east_edge, north_edge = region.bounds
    xs = np.arange(west, east_edge + spacing, spacing)
    ys = np.arange(south, north_edge + spacing, spacing)
    grid_x, grid_y = np.meshgrid(xs, ys)
    gx, gy = grid_x.ravel(), grid_y.ravel()
    shapely.prepare(region)
    inside = shapely.intersects_xy(region, gx, gy)
    return np.column_stack([gx[inside], gy[inside]])


def _acoustic(
    scenario: Scenario,
    truth: Truth,
    airspace: AirspaceMap,
    sensor: AcousticStripSensor | AcousticGridSensor,
    rng: np.random.Generator,
) -> list[Delivery]:
    sites = acoustic_sites(airspace, sensor)
    if not len(sites):
        return []
    site_lat, site_lon = airspace.frame.from_plane(sites[:, 0], sites[:, 1])
    period = sensor.report_period_s
    phase = float(rng.uniform(0.0, period))
    ticks = np.arange(scenario.start_s + phase, scenario.end_s, period)
    radius = sensor.radius_km * 1000.0
    lo_e, lo_n = sites.min(axis=0) - radius
    hi_e, hi_n = sites.max(axis=0) + radius

    rows_t: list[FloatArray] = []
    rows_e: list[FloatArray] = []
    rows_n: list[FloatArray] = []
    for drone in truth.drones:
        t = ticks[(ticks >= drone.launch_s) & (ticks <= drone.end_s)]
        east, north = drone.position_at(t)
        near = (east >= lo_e) & (east <= hi_e) & (north >= lo_n) & (north <= hi_n)
        rows_t.append(t[near])
        rows_e.append(east[near])
        rows_n.append(north[near])
    t_all = np.concatenate(rows_t)
    if not len(t_all):
        return []
    positions = np.column_stack([np.concatenate(rows_e), np.concatenate(rows_n)])
    pairs = cKDTree(positions).sparse_distance_matrix(cKDTree(sites), radius, output_type="ndarray")
    heard = pairs[rng.random(len(pairs)) < sensor.pd]
    drone_row = heard["i"].astype(np.int64)
    node = heard["j"].astype(np.int64)
    d_e = positions[drone_row, 0] - sites[node, 0]
    d_n = positions[drone_row, 1] - sites[node, 1]
    bearing = np.mod(
        np.degrees(np.arctan2(d_e, d_n)) + rng.normal(0, sensor.sigma_bearing_deg, len(node)),
        360.0,
    )
    time_s = t_all[drone_row]
    # the node's acoustic ingest forwards what arrived in each report period as one batch
    arrival = np.ceil((time_s + rng.uniform(*sensor.latency_s, len(node))) / period) * period
    groups: dict[float, list[Report]] = defaultdict(list)
    order = np.lexsort((time_s, arrival))
    node_sites = [
        GeoPoint(la, lo, 0.0) for la, lo in zip(site_lat.tolist(), site_lon.tolist(), strict=True)
    ]
    for j, t, brg, when in zip(
        node[order].tolist(),
        time_s[order].tolist(),
        bearing[order].tolist(),
        arrival[order].tolist(),
        strict=True,
    ):
        measurement = BearingMeasurement(
            site=node_sites[j],
            radius_m=radius,
            bearing_deg=brg,
            sigma_bearing_deg=sensor.sigma_bearing_deg,
        )
        groups[when].append(Report(sensor.id, t, measurement, source=f"{sensor.id}/n{j:05d}"))
    return [
        Delivery(when, sensor.node, sensor.id, tuple(reports))
        for when, reports in sorted(groups.items())
    ]


# ---------------------------------------------------------------- counter-drone sensors


def _object_class(drone_type: str) -> ObjectClass:
    try:
        return ObjectClass(drone_type)
    except ValueError:
        return ObjectClass.UNKNOWN


def _cuas(
    scenario: Scenario, truth: Truth, sensor: CuasSensor, rng: np.random.Generator
) -> list[Delivery]:
    period = sensor.update_period_s
    phase = float(rng.uniform(0.0, period))
    ticks = np.arange(scenario.start_s + phase, scenario.end_s, period)
    lat0, lon0 = sensor.site
    reach = sensor.max_range_km * 1000.0
    updates: dict[int, list[Report]] = defaultdict(list)
    for drone in truth.drones:
        k = np.nonzero((ticks >= drone.launch_s) & (ticks <= drone.end_s))[0]
        if not len(k):
            continue
        lat, lon = drone.latlon_at(ticks[k])
        # a cheap flat-earth cut first: a C-UAS sees a few km of a night-long track
        rough = np.hypot(lat - lat0, (lon - lon0) * np.cos(np.radians(lat0))) * 111_320.0
        near = rough <= 1.2 * reach
        if not near.any():
            continue
        k, lat, lon = k[near], lat[near], lon[near]
        ground = line_of_sight(lat0, lon0, sensor.mast_alt_m, lat, lon, drone.alt_m).ground_range_m
        seen = (ground <= reach) & (ground <= radar_horizon_m(sensor.mast_alt_m, drone.alt_m))
        seen &= rng.random(len(k)) < sensor.pd
        if not seen.any():
            continue
        n = int(seen.sum())
        # metres to degrees on the spot: errors of tens of metres, a local tangent plane is exact
        north_err = rng.normal(0.0, sensor.sigma_m, n)
        east_err = rng.normal(0.0, sensor.sigma_m, n)
        lat_s = lat[seen] + np.degrees(north_err / 6_371_000.0)
        lon_s = lon[seen] + np.degrees(east_err / (6_371_000.0 * np.cos(np.radians(lat[seen]))))
        alt_s = drone.alt_m + rng.normal(0.0, sensor.sigma_alt_m, n)
        right = rng.random(n) < sensor.class_accuracy
        conf = rng.uniform(0.6, 0.95, n)
        true_class = _object_class(drone.drone_type)
        for tick, la, lo, al, ok, c in zip(
            k[seen].tolist(),
            lat_s.tolist(),
            lon_s.tolist(),
            alt_s.tolist(),
            right.tolist(),
            conf.tolist(),
            strict=True,
        ):
            hint = ClassHint(true_class if ok else ObjectClass.UNKNOWN, round(c, 2))
            measurement = PositionMeasurement(
                GeoPoint(la, lo, al), sensor.sigma_m, sensor.sigma_alt_m
            )
            updates[tick].append(
                Report(sensor.id, float(ticks[tick]), measurement, hint, f"{sensor.id}/u{tick}")
            )
    return _updates_delivered(updates, ticks, sensor)


# ---------------------------------------------------------------- Remote ID receivers


def _updates_delivered(
    updates: dict[int, list[Report]],
    ticks: npt.NDArray[np.float64],
    sensor: CuasSensor | RemoteIdSensor,
) -> list[Delivery]:
    """One delivery per update tick that heard something, ``latency_s`` after it."""
    return [
        Delivery(float(ticks[tick]) + sensor.latency_s, sensor.node, sensor.id, tuple(reports))
        for tick, reports in sorted(updates.items())
    ]


def _remote_id(
    scenario: Scenario,
    truth: Truth,
    airspace: AirspaceMap,
    sensor: RemoteIdSensor,
    rng: np.random.Generator,
) -> list[Delivery]:
    period = sensor.update_period_s
    ticks = np.arange(scenario.start_s + float(rng.uniform(0.0, period)), scenario.end_s, period)
    site_e, site_n = airspace.frame.to_plane(
        np.array([s[0] for s in sensor.sites]), np.array([s[1] for s in sensor.sites])
    )
    receivers = cKDTree(np.column_stack([site_e, site_n]))
    reach = sensor.range_km * 1000.0
    updates: dict[int, list[Report]] = defaultdict(list)
    for drone in truth.drones:
        if drone.remote_id is None:
            continue
        k = np.nonzero((ticks >= drone.launch_s) & (ticks <= drone.end_s))[0]
        if not len(k):
            continue
        east, north = drone.position_at(ticks[k])
        distance, _ = receivers.query(np.column_stack([east, north]))
        heard = (distance <= reach) & (rng.random(len(k)) < sensor.pd)
        if not heard.any():
            continue
        n = int(heard.sum())
        lat, lon = airspace.frame.from_plane(
            east[heard] + rng.normal(0.0, sensor.sigma_m, n),
            north[heard] + rng.normal(0.0, sensor.sigma_m, n),
        )
        alt = drone.alt_m + rng.normal(0.0, sensor.sigma_alt_m, n)
        true_class = _object_class(drone.drone_type)
        hint = None if true_class is ObjectClass.UNKNOWN else ClassHint(true_class, 0.99)
        for tick, la, lo, al in zip(
            k[heard].tolist(), lat.tolist(), lon.tolist(), alt.tolist(), strict=True
        ):
            measurement = PositionMeasurement(
                GeoPoint(la, lo, al), sensor.sigma_m, sensor.sigma_alt_m
            )
            updates[tick].append(
                Report(sensor.id, float(ticks[tick]), measurement, hint, f"rid:{drone.remote_id}")
            )
    return _updates_delivered(updates, ticks, sensor)


# ---------------------------------------------------------------- sightings


def _sightings(
    scenario: Scenario,
    truth: Truth,
    airspace: AirspaceMap,
    sensor: SightingSensor,
    rng: np.random.Generator,
) -> list[Delivery]:
    rate_per_s = sensor.rate_per_drone_per_min / 60.0
    reach = sensor.max_distance_km * 1000.0
    events: list[tuple[float, float, float, float, float, float, float]] = []
    for drone in truth.drones:
        over = airspace.contains(sensor.country, drone.east_m, drone.north_m)
        if not over.any():
            continue
        step = float(np.median(np.diff(drone.t_s))) if len(drone.t_s) > 1 else 1.0
        count = int(rng.poisson(rate_per_s * over.sum() * step))
        if not count:
            continue
        idx = rng.choice(np.nonzero(over)[0], size=count)
        for i in idx.tolist():
            t = float(drone.t_s[i])
            de, dn = float(drone.east_m[i]), float(drone.north_m[i])
            r = reach * np.sqrt(rng.random())
            a = rng.uniform(0.0, 2.0 * np.pi)
            re, rn = de + r * np.sin(a), dn + r * np.cos(a)
            bearing = np.degrees(np.arctan2(de - re, dn - rn)) + rng.normal(0.0, 10.0)
            elevation = np.degrees(np.arctan2(drone.alt_m, max(r, 1.0))) + rng.normal(0.0, 3.0)
            err = rng.uniform(*sensor.error_km) * 1000.0
            b = rng.uniform(0.0, 2.0 * np.pi)
            events.append(
                (t, re, rn, bearing, float(elevation), de + err * np.sin(b), dn + err * np.cos(b))
            )
    true_count = len(events)
    false_count = round(true_count * sensor.false_fraction / (1.0 - sensor.false_fraction))
    for _ in range(false_count):
        base = events[int(rng.integers(true_count))]
        shift = rng.uniform(15e3, 60e3)
        a = rng.uniform(0.0, 2.0 * np.pi)
        re, rn = base[1] + shift * np.sin(a), base[2] + shift * np.cos(a)
        bearing = rng.uniform(0.0, 360.0)
        dist = rng.uniform(1e3, 4e3)
        t = float(rng.uniform(scenario.start_s, scenario.end_s))
        events.append(
            (
                t,
                re,
                rn,
                bearing,
                float(rng.uniform(10.0, 60.0)),
                re + dist * np.sin(np.radians(bearing)),
                rn + dist * np.cos(np.radians(bearing)),
            )
        )
    if not events:
        return []
    data = np.asarray(events)
    r_lat, r_lon = airspace.frame.from_plane(data[:, 1], data[:, 2])
    e_lat, e_lon = airspace.frame.from_plane(data[:, 5], data[:, 6])
    delays = rng.uniform(*sensor.delay_s, len(data))
    sigma = float(np.mean(sensor.error_km)) * 1000.0
    out = []
    for i in range(len(data)):
        measurement = SightingMeasurement(
            reporter=GeoPoint(float(r_lat[i]), float(r_lon[i]), 0.0),
            bearing_deg=float(np.mod(data[i, 3], 360.0)),
            elevation_deg=float(np.clip(data[i, 4], 0.0, 90.0)),
            estimate=GeoPoint(float(e_lat[i]), float(e_lon[i]), None),
            sigma_m=sigma,
        )
        report = Report(sensor.id, float(data[i, 0]), measurement, source=f"{sensor.id}/s{i:05d}")
        out.append(Delivery(float(data[i, 0] + delays[i]), sensor.node, sensor.id, (report,)))
    return out
