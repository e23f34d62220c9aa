"""One-time login links made outside the running node (``dronewarn users link``, a demo).

A link carries a random 256-bit token; the file keeps only its SHA-256, the account it logs
in as and when it expires, so reading the file does not give a way in. The node takes new
links from the file while it runs, and forgets a link once it is used or expired (it is
taken out of the file too, so a restart does not bring it back).

``DATA_DIR/login-links.json``::

    {"version": 1, "links": [{"sha256": "…", "name": "duty", "expires_s": 1765000000.0}]}
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dronewarn.domain.errors import ConfigError
from dronewarn.store.private_file import locked, stamp, write_private

FILE_NAME = "login-links.json"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class LoginLink:
    digest: str
    name: str
    expires_s: float


class LoginLinkFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def stamp(self) -> tuple[int, int] | None:
        return stamp(self.path)

    def load(self) -> list[LoginLink]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [
                LoginLink(str(x["sha256"]), str(x["name"]), float(x["expires_s"]))
                for x in data["links"]
            ]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{self.path}: not a login-links file: {exc}") from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[list[LoginLink]]:
        with locked(self.path):
            links = self.load()
            yield links
            body = [{"sha256": x.digest, "name": x.name, "expires_s": x.expires_s} for x in links]
            write_private(self.path, {"version": 1, "links": body})

    def add(self, name: str, expires_s: float, token: str | None = None) -> str:
        """A new link for ``name``; returns its token (shown once, never stored)."""
        token = token or secrets.token_urlsafe(32)
        with self._locked() as links:
            links.append(LoginLink(token_digest(token), name, expires_s))
        return token

    def forget(self, digests: set[str], now_s: float) -> None:
        """Take used and expired links out of the file."""
        with self._locked() as links:
            links[:] = [x for x in links if x.digest not in digests and x.expires_s > now_s]
