"""Expand a scenario's waves, loiter groups and explicit drones into ground truth.

Deterministic for a seed: every drone draws from its own random stream, keyed by
(seed, group, index), so editing one group never changes another's drones.

A wave drone's launch time is solved, not guessed: its path is flown from a relative t = 0,
the first moment it is inside ``cross_into`` is found, and the launch is set so that this
moment falls at a time drawn uniformly from ``crossing_window``. A turn-back wave's drones
fly their route until ``turn_back_km`` from the border of ``cross_into``, then home along
it; the moment of the turn falls in ``crossing_window``, and a path that would enter the
country anyway (heading noise, a stray) is redrawn. Loiter drones are redrawn until their
whole path stays ``avoid_margin_km`` away from every ``avoid`` country.
"""

from __future__ import annotations

import hashlib
import itertools
import zlib
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from dronewarn.domain.errors import ScenarioError
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.sim.motion import Flight, Stray, fly
from dronewarn.sim.scenario import ExplicitDrone, LoiterGroup, Scenario, Wave
from dronewarn.sim.truth import Crossing, DroneTruth, Role, Truth

FloatArray = npt.NDArray[np.float64]
_MAX_REDRAWS = 60


def drone_rng(seed: int, group: str, index: int) -> np.random.Generator:
    """The random stream of one drone."""
    return np.random.default_rng([seed, zlib.crc32(group.encode()), index])


def build_truth(scenario: Scenario, airspace: AirspaceMap) -> Truth:
    """All drones of the scenario, clipped to its time window."""
    drones: list[DroneTruth] = []
    for wave in scenario.waves:
        drones.extend(_wave_drones(scenario, airspace, wave))
    for group in scenario.loiter:
        drones.extend(_loiter_drones(scenario, airspace, group))
    for index, spec in enumerate(scenario.drones):
        drones.append(_explicit_drone(scenario, airspace, spec, index))
    return Truth(drones=tuple(d for d in drones if len(d.t_s) >= 2))


def _draw_type(mix: dict[str, float], rng: np.random.Generator) -> str:
    names = sorted(mix)
    weights = np.array([mix[n] for n in names])
    return str(names[int(rng.choice(len(names), p=weights / weights.sum()))])


def _draw_stray(scenario: Scenario, rng: np.random.Generator, duration_s: float) -> Stray | None:
    motion = scenario.motion
    if rng.random() >= motion.stray_probability:
        return None
    sign = 1.0 if rng.random() < 0.5 else -1.0
    return Stray(
        start_s=float(rng.uniform(0.05, 0.6) * duration_s),
        duration_s=float(rng.uniform(*motion.stray_duration_s)),
        offset_deg=sign * float(rng.uniform(*motion.stray_deg)),
    )


def _project(airspace: AirspaceMap, latlon: list[tuple[float, float]]) -> FloatArray:
    lat = np.array([p[0] for p in latlon])
    lon = np.array([p[1] for p in latlon])
    east, north = airspace.frame.to_plane(lat, lon)
    return np.column_stack([east, north])


def _path_length_m(points: FloatArray) -> float:
    return float(np.sum(np.hypot(*np.diff(points, axis=0).T)))


def _wave_legs(wave: Wave) -> Iterator[tuple[list[tuple[float, float]], str]]:
    for leg in wave.legs:
        for _ in range(leg.count):
            yield [*wave.route, *leg.to], leg.place
    for _ in range(wave.count - sum(leg.count for leg in wave.legs)):
        yield list(wave.route), ""


