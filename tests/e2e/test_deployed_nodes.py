"""Two nodes deployed the way a centre deploys them, end to end over real sockets.

A newcomer's path: ``dronewarn keys generate`` and ``keys trust`` for BY and PL, a
node.toml each (BY reads a radar data processor's CAT062 system tracks over UDP and sends
its picture as CoT to the centre's TAK server, taky here), ``dronewarn node check``,
``dronewarn users add``, ``dronewarn node run``. A recorded CAT062 capture of a drone flying
at Poland is sent into BY with ``dronewarn replay --retime``. Then: BY has the track on its
API, PL has BY's signed warning on its API, and a TAK client of the TAK server sees BY's
drone. BY is killed with SIGKILL mid-flight and started again: its audit chain verifies, PL's
accepted messages are all in BY's log, nothing was lost or sent twice, the warning carries
on with its next sequence number, and both nodes stop within 5 s of SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from dronewarn.sim.deployment import free_port, free_udp_port
from tests.e2e.captures import Flight, write_cat062_pcap

DEADLINE_S = 150.0
"""Only so that a broken run fails instead of hanging; every wait is for a condition."""
PASSWORD = "correct horse battery staple"


def dronewarn(*args: str, stdin: str | None = None, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "dronewarn", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )
    assert result.returncode == 0, f"dronewarn {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def wait_until(condition: Callable[[], Any], what: str, timeout_s: float = DEADLINE_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"not within {timeout_s:.0f} s: {what}")


@dataclass
class Ports:
    api: int
    link: int


def node_toml(
    name: str,
    country: str,
    ports: Ports,
    partner: str,
    partner_country: str,
    partner_link: int,
    extra: str = "",
) -> str:
    return f"""
[node]
name = "{name}"
country = "{country}"
data_dir = "{name.lower()}"

[api]
listen = "127.0.0.1:{ports.api}"

[link]
listen = "127.0.0.1:{ports.link}"
heartbeat_s = 1.0

