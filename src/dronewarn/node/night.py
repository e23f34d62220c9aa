"""Run a scenario's nodes together: the simulator feeds each node its own sensors' deliveries,
the nodes warn each other over in-process links, and the clock paces it (or not)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.borders import load_countries
from dronewarn.geo.frame import LocalFrame
from dronewarn.node.config import node_configs
from dronewarn.node.node import Node, build_node
from dronewarn.share.link import InProcessLink
from dronewarn.sim.drones import build_truth
from dronewarn.sim.scenario import Scenario
from dronewarn.sim.sensors import emulate
from dronewarn.sim.stream import Delivery, ReplayClock, merge
from dronewarn.sim.truth import Truth
from dronewarn.store.sqlite import SqliteStore

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""


@dataclass(frozen=True)
class World:
    """Everything the simulator makes for a scenario: borders, truth, the sensor stream."""

    scenario: Scenario
    countries: dict[str, BaseGeometry]
    airspace: AirspaceMap
    truth: Truth
    deliveries: list[Delivery]

    @property
    def report_count(self) -> int:
        return sum(len(d.reports) for d in self.deliveries)


def make_world(scenario: Scenario, progress: Progress | None = None) -> World:
    countries = load_countries(scenario.countries)
    airspace = AirspaceMap(LocalFrame(*scenario.frame_origin), countries)
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
        progress("merge", total, total)
    return World(scenario, countries, airspace, truth, merge(deliveries))


@dataclass(frozen=True)
class Window:
    start_s: float
    end_s: float

    def __contains__(self, time_s: float) -> bool:
        return self.start_s <= time_s < self.end_s


class Night:
    """The scenario's nodes, wired to each other, fed by the simulator."""

    def __init__(self, world: World, store_dir: Path | None = None) -> None:
        self.world = world
        self.nodes: dict[str, Node] = {}
        for node_id, config in node_configs(world.scenario).items():
            path: str | Path = ":memory:"
            if store_dir is not None:
                store_dir.mkdir(parents=True, exist_ok=True)
                path = store_dir / f"{node_id}.sqlite"
            self.nodes[node_id] = build_node(config, world.countries, SqliteStore(path))
        for node in self.nodes.values():
            for partner in node.config.partners:
                node.connect(InProcessLink(partner, self.nodes[partner.node_id].receive))
        self.processed = 0

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
            self.nodes[delivery.node_id].on_reports(list(delivery.reports), now)
            for node in self.nodes.values():
                node.tick(now)
            self.processed += 1
            if on_step is not None:
                on_step(now)
        for node in self.nodes.values():
            node.tick(window.end_s)

    def close(self) -> None:
        for node in self.nodes.values():
            node.store.close()
