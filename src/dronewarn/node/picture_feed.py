"""Feed a node's operator picture: post its tracks, warnings and link health to the board,
keep the replay history, and carry out the operators' commands, all from the node's loop.

Called after each step of the loop (``step``); it decides by wall time what is due, so the
cost stays bounded whatever the replay speed: a frame at most every ``frame_wall_s``, a
history frame every ``history_period_s`` of node time, the warning ledger when the store
has new rows, link health every ``links_wall_s``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from dronewarn.api.board import NodeInfo, PictureBoard, WarningLedger
from dronewarn.api.commands import CommandKind, CommandQueue, CommandRefusedError, OperatorCommand
from dronewarn.api.picture import LEAD_S, PictureFrame, TrackFlag, TrackRow
from dronewarn.api.warning_view import CLOSED_STATES
from dronewarn.assess.prediction import predict_paths
from dronewarn.domain.codec import warning_to_dict
from dronewarn.domain.track import TrackState
from dronewarn.geo.borders import countries_in_box
from dronewarn.node.node import Node
from dronewarn.store.picture_history import PictureHistory

LinkStats = Callable[[], dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class FeedConfig:
    frame_wall_s: float = 0.25
    history_period_s: float = 5.0
    links_wall_s: float = 1.0
    ledger_wall_s: float = 0.5
    """The warning ledger is rebuilt when the store has new rows, at most this often."""
    coasting_after_s: float = 30.0
    """A track with no update for this long is drawn as coasting."""


class PictureFeed:
    def __init__(
        self,
        node: Node,
        board: PictureBoard,
        history: PictureHistory,
        commands: CommandQueue,
        link_stats: LinkStats | None = None,
        config: FeedConfig | None = None,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        self.node = node
        self.board = board
        self.history = history
        self.commands = commands
        self.link_stats = link_stats
        self.config = config or FeedConfig()
        self._wall = wall
        self._next_frame_wall = -math.inf
        self._next_links_wall = -math.inf
        self._next_ledger_wall = -math.inf
        self._next_history_s = -math.inf
        self._ledger_marks: tuple[int, int, int] = (-1, -1, -1)
        self._messages: list[dict[str, object]] = []
        """The ledger's warning messages so far, in issue order (read incrementally)."""
        self._message_row = 0
        self._warned_in: dict[str, frozenset[str]] = {}

    def step(self, now_s: float) -> None:
        """Between deliveries (and while idle): commands, then whatever is due."""
        self.commands.drain(self.execute)
        wall = self._wall()
        if now_s < self._next_history_s - 2.0 * self.config.history_period_s:
            self._next_history_s = -math.inf  # the node's clock went back (a replay began)
        history_due = math.isfinite(now_s) and now_s >= self._next_history_s
        if wall >= self._next_frame_wall or history_due:
            self._next_frame_wall = wall + self.config.frame_wall_s
            frame = self.frame(now_s)
            self.board.post_frame(frame)
            if history_due:
                self._next_history_s = now_s + self.config.history_period_s
                self.history.record(now_s, frame.rows())
        marks = self.node.store.marks()
        if marks != self._ledger_marks and wall >= self._next_ledger_wall:
            self._ledger_marks = marks
            self._next_ledger_wall = wall + self.config.ledger_wall_s
            ledger = self.ledger()
            self._warned_in = open_incoming(ledger)
            self.board.post_ledger(ledger)
        if self.link_stats is not None and wall >= self._next_links_wall:
            self._next_links_wall = wall + self.config.links_wall_s
            self.board.post_links(self.link_stats(), time.time())

    # ------------------------------------------------------------------ building

    def frame(self, now_s: float) -> PictureFrame:
        node = self.node
        states = node.tracker.states(now_s) if math.isfinite(now_s) else []
        warned = frozenset().union(*(b.warned_tracks() for b in node.books.values()))
        rows: dict[str, TrackRow] = {}
        if states:
            rows.update(
                own_rows(
                    states,
                    node,
                    warned,
                    now_s,
                    self.config.coasting_after_s,
                )
            )
        warned_in = self._warned_in
        for sender, picture in node.partner_pictures.items():
            for row in partner_rows(sender, picture, warned_in.get(sender, frozenset())):
                rows[str(row[0])] = row
        return PictureFrame(now_s, rows)

    def ledger(self) -> WarningLedger:
        store = self.node.store
        new = store.warnings_after(self._message_row)
        if new:
            self._message_row = new[-1][0]
            self._messages.extend(
                {"direction": direction.value, **warning_to_dict(w)} for _, direction, w in new
            )
            # stable and nearly sorted already: new messages are the latest
            self._messages.sort(key=lambda m: cast(float, m["issued_s"]))
        messages = self._messages
        feedback = tuple({"sender": s, **body} for s, body in store.feedback_bodies())
        actions = tuple(
            {
                "warning_id": a.warning_id,
                "action": a.action,
                "operator": a.operator,
                "reason": a.reason,
                "time_s": a.time_s,
            }
            for a in store.actions()
        )
        return WarningLedger(tuple(messages), feedback, actions)

    # ------------------------------------------------------------------ commands

    def execute(self, command: OperatorCommand) -> dict[str, object]:
        node = self.node
        if command.kind in (CommandKind.ACKNOWLEDGE, CommandKind.RATE):
            rating = "received" if command.kind is CommandKind.ACKNOWLEDGE else command.rating
            action = node.rate_warning(command.warning_id, rating, command.operator, command.note)
        elif command.kind is CommandKind.CONFIRM:
            action = node.confirm_warning(command.warning_id, command.operator, command.note)
        elif command.kind is CommandKind.SUPPRESS:
            action = node.suppress_warning(command.warning_id, command.operator, command.note)
        else:  # pragma: no cover - the enum is closed
            raise CommandRefusedError(f"unknown command {command.kind}")
        self._ledger_marks = (-1, -1, -1)  # the answer shows at once
        self._next_ledger_wall = -math.inf
        return {
            "warning_id": action.warning_id,
            "action": action.action,
            "operator": action.operator,
            "time_s": action.time_s,
        }


