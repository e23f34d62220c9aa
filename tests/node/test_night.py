"""End to end: simulator -> sense -> track -> assess -> share -> partner's store."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from dronewarn.domain.warning import WarningState
from dronewarn.harness.in_process import (
    InProcessNodes,
    SimulatedScenario,
    Window,
    simulate_scenario,
)
from dronewarn.harness.launcher import NightRun
from dronewarn.harness.summary import summarise
from dronewarn.sim.scenario import PolicySpec, load_scenario
from dronewarn.sim.stream import ReplayClock

DATA = Path(__file__).parent.parent / "data"


def test_one_drone_is_warned_and_the_parallel_one_is_not() -> None:
    scenario = load_scenario(DATA / "one-drone.yaml")
    world = simulate_scenario(scenario)
    by_id = world.truth.by_id()
    crossing = by_id["G1"].crossing_into("POL")
    assert crossing is not None and by_id["P1"].crossing_into("POL") is None
    night = InProcessNodes(world)
    window = Window(scenario.start_s, scenario.end_s)
    night.run(window, ReplayClock(scenario.start_s, None))
    everything = night.nodes["PL"].warnings_in()
    received = [w for w in everything if w.area == "POL"]
    news = [w for w in received if w.state is WarningState.NEW]
    assert len(news) == 1
    new = news[0]
    assert new.sender == "BY" and new.entry is not None
    lead_s = crossing.time_s - new.issued_s
    assert lead_s > 10 * 60  # BY's radar sees it 30+ minutes out
    # the true crossing time falls in the first message's window; as the drone nears the
    # border the predicted entry point closes in on the true one
    assert new.entry.earliest_s <= crossing.time_s <= new.entry.latest_s
    last = [w for w in received if w.entry is not None and w.issued_s < crossing.time_s][-1]
    assert last.entry is not None
    assert abs(last.entry.point.lat_deg - crossing.lat_deg) < 0.1
    assert abs(last.entry.point.lon_deg - crossing.lon_deg) < 0.15
    closing = [w for w in received if w.state.is_closing]
    assert [w.state for w in closing] == [WarningState.CROSSED]
    summary = summarise(world, night.outcomes(), window, 0.0)
    score = summary.scores["PL"]
    assert (score.crossers, score.crossers_warned, score.false_chains) == (1, 1, 0)


def test_one_hour_of_the_night(night_world: SimulatedScenario, tmp_path: Path) -> None:
    scenario = night_world.scenario
    window = Window(scenario.start_s + 1.5 * 3600, scenario.start_s + 2.5 * 3600)  # 21:30-22:30
    night = InProcessNodes(night_world, store_dir=tmp_path)
    night.run(window, ReplayClock(window.start_s, None))
    by, pl = night.nodes["BY"], night.nodes["PL"]
    sent = [(w.warning_id, w.sequence) for w in by.warnings_out() if w.recipient == "PL"]
    got = [(w.warning_id, w.sequence) for w in pl.warnings_in() if w.sender == "BY"]
    assert sent and sorted(sent) == sorted(got)  # every message delivered, exactly once
    assert pl.duplicates == 0
    assert (tmp_path / "PL.sqlite").exists()
    summary = summarise(night_world, night.outcomes(), window, 0.0)
    score = summary.scores["PL"]
    crossing_times = sorted(
        c.time_s
        for d in night_world.truth.drones
        if (c := d.crossing_into("POL")) is not None and c.time_s in window
    )
    assert score.crossers == len(crossing_times) >= 8
    # a drone crossing in the first minutes of the slice cannot have been warned
    later = [t for t in crossing_times if t > window.start_s + 20 * 60]
    assert score.crossers_warned >= len(later)
    assert summary.primary == "PL"
    assert summary.rejected == {}


def test_nodes_in_their_own_processes_give_the_same_night() -> None:
    scenario = load_scenario(DATA / "one-drone.yaml")
    world = simulate_scenario(scenario)
    window = Window(scenario.start_s, scenario.end_s)
    night = InProcessNodes(world)
    night.run(window, ReplayClock(scenario.start_s, None))
    together = summarise(world, night.outcomes(), window, 0.0).to_dict()
    with NightRun(scenario) as run:
        run.start()
        run.wait_ready()
        apart = summarise(world, run.feed(world, window, None), window, 0.0).to_dict()
    delivery: dict[str, dict[str, int]] = apart.pop("link_delivery")  # type: ignore[assignment]
    assert together.pop("link_delivery") == {}  # one process: no signed links
    # forecasts are sampled on each process's own tick, so their probabilities
    # may differ in the fourth decimal; their count and score must agree
    for recipient, row in together["by_recipient"].items():  # type: ignore[attr-defined]
        ours, theirs = row.pop("forecast"), apart["by_recipient"][recipient].pop("forecast")  # type: ignore[index]
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert ours["forecasts"] == theirs["forecasts"]
            assert abs(ours["brier"] - theirs["brier"]) < 0.01
    assert together == apart
    assert together["crossers_warned"] == 1
    # over the signed links: everything BY sent was acknowledged, nothing refused
    assert delivery["BY->PL"]["sent"] == delivery["BY->PL"]["acked"] > 0
    assert all(link["rejected"] == 0 and link["expired"] == 0 for link in delivery.values())


def test_operator_suppresses_and_confirms_with_reasons_on_record() -> None:
    scenario = load_scenario(DATA / "one-drone.yaml")
    world = simulate_scenario(scenario)
    night = InProcessNodes(world)
    night.run(
        Window(scenario.start_s, scenario.start_s + 25 * 60), ReplayClock(scenario.start_s, None)
    )
    by, pl = night.nodes["BY"], night.nodes["PL"]
    (warning_id,) = {w.warning_id for w in by.warnings_out() if w.area == "POL"}
    by.confirm_warning(warning_id, "duty-officer-1", "seen on two radars")
    zone_ids = {w.warning_id for w in by.warnings_out() if w.area == "STRIP"}
    by.neutralise_warning(zone_ids.pop(), "duty-officer-1", "shot down over Brest")
    by.suppress_warning(warning_id, "duty-officer-1", "friendly test flight")
    actions = by.store.actions()
    assert [(a.action, a.reason) for a in actions] == [
        ("confirm", "seen on two radars"),
        ("neutralise", "shot down over Brest"),
        ("suppress", "friendly test flight"),
    ]
    assert WarningState.NEUTRALISED in {w.state for w in pl.warnings_in() if w.area == "STRIP"}
    cancelled = [w for w in pl.warnings_in() if w.warning_id == warning_id][-1]
    assert cancelled.state is WarningState.CANCELLED
    # the suppressed track does not warn again
    night.run(
        Window(scenario.start_s + 25 * 60, scenario.end_s), ReplayClock(scenario.start_s, None)
    )
    later = [w for w in pl.warnings_in() if w.area == "POL" and w.issued_s > actions[-1].time_s]
    assert later == []


def test_partners_are_warned_about_their_zones_too() -> None:
    scenario = load_scenario(DATA / "one-drone.yaml")
    world = simulate_scenario(scenario)
    night = InProcessNodes(world)
    night.run(Window(scenario.start_s, scenario.end_s), ReplayClock(scenario.start_s, None))
    received = night.nodes["PL"].warnings_in()
    by_area = {w.area: w for w in received if w.state is WarningState.NEW}
    assert set(by_area) == {"POL", "ZONE1", "STRIP"}
    assert by_area["ZONE1"].warning_id.startswith("BY-PL-ZONE1-W")
    crossing = world.truth.by_id()["G1"].crossing_into("POL")
    assert crossing is not None
    # the strip starts at the border: entering it is crossing the border
    strip = by_area["STRIP"].entry
    assert strip is not None and abs(strip.time_s - by_area["POL"].entry.time_s) < 120  # type: ignore[union-attr]
    # the airport-like circle lies 30 km inside Poland: entered later than the border
    zone = by_area["ZONE1"].entry
    assert zone is not None and zone.time_s > crossing.time_s


def test_a_node_process_that_dies_is_reported_not_waited_for() -> None:
    scenario = load_scenario(DATA / "one-drone.yaml")
    world = simulate_scenario(scenario)
    signal.alarm(120)  # a hang would fail the run instead of blocking it
    try:
        with NightRun(scenario) as run:
            run.start()
            run.wait_ready()
            by = next(p for p in run._processes if p.node_id == "BY")
            by.process.kill()  # as the OOM killer or a power cut would
            with pytest.raises(RuntimeError, match="BY"):
                run.feed(world, Window(scenario.start_s, scenario.end_s), 600.0)
    finally:
        signal.alarm(0)


def test_the_sharing_policy_is_applied_and_what_it_withholds_is_recorded() -> None:
    scenario = load_scenario(DATA / "one-drone.yaml")
    by = scenario.nodes[0].model_copy(
        update={
            "share": {
                "PL": PolicySpec(areas=["POL", "ZONE1"], position_precision_deg=0.05),
            }
        }
    )
    scenario = scenario.model_copy(update={"nodes": [by, *scenario.nodes[1:]]})
    world = simulate_scenario(scenario)
    night = InProcessNodes(world)
    night.run(Window(scenario.start_s, scenario.end_s), ReplayClock(scenario.start_s, None))
    received = night.nodes["PL"].warnings_in()
    assert {w.area for w in received} == {"POL", "ZONE1"}
    for w in received:
        if w.entry is not None:
            assert (
                abs(w.track_position.lat_deg / 0.05 - round(w.track_position.lat_deg / 0.05)) < 1e-6
            )
    withheld = night.nodes["BY"].store.withheld()
    assert withheld and {reason for _, _, reason in withheld} == {
        "area STRIP not shared",
        "its warning was withheld",
    }
    assert {warning_id for _, warning_id, _ in withheld} == {"BY-PL-STRIP-W0001"}


def test_partners_share_their_air_picture_and_rate_warnings() -> None:
    scenario = load_scenario(DATA / "one-drone.yaml")
    world = simulate_scenario(scenario)
    night = InProcessNodes(world)
    night.run(Window(scenario.start_s, scenario.end_s), ReplayClock(scenario.start_s, None))
    by, pl = night.nodes["BY"], night.nodes["PL"]
    # BY shared the tracks near Poland (its policy: within 50 km, every 10 s)
    assert by.tracks_sent.get("PL", 0) > 0
    picture = pl.partner_pictures["BY"]
    assert picture["tracks"] and all(t["track_id"].startswith("BY-") for t in picture["tracks"])
    assert any(reasons for _, reasons in by.store.withheld_tracks())  # the rest was kept back
    # PL's duty officer rates BY's warning: BY hears it
    warning_id = pl.warnings_in()[0].warning_id
    pl.rate_warning(warning_id, "useful", "duty officer PL", "tracked it in")
    assert by.store.feedback() == [("PL", warning_id, "useful", None)]
    assert pl.store.actions()[-1].action == "rated useful"
    night.close()
