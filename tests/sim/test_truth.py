"""Drone motion and ground truth: determinism, speeds, timing, crossers and distractors."""

from __future__ import annotations

import numpy as np

from dronewarn.geo.airspace import AirspaceMap
from dronewarn.harness.in_process import SimulatedScenario
from dronewarn.sim.drones import build_truth
from dronewarn.sim.scenario import Scenario
from dronewarn.sim.truth import Role


def test_night_has_60_drones_23_crossers_and_37_distractors(night_world: SimulatedScenario) -> None:
    truth = night_world.truth
    assert len(truth.drones) == 60
    crossers = truth.crossers("POL")
    assert len(crossers) == 23
    assert {d.role for d in crossers} == {Role.CROSSER}
    distractors = [d for d in truth.drones if d.role is Role.DISTRACTOR]
    assert len(distractors) == 37
    assert all(d.crossing_into("POL") is None for d in distractors)


def test_same_seed_same_night_other_seed_other_night(
    night: Scenario, night_world: SimulatedScenario, region: AirspaceMap
) -> None:
    again = build_truth(night, night_world.airspace)
    for a, b in zip(night_world.truth.drones, again.drones, strict=True):
        assert a.drone_id == b.drone_id
        np.testing.assert_array_equal(a.t_s, b.t_s)
        np.testing.assert_array_equal(a.lat_deg, b.lat_deg)
    other = build_truth(night.model_copy(update={"seed": 911}), night_world.airspace)
    assert not np.array_equal(other.drones[0].lat_deg, night_world.truth.drones[0].lat_deg)


def test_speeds_match_the_drone_types(night: Scenario, night_world: SimulatedScenario) -> None:
    for drone in night_world.truth.drones:
        spec = night.drone_types[drone.drone_type]
        low, high = (v / 3.6 for v in spec.speed_kmh)
        assert low <= drone.speed_mps <= high, drone.drone_id
        assert spec.alt_m[0] <= drone.alt_m <= spec.alt_m[1]
        # the flown path really has that ground speed
        step = np.hypot(np.diff(drone.east_m), np.diff(drone.north_m)) / np.diff(drone.t_s)
        assert np.allclose(step, drone.speed_mps, rtol=1e-6), drone.drone_id


def test_crossings_fall_in_their_wave_windows(
    night: Scenario, night_world: SimulatedScenario
) -> None:
    windows = {
        f"wave {w.id}": tuple(t.timestamp() for t in w.crossing_window or ()) for w in night.waves
    }
    for drone in night_world.truth.crossers("POL"):
        crossing = drone.crossing_into("POL")
        assert crossing is not None
        start, end = windows[drone.group]
        assert start <= crossing.time_s <= end + 1.0, drone.drone_id


def test_waves_start_at_their_route_and_legs_end_at_their_places(
    night: Scenario, night_world: SimulatedScenario
) -> None:
    by_id = night_world.truth.by_id()
    wave_a = night.waves[0]
    first = by_id["A01"]
    assert abs(first.lat_deg[0] - wave_a.route[0][0]) < 0.01
    assert abs(first.lon_deg[0] - wave_a.route[0][1]) < 0.01
    # two of wave A fly on to Mniszkow, some 230 km west of the border
    to_mniszkow = [d for d in night_world.truth.drones if d.destination == "Mniszkow"]
    assert len(to_mniszkow) == 2
    for drone in to_mniszkow:
        assert abs(drone.lat_deg[-1] - 51.34) < 0.15 and abs(drone.lon_deg[-1] - 20.28) < 0.15


def test_heading_noise_and_strays_bend_paths_but_not_the_mix(
    night_world: SimulatedScenario,
) -> None:
    types = [d.drone_type for d in night_world.truth.drones]
    share = types.count("gerbera") / len(types)
    assert 0.5 <= share <= 0.8
    # paths are not straight lines: heading varies along a flight
    spreads = [np.ptp(np.unwrap(np.radians(d.heading_deg))) for d in night_world.truth.drones]
    assert np.median(spreads) > np.radians(5)
