"""A node's signing identity: an Ed25519 key pair as JSON Web Keys (RFC 8037).

The private key stays with the node (written with mode 0600); the public key, with its key id
(``kid`` = node id and creation date), is what partners configure to verify the node's
messages. Key rotation keeps old public keys configured so that history still verifies.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from joserfc.jwk import OKPKey

from dronewarn.domain.errors import ConfigError


@dataclass(frozen=True)
class SigningKey:
    """A node's private signing key and its key id."""

    node_id: str
    kid: str
    key: OKPKey

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = dict(self.key.as_dict(private=False))
        jwk["kid"] = self.kid
        return jwk


@dataclass(frozen=True)
class PublicKey:
    """A partner's public key, as configured at the receiving node."""

    node_id: str
    kid: str
    key: OKPKey


def generate(node_id: str, now: datetime | None = None) -> SigningKey:
    """A new Ed25519 key pair for ``node_id`` (letters, digits, '-', '_', '.')."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", node_id) or node_id.strip(".") == "":
        raise ConfigError(f"node id {node_id!r}: use 1-64 letters, digits, '-', '_' or '.'")
    stamp = (now or datetime.now(tz=UTC)).strftime("%Y%m%dT%H%M%SZ")
    return SigningKey(node_id, f"{node_id}-{stamp}", OKPKey.generate_key("Ed25519"))


def save(signing: SigningKey, folder: Path) -> tuple[Path, Path]:
    """Write ``<kid>.private.jwk.json`` (mode 0600) and ``<kid>.public.jwk.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    private = folder / f"{signing.kid}.private.jwk.json"
    public = folder / f"{signing.kid}.public.jwk.json"
    body = dict(signing.key.as_dict(private=True))
    body.update({"kid": signing.kid, "node": signing.node_id})
    try:  # never overwrite a key: a new one gets a new key id
        descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConfigError(f"{private} exists already; keys are never overwritten") from exc
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(body, handle)
    public.write_text(json.dumps({**signing.public_jwk(), "node": signing.node_id}), "utf-8")
    return private, public


def load_public(path: Path) -> PublicKey:
    """A partner's public key file as written by ``save``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if "d" in data:
            raise ConfigError(f"{path}: holds a private key; configure the public one")
        return PublicKey(data["node"], data["kid"], OKPKey.import_key(data))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a dronewarn public key: {exc}") from exc


def load_private(path: Path) -> SigningKey:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SigningKey(data["node"], data["kid"], OKPKey.import_key(data))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a dronewarn private key: {exc}") from exc
