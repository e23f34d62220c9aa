"""Setting up a node's link identity and its partners' trust, as files in the node's home.

``provision`` makes a node's Ed25519 signing key (JWK) and its TLS key and self-signed
certificate under ``<home>/keys``. ``trust`` copies a partner's *public* files (its public
JWKs and certificates, never a private key) into ``<home>/partners/<partner>/``: this is the
step two duty forces do once, out of band, when they agree to share. Rotation: ``provision``
again adds a new key and certificate beside the old ones; ``trust`` again adds them at the
partner; old keys stay configured so that history still verifies.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from dronewarn.domain.errors import ConfigError
from dronewarn.share import keys as jwk_keys
from dronewarn.share.link_service import NodeHome
from dronewarn.transports.tls import TlsIdentity, make_certificate


def provision(
    home: Path,
    node_id: str,
    hosts: Sequence[str] = ("localhost", "127.0.0.1"),
    now: datetime | None = None,
) -> tuple[jwk_keys.SigningKey, TlsIdentity]:
    folder = NodeHome(home).keys
    key = jwk_keys.generate(node_id, now)
    jwk_keys.save(key, folder)
    return key, make_certificate(node_id, folder, hosts, now)


def trust(home: Path, partner_home_keys: Path, partner: str) -> list[Path]:
    """Configure at ``home`` the public keys and certificates found in a partner's key
    folder (or a folder the partner sent); returns the files written."""
    target = NodeHome(home).partner_dir(partner)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    publics = sorted(partner_home_keys.glob("*.public.jwk.json"))
    certs = sorted(partner_home_keys.glob("*.tls.cert.pem"))
    if not publics or not certs:
        raise ConfigError(f"{partner_home_keys}: no public key or certificate of {partner}")
    for path in publics:
        if jwk_keys.load_public(path).node_id != partner:
            raise ConfigError(f"{path} is not a key of {partner}")
        written.append(Path(shutil.copy2(path, target / path.name)))
    for path in certs:
        written.append(Path(shutil.copy2(path, target / path.name)))
    return written
