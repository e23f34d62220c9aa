"""``dronewarn users``: accounts in the node's accounts file, argon2id hashes, passwords read
from the terminal or standard input and never shown; a running node's book follows the file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronewarn.api.accounts import AccountFile, Role
from dronewarn.api.auth import LoginRefusedError, SessionBook
from dronewarn.cli.app import app

runner = CliRunner()
SECRET = "a long enough secret"


@pytest.fixture
def node_toml(tmp_path: Path) -> Path:
    path = tmp_path / "node.toml"
    path.write_text('[node]\nname = "PL"\ncountry = "POL"\ndata_dir = "data"\n')
    return path


def users(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["users", *args], input=stdin)
    return result.exit_code, result.stdout + result.stderr


def test_add_passwd_role_remove_list(node_toml: Path) -> None:
    config = ("--config", str(node_toml))
    code, out = users(
        "add", "duty", "--role", "operator", *config, "--password-stdin", stdin=SECRET + "\n"
    )
    assert code == 0 and SECRET not in out
    path = node_toml.parent / "data" / "accounts.json"
    stored = json.loads(path.read_text())
    assert stored["version"] == 1
    assert stored["accounts"][0]["hash"].startswith("$argon2id$")
    assert SECRET not in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600
    code, out = users("add", "duty", *config, "--password-stdin", stdin=SECRET + "\n")
    assert code == 2 and "exists" in out
    code, out = users("add", "short", *config, "--password-stdin", stdin="tiny\n")
    assert code == 2 and "at least 12 characters" in out
    assert users("passwd", "duty", *config, "--password-stdin", stdin="another secret!!\n")[0] == 0
    assert users("role", "duty", "admin", *config)[0] == 0
    code, out = users("list", *config)
    assert code == 0 and "duty" in out and "admin" in out and "argon2" not in out
    assert users("remove", "duty", *config)[0] == 0
    assert users("remove", "duty", *config)[0] == 2
    assert AccountFile(path).load() == []


def test_a_running_book_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    book = SessionBook([], time.time, account_file=AccountFile(path))
    with pytest.raises(LoginRefusedError):
        book.login("duty", SECRET)
    AccountFile(path).add("duty", Role.OPERATOR, SECRET)  # as `dronewarn users add` would
    assert book.reload()
    session = book.login("duty", SECRET)
    assert session.role is Role.OPERATOR
    AccountFile(path).set_role("duty", Role.VIEWER)
    assert book.reload()
    found = book.session(session.token)
    assert found is not None and found.role is Role.VIEWER
    AccountFile(path).remove("duty")
    assert book.reload()
    assert book.session(session.token) is None  # a removed account's sessions end
    # an account made through the admin API lands in the same file
    book.add_account("admin2", Role.ADMIN, SECRET)
    assert [a.name for a in AccountFile(path).load()] == ["admin2"]


def test_a_file_of_another_version_says_so(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text('{"version": 9, "accounts": []}')
    code, out = users("list", "--accounts", str(path))
    assert code == 2 and "version 9" in out
