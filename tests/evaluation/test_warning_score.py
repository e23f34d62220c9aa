"""The warning score against truth: every non-crosser a distractor, possible lead from the
sensors' coverage, closing states judged, cancellation delays."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dronewarn.assess.forecast_log import Forecast
from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.warning import Warning, WarningGrade, WarningState
from dronewarn.evaluation.coverage import first_visible
from dronewarn.evaluation.forecast_score import score_forecasts
from dronewarn.evaluation.warning_score import score_warnings
from dronewarn.harness.in_process import scenario_airspaces
from dronewarn.sim.drones import build_truth
from dronewarn.sim.scenario import Outage, load_scenario
from dronewarn.sim.truth import Truth

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


def _forecast(
    truth: Truth,
    drone_id: str,
    at_s: float,
    probability: float,
    cls: ObjectClass,
    confidence: float,
) -> Forecast:
    lat, lon = truth.by_id()[drone_id].latlon_at(at_s)
    return Forecast(
        at_s, "PL", "POL", f"T-{drone_id}", float(lat), float(lon), probability, cls, confidence
    )


def test_forecasts_are_scored_against_what_the_drones_did(night) -> None:  # type: ignore[no-untyped-def]
    _scenario, airspace, truth = night
    g1, p1 = truth.by_id()["G1"], truth.by_id()["P1"]
    crossing = g1.crossing_into("POL")
    assert crossing is not None and p1.crossing_into("POL") is None
    sure = [_forecast(truth, "G1", crossing.time_s - 600.0, 1.0, ObjectClass.GERBERA, 0.9)]
    sure += [_forecast(truth, "P1", p1.launch_s + 300.0, 0.0, ObjectClass.SHAHED, 0.9)]
    perfect = score_forecasts(truth, airspace.frame, sure, "POL")
    assert (perfect.forecasts, perfect.matched, perfect.entered) == (2, 2, 1)
    assert perfect.brier == 0.0 and perfect.brier_skill == 1.0
    wrong = [dataclasses.replace(f, probability=1.0 - f.probability) for f in sure]
    assert score_forecasts(truth, airspace.frame, wrong, "POL").brier == 1.0
    # beyond the horizon: G1 crosses 10 min after the forecast, the horizon is 5 min
    late = score_forecasts(truth, airspace.frame, sure, "POL", horizon_s=300.0)
    assert late.entered == 0 and late.brier == 0.5
    # class reliability: G1 and P1 are gerberas; P1 was named a shahed at 0.9 confidence
    classes = perfect.class_reliability
    assert ObjectClass(p1.drone_type) is ObjectClass.GERBERA
    assert classes["gerbera"]["accuracy"] == 1.0
    assert classes["shahed"]["accuracy"] == 0.0
    assert classes["shahed"]["calibration_error"] == pytest.approx(0.9)
    # another country's forecasts are not this one's
    assert score_forecasts(truth, airspace.frame, sure, "LTU").forecasts == 0


def test_watches_are_counted_apart_from_warnings(night) -> None:  # type: ignore[no-untyped-def]
    _scenario, airspace, truth = night
    g1, p1 = truth.by_id()["G1"], truth.by_id()["P1"]
    crossing = g1.crossing_into("POL")
    assert crossing is not None
    watch = WarningGrade.WATCH
    received = [
        dataclasses.replace(
            _message(truth, "G1", crossing.time_s - 1500.0, WarningState.NEW, "W1"), grade=watch
        ),
        _message(truth, "G1", crossing.time_s - 700.0, WarningState.UPDATE, "W1"),
        dataclasses.replace(
            _message(truth, "P1", p1.launch_s + 300.0, WarningState.NEW, "W2"), grade=watch
        ),
    ]
    score = score_warnings(truth, airspace.frame, "PL", "POL", received, (0.0, 1e12))
    assert score.crossers_warned == 1 and score.lead_time_min_median == pytest.approx(
        700 / 60, abs=0.01
    )
    assert score.crossers_watched == 1 and score.watched_10min == 1
    assert score.distractors_warned == 0 and score.distractors_watched_only == 1
    assert score.false_chains == 0 and score.watch_chains == 1
    assert score.false_watch_fraction == pytest.approx(1 / score.distractors)
