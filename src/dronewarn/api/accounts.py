"""Operator accounts in a file: names, roles and argon2id password hashes.

The node reads its accounts file (``[api] accounts``, default ``DATA_DIR/accounts.json``) at
start and again whenever it changes; ``dronewarn users add|passwd|remove|list`` and the
admin API (``POST /api/admin/accounts``) write it. Passwords are never stored, printed or
logged: only argon2id hashes (RFC 9106, argon2-cffi's defaults: 64 MiB, 3 passes, 4 lanes).
Hashes made by earlier dronewarn versions (scrypt) still verify, and are replaced by argon2id
the next time their password is set.

The file (mode 0600)::

    {"version": 1, "accounts": [
      {"name": "duty", "role": "operator", "hash": "$argon2id$v=19$m=65536,t=3,p=4$..."}]}

Every change is written to a new file that then replaces the old one (readers see the old
or the new, never half of it), under an exclusive lock so that the CLI and a running node
never lose each other's changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dronewarn.domain.errors import ConfigError
from dronewarn.store.private_file import locked, stamp, write_private

VERSION = 1
MIN_PASSWORD_CHARS = 12
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Role(IntEnum):
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @staticmethod
    def parse(text: str) -> Role:
        try:
            return Role[text.upper()]
        except KeyError:
            raise ValueError(f"unknown role {text!r}: viewer, operator or admin") from None


@dataclass(frozen=True)
class Account:
    name: str
    role: Role
    password_hash: str


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError("an account name is 1-64 letters, digits, '-' or '_'")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password has at least {MIN_PASSWORD_CHARS} characters")


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash (with its own random salt) of ``password``."""
    return _hasher().hash(password)


def _scrypt_matches(password: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return hmac.compare_digest(digest.hex(), digest_hex)


def password_matches(password: str, stored: str) -> bool:
    if stored.startswith("$argon2"):
        try:
            return _hasher().verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    if stored.startswith("scrypt$"):
        return _scrypt_matches(password, stored)
    return False


class AccountFile:
    """One accounts file (module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def stamp(self) -> tuple[int, int] | None:
        """Size and modification time: changes when the file does (None: no file)."""
        return stamp(self.path)

    def load(self) -> list[Account]:
        """The accounts (none when the file does not exist yet)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot read the accounts: {exc.strerror}") from exc
        try:
            data = json.loads(text)
            if data.get("version") != VERSION:
                raise ConfigError(
                    f"{self.path}: accounts file version {data.get('version')!r}; this "
                    f"dronewarn reads version {VERSION}"
                )
            return [
                Account(str(a["name"]), Role.parse(str(a["role"])), str(a["hash"]))
                for a in data["accounts"]
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{self.path}: not a dronewarn accounts file: {exc}") from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[list[Account]]:
        with locked(self.path):
            accounts = self.load()
            yield accounts
            write_private(
                self.path,
                {
                    "version": VERSION,
                    "accounts": [
                        {"name": a.name, "role": a.role.label, "hash": a.password_hash}
                        for a in accounts
                    ],
                },
            )

    def add(self, name: str, role: Role, password: str) -> Account:
        check_name(name)
        check_password(password)
        account = Account(name, role, hash_password(password))
        with self._locked() as accounts:
            if any(a.name == name for a in accounts):
                raise ValueError(f"account {name!r} exists")
            accounts.append(account)
        return account

    def set_password(self, name: str, password: str) -> Account:
        check_password(password)
        digest = hash_password(password)
        with self._locked() as accounts:
            for index, account in enumerate(accounts):
                if account.name == name:
                    accounts[index] = Account(name, account.role, digest)
                    return accounts[index]
            raise KeyError(f"no account {name!r}")

    def set_role(self, name: str, role: Role) -> Account:
        with self._locked() as accounts:
            for index, account in enumerate(accounts):
                if account.name == name:
                    accounts[index] = Account(name, role, account.password_hash)
                    return accounts[index]
            raise KeyError(f"no account {name!r}")

    def remove(self, name: str) -> None:
        with self._locked() as accounts:
            found = [a for a in accounts if a.name == name]
            if not found:
                raise KeyError(f"no account {name!r}")
            accounts.remove(found[0])
