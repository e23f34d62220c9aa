"""``dronewarn node check|schema|run``: a deployed node from its node.toml."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from dronewarn.deploy.load import Deployment, Problem

node_app = typer.Typer(help="A deployed node: check its node.toml, print the schema, run it.")


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _checked(config: Path) -> tuple[Deployment, list[Problem]]:
    """The deployment and its notes; every problem printed and exit 2 when there is one."""
    from dronewarn.deploy.load import DeploymentError, load_deployment
    from dronewarn.node.preflight import preflight

    try:
        deployment = load_deployment(config)
        problems, notes = preflight(deployment)
    except DeploymentError as error:
        for problem in error.problems:
            _stderr().print(problem.describe(error.path))
        raise typer.Exit(2) from None
    for problem in problems:
        _stderr().print(problem.describe(config))
    if problems:
        raise typer.Exit(2)
    return deployment, notes


@node_app.command("check")
def check(
    config: Annotated[Path, typer.Argument(help="the node's node.toml")],
) -> None:
    """Validate a node.toml and what it names; exit 0 when valid, 2 with each error (file,
    line, field) otherwise."""
    deployment, notes = _checked(config)
    for note in notes:
        _stderr().print(f"note: {note.describe(config)}")
    file = deployment.file
    Console(highlight=False, soft_wrap=True).print(
        f"{config}: node {file.node.name} ({file.node.country}) is valid: "
        f"{len(file.sensors)} sensors, {len(file.partners)} partners, "
        f"{len(file.outputs)} outputs"
    )


@node_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of node.toml (every section and key, with its type and default)."""
    from dronewarn.deploy.model import NodeFile

    print(json.dumps(NodeFile.model_json_schema(), indent=2))


@node_app.command("run")
def run(
    config: Annotated[Path, typer.Argument(help="the node's node.toml")],
) -> None:
    """Run the node from its node.toml until SIGTERM or Ctrl-C: listeners, tracker,
    assessment, partner link, outputs, operator API. Logs go to standard output."""
    import signal

    from dronewarn.domain.errors import ConfigError
    from dronewarn.node.logs import configure_logging
    from dronewarn.node.runtime import settle_heap
    from dronewarn.node.service import NodeService

    deployment, _ = _checked(config)
    settings = deployment.file.logging
    configure_logging(settings.level, settings.format, deployment.file.node.name)
    parent = os.environ.get("DRONEWARN_STOP_WITH_PARENT", "")
    try:
        service = NodeService(deployment, parent_pid=int(parent) if parent.isdigit() else None)
    except (ConfigError, OSError) as error:
        _stderr().print(f"{config}: {error}")
        raise typer.Exit(2) from None
    try:
        service.start()
    except (ConfigError, OSError, RuntimeError) as error:
        _stderr().print(f"{config}: cannot start: {error}")
        service.close()
        raise typer.Exit(2) from None
    signal.signal(signal.SIGTERM, lambda *_: service.stop())
    signal.signal(signal.SIGINT, lambda *_: service.stop())
    settle_heap()
    try:
        service.run()
    finally:
        service.close()
