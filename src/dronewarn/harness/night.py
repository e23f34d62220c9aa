"""Run a scenario's nodes together: the simulator feeds each node its own sensors' deliveries,
the nodes warn each other over in-process links, and the clock paces it (or not)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from multiprocessing.queues import Queue
from pathlib import Path
from queue import Empty
from typing import Any

from shapely.geometry.base import BaseGeometry

from dronewarn.deploy.zones import GeoJsonZone
from dronewarn.domain.warning import Warning
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.borders import load_countries
from dronewarn.geo.frame import LocalFrame
from dronewarn.harness.homes import prepare_homes
from dronewarn.node.config import NodeConfig, node_config
from dronewarn.node.linked import PartnerInbox
from dronewarn.node.node import Node, build_node
from dronewarn.node.operator_picture import OperatorPicture, PictureConfig
from dronewarn.node.runtime import settle_heap
from dronewarn.node.tak_output import TakOutput
from dronewarn.node.zones import zone_polygons
from dronewarn.share.link import InProcessLink
from dronewarn.share.link_service import LinkConfig, LinkService, SignedLink
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
class World:
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


def make_world(scenario: Scenario, progress: Progress | None = None) -> World:
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
    return World(scenario, countries, airspace, truth, with_wire(scenario, merge(deliveries)))


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


class Night:
    """The scenario's nodes, wired to each other, fed by the simulator."""

    def __init__(self, world: World, store_dir: Path | None = None) -> None:
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

    @staticmethod
    def of(node: Node) -> NodeOutcome:
        return NodeOutcome(
            node.node_id,
            node.config.country_iso3,
            node.warnings_in(),
            node.warnings_out(),
            node.sense.accepted,
            dict(node.sense.rejected),
        )


