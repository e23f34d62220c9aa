"""The scenario format's groups: turn-back waves, waves along a border, type mixes per
group, launch windows, sensor outages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dronewarn.harness.in_process import scenario_airspaces
from dronewarn.sim.drones import build_truth
from dronewarn.sim.scenario import RadarSensor, load_scenario
from dronewarn.sim.sensors import emulate
from dronewarn.sim.truth import Role

SCENARIO = """
name: groups
start: 2025-10-12T20:00:00Z
end: 2025-10-13T02:00:00Z
seed: 11
frame_origin: [51.9, 23.8]
countries: [POL, BLR, UKR]
drone_types:
  gerbera: {speed_kmh: [120, 160], alt_m: [200, 3000]}
  shahed: {speed_kmh: [150, 185], alt_m: [250, 3000]}
type_mix: {gerbera: 0.5, shahed: 0.5}
waves:
  - id: T
    count: 6
    route: [[51.95, 25.30], [51.75, 23.75], [51.70, 22.90]]
    cross_into: POL
    turn_back_km: 12
    crossing_window: [2025-10-12T21:00:00Z, 2025-10-12T22:00:00Z]
    type_mix: {shahed: 1.0}
  - id: A
    count: 4
    route: [[52.30, 24.30], [52.35, 25.60]]
    launch_window: [2025-10-12T20:30:00Z, 2025-10-12T21:00:00Z]
loiter:
  - id: late
    count: 4
    area: {south_deg: 52.0, north_deg: 52.4, west_deg: 24.8, east_deg: 25.8}
    avoid: [POL]
    type_mix: {gerbera: 1.0}
    launch_window: [2025-10-12T23:00:00Z, 2025-10-12T23:30:00Z]
sensors:
  - id: by-radar
    node: BY
    kind: radar
    site: [52.10, 23.80]
    antenna_alt_m: 200
    outages: [{start: 2025-10-12T21:00:00Z, end: 2025-10-12T21:30:00Z}]
nodes:
  - {id: BY, country: BLR, partners: [PL]}
  - {id: PL, country: POL, partners: [BY]}
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("groups") / "groups.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    scenario = load_scenario(path)
    airspace, _ = scenario_airspaces(scenario)
    return scenario, airspace, build_truth(scenario, airspace)


def test_turn_back_wave_comes_close_and_never_enters(world) -> None:  # type: ignore[no-untyped-def]
    scenario, airspace, truth = world
    turned = [d for d in truth.drones if d.group == "wave T"]
    assert len(turned) == 6
    first, last = (t.timestamp() for t in scenario.waves[0].crossing_window)
    for drone in turned:
        assert drone.crossing_into("POL") is None
        assert drone.role is Role.DISTRACTOR
        assert drone.drone_type == "shahed"  # the wave's own mix
        gap = airspace.signed_distance_m("POL", drone.east_m, drone.north_m)
        nearest = int(np.argmin(gap))
        assert 0.0 < gap[nearest] <= 12_000.0 + 4_000.0  # turned near 12 km (heading noise)
        assert first - 120.0 <= drone.t_s[nearest] <= last + 120.0
        assert gap[-1] > gap[nearest] + 50_000.0  # and flew home


def test_wave_with_a_launch_window_flies_its_route(world) -> None:  # type: ignore[no-untyped-def]
    scenario, _, truth = world
    along = [d for d in truth.drones if d.group == "wave A"]
    first, last = (t.timestamp() for t in scenario.waves[1].launch_window)
    assert len(along) == 4
    assert all(first <= d.launch_s <= last for d in along)
    assert all(d.role is Role.DISTRACTOR for d in along)


def test_loiter_group_type_mix_and_launch_window(world) -> None:  # type: ignore[no-untyped-def]
    scenario, _, truth = world
    late = [d for d in truth.drones if d.group == "loiter late"]
    first, last = (t.timestamp() for t in scenario.loiter[0].launch_window)
    assert len(late) == 4
    assert {d.drone_type for d in late} == {"gerbera"}
    assert all(first <= d.launch_s <= last for d in late)


def test_sensor_sends_nothing_during_its_outage(world) -> None:  # type: ignore[no-untyped-def]
    scenario, airspace, truth = world
    radar = scenario.sensors[0]
    assert isinstance(radar, RadarSensor)
    times = [r.time_s for d in emulate(scenario, truth, airspace, radar) for r in d.reports]
    outage = radar.outages[0]
    down = [t for t in times if outage.start.timestamp() <= t < outage.end.timestamp()]
    assert times and not down
    after = [t for t in times if outage.end.timestamp() <= t < outage.end.timestamp() + 600]
    assert after  # it comes back


def test_group_type_mix_must_name_known_types(tmp_path: Path) -> None:
    from dronewarn.domain.errors import ScenarioError

    path = tmp_path / "bad.yaml"
    path.write_text(SCENARIO.replace("type_mix: {shahed: 1.0}", "type_mix: {lancet: 1.0}"))
    with pytest.raises(ScenarioError, match=r"waves\[T\]\.type_mix names unknown drone types"):
        load_scenario(path)


def test_coming_back_into_the_start_country_is_a_crossing(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[1] / "data" / "one-drone.yaml").read_text()
    # G1 flies from Belarus into Poland; send it back into Belarus
    text = text.replace(
        "route: [[51.95, 24.40], [51.62, 23.40], [51.60, 23.00]]",
        "route: [[51.95, 24.40], [51.62, 23.40], [51.60, 23.00], [51.95, 24.40]]",
    )
    path = tmp_path / "back.yaml"
    path.write_text(text)
    scenario = load_scenario(path)
    airspace, _ = scenario_airspaces(scenario)
    drone = build_truth(scenario, airspace).by_id()["G1"]
    into_pol, back = drone.crossing_into("POL"), drone.crossing_into("BLR")
    assert drone.start_country == "BLR"
    assert into_pol is not None and back is not None and back.time_s > into_pol.time_s
