"""A node that restarts resumes: its tracks from the tracker's snapshot, its open warnings
from its store, so that a warning carries on with its next sequence number and nothing is
sent twice or lost; without a snapshot, a warning whose track is gone is closed as LOST."""

from __future__ import annotations

from pathlib import Path

from dronewarn.domain.sensor import SensorConfig, SensorKind, WireFormat
from dronewarn.domain.warning import WarningState
from dronewarn.formats.capture import read_capture
from dronewarn.harness.in_process import (
    InProcessNodes,
    SimulatedScenario,
    Window,
    simulate_scenario,
)
from dronewarn.node.node import build_node
from dronewarn.node.track_snapshot import load_snapshot, save_snapshot
from dronewarn.sense.asterix_input import AsterixInput
from dronewarn.sim.scenario import load_scenario
from dronewarn.sim.stream import ReplayClock
from dronewarn.store.sqlite import Direction, SqliteStore

DATA = Path(__file__).parents[1] / "data"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"


def _restart(
    night: InProcessNodes, world: SimulatedScenario, node_id: str, tmp_path: Path, snapshot: bool
) -> None:
    """Stop ``node_id`` and start a new one from its store (and snapshot) in its place."""
    old = night.nodes[node_id]
    path = tmp_path / "tracks.npz"
    if snapshot:
        save_snapshot(path, old.tracker.export_state(), old.now_s)
    old.store.close()
    fresh = build_node(old.config, world.countries, SqliteStore(tmp_path / f"{node_id}.sqlite"))
    found = load_snapshot(path) if snapshot else None
    fresh.resume(None if found is None else found[0])
    for partner_id, link in old.links.items():
        fresh.links[partner_id] = link
    night.nodes[node_id] = fresh


def _twenty_minutes(tmp_path: Path) -> tuple[SimulatedScenario, InProcessNodes, float]:
    """one-drone.yaml's first 20 minutes: BY's warning to PL is open."""
    scenario = load_scenario(DATA / "one-drone.yaml")
    world = simulate_scenario(scenario)
    night = InProcessNodes(world, store_dir=tmp_path)
    split = scenario.start_s + 20 * 60
    night.run(Window(scenario.start_s, split), ReplayClock(scenario.start_s, None))
    return world, night, split


def test_a_restart_carries_the_warning_on(tmp_path: Path) -> None:
    world, night, split = _twenty_minutes(tmp_path)
    scenario = world.scenario
    before = night.nodes["BY"].warnings_out()
    assert before and not any(w.state.is_closing for w in before if w.area == "POL")
    track_ids = {t.track_id for t in night.nodes["BY"].picture()}
    _restart(night, world, "BY", tmp_path, snapshot=True)
    assert {t.track_id for t in night.nodes["BY"].picture()} == track_ids  # same tracks
    night.run(Window(split, scenario.end_s), ReplayClock(split, None))
    sent = night.nodes["BY"].store.warnings(Direction.OUT)
    pol = [w for w in sent if w.area == "POL"]
    assert len({w.warning_id for w in pol}) == 1  # the same warning, not a new one
    assert [w.sequence for w in pol] == list(range(1, len(pol) + 1))
    assert pol[-1].state is WarningState.CROSSED
    received = night.nodes["PL"].warnings_in()
    assert len(received) == len({(w.warning_id, w.sequence) for w in received})
    night.close()


def test_without_its_tracks_a_restored_warning_is_closed_as_lost(tmp_path: Path) -> None:
    world, night, split = _twenty_minutes(tmp_path)
    old_ids = {w.track_id for w in night.nodes["BY"].warnings_out()}
    _restart(night, world, "BY", tmp_path, snapshot=False)
    night.run(Window(split, split + 120), ReplayClock(split, None))
    by = night.nodes["BY"]
    lost = [w for w in by.warnings_out() if w.state is WarningState.LOST]
    assert {w.track_id for w in lost} == old_ids
    # the tracker numbers new tracks past the old ones: no new track takes an old id
    assert not {t.track_id for t in by.picture()} & old_ids
    night.close()


def test_a_feed_in_the_wrong_edition_gets_a_hint() -> None:
    capture = SAMPLES / "asterix" / "asterix.pcap"
    if not capture.exists():
        return
    sensor = SensorConfig(
        "sdps", SensorKind.RADAR, wire=WireFormat.ASTERIX, asterix_editions=("62:1.20",)
    )
    wire = AsterixInput(sensor)  # configured wrong: never overridden, the hint names 0.17
    for item in read_capture(capture):
        wire.decode(item.payload, item.timestamp_s or 0.0)
    hint = wire.edition_hint()
    assert hint == (
        "0 of 50 CAT062 records decode as edition 1.20; 50 decode as 0.17: try "
        'editions = {"62" = "0.17"}'
    )  # the 50 most recent failing datagrams
    unset = AsterixInput(SensorConfig("sdps", SensorKind.RADAR, wire=WireFormat.ASTERIX))
    for item in read_capture(capture):
        unset.decode(item.payload, item.timestamp_s or 0.0)
    assert unset.edition_hint().startswith("CAT062 read as edition 0.17, detected")
    right = AsterixInput(
        SensorConfig(
            "sdps", SensorKind.RADAR, wire=WireFormat.ASTERIX, asterix_editions=("62:0.17",)
        )
    )
    for item in read_capture(capture):
        right.decode(item.payload, item.timestamp_s or 0.0)
    assert right.edition_hint() == ""


def test_the_store_reads_warnings_since_a_row(tmp_path: Path) -> None:
    """What the picture's ledger reads each time: only the messages stored since it last read,
    both directions, in the order they were stored."""
    _, night, _ = _twenty_minutes(tmp_path)
    store = night.nodes["PL"].store
    everything = store.warnings_after(0)
    assert {d for _, d, _ in everything} == {Direction.IN}
    assert [w for _, _, w in everything] == store.warnings(Direction.IN)
    rows = [row for row, _, _ in everything]
    assert rows == sorted(rows) and len(set(rows)) == len(rows)
    assert store.warnings_after(rows[-1]) == []
    assert [w for _, _, w in store.warnings_after(rows[0])] == store.warnings(Direction.IN)[1:]
