"""A simulated night run the way it would be deployed: each party a ``dronewarn node run``
process started from its own node.toml, the simulator only feeding their listeners.

``NightRun`` writes one node.toml per scenario node (``sim.deployment``) with free loopback
ports and a ``[replay]`` clock, gives each node its keys and its partners' public files,
makes operator accounts and one-time login links for the nodes that serve a picture, starts
an MQTT broker when the scenario has acoustic networks, starts the nodes, waits until every
one answers ``/readyz``, and then feeds the night (``sim.feeder``) and collects what each
node ended with. With ``data_dir`` every file stays in it: the configurations
(``DATA_DIR/<node>.toml``), each node's data (``DATA_DIR/<node>/``) and log
(``DATA_DIR/<node>.log``); the same nodes can be started again by hand
(``dronewarn node run DATA_DIR/PL.toml``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from dronewarn.api.accounts import AccountFile, Role
from dronewarn.api.login_links import FILE_NAME as LOGIN_LINKS
from dronewarn.api.login_links import LoginLinkFile
from dronewarn.assess.forecast_log import Forecast
from dronewarn.deploy.endpoints import parse_host_port
from dronewarn.deploy.model import NodeFile
from dronewarn.domain.codec import warning_from_dict
from dronewarn.harness.broker import Broker, mosquitto_binary
from dronewarn.harness.in_process import NodeOutcome, SimulatedScenario, Window
from dronewarn.harness.tak_bundle import TakBundle, make_tak_bundle
from dronewarn.sim.deployment import (
    HOST,
    NodePorts,
    PortPlan,
    free_port,
    node_files,
    write_configs,
)
from dronewarn.sim.feeder import Feeder, FeederError
from dronewarn.sim.scenario import AcousticGridSensor, AcousticStripSensor, Scenario
from dronewarn.sim.stream import ReplayClock

READY_TIMEOUT_S = 120.0
PARENT_ENV = "DRONEWARN_STOP_WITH_PARENT"
"""The launcher's pid: a node started by it stops when the launcher is gone (a killed demo
leaves no node behind)."""
STOP_TIMEOUT_S = 10.0
DEMO_ACCOUNTS = (("duty", Role.OPERATOR), ("viewer", Role.VIEWER), ("admin", Role.ADMIN))


@dataclass(frozen=True)
class Login:
    name: str
    role: Role
    password: str
    token: str


@dataclass(frozen=True)
class Picture:
    """A node that serves its operator picture, with its demo accounts."""

    node_id: str
    url: str
    logins: tuple[Login, ...]
    tak: TakBundle | None = None

    def login_url(self) -> str:
        duty = next(x for x in self.logins if x.name == "duty")
        return f"{self.url}/login/once?token={duty.token}"


@dataclass
class _Process:
    node_id: str
    config: Path
    log: Path
    process: subprocess.Popen[bytes]
    api: str


@dataclass
class NightRun:
    """One night's nodes as processes (module doc). Use as a context manager."""

    scenario: Scenario
    data_dir: Path | None = None
    pictures: Sequence[str] = ()
    web_port: int = 0
    tak: bool = False
    folder: Path = field(init=False)
    files: dict[str, NodeFile] = field(init=False, default_factory=dict)
    served: list[Picture] = field(init=False, default_factory=list)
    _scratch: tempfile.TemporaryDirectory[str] | None = field(init=False, default=None)
    _broker: Broker | None = field(init=False, default=None)
    _processes: list[_Process] = field(init=False, default_factory=list)
    _feeder: Feeder | None = field(init=False, default=None)
    _tak: dict[str, TakBundle] = field(init=False, default_factory=dict)

    def __enter__(self) -> NightRun:
        if self.data_dir is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="dronewarn-night-")
            self.folder = Path(self._scratch.name)
        else:
            self.folder = self.data_dir.resolve()
            self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        if self._scratch is not None:
            self._scratch.cleanup()

    # ------------------------------------------------------------------ starting

    def start(self) -> None:
        """Write the configurations, start the broker and the nodes (not waiting for them)."""
        acoustic = any(
            isinstance(s, AcousticStripSensor | AcousticGridSensor) for s in self.scenario.sensors
        )
        broker_port = free_port() if acoustic else 0
        plan = PortPlan.free(self.scenario, broker_port)
        plan = self._picture_ports(plan)
        self.files = node_files(self.scenario, self.folder, plan)
        if self.tak:
            self._add_tak_outputs()
        paths = write_configs(self.files, self.folder)
        self.served = [self._accounts(node_id) for node_id in self.pictures]
        if acoustic:
            binary = mosquitto_binary()
            if binary is None:
                raise RuntimeError(
                    "the scenario's acoustic networks need an MQTT broker: "
                    "apt-get install mosquitto (./run installs it)"
                )
            self._broker = Broker(binary, self.folder, broker_port)
            self._broker.start()
        for node_id, path in paths.items():
            log = self.folder / f"{node_id}.log"
            with log.open("ab") as handle:
                process = subprocess.Popen(
                    [sys.executable, "-m", "dronewarn", "node", "run", str(path)],
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, PARENT_ENV: str(os.getpid())},
                )
            api = self.files[node_id].api.listen
            self._processes.append(_Process(node_id, path, log, process, api))

    def _picture_ports(self, plan: PortPlan) -> PortPlan:
        """The picture nodes' API on ``web_port``, ``web_port + 1``... where those are free."""
        nodes = dict(plan.nodes)
        for offset, node_id in enumerate(self.pictures):
            wanted = self.web_port + offset if self.web_port else 0
            port = wanted if wanted and _port_free(wanted) else plan.of(node_id).api
            old = plan.of(node_id)
            nodes[node_id] = NodePorts(old.link, port, old.clock, old.sensors)
        return PortPlan(nodes, plan.broker)

    def _add_tak_outputs(self) -> None:
        for node_id in self.pictures:
            bundle = make_tak_bundle(node_id, HOST, free_port(), self.folder / node_id / "tak")
            node_file = self.files[node_id]
            output = {
                "kind": "cot",
                "listen": f"tls://{HOST}:{bundle.port}",
                "tls_cert": str(bundle.server_cert),
                "tls_key": str(bundle.server_key),
                "ca_file": str(bundle.client_cert),
            }
            body = node_file.model_dump(mode="json", exclude_none=True)
            body["outputs"] = [*body.get("outputs", []), output]
            self.files[node_id] = NodeFile.model_validate(body)
            self._tak[node_id] = bundle

    def _accounts(self, node_id: str) -> Picture:
        node_file = self.files[node_id]
        home = self.folder / node_id
        accounts = AccountFile(home / "accounts.json")
        links = LoginLinkFile(home / LOGIN_LINKS)
        existing = {a.name for a in accounts.load()}
        logins = []
        for name, role in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(12)
            if name in existing:
                accounts.set_password(name, password)
            else:
                accounts.add(name, role, password)
            token = links.add(name, time.time() + 12 * 3600.0)
            logins.append(Login(name, role, password, token))
        where = parse_host_port(node_file.api.listen)
        return Picture(
            node_id, f"http://{where.host}:{where.port}", tuple(logins), self._tak.get(node_id)
        )

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Until every node answers /readyz; RuntimeError (with its log) if one dies."""
        deadline = time.monotonic() + timeout_s
        waiting = list(self._processes)
        while waiting:
            for node in list(waiting):
                if node.process.poll() is not None:
                    raise RuntimeError(
                        f"node {node.node_id} ended (exit {node.process.returncode}):\n"
                        + _tail(node.log)
                    )
                if _ready(node.api):
                    waiting.remove(node)
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(
                    f"nodes {[n.node_id for n in waiting]} not ready in {timeout_s:.0f} s"
                )
            if waiting:
                time.sleep(0.1)

    # ------------------------------------------------------------------ the night

    def feed(
        self,
        world: SimulatedScenario,
        window: Window,
        speed: float | None,
        on_step: Callable[[float], None] | None = None,
    ) -> dict[str, NodeOutcome]:
        """Send the night to the nodes at ``speed`` (None: as fast as they take it) and
        collect each node's outcome."""
        self._feeder = Feeder(self.files)
        try:
            self._feeder.connect()
            clock = ReplayClock(window.start_s, speed)
            mine = (d for d in world.deliveries if d.arrival_s in window)
            self._feeder.run(mine, clock, self._checking(on_step))
            answers = self._feeder.finish(window.end_s)
        except (FeederError, OSError) as exc:
            time.sleep(0.5)  # a node that died: let its exit be seen
            self.check()
            raise RuntimeError(f"the feeder failed: {exc}") from exc
        return {node_id: outcome_of(body) for node_id, body in answers.items()}

    def _checking(self, on_step: Callable[[float], None] | None) -> Callable[[float], None]:
        last = [time.monotonic()]

        def step(now_s: float) -> None:
            if on_step is not None:
                on_step(now_s)
            if time.monotonic() - last[0] > 1.0:
                last[0] = time.monotonic()
                self.check()

        return step

    def check(self) -> None:
        """RuntimeError when a node process has ended."""
        for node in self._processes:
            if node.process.poll() is not None:
                raise RuntimeError(
                    f"node {node.node_id} ended (exit {node.process.returncode}):\n"
                    + _tail(node.log)
                )

    def linger(self, stop: Callable[[], bool], period_s: float = 0.5) -> None:
        """Keep the nodes up (pictures, replay, operators acting) until ``stop()``."""
        while not stop():
            self.check()
            time.sleep(period_s)

    def stop(self) -> None:
        """SIGTERM every node (SIGKILL after ``STOP_TIMEOUT_S``), then the broker."""
        if self._feeder is not None:
            self._feeder.close()
            self._feeder = None
        for node in self._processes:
            if node.process.poll() is None:
                node.process.terminate()
        for node in self._processes:
            try:
                node.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait(STOP_TIMEOUT_S)
        self._processes.clear()
        if self._broker is not None:
            self._broker.stop()
            self._broker = None


def outcome_of(body: dict[str, Any]) -> NodeOutcome:
    """A node's answer to the feeder's ``outcome`` (``NodeService.outcome``)."""
    return NodeOutcome(
        body["node_id"],
        body["country_iso3"],
        [warning_from_dict(w) for w in body["warnings_in"]],
        [warning_from_dict(w) for w in body["warnings_out"]],
        int(body["accepted"]),
        {str(k): int(v) for k, v in body["rejected"].items()},
        {str(k): dict(v) for k, v in body["links"].items()},
        [Forecast.from_row(row) for row in body.get("forecasts", [])],
    )


def _ready(api: str) -> bool:
    where = parse_host_port(api)
    try:
        with urllib.request.urlopen(f"http://{where.host}:{where.port}/readyz", timeout=1.0) as r:
            return bool(json.loads(r.read()).get("ready"))
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as probe, contextlib.suppress(OSError):
        probe.bind((HOST, port))
        return True
    return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"
