"""The demo's operator pictures: ports, one-time logins, and the addresses to print."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from rich.console import Console

from dronewarn.node.operator_picture import (
    DemoLogin,
    PictureConfig,
    demo_logins,
    demo_picture_config,
)
from dronewarn.node.tak_output import TakOutputConfig
from dronewarn.share.tls import make_certificate
from dronewarn.sim.deployment import free_port


@dataclass(frozen=True)
class TakBundle:
    """What a TAK user needs to connect to a node's TAK feed (all files in ``folder``)."""

    host: str
    port: int
    folder: Path
    client_cert: Path
    client_key: Path
    server_cert: Path
    """The node's TAK certificate: the client's trust anchor (pinned, self-signed)."""
    client_p12: Path
    truststore_p12: Path
    p12_password: str


@dataclass(frozen=True)
class ServedPicture:
    node_id: str
    config: PictureConfig
    logins: list[DemoLogin]
    tak: TakBundle | None = None

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


def plan_tak(node_id: str, host: str, folder: Path) -> tuple[TakOutputConfig, TakBundle]:
    """A node's TAK feed for a demo: its certificate, one client certificate it trusts (PEM
    for pytak, PKCS#12 for ATAK/WinTAK), on a free port."""
    folder.mkdir(parents=True, exist_ok=True)
    server = make_certificate(f"{node_id}-tak", folder)
    client = make_certificate(f"{node_id}-tak-user", folder)
    password = secrets.token_urlsafe(9)
    encryption = serialization.BestAvailableEncryption(password.encode())
    key = serialization.load_pem_private_key(client.key_path.read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("the TAK client key is not an EC key")
    client_cert = x509.load_pem_x509_certificate(client.cert_path.read_bytes())
    server_cert = x509.load_pem_x509_certificate(server.cert_path.read_bytes())
    client_p12 = folder / "tak-user.p12"
    client_p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"tak-user", key, client_cert, [server_cert], encryption
        )
    )
    truststore = folder / "truststore.p12"
    truststore.write_bytes(
        pkcs12.serialize_key_and_certificates(b"dronewarn", None, None, [server_cert], encryption)
    )
    port = free_port(host)
    config = TakOutputConfig(host, port, server, (client.cert_path,))
    bundle = TakBundle(
        host,
        port,
        folder,
        client.cert_path,
        client.key_path,
        server.cert_path,
        client_p12,
        truststore,
        password,
    )
    return config, bundle


def plan_pictures(
    node_ids: Sequence[str],
    host: str,
    first_port: int,
    data_dir: Path | None,
    tak_root: Path | None = None,
) -> list[ServedPicture]:
    """One picture per node on ``first_port``, ``first_port + 1``... (a free port where one
    is taken), each with fresh demo accounts and one-time links; with ``tak_root``, a TAK
    feed too (certificates in ``tak_root/<node>/``)."""
    planned = []
    for offset, node_id in enumerate(node_ids):
        port = first_port + offset if first_port else 0
        if not port or not port_is_free(host, port):
            port = free_port(host)
        logins = demo_logins()
        history = None if data_dir is None else data_dir / node_id / "picture.sqlite"
        tak_config, bundle = (None, None)
        if tak_root is not None:
            tak_config, bundle = plan_tak(node_id, host, tak_root / node_id)
        config = demo_picture_config(host, port, logins, history, tak_config)
        planned.append(ServedPicture(node_id, config, logins, bundle))
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


def announce_when_up(console: Console, pictures: Sequence[ServedPicture]) -> threading.Thread:
    """Print the links once every picture answers (the nodes start them as they come up)."""

    def announce() -> None:
        for picture in pictures:
            wait_listening(picture.config.host, picture.config.port, 60.0)
            if picture.tak is not None:
                wait_listening(picture.tak.host, picture.tak.port, 60.0)
        print_pictures(console, pictures)

    thread = threading.Thread(target=announce, name="announce-pictures", daemon=True)
    thread.start()
    return thread
