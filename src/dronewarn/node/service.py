"""``dronewarn node run node.toml``: a node as a long-lived service, from its file alone.

The composition root of a deployed node. ``NodeService`` builds, from the deployment:

* the node's stages (``node.Node``: sense, track, assess, share) over its store
  (``DATA_DIR/node.sqlite``), resumed from what it held before a restart (tracker snapshot
  ``DATA_DIR/tracks.npz``, open warnings rebuilt from the store);
* its sensor listeners (``node.listeners``) feeding one bounded queue per channel;
* its partner link (``share.link_service``: endpoint, outbox deliveries, audit log) and the
  inbox it acts on;
* its outputs (``node.outputs``: CoT, CAT062, SAPIENT, GeoJSON);
* its operator API (``node.operator_picture``: picture, accounts, ``/healthz``, ``/readyz``,
  ``/metrics``), over HTTPS when configured.

``run`` is the loop. On the wall clock it takes what the listeners queued, hands it to the
stages stamped with the time it arrived, runs the assessment cycle when due, and keeps the
picture, outputs, trust and accounts up to date. With ``[replay]`` a feeder drives the
clock instead (``node.replay_control``). Every few seconds it saves the tracker's state.
``stop`` (SIGTERM, Ctrl-C) ends the loop; ``close`` stops everything in order within a few
seconds. Nothing a sensor or a partner sends can end the loop: a failure of one step is
logged and counted, and the loop goes on.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import itertools
import logging
import math
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from dronewarn.api.routes.operations import Operations
from dronewarn.deploy.endpoints import parse_host_port
from dronewarn.deploy.load import Deployment
from dronewarn.domain.codec import finite_or_none, json_safe, warning_to_dict
from dronewarn.domain.errors import ConfigError
from dronewarn.domain.report import Report
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.frame import LocalFrame
from dronewarn.node.config import node_airspaces, node_config
from dronewarn.node.inbound import Inbound, InboundQueues
from dronewarn.node.link_setup import link_config
from dronewarn.node.linked import PartnerInbox
from dronewarn.node.listeners import Listeners
from dronewarn.node.metrics import Snapshot, exposition, node_registry
from dronewarn.node.node import Node
from dronewarn.node.operator_picture import OperatorPicture, PictureConfig
from dronewarn.node.outputs import Outputs
from dronewarn.node.replay_control import ReplayControl, Step
from dronewarn.node.track_snapshot import (
    FILE_NAME as SNAPSHOT_FILE,
)
from dronewarn.node.track_snapshot import (
    SnapshotUnreadableError,
    load_snapshot,
    save_snapshot,
)
from dronewarn.share.link_service import LinkService, SignedLink
from dronewarn.store.sqlite import Direction, SqliteStore
from dronewarn.track.tracker import TrackerState

log = logging.getLogger(__name__)

SNAPSHOT_EVERY_S = 10.0
TRUST_EVERY_S = 2.0
WAIT_S = 0.1
"""How long the loop waits for input before it looks after the rest."""
METRICS_EVERY_S = 1.0
WATCH_EVERY_S = 10.0
SILENT_AFTER_S = 60.0
"""A channel that said nothing for this long (or ten revisits) is reported silent."""
ACK_EVERY = 32
ID_MARGIN = 1000
"""Track numbers skipped after a restart: those handed out since the last snapshot (every
10 s) are never given again."""
"""Replay steps between answers to the feeder (more often when it waits)."""


class ReplayStepError(ValueError):
    """A feeder's step this node cannot carry out."""


