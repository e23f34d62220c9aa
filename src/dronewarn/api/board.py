"""The picture board: where a node's loop posts its picture and the API reads it.

The node's loop is the only writer (it owns the node, which is not thread-safe); the web
server's threads only read. Each post replaces an immutable snapshot under a lock, so a
reader always sees one consistent picture and never waits for the node's work.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from dronewarn.api.picture import PictureFrame


@dataclass(frozen=True)
class WarningLedger:
    """Every warning message in and out, the partners' feedback and the operators' actions,
    as JSON-ready dicts in the order they happened."""

    messages: tuple[dict[str, Any], ...] = ()
    """Warning messages (``domain.codec`` form) with ``direction``: "out" or "in"."""
    feedback: tuple[dict[str, Any], ...] = ()
    """Partner feedback on our warnings: ``sender`` plus the feedback body."""
    actions: tuple[dict[str, Any], ...] = ()
    """This node's operators' actions (confirm, suppress, rate...)."""


@dataclass(frozen=True)
class NodeInfo:
    """What the page needs once: who this node is, its map and its sensors."""

    node_id: str
    name: str
    country_iso3: str
    partners: tuple[str, ...]
    centre: tuple[float, float]
    """(lat_deg, lon_deg) to open the map on."""
    map_geojson: dict[str, Any] = field(default_factory=dict)
    """Countries and zones: a GeoJSON FeatureCollection (properties: id, kind)."""
    sensors: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class BoardView:
    """One consistent read of the board."""

    frame: PictureFrame
    ledger: WarningLedger
    ledger_version: int
    links: dict[str, dict[str, Any]]
    links_version: int
    wall_s: float


class PictureBoard:
    def __init__(self, info: NodeInfo) -> None:
        self.info = info
        self._lock = threading.Lock()
        self._view = BoardView(PictureFrame(float("nan")), WarningLedger(), 0, {}, 0, 0.0)

    def post_frame(self, frame: PictureFrame) -> None:
        with self._lock:
            view = self._view
            self._view = BoardView(
                frame, view.ledger, view.ledger_version, view.links, view.links_version, view.wall_s
            )

    def post_ledger(self, ledger: WarningLedger) -> None:
        with self._lock:
            view = self._view
            self._view = BoardView(
                view.frame,
                ledger,
                view.ledger_version + 1,
                view.links,
                view.links_version,
                view.wall_s,
            )

    def post_links(self, links: dict[str, dict[str, Any]], wall_s: float) -> None:
        with self._lock:
            view = self._view
            self._view = BoardView(
                view.frame, view.ledger, view.ledger_version, links, view.links_version + 1, wall_s
            )

    def view(self) -> BoardView:
        with self._lock:
            return self._view
