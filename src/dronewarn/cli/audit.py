"""``dronewarn audit``: verify a node's audit chain, compare it with what a partner accepted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dronewarn.cli.streams import stderr_console as _stderr
from dronewarn.domain.errors import DronewarnError

audit_app = typer.Typer(help="The node's audit log: a signed hash chain of what was shared.")


@audit_app.command("verify")
def audit_verify(
    path: Annotated[Path, typer.Argument(help="a node's home folder or its audit.log")],
    key: Annotated[
        list[Path] | None,
        typer.Option(help="public key file(s) of the node (default: those in HOME/keys)"),
    ] = None,
) -> None:
    """Check every link of the chain and every signed checkpoint; exit 1 at the first bad
    entry, 2 when the log cannot be read."""
    from dronewarn.share import keys as jwk_keys
    from dronewarn.share.audit import FILE_NAME, verify

    log = path / FILE_NAME if path.is_dir() else path
    key_files = key or sorted((log.parent / "keys").glob("*.public.jwk.json"))
    try:
        public = [jwk_keys.load_public(p) for p in key_files]
        report = verify(log, public)
    except (OSError, DronewarnError) as exc:
        _stderr().print(f"[red]cannot verify {log}: {exc}[/]")
        raise typer.Exit(2) from None
    events = ", ".join(f"{k} {v}" for k, v in sorted(report.events.items()))
    if report.intact:
        Console().print(
            f"{log}: intact, {report.entries} entries, {report.checkpoints} signed "
            f"checkpoints ({events})"
        )
        return
    Console().print(f"[red]{log}: line {report.first_bad_line}: {report.problem}[/]")
    raise typer.Exit(1)


@audit_app.command("compare")
def audit_compare(
    sender: Annotated[Path, typer.Argument(help="the sender's home folder or audit.log")],
    receiver: Annotated[Path, typer.Argument(help="the receiving node's home folder")],
) -> None:
    """A partner's check: every message the receiver accepted from the sender appears, byte
    for byte, in the sender's log. Exit 1 naming the messages that do not."""
    from dronewarn.share.audit import FILE_NAME, compare
    from dronewarn.share.link_service import NodeHome
    from dronewarn.share.link_store import LinkStore

    log = sender / FILE_NAME if sender.is_dir() else sender
    try:
        sender_id = NodeHome(log.parent).signing_key().node_id
        receiver_id = NodeHome(receiver).signing_key().node_id
    except DronewarnError as exc:
        _stderr().print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    store = LinkStore(receiver / "link.sqlite")
    tokens = store.received_tokens(sender_id)
    store.close()
    missing = compare(log, receiver_id, tokens)
    if missing:
        Console().print(f"[red]{len(missing)} of {len(tokens)} messages are not in {log}:[/]")
        for message_id in missing[:20]:
            Console().print(f"  {message_id}")
        raise typer.Exit(1)
    Console().print(f"all {len(tokens)} messages {receiver_id} accepted are in {sender_id}'s log")
