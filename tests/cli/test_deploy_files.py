"""deploy/: the systemd unit and the Containerfile run commands that exist, with the files
and signals docs/deploy.md describes. (No container engine runs on this machine: the image
itself is not built here.)"""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from typer.testing import CliRunner

from dronewarn.cli.app import app

DEPLOY = Path(__file__).parents[2] / "deploy"
runner = CliRunner()


def _runs(command: list[str]) -> None:
    assert command[:2] == ["node", command[1]] and command[1] in ("run", "check"), command
    result = runner.invoke(app, [*command[:2], "--help"])
    assert result.exit_code == 0, result.output


def test_the_systemd_unit_checks_then_runs_the_node() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "dronewarn-node@.service")
    service = unit["Service"]
    check = shlex.split(service["ExecStartPre"])
    run = shlex.split(service["ExecStart"])
    assert check[0].endswith("/dronewarn") and run[0].endswith("/dronewarn")
    _runs(check[1:])
    _runs(run[1:])
    assert check[-1] == run[-1] == "/etc/dronewarn/%i.toml"
    assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "always"
    assert int(service["TimeoutStopSec"]) > 5  # the node stops within 5 s
    assert service["ReadWritePaths"] == "/var/lib/dronewarn"


def test_the_containerfile_runs_the_node_unprivileged() -> None:
    text = (DEPLOY / "Containerfile").read_text()
    assert 'ENTRYPOINT ["dronewarn", "node", "run"]' in text
    assert "USER dronewarn" in text and "HEALTHCHECK" in text and "/healthz" in text
    assert "requirements/constraints.txt" in text  # the pinned versions
    _runs(["node", "run"])
