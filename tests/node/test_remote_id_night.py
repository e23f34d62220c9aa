"""Remote ID end to end: a registered civil drone's broadcasts, heard by Belarus's receivers
through the real Open Drone ID wire format, keep it out of Belarus's warnings to Poland."""

from __future__ import annotations

from pathlib import Path

from dronewarn.harness.in_process import InProcessNodes, Window, simulate_scenario
from dronewarn.harness.summary import summarise
from dronewarn.sim.scenario import Scenario, load_scenario
from dronewarn.sim.stream import ReplayClock

DATA = Path(__file__).parent.parent / "data"


def _score(scenario: Scenario) -> tuple[int, int, int, int]:
    world = simulate_scenario(scenario)
    assert world.truth.by_id()["C1"].crossing_into("POL") is not None
    night = InProcessNodes(world)
    window = Window(scenario.start_s, scenario.end_s)
    night.run(window, ReplayClock(scenario.start_s, None))
    score = summarise(world, night.outcomes(), window, 0.0).scores["PL"]
    return (
        score.crossers,
        score.crossers_warned,
        score.cooperative_drones,
        score.cooperative_alerted,
    )


def test_a_drone_broadcasting_remote_id_is_not_warned_and_the_hostile_one_is() -> None:
    scenario = load_scenario(DATA / "civil-remote-id.yaml")
    assert _score(scenario) == (1, 1, 1, 0)
    # the control: without the Remote ID receivers the civil drone is one more unknown
    # track flying into Poland, and Belarus warns about it too
    deaf = scenario.model_copy(
        update={"sensors": [s for s in scenario.sensors if s.id != "by-rid"]}
    )
    crossers, warned, cooperative, alerted = _score(deaf)
    assert (crossers, warned, cooperative) == (1, 1, 1)
    assert alerted == 1