def own_rows(
    states: list[TrackState],
    node: Node,
    warned: frozenset[str],
    now_s: float,
    coasting_after_s: float,
) -> dict[str, TrackRow]:
    """The node's tracks as rows, with where each will be ``LEAD_S`` ahead (vectorised)."""
    frame = node.airspace.frame
    n = len(states)
    vel = np.empty((n, 2))
    cov = np.empty((n, 16))
    for i, t in enumerate(states):
        vel[i] = t.vel_east_mps, t.vel_north_mps
        cov[i] = t.cov_enu
    pos_var = (cov[:, 0] + cov[:, 5]) / 2.0
    # the straight-line path and its uncertainty (position, velocity, their correlation and
    # the white-acceleration noise, assess.prediction); turns are the crossing assessment's
    # business (its fan of headings and persistence)
    paths = predict_paths(states, now_s, horizon_s=LEAD_S, step_s=LEAD_S)
    lead_lat, lead_lon = frame.from_plane(paths.east_m[:, -1], paths.north_m[:, -1])
    speed = np.hypot(vel[:, 0], vel[:, 1])
    course = np.degrees(np.arctan2(vel[:, 0], vel[:, 1])) % 360.0
    sigma = np.sqrt(pos_var)
    lead_sigma = np.sqrt((paths.sigma_along_m[:, -1] ** 2 + paths.sigma_across_m[:, -1] ** 2) / 2.0)
    classes = node.classified
    rows: dict[str, TrackRow] = {}
    for i, t in enumerate(states):
        object_class, confidence = classes.get(t.track_id, (t.object_class, t.class_confidence))
        flags = 0
        if t.cooperative:
            flags |= TrackFlag.COOPERATIVE
        if now_s - t.last_update_s > coasting_after_s:
            flags |= TrackFlag.COASTING
        if t.track_id in warned:
            flags |= TrackFlag.WARNED
        alt = t.position.alt_m
        rows[t.track_id] = (
            t.track_id,
            round(t.position.lat_deg, 5),
            round(t.position.lon_deg, 5),
            None if alt is None else round(alt),
            round(float(course[i])),
            round(float(speed[i]), 1),
            str(object_class),
            round(confidence, 2),
            int(flags),
            round(float(sigma[i])),
            round(float(lead_lat[i]), 5),
            round(float(lead_lon[i]), 5),
            round(float(lead_sigma[i])),
        )
    return rows