def _wave_drones(scenario: Scenario, airspace: AirspaceMap, wave: Wave) -> list[DroneTruth]:
    out: list[DroneTruth] = []
    mix = wave.type_mix or scenario.type_mix
    for index, (route, place) in enumerate(_wave_legs(wave)):
        rng = drone_rng(scenario.seed, f"wave:{wave.id}", index)
        drone_id = f"{wave.id}{index + 1:02d}"
        for _attempt in range(_MAX_REDRAWS):
            kind = _draw_type(mix, rng)
            spec = scenario.drone_types[kind]
            speed = float(rng.uniform(*spec.speed_kmh)) / 3.6
            points = _project(airspace, route)
            points[1:] += rng.normal(0.0, wave.spread_km * 1000.0, size=points[1:].shape)
            if wave.cross_into is not None and wave.turn_back_km is not None:
                turned = _turned_back(airspace, points, wave.cross_into, wave.turn_back_km)
                if turned is None:
                    continue
                points = turned
            stray = _draw_stray(scenario, rng, _path_length_m(points) / speed)
            flight = _fly(scenario, points, speed, stray, rng)
            if wave.cross_into is None:
                moment = 0.0
                break
            inside = airspace.contains(wave.cross_into, flight.east_m, flight.north_m)
            if wave.turn_back_km is None and inside.any() and not inside[0]:
                moment = float(flight.t_s[int(np.argmax(inside))])
                break
            if wave.turn_back_km is not None and not inside.any():
                moment = _turn_time(flight)
                break
        else:
            raise ScenarioError(
                scenario.source_path or scenario.name,
                None,
                f"waves[{scenario.waves.index(wave)}]",
                f"wave {wave.id}: "
                + (
                    f"its drones never come {wave.turn_back_km} km from {wave.cross_into} "
                    "without entering it"
                    if wave.turn_back_km is not None
                    else f"its drones never enter {wave.cross_into}"
                )
                + "; check route and legs",
            )
        window = wave.crossing_window or wave.launch_window
        assert window is not None  # the scenario's validation
        first, last = (moment_.timestamp() for moment_ in window)
        launch = float(rng.uniform(first, last)) - moment
        out.append(
            _truth(
                scenario,
                airspace,
                drone_id,
                kind,
                f"wave {wave.id}",
                Role.CROSSER if wave.crosses else Role.DISTRACTOR,
                place,
                speed,
                rng,
                flight,
                launch,
            )
        )
    return out


def _turned_back(
    airspace: AirspaceMap, points: FloatArray, country: str, distance_km: float
) -> FloatArray | None:
    """The route flown until ``distance_km`` from ``country``, then back the way it came;
    None if the route never comes that close."""
    step_m = 250.0
    samples = [points[:1]]
    for a, b in itertools.pairwise(points):
        n = max(int(np.hypot(*(b - a)) / step_m), 1)
        samples.append(a + (b - a) * (np.arange(1, n + 1) / n)[:, None])
    dense = np.concatenate(samples)
    gap = airspace.signed_distance_m(country, dense[:, 0], dense[:, 1])
    close = np.nonzero(gap <= distance_km * 1000.0)[0]
    if not len(close) or close[0] == 0:
        return None
    turn_along_m = _along_m(dense)[close[0]]
    before = points[_along_m(points) < turn_along_m]
    return np.concatenate([before, dense[close[0]][None, :], before[::-1]])


def _along_m(points: FloatArray) -> FloatArray:
    return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])


def _turn_time(flight: Flight) -> float:
    """When a turned-back flight is farthest from its start: the turn."""
    gone = np.hypot(flight.east_m - flight.east_m[0], flight.north_m - flight.north_m[0])
    return float(flight.t_s[int(np.argmax(gone))])


def _loiter_drones(
    scenario: Scenario, airspace: AirspaceMap, group: LoiterGroup
) -> list[DroneTruth]:
    out: list[DroneTruth] = []
    margin = group.avoid_margin_km * 1000.0
    box = group.area
    mix = group.type_mix or scenario.type_mix
    for index in range(group.count):
        rng = drone_rng(scenario.seed, f"loiter:{group.id}", index)
        for _attempt in range(_MAX_REDRAWS):
            kind = _draw_type(mix, rng)
            speed = float(rng.uniform(*scenario.drone_types[kind].speed_kmh)) / 3.6
            legs = int(rng.integers(group.legs[0], group.legs[1] + 1))
            lat = rng.uniform(box.south_deg, box.north_deg, legs + 1)
            lon = rng.uniform(box.west_deg, box.east_deg, legs + 1)
            points = _project(airspace, list(zip(lat.tolist(), lon.tolist(), strict=True)))
            stray = _draw_stray(scenario, rng, _path_length_m(points) / speed)
            flight = _fly(scenario, points, speed, stray, rng)
            if not any(
                airspace.path_comes_within(country, flight.east_m, flight.north_m, margin)
                for country in group.avoid
            ):
                break
        else:
            raise ScenarioError(
                scenario.source_path or scenario.name,
                None,
                f"loiter[{scenario.loiter.index(group)}]",
                f"no path found that keeps {group.avoid_margin_km} km from {group.avoid}",
            )
        if group.launch_window is not None:
            first, last = (moment.timestamp() for moment in group.launch_window)
        else:
            duration = float(flight.t_s[-1])
            first, last = scenario.start_s, max(scenario.start_s, scenario.end_s - duration)
        launch = float(rng.uniform(first, last))
        out.append(
            _truth(
                scenario,
                airspace,
                f"{group.id}-{index + 1:02d}",
                kind,
                f"loiter {group.id}",
                Role.DISTRACTOR,
                "",
                speed,
                rng,
                flight,
                launch,
            )
        )
    return out


