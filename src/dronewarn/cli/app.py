"""The ``dronewarn`` command: every group is registered here, each in its own module (demo,
eval, sim: cli.night; node: cli.node; users: cli.users; replay: cli.replay; decode: cli.decode;
keys: cli.keys; link: cli.link; audit: cli.audit; track: cli.track)."""

from __future__ import annotations

import sys

import typer

from dronewarn.cli.audit import audit_app
from dronewarn.cli.decode import decode_command
from dronewarn.cli.keys import keys_app
from dronewarn.cli.link import link_app
from dronewarn.cli.night import demo, evaluate, sim_app
from dronewarn.cli.node import node_app
from dronewarn.cli.replay import replay_command
from dronewarn.cli.streams import stderr_console
from dronewarn.cli.track import track
from dronewarn.cli.users import users_app
from dronewarn.domain.errors import DronewarnError

app = typer.Typer(
    help="dronewarn: cross-border drone early warning and track sharing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(demo)
app.command(name="eval")(evaluate)
app.add_typer(sim_app, name="sim")
app.command(name="decode")(decode_command)
app.add_typer(node_app, name="node")
app.add_typer(users_app, name="users")
app.command(name="replay")(replay_command)
app.add_typer(keys_app, name="keys")
app.add_typer(link_app, name="link")
app.add_typer(audit_app, name="audit")
app.command()(track)


def main() -> None:
    """Console entry point: typed dronewarn errors are printed, never shown as tracebacks."""
    try:
        app()
    except DronewarnError as exc:
        stderr_console().print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
