"""Receiving a partner message: check it, record it once, answer with a signed ack.

Order of work for one message (``Receiver.handle``):

1. ``Verifier.authenticate``: signature, key, sender, recipient, validity time, schema;
2. the sender must be the partner whose certificate opened the TLS connection;
3. ``LinkStore.accept``: in one transaction, a message id seen before is a *duplicate* (the
   sender retrying after a lost ack: answered ``duplicate``, no effect), a new id whose
   number is not above the last accepted is a *replay* (refused); otherwise it is stored and
   the sequence moves on;
4. the audit log records it; the ack is signed and returned.

Anything refused is stored with its reason and token and audited; it is never acted on. The
node acts on accepted messages by reading them back from the store in acceptance order
(``LinkStore.received_after``), so a crash between accepting and acting loses nothing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from dronewarn.share.audit import AuditLog, token_digest
from dronewarn.share.envelope import (
    Envelope,
    RejectedMessageError,
    RejectReason,
    Signer,
    Verifier,
    unverified_payload,
)
from dronewarn.share.link_store import LinkStore

NO_ID = "00000000-0000-0000-0000-000000000000"
_UUID = re.compile(r"[0-9a-f-]{36}")


@dataclass
class PeerHealth:
    """What the receiving side knows of one partner's link."""

    last_message_s: float = float("nan")
    last_heartbeat_s: float = float("nan")
    heartbeat_pending: int = 0
    heartbeat_seq: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: dict[str, int] = field(default_factory=dict)


class Receiver:
    def __init__(
        self,
        verifier: Verifier,
        signer: Signer,
        store: LinkStore,
        audit: AuditLog,
        clock: Callable[[], float],
        on_accepted: Callable[[], None] | None = None,
    ) -> None:
        self._verifier = verifier
        self._signer = signer
        self._store = store
        self._audit = audit
        self._clock = clock
        self._on_accepted = on_accepted
        self._lock = threading.Lock()
        self.health: dict[str, PeerHealth] = {}

    def handle(self, peer: str, token: str) -> tuple[int, str]:
        """Answer one message that came over ``peer``'s connection: (HTTP status, ack)."""
        with self._lock:
            health = self.health.setdefault(peer, PeerHealth())
            try:
                envelope = self._check(peer, token)
            except RejectedMessageError as exc:
                return self._refuse(peer, token, exc, health)
            now = self._clock()
            if envelope.kind == "heartbeat":
                if envelope.sequence <= health.heartbeat_seq:
                    error = RejectedMessageError(
                        RejectReason.REPLAY, f"heartbeat {envelope.sequence} seen before"
                    )
                    return self._refuse(peer, token, error, health)
                health.heartbeat_seq = envelope.sequence
                health.last_heartbeat_s = now
                health.heartbeat_pending = int(envelope.body.get("outbox_pending", 0))
                return 200, self._ack(peer, envelope.message_id, envelope.sequence, "accepted")
            outcome = self._store.accept(
                envelope.message_id,
                envelope.sender,
                envelope.kind,
                envelope.channel,
                envelope.sequence,
                token,
                now,
            )
            if outcome == "replay":
                error = RejectedMessageError(
                    RejectReason.REPLAY,
                    f"{envelope.channel} sequence {envelope.sequence} is not above the last "
                    "accepted",
                )
                return self._refuse(peer, token, error, health)
            health.last_message_s = now
            if outcome == "duplicate":
                health.duplicates += 1
                self._audit.record(
                    "duplicate", partner=peer, id=envelope.message_id, seq=envelope.sequence
                )
                return 200, self._ack(peer, envelope.message_id, envelope.sequence, "duplicate")
            health.accepted += 1
            self._audit.record(
                "in",
                partner=peer,
                id=envelope.message_id,
                kind=envelope.kind,
                seq=envelope.sequence,
                sha256=token_digest(token),
            )
        if self._on_accepted is not None:
            self._on_accepted()
        return 200, self._ack(peer, envelope.message_id, envelope.sequence, "accepted")

    def _check(self, peer: str, token: str) -> Envelope:
        envelope = self._verifier.authenticate(token)
        if envelope.sender != peer:
            raise RejectedMessageError(
                RejectReason.WRONG_CHANNEL,
                f"signed by {envelope.sender}, sent over {peer}'s connection",
            )
        if envelope.kind == "ack":
            raise RejectedMessageError(RejectReason.SCHEMA, "an ack is an answer, not a message")
        return envelope

    def _refuse(
        self, peer: str, token: str, error: RejectedMessageError, health: PeerHealth
    ) -> tuple[int, str]:
        now = self._clock()
        health.refused[error.reason.value] = health.refused.get(error.reason.value, 0) + 1
        self._store.refuse(peer, error.reason.value, str(error), token, now)
        message_id, seq = _claimed(token)
        self._audit.record(
            "rejected",
            partner=peer,
            id=message_id,
            seq=seq,
            reason=error.reason.value,
            sha256=token_digest(token),
        )
        return 422, self._ack(peer, message_id, seq, "rejected", str(error))

    def _ack(self, peer: str, message_id: str, seq: int, status: str, reason: str = "") -> str:
        body = {"ack_of": message_id, "ack_seq": max(seq, 0), "status": status}
        if reason:
            body["reason"] = reason[:2000]
        return self._signer.sign("ack", peer, body, sequence=self._store.next_sequence(peer, "ack"))


def _claimed(token: str) -> tuple[str, int]:
    """The message id and number a token claims, if readable (for refusals)."""
    try:
        payload = unverified_payload(token)
        message_id, seq = payload["id"], payload["seq"]
        if isinstance(message_id, str) and _UUID.fullmatch(message_id) and type(seq) is int:
            return message_id, seq
    except (ValueError, KeyError, TypeError, IndexError):
        pass
    return NO_ID, 0
