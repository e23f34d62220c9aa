"""Delivering the outbox to one partner: in order, with retries, until a signed ack.

One thread per partner. It takes the lowest-numbered pending messages (up to ``batch``, in
order), POSTs them over mutual TLS in one request and reads the partner's signed acks, one
per message in the same order: ``accepted`` or ``duplicate`` (the partner had it
already, e.g. our previous ack was lost) closes it; a refusal for good (bad signature,
schema...) closes it as ``refused`` and audits why; a network failure, a timeout, a server
error or an ack that does not verify retries the same message after a back-off (0.2 s
doubling to ``max_backoff_s``, with jitter), so nothing behind it overtakes it. A message
that outlived its validity undelivered is closed as ``expired`` (audited) and the next goes.
Between messages it sends a signed heartbeat every ``heartbeat_s``.
"""

from __future__ import annotations

import http.client
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from dronewarn.share.audit import AuditLog
from dronewarn.share.envelope import RejectedMessageError, Signer, Verifier
from dronewarn.share.link_store import LinkStore, Outgoing, OutState
from dronewarn.share.partner_client import PartnerClient, PartnerHttpError

MESSAGES_PATH = "/partner/v1/messages"

TRANSIENT_REFUSALS = frozenset({"not_yet_valid"})
"""Refusals worth retrying: the partner's clock may be set right."""


@dataclass(frozen=True)
class DeliveryConfig:
    url: str
    """The partner's endpoint, e.g. https://127.0.0.1:8443"""
    heartbeat_s: float = 5.0
    heartbeat_ttl_s: float = 30.0
    timeout_s: float = 5.0
    max_backoff_s: float = 5.0
    max_skew_s: float = 30.0
    batch: int = 64
    """At most this many messages per request."""
    linger_s: float = 0.02
    """After bulk messages (air picture, feedback) wake the delivery, wait this long for more
    to join the request: a batch shares one request's fixed cost (TLS records, HTTP framing,
    thread wake-ups). A warning is never held back."""
    snapshot_linger_s: float = 0.25
    """An air-picture batch waits this long, so that a newer one can replace it while it
    waits (``link_service.SNAPSHOT_KINDS``): at most ~4 pictures a second leave, however
    fast a replay runs, and a live picture is at most this much older."""


@dataclass
class LinkHealth:
    """What the sending side knows of one partner's link."""

    last_ack_s: float = float("nan")
    last_failure_s: float = float("nan")
    last_failure: str = ""
    consecutive_failures: int = 0


