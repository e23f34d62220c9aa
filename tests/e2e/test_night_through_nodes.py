"""The whole NIGHT-0910 through deployed nodes: ``dronewarn demo --headless --speed max``
starts BY, PL and UA as ``dronewarn node run`` processes from the node.toml files the
simulator writes, and feeds their listeners over UDP, MQTT and HTTP. The warning figures
hold (they are the same as when the nodes shared one process, docs/assessment.md), every
link delivered everything, and the files the simulator wrote pass ``dronewarn node check``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_night_0910_through_node_processes(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dronewarn",
            "demo",
            "--headless",
            "--speed",
            "max",
            "--json",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["recipient"] == "PL"
    assert summary["crossers"] == 23 and summary["crossers_warned"] == 23
    assert summary["warned_10min_fraction"] >= 0.95
    assert summary["false_warning_fraction"] < 0.05
    assert summary["rejected_reports"] == {}
    for link, counts in summary["link_delivery"].items():
        assert counts["sent"] == counts["acked"] > 0, link
        assert counts["rejected"] == counts["expired"] == 0, link
    for node in ("BY", "PL", "UA"):
        check = subprocess.run(
            [sys.executable, "-m", "dronewarn", "node", "check", str(tmp_path / f"{node}.toml")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stderr
        log = (tmp_path / f"{node}.log").read_text()
        events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert {"node started", "node stopped"} <= {e["message"] for e in events}
        assert not [e for e in events if e["level"] == "error"], node
