"""The warning score against truth: every non-crosser a distractor, possible lead from the
sensors' coverage, closing states judged, cancellation delays."""

from __future__ import annotations

from pathlib import Path

import pytest

from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.warning import Warning, WarningState
from dronewarn.evaluation.coverage import first_visible
from dronewarn.evaluation.warning_score import score_warnings
from dronewarn.harness.in_process import scenario_airspaces
from dronewarn.sim.drones import build_truth
from dronewarn.sim.scenario import Outage, load_scenario

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def night():  # type: ignore[no-untyped-def]
    scenario = load_scenario(DATA / "one-drone.yaml")
    airspace, _ = scenario_airspaces(scenario)
    return scenario, airspace, build_truth(scenario, airspace)


def _message(truth, drone_id: str, at_s: float, state: WarningState, chain: str) -> Warning:  # type: ignore[no-untyped-def]
    drone = truth.by_id()[drone_id]
    lat, lon = drone.latlon_at(at_s)
    return Warning(
        warning_id=chain,
        sequence=1 if state is WarningState.NEW else 2,
        state=state,
        sender="BY",
        recipient="PL",
        track_id=f"T-{drone_id}",
        issued_s=at_s,
        track_position=GeoPoint(float(lat), float(lon), None),
        track_speed_mps=40.0,
        track_course_deg=270.0,
        object_class=ObjectClass.GERBERA,
        entry=None,
    )


def test_coverage_finds_the_radar_horizon_and_outages(night) -> None:  # type: ignore[no-untyped-def]
    scenario, airspace, truth = night
    seen = first_visible(scenario, airspace, truth, ["BY"])
    for drone in truth.drones:
        assert drone.launch_s <= seen[drone.drone_id] <= drone.launch_s + 20.0  # in range
    assert first_visible(scenario, airspace, truth, ["PL"]) == {}  # PL has no sensor
    radar = scenario.sensors[0]
    outage = Outage(start=scenario.start, end=scenario.end)
    down = scenario.model_copy(update={"sensors": [radar.model_copy(update={"outages": [outage]})]})
    assert first_visible(down, airspace, truth, ["BY"]) == {}


def test_closing_states_and_efficiency_against_truth(night) -> None:  # type: ignore[no-untyped-def]
    scenario, airspace, truth = night
    g1 = truth.by_id()["G1"]
    crossing = g1.crossing_into("POL")
    assert crossing is not None
    p1 = truth.by_id()["P1"]
    received = [
        _message(truth, "G1", crossing.time_s - 900.0, WarningState.NEW, "W1"),
        _message(truth, "G1", crossing.time_s + 5.0, WarningState.CROSSED, "W1"),
        _message(truth, "P1", p1.launch_s + 300.0, WarningState.NEW, "W2"),
        _message(truth, "P1", p1.launch_s + 900.0, WarningState.LOST, "W2"),
    ]
    seen = first_visible(scenario, airspace, truth, ["BY"])
    score = score_warnings(
        truth,
        airspace.frame,
        "PL",
        "POL",
        received,
        (scenario.start_s, scenario.end_s),
        visible=seen,
        airspace=airspace,
    )
    assert score.crossers == 1 and score.warned_10min == 1
    # P1 is an explicit drone, not a declared distractor, and still counts as one
    assert score.distractors == 1 and score.distractors_declared == 0
    assert score.distractors_warned == 1 and score.false_warning_fraction == 1.0
    assert score.visible_10min == 1 and score.warned_10min_visible_fraction == 1.0
    possible = crossing.time_s - seen["G1"]
    assert score.lead_efficiency_median == pytest.approx(900.0 / possible, abs=1e-3)
    # W1 closed as crossed (right); W2 as lost while P1 flew on (wrong: it never came)
    assert score.closing == {"crossed": {"crossed": 1}, "lost": {"turned_away": 1}}
    assert score.closing_correct_fraction == 0.5


def test_cancel_delay_runs_from_the_evident_turn(night) -> None:  # type: ignore[no-untyped-def]
    scenario, airspace, truth = night
    p1 = truth.by_id()["P1"]  # flies north along the border: its course never enters Poland
    opened, closed = p1.launch_s + 300.0, p1.launch_s + 900.0
    received = [
        _message(truth, "P1", opened, WarningState.NEW, "W2"),
        _message(truth, "P1", closed, WarningState.TURNED_AWAY, "W2"),
    ]
    score = score_warnings(
        truth,
        airspace.frame,
        "PL",
        "POL",
        received,
        (scenario.start_s, scenario.end_s),
        airspace=airspace,
    )
    assert score.closing == {"turned_away": {"turned_away": 1}}
    assert score.closing_correct_fraction == 1.0
    assert score.cancel_delay_s_median == pytest.approx(closed - opened, abs=1.0)
