"""One node: sense -> track -> assess -> share, wired by the composition root below."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from dronewarn.assess.classification import classify_all
from dronewarn.assess.crossing import CrossingPrediction, predict_crossings
from dronewarn.assess.forecast_log import ForecastLog
from dronewarn.assess.lifecycle import AssessConfig, WarningBook
from dronewarn.domain.errors import UnknownSensorError
from dronewarn.domain.report import ObjectClass, Report
from dronewarn.domain.sensor import SensorKind
from dronewarn.domain.track import TrackState
from dronewarn.domain.warning import OperatorAction, Warning
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.frame import LocalFrame
from dronewarn.node.config import NodeConfig
from dronewarn.sense.ingest import Sense
from dronewarn.sense.sensor_input import channel_input
from dronewarn.share.envelope import UnsendableMessageError
from dronewarn.share.link import PartnerLink
from dronewarn.share.policy import PolicyGate, SharingPolicy, Withheld
from dronewarn.store.sqlite import Direction, SqliteStore
from dronewarn.track.tracker import Tracker, TrackerState

log = logging.getLogger(__name__)


class Node:
    """A node's stages, each injected, with the hand-offs between them."""

    def __init__(
        self,
        config: NodeConfig,
        airspace: AirspaceMap,
        store: SqliteStore,
    ) -> None:
        self.config = config
        self.node_id = config.node_id
        self.airspace = airspace
        self.store = store
        self.sense = Sense(
            {s.sensor_id: s for s in config.sensors},
            store.record_rejected,
            store.record_undecodable,
        )
        by_id = {s.sensor_id: s for s in config.sensors}
        self.inputs = {
            c.channel_id: channel_input([by_id[i] for i in c.sensor_ids])
            for c in config.input_channels()
        }
        """The wire input of each channel (a listener: one sensor or several sharing one
        ASTERIX feed) that sends bytes (``on_payloads``)."""
        self.tracker = Tracker(
            config.node_id,
            airspace.frame,
            config.tracker,
            known_sensors=frozenset(s.sensor_id for s in config.sensors),
            cooperative_sensors=frozenset(
                s.sensor_id
                for s in config.sensors
                if s.kind in (SensorKind.ADSB, SensorKind.REMOTE_ID)
            ),
        )
        # one warning book per partner and per airspace of theirs (country, zones)
        self.books = {
            (p.node_id, area): WarningBook(
                config.node_id,
                p.node_id,
                airspace.frame,
                partner_assessment(config.assess, config.policies.get(p.node_id)),
                area=area,
                label="" if area == p.country_iso3 else area,
            )
            for p in config.partners
            if config.warns(p.node_id)
            for area in p.areas
        }
        self._zones_inside = {
            (p.node_id, zone)
            for p in config.partners
            for zone in p.zones
            if airspace.polygon(p.country_iso3).buffer(1.0).contains(airspace.polygon(zone))
        }
        self.links: dict[str, PartnerLink] = {}
        self.gates = {
            p.node_id: PolicyGate(config.policies.get(p.node_id, SharingPolicy()))
            for p in config.partners
        }
        self._next_tracks_s: dict[str, float] = {}
        self._delayed: list[tuple[float, str, dict[str, Any]]] = []
        self.partner_pictures: dict[str, Mapping[str, Any]] = {}
        """The latest air picture each partner shared (``tracks`` body)."""
        self.tracks_sent: dict[str, int] = {}
        self._next_assess_s = float("-inf")
        self.now_s = float("-inf")
        self.duplicates = 0
        self._pending: list[Report] = []
        self._frame_end_s = float("-inf")
        self.cycle_s = math.nan
        """How long the last assessment cycle took (wall seconds)."""
        self.classified: dict[str, tuple[ObjectClass, float]] = {}
        """The last assessment cycle's class and confidence per track."""
        self.forecasts = ForecastLog()
        """A sample of the crossing forecasts, to verify their calibration."""

    def resume(self, tracker_state: TrackerState | None = None) -> int:
        """After a restart: the tracker's saved state (if any), and every warning book and
        sharing gate from what the store says was sent; returns the warnings still open."""
        if tracker_state is not None:
            self.tracker.import_state(tracker_state)
        sent = self.store.warnings(Direction.OUT)
        numbers = [
            int(w.track_id.rpartition("-T")[2])
            for w in sent
            if w.track_id.rpartition("-T")[2].isdigit()
        ]
        if numbers:
            self.tracker.reserve_ids(max(numbers))
        held = self.store.withheld()
        for (partner_id, _), book in self.books.items():
            book.restore(sent, frozenset(w for p, w, _ in held if p == partner_id))
        for partner_id, gate in self.gates.items():
            # NEWs that went out: their later messages pass as before the restart
            gate.restore((w.warning_id for w in sent if w.recipient == partner_id), ())
        return sum(book.open_count for book in self.books.values())

    def connect(self, link: PartnerLink) -> None:
        if link.partner.node_id not in {p.node_id for p in self.config.partners}:
            raise ValueError(f"{link.partner.node_id} is not a partner of {self.node_id}")
        self.links[link.partner.node_id] = link

    # sense -> track
    def on_payloads(self, channel_id: str, payloads: Iterable[bytes], now_s: float) -> None:
        """Decode what arrived on a channel (datagrams, messages, stream chunks), then
        ``on_reports``. A channel is named by its (first) sensor.

        What does not decode is counted by kind and kept in the store with its bytes.
        """
        wire_input = self.inputs.get(channel_id)
        if wire_input is None:
            self.sense.refuse(
                channel_id,
                now_s,
                [UnknownSensorError(f"payload on channel {channel_id!r} with no wire input")],
            )
            return
        reports: list[Report] = []
        for payload in payloads:
            decoded = wire_input.decode(payload, now_s)
            reports.extend(decoded.reports)
            if decoded.errors:
                self.sense.refuse(channel_id, now_s, decoded.errors)
        self.on_reports(reports, now_s)

    def on_reports(self, reports: list[Report], now_s: float) -> None:
        """Validate reports now; fuse them with the rest of their frame (``track_frame_s``)."""
        self.now_s = max(self.now_s, now_s)
        good = self.sense.ingest(reports, now_s)
        if not good:
            return
        if not self._pending:
            self._frame_end_s = now_s + self.config.track_frame_s
        self._pending.extend(good)
        if now_s >= self._frame_end_s:
            self.flush()

    def flush(self) -> None:
        """Fuse the reports waiting in the current frame."""
        if self._pending:
            batch, self._pending = self._pending, []
            self.tracker.process_reports(batch)

    # track maintenance -> assess -> share, once per assessment cycle
    def tick(self, now_s: float) -> list[Warning]:
        self.now_s = max(self.now_s, now_s)
        if self._pending and now_s >= self._frame_end_s:
            self.flush()
        if now_s < self._next_assess_s:
            return []
        self._next_assess_s = now_s + self.config.assess.cycle_s
        started = time.perf_counter()
        self.flush()
        deleted = self.tracker.prune(now_s)
        states = self.tracker.states(now_s)
        tracks = [
            replace(t, object_class=c, class_confidence=p)
            for t, (c, p) in zip(states, classify_all(states), strict=True)
        ]
        self.classified = {t.track_id: (t.object_class, t.class_confidence) for t in tracks}
        sent: list[Warning] = []
        by_country: dict[str, dict[str, CrossingPrediction]] = {}
        for (partner_id, area), book in self.books.items():
            wanted = [t for t in tracks if book.needs_prediction(t)]
            country = by_country.get(partner_id)
            if country is not None and (partner_id, area) in self._zones_inside:
                # a zone inside the partner's country is reached only through the country:
                # predict for the tracks that enter it or are in it (and the zone's own open
                # warnings), not for the whole picture again
                wanted = [
                    t
                    for t in wanted
                    if book.is_open(t.track_id)
                    or ((c := country.get(t.track_id)) is not None and (c.enters or c.inside_now))
                ]
            predicted = predict_crossings(
                wanted,
                self.airspace,
                area,
                now_s,
                self.config.assess.horizon_s,
                self.config.assess.persist_tau_s,
                self.config.tracker.accel_sigma_mps2,
                distance_for=book.warned_tracks(),
            )
            by_id = {p.track_id: p for p in predicted}
            if partner_id not in by_country:
                by_country[partner_id] = by_id  # the country's book comes first
            predictions = [by_id.get(t.track_id) for t in tracks]
            self.forecasts.record(now_s, partner_id, area, tracks, predictions)
            for warning in book.assess(now_s, tracks, predictions, deleted):
                self._send(warning)
                sent.append(warning)
        self._share_tracks(now_s, tracks)
        self.cycle_s = time.perf_counter() - started
        return sent

    def _share_tracks(self, now_s: float, tracks: list[TrackState]) -> None:
        """Each partner's share of the air picture, every ``track_period_s`` of its policy,
        released ``delay_s`` later; what the policy keeps back is recorded."""
        for partner in self.config.partners:
            gate = self.gates[partner.node_id]
            if not self.config.warns(partner.node_id):
                continue  # a link-only partner gets acknowledgements and ratings, nothing else
            if now_s < self._next_tracks_s.get(partner.node_id, -math.inf):
                continue
            self._next_tracks_s[partner.node_id] = now_s + gate.policy.track_period_s
            distance_km: dict[str, float] = {}
            if tracks:
                east = np.array([t.east_m for t in tracks])
                north = np.array([t.north_m for t in tracks])
                inside = self.airspace.signed_distance_m(partner.country_iso3, east, north)
                distance_km = dict(
                    zip(
                        (t.track_id for t in tracks),
                        (np.maximum(inside, 0.0) / 1000.0).tolist(),
                        strict=True,
                    )
                )
            warned = frozenset().union(
                *(b.warned_tracks() for (p, _), b in self.books.items() if p == partner.node_id)
            )
            release = gate.apply_tracks(tracks, distance_km, warned, now_s)
            if release.withheld:
                self.store.record_withheld_tracks(partner.node_id, now_s, release.withheld)
            if release.body is not None:
                self._delayed.append((now_s + gate.policy.delay_s, partner.node_id, release.body))
        due = [item for item in self._delayed if item[0] <= now_s]
        self._delayed = [item for item in self._delayed if item[0] > now_s]
        for _, partner_id, body in due:
            link = self.links.get(partner_id)
            if link is not None:
                link.send_message("tracks", body)
                self.tracks_sent[partner_id] = self.tracks_sent.get(partner_id, 0) + 1

    def _send(self, warning: Warning) -> None:
        """Every outgoing message passes its partner's policy here, and only here."""
        released = self.gates[warning.recipient].apply(warning, self.now_s)
        if isinstance(released, Withheld):
            self.store.record_withheld(released.warning, released.reason)
            return
        link = self.links.get(released.recipient)
        if link is not None:
            try:
                link.send(released)
            except UnsendableMessageError as exc:
                self.store.record_withheld(released, f"not sendable: {exc}")
                return
        self.store.record_warning(Direction.OUT, released)
        log.info("warning sent", extra=_fields(released))

    # operator decisions on outgoing warnings
    def confirm_warning(self, warning_id: str, operator: str, reason: str) -> OperatorAction:
        book = self._book_with(warning_id)
        action = book.confirm(warning_id, operator, reason, self.now_s)
        self.store.record_action(action)
        return action

    def suppress_warning(self, warning_id: str, operator: str, reason: str) -> OperatorAction:
        """Cancel a warning: CANCELLED goes to the partner, the reason stays on record."""
        book = self._book_with(warning_id)
        action, message = book.suppress(warning_id, operator, reason, self.now_s)
        self.store.record_action(action)
        self._send(message)
        return action

    def neutralise_warning(self, warning_id: str, operator: str, reason: str) -> OperatorAction:
        """The threat was shot down: NEUTRALISED goes to the partner, the reason stays."""
        book = self._book_with(warning_id)
        action, message = book.neutralise(warning_id, operator, reason, self.now_s)
        self.store.record_action(action)
        self._send(message)
        return action

    def _book_with(self, warning_id: str) -> WarningBook:
        for book in self.books.values():
            if warning_id in book.open_warning_ids():
                return book
        raise KeyError(f"{self.node_id} has no open warning {warning_id!r}")

    # share <- partner
    def receive(self, warning: Warning) -> bool:
        """Record a partner's warning; False if it had been recorded before."""
        if warning.recipient != self.node_id:
            raise ValueError(f"{self.node_id} received a warning for {warning.recipient}")
        if not self.store.record_warning(Direction.IN, warning):
            self.duplicates += 1
            return False
        log.info("warning received", extra=_fields(warning))
        return True

    def receive_tracks(self, sender: str, body: Mapping[str, Any]) -> bool:
        """A partner's air picture: the latest replaces the one before."""
        self.partner_pictures[sender] = body
        return True

    def receive_feedback(self, message_id: str, sender: str, body: dict[str, Any]) -> bool:
        """A partner's rating of one of our warnings; False if recorded before."""
        return self.store.record_feedback(message_id, sender, body)

    def receive_message(self, kind: str, sender: str, body: Mapping[str, Any]) -> bool:
        """A partner message other than a warning, from a link without message ids."""
        if kind == "tracks":
            return self.receive_tracks(sender, body)
        if kind == "feedback":
            key = f"{sender}:{body.get('warning_id')}:{body.get('rating')}:{body.get('time_s')}"
            return self.receive_feedback(key, sender, dict(body))
        raise ValueError(f"{self.node_id} cannot act on a {kind!r} message")

    def rate_warning(
        self,
        warning_id: str,
        rating: str,
        operator: str,
        note: str = "",
        outcome: str | None = None,
    ) -> OperatorAction:
        """An operator rates a warning a partner sent ("useful", "false_alarm"...): the
        sender hears it as a signed feedback message; the rating stays on record here."""
        received = [w for w in self.store.warnings(Direction.IN) if w.warning_id == warning_id]
        if not received:
            raise KeyError(f"{self.node_id} received no warning {warning_id!r}")
        sender = received[-1].sender
        link = self.links.get(sender)
        if link is None:
            raise KeyError(f"{self.node_id} has no link to {sender}")
        body: dict[str, Any] = {
            "warning_id": warning_id,
            "rating": rating,
            "outcome": outcome,
            "operator": operator,
            "note": note,
            "time_s": self.now_s,
        }
        link.send_message("feedback", body)
        action = OperatorAction(warning_id, f"rated {rating}", operator, note, self.now_s)
        self.store.record_action(action)
        return action

    def picture(self) -> list[TrackState]:
        return self.tracker.states(self.now_s)

    def warnings_in(self) -> list[Warning]:
        return self.store.warnings(Direction.IN)

    def warnings_out(self) -> list[Warning]:
        return self.store.warnings(Direction.OUT)


def partner_assessment(assess: AssessConfig, policy: SharingPolicy | None) -> AssessConfig:
    """The node's assessment with one partner's own thresholds (its sharing policy's)."""
    if policy is None:
        return assess
    watch = (
        assess.watch_probability if policy.watch_probability is None else policy.watch_probability
    )
    warning = (
        assess.min_probability if policy.warning_probability is None else policy.warning_probability
    )
    return replace(
        assess,
        watch_probability=min(watch, warning),
        min_probability=warning,
        keep_probability=min(assess.keep_probability, warning),
        watch_keep_probability=min(assess.watch_keep_probability, watch),
    )


def _fields(warning: Warning) -> dict[str, object]:
    """A warning's log fields: ids and prediction, nothing a partner would not see."""
    entry = warning.entry
    return {
        **warning.identity(),
        "entry_s": None if entry is None else round(entry.time_s, 1),
        "probability": None if entry is None else round(entry.probability, 3),
    }


def build_node(
    config: NodeConfig, countries: Mapping[str, BaseGeometry], store: SqliteStore
) -> Node:
    """Composition root of one node: its frame, its airspace map, its stages."""
    return Node(config, AirspaceMap(LocalFrame(*config.frame_origin), countries), store)