class OutboxDelivery:
    def __init__(
        self,
        partner: str,
        config: DeliveryConfig,
        context: ssl.SSLContext,
        store: LinkStore,
        signer: Signer,
        verifier: Verifier,
        audit: AuditLog,
        clock: Callable[[], float],
        snapshot_kinds: frozenset[str] = frozenset(),
    ) -> None:
        self.partner = partner
        self._snapshot_kinds = snapshot_kinds
        self.config = config
        self.health = LinkHealth()
        self._store = store
        self._signer = signer
        self._verifier = verifier
        self._audit = audit
        self._clock = clock
        self._client = PartnerClient(config.url, context, config.timeout_s)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"delivery-{partner}", daemon=True)
        self._next_heartbeat_s = 0.0
        self._random = random.Random()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=self.config.timeout_s + 5.0)
        self._client.close()

    def use_context(self, context: ssl.SSLContext) -> None:
        """Call the partner with this TLS context from the next request on."""
        self._client.use_context(context)

    def notify(self) -> None:
        """A message was queued."""
        self._wake.set()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until nothing to this partner is pending; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._store.pending(self.partner, 1):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    # ------------------------------------------------------------ the loop

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception as exc:  # a bug or a broken store must not end the link
                self.health.last_failure = f"delivery: {type(exc).__name__}: {exc}"
                self.health.consecutive_failures += 1
                self._stop.wait(1.0)

    def _step(self) -> None:
        """Deliver what is pending, or wait for something to deliver."""
        waiting = self._store.pending(self.partner, self.config.batch)
        now = self._clock()
        if not waiting:
            self._heartbeat_if_due(now, pending=0)
            if self._wake.wait(timeout=max(self._next_heartbeat_s - self._clock(), 0.05)):
                self._linger()
            self._wake.clear()
            return
        first = waiting[0]
        if now > first.expires_s:
            self._close(first, OutState.EXPIRED, "outlived its validity undelivered")
            return
        wait_s = first.next_try_s - now
        if wait_s > 0:
            self._heartbeat_if_due(now, pending=len(waiting))
            self._wake.wait(timeout=min(wait_s, self.config.heartbeat_s))
            self._wake.clear()
            return
        # a batch goes as far as the first message that has expired
        fresh = []
        for message in waiting:
            if now > message.expires_s:
                break
            fresh.append(message)
        self._deliver(fresh)

    def _linger(self) -> None:
        """Let bulk messages gather into one request; a warning goes at once."""
        waiting = self._store.pending(self.partner, 1)
        if not waiting or waiting[0].kind == "warning":
            return
        if waiting[0].kind in self._snapshot_kinds:
            self._stop.wait(self.config.snapshot_linger_s)
        else:
            self._stop.wait(self.config.linger_s)

    def _deliver(self, batch: list[Outgoing]) -> None:
        """POST the batch; the partner answers each in order and stops at the first message
        it cannot take yet, so the rest stay pending behind it."""
        first = batch[0]
        self._store.attempting(self.partner, [m.seq for m in batch])
        try:
            status, text = self._post("\n".join(m.token for m in batch))
        except (PartnerHttpError, http.client.HTTPException, OSError) as exc:
            self._failed(first, f"{type(exc).__name__}: {exc}")
            return
        acks = text.split("\n") if text else []
        if not acks or len(acks) > len(batch):
            self._failed(first, f"HTTP {status}: {len(acks)} acks for {len(batch)} messages")
            return
        for message, ack in zip(batch, acks, strict=False):
            if not self._answered(message, status, ack):
                return

    def _answered(self, message: Outgoing, status: int, ack: str) -> bool:
        """Act on one ack; False when the message stays pending (nothing after it moves)."""
        try:
            envelope = self._verifier.authenticate(ack)
        except RejectedMessageError as exc:
            self._failed(message, f"ack refused: {exc}")
            return False
        body = envelope.body
        if (
            envelope.kind != "ack"
            or envelope.sender != self.partner
            or body.get("ack_of") != message.message_id
        ):
            self._failed(message, f"HTTP {status}: an ack for another message")
            return False
        self.health.last_ack_s = self._clock()
        self.health.consecutive_failures = 0
        outcome = body.get("status")
        if outcome in ("accepted", "duplicate"):
            self._close(message, OutState.ACKED, str(outcome))
            return True
        if str(body.get("reason", "")).split(":")[0] in TRANSIENT_REFUSALS:
            self._failed(message, f"refused for now: {body.get('reason')}")
            return False
        self._close(message, OutState.REFUSED, str(body.get("reason", "refused")))
        return True

    def _post(self, content: str) -> tuple[int, str]:
        return self._client.post(MESSAGES_PATH, content.encode("ascii"))

    def _failed(self, message: Outgoing, why: str) -> None:
        now = self._clock()
        self.health.last_failure_s = now
        self.health.last_failure = why
        self.health.consecutive_failures += 1
        backoff = min(0.2 * 2.0 ** min(message.attempts, 10), self.config.max_backoff_s)
        backoff *= 0.5 + self._random.random()
        self._store.retry_later(self.partner, message.seq, now + backoff, why)

    def _close(self, message: Outgoing, state: OutState, note: str) -> None:
        self._store.finish(self.partner, message.seq, state, self._clock(), note)
        self._audit.record(
            state.value, partner=self.partner, id=message.message_id, seq=message.seq, note=note
        )

    def _heartbeat_if_due(self, now: float, pending: int) -> None:
        if now < self._next_heartbeat_s:
            return
        self._next_heartbeat_s = now + self.config.heartbeat_s
        seq = self._store.next_sequence(self.partner, "heartbeat")
        token = self._signer.sign(
            "heartbeat",
            self.partner,
            {"time_s": now, "outbox_pending": pending},
            sequence=seq,
            ttl_s=self.config.heartbeat_ttl_s,
        )
        try:
            self._post(token)
        except (PartnerHttpError, http.client.HTTPException, OSError) as exc:
            self.health.last_failure_s = now
            self.health.last_failure = f"heartbeat: {type(exc).__name__}: {exc}"
            self.health.consecutive_failures += 1
        else:
            self.health.last_ack_s = self._clock()
            self.health.consecutive_failures = 0
