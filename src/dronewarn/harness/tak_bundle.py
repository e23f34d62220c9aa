"""What a TAK user needs to join a demo node's TAK feed: the node's TLS certificate, one
client certificate it trusts (PEM for pytak, PKCS#12 and a truststore for ATAK/WinTAK)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from dronewarn.transports.tls import make_certificate


@dataclass(frozen=True)
class TakBundle:
    """The files of one TAK feed (all in ``folder``)."""

    host: str
    port: int
    folder: Path
    client_cert: Path
    client_key: Path
    server_cert: Path
    """The node's TAK certificate: the client's trust anchor (pinned, self-signed)."""
    server_key: Path
    client_p12: Path
    truststore_p12: Path
    p12_password: str


def make_tak_bundle(node_id: str, host: str, port: int, folder: Path) -> TakBundle:
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
    return TakBundle(
        host,
        port,
        folder,
        client.cert_path,
        client.key_path,
        server.cert_path,
        server.key_path,
        client_p12,
        truststore,
        password,
    )
