"""Operator accounts, roles and sessions.

* Passwords are stored as scrypt hashes (``hashlib.scrypt``, n=2^14, r=8, p=1, 16-byte salt):
  ``scrypt$<salt hex>$<hash hex>``.
* A login gives a random 256-bit session token in an HttpOnly, SameSite=Strict cookie named
  per node (browsers share cookies across ports of one host: BY's and PL's pictures on one
  machine must not overwrite each other's session).
* A one-time login link carries a token that works once, within its lifetime, for the
  account it was made for (``dronewarn demo`` prints one per picture).
* Five wrong passwords in a row lock the account for ``lockout_s``.
* Roles are ordered: a viewer watches; an operator also acknowledges, rates, confirms and
  suppresses warnings; an admin also manages accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum


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


_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    return hmac.compare_digest(hash_password(password, salt).split("$")[2], digest_hex)


@dataclass(frozen=True)
class Account:
    name: str
    role: Role
    password_hash: str


@dataclass(frozen=True)
class Session:
    token: str
    user: str
    role: Role
    expires_s: float


class LoginRefusedError(Exception):
    """Wrong name or password, an expired or used link, or a locked account."""


class SessionBook:
    """Accounts and live sessions of one node's operator API (thread-safe)."""

    def __init__(
        self,
        accounts: list[Account],
        clock: Callable[[], float],
        session_ttl_s: float = 12 * 3600.0,
        lockout_s: float = 30.0,
    ) -> None:
        self._accounts = {a.name: a for a in accounts}
        self._clock = clock
        self._ttl_s = session_ttl_s
        self._lockout_s = lockout_s
        self._sessions: dict[str, Session] = {}
        self._links: dict[str, tuple[str, float]] = {}
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    @property
    def ttl_s(self) -> float:
        return self._ttl_s

    def accounts(self) -> list[Account]:
        with self._lock:
            return list(self._accounts.values())

    def add_account(self, name: str, role: Role, password: str) -> Account:
        if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError("an account name is 1-64 letters, digits, '-' or '_'")
        if len(password) < 12:
            raise ValueError("a password has at least 12 characters")
        account = Account(name, role, hash_password(password))
        with self._lock:
            if name in self._accounts:
                raise ValueError(f"account {name!r} exists")
            self._accounts[name] = account
        return account

    def login(self, name: str, password: str) -> Session:
        now = self._clock()
        with self._lock:
            count, until = self._failures.get(name, (0, 0.0))
            if until > now:
                raise LoginRefusedError(f"account locked for {until - now:.0f} s more")
            account = self._accounts.get(name)
        ok = account is not None and password_matches(password, account.password_hash)
        with self._lock:
            if not ok or account is None:
                count += 1
                self._failures[name] = (count, now + self._lockout_s if count >= 5 else 0.0)
                raise LoginRefusedError("wrong name or password")
            self._failures.pop(name, None)
            return self._open(account, now)

    def login_link(self, name: str, lifetime_s: float = 3600.0, token: str | None = None) -> str:
        """A token for one login as ``name`` within ``lifetime_s`` (``token``: one made
        earlier, e.g. by the process that prints the link before the node starts)."""
        with self._lock:
            if name not in self._accounts:
                raise KeyError(f"no account {name!r}")
            token = token or secrets.token_urlsafe(32)
            self._links[token] = (name, self._clock() + lifetime_s)
            return token

    def redeem(self, token: str) -> Session:
        now = self._clock()
        with self._lock:
            entry = self._links.pop(token, None)
            if entry is None or entry[1] < now or entry[0] not in self._accounts:
                raise LoginRefusedError("this login link is unknown, used or expired")
            return self._open(self._accounts[entry[0]], now)

    def _open(self, account: Account, now: float) -> Session:
        session = Session(secrets.token_urlsafe(32), account.name, account.role, now + self._ttl_s)
        self._sessions[session.token] = session
        return session

    def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if session.expires_s < now:
                del self._sessions[token]
                return None
            return session

    def logout(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)
