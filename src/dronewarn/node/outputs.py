"""What a deployed node sends to other systems (``[[outputs]]``): CoT, CAT062, SAPIENT,
GeoJSON.

=========================  ==========================================================
output                     where it goes
=========================  ==========================================================
cot ``to = tcp://``        a TAK server's streaming port (8087), XML or protocol 1
cot ``to = tls://``        a TAK server's TLS port (8089) with the centre's certificates
cot ``to = udp://``        the SA mesh (239.2.3.1:6969), one event per datagram
cot ``listen``             TAK clients connect (``tls://``: mutual TLS, clients' CA)
asterix062 ``to = udp://`` system tracks to an ATM/air-defence LAN, unicast or multicast
sapient ``to = tcp://``    a SAPIENT fusion node (DMM): DetectionReports and Alerts
geojson ``to = file:``     a GeoJSON file rewritten every period (read by GIS tools)
geojson ``to = tcp://``    GeoJSON text sequences (RFC 8142) to a TCP server
=========================  ==========================================================

The node's loop calls ``step`` with the wall time; each output builds its messages there
(the tracker is not shared between threads) when its ``period_s`` has passed, and hands the
bytes to the outputs' own asyncio loop ("node-out") for sending. A destination that is down
never slows the node: its client reconnects with back-off and its queue drops the oldest.
Each output's state is in ``status`` (health, metrics).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import math
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dronewarn.deploy.endpoints import parse_endpoint
from dronewarn.deploy.load import Deployment
from dronewarn.deploy.model import Asterix062Output, CotOutput, GeojsonOutput, Output, SapientOutput
from dronewarn.domain.errors import DronewarnError
from dronewarn.domain.report import GeoPoint
from dronewarn.domain.track import TrackStatus
from dronewarn.domain.warning import Warning
from dronewarn.formats.asterix.encode062 import (
    Cat062Config,
    Cat062Encoder,
    Cat062Stream,
    pack_datablocks,
)
from dronewarn.formats.cot.event import TakProtocol
from dronewarn.formats.cot.tracks import CotOutConfig
from dronewarn.formats.geojson import picture_collection
from dronewarn.formats.sapient.encode import SapientClientConfig
from dronewarn.node.node import Node
from dronewarn.node.tak_output import latest_open, picture_events
from dronewarn.outputs.sapient_client import SapientClient
from dronewarn.outputs.tak_client import TakClient, TakClientConfig
from dronewarn.outputs.tak_feed import (
    TakFeed,
    TakFeedConfig,
    TakMulticastConfig,
    TakMulticastSender,
)
from dronewarn.store.atomic_file import write_atomically
from dronewarn.transports.latest_sender import LatestSender
from dronewarn.transports.tls import TlsIdentity, server_context
from dronewarn.transports.udp_sender import AsterixUdpSender, UdpTarget

log = logging.getLogger(__name__)
STARTUP_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 2.0


@dataclass
class OutputStatus:
    index: int
    kind: str
    address: str
    up: bool = False
    sent: int = 0
    failures: int = 0
    error: str = ""
    clients: int = 0


@dataclass
class _Output:
    """One configured output: how to build its messages and where they go."""

    status: OutputStatus
    period_s: float
    emit: Callable[[Node, float], None]
    close: Callable[[], None] = lambda: None
    refresh: Callable[[], None] = lambda: None
    next_s: float = -math.inf


@dataclass
class Outputs:
    """Every output of a node; ``start``, ``step`` from the node's loop, ``stop``."""

    deployment: Deployment
    node: Node
    _outputs: list[_Output] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _thread: threading.Thread | None = None
    _tasks: list[concurrent.futures.Future[Any]] = field(default_factory=list)

    @property
    def status(self) -> list[OutputStatus]:
        return [o.status for o in self._outputs]

    def start(self) -> None:
        if not self.deployment.file.outputs:
            return
        self._thread = threading.Thread(target=self._loop.run_forever, name="node-out", daemon=True)
        self._thread.start()
        for index, spec in enumerate(self.deployment.file.outputs):
            try:
                self._outputs.append(self._build(index, spec))
            except (OSError, ssl.SSLError, ValueError, RuntimeError, DronewarnError) as exc:
                status = OutputStatus(index, spec.kind, _where(spec), error=str(exc))
                status.failures += 1
                log.error("output not started", extra={"output": index, "error": str(exc)})
                self._outputs.append(_Output(status, math.inf, lambda node, now: None))

    def step(self, wall_s: float) -> None:
        for output in self._outputs:
            output.refresh()
            if wall_s < output.next_s:
                continue
            output.next_s = wall_s + output.period_s
            try:
                output.emit(self.node, wall_s)
            except Exception as exc:  # an output's bug must not stop the node
                output.status.failures += 1
                output.status.error = f"{type(exc).__name__}: {exc}"
                log.exception("output failed", extra={"output": output.status.index})

    def stop(self) -> None:
        for output in self._outputs:
            with contextlib.suppress(Exception):
                output.close()
        if self._thread is None:
            return
        concurrent.futures.wait(self._tasks, STOP_TIMEOUT_S)  # one deadline for all
        for task in self._tasks:
            task.cancel()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(STARTUP_TIMEOUT_S)
        if not self._thread.is_alive():
            self._loop.close()

    # ------------------------------------------------------------------ building

    def _run(self, work: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        future = asyncio.run_coroutine_threadsafe(work, self._loop)
        self._tasks.append(future)
        return future

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        self._loop.call_soon_threadsafe(fn, *args)

    def _build(self, index: int, spec: Output) -> _Output:
        if isinstance(spec, CotOutput):
            return self._cot(index, spec)
        if isinstance(spec, Asterix062Output):
            return self._asterix(index, spec)
        if isinstance(spec, SapientOutput):
            return self._sapient(index, spec)
        return self._geojson(index, spec)

    def _cot(self, index: int, spec: CotOutput) -> _Output:
        protocol = TakProtocol.XML if spec.protocol == "xml" else TakProtocol.PROTOBUF
        cot = CotOutConfig(self.node.node_id, track_stale_s=spec.stale_s)
        status = OutputStatus(index, "cot", _where(spec))
        if spec.listen is not None:
            return self._cot_server(spec, protocol, cot, status)
        assert spec.to is not None
        target = parse_endpoint(spec.to, frozenset({"tcp", "tls", "udp"}))
        if target.scheme == "udp":
            mesh = TakMulticastSender(
                TakMulticastConfig(
                    target.host,
                    target.port,
                    int(target.option("ttl", "1") or 1),
                    protocol,
                    target.option("interface"),
                    loop=target.option("loop", "0") == "1",
                )
            )
            status.up = True

            def multicast(node: Node, now_s: float) -> None:
                status.sent += mesh.send(picture_events(node, cot, now_s))
                status.failures = mesh.failed

            return _Output(status, spec.period_s, multicast, mesh.close)
        context = None
        if target.scheme == "tls":
            context = ssl.create_default_context(cafile=str(self._path(spec.ca_file)))
            if spec.tls_cert is not None:
                context.load_cert_chain(self._path(spec.tls_cert), self._path(spec.tls_key))
        client = TakClient(TakClientConfig(target.host, target.port, protocol), context)
        self._run(client.run())

        def send(node: Node, now_s: float) -> None:
            self._call(client.publish, picture_events(node, cot, now_s))

        def refresh() -> None:
            status.up = client.stats.connected
            status.sent = client.stats.sent_events
            status.failures = client.stats.failures
            status.error = client.stats.last_error

        def close() -> None:
            self._run(client.close())

        return _Output(status, spec.period_s, send, close, refresh)

    def _cot_server(
        self, spec: CotOutput, protocol: TakProtocol, cot: CotOutConfig, status: OutputStatus
    ) -> _Output:
        assert spec.listen is not None
        where = parse_endpoint(spec.listen, frozenset({"tcp", "tls"}))
        tls = where.scheme == "tls"
        context = None
        if tls:
            identity = TlsIdentity(
                f"{self.node.node_id}-tak", self._path(spec.tls_cert), self._path(spec.tls_key)
            )
            context = server_context(identity, [self._path(spec.ca_file)])
        feed = TakFeed(
            TakFeedConfig(
                host=where.host,
                tcp_port=None if tls else where.port,
                tls_port=where.port if tls else None,
                protocol=protocol,
            ),
            tls_context=context,
            on_receive=lambda client, data: None,
        )
        self._run(feed.start()).result(STARTUP_TIMEOUT_S)
        status.up = True
        status.address = f"{where.scheme}://{where.host}:{feed.tls_port or feed.tcp_port}"

        def send(node: Node, now_s: float) -> None:
            events = picture_events(node, cot, now_s)
            status.sent += len(events)
            self._call(feed.publish, events)

        def refresh() -> None:
            status.clients = len(feed.clients)

        def close() -> None:
            self._run(feed.stop())

        return _Output(status, spec.period_s, send, close, refresh)

    def _asterix(self, index: int, spec: Asterix062Output) -> _Output:
        target = parse_endpoint(spec.to, frozenset({"udp"}))
        origin = self.node.config.frame_origin
        stream = Cat062Stream(
            Cat062Encoder(
                Cat062Config(
                    spec.sac,
                    spec.sic,
                    edition=spec.edition,
                    plane_origin=GeoPoint(origin[0], origin[1]),
                )
            )
        )
        sender = AsterixUdpSender(
            UdpTarget(
                target.host,
                target.port,
                ttl=int(target.option("ttl", "1") or 1),
                interface=target.option("interface"),
                loop=target.option("loop", "0") == "1",
            )
        )
        status = OutputStatus(index, "asterix062", str(target), up=True)

        def send(node: Node, now_s: float) -> None:
            if not math.isfinite(node.now_s):
                return
            states = [s for s in node.picture() if s.status is TrackStatus.CONFIRMED]
            batch = stream.update(states)
            status.sent += sender.send(pack_datablocks(62, batch.records))
            status.failures = sender.stats.failures
            status.error = sender.stats.last_error

        return _Output(status, spec.period_s, send, sender.close)

    def _sapient(self, index: int, spec: SapientOutput) -> _Output:
        target = parse_endpoint(spec.to, frozenset({"tcp"}))
        node_id = spec.node_id or str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"dronewarn:{self.node.node_id}:sapient-out")
        )
        origin = self.node.config.frame_origin
        client = SapientClient(
            SapientClientConfig(
                target.host,
                target.port,
                node_id,
                name=f"dronewarn {self.node.node_id}",
                site=GeoPoint(origin[0], origin[1]),
            ),
            clock=self._node_clock,
        )
        self._run(client.run())
        status = OutputStatus(index, "sapient", str(target))
        warned: dict[str, int] = {}

        def send(node: Node, now_s: float) -> None:
            for state in node.picture():
                if state.status is TrackStatus.CONFIRMED:
                    self._call(client.send_track, state)
            for warning in _warnings_out(node):
                if warned.get(warning.warning_id, -1) < warning.sequence:
                    warned[warning.warning_id] = warning.sequence
                    self._call(client.send_warning, warning)

        def refresh() -> None:
            status.up = client.registered
            status.sent = sum(client.stats.sent.values())
            status.failures = client.stats.refusals

        def close() -> None:
            self._run(client.close())

        return _Output(status, spec.period_s, send, close, refresh)

    def _geojson(self, index: int, spec: GeojsonOutput) -> _Output:
        target = parse_endpoint(spec.to, frozenset({"file", "tcp"}))
        status = OutputStatus(index, "geojson", str(target), up=True)
        if target.scheme == "file":
            path = self.deployment.resolve(target.path)

            def write(node: Node, now_s: float) -> None:
                write_atomically(path, _collection_bytes(node))
                status.sent += 1

            return _Output(status, spec.period_s, write)
        stream = LatestSender(target.host, target.port)
        self._run(stream.run())

        def send(node: Node, now_s: float) -> None:
            self._call(stream.offer, b"\x1e" + _collection_bytes(node) + b"\n")

        def refresh() -> None:
            status.up = stream.connected
            status.sent = stream.sent
            status.error = stream.error

        def close() -> None:
            self._call(stream.close)

        return _Output(status, spec.period_s, send, close, refresh)

    def _node_clock(self) -> float:
        """The node's time (a replayed night's, or the wall's), for formats that carry the
        time of each track (SAPIENT ages its queued reports by it)."""
        now = self.node.now_s
        return now if math.isfinite(now) else time.time()

    def _path(self, name: str | None) -> Path:
        if name is None:
            raise ValueError("a file this output needs is not configured")
        return self.deployment.resolve(name)


def _where(spec: Output) -> str:
    return str(getattr(spec, "to", None) or getattr(spec, "listen", ""))


def _warnings_out(node: Node) -> list[Warning]:
    """The last message of each open outgoing warning, and each closing message."""
    everything = node.warnings_out()
    latest: dict[str, Warning] = {}
    for warning in everything:
        held = latest.get(warning.warning_id)
        if held is None or warning.sequence >= held.sequence:
            latest[warning.warning_id] = warning
    open_ids = {w.warning_id for w in latest_open(everything)}
    return [w for w in latest.values() if w.warning_id in open_ids or w.state.is_closing]


def _collection_bytes(node: Node) -> bytes:
    states = [s for s in node.picture() if s.status is TrackStatus.CONFIRMED]
    warnings = latest_open([*node.warnings_out(), *node.warnings_in()])
    collection = picture_collection(states, warnings, node.node_id)
    return json.dumps(collection, separators=(",", ":"), allow_nan=False).encode()
