"""A node's TAK output: its tracks and open warnings as CoT, to TAK clients over mutual TLS.

Field teams and command posts run ATAK/WinTAK/iTAK, or a TAK server: this serves them the
node's picture the way a TAK server does (streaming CoT on a TLS port, client certificates
pinned). The feed (``outputs.tak_feed``) runs on an asyncio loop in a background thread; the
node's loop calls ``step`` and the picture is rebuilt at most every ``period_s`` of wall time.

CoT times are the wall clock (``time``, ``start`` now; ``stale`` a little later), so that a
TAK client shows the events even when the node replays a past night; the track's own time
goes in the remarks. A warning's times (issued, predicted entry window) are moved by the same
offset between the wall clock and the node's clock, so its stale time stays the latest
predicted entry as the node sees it.

Events: one per confirmed track (``formats.cot.encode.track_event``) and one per open warning,
sent or received (``formats.cot.encode.warning_event``), at the entry point.

What TAK clients send back is counted, not acted on (a TAK client is a viewer here).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from dronewarn.domain.track import TrackStatus
from dronewarn.domain.warning import Warning
from dronewarn.formats.cot.event import CotEvent
from dronewarn.formats.cot.tracks import CotOutConfig, track_event, warning_event
from dronewarn.node.node import Node
from dronewarn.outputs.tak_feed import TakFeed, TakFeedConfig
from dronewarn.transports.tls import TlsIdentity, server_context

STARTUP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class TakOutputConfig:
    """Where a node serves TAK clients, its TLS identity, and the client certificates it trusts."""

    host: str
    port: int
    """TLS port (TAK's usual is 8089); 0 picks a free one (``TakOutput.port``)."""
    identity: TlsIdentity
    client_certs: tuple[Path, ...]
    period_s: float = 2.0
    track_stale_s: float = 30.0


def latest_open(warnings: Iterable[Warning]) -> list[Warning]:
    """The last message of every warning still open."""
    latest: dict[str, Warning] = {}
    for warning in warnings:
        held = latest.get(warning.warning_id)
        if held is None or warning.sequence >= held.sequence:
            latest[warning.warning_id] = warning
    return [w for w in latest.values() if not w.state.is_closing]


def shifted(warning: Warning, offset_s: float) -> Warning:
    """The warning with its times moved by ``offset_s`` (the node's clock onto the wall's)."""
    entry = warning.entry
    if entry is not None:
        entry = replace(
            entry,
            time_s=entry.time_s + offset_s,
            earliest_s=entry.earliest_s + offset_s,
            latest_s=entry.latest_s + offset_s,
        )
    return replace(warning, issued_s=warning.issued_s + offset_s, entry=entry)


def picture_events(node: Node, cot: CotOutConfig, now_s: float) -> list[CotEvent]:
    """The node's picture as CoT events stamped ``now_s`` (wall clock): one per confirmed
    track, one per open warning sent or received, at its predicted entry point."""
    events: list[CotEvent] = []
    if math.isfinite(node.now_s):
        for state in node.tracker.states(node.now_s):
            if state.status is not TrackStatus.CONFIRMED:
                continue
            cls, confidence = node.classified.get(
                state.track_id, (state.object_class, state.class_confidence)
            )
            shown = replace(state, object_class=cls, class_confidence=confidence)
            event = track_event(shown, cot, now_s)
            if event is not None:
                events.append(event)
    offset_s = now_s - node.now_s if math.isfinite(node.now_s) else 0.0
    for warning in latest_open([*node.warnings_out(), *node.warnings_in()]):
        event = warning_event(shifted(warning, offset_s), cot, now_s)
        if event is not None:
            events.append(event)
    return events


class TakOutput:
    """The node's TAK feed, in its own thread; ``step`` from the node's loop."""

    def __init__(
        self, node: Node, config: TakOutputConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self._node = node
        self._config = config
        self._clock = clock
        self._cot = CotOutConfig(node.node_id, track_stale_s=config.track_stale_s)
        self._next_s = -math.inf
        self._loop = asyncio.new_event_loop()
        self._feed = TakFeed(
            TakFeedConfig(host=config.host, tcp_port=None, tls_port=config.port),
            tls_context=server_context(config.identity, config.client_certs),
            on_receive=self._received,
        )
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"{node.node_id}-tak", daemon=True
        )
        self.received_bytes = 0
        self.published = 0

    def start(self) -> None:
        """Listen; on failure nothing is left running (the caller stops what it started)."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._feed.start(), self._loop)
        try:
            future.result(STARTUP_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise

    @property
    def port(self) -> int:
        port = self._feed.tls_port
        if port is None:
            raise RuntimeError("the TAK feed is not listening")
        return port

    def _received(self, client_id: str, data: bytes) -> None:
        self.received_bytes += len(data)

    def events(self, now_s: float) -> list[CotEvent]:
        """The node's picture as CoT events stamped ``now_s`` (wall clock)."""
        return picture_events(self._node, self._cot, now_s)

    def step(self, now_s: float) -> None:
        """Publish the picture if ``period_s`` of wall time has passed (``now_s`` unused: the
        node's time may be a replayed night's)."""
        wall_s = self._clock()
        if wall_s < self._next_s:
            return
        self._next_s = wall_s + self._config.period_s
        events = self.events(wall_s)
        self.published += len(events)
        self._loop.call_soon_threadsafe(self._feed.publish, events)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._feed.stop(), self._loop).result(
                STARTUP_TIMEOUT_S
            )
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(STARTUP_TIMEOUT_S)
        if not self._thread.is_alive():
            self._loop.close()
