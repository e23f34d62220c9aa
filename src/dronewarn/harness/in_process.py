"""Run a scenario's nodes together: the simulator feeds each node its own sensors' deliveries,
the nodes warn each other over in-process links, and the clock paces it (or not)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry.base import BaseGeometry

from dronewarn.assess.forecast_log import Forecast
from dronewarn.deploy.zones import GeoJsonZone
from dronewarn.domain.warning import Warning
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.borders import load_countries
from dronewarn.geo.frame import LocalFrame
from dronewarn.node.config import NodeConfig, node_config
from dronewarn.node.node import Node, build_node
from dronewarn.node.zones import zone_polygons
from dronewarn.share.link import InProcessLink
from dronewarn.sim.deployment import deployment_of, node_files
from dronewarn.sim.drones import build_truth
from dronewarn.sim.scenario import Scenario
from dronewarn.sim.sensors import emulate
from dronewarn.sim.stream import Delivery, ReplayClock, merge
from dronewarn.sim.truth import Truth
from dronewarn.sim.wire import with_wire
from dronewarn.store.sqlite import SqliteStore

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""


@dataclass(frozen=True)
class SimulatedScenario:
    """Everything the simulator makes for a scenario: airspaces (countries and the nodes'
    zones, lon/lat), truth, the sensor stream."""

    scenario: Scenario
    countries: dict[str, BaseGeometry]
    airspace: AirspaceMap
    truth: Truth
    deliveries: list[Delivery]


def scenario_node_configs(scenario: Scenario) -> dict[str, NodeConfig]:
    """Each node's configuration, through the node.toml it would be deployed with."""
    folder = Path(scenario.source_dir if scenario.source_path else ".").resolve()
    return {
        node_id: node_config(deployment_of(node_file, folder))
        for node_id, node_file in node_files(scenario, folder / "data", replay=False).items()
    }


def scenario_airspaces(scenario: Scenario) -> tuple[AirspaceMap, dict[str, BaseGeometry]]:
    """The scenario's countries in its plane, and every airspace (countries and the nodes'
    zones) lon/lat."""
    borders = load_countries(scenario.countries)
    airspace = AirspaceMap(LocalFrame(*scenario.frame_origin), borders)
    zones = [(node.country, zone) for node in scenario.nodes for zone in node.zones]
    resolve = {
        z.path: str(scenario.source_dir / z.path) for _, z in zones if isinstance(z, GeoJsonZone)
    }
    return airspace, {**borders, **zone_polygons(zones, borders, airspace, resolve)}


def simulate_scenario(scenario: Scenario, progress: Progress | None = None) -> SimulatedScenario:
    # the nodes' protected zones join the countries as airspaces every node knows
    airspace, countries = scenario_airspaces(scenario)
    total = len(scenario.sensors) + 1
    if progress:
        progress("drones", 0, total)
    truth = build_truth(scenario, airspace)
    deliveries: list[Delivery] = []
    for done, sensor in enumerate(scenario.sensors, start=1):
        if progress:
            progress(sensor.id, done, total)
        deliveries.extend(emulate(scenario, truth, airspace, sensor))
    if progress:
        progress("wire formats", total, total)
    return SimulatedScenario(
        scenario, countries, airspace, truth, with_wire(scenario, merge(deliveries))
    )


def deliver(node: Node, delivery: Delivery, now_s: float) -> None:
    """Hand a node what a sensor sent: its wire payloads when it has them, else Reports."""
    if delivery.wire is not None:
        node.on_payloads(delivery.sensor_id, delivery.payloads, now_s)
    else:
        node.on_reports(list(delivery.reports), now_s)


@dataclass(frozen=True)
class Window:
    start_s: float
    end_s: float

    def __contains__(self, time_s: float) -> bool:
        return self.start_s <= time_s < self.end_s


class InProcessNodes:
    """The scenario's nodes, wired to each other, fed by the simulator."""

    def __init__(self, world: SimulatedScenario, store_dir: Path | None = None) -> None:
        self.world = world
        self.nodes: dict[str, Node] = {}
        for node_id, config in scenario_node_configs(world.scenario).items():
            path: str | Path = ":memory:"
            if store_dir is not None:
                store_dir.mkdir(parents=True, exist_ok=True)
                path = store_dir / f"{node_id}.sqlite"
            self.nodes[node_id] = build_node(config, world.countries, SqliteStore(path))
        for node in self.nodes.values():
            for partner in node.config.partners:
                other = self.nodes[partner.node_id]
                node.connect(
                    InProcessLink(partner, other.receive, other.receive_message, node.node_id)
                )

    def run(
        self,
        window: Window,
        clock: ReplayClock,
        on_step: Callable[[float], None] | None = None,
    ) -> None:
        """Feed every delivery arriving in the window to its node, paced by the clock."""
        todo = (d for d in self.world.deliveries if d.arrival_s in window)
        for delivery in clock.pace(todo):
            now = delivery.arrival_s
            node = self.nodes[delivery.node_id]
            deliver(node, delivery, now)
            node.tick(now)  # each node keeps its own clock, as it would in its own process
            if on_step is not None:
                on_step(now)
        for node in self.nodes.values():
            node.tick(window.end_s)

    def outcomes(self) -> dict[str, NodeOutcome]:
        return {node_id: NodeOutcome.of(node) for node_id, node in self.nodes.items()}

    def close(self) -> None:
        for node in self.nodes.values():
            node.store.close()


@dataclass(frozen=True)
class NodeOutcome:
    """What a node ended the run with: enough to score it, wherever it ran."""

    node_id: str
    country_iso3: str
    warnings_in: list[Warning]
    warnings_out: list[Warning]
    accepted: int
    rejected: dict[str, int]
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per partner: the link's delivery counts (sent, acked, rejected, retried...)."""
    forecasts: list[Forecast] = field(default_factory=list)
    """The node's sampled crossing forecasts (``assess.forecast_log``)."""

    @staticmethod
    def of(node: Node) -> NodeOutcome:
        return NodeOutcome(
            node.node_id,
            node.config.country_iso3,
            node.warnings_in(),
            node.warnings_out(),
            node.sense.accepted,
            dict(node.sense.rejected),
            forecasts=node.forecasts.forecasts(),
        )
