"""The demo's operator pictures: ports, one-time logins, and the addresses to print."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from dronewarn.node.homes import free_port
from dronewarn.node.operator_picture import (
    DemoLogin,
    PictureConfig,
    demo_logins,
    demo_picture_config,
)


@dataclass(frozen=True)
class ServedPicture:
    node_id: str
    config: PictureConfig
    logins: list[DemoLogin]

    def login_url(self) -> str:
        duty = next(x for x in self.logins if x.name == "duty")
        return f"{self.config.url}/login/once?token={duty.token}"


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def plan_pictures(
    node_ids: Sequence[str], host: str, first_port: int, data_dir: Path | None
) -> list[ServedPicture]:
    """One picture per node on ``first_port``, ``first_port + 1``... (a free port where one
    is taken), each with fresh demo accounts and one-time links."""
    planned = []
    for offset, node_id in enumerate(node_ids):
        port = first_port + offset if first_port else 0
        if not port or not port_is_free(host, port):
            port = free_port(host)
        logins = demo_logins()
        history = None if data_dir is None else data_dir / node_id / "picture.sqlite"
        planned.append(
            ServedPicture(node_id, demo_picture_config(host, port, logins, history), logins)
        )
    return planned


def wait_listening(host: str, port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.1)
    return False


def print_pictures(console: Console, pictures: Sequence[ServedPicture]) -> None:
    """The addresses in full (never cut to the terminal's width: they are clicked)."""
    console.print("[bold]Operator pictures[/] (open a link in a browser on this machine):")
    for picture in pictures:
        console.print(f"  {picture.node_id}  {picture.login_url()}", soft_wrap=True)
        accounts = ", ".join(f"{x.name} ({x.role.label}) / {x.password}" for x in picture.logins)
        console.print(f"      {picture.config.url}  accounts: {accounts}", soft_wrap=True)
    console.print("  (each one-time link works once; then log in with an account above)")


def announce_when_up(console: Console, pictures: Sequence[ServedPicture]) -> threading.Thread:
    """Print the links once every picture answers (the nodes start them as they come up)."""

    def announce() -> None:
        for picture in pictures:
            wait_listening(picture.config.host, picture.config.port, 60.0)
        print_pictures(console, pictures)

    thread = threading.Thread(target=announce, name="announce-pictures", daemon=True)
    thread.start()
    return thread
