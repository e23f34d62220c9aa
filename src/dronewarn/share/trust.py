"""Whom a node trusts: each partner's public signing keys and TLS certificates, and the
ones revoked.

A partner's files sit in ``<home>/partners/<partner>/`` (``dronewarn keys trust`` copies
them there), plus any the node's configuration names explicitly. Revoking a key or a
certificate (``dronewarn keys revoke``) writes its key id or SHA-256 fingerprint to
``<home>/partners/<partner>/revoked.json``; the files stay, so that history signed with an
old key can still be verified offline, but the link refuses them from then on.

``TrustSnapshot.stamp`` identifies what the files held when read (names, sizes, times): a
running node compares stamps every few seconds and reloads the link's trust when they
change, so a partner's new certificate or a revocation applies without a restart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dronewarn.domain.errors import ConfigError
from dronewarn.share import keys as jwk_keys
from dronewarn.transports.tls import fingerprint

REVOKED_FILE = "revoked.json"


@dataclass(frozen=True)
class PartnerFiles:
    """Where one partner's public files are: its folder and any named explicitly."""

    partner: str
    folder: Path
    keys: tuple[Path, ...] = ()
    certs: tuple[Path, ...] = ()

    def key_paths(self) -> list[Path]:
        return sorted({*self.folder.glob("*.public.jwk.json"), *self.keys})

    def cert_paths(self) -> list[Path]:
        return sorted({*self.folder.glob("*.tls.cert.pem"), *self.certs})


@dataclass(frozen=True)
class Revoked:
    kids: frozenset[str] = frozenset()
    fingerprints: frozenset[str] = frozenset()


def read_revoked(folder: Path) -> Revoked:
    path = folder / REVOKED_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Revoked()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the revocation list: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected {{'kids': [...], 'fingerprints': [...]}}")
    return Revoked(
        frozenset(str(k) for k in data.get("kids", [])),
        frozenset(str(f).lower() for f in data.get("fingerprints", [])),
    )


def revoke(folder: Path, kids: Iterable[str] = (), fingerprints: Iterable[str] = ()) -> Revoked:
    """Add key ids and certificate fingerprints to a partner's revocation list (atomically)."""
    old = read_revoked(folder)
    new = Revoked(old.kids | set(kids), old.fingerprints | {f.lower() for f in fingerprints})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REVOKED_FILE
    scratch = path.with_suffix(".tmp")
    scratch.write_text(
        json.dumps({"kids": sorted(new.kids), "fingerprints": sorted(new.fingerprints)}, indent=2)
        + "\n",
        encoding="utf-8",
    )
    scratch.replace(path)
    return new


@dataclass(frozen=True)
class PartnerTrust:
    """What a node accepts from one partner right now (revoked ones left out). A partner
    whose every key or certificate is revoked is trusted with nothing: its connections are
    refused and its messages too, until a new key and certificate are trusted."""

    partner: str
    keys: tuple[jwk_keys.PublicKey, ...]
    certs: tuple[Path, ...]
    fingerprints: tuple[str, ...]
    revoked: Revoked = Revoked()

    @property
    def trusts_nothing(self) -> bool:
        return not self.keys or not self.certs

    @staticmethod
    def read(files: PartnerFiles) -> PartnerTrust:
        """ConfigError when the partner was never trusted (no key or no certificate at all)
        or a file is not what it should be."""
        revoked = read_revoked(files.folder)
        keys = [jwk_keys.load_public(p) for p in files.key_paths()]
        wrong = [k.kid for k in keys if k.node_id != files.partner]
        if wrong:
            raise ConfigError(f"keys {wrong} are not {files.partner}'s")
        certs: list[tuple[Path, str]] = []
        for path in files.cert_paths():
            try:
                certs.append((path, fingerprint(path.read_bytes())))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{path}: not a certificate: {exc}") from exc
        if not keys or not certs:
            missing = "public key" if not keys else "TLS certificate"
            raise ConfigError(
                f"no {missing} of {files.partner} in {files.folder}: "
                f"`dronewarn keys trust --partner {files.partner}`"
            )
        kept = [(p, f) for p, f in certs if f not in revoked.fingerprints]
        return PartnerTrust(
            files.partner,
            tuple(k for k in keys if k.kid not in revoked.kids),
            tuple(p for p, _ in kept),
            tuple(f for _, f in kept),
            revoked,
        )


def stamp(files: Sequence[PartnerFiles]) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of every trust file (and revocation list)."""
    out = []
    for item in files:
        paths = [*item.key_paths(), *item.cert_paths(), item.folder / REVOKED_FILE]
        for path in paths:
            try:
                info = path.stat()
            except OSError:
                continue
            out.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(sorted(out))


def read_all(files: Sequence[PartnerFiles]) -> Mapping[str, PartnerTrust]:
    return {item.partner: PartnerTrust.read(item) for item in files}


def reread(
    files: Sequence[PartnerFiles], before: Mapping[str, PartnerTrust]
) -> tuple[dict[str, PartnerTrust], dict[str, str]]:
    """Each partner's trust read again; a partner whose files cannot be read keeps what it
    had (with the reason), so one partner's mistake does not hold the others' changes."""
    trusted: dict[str, PartnerTrust] = {}
    problems: dict[str, str] = {}
    for item in files:
        try:
            trusted[item.partner] = PartnerTrust.read(item)
        except ConfigError as exc:
            trusted[item.partner] = before[item.partner]
            problems[item.partner] = str(exc)
    return trusted, problems
