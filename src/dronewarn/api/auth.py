"""Operator sessions over the node's accounts (``api.accounts``: roles, argon2id hashes).

* Accounts come from the accounts file when the book has one (``reload`` picks up changes
  made by ``dronewarn users``; accounts added through the admin API are written to it), or
  are given (tests, a demo).
* A login for a name that does not exist costs as long as one that does.
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

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from dronewarn.api.accounts import (
    Account,
    AccountFile,
    Role,
    check_name,
    check_password,
    hash_password,
    password_matches,
)
from dronewarn.api.login_links import LoginLink, token_digest


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
        account_file: AccountFile | None = None,
    ) -> None:
        self._file = account_file
        self._stamp = None if account_file is None else account_file.stamp()
        loaded = [] if account_file is None else account_file.load()
        self._accounts = {a.name: a for a in [*loaded, *accounts]}
        self._dummy_hash = hash_password(secrets.token_urlsafe(16))
        self._clock = clock
        self._ttl_s = session_ttl_s
        self._lockout_s = lockout_s
        self._sessions: dict[str, Session] = {}
        self._links: dict[str, tuple[str, float]] = {}
        """Login links by their token's SHA-256: (account, expiry)."""
        self._redeemed: set[str] = set()
        """Digests of the links used since start: never taken again."""
        self._unforgotten: set[str] = set()
        """Of those, the ones not yet taken out of the links file."""
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    @property
    def ttl_s(self) -> float:
        return self._ttl_s

    def accounts(self) -> list[Account]:
        with self._lock:
            return list(self._accounts.values())

    def add_account(self, name: str, role: Role, password: str) -> Account:
        """A new account; written to the accounts file when the book has one."""
        check_name(name)
        check_password(password)
        with self._lock:
            if name in self._accounts:
                raise ValueError(f"account {name!r} exists")
        if self._file is not None:
            account = self._file.add(name, role, password)
        else:
            account = Account(name, role, hash_password(password))
        with self._lock:
            self._accounts[name] = account
        return account

    def reload(self) -> bool:
        """Take the accounts file's changes (``dronewarn users``); True when it changed.
        A removed account's sessions end; a changed role applies to its sessions at once."""
        if self._file is None:
            return False
        stamp = self._file.stamp()
        if stamp == self._stamp:
            return False
        accounts = {a.name: a for a in self._file.load()}
        with self._lock:
            self._stamp = stamp
            self._accounts = accounts
            for token, session in list(self._sessions.items()):
                account = accounts.get(session.user)
                if account is None:
                    del self._sessions[token]
                elif account.role != session.role:
                    self._sessions[token] = Session(
                        token, session.user, account.role, session.expires_s
                    )
        return True

    def login(self, name: str, password: str) -> Session:
        now = self._clock()
        with self._lock:
            count, until = self._failures.get(name, (0, 0.0))
            if until > now:
                raise LoginRefusedError(f"account locked for {until - now:.0f} s more")
            account = self._accounts.get(name)
        stored = self._dummy_hash if account is None else account.password_hash
        ok = password_matches(password, stored) and account is not None
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
            self._links[token_digest(token)] = (name, self._clock() + lifetime_s)
            return token

    def add_login_links(self, links: list[LoginLink]) -> None:
        """Links made outside this process (``dronewarn users link``), by token digest;
        one already used is never taken again."""
        with self._lock:
            for link in links:
                if link.digest not in self._redeemed:
                    self._links.setdefault(link.digest, (link.name, link.expires_s))

    def take_redeemed(self) -> set[str]:
        """Digests of links used since the last call (to take out of the links file)."""
        with self._lock:
            found, self._unforgotten = self._unforgotten, set()
            return found

    def redeem(self, token: str) -> Session:
        now = self._clock()
        digest = token_digest(token)
        with self._lock:
            entry = self._links.pop(digest, None)
            if entry is None or entry[1] < now or entry[0] not in self._accounts:
                raise LoginRefusedError("this login link is unknown, used or expired")
            self._redeemed.add(digest)
            self._unforgotten.add(digest)
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


__all__ = [
    "Account",
    "LoginRefusedError",
    "Role",
    "Session",
    "SessionBook",
    "hash_password",
    "password_matches",
]