[[partners]]
name = "{partner}"
country = "{partner_country}"
url = "https://127.0.0.1:{partner_link}"
{extra}
"""


class NodeProcess:
    def __init__(self, config: Path, api_port: int) -> None:
        self.config = config
        self.api = f"http://127.0.0.1:{api_port}"
        self.log = config.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dronewarn", "node", "run", str(self.config)],
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        wait_until(self.ready, f"{self.config.name} ready (log: {self.log.read_text()[-2000:]})")

    def nothing_pending(self) -> bool:
        """Every message in the node's outbox acknowledged by its partner (``/readyz``)."""
        try:
            body = httpx.get(f"{self.api}/readyz", timeout=1.0).json()
        except (httpx.HTTPError, ValueError):
            return False
        partners = body.get("link", {}).get("partners", {})
        return bool(partners) and all(p["pending"] == 0 for p in partners.values())

    def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"{self.config.name} ended:\n{self.log.read_text()[-3000:]}")
        try:
            return bool(httpx.get(f"{self.api}/readyz", timeout=1.0).json()["ready"])
        except (httpx.HTTPError, ValueError):
            return False

    def session(self, name: str) -> httpx.Client:
        client = httpx.Client(base_url=self.api, headers={"Origin": self.api}, timeout=5.0)
        answer = client.post("/api/login", json={"name": name, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return client

    def stop(self, timeout_s: float = 5.0) -> float:
        """SIGTERM; the seconds it took to end."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout_s)
        return time.monotonic() - started

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def ensure_stopped(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@contextlib.contextmanager
def tak_server(folder: Path) -> Iterator[int]:
    """taky (``DRONEWARN_TAK_SERVER``: ./run test installs it in .venv-tak-peer)."""
    binary = os.environ.get("DRONEWARN_TAK_SERVER", "")
    if not binary or not Path(binary).is_file():
        found = Path(__file__).resolve().parents[2] / ".venv-tak-peer" / "bin" / "taky"
        binary = str(found) if found.is_file() else ""
    if not binary:
        pytest.skip("no TAK server: ./run test installs taky in .venv-tak-peer")
    port = free_port()
    conf = folder / "taky.conf"
    conf.write_text(
        "[taky]\nhostname=localhost\nnode_id=TEST\nbind_ip=127.0.0.1\n"
        f"[cot_server]\nport={port}\n[ssl]\nenabled=false\n"
    )
    with (folder / "taky.log").open("ab") as log:
        process = subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=log, cwd=folder)
    try:

        def listening() -> bool:
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        wait_until(listening, "the TAK server listens", 30)
        yield port
    finally:
        process.terminate()
        process.wait(10)


class TakClient:
    """A TAK client of the TAK server: collects the CoT events routed to it."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.received = b""
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with contextlib.suppress(OSError):
            while data := self.sock.recv(65536):
                with self._lock:
                    self.received += data

    def text(self) -> str:
        with self._lock:
            return self.received.decode("utf-8", "replace")


def test_two_deployed_nodes_warn_over_real_sockets_and_survive_a_kill(tmp_path: Path) -> None:
    by_ports, pl_ports = Ports(free_port(), free_port()), Ports(free_port(), free_port())
    radar_port = free_udp_port()
    dronewarn("keys", "generate", "--node", "BY", "--home", str(tmp_path / "by"))
    dronewarn("keys", "generate", "--node", "PL", "--home", str(tmp_path / "pl"))
    dronewarn(
        "keys",
        "trust",
        "--home",
        str(tmp_path / "by"),
        "--partner",
        "PL",
        "--source",
        str(tmp_path / "pl" / "keys"),
    )
    dronewarn(
        "keys",
        "trust",
        "--home",
        str(tmp_path / "pl"),
        "--partner",
        "BY",
        "--source",
        str(tmp_path / "by" / "keys"),
    )
    with tak_server(tmp_path) as tak_port:
        sensor = f"""
[[sensors]]
id = "by-sdps"
kind = "radar"
format = "asterix"
listen = "udp://127.0.0.1:{radar_port}"
editions = {{"62" = "1.20"}}

[[outputs]]
kind = "cot"
to = "tcp://127.0.0.1:{tak_port}"
period_s = 1.0
"""
        by_toml = tmp_path / "by.toml"
        by_toml.write_text(node_toml("BY", "BLR", by_ports, "PL", "POL", pl_ports.link, sensor))
        pl_toml = tmp_path / "pl.toml"
        pl_toml.write_text(node_toml("PL", "POL", pl_ports, "BY", "BLR", by_ports.link))
        for config in (by_toml, pl_toml):
            assert "is valid" in dronewarn("node", "check", str(config))
        for config in (by_toml, pl_toml):
            dronewarn(
                "users",
                "add",
                "duty",
                "--role",
                "operator",
                "--config",
                str(config),
                "--password-stdin",
                stdin=PASSWORD + "\n",
            )
        by, pl = NodeProcess(by_toml, by_ports.api), NodeProcess(pl_toml, pl_ports.api)
        try:
            _night(tmp_path, by, pl, radar_port, tak_port)
        finally:
            by.ensure_stopped()
            pl.ensure_stopped()
    _audit(tmp_path)


def _night(
    tmp_path: Path, by: NodeProcess, pl: NodeProcess, radar_port: int, tak_port: int
) -> None:
    by.start()
    pl.start()
    watcher = TakClient(tak_port)
    # a jet drone 8 km east of the border near Terespol, flying west at 140 m/s
    capture = tmp_path / "sdps.pcap"
    write_cat062_pcap(
        capture, [Flight((52.08, 23.75), 268.0, 140.0)], time.time() - 3600.0, 90.0, 2.0
    )
    replay = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronewarn",
            "replay",
            str(capture),
            "--to",
            f"udp://127.0.0.1:{radar_port}",
            "--retime",
            "--speed",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        with closing(by.session("duty")) as at_by, closing(pl.session("duty")) as at_pl:
            tracks = wait_until(lambda: at_by.get("/api/tracks").json()["tracks"], "a track at BY")
            assert tracks[0][0].startswith("BY-T")

            def warned() -> list[dict[str, Any]]:
                rows = at_pl.get("/api/warnings").json()["warnings"]
                return [w for w in rows if w["direction"] == "in" and w["partner"] == "BY"]

            first = wait_until(warned, "BY's signed warning verified and stored at PL")[0]
            # monitoring needs no login
            assert httpx.get(f"{by.api}/healthz").json()["live"] is True
            metrics = httpx.get(f"{by.api}/metrics").text
            assert 'dronewarn_reports_accepted_total{sensor="by-sdps"}' in metrics
            assert 'dronewarn_warnings_sent_total{partner="PL"}' in metrics
            assert at_by.get("/api/tracks").status_code == 200
            assert httpx.get(f"{by.api}/api/tracks").status_code == 401
            wait_until(
                lambda: 'uid="dronewarn.BY.' in watcher.text() and "a-" in watcher.text(),
                "BY's CoT routed by the TAK server to another TAK client",
            )
        # kill -9 mid-flight, start again: it resumes from its data_dir
        with closing(pl.session("duty")) as at_pl:
            rows = at_pl.get("/api/warnings").json()["warnings"]
        sent_before = next(w for w in rows if w["warning_id"] == first["warning_id"])["messages"]
        by.kill()
        by.start()
        with closing(pl.session("duty")) as at_pl:

            def carried_on() -> list[dict[str, Any]]:
                rows = at_pl.get("/api/warnings").json()["warnings"]
                return [
                    w
                    for w in rows
                    if w["warning_id"] == first["warning_id"] and w["messages"] > sent_before
                ]

            wait_until(carried_on, "the warning's next message after the restart")
        # nothing new to send, then everything sent: what BY queued after the wait above
        # (a track batch, a warning update) must reach PL before the stop, not stay pending
        if replay.poll() is None:
            replay.kill()
        wait_until(lambda: by.nothing_pending(), "BY's outbox delivered before the stop")
        assert by.stop() < 5.0 and pl.stop() < 5.0
    finally:
        if replay.poll() is None:
            replay.kill()


def _audit(tmp_path: Path) -> None:
    assert "intact" in dronewarn("audit", "verify", str(tmp_path / "by"))
    assert "intact" in dronewarn("audit", "verify", str(tmp_path / "pl"))
    assert "are in BY's log" in dronewarn(
        "audit", "compare", str(tmp_path / "by"), str(tmp_path / "pl")
    )
    # nothing acknowledged was sent twice with a new effect: one row per (warning, sequence)
    import sqlite3

    with contextlib.closing(sqlite3.connect(tmp_path / "pl" / "node.sqlite")) as db:
        rows = db.execute(
            "SELECT warning_id, sequence, count(*) FROM warning WHERE direction = 'in'"
            " GROUP BY warning_id, sequence"
        ).fetchall()
    assert rows and all(n == 1 for _, _, n in rows)
    # ... and each warning's messages are numbered 1, 2, 3... across the restart
    sequences: dict[str, list[int]] = {}
    for warning_id, sequence, _ in rows:
        sequences.setdefault(warning_id, []).append(sequence)
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in sequences.values()), sequences
    with contextlib.closing(sqlite3.connect(tmp_path / "by" / "link.sqlite")) as db:
        states = dict(db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    assert set(states) <= {"acked", "superseded"}, states
