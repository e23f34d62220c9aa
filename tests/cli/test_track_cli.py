"""``dronewarn track`` on plain CSV files: estimates out, GOSPA against truth, bad rows counted."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from dronewarn.cli.app import app
from dronewarn.domain.errors import DecodeError
from dronewarn.evaluation.track_scenario import ScenarioSpec, generate

runner = CliRunner()


def _write_inputs(folder: Path) -> tuple[Path, Path, int]:
    scenario = generate(ScenarioSpec(5, 10, n_scans=30, seed=3))
    detections = folder / "detections.csv"
    truth = folder / "truth.csv"
    with detections.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["t_s", "sensor", "x_m", "y_m", "sigma_m"])
        for t, xy in scenario.scans:
            for x, y in xy.tolist():
                out.writerow([t, "radar-1", x, y, 150.0])
        out.writerow([scenario.times_s[-1] + 2.0, "radar-1", "twelve", 0.0, 150.0])  # not a number
        out.writerow([scenario.times_s[-1] + 2.0, "radar-1", "nan", 0.0, 150.0])  # impossible
    with truth.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["t_s", "target_id", "x_m", "y_m"])
        for k, t in enumerate(scenario.times_s.tolist()):
            for j in range(5):
                out.writerow([t, f"d{j}", *scenario.truth[k, j].tolist()])
    return detections, truth, len(scenario.scans)


def test_track_writes_one_row_per_confirmed_track_per_scan_and_scores(tmp_path: Path) -> None:
    detections, truth, scans = _write_inputs(tmp_path)
    out = tmp_path / "tracks.csv"
    result = runner.invoke(
        app,
        ["track", "--detections", str(detections), "--out", str(out), "--truth", str(truth)],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["t_s", "track_id", "x_m", "y_m", "vx_mps", "vy_mps"]
    times = sorted({float(r["t_s"]) for r in rows})
    assert len(times) >= scans - 3  # confirmed from the third scan on
    last = [r for r in rows if float(r["t_s"]) == times[-1]]
    assert len({r["track_id"] for r in last}) == 5
    assert "GOSPA" in result.output
    assert "refused 1 row(s): decode" in result.output
    assert "refused 1 row(s): implausible" in result.output
    assert "twelve" in result.output  # the message names the bad value, file and line


def test_track_refuses_a_file_without_the_header(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,x,y\n1,2,3\n")
    result = runner.invoke(
        app, ["track", "--detections", str(bad), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code != 0
    # a typed error: the console entry point prints it as one line, without a traceback
    assert isinstance(result.exception, DecodeError)
    assert "bad.csv:1: header must start with t_s,sensor,x_m,y_m" in str(result.exception)
