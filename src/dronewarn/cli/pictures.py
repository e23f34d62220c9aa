"""The demo's operator pictures and TAK feeds, printed for the people at the screen."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from dronewarn.harness.launcher import Picture


def print_pictures(console: Console, pictures: Sequence[Picture]) -> None:
    """The addresses in full (never cut to the terminal's width: they are clicked)."""
    if not pictures:
        return
    console.print("[bold]Operator pictures[/] (open a link in a browser on this machine):")
    for picture in pictures:
        console.print(f"  {picture.node_id}  {picture.login_url()}", soft_wrap=True)
        accounts = ", ".join(f"{x.name} ({x.role.label}) / {x.password}" for x in picture.logins)
        console.print(f"      {picture.url}  accounts: {accounts}", soft_wrap=True)
    console.print("  (each one-time link works once; then log in with an account above)")
    feeds = [p for p in pictures if p.tak is not None]
    if feeds:
        console.print("[bold]TAK feeds[/] (CoT over mutual TLS, e.g. pytak or ATAK):")
        for picture in feeds:
            tak = picture.tak
            assert tak is not None
            console.print(
                f"  {picture.node_id}  tls://{tak.host}:{tak.port}  client certificate "
                f"{tak.client_p12} (password {tak.p12_password}), truststore "
                f"{tak.truststore_p12}; PEM: cert {tak.client_cert} key {tak.client_key} "
                f"CA {tak.server_cert}",
                soft_wrap=True,
            )
