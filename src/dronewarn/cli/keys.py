"""``dronewarn keys``: a node's signing key and TLS certificate, partners trusted and revoked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dronewarn.domain.errors import DronewarnError

keys_app = typer.Typer(help="A node's keys: Ed25519 signing key (JWK) and TLS certificate.")


@keys_app.command("generate")
def keys_generate(
    node: Annotated[str, typer.Option(help="the node's id, e.g. BY")],
    home: Annotated[Path, typer.Option(help="the node's home folder (keys go in HOME/keys)")],
    host: Annotated[
        list[str] | None,
        typer.Option(help="a host name or address partners reach the node at (repeatable)"),
    ] = None,
) -> None:
    """Make a node's signing key and TLS certificate; give partners the public files."""
    from dronewarn.share.provisioning import provision

    try:
        signing, tls = provision(home, node, tuple(host or ("localhost", "127.0.0.1")))
    except DronewarnError as exc:
        raise typer.BadParameter(str(exc)) from None
    out = Console()
    out.print(f"signing key id {signing.kid}; TLS certificate {tls.fingerprint()[:16]}...")
    out.print(
        f"private files (mode 0600, stay here): {home / 'keys'}/*.private.jwk.json, *.key.pem"
    )
    out.print("give partners: *.public.jwk.json and *.tls.cert.pem (dronewarn keys trust)")


@keys_app.command("trust")
def keys_trust(
    home: Annotated[Path, typer.Option(help="this node's home folder")],
    partner: Annotated[str, typer.Option(help="the partner's node id")],
    source: Annotated[Path, typer.Option(help="folder holding the partner's public files")],
) -> None:
    """Configure a partner's public keys and certificates at this node."""
    from dronewarn.share.provisioning import trust

    try:
        written = trust(home, source, partner)
    except DronewarnError as exc:
        raise typer.BadParameter(str(exc)) from None
    for path in written:
        Console().print(f"trusted {path}")
    Console().print("a running node takes the change within a few seconds")


@keys_app.command("revoke")
def keys_revoke(
    home: Annotated[Path, typer.Option(help="this node's home folder (its data_dir)")],
    partner: Annotated[str, typer.Option(help="the partner's node id")],
    kid: Annotated[
        list[str] | None, typer.Option(help="key id of a signing key to refuse (repeatable)")
    ] = None,
    certificate: Annotated[
        list[str] | None,
        typer.Option(
            help="a TLS certificate to refuse: its PEM file or SHA-256 fingerprint (repeatable)"
        ),
    ] = None,
) -> None:
    """Refuse a partner's signing key or certificate from now on (a compromised key, a
    retired certificate). A running node applies it within a few seconds and closes the
    connections opened with a revoked certificate; the files stay for verifying history."""
    from dronewarn.share.link_service import NodeHome
    from dronewarn.share.trust import revoke
    from dronewarn.transports.tls import fingerprint

    prints = []
    for item in certificate or []:
        path = Path(item)
        try:
            prints.append(fingerprint(path.read_bytes()) if path.is_file() else item.lower())
        except ValueError as exc:
            raise typer.BadParameter(f"{item}: not a certificate: {exc}") from None
    if not kid and not prints:
        raise typer.BadParameter("name a --kid or a --certificate to revoke")
    folder = NodeHome(home).partner_dir(partner)
    if not folder.is_dir():
        raise typer.BadParameter(f"{home} trusts no partner {partner!r} ({folder} is missing)")
    revoked = revoke(folder, kid or [], prints)
    Console().print(
        f"{partner}: {len(revoked.kids)} key(s) and {len(revoked.fingerprints)} "
        f"certificate(s) revoked in {folder / 'revoked.json'}"
    )
