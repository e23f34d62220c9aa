"""The command line: headless demo JSON, sim output files, errors without tracebacks."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from dronewarn.cli.app import app

DATA = Path(__file__).parent.parent / "data"
runner = CliRunner()


def test_headless_demo_json_on_a_small_scenario(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "demo",
            "--scenario",
            str(DATA / "one-drone.yaml"),
            "--headless",
            "--speed",
            "max",
            "--json",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["recipient"] == "PL"
    assert summary["drones"] == 2
    assert summary["crossers"] == 1
    assert summary["crossers_warned"] == 1
    assert summary["warned_10min_fraction"] == 1.0
    assert summary["lead_time_min_median"] > 10
    link = summary["link_delivery"]["BY->PL"]
    assert link["sent"] == link["acked"] > 0 and link["rejected"] == 0
    # each node's home keeps its keys, stores and audit log, beside its node.toml and log;
    # the logs verify
    for node in ("BY", "PL"):
        home = tmp_path / node
        assert {"audit.log", "link.sqlite", "node.sqlite", "keys"} <= {
            p.name for p in home.iterdir()
        }
        assert (tmp_path / f"{node}.toml").is_file() and (tmp_path / f"{node}.log").is_file()
        assert runner.invoke(app, ["audit", "verify", str(home)]).exit_code == 0
    # PL can show that BY's log holds every message it accepted from BY
    assert (
        runner.invoke(
            app, ["audit", "compare", str(tmp_path / "BY"), str(tmp_path / "PL")]
        ).exit_code
        == 0
    )
    log = tmp_path / "BY" / "audit.log"
    data = bytearray(log.read_bytes())
    data[len(data) // 2] ^= 0x01
    log.write_bytes(bytes(data))
    broken = runner.invoke(app, ["audit", "verify", str(tmp_path / "BY")])
    assert broken.exit_code == 1 and "line" in broken.output


def test_sim_writes_truth_and_reports(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["sim", str(DATA / "one-drone.yaml"), "--out", str(tmp_path), "--truth-step-s", "10"]
    )
    assert result.exit_code == 0, result.output
    drones = list(csv.DictReader((tmp_path / "drones.csv").open()))
    assert [d["drone_id"] for d in drones] == ["G1", "P1"]
    assert "POL@2025-09-09T21:" in drones[0]["crossings"]
    truth = list(csv.DictReader((tmp_path / "truth.csv").open()))
    assert truth[0]["time"].endswith("Z")
    lines = (tmp_path / "reports.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert first["kind"] == "polar" and first["node"] == "BY"
    assert first["time"] <= first["arrival"]
    arrivals = [json.loads(line)["arrival"] for line in lines]
    assert arrivals == sorted(arrivals)


def test_bad_scenario_is_one_clear_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((DATA / "one-drone.yaml").read_text().replace("seed: 7", "seed: seven"))
    proc = subprocess.run(
        [sys.executable, "-m", "dronewarn", "sim", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if "seven" in text)
    assert f"{bad}:{line}: seed:" in proc.stderr.replace("\n", "")


def test_bad_speed_is_a_usage_error() -> None:
    result = runner.invoke(app, ["demo", "--headless", "--speed", "fast"])
    assert result.exit_code == 2


def test_eval_refuses_an_unknown_node_before_running() -> None:
    result = runner.invoke(app, ["eval", str(DATA / "one-drone.yaml"), "--recipient", "XX"])
    assert result.exit_code == 2
    assert "not a node" in result.output


def test_eval_draws_the_map(tmp_path: Path) -> None:
    target = tmp_path / "night.png"
    result = runner.invoke(
        app, ["eval", str(DATA / "one-drone.yaml"), "--json", "--map", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    body = json.loads(result.stdout)
    assert body["crossers_warned"] == 1
    pl = body["by_recipient"]["PL"]
    assert pl["crossers"] == 1 and pl["visible_10min"] == 1
    assert pl["lead_efficiency_median"] is not None and 0.0 < pl["lead_efficiency_median"] <= 1.0
    assert any("efficiency" in key for key in pl)
    assert body["closing"]  # every chain's last state against what its drone did


def test_eval_all_scores_every_scenario_and_direction(tmp_path: Path) -> None:
    folder = tmp_path / "nights"
    folder.mkdir()
    (folder / "one.yaml").write_text((DATA / "one-drone.yaml").read_text())
    result = runner.invoke(app, ["eval", "--all", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["scenario"], r["recipient"]) for r in rows] == [("one-drone", "PL")]
    assert rows[0]["senders"] == "BY" and rows[0]["crossers"] == 1
    empty = runner.invoke(app, ["eval", "--all", str(tmp_path / "none")])
    assert empty.exit_code == 2 and "no *.yaml" in empty.output


def test_keys_generate_writes_a_usable_pair(tmp_path: Path) -> None:
    from dronewarn.share import keys
    from dronewarn.transports.tls import fingerprint

    result = runner.invoke(app, ["keys", "generate", "--node", "BY", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    public = next((tmp_path / "keys").glob("*.public.jwk.json"))
    private = next((tmp_path / "keys").glob("*.private.jwk.json"))
    cert = next((tmp_path / "keys").glob("*.tls.cert.pem"))
    assert (tmp_path / "keys" / cert.name.replace(".cert.", ".key.")).stat().st_mode & 0o077 == 0
    assert fingerprint(cert.read_bytes())[:16] in cert.name
    assert keys.load_public(public).node_id == "BY"
    assert keys.load_private(private).kid == keys.load_public(public).kid
    assert "d" not in json.loads(public.read_text())
