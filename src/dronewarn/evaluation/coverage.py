"""When a node could first have seen each drone: ground truth against its sensors' coverage.

The physical limit of a warning's lead time: a node cannot warn about a drone before any of
its sensors could see it. For every drone, its true path is sampled every ``step_s`` and
tested against each sensor of the node, as the simulator's emulators decide visibility
(``sim.sensors``), without the random part (detection probability, clutter):

* radar and airborne radar: within ``max_range_km`` and above the 4/3-earth radar horizon;
* counter-drone sensor: the same, from its mast;
* acoustic networks: within ``radius_km`` of one of their nodes;
* sightings: over the sensor's country;

and outside the sensor's outages. A drone's first visible moment is the earliest over all
sensors of the nodes asked about.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

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
)
from dronewarn.sim.sensors import AntennaOrbit, acoustic_sites
from dronewarn.sim.truth import DroneTruth, Truth

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def first_visible(
    scenario: Scenario,
    airspace: AirspaceMap,
    truth: Truth,
    node_ids: Iterable[str],
    step_s: float = 10.0,
) -> dict[str, float]:
    """Drone id -> the first time any sensor of ``node_ids`` could see it (seen drones only)."""
    wanted = set(node_ids)
    sensors = [s for s in scenario.sensors if s.node in wanted]
    acoustic = {
        s.id: cKDTree(acoustic_sites(airspace, s))
        for s in sensors
        if isinstance(s, AcousticStripSensor | AcousticGridSensor)
    }
    out: dict[str, float] = {}
    for drone in truth.drones:
        times = np.arange(drone.launch_s, drone.end_s + step_s, step_s)
        times = np.minimum(times, drone.end_s)
        seen = np.zeros(len(times), dtype=bool)
        for sensor in sensors:
            seen |= _visible(sensor, airspace, drone, times, acoustic.get(sensor.id))
        if seen.any():
            out[drone.drone_id] = float(times[int(np.argmax(seen))])
    return out


def _visible(
    sensor: Sensor,
    airspace: AirspaceMap,
    drone: DroneTruth,
    times: FloatArray,
    tree: cKDTree | None,
) -> BoolArray:
    if isinstance(sensor, RadarSensor | AirborneRadarSensor):
        site = AntennaOrbit(airspace, sensor).site(times)
        height = sensor.alt_m if isinstance(sensor, AirborneRadarSensor) else sensor.antenna_alt_m
        visible = _within_reach(site, height, sensor.max_range_km, drone, times)
    elif isinstance(sensor, CuasSensor):
        mast = (sensor.site[0], sensor.site[1], sensor.mast_alt_m)
        visible = _within_reach(mast, sensor.mast_alt_m, sensor.max_range_km, drone, times)
    elif isinstance(sensor, AcousticStripSensor | AcousticGridSensor):
        if tree is None or tree.n == 0:
            return np.zeros(len(times), dtype=bool)
        east, north = drone.position_at(times)
        distance, _ = tree.query(np.column_stack([east, north]))
        visible = np.asarray(distance <= sensor.radius_km * 1000.0)
    elif isinstance(sensor, RemoteIdSensor):  # hears only drones that broadcast
        if drone.remote_id is None:
            return np.zeros(len(times), dtype=bool)
        east, north = drone.position_at(times)
        site_e, site_n = airspace.frame.to_plane(
            np.array([s[0] for s in sensor.sites]), np.array([s[1] for s in sensor.sites])
        )
        distance, _ = cKDTree(np.column_stack([site_e, site_n])).query(
            np.column_stack([east, north])
        )
        visible = np.asarray(distance <= sensor.range_km * 1000.0)
    else:  # sightings: people under the drone, in the sensor's country
        east, north = drone.position_at(times)
        visible = airspace.contains(sensor.country, east, north)
    return visible & ~_in_outage(sensor, times)


def _within_reach(
    site: tuple[FloatArray | float, FloatArray | float, FloatArray | float],
    antenna_height_m: float,
    max_range_km: float,
    drone: DroneTruth,
    times: FloatArray,
) -> BoolArray:
    """Within the sensor's range and above its 4/3-earth radar horizon."""
    lat, lon = drone.latlon_at(times)
    ground = line_of_sight(*site, lat, lon, drone.alt_m).ground_range_m
    reach = np.minimum(max_range_km * 1000.0, radar_horizon_m(antenna_height_m, drone.alt_m))
    return np.asarray(ground <= reach)


def _in_outage(sensor: Sensor, times: FloatArray) -> BoolArray:
    down = np.zeros(len(times), dtype=bool)
    for outage in sensor.outages:
        down |= (times >= outage.start.timestamp()) & (times < outage.end.timestamp())
    return down
