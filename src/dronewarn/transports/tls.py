"""Mutual TLS between partner nodes: each node's X.509 certificate and the SSL contexts.

Each node makes its own key pair (ECDSA P-256, the curve every TLS stack and TAK server
takes) and a self-signed certificate naming the node (subject CN and SAN ``dns:<node id>``,
plus the host names and addresses it serves on). There is no common certificate authority
between two countries' duty forces: each partner configures the other's certificate itself,
exactly (certificate pinning), and trusts nothing else: the server context asks every client
for a certificate and accepts only the configured partners'; the client context accepts only
the one partner's certificate it is calling. TLS 1.3 only.

Rotation: a new certificate is made beside the old one (never overwritten, named by its
SHA-256 fingerprint); a partner configures both until the old one is retired.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dronewarn.domain.errors import ConfigError

VALIDITY_DAYS = 730


@dataclass(frozen=True)
class TlsIdentity:
    """A node's certificate and private key files (PEM)."""

    node_id: str
    cert_path: Path
    key_path: Path

    def fingerprint(self) -> str:
        return fingerprint(self.cert_path.read_bytes())


def fingerprint(cert_pem_or_der: bytes) -> str:
    """SHA-256 of the certificate's DER bytes, lower-case hex."""
    if cert_pem_or_der.lstrip().startswith(b"-----BEGIN"):
        cert = x509.load_pem_x509_certificate(cert_pem_or_der)
    else:
        cert = x509.load_der_x509_certificate(cert_pem_or_der)
    return cert.fingerprint(hashes.SHA256()).hex()


def make_certificate(
    node_id: str,
    folder: Path,
    hosts: Sequence[str] = ("localhost", "127.0.0.1"),
    now: datetime | None = None,
) -> TlsIdentity:
    """A new key and self-signed certificate for ``node_id`` in ``folder``.

    Files: ``<node>-<fp16>.tls.key.pem`` (mode 0600) and ``<node>-<fp16>.tls.cert.pem``; an
    existing file is never overwritten.
    """
    start = now or datetime.now(tz=UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    # a distinct subject per certificate: during a rotation a partner trusts two certificates
    # of the same node, and OpenSSL finds a trust anchor by subject name
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, node_id),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, start.strftime("%Y%m%dT%H%M%S.%fZ")),
        ]
    )
    alt_names: list[x509.GeneralName] = [x509.DNSName(node_id.lower())]
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))
        .not_valid_after(start + timedelta(days=VALIDITY_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        # its own trust anchor: a partner pins this very certificate
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    stem = f"{node_id}-{fingerprint(cert_pem)[:16]}"
    folder.mkdir(parents=True, exist_ok=True)
    key_path = folder / f"{stem}.tls.key.pem"
    cert_path = folder / f"{stem}.tls.cert.pem"
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConfigError(f"{key_path} exists already; keys are never overwritten") from exc
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem)
    cert_path.write_bytes(cert_pem)
    return TlsIdentity(node_id, cert_path, key_path)


def _pinned(context: ssl.SSLContext, partner_certs: Iterable[Path], required: bool = True) -> None:
    pems = []
    for path in partner_certs:
        try:
            pems.append(path.read_text(encoding="ascii"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read a partner certificate: {exc}") from exc
    if not pems:
        if required:
            raise ConfigError("no partner certificate configured: nobody could connect")
        return  # no trust anchor: every peer's certificate fails verification
    try:
        context.load_verify_locations(cadata="\n".join(pems))
    except ssl.SSLError as exc:
        raise ConfigError(f"partner certificates are not valid PEM: {exc}") from exc


def _own(context: ssl.SSLContext, identity: TlsIdentity) -> None:
    try:
        context.load_cert_chain(identity.cert_path, identity.key_path)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"{identity.cert_path}: cannot load the node's TLS identity: {exc}"
        ) from exc


def server_context(
    identity: TlsIdentity, partner_certs: Iterable[Path], required: bool = True
) -> ssl.SSLContext:
    """Serves with the node's certificate; requires a client certificate among the partners'
    (``required=False``: none may be configured, and then every client is refused)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_REQUIRED
    _own(context, identity)
    _pinned(context, partner_certs, required)
    return context


def client_context(
    identity: TlsIdentity, partner_certs: Iterable[Path], required: bool = True
) -> ssl.SSLContext:
    """Calls one partner: presents the node's certificate, accepts only the partner's
    (several during a rotation; ``required=False``: none, and the call always fails)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    _own(context, identity)
    _pinned(context, partner_certs, required)
    return context
