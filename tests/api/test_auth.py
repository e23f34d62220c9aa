"""Accounts, passwords, sessions, one-time links and lock-out."""

from __future__ import annotations

import pytest

from dronewarn.api.auth import (
    Account,
    LoginRefusedError,
    Role,
    SessionBook,
    hash_password,
    password_matches,
)


class Clock:
    def __init__(self) -> None:
        self.now_s = 1_000.0

    def __call__(self) -> float:
        return self.now_s


def book(clock: Clock) -> SessionBook:
    return SessionBook(
        [Account("duty", Role.OPERATOR, hash_password("correct horse"))],
        clock,
        session_ttl_s=60.0,
        lockout_s=30.0,
    )


def test_password_hashes_are_salted_and_checked() -> None:
    first, second = hash_password("secret-words"), hash_password("secret-words")
    assert first != second and first.startswith("$argon2id$")
    assert password_matches("secret-words", first) and password_matches("secret-words", second)
    assert not password_matches("secret-word", first)
    assert not password_matches("secret-words", "md5$00$00")
    assert not password_matches("secret-words", "garbage")


def test_sessions_expire() -> None:
    clock = Clock()
    sessions = book(clock)
    session = sessions.login("duty", "correct horse")
    assert sessions.session(session.token) == session
    clock.now_s += 61.0
    assert sessions.session(session.token) is None
    assert sessions.session(None) is None and sessions.session("made-up") is None


def test_five_wrong_passwords_lock_the_account() -> None:
    clock = Clock()
    sessions = book(clock)
    for _ in range(5):
        with pytest.raises(LoginRefusedError, match="wrong name or password"):
            sessions.login("duty", "guess")
    with pytest.raises(LoginRefusedError, match="locked"):
        sessions.login("duty", "correct horse")
    clock.now_s += 31.0
    assert sessions.login("duty", "correct horse").role is Role.OPERATOR


def test_one_time_links_work_once_and_expire() -> None:
    clock = Clock()
    sessions = book(clock)
    token = sessions.login_link("duty", lifetime_s=10.0)
    assert sessions.redeem(token).user == "duty"
    with pytest.raises(LoginRefusedError):
        sessions.redeem(token)
    late = sessions.login_link("duty", lifetime_s=10.0, token="made-before")
    assert late == "made-before"
    clock.now_s += 11.0
    with pytest.raises(LoginRefusedError):
        sessions.redeem(late)
    with pytest.raises(KeyError):
        sessions.login_link("nobody")


def test_accounts_need_a_name_and_a_long_password() -> None:
    sessions = book(Clock())
    with pytest.raises(ValueError, match="12 characters"):
        sessions.add_account("new", Role.VIEWER, "short")
    with pytest.raises(ValueError, match="letters"):
        sessions.add_account("bad name!", Role.VIEWER, "long enough password")
    with pytest.raises(ValueError, match="exists"):
        sessions.add_account("duty", Role.VIEWER, "long enough password")
    assert Role.parse("admin") is Role.ADMIN
    with pytest.raises(ValueError, match="unknown role"):
        Role.parse("root")


def test_hashes_of_earlier_versions_still_verify() -> None:
    # scrypt$salt$digest as dronewarn wrote them before argon2id (n=2^14, r=8, p=1)
    import hashlib

    salt = bytes(range(16))
    digest = hashlib.scrypt(b"old-password-1", salt=salt, n=2**14, r=8, p=1, dklen=32)
    stored = f"scrypt${salt.hex()}${digest.hex()}"
    assert password_matches("old-password-1", stored)
    assert not password_matches("old-password-2", stored)
