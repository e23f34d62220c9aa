"""A node's outputs, each to a real socket or file: CAT062 over UDP, GeoJSON to a file, CoT to
a TAK server (a TCP server here) and to TAK clients that connect, SAPIENT to a fusion node
(dronewarn's own SAPIENT server stands in for the DMM)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dronewarn.deploy.model import NodeFile
from dronewarn.domain.report import Report
from dronewarn.formats.asterix.decoder import DecodePlan, decode_datablocks
from dronewarn.formats.cot.stream import CotStreamSplitter
from dronewarn.harness.in_process import InProcessNodes, Window, simulate_scenario
from dronewarn.node.outputs import Outputs
from dronewarn.sense.sapient_server import SapientServer, SapientServerConfig
from dronewarn.sim.deployment import deployment_of, free_port
from dronewarn.sim.scenario import load_scenario
from dronewarn.sim.stream import ReplayClock

DATA = Path(__file__).parents[1] / "data"


def wait_for(condition: Callable[[], Any], what: str, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what}")


class _TcpSink:
    """A TCP server that keeps what its clients send (a TAK server's streaming port)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.data = b""
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        while chunk := connection.recv(65536):
            self.data += chunk


def test_every_output_reaches_its_destination(tmp_path: Path) -> None:
    scenario = load_scenario(DATA / "one-drone.yaml")
    world = simulate_scenario(scenario)
    night = InProcessNodes(world)
    night.run(
        Window(scenario.start_s, scenario.start_s + 20 * 60), ReplayClock(scenario.start_s, None)
    )
    node = night.nodes["BY"]
    assert node.picture() and node.warnings_out()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(10.0)
    tak_server = _TcpSink()
    tak_clients_port = free_port()
    reports: list[Report] = []
    dmm_loop = asyncio.new_event_loop()
    dmm = SapientServer(
        SapientServerConfig(
            "5b0c35d0-4b1e-4d43-9d1e-2d4c1b7d1a11",
            port=0,
            accept_unconfigured=True,
        ),
        reports.append,
    )
    threading.Thread(target=dmm_loop.run_forever, daemon=True).start()
    dmm_port = asyncio.run_coroutine_threadsafe(dmm.start(), dmm_loop).result(10)
    geojson = tmp_path / "out" / "picture.geojson"
    node_file = NodeFile.model_validate(
        {
            "node": {"name": "BY", "country": "BLR"},
            "outputs": [
                {
                    "kind": "asterix062",
                    "to": f"udp://127.0.0.1:{udp.getsockname()[1]}",
                    "sac": 9,
                    "sic": 1,
                    "period_s": 0.2,
                },
                {"kind": "geojson", "to": "file:out/picture.geojson", "period_s": 0.2},
                {"kind": "cot", "to": f"tcp://127.0.0.1:{tak_server.port}", "period_s": 0.2},
                {"kind": "cot", "listen": f"tcp://127.0.0.1:{tak_clients_port}", "period_s": 0.2},
                {"kind": "sapient", "to": f"tcp://127.0.0.1:{dmm_port}", "period_s": 0.2},
            ],
        }
    )
    outputs = Outputs(deployment_of(node_file, tmp_path), node)
    outputs.start()
    try:
        client = socket.create_connection(("127.0.0.1", tak_clients_port))
        client.settimeout(10.0)

        def step() -> bool:
            outputs.step(time.time())
            return False

        # CAT062: every confirmed track, decodable, at its position
        step()
        datagram, _ = udp.recvfrom(65536)
        tracks = decode_datablocks(
            datagram, DecodePlan.for_editions(), reference_s=node.now_s
        ).cat062
        assert len(tracks) == len(node.picture())
        assert (tracks[0].sac, tracks[0].sic) == (9, 1)
        own = node.picture()[0].position
        assert tracks[0].lat_deg is not None and abs(tracks[0].lat_deg - own.lat_deg) < 1e-3
        # GeoJSON: the tracks and the warnings
        document = wait_for(lambda: geojson.exists() and json.loads(geojson.read_text()), "geojson")
        kinds = {f["geometry"]["type"] for f in document["features"]}
        assert kinds == {"Point", "LineString"}

        # CoT to the TAK server, and to a TAK client that connected
        def tak_events() -> list[str]:
            step()
            splitter = CotStreamSplitter()
            return [getattr(e, "uid", "") for e in splitter.feed(tak_server.data)]

        uids = wait_for(tak_events, "CoT at the TAK server")
        assert any(uid.startswith("dronewarn.BY.") for uid in uids)
        step()
        assert b"dronewarn.BY." in wait_for(lambda: client.recv(65536), "CoT at a TAK client")
        # SAPIENT: the fusion node took our DetectionReports
        wait_for(
            lambda: step() or reports,
            f"a SAPIENT DetectionReport at the DMM ({dmm.received}, {dmm.errors}, {dmm.skipped})",
        )
        statuses = {s.kind: s.up for s in outputs.status}
        assert statuses["asterix062"] and statuses["geojson"]
        wait_for(lambda: step() or all(s.up for s in outputs.status), "every output up")
    finally:
        outputs.stop()
        asyncio.run_coroutine_threadsafe(dmm.close(), dmm_loop).result(10)
        dmm_loop.call_soon_threadsafe(dmm_loop.stop)
        night.close()