class _ProcessNode:
    """One node in its own process, joined to its partners by signed links over mutual TLS.

    The multiprocessing queues carry only the run's control (each node saying it is done,
    and the results); every warning goes over the node's link.
    """

    def __init__(
        self,
        world: World,
        node_id: str,
        link_config: LinkConfig,
        controls: Mapping[str, Queue[Any]],
        store_path: Path | None,
        picture: PictureConfig | None = None,
    ) -> None:
        config = scenario_node_configs(world.scenario)[node_id]
        self.world = world
        self.node = build_node(
            config, world.countries, SqliteStore(":memory:" if store_path is None else store_path)
        )
        self._arrived = threading.Event()
        self.link = LinkService(link_config, time.time, on_incoming=self._arrived.set)
        self.link.start()
        for partner in config.partners:
            self.node.connect(SignedLink(partner, self.link))
        self.inbox = PartnerInbox(
            self.link, self.node.receive, self.node.receive_feedback, self.node.receive_tracks
        )
        self.control = controls[node_id]
        self.partner_controls = [controls[p.node_id] for p in config.partners]
        self.senders = {other.id for other in world.scenario.nodes if node_id in other.partners}
        self._done: set[str] = set()
        self.parent_pid = os.getppid()
        self._closed = False
        self.picture: OperatorPicture | None = None
        self.tak: TakOutput | None = None
        if picture is not None:
            self.picture = OperatorPicture(self.node, picture, self.link.stats)
            self.picture.start()
            if picture.tak is not None:
                try:
                    self.tak = TakOutput(self.node, picture.tak)
                    self.tak.start()
                except BaseException:
                    self.tak = None
                    self.close()  # the link and the picture are up: stop them too
                    raise

    def run(
        self,
        window: Window,
        clock: ReplayClock,
        on_step: Callable[[float], None] | None,
        check: Callable[[], None] | None = None,
        keep_open: bool = False,
    ) -> NodeOutcome:
        """Feed this node its deliveries; ``check`` raises if a partner process failed.

        ``keep_open``: the link, store and picture stay up afterwards (``linger``, ``close``).
        """
        node = self.node
        ok = False
        mine = (
            d for d in self.world.deliveries if d.node_id == node.node_id and d.arrival_s in window
        )
        try:
            for delivery in clock.pace(mine):
                deliver(node, delivery, delivery.arrival_s)
                node.tick(delivery.arrival_s)
                if self._arrived.is_set():
                    self._arrived.clear()
                    self.inbox.drain()
                if self.picture is not None:
                    self._show(delivery.arrival_s)
                if on_step is not None:
                    on_step(delivery.arrival_s)
            node.tick(window.end_s)
            if not self.link.wait_delivered(DELIVERY_TIMEOUT_S):
                raise RuntimeError(f"{node.node_id}: partners did not acknowledge in time")
            self.say_done()
            self._wait_for_senders(check)
            self.inbox.drain()
            if self.picture is not None:
                self._show(node.now_s)
            outcome = NodeOutcome.of(node)
            ok = True
            return replace(outcome, links=self.link.stats())
        finally:
            if not (keep_open and ok):
                self.close()

    def linger(self, stop: Callable[[], bool], period_s: float = 0.05) -> None:
        """After the night: keep the node answering (partners' messages, operators'
        commands, link health on the picture) until ``stop()``."""
        while not stop():
            if self._arrived.is_set():
                self._arrived.clear()
                self.inbox.drain()
            if self.picture is not None:
                self._show(self.node.now_s)
            time.sleep(period_s)

    def _show(self, now_s: float) -> None:
        """Bring the operator picture (and the TAK feed) up to the node's state."""
        if self.picture is not None:
            self.picture.step(now_s)
        if self.tak is not None:
            self.tak.step(now_s)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.link.stop()
        if self.tak is not None:
            self.tak.stop()
        if self.picture is not None:
            self.picture.stop()
        self.node.store.close()

    def say_done(self) -> None:
        for control in self.partner_controls:
            control.put(("done", self.node.node_id))

    def _wait_for_senders(self, check: Callable[[], None] | None) -> None:
        """Wait until every node that warns this one has delivered everything and said so."""
        while not self._done >= self.senders:
            try:
                kind, item = self.control.get(timeout=0.2 if self.picture else 1.0)
            except Empty:
                if check is not None:
                    check()
                if self.picture is not None:  # operators keep seeing partners' messages
                    self.inbox.drain()
                    self._show(self.node.now_s)
                continue
            if kind == "done" and isinstance(item, str):
                self._done.add(item)

    def stop_requested(self) -> bool:
        """Whether the run's parent said "stop" (the end of a lingering demo), or died."""
        if os.getppid() != self.parent_pid:
            return True
        while True:
            try:
                kind, _ = self.control.get_nowait()
            except Empty:
                return False
            if kind == "stop":
                return True


DELIVERY_TIMEOUT_S = 120.0


def _child(
    world: World,
    node_id: str,
    window: Window,
    speed: float | None,
    link_config: LinkConfig,
    controls: Mapping[str, Queue[Any]],
    results: Queue[Any],
    store_path: Path | None,
    picture: PictureConfig | None = None,
) -> None:
    runner: _ProcessNode | None = None
    try:
        runner = _ProcessNode(world, node_id, link_config, controls, store_path, picture)
        settle_heap()  # this process is a node from here on
        clock = ReplayClock(window.start_s, speed)
        outcome = runner.run(window, clock, None, keep_open=picture is not None)
        results.put(("ok", outcome))
        if picture is not None:
            try:
                runner.linger(runner.stop_requested)
            finally:
                runner.close()
    except KeyboardInterrupt:
        results.put(("interrupted", node_id))
    except Exception as exc:  # reported to the parent, which raises it
        results.put(("error", f"{node_id}: {type(exc).__name__}: {exc}"))
        if runner is not None:
            runner.say_done()  # partners must not wait for a node that will not finish


