"""The feeder: a simulated night's sensor messages sent to running nodes over real sockets.

The simulator is a client of the product. For each delivery of the night (one radar scan,
one acoustic tick, one citizen's sighting) the feeder sends the sensor's wire messages to the
listener its node's node.toml names, the way the real sensor would:

* radars: ASTERIX CAT034/CAT048 datagrams over UDP;
* the counter-drone sensor: SAPIENT frames over its TCP connection;
* acoustic nodes: one MQTT message each, QoS 1, on the network's topic of the broker;
* citizens: one HTTP POST per sighting.

Then it tells the node, on its replay clock connection (``node.replay_control``), which
messages that was and when they arrived, so the node processes them at that moment of the
night. Steps go out in time order; at most ``window`` steps (and ``window_bytes`` of UDP
payload) are in flight per node, so no socket buffer overflows however fast it plays. A
sighting waits until its node's clock has reached the sighting's arrival: the HTTP endpoint
judges a sighting's time by the node's clock.

``finish`` tells every node the night is over, waits until every link has delivered what it
queued, and collects each node's outcome (warnings in and out, counts, link health).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from dronewarn.deploy.endpoints import parse_host_port
from dronewarn.deploy.model import NodeFile
from dronewarn.domain.sensor import WireFormat
from dronewarn.formats.acoustic import node_topic
from dronewarn.sim.stream import Delivery, ReplayClock

DEFAULT_WINDOW = 256
DEFAULT_WINDOW_BYTES = 96 * 1024
CONNECT_TIMEOUT_S = 60.0


class FeederError(RuntimeError):
    """A node stopped answering, or refused a step."""


class ClockLink:
    """The connection to one node's replay clock, and what it answers."""

    def __init__(self, node_id: str, host: str, port: int, timeout_s: float) -> None:
        self.node_id = node_id
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._sock = socket.create_connection((host, port), timeout=5.0)
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise FeederError(f"{node_id}'s replay clock {host}:{port}: {exc}") from exc
                time.sleep(0.1)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.settimeout(None)
        self.sent = 0
        """Clock steps sent (questions excluded)."""
        self.done = 0
        self.bytes_at: list[tuple[int, int]] = []
        """(step, cumulative UDP octets sent up to it), for the byte window."""
        self.udp_octets = 0
        self.acked_octets = 0
        self.totals: dict[str, int] = {}
        """Messages sent per channel since connecting."""
        self.answers: list[dict[str, Any]] = []
        self.error = ""
        self._changed = threading.Condition()
        self._buffer: list[bytes] = []
        self._reader = threading.Thread(target=self._read, name=f"clock-{node_id}", daemon=True)
        self._reader.start()

    def step(
        self, time_s: float, channel: str | None = None, count: int = 0, hold: bool = False
    ) -> int:
        body: dict[str, Any] = {"t": time_s}
        if hold:
            body["hold"] = True
        if channel is not None and count:
            total = self.totals.get(channel, 0) + count
            self.totals[channel] = total
            body["channel"], body["n"], body["total"] = channel, count, total
        self._buffer.append(json.dumps(body, separators=(",", ":")).encode() + b"\n")
        self.sent += 1
        if len(self._buffer) >= 16:
            self.flush()
        return self.sent

    def reached(self, step: int) -> bool:
        return self.done >= step

    def ask(self, request: str) -> None:
        self._buffer.append(json.dumps({request: True}).encode() + b"\n")
        self.flush()

    def flush(self) -> None:
        if self._buffer:
            data, self._buffer = b"".join(self._buffer), []
            try:
                self._sock.sendall(data)
            except OSError as exc:
                raise FeederError(f"{self.node_id}'s replay clock: {exc}") from exc

    def wait(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        self.flush()
        with self._changed:
            while not ready():
                if self.error:
                    raise FeederError(f"{self.node_id}: {self.error}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise FeederError(f"{self.node_id} did not answer in {timeout_s:.0f} s: {what}")
                self._changed.wait(min(left, 1.0))

    def answer(self, key: str, timeout_s: float) -> dict[str, Any]:
        """The first answer carrying ``key`` (waiting for it)."""
        found: list[dict[str, Any]] = []

        def arrived() -> bool:
            for item in self.answers:
                if key in item:
                    found.append(item)
                    return True
            return False

        self.wait(arrived, timeout_s, f"no {key!r}")
        self.answers.remove(found[0])
        return found[0]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()

    def _read(self) -> None:
        pending = b""
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self._changed:
                    self.error = self.error or "the replay clock connection closed"
                    self._changed.notify_all()
                return
            pending += data
            *lines, pending = pending.split(b"\n")
            with self._changed:
                for line in lines:
                    if not line.strip():
                        continue
                    item = json.loads(line)
                    if "done" in item:
                        self.done = max(self.done, int(item["done"]))
                    if "error" in item:
                        self.error = str(item["error"])
                    if set(item) - {"done"}:
                        self.answers.append(item)
                self._changed.notify_all()


@dataclass(frozen=True)
class _Target:
    node_id: str
    wire: WireFormat
    host: str
    port: int
    path: str = ""
    channel: str = ""
    """The node's name for the listener: its first sensor (several may share one)."""


def _targets(files: Mapping[str, NodeFile]) -> dict[str, _Target]:
    out = {}
    for node_id, node_file in files.items():
        first: dict[str, str] = {}
        for sensor in node_file.sensors:
            where = sensor.endpoint
            channel = first.setdefault(str(where), sensor.id) if where.port else sensor.id
            out[sensor.id] = _Target(
                node_id, sensor.wire, where.host, where.port, where.path, channel
            )
    return out


class Feeder:
    """Sends a night's deliveries to the nodes described by ``files`` (module doc)."""

    def __init__(
        self,
        files: Mapping[str, NodeFile],
        window: int = DEFAULT_WINDOW,
        window_bytes: int = DEFAULT_WINDOW_BYTES,
        timeout_s: float = 120.0,
    ) -> None:
        self.files = files
        self.window = window
        self.window_bytes = window_bytes
        self.timeout_s = timeout_s
        self.targets = _targets(files)
        self.clocks: dict[str, ClockLink] = {}
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sapient: dict[str, socket.socket] = {}
        self._http: dict[str, http.client.HTTPConnection] = {}
        self._mqtt: dict[tuple[str, int], mqtt.Client] = {}
        self.sent: dict[str, int] = {}
        self.http_refused = 0

    def connect(self, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        """Connect to every node's clock and to the listeners that are streams."""
        for node_id, node_file in self.files.items():
            if node_file.replay is None:
                raise FeederError(f"{node_id}'s node.toml has no [replay]: its clock is the wall's")
            where = parse_host_port(node_file.replay.clock_listen)
            self.clocks[node_id] = ClockLink(node_id, where.host, where.port, timeout_s)
        for sensor_id, target in self.targets.items():
            if target.wire is WireFormat.SAPIENT:
                sock = socket.create_connection((target.host, target.port), timeout=timeout_s)
                self._sapient[sensor_id] = sock
                threading.Thread(target=_discard, args=(sock,), daemon=True).start()
            elif target.wire is WireFormat.SIGHTING_JSON:
                self._http[sensor_id] = http.client.HTTPConnection(
                    target.host, target.port, timeout=timeout_s
                )
            elif target.wire is WireFormat.ACOUSTIC_JSON:
                key = (target.host, target.port)
                if key not in self._mqtt:
                    client = mqtt.Client(
                        callback_api_version=CallbackAPIVersion.VERSION2,
                        client_id=f"dronewarn-feeder-{target.port}",
                        protocol=mqtt.MQTTv311,
                    )
                    client.max_queued_messages_set(0)
                    client.max_inflight_messages_set(1000)
                    client.connect(target.host, target.port)
                    client.loop_start()
                    self._mqtt[key] = client

    def run(
        self,
        deliveries: Iterable[Delivery],
        clock: ReplayClock,
        on_step: Callable[[float], None] | None = None,
    ) -> None:
        for delivery in clock.pace(deliveries):
            self._send(delivery)
            if on_step is not None:
                on_step(delivery.arrival_s)
        for link in self.clocks.values():
            link.flush()

    def _send(self, delivery: Delivery) -> None:
        target = self.targets.get(delivery.sensor_id)
        if target is None:
            raise FeederError(f"no node listens for sensor {delivery.sensor_id}")
        link = self.clocks[target.node_id]
        self._wait_window(link)
        payloads = delivery.payloads
        count = len(payloads)
        if target.wire in (WireFormat.ASTERIX, WireFormat.ODID):
            for payload in payloads:
                self._udp.sendto(payload, (target.host, target.port))
                link.udp_octets += len(payload)
        elif target.wire is WireFormat.SAPIENT:
            if payloads:
                self._sapient[delivery.sensor_id].sendall(b"".join(payloads))
        elif target.wire is WireFormat.ACOUSTIC_JSON:
            client = self._mqtt[(target.host, target.port)]
            network = target.path.strip("/") or delivery.sensor_id
            for report, payload in zip(delivery.reports, payloads, strict=True):
                topic = node_topic(network, report.source.rsplit("/", 1)[-1])
                client.publish(topic, payload, qos=1)
        elif target.wire is WireFormat.SIGHTING_JSON:
            if payloads:
                # the endpoint judges a sighting by the node's clock: bring it to the arrival
                step = link.step(delivery.arrival_s, hold=True)
                link.wait(functools.partial(link.reached, step), self.timeout_s, "the clock")
                for payload in payloads:
                    self._post(delivery.sensor_id, target, payload)
                link.step(delivery.arrival_s, target.channel, count)
                self.sent[delivery.sensor_id] = self.sent.get(delivery.sensor_id, 0) + count
                return
        else:
            raise FeederError(f"the feeder does not send {target.wire} yet")
        self.sent[delivery.sensor_id] = self.sent.get(delivery.sensor_id, 0) + count
        step = link.step(delivery.arrival_s, target.channel, count)
        link.bytes_at.append((step, link.udp_octets))

    def _post(self, sensor_id: str, target: _Target, payload: bytes) -> None:
        connection = self._http[sensor_id]
        for attempt in range(2):
            try:
                connection.request(
                    "POST",
                    target.path or "/",
                    body=payload,
                    headers={"Content-Type": "application/json"},
                )
                answer = connection.getresponse()
                answer.read()
                if answer.status != 202:
                    self.http_refused += 1
                return
            except (http.client.HTTPException, OSError):
                connection.close()
                if attempt:
                    raise

    def _wait_window(self, link: ClockLink) -> None:
        def room() -> bool:
            while link.bytes_at and link.bytes_at[0][0] <= link.done:
                link.acked_octets = link.bytes_at.pop(0)[1]
            return (
                link.sent - link.done < self.window
                and link.udp_octets - link.acked_octets <= self.window_bytes
            )

        if not room():
            link.wait(room, self.timeout_s, "steps in flight")

    def finish(self, end_s: float, timeout_s: float = 180.0) -> dict[str, dict[str, Any]]:
        """End the night at every node; wait for every link; each node's outcome."""
        for link in self.clocks.values():
            link.step(end_s)
            link.flush()
        for link in self.clocks.values():
            link.wait(functools.partial(link.reached, link.sent), timeout_s, "the night")
        for link in self.clocks.values():
            link.ask("drain")
        for link in self.clocks.values():
            link.answer("drained", timeout_s)
        outcomes = {}
        for link in self.clocks.values():
            link.ask("outcome")
        for node_id, link in self.clocks.items():
            outcomes[node_id] = link.answer("outcome", timeout_s)["outcome"]
        return outcomes

    def close(self) -> None:
        for client in self._mqtt.values():
            with contextlib.suppress(Exception):
                client.loop_stop()
                client.disconnect()
        for sock in self._sapient.values():
            with contextlib.suppress(OSError):
                sock.close()
        for connection in self._http.values():
            connection.close()
        for link in self.clocks.values():
            link.close()
        self._udp.close()


def _discard(sock: socket.socket) -> None:
    """Read and drop what a server answers (SAPIENT registration acks)."""
    with contextlib.suppress(OSError):
        while sock.recv(65536):
            pass
