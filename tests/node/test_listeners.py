"""A node's stream listeners on real sockets: the node calls a receiver's raw Mode S port
(AVR lines, as dump1090 and readsb serve on 30002), reads what it sends as it comes, and the
channel's input turns it into Reports; the receiver going away and coming back is survived."""

from __future__ import annotations

import csv
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dronewarn.deploy.load import load_deployment
from dronewarn.domain.report import Report
from dronewarn.node.config import node_config
from dronewarn.node.inbound import Inbound, InboundQueues
from dronewarn.node.listeners import Listeners
from dronewarn.sense.sensor_input import channel_input


def wait_for(condition: Callable[[], Any], what: str, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what}")


class _Receiver:
    """A receiver's AVR port: every client that connects gets ``lines``, then the socket stays
    open until ``drop`` (or the test ends)."""

    def __init__(self, lines: bytes) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.lines = lines
        self.clients: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.clients.append(client)
            client.sendall(self.lines)

    def drop(self) -> None:
        for client in self.clients:
            client.close()
        self.clients.clear()


def test_raw_mode_s_from_a_receiver_the_node_calls(tmp_path: Path, samples_dir: Path) -> None:
    with (samples_dir / "adsb" / "sample_data_adsb.csv").open() as handle:
        messages = [row[1] for row in csv.reader(handle)][:60]
    receiver = _Receiver("".join(f"*{m};\n" for m in messages).encode())
    (tmp_path / "node.toml").write_text(
        f"""
[node]
name = "PL"
country = "POL"

[[sensors]]
id = "rx1"
kind = "adsb"
format = "modes"
connect = "tcp://127.0.0.1:{receiver.port}"
"""
    )
    deployment = load_deployment(tmp_path / "node.toml")
    config = node_config(deployment)
    (channel,) = config.input_channels()
    queues = InboundQueues([channel.channel_id])
    listeners = Listeners(deployment, config, queues, time.time, retry_s=0.2)
    decoder = channel_input([s for s in config.sensors if s.sensor_id in channel.sensor_ids])
    reports: list[Report] = []
    listeners.start()
    try:

        def read() -> int:
            for item in queues.take_all(0.05):
                assert isinstance(item, Inbound) and item.payload is not None
                reports.extend(decoder.decode(item.payload, item.received_s).reports)
            return len(reports)

        first = wait_for(lambda: read() >= 2, "positions from the first connection")
        assert first and {r.source for r in reports} == {"icao:406B90"}
        assert listeners.status[channel.channel_id].bound
        receiver.drop()  # the receiver restarts: the node calls again and reads it all again
        before = len(reports)
        wait_for(lambda: read() > before, "positions after the receiver came back")
    finally:
        listeners.stop()
        receiver.server.close()
