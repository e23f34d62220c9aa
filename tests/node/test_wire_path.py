"""The simulator speaks the real wire formats and a node reads them through its sensor inputs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dronewarn.domain.report import (
    BearingMeasurement,
    ObjectClass,
    PolarMeasurement,
    PositionMeasurement,
    Report,
    SightingMeasurement,
)
from dronewarn.domain.sensor import WireFormat
from dronewarn.geo.geodesic import distance_m
from dronewarn.harness.in_process import (
    InProcessNodes,
    SimulatedScenario,
    Window,
    scenario_node_configs,
    simulate_scenario,
)
from dronewarn.harness.launcher import NightRun
from dronewarn.sense.sensor_input import sensor_input
from dronewarn.sim.scenario import load_scenario
from dronewarn.sim.stream import ReplayClock

SCENARIO = Path(__file__).parents[1] / "data" / "every-format.yaml"


@pytest.fixture(scope="module")
def world() -> SimulatedScenario:
    return simulate_scenario(load_scenario(SCENARIO))


def test_every_sensor_sends_its_wire_format(world: SimulatedScenario) -> None:
    wires = {d.sensor_id: d.wire for d in world.deliveries}
    assert wires == {
        "by-radar": WireFormat.ASTERIX,
        "pl-awacs": WireFormat.ASTERIX,
        "pl-cuas": WireFormat.SAPIENT,
        "pl-acoustic": WireFormat.ACOUSTIC_JSON,
        "ua-eppo": WireFormat.SIGHTING_JSON,
        "pl-rid": WireFormat.ODID,
    }
    assert all(d.payloads for d in world.deliveries if d.reports)
    assert max(len(p) for d in world.deliveries for p in d.payloads if d.sensor_id == "by-radar")
    assert all(
        len(p) <= 1400 for d in world.deliveries if d.wire is WireFormat.ASTERIX for p in d.payloads
    )


def _same(sent: Report, got: Report) -> None:
    """What the sensor observed and what the node decoded agree to the wire's resolution."""
    assert got.sensor_id == sent.sensor_id
    s, g = sent.measurement, got.measurement
    if sent.source.startswith("rid:"):  # Remote ID: tenths of a second, a class from UA type
        assert got.source == sent.source
        assert got.time_s == pytest.approx(sent.time_s, abs=0.051)
        assert isinstance(s, PositionMeasurement) and isinstance(g, PositionMeasurement)
        assert distance_m(g.point.lat_deg, g.point.lon_deg, s.point.lat_deg, s.point.lon_deg) < 0.01
        assert g.sigma_h_m == s.sigma_h_m
        assert got.class_hint is not None and sent.class_hint is not None
        assert got.class_hint.object_class is sent.class_hint.object_class
        return
    assert got.time_s == pytest.approx(sent.time_s, abs=1 / 128)  # ASTERIX: 1/128 s
    if isinstance(s, PolarMeasurement):
        assert isinstance(g, PolarMeasurement)
        assert g.range_m == pytest.approx(s.range_m, abs=1852 / 256)  # 1/256 NM
        assert (g.bearing_deg - s.bearing_deg + 180) % 360 - 180 == pytest.approx(0, abs=0.006)
        # a moving radar's site comes from I034/120: 180/2^23 deg, 2.4 m of latitude
        assert distance_m(g.site.lat_deg, g.site.lon_deg, s.site.lat_deg, s.site.lon_deg) < 2.5
        assert g.sigma_range_m == s.sigma_range_m
    elif isinstance(s, PositionMeasurement):
        assert isinstance(g, PositionMeasurement)
        assert distance_m(g.point.lat_deg, g.point.lon_deg, s.point.lat_deg, s.point.lon_deg) < 0.01
        assert g.sigma_h_m == pytest.approx(s.sigma_h_m, rel=1e-6)
        assert sent.class_hint is not None
        if sent.class_hint.object_class is ObjectClass.UNKNOWN:
            assert got.class_hint is None  # "Air Vehicle" alone could be crewed: no hint
        else:
            assert got.class_hint is not None  # SAPIENT confidences are float32
            assert got.class_hint.object_class is sent.class_hint.object_class
            assert got.class_hint.confidence == pytest.approx(sent.class_hint.confidence, abs=1e-6)
    elif isinstance(s, BearingMeasurement):
        assert isinstance(g, BearingMeasurement)
        assert g.bearing_deg == pytest.approx(s.bearing_deg, abs=0.05)
        assert distance_m(g.site.lat_deg, g.site.lon_deg, s.site.lat_deg, s.site.lon_deg) < 1.0
    else:
        assert isinstance(s, SightingMeasurement) and isinstance(g, SightingMeasurement)
        assert g.bearing_deg == pytest.approx(s.bearing_deg, abs=0.06)
        assert (
            distance_m(
                g.reporter.lat_deg, g.reporter.lon_deg, s.reporter.lat_deg, s.reporter.lon_deg
            )
            < 0.2
        )


def test_decoded_reports_are_the_observed_ones(world: SimulatedScenario) -> None:
    configs = {
        s.sensor_id: s for c in scenario_node_configs(world.scenario).values() for s in c.sensors
    }
    inputs = {sensor_id: sensor_input(config) for sensor_id, config in configs.items()}
    seen = dict.fromkeys(inputs, 0)
    for delivery in world.deliveries:
        wire_input = inputs[delivery.sensor_id]
        got: list[Report] = []
        for payload in delivery.payloads:
            decoded = wire_input.decode(payload, delivery.arrival_s)
            assert decoded.errors == ()
            got.extend(decoded.reports)
        assert len(got) == len(delivery.reports)
        for sent, received in zip(delivery.reports, got, strict=True):
            _same(sent, received)
        seen[delivery.sensor_id] += len(got)
    assert all(count > 20 for count in seen.values()), seen


def test_a_night_on_wire_input_warns_and_refuses_nothing(world: SimulatedScenario) -> None:
    night = InProcessNodes(world)
    scenario = world.scenario
    night.run(Window(scenario.start_s, scenario.end_s), ReplayClock(scenario.start_s, None))
    outcomes = night.outcomes()
    assert all(not o.rejected for o in outcomes.values())
    assert outcomes["PL"].accepted > 3000
    assert {w.track_id for w in outcomes["PL"].warnings_in}  # BY warned PL from CAT048 plots
    assert math.isfinite(night.nodes["PL"].now_s)
    night.close()


def test_through_node_processes_the_same_night_comes_out(world: SimulatedScenario) -> None:
    """Every format over its real socket (UDP ASTERIX, SAPIENT over TCP, MQTT through the
    broker, HTTP sightings) into `dronewarn node run` processes gives what the nodes in one
    process were handed: every report, the same warnings."""
    scenario = world.scenario
    window = Window(scenario.start_s, scenario.end_s)
    night = InProcessNodes(world)
    night.run(window, ReplayClock(scenario.start_s, None))
    together = night.outcomes()
    night.close()
    with NightRun(scenario) as run:
        run.start()
        run.wait_ready()
        apart = run.feed(world, window, None)
    for node_id, outcome in together.items():
        assert apart[node_id].accepted == outcome.accepted > 0, node_id
        assert apart[node_id].rejected == outcome.rejected == {}, node_id
        assert [(w.warning_id, w.sequence, w.state) for w in apart[node_id].warnings_in] == [
            (w.warning_id, w.sequence, w.state) for w in outcome.warnings_in
        ], node_id
