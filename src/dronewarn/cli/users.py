"""``dronewarn users add|passwd|role|remove|list|link``: a node's operator accounts.

The accounts file is the node's (``[api] accounts`` of its node.toml, default
``DATA_DIR/accounts.json``): name it with ``--config node.toml`` or directly with
``--accounts FILE``. A running node takes changes within a second or two. Passwords are
asked on the terminal (twice, not echoed) or read from standard input with
``--password-stdin``; they are never printed or logged.
"""

from __future__ import annotations

import getpass
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

users_app = typer.Typer(help="Operator accounts: roles viewer, operator, admin.")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="the node's node.toml (finds its accounts file)")
]
AccountsOption = Annotated[Path | None, typer.Option(help="the accounts file itself")]


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _accounts_path(config: Path | None, accounts: Path | None) -> Path:
    from dronewarn.deploy.load import DeploymentError, load_deployment

    if accounts is not None:
        return accounts
    if config is None:
        raise typer.BadParameter("name the node's --config node.toml or the --accounts file")
    try:
        return load_deployment(config).accounts_path
    except DeploymentError as error:
        for problem in error.problems:
            _err().print(problem.describe(error.path))
        raise typer.Exit(2) from None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            _err().print("the two passwords differ")
            raise typer.Exit(2)
    return password


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="account name")],
    role: Annotated[str, typer.Option(help="viewer, operator or admin")] = "operator",
    config: ConfigOption = None,
    accounts: AccountsOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Add an account (argon2id hash of its password)."""
    from dronewarn.api.accounts import AccountFile, Role

    path = _accounts_path(config, accounts)
    try:
        parsed = Role.parse(role)
        account = AccountFile(path).add(name, parsed, _password(password_stdin))
    except ValueError as exc:
        _err().print(str(exc))
        raise typer.Exit(2) from None
    _err().print(f"added {account.name} ({account.role.label}) to {path}")


@users_app.command("passwd")
def passwd(
    name: Annotated[str, typer.Argument(help="account name")],
    config: ConfigOption = None,
    accounts: AccountsOption = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
) -> None:
    """Set an account's password."""
    from dronewarn.api.accounts import AccountFile

    path = _accounts_path(config, accounts)
    try:
        AccountFile(path).set_password(name, _password(password_stdin))
    except (ValueError, KeyError) as exc:
        _err().print(str(exc).strip("'\""))
        raise typer.Exit(2) from None
    _err().print(f"password of {name} changed in {path}")


@users_app.command("role")
def role(
    name: Annotated[str, typer.Argument(help="account name")],
    new_role: Annotated[str, typer.Argument(help="viewer, operator or admin")],
    config: ConfigOption = None,
    accounts: AccountsOption = None,
) -> None:
    """Change an account's role (its open sessions follow at once)."""
    from dronewarn.api.accounts import AccountFile, Role

    path = _accounts_path(config, accounts)
    try:
        AccountFile(path).set_role(name, Role.parse(new_role))
    except (ValueError, KeyError) as exc:
        _err().print(str(exc).strip("'\""))
        raise typer.Exit(2) from None
    _err().print(f"{name} is now {new_role}")


@users_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="account name")],
    config: ConfigOption = None,
    accounts: AccountsOption = None,
) -> None:
    """Remove an account (its open sessions end)."""
    from dronewarn.api.accounts import AccountFile

    path = _accounts_path(config, accounts)
    try:
        AccountFile(path).remove(name)
    except KeyError as exc:
        _err().print(str(exc).strip("'\""))
        raise typer.Exit(2) from None
    _err().print(f"removed {name} from {path}")


@users_app.command("list")
def list_accounts(config: ConfigOption = None, accounts: AccountsOption = None) -> None:
    """The accounts and their roles (never their hashes)."""
    from dronewarn.api.accounts import AccountFile
    from dronewarn.domain.errors import ConfigError

    path = _accounts_path(config, accounts)
    try:
        found = AccountFile(path).load()
    except ConfigError as exc:
        _err().print(str(exc))
        raise typer.Exit(2) from None
    table = Table(title=str(path))
    table.add_column("name")
    table.add_column("role")
    for account in found:
        table.add_row(account.name, account.role.label)
    Console().print(table)


@users_app.command("link")
def link(
    name: Annotated[str, typer.Argument(help="account name")],
    config: Annotated[Path, typer.Option("--config", help="the node's node.toml")],
    hours: Annotated[float, typer.Option(help="how long the link works")] = 12.0,
) -> None:
    """Print a one-time login link for an account (it works once, within ``--hours``)."""
    from dronewarn.api.accounts import AccountFile
    from dronewarn.api.login_links import FILE_NAME, LoginLinkFile
    from dronewarn.deploy.endpoints import parse_host_port
    from dronewarn.deploy.load import load_deployment

    deployment = load_deployment(config)
    if not any(a.name == name for a in AccountFile(deployment.accounts_path).load()):
        _err().print(f"no account {name!r} in {deployment.accounts_path}")
        raise typer.Exit(2)
    token = LoginLinkFile(deployment.data_dir / FILE_NAME).add(name, time.time() + hours * 3600)
    api = deployment.file.api
    where = parse_host_port(api.listen)
    host = "127.0.0.1" if where.host in ("0.0.0.0", "") else where.host
    scheme = "https" if api.tls_cert else "http"
    print(f"{scheme}://{host}:{where.port}/login/once?token={token}")
