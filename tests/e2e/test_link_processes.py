"""Two real nodes' links in their own processes on loopback, under failure.

BY sends 300 warnings to PL over mutual TLS through a line that the test can cut. During the
run: BY is killed with SIGKILL while sending and restarted, PL is killed with SIGKILL and
restarted, the line is cut for 60 s, and the two clocks are 10 s apart (BY +5 s, PL -5 s).
Every warning must arrive, be acted on once, in BY's order; both audit logs must verify and
PL's received copies must match BY's log byte for byte.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dronewarn.domain.codec import warning_to_dict
from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.warning import EntryPrediction, Warning, WarningState
from dronewarn.share.link_config import write_link_config
from dronewarn.share.link_service import LinkConfig, PartnerEndpoint
from dronewarn.share.provisioning import provision, trust
from tests.e2e.tcp_proxy import CuttableProxy

N_WARNINGS = 300
T0 = 1_757_451_600.0  # 2025-09-09T21:00:00Z


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _feed(path: Path) -> list[str]:
    ids = []
    with path.open("w", encoding="utf-8") as out:
        for k in range(N_WARNINGS):
            warning = Warning(
                warning_id=f"BY-W{k // 3:04d}",
                sequence=k % 3,
                state=WarningState.NEW if k % 3 == 0 else WarningState.UPDATE,
                sender="BY",
                recipient="PL",
                track_id=f"BY-T{k // 3:05d}",
                issued_s=T0 + k,
                track_position=GeoPoint(52.0 + k * 1e-3, 24.5, 900.0),
                track_speed_mps=42.0,
                track_course_deg=270.0,
                object_class=ObjectClass.GERBERA,
                entry=EntryPrediction(
                    GeoPoint(52.1, 23.6), T0 + k + 900.0, T0 + k + 800.0, T0 + k + 1000.0, 0.9
                ),
                members=(f"BY-T{k // 3:05d}",),
                priority=2,
                area="POL",
                class_confidence=0.7,
            )
            out.write(json.dumps(warning_to_dict(warning)) + "\n")
            ids.append(f"{warning.warning_id}/{warning.sequence}")
    return ids


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _wait(what: str, condition: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Nodes:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, node: str, *extra: str) -> None:
        log = (self.root / f"{node}.log").open("ab")
        self.procs[node] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dronewarn",
                "link",
                "serve",
                "--home",
                str(self.root / node),
                *extra,
            ],
            stdout=log,
            stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def kill9(self, node: str) -> None:
        proc = self.procs.pop(node)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Nodes, CuttableProxy, list[str]]]:
    for node in ("BY", "PL"):
        provision(tmp_path / node, node)
    trust(tmp_path / "PL", tmp_path / "BY" / "keys", "BY")
    trust(tmp_path / "BY", tmp_path / "PL" / "keys", "PL")
    by_port, pl_port, line_port = _free_port(), _free_port(), _free_port()
    write_link_config(
        LinkConfig(
            "BY",
            tmp_path / "BY",
            (PartnerEndpoint("PL", f"https://127.0.0.1:{line_port}"),),
            listen_port=by_port,
            heartbeat_s=1.0,
        )
    )
    write_link_config(
        LinkConfig(
            "PL",
            tmp_path / "PL",
            (PartnerEndpoint("BY", f"https://127.0.0.1:{by_port}"),),
            listen_port=pl_port,
            heartbeat_s=1.0,
        )
    )
    proxy = CuttableProxy(line_port, pl_port)
    ids = _feed(tmp_path / "feed.jsonl")
    running = Nodes(tmp_path)
    yield running, proxy, ids
    running.stop_all()
    proxy.close()


def test_every_warning_arrives_once_in_order_through_kills_cuts_and_skew(
    tmp_path: Path, nodes: tuple[Nodes, CuttableProxy, list[str]]
) -> None:
    running, proxy, ids = nodes
    pl_link = tmp_path / "PL" / "link.sqlite"
    by_link = tmp_path / "BY" / "link.sqlite"

    def accepted() -> int:
        return _count(pl_link, "SELECT COUNT(*) FROM received WHERE kind='warning'")

    by_args = ("--feed", str(tmp_path / "feed.jsonl"), "--clock-offset-s", "5")
    running.start("PL", "--clock-offset-s", "-5")
    running.start("BY", *by_args)

    _wait("the first 30 warnings", lambda: accepted() >= 30, 60)
    running.kill9("BY")  # while its feed is being sent (50 a second)
    running.start("BY", *by_args)

    _wait("100 warnings", lambda: accepted() >= 100, 60)
    running.kill9("PL")
    time.sleep(2.0)
    running.start("PL", "--clock-offset-s", "-5")

    _wait("150 warnings", lambda: accepted() >= 150, 60)
    proxy.cut()
    time.sleep(2.0)  # a request already at PL when the line went is still processed there
    before = accepted()
    time.sleep(58.0)
    assert accepted() == before  # nothing crossed the cut line
    proxy.restore()

    _wait(
        "every warning acked",
        lambda: (
            _count(by_link, "SELECT COUNT(*) FROM outbox WHERE state='acked' AND kind='warning'")
            == N_WARNINGS
        ),
        120,
    )
    running.stop_all()

    with sqlite3.connect(pl_link) as conn:
        rows = conn.execute(
            "SELECT seq, token FROM received WHERE kind='warning' ORDER BY rowid"
        ).fetchall()
    seqs = [seq for seq, _ in rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == N_WARNINGS  # once each, in order
    from dronewarn.share.envelope import unverified_payload

    got = [
        f"{b['warning_id']}/{b['sequence']}"
        for b in (unverified_payload(token)["body"] for _, token in rows)
    ]
    assert got == ids  # BY's order, nothing missing, nothing twice
    with sqlite3.connect(tmp_path / "PL" / "node.sqlite") as conn:
        acted = conn.execute("SELECT COUNT(*) FROM warning WHERE direction='in'").fetchone()[0]
    assert acted == N_WARNINGS
    with sqlite3.connect(by_link) as conn:
        retried = conn.execute("SELECT SUM(attempts - 1) FROM outbox").fetchone()[0]
    assert retried > 0  # the failures were real

    audit_in = [
        json.loads(line.split(b"\t")[0])
        for line in (tmp_path / "PL" / "audit.log").read_bytes().splitlines()
    ]
    assert sum(e["event"] == "in" and e.get("kind") == "warning" for e in audit_in) == N_WARNINGS
    for node in ("BY", "PL"):
        check = subprocess.run(
            [sys.executable, "-m", "dronewarn", "audit", "verify", str(tmp_path / node)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    compared = subprocess.run(
        [
            sys.executable,
            "-m",
            "dronewarn",
            "audit",
            "compare",
            str(tmp_path / "BY"),
            str(tmp_path / "PL"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compared.returncode == 0, compared.stdout + compared.stderr
