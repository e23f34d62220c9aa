"""``dronewarn link serve``: a node's signed partner links on their own, without a picture."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from dronewarn.cli.streams import stderr_console as _stderr
from dronewarn.domain.errors import DronewarnError
from dronewarn.node.runtime import settle_heap

link_app = typer.Typer(help="The node's signed partner links.")


@link_app.command("serve")
def link_serve(
    home: Annotated[Path, typer.Option(help="the node's home folder (with link.json)")],
    feed: Annotated[
        Path | None, typer.Option(help="JSON lines of warnings to send, each once")
    ] = None,
    clock_offset_s: Annotated[
        float, typer.Option(help="add this to the system clock (drills of clock skew)")
    ] = 0.0,
) -> None:
    """Run the node's partner endpoint and outbox; store what partners send. Ctrl-C stops."""
    import threading

    from dronewarn.node.linked import read_feed, serve_link
    from dronewarn.share.link_config import load_link_config
    from dronewarn.share.link_service import LinkService
    from dronewarn.store.sqlite import SqliteStore

    try:
        config = load_link_config(home)
        items = read_feed(feed) if feed else []
    except DronewarnError as exc:
        raise typer.BadParameter(str(exc)) from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    link = LinkService(config, lambda: time.time() + clock_offset_s)
    store = SqliteStore(home / "node.sqlite")
    port = link.start()
    settle_heap()
    _stderr().print(f"{config.node_id}: partner endpoint on https://{config.listen_host}:{port}")
    try:
        inbox = serve_link(link, store, items, stop)
    except KeyboardInterrupt:
        inbox = None
    link.stop()
    store.close()
    if inbox is not None:
        _stderr().print(f"acted on {inbox.acted} partner messages ({inbox.duplicates} again)")