def run_parallel(
    world: World,
    window: Window,
    host: str,
    on_step: Callable[[float], None] | None = None,
    data_dir: Path | None = None,
    speed: float | None = None,
    pictures: Mapping[str, PictureConfig] | None = None,
    after_night: Callable[[dict[str, NodeOutcome]], None] | None = None,
) -> dict[str, NodeOutcome]:
    """Run each node in its own process (forked: the world is shared copy-on-write), the
    nodes linked by signed messages over mutual TLS on loopback.

    Each node's home (keys, link store, audit log, node store) is ``data_dir/<node>/``, or a
    temporary folder removed afterwards. The ``host`` node runs in this process and reports
    its progress. Every message is delivered: each node, once its sensors are done and its
    partners have acknowledged everything it sent, says so and waits for all nodes that
    warn it to do the same.

    ``pictures``: the nodes that serve an operator picture, and how. With pictures, the nodes
    stay up after the night (``after_night`` is called with the outcomes) so operators can
    replay it and act on warnings, until Ctrl-C.
    """
    with contextlib.ExitStack() as stack:
        root = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        keep = data_dir is not None
        configs = prepare_homes(world.scenario, root)
        outcomes = _run_linked(
            world, window, host, on_step, configs, root, keep, speed, pictures or {}, after_night
        )
    return outcomes


def _run_linked(
    world: World,
    window: Window,
    host: str,
    on_step: Callable[[float], None] | None,
    configs: Mapping[str, LinkConfig],
    root: Path,
    keep: bool,
    speed: float | None,
    pictures: Mapping[str, PictureConfig],
    after_night: Callable[[dict[str, NodeOutcome]], None] | None,
) -> dict[str, NodeOutcome]:
    context = multiprocessing.get_context("fork")
    node_ids = [node.id for node in world.scenario.nodes]
    controls: dict[str, Queue[Any]] = {node_id: context.Queue() for node_id in node_ids}
    results: Queue[Any] = context.Queue()

    def store(node_id: str) -> Path | None:
        return root / node_id / "node.sqlite" if keep else None

    children = [
        context.Process(
            target=_child,
            args=(
                world,
                node_id,
                window,
                speed,
                configs[node_id],
                controls,
                results,
                store(node_id),
                pictures.get(node_id),
            ),
            daemon=True,
        )
        for node_id in node_ids
        if node_id != host
    ]
    for child in children:
        child.start()
    finished: list[NodeOutcome] = []

    def check() -> None:
        """Raise as soon as a node process reports a failure or dies without a word."""
        while True:
            try:
                status, payload = results.get_nowait()
            except Empty:
                break
            if status != "ok" or not isinstance(payload, NodeOutcome):
                raise RuntimeError(f"a node process failed: {payload}")
            finished.append(payload)
        dead = [c for c in children if not c.is_alive() and c.exitcode not in (0, None)]
        if dead:
            raise RuntimeError(f"a node process died with exit code {dead[0].exitcode}")
        silent = [c for c in children if not c.is_alive()]
        if len(silent) > len(finished):
            # every child has exited; give its result a moment to come through the pipe
            try:
                status, payload = results.get(timeout=10.0)
            except Empty:
                raise RuntimeError("a node process ended without a result") from None
            if status != "ok" or not isinstance(payload, NodeOutcome):
                raise RuntimeError(f"a node process failed: {payload}")
            finished.append(payload)

    lingering = bool(pictures)
    runner: _ProcessNode | None = None
    try:
        runner = _ProcessNode(world, host, configs[host], controls, store(host), pictures.get(host))
        clock = ReplayClock(window.start_s, speed)
        outcomes = {host: runner.run(window, clock, on_step, check, keep_open=lingering)}
        while len(finished) < len(children):
            check()
            if len(finished) < len(children):
                time.sleep(0.05)
        outcomes.update({outcome.node_id: outcome for outcome in finished})
        if after_night is not None:
            after_night({node_id: outcomes[node_id] for node_id in node_ids})
        if lingering:
            with contextlib.suppress(KeyboardInterrupt):
                runner.linger(lambda: False)
    finally:
        for control in controls.values():
            control.put(("stop", None))
        if lingering and runner is not None:
            runner.close()
        for child in children:
            child.join(timeout=5)
            if child.is_alive():
                child.terminate()
    return {node_id: outcomes[node_id] for node_id in node_ids}
