"""One node: sense -> track -> assess -> share, wired by the composition root below."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from shapely.geometry.base import BaseGeometry

from dronewarn.assess.classification import classify
from dronewarn.assess.crossing import predict_crossings
from dronewarn.assess.lifecycle import WarningBook
from dronewarn.domain.report import Report
from dronewarn.domain.sensor import SensorKind
from dronewarn.domain.track import TrackState
from dronewarn.domain.warning import OperatorAction, Warning
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.frame import LocalFrame
from dronewarn.node.config import NodeConfig
from dronewarn.sense.ingest import Sense
from dronewarn.share.envelope import UnsendableMessageError
from dronewarn.share.link import PartnerLink
from dronewarn.share.policy import PolicyGate, SharingPolicy, Withheld
from dronewarn.store.sqlite import Direction, SqliteStore
from dronewarn.track.tracker import Tracker


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
        self.sense = Sense({s.sensor_id: s for s in config.sensors}, store.record_rejected)
        self.tracker = Tracker(
            config.node_id,
            airspace.frame,
            config.tracker,
            known_sensors=frozenset(s.sensor_id for s in config.sensors),
            cooperative_sensors=frozenset(
                s.sensor_id for s in config.sensors if s.kind is SensorKind.ADSB
            ),
        )
        # one warning book per partner and per airspace of theirs (country, zones)
        self.books = {
            (p.node_id, area): WarningBook(
                config.node_id,
                p.node_id,
                airspace.frame,
                config.assess,
                area=area,
                label="" if area == p.country_iso3 else area,
            )
            for p in config.partners
            for area in p.areas
        }
        self.links: dict[str, PartnerLink] = {}
        self.gates = {
            p.node_id: PolicyGate(config.policies.get(p.node_id, SharingPolicy()))
            for p in config.partners
        }
        self._next_assess_s = float("-inf")
        self.now_s = float("-inf")
        self.duplicates = 0
        self._pending: list[Report] = []
        self._frame_end_s = float("-inf")

    def connect(self, link: PartnerLink) -> None:
        if link.partner.node_id not in {p.node_id for p in self.config.partners}:
            raise ValueError(f"{link.partner.node_id} is not a partner of {self.node_id}")
        self.links[link.partner.node_id] = link

    # sense -> track
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
        self.flush()
        deleted = self.tracker.prune(now_s)
        tracks = [self._classified(t) for t in self.tracker.states(now_s)]
        sent: list[Warning] = []
        for (_, area), book in self.books.items():
            wanted = [t for t in tracks if book.needs_prediction(t)]
            predicted = predict_crossings(
                wanted,
                self.airspace,
                area,
                now_s,
                self.config.assess.horizon_s,
                self.config.assess.persist_tau_s,
                self.config.tracker.accel_sigma_mps2,
            )
            by_id = {p.track_id: p for p in predicted}
            predictions = [by_id.get(t.track_id) for t in tracks]
            for warning in book.assess(now_s, tracks, predictions, deleted):
                self._send(warning)
                sent.append(warning)
        return sent

    @staticmethod
    def _classified(track: TrackState) -> TrackState:
        result = classify(track, dict(track.class_evidence))
        return replace(track, object_class=result.object_class, class_confidence=result.confidence)

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
        return True

    def picture(self) -> list[TrackState]:
        return self.tracker.states(self.now_s)

    def warnings_in(self) -> list[Warning]:
        return self.store.warnings(Direction.IN)

    def warnings_out(self) -> list[Warning]:
        return self.store.warnings(Direction.OUT)


def build_node(
    config: NodeConfig, countries: Mapping[str, BaseGeometry], store: SqliteStore
) -> Node:
    """Composition root of one node: its frame, its airspace map, its stages."""
    return Node(config, AirspaceMap(LocalFrame(*config.frame_origin), countries), store)
