"""A node's operator picture: its board, history, commands, accounts, API and web server.

Built in the node's process, fed from the node's loop (``step``), served by uvicorn in a
background thread on its own port (separate from the partner endpoint).
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import xstatic.pkg.leaflet

from dronewarn.api.accounts import AccountFile
from dronewarn.api.app import ApiConfig, ApiParts, Operations, create_app
from dronewarn.api.auth import Account, Role, SessionBook, hash_password
from dronewarn.api.board import PictureBoard
from dronewarn.api.commands import CommandQueue
from dronewarn.api.login_links import LoginLinkFile
from dronewarn.api.server import OperatorServer
from dronewarn.domain.errors import DronewarnError
from dronewarn.node.node import Node
from dronewarn.node.picture_feed import FeedConfig, LinkStats, PictureFeed, node_info
from dronewarn.node.tak_output import TakOutputConfig
from dronewarn.store.picture_history import PictureHistory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PictureConfig:
    """How one node serves its picture (typed, built once by whoever starts the node)."""

    host: str = "127.0.0.1"
    port: int = 0
    accounts: tuple[Account, ...] = ()
    login_links: tuple[tuple[str, str], ...] = ()
    """(token, account name) of one-time login links made before the node starts."""
    login_link_lifetime_s: float = 12 * 3600.0
    history_path: Path | None = None
    """Where the replay history is kept (None: in memory)."""
    api: ApiConfig = field(default_factory=ApiConfig)
    feed: FeedConfig = field(default_factory=FeedConfig)
    tak: TakOutputConfig | None = None
    """Also serve the picture to TAK clients (CoT over mutual TLS), when set."""
    account_file: Path | None = None
    """The accounts file (``dronewarn users``); its accounts join ``accounts`` and changes
    apply while the node runs."""
    login_link_file: Path | None = None
    """One-time login links made by ``dronewarn users link``, taken while the node runs."""
    tls_cert: Path | None = None
    tls_key: Path | None = None
    """Serve over HTTPS with this certificate and key."""
    session_ttl_s: float = 12 * 3600.0

    @property
    def url(self) -> str:
        scheme = "https" if self.tls_cert is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


@dataclass(frozen=True)
class DemoLogin:
    """An account made for a demo, with the password and one-time link to print."""

    name: str
    role: Role
    password: str
    token: str


def demo_logins() -> list[DemoLogin]:
    """Fresh accounts for a demo picture: an operator, a viewer and an admin."""
    return [
        DemoLogin(name, role, secrets.token_urlsafe(12), secrets.token_urlsafe(32))
        for name, role in (("duty", Role.OPERATOR), ("viewer", Role.VIEWER), ("admin", Role.ADMIN))
    ]


def demo_picture_config(
    host: str,
    port: int,
    logins: list[DemoLogin],
    history_path: Path | None = None,
    tak: TakOutputConfig | None = None,
) -> PictureConfig:
    return PictureConfig(
        host=host,
        port=port,
        accounts=tuple(Account(x.name, x.role, hash_password(x.password)) for x in logins),
        login_links=tuple((x.token, x.name) for x in logins),
        history_path=history_path,
        tak=tak,
    )


def web_dir() -> Path:
    return Path(str(resources.files("dronewarn").joinpath("web")))


class OperatorPicture:
    def __init__(
        self,
        node: Node,
        config: PictureConfig,
        link_stats: LinkStats | None = None,
        operations: Operations | None = None,
        extra_posts: tuple[tuple[str, Callable[..., Any]], ...] = (),
    ) -> None:
        self.config = config
        self.board = PictureBoard(node_info(node))
        self.history = PictureHistory(config.history_path or ":memory:")
        self.commands = CommandQueue()
        self.sessions = SessionBook(
            list(config.accounts),
            time.time,
            session_ttl_s=config.session_ttl_s,
            account_file=None if config.account_file is None else AccountFile(config.account_file),
        )
        for token, name in config.login_links:
            self.sessions.login_link(name, config.login_link_lifetime_s, token)
        self._links = (
            None if config.login_link_file is None else LoginLinkFile(config.login_link_file)
        )
        self._links_stamp: tuple[int, int] | None = None
        self._next_reload = -math.inf
        self.feed = PictureFeed(
            node, self.board, self.history, self.commands, link_stats, config.feed
        )
        self.app = create_app(
            ApiParts(
                self.board,
                self.commands,
                self.sessions,
                self.history,
                web_dir(),
                Path(xstatic.pkg.leaflet.BASE_DIR),
                operations,
                extra_posts,
            ),
            replace(config.api, secure_cookies=config.tls_cert is not None),
        )
        self.server = OperatorServer(
            self.app, config.host, config.port, config.tls_cert, config.tls_key
        )

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        self.server.start()

    def step(self, now_s: float) -> None:
        self.feed.step(now_s)
        wall = time.monotonic()
        if wall >= self._next_reload:
            self._next_reload = wall + 1.0
            self.reload()

    def reload(self) -> None:
        """Take changes of the accounts and login-links files (``dronewarn users``)."""
        try:
            self.sessions.reload()
            links = self._links
            if links is None:
                return
            used = self.sessions.take_redeemed()
            if used:
                links.forget(used, time.time())
            stamp = links.stamp()
            if stamp != self._links_stamp:
                self._links_stamp = stamp
                self.sessions.add_login_links(links.load())
        except DronewarnError as exc:
            log.error("accounts not reloaded", extra={"error": str(exc)})

    def stop(self) -> None:
        self.server.stop()
        self.history.close()
