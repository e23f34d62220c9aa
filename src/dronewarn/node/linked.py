"""A node's stages joined to its signed partner links.

``PartnerInbox`` hands the node, in acceptance order, every partner message its link
accepted; acting on a message is idempotent in the node's store (warning id and sequence,
feedback message id), so reading the inbox again after a crash acts on nothing twice.

``serve_link`` runs a node's link on its own (``dronewarn link serve``): the partner
endpoint, the outbox deliveries and the inbox into the node's store, and optionally a file of
warnings to send (each once, even across restarts) for integration tests and drills.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dronewarn.domain.codec import warning_from_dict
from dronewarn.domain.errors import ConfigError
from dronewarn.domain.warning import Warning
from dronewarn.share.envelope import unverified_payload
from dronewarn.share.link_service import LinkService
from dronewarn.share.link_store import Received
from dronewarn.store.sqlite import Direction, SqliteStore


class PartnerInbox:
    """Reads accepted partner messages from the link and acts on each.

    ``on_warning`` and ``on_feedback`` return False when the message had been acted on
    before (the store's own key), so reading again after a restart changes nothing.
    """

    def __init__(
        self,
        link: LinkService,
        on_warning: Callable[[Warning], bool],
        on_feedback: Callable[[str, str, dict[str, Any]], bool],
        on_tracks: Callable[[str, dict[str, Any]], bool] | None = None,
    ) -> None:
        self._link = link
        self._on_warning = on_warning
        self._on_feedback = on_feedback
        self._on_tracks = on_tracks
        self._cursor = 0
        self.acted = 0
        self.duplicates = 0

    def drain(self) -> int:
        """Act on everything accepted since the last call; return how many."""
        done = 0
        while True:
            batch = self._link.incoming(self._cursor)
            if not batch:
                return done
            for message in batch:
                self._act(message)
                self._cursor = message.rowid
                done += 1

    def _act(self, message: Received) -> None:
        body = unverified_payload(message.token)["body"]
        fresh = True
        if message.kind == "warning":
            fresh = self._on_warning(warning_from_dict(body))
        elif message.kind == "feedback":
            fresh = self._on_feedback(message.message_id, message.sender, body)
        elif message.kind == "tracks" and self._on_tracks is not None:
            fresh = self._on_tracks(message.sender, body)
        if fresh:
            self.acted += 1
        else:
            self.duplicates += 1


@dataclass(frozen=True)
class FeedItem:
    line: int
    warning: dict[str, Any]


def read_feed(path: Path) -> list[FeedItem]:
    """A JSON-lines file of warnings (the partner-message warning body)."""
    items = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                body = json.loads(line)
                warning_from_dict(body)
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigError(f"{path}:{line_no}: not a warning: {exc}") from exc
            items.append(FeedItem(line_no, body))
    return items


def serve_link(
    link: LinkService,
    store: SqliteStore,
    feed: list[FeedItem],
    stop: threading.Event,
    feed_rate_per_s: float = 50.0,
) -> PartnerInbox:
    """Run until ``stop``: send the feed (paced), act on what arrives."""
    inbox = PartnerInbox(
        link, lambda warning: store.record_warning(Direction.IN, warning), store.record_feedback
    )
    for item in feed:
        if stop.is_set():
            break
        warning = warning_from_dict(item.warning)
        if link.send_warning(warning) is not None:
            store.record_warning(Direction.OUT, warning)
            stop.wait(1.0 / feed_rate_per_s)
        inbox.drain()
    while not stop.is_set():
        inbox.drain()
        stop.wait(0.05)
    inbox.drain()
    return inbox