def _explicit_drone(
    scenario: Scenario, airspace: AirspaceMap, spec: ExplicitDrone, index: int
) -> DroneTruth:
    rng = drone_rng(scenario.seed, f"drone:{spec.id}", index)
    points = _project(airspace, list(spec.route))
    speed = spec.speed_kmh / 3.6
    stray = _draw_stray(scenario, rng, _path_length_m(points) / speed) if spec.strays else None
    noise = spec.heading_noise_deg
    flight = fly(
        points,
        speed,
        scenario.motion.step_s,
        scenario.motion.heading_noise_deg if noise is None else noise,
        scenario.motion.heading_noise_tau_s,
        stray,
        rng,
    )
    return _truth(
        scenario,
        airspace,
        spec.id,
        spec.type,
        "explicit",
        Role.EXPLICIT,
        "",
        speed,
        rng,
        flight,
        spec.launch.timestamp(),
        alt_m=spec.alt_m,
    )


def _fly(
    scenario: Scenario,
    points: FloatArray,
    speed: float,
    stray: Stray | None,
    rng: np.random.Generator,
) -> Flight:
    motion = scenario.motion
    return fly(
        points,
        speed,
        motion.step_s,
        motion.heading_noise_deg,
        motion.heading_noise_tau_s,
        stray,
        rng,
    )


def _truth(
    scenario: Scenario,
    airspace: AirspaceMap,
    drone_id: str,
    kind: str,
    group: str,
    role: Role,
    destination: str,
    speed: float,
    rng: np.random.Generator,
    flight: Flight,
    launch_s: float,
    alt_m: float | None = None,
) -> DroneTruth:
    spec = scenario.drone_types[kind]
    altitude = float(rng.uniform(*spec.alt_m)) if alt_m is None else alt_m
    rcs = float(rng.uniform(*spec.rcs_m2))
    t_abs = flight.t_s + launch_s
    keep = (t_abs >= scenario.start_s) & (t_abs <= scenario.end_s)
    east, north = flight.east_m[keep], flight.north_m[keep]
    t_abs = t_abs[keep]
    lat, lon = airspace.frame.from_plane(east, north)
    start_country = ""
    crossings: list[Crossing] = []
    if len(t_abs):
        owner = airspace.area_at(east, north, scenario.countries)
        start_country = str(owner[0])
        for country in scenario.countries:
            inside = owner == country
            outside = np.nonzero(~inside)[0]
            if not len(outside):
                continue
            # entering from outside: the first time inside after the first time outside
            # (for a country it started in, that is coming back)
            back = inside[outside[0] :]
            if back.any():
                i = int(outside[0] + np.argmax(back))
                crossings.append(Crossing(country, float(t_abs[i]), float(lat[i]), float(lon[i])))
    crossings.sort(key=lambda c: c.time_s)
    return DroneTruth(
        drone_id=drone_id,
        drone_type=kind,
        group=group,
        role=role,
        destination=destination,
        speed_mps=speed,
        alt_m=altitude,
        rcs_m2=rcs,
        t_s=t_abs,
        east_m=east,
        north_m=north,
        lat_deg=lat,
        lon_deg=lon,
        heading_deg=flight.heading_deg[keep],
        start_country=start_country,
        crossings=tuple(crossings),
        remote_id=remote_id_serial(scenario.name, drone_id) if spec.remote_id else None,
    )


def remote_id_serial(scenario_name: str, drone_id: str) -> str:
    """A Remote ID serial number in the ANSI/CTA-2063-A form: a 4-character manufacturer
    code, one character giving the length of the rest, then the rest (10 characters)."""
    digest = hashlib.sha256(f"{scenario_name}:{drone_id}".encode()).hexdigest().upper()
    return f"1SIMA{digest[:10]}"