def open_incoming(ledger: WarningLedger) -> dict[str, frozenset[str]]:
    """Per partner: its track ids under an open warning it sent us."""
    state: dict[tuple[str, str], tuple[str, str]] = {}
    for message in ledger.messages:
        if message["direction"] == "in":
            key = (message["sender"], message["warning_id"])
            state[key] = (message["track_id"], message["state"])
    found: dict[str, set[str]] = {}
    for (sender, _), (track_id, warning_state) in state.items():
        if warning_state not in CLOSED_STATES:
            found.setdefault(sender, set()).add(track_id)
    return {sender: frozenset(ids) for sender, ids in found.items()}


def partner_rows(sender: str, picture: Any, warned: frozenset[str]) -> list[TrackRow]:
    """A partner's shared air picture as rows (no lead: the partner does not share one);
    its tracks under an open warning to us are flagged ``WARNED``."""
    rows: list[TrackRow] = []
    for track in picture.get("tracks", ()):
        position = track.get("position") or {}
        lat, lon = position.get("lat_deg"), position.get("lon_deg")
        if lat is None or lon is None:
            continue
        alt = position.get("alt_m")
        flags = TrackFlag.PARTNER | (TrackFlag.COOPERATIVE if track.get("cooperative") else 0)
        if track["track_id"] in warned:
            flags |= TrackFlag.WARNED
        sigma = track.get("sigma_m")
        rows.append(
            (
                f"{sender}:{track['track_id']}",
                round(float(lat), 5),
                round(float(lon), 5),
                None if alt is None else round(float(alt)),
                round(float(track.get("course_deg", 0.0))),
                round(float(track.get("speed_mps", 0.0)), 1),
                str(track.get("object_class", "unknown")),
                0.0,
                int(flags),
                None if sigma is None else round(float(sigma)),
                None,
                None,
                None,
            )
        )
    return rows


def node_info(node: Node, margin_deg: float = 4.0) -> NodeInfo:
    """The node's identity, its map (countries near it, zones) and its sensors."""
    config = node.config
    airspace = node.airspace
    lat0, lon0 = config.frame_origin
    box = (lon0 - 2.0 * margin_deg, lat0 - margin_deg, lon0 + 2.0 * margin_deg, lat0 + margin_deg)
    features: list[dict[str, Any]] = []
    known = set(airspace.area_ids())
    nearby = countries_in_box(*box)
    for iso3, geom in nearby.items():
        if iso3 in known:
            continue
        clipped = shapely.clip_by_rect(geom, *box).simplify(0.003)
        if not clipped.is_empty:
            features.append(_feature(iso3, "country", clipped))
    for area_id in sorted(known):
        kind = "country" if area_id in nearby else "zone"
        if area_id == config.country_iso3:
            kind = "own"
        features.append(_feature(area_id, kind, airspace.polygon_lonlat(area_id)))
    sensors = tuple(
        {
            "sensor_id": s.sensor_id,
            "kind": str(s.kind),
            "lat_deg": None if s.site is None else s.site.lat_deg,
            "lon_deg": None if s.site is None else s.site.lon_deg,
            "range_m": s.max_range_m,
        }
        for s in config.sensors
    )
    return NodeInfo(
        node_id=config.node_id,
        name=config.name,
        country_iso3=config.country_iso3,
        partners=tuple(p.node_id for p in config.partners),
        centre=(lat0, lon0),
        map_geojson={"type": "FeatureCollection", "features": features},
        sensors=sensors,
    )


def _feature(area_id: str, kind: str, geom: BaseGeometry) -> dict[str, Any]:
    rounded = shapely.set_precision(geom, 1e-5)
    return {
        "type": "Feature",
        "properties": {"id": area_id, "kind": kind},
        "geometry": mapping(rounded),
    }