class NodeService:
    """A deployed node (module doc)."""

    def __init__(
        self, deployment: Deployment, wall: Any = time.time, parent_pid: int | None = None
    ) -> None:
        """``parent_pid``: stop when that process is no longer this one's parent (a node
        started by a launcher that died)."""
        self.deployment = deployment
        self._wall = wall
        self._parent_pid = parent_pid
        data_dir = deployment.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _claim(data_dir)
        try:
            self._build(deployment, data_dir)
        except BaseException:
            self._abandon()
            raise

    def _build(self, deployment: Deployment, data_dir: Path) -> None:
        file = deployment.file
        wall = self._wall
        self.config = node_config(deployment)
        self.replay = file.replay
        self._replay_now = -math.inf
        self.airspaces = node_airspaces(deployment, self.config)
        self.store = SqliteStore(data_dir / "node.sqlite")
        self.node = Node(
            self.config,
            AirspaceMap(LocalFrame(*self.config.frame_origin), self.airspaces),
            self.store,
        )
        self._snapshot_path = data_dir / SNAPSHOT_FILE
        self._resume()
        self._arrived = threading.Event()
        self.link = LinkService(link_config(deployment), wall, on_incoming=self._arrived.set)
        for partner in self.config.partners:
            self.node.connect(SignedLink(partner, self.link))
        self.inbox = PartnerInbox(
            self.link, self.node.receive, self.node.receive_feedback, self.node.receive_tracks
        )
        self.queues = InboundQueues([c.channel_id for c in self.config.input_channels()])
        self.listeners = Listeners(deployment, self.config, self.queues, self.now)
        self.outputs = Outputs(deployment, self.node)
        self.control = (
            None if self.replay is None else ReplayControl(*_host_port(self.replay.clock_listen))
        )
        self.registry = node_registry(self.snapshot)
        api = file.api
        where = parse_host_port(api.listen)
        self.picture = OperatorPicture(
            self.node,
            PictureConfig(
                host=where.host,
                port=where.port,
                history_path=data_dir / "picture.sqlite",
                account_file=deployment.accounts_path,
                login_link_file=data_dir / "login-links.json",
                tls_cert=None if api.tls_cert is None else deployment.resolve(api.tls_cert),
                tls_key=None if api.tls_key is None else deployment.resolve(api.tls_key),
                session_ttl_s=api.session_ttl_s,
            ),
            self.link.stats,
            Operations(self.health, self.readiness, lambda: exposition(self.registry)),
            tuple((r.path, r.endpoint) for r in self.listeners.routes),
        )
        self._stop = threading.Event()
        self._started_s = wall()
        self._loop_s = wall()
        self._next_snapshot = -math.inf
        self._next_trust = -math.inf
        self._missing: Counter[str] = Counter()
        self._steps_done = 0
        self._acked_steps = 0
        self._pending_requests: list[Step] = []
        self._lag_s = math.nan
        self._link_port = 0
        self._next_metrics = -math.inf
        self._next_watch = float(wall()) + WATCH_EVERY_S
        self._hints: dict[str, str] = {}
        self._silent: set[str] = set()
        self._refused_logged: dict[str, int] = {}
        self._metrics = self._measure(float(wall()))
        self.failures: Counter[str] = Counter()
        """Failures of the loop's parts (logged each; in /healthz and /metrics)."""
        self._taken: dict[str, int] = {}
        """Replay: messages taken per channel from the current feeder."""

    # ------------------------------------------------------------------ clock

    def now(self) -> float:
        """The node's clock: the wall's, or the feeder's time with a replay."""
        if self.replay is None:
            return float(self._wall())
        return self._replay_now

    # ------------------------------------------------------------------ lifecycle

    def _resume(self) -> None:
        """The tracks of the last snapshot, and the open warnings the store holds. A replayed
        night starts its tracks afresh (its clock goes back to the night's start); either
        way new tracks are numbered past every id used before."""
        state: TrackerState | None = None
        try:
            found = load_snapshot(self._snapshot_path)
        except SnapshotUnreadableError as exc:
            log.warning("tracker snapshot set aside", extra={"error": str(exc)})
            found = None
        if found is not None:
            state, saved_s = found
            self.node.tracker.reserve_ids(state.next_id - 1 + ID_MARGIN)
            if self.replay is not None or saved_s > float(self._wall()) + 60.0:
                state = None  # not this clock's tracks
        try:
            still_open = self.node.resume(state)
        except ValueError as exc:  # a snapshot this tracker cannot take
            log.warning("tracker snapshot not used", extra={"error": str(exc)})
            still_open = self.node.resume(None)
        log.info(
            "resumed",
            extra={"tracks": len(self.node.picture()) if state else 0, "open_warnings": still_open},
        )

    def start(self) -> None:
        """Bind and start everything; ConfigError if a part cannot start."""
        self._link_port = self.link.start()
        self.listeners.start()
        if self.control is not None:
            self.control.start()
        try:
            self.picture.start()
        except RuntimeError as exc:
            raise ConfigError(f"[api] listen {self.deployment.file.api.listen}: {exc}") from exc
        self.outputs.start()
        log.info(
            "node started",
            extra={
                "api": self.picture.url,
                "link_port": self._link_port,
                "channels": len(self.listeners.status),
                "replay": self.control is not None,
            },
        )

    def stop(self) -> None:
        """End ``run`` (from a signal handler or another thread)."""
        self._stop.set()
        self.queues.wake()

    def close(self) -> None:
        """Stop every part, newest first; save the tracks last. A part that fails to stop
        is logged and the others still stop."""
        parts: list[tuple[str, Callable[[], object]]] = [
            ("listeners", self.listeners.stop),
            ("outputs", self.outputs.stop),
            ("picture", self.picture.stop),
            ("replay clock", self.control.stop if self.control is not None else lambda: None),
            ("partner inbox", self.inbox.drain),
            ("link", self.link.stop),
            ("snapshot", self._save_tracks),
            ("store", self.store.close),
            ("lock", self._lock.close),
        ]
        for name, stop in parts:
            self._guarded(f"stopping {name}", stop)
        log.info("node stopped")

    def _abandon(self) -> None:
        """What a failed ``__init__`` had opened, closed again."""
        link = getattr(self, "link", None)
        store = getattr(self, "store", None)
        with contextlib.suppress(Exception):
            if link is not None:
                link.stop()
        with contextlib.suppress(Exception):
            if store is not None:
                store.close()
        self._lock.close()

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        while not self._stop.is_set():
            self._loop_s = self._wall()
            if self.control is None:
                self._guarded("input", self._wall_step)
            else:
                self._guarded("replay step", functools.partial(self._replay_step, self.control))
            self._look_after()

    def _guarded(self, what: str, work: Callable[[], object]) -> None:
        """Run one part of the loop; a failure is logged and counted, never the loop's end."""
        try:
            work()
        except Exception:
            self.failures[what] += 1
            log.exception("node loop failed", extra={"part": what})

    def _wall_step(self) -> None:
        items = self.queues.take_all(WAIT_S)
        now = float(self._wall())
        self._deliver(items, now)
        self._guarded("assessment cycle", functools.partial(self.node.tick, now))

    def _replay_step(self, control: ReplayControl) -> None:
        step = control.next(WAIT_S)
        if step is None:
            self._answer_requests()
            return
        if step.request == "connected":  # a new feeder: its steps count from 1
            self._steps_done = self._acked_steps = 0
            self._taken.clear()
            return
        if step.request is not None:
            self._pending_requests.append(step)
            self._answer_requests()
            return
        try:
            self._replay_time_step(step)
        finally:  # the feeder counts on every step being answered
            self._steps_done += 1
            if control.pending() == 0 or self._steps_done - self._acked_steps >= ACK_EVERY:
                self._acked_steps = self._steps_done
                control.answer({"done": self._steps_done})

    def _replay_time_step(self, step: Step) -> None:
        assert step.time_s is not None
        self._replay_now = max(self._replay_now, step.time_s)
        if step.hold:
            return
        items: list[Inbound] = []
        if step.channel is not None and step.count:
            if step.channel not in self.queues.counts:
                raise ReplayStepError(f"the feeder named no channel of this node: {step.channel}")
            # the step's total is cumulative: a message late for one step is counted in the
            # next, never shifting every later step by one
            taken = self._taken.get(step.channel, 0)
            wanted = (step.total - taken) if step.total else step.count
            timeout = self.replay.step_timeout_s if self.replay is not None else 10.0
            items = self.queues.take_exactly(step.channel, max(wanted, 0), timeout)
            self._taken[step.channel] = taken + len(items)
            if len(items) < wanted:
                self._missing[step.channel] += wanted - len(items)
                log.warning(
                    "replay messages missing",
                    extra={"channel": step.channel, "missing": wanted - len(items)},
                )
        self._deliver(items, step.time_s)
        self._guarded("assessment cycle", functools.partial(self.node.tick, step.time_s))

    def _deliver(self, items: list[Inbound], now_s: float) -> None:
        """Hand the stages what arrived; a run of one channel's messages goes in one call
        (one frame of the tracker, as a sensor's burst belongs together). A channel whose
        input fails costs only its own messages (counted, logged)."""
        newest = -math.inf
        for channel_id, run in itertools.groupby(items, key=lambda i: i.channel_id):
            batch = list(run)
            reports = [r for i in batch for r in i.reports]
            if reports:
                newest = max(newest, max(r.time_s for r in reports))
            self._guarded(
                f"channel {channel_id}",
                functools.partial(self._deliver_channel, channel_id, batch, reports, now_s),
            )
        if math.isfinite(newest):
            self._lag_s = max(now_s - newest, 0.0)

    def _deliver_channel(
        self, channel_id: str, batch: list[Inbound], reports: list[Report], now_s: float
    ) -> None:
        node = self.node
        payloads = [i.payload for i in batch if i.payload is not None]
        if payloads:
            node.on_payloads(channel_id, payloads, now_s)
        errors = [e for i in batch for e in i.errors]
        if errors:
            node.sense.refuse(channel_id, now_s, errors)
        if reports:
            node.on_reports(reports, now_s)

    def _look_after(self) -> None:
        """Between steps: partners' messages, the picture, outputs, trust, snapshots; each
        part on its own, so that one failing does not stop the others."""
        if self._arrived.is_set():
            self._arrived.clear()
            self._guarded("partner inbox", self.inbox.drain)
        wall = float(self._wall())
        self._guarded("picture", functools.partial(self.picture.step, self.node.now_s))
        if wall >= self._next_metrics:
            self._next_metrics = wall + METRICS_EVERY_S
            self._guarded("metrics", functools.partial(self._remeasure, wall))
        self._guarded("outputs", functools.partial(self.outputs.step, wall))
        if wall >= self._next_trust:
            self._next_trust = wall + TRUST_EVERY_S
            self._guarded("trust", self._refresh_trust)
        if self._parent_pid is not None and os.getppid() != self._parent_pid:
            log.warning("the process that started this node is gone: stopping")
            self.stop()
        if wall >= self._next_watch:
            self._next_watch = wall + WATCH_EVERY_S
            self._guarded("input watch", functools.partial(self._watch_inputs, wall))
        if wall >= self._next_snapshot:
            self._next_snapshot = wall + SNAPSHOT_EVERY_S
            self._guarded("snapshot", self._save_tracks)

    def _remeasure(self, wall: float) -> None:
        self._metrics = self._measure(wall)

    def _refresh_trust(self) -> None:
        error = self.link.trust_error
        if self.link.refresh_trust():
            log.info("partner trust reloaded")
        if self.link.trust_error and self.link.trust_error != error:
            log.error("partner trust not reloaded", extra={"error": self.link.trust_error})

    def _save_tracks(self) -> None:
        try:
            save_snapshot(self._snapshot_path, self.node.tracker.export_state(), self.now())
        except OSError as exc:
            log.error("tracker snapshot not saved", extra={"error": str(exc)})

    # ------------------------------------------------------------------ replay answers

    def _answer_requests(self) -> None:
        if self.control is None or not self._pending_requests:
            return
        step = self._pending_requests[0]
        if step.request == "drain":
            if any(s["pending"] for s in self.link.stats().values()):
                return  # asked again on the next turn of the loop
            self.control.answer({"drained": True, "done": self._steps_done})
        elif step.request == "outcome":
            self.inbox.drain()
            self.control.answer({"outcome": self.outcome()})
        self._pending_requests.pop(0)

    def outcome(self) -> dict[str, Any]:
        """What the node ended a replayed night with (warnings, counts, link health)."""
        node = self.node
        return {
            "node_id": node.node_id,
            "country_iso3": node.config.country_iso3,
            "warnings_in": [warning_to_dict(w) for w in node.warnings_in()],
            "warnings_out": [warning_to_dict(w) for w in node.warnings_out()],
            "accepted": node.sense.accepted,
            "rejected": dict(node.sense.rejected),
            "links": json_safe(self.link.stats()),
            "missing": dict(self._missing),
            "forecasts": [f.to_row() for f in node.forecasts.forecasts()],
        }

    # ------------------------------------------------------------------ operations

    def health(self) -> dict[str, Any]:
        """Live while the loop turns (it waits at most a fraction of a second for input)."""
        stalled_s = float(self._wall()) - self._loop_s
        return {
            "live": stalled_s < 30.0,
            "node": self.node.node_id,
            "uptime_s": round(float(self._wall()) - self._started_s, 1),
            "loop_stalled_s": round(stalled_s, 2),
            "failures": dict(self.failures),
            "time_s": finite_or_none(self.now()),
        }

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready when every listener is bound and the partner endpoint answers."""
        listeners = {
            s.channel_id: {
                "address": s.address,
                "bound": s.bound,
                "connections": s.connections,
                "error": s.error,
                **self._hint(s.channel_id),
            }
            for s in self.listeners.status.values()
        }
        link_up = self._link_answers()
        partners = {
            p: {
                "reachable": not stats["consecutive_failures"],
                "pending": stats["pending"],
                "last_failure": stats["last_failure"],
            }
            for p, stats in self.link.stats().items()
        }
        ready = link_up and all(v["bound"] for v in listeners.values())
        return ready, {
            "listeners": listeners,
            "link": {"serving": link_up, "port": self._link_port, "partners": partners},
            "trust_error": self.link.trust_error,
            "outputs": [vars(o) for o in self.outputs.status],
        }

    def _hint(self, channel_id: str) -> dict[str, Any]:
        """What the channel's input says about itself (an ASTERIX edition that does not
        fit, silence)."""
        out: dict[str, Any] = {}
        counts = self.queues.counts[channel_id]
        out["messages"] = counts.received
        now = self.now() if math.isfinite(self.now()) else float(self._wall())
        if math.isfinite(counts.last_s):
            out["last_message_age_s"] = round(now - counts.last_s, 1)
        hint = self._hints.get(channel_id, "")
        if hint:
            out["hint"] = hint
        status_of = getattr(self.node.inputs.get(channel_id), "source_status", None)
        if callable(status_of) and (status := status_of()):
            out["source_status"] = status
        if channel_id in self._silent:
            out["silent"] = True
        return out

    def _watch_inputs(self, wall: float) -> None:
        """Log, once each, a channel that fell silent or whose records keep failing, and
        keep the edition hints ``/readyz`` shows."""
        for channel in self.config.input_channels():
            name = channel.channel_id
            counts = self.queues.counts[name]
            revisit = max(
                (
                    s.revisit_s or 0.0
                    for s in self.config.sensors
                    if s.sensor_id in channel.sensor_ids
                ),
                default=0.0,
            )
            quiet_s = max(SILENT_AFTER_S, 10.0 * revisit)
            silent = math.isfinite(counts.last_s) and wall - counts.last_s > quiet_s
            if silent and name not in self._silent:
                log.warning(
                    "sensor silent",
                    extra={"channel": name, "silent_s": round(wall - counts.last_s)},
                )
                self._silent.add(name)
            elif not silent and name in self._silent:
                log.info("sensor speaks again", extra={"channel": name})
                self._silent.discard(name)
            wire_input = self.node.inputs.get(name)
            hint_of = getattr(wire_input, "edition_hint", None)
            if callable(hint_of):
                hint = str(hint_of())
                if hint and hint != self._hints.get(name):
                    log.warning("records do not decode", extra={"channel": name, "hint": hint})
                self._hints[name] = hint
            refused = sum(
                n
                for (sensor, _), n in self.node.sense.rejected_by_sensor.items()
                if sensor in channel.sensor_ids or sensor == name
            )
            if refused > self._refused_logged.get(name, 0):
                kinds = {
                    kind: n
                    for (sensor, kind), n in self.node.sense.rejected_by_sensor.items()
                    if sensor in channel.sensor_ids or sensor == name
                }
                log.info("input refused", extra={"channel": name, "refused": kinds})
                self._refused_logged[name] = refused

    def _link_answers(self) -> bool:
        host = self.link.config.listen_host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.settimeout(0.5)
            return probe.connect_ex((host, self._link_port)) == 0

    def snapshot(self) -> Snapshot:
        """What the metrics read on a scrape (made by the loop at most a second ago)."""
        return self._metrics

    def _measure(self, wall: float) -> Snapshot:
        node = self.node
        now = self.now() if math.isfinite(self.now()) else wall
        depth = self.queues.depth()
        channels = {}
        for name, counts in self.queues.counts.items():
            status = self.listeners.status.get(name)
            channels[name] = {
                "messages": counts.received,
                "dropped": counts.dropped,
                "depth": depth.get(name, 0),
                "age_s": now - counts.last_s if math.isfinite(counts.last_s) else math.nan,
                "up": 1.0 if status is not None and status.bound else 0.0,
            }
        sent = self.store.count_warnings(Direction.OUT, "recipient")
        received = self.store.count_warnings(Direction.IN, "sender")
        return Snapshot(
            node=node.node_id,
            country=node.config.country_iso3,
            channels=channels,
            accepted=dict(node.sense.accepted_by_sensor),
            refused=dict(node.sense.rejected_by_sensor),
            tracks=len(node.classified),
            links=self.link.stats(),
            warnings_sent=dict(sent),
            warnings_received=dict(received),
            lag_s=self._lag_s,
            cycle_s=node.cycle_s,
            missing=dict(self._missing),
            outputs=[vars(o) for o in self.outputs.status],
        )


def _claim(data_dir: Path) -> IO[str]:
    """Hold ``DATA_DIR/node.lock`` while the node runs: two processes must never share a
    store, an outbox and an audit chain."""
    handle = (data_dir / "node.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise ConfigError(f"{data_dir} is in use by a running node ({holder})") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    return handle


def _host_port(text: str) -> tuple[str, int]:
    where = parse_host_port(text)
    return where.host, where.port
