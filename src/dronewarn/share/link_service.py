"""A node's side of all its partner links: endpoint, outbox deliveries, store, audit.

``LinkService`` is what the node talks to: ``send`` queues a signed message for a partner
(durably, before returning), ``incoming`` gives the accepted partner messages in order,
``stats`` the per-partner counts (sent, acked, refused, expired, retried, received,
refused on receipt) and link health. ``SignedLink`` adapts it to the node's
``PartnerLink`` seam, so the node's policy choke point stays the only way out.

A node's home folder (``NodeHome``) keeps everything that must survive a restart:

    keys/       the node's Ed25519 signing keys (JWK) and TLS key and certificate
    partners/<id>/  each partner's public keys (JWK) and TLS certificate, as configured
    link.sqlite the outbox, the inbox, sequence counters, refusals
    audit.log   the hash chain
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dronewarn.domain.codec import warning_to_dict
from dronewarn.domain.errors import ConfigError
from dronewarn.domain.partner import Partner
from dronewarn.domain.warning import Warning
from dronewarn.share import keys as jwk_keys
from dronewarn.share.audit import FILE_NAME as AUDIT_FILE
from dronewarn.share.audit import AuditLog, logged_ids, token_digest
from dronewarn.share.envelope import SignedMessage, Signer, Verifier
from dronewarn.share.link_store import LinkStore, Received
from dronewarn.share.outbox_delivery import DeliveryConfig, OutboxDelivery
from dronewarn.share.partner_server import PartnerServer, Refusal
from dronewarn.share.receiver import Receiver
from dronewarn.share.trust import PartnerFiles, PartnerTrust, reread
from dronewarn.share.trust import read_all as read_trust
from dronewarn.share.trust import stamp as trust_stamp
from dronewarn.transports.tls import TlsIdentity, client_context, server_context

SNAPSHOT_KINDS = frozenset({"tracks"})
"""Kinds whose newer message replaces an older one not yet sent (the air picture is a
state, not an event: when the line is slow only the newest picture goes)."""


@dataclass(frozen=True)
class NodeHome:
    """The files of one node's link under ``root``."""

    root: Path

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def audit(self) -> Path:
        return self.root / AUDIT_FILE

    @property
    def link_db(self) -> Path:
        return self.root / "link.sqlite"

    def partner_dir(self, partner: str) -> Path:
        return self.root / "partners" / partner

    def signing_key(self) -> jwk_keys.SigningKey:
        """The newest private key in ``keys/`` (key ids sort by creation time)."""
        found = sorted(self.keys.glob("*.private.jwk.json"))
        if not found:
            raise ConfigError(f"no signing key in {self.keys}: run `dronewarn keys generate`")
        return jwk_keys.load_private(found[-1])

    def own_public_keys(self) -> list[jwk_keys.PublicKey]:
        return [jwk_keys.load_public(p) for p in sorted(self.keys.glob("*.public.jwk.json"))]

    def tls_identity(self, node_id: str) -> TlsIdentity:
        certs = sorted(self.keys.glob("*.tls.cert.pem"), key=lambda p: p.stat().st_mtime)
        if not certs:
            raise ConfigError(f"no TLS certificate in {self.keys}: run `dronewarn keys generate`")
        cert = certs[-1]
        return TlsIdentity(node_id, cert, cert.with_name(cert.name.replace(".cert.", ".key.")))

    def partner_keys(self, partner: str) -> list[jwk_keys.PublicKey]:
        folder = self.partner_dir(partner)
        found = [jwk_keys.load_public(p) for p in sorted(folder.glob("*.public.jwk.json"))]
        if not found:
            raise ConfigError(f"no public key of {partner} in {folder}")
        wrong = [k.kid for k in found if k.node_id != partner]
        if wrong:
            raise ConfigError(f"{folder}: keys {wrong} are not {partner}'s")
        return found

    def partner_certs(self, partner: str) -> list[Path]:
        found = sorted(self.partner_dir(partner).glob("*.tls.cert.pem"))
        if not found:
            raise ConfigError(f"no TLS certificate of {partner} in {self.partner_dir(partner)}")
        return found


@dataclass(frozen=True)
class PartnerEndpoint:
    node_id: str
    url: str
    keys: tuple[Path, ...] = ()
    certs: tuple[Path, ...] = ()
    """Public keys and certificates named in the configuration, besides those in
    ``<home>/partners/<node_id>/``."""


@dataclass(frozen=True)
class LinkConfig:
    node_id: str
    home: Path
    partners: tuple[PartnerEndpoint, ...]
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    ttl_s: float = 600.0
    heartbeat_s: float = 5.0
    max_skew_s: float = 30.0
    checkpoint_every: int = 100
    signing_key: Path | None = None
    """The node's private JWK (default: the newest in ``<home>/keys``)."""
    tls_cert: Path | None = None
    tls_key: Path | None = None
    """The node's TLS certificate and key (default: the newest in ``<home>/keys``)."""

    def identity(self) -> tuple[jwk_keys.SigningKey, TlsIdentity]:
        """The node's signing key and TLS identity, checked to be this node's."""
        home = NodeHome(self.home)
        key = jwk_keys.load_private(self.signing_key) if self.signing_key else home.signing_key()
        if key.node_id != self.node_id:
            where = self.signing_key or home.keys
            raise ConfigError(f"the key in {where} is {key.node_id}'s, not {self.node_id}'s")
        if self.tls_cert is not None and self.tls_key is not None:
            return key, TlsIdentity(self.node_id, self.tls_cert, self.tls_key)
        return key, home.tls_identity(self.node_id)

    def partner_files(self) -> list[PartnerFiles]:
        home = NodeHome(self.home)
        return [
            PartnerFiles(p.node_id, home.partner_dir(p.node_id), p.keys, p.certs)
            for p in self.partners
        ]


class LinkService:
    def __init__(
        self,
        config: LinkConfig,
        clock: Callable[[], float],
        on_incoming: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        home = NodeHome(config.home)
        self._clock = clock
        key, identity = config.identity()
        self._identity = identity
        self._trust_files = config.partner_files()
        self._trust_stamp = trust_stamp(self._trust_files)
        trusted = read_trust(self._trust_files)
        self._trusted = dict(trusted)
        self.trust_error = ""
        """Why the last change of the trust files could not be applied ("" if it was)."""
        # acks to our own messages are signed by the partners: the same key set verifies them
        verifier = Verifier(config.node_id, _keys_of(trusted), clock, max_skew_s=config.max_skew_s)
        self._verifier = verifier
        self.signer = Signer(key, clock, ttl_s=config.ttl_s)
        self.store = LinkStore(home.link_db)
        self.audit = AuditLog(home.audit, key, clock, config.checkpoint_every)
        self._complete_audit(home)
        self.receiver = Receiver(verifier, self.signer, self.store, self.audit, clock, on_incoming)
        self.server = PartnerServer(
            config.listen_host,
            config.listen_port,
            server_context(
                identity, [c for t in trusted.values() for c in t.certs], required=False
            ),
            _prints_of(trusted),
            self.receiver.handle,
            self._refused_connection,
        )
        self.deliveries = {
            p.node_id: OutboxDelivery(
                p.node_id,
                DeliveryConfig(p.url, heartbeat_s=config.heartbeat_s, max_skew_s=config.max_skew_s),
                client_context(identity, trusted[p.node_id].certs, required=False),
                self.store,
                self.signer,
                verifier,
                self.audit,
                clock,
                SNAPSHOT_KINDS,
            )
            for p in config.partners
        }
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def node_id(self) -> str:
        return self.config.node_id

    def start(self) -> int:
        """Serve the partner endpoint and start delivering; return the bound port."""
        port = self.server.start()
        for delivery in self.deliveries.values():
            delivery.start()
        return port

    def stop(self) -> None:
        """Stop delivering and serving; close the store and the audit log (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        for delivery in self.deliveries.values():
            delivery.stop()
        self.server.stop()
        self.audit.close()
        self.store.close()

    def _complete_audit(self, home: NodeHome) -> None:
        """Messages the store committed but the log did not get to record (the node was
        killed between the two): recorded now, marked ``recovered``, so the log holds every
        message sent and accepted (``audit compare`` depends on it)."""
        logged = logged_ids(home.audit, frozenset({"in", "out"}))
        committed = (("in", self.store.every_received()), ("out", self.store.every_queued()))
        for event, rows in committed:
            for message_id, partner, kind, seq, token in rows:
                if message_id not in logged[event]:
                    self.audit.record(
                        event,
                        partner=partner,
                        id=message_id,
                        kind=kind,
                        seq=seq,
                        sha256=token_digest(token),
                        recovered=True,
                    )

    def refresh_trust(self) -> bool:
        """Apply a change of the partners' trust files (``keys trust``, ``keys revoke``)
        without a restart; True when one was applied. A partner whose files cannot be read
        keeps the trust it had, and the reason is in ``trust_error``."""
        found = trust_stamp(self._trust_files)
        if found == self._trust_stamp:
            return False
        self._trust_stamp = found
        trusted, problems = reread(self._trust_files, self._trusted)
        self.trust_error = "; ".join(f"{p}: {why}" for p, why in sorted(problems.items()))
        if problems:
            self.audit.record("trust_refused", reason=self.trust_error[:500])
        if trusted == self._trusted:
            return False
        try:
            contexts = {
                p: client_context(self._identity, t.certs, required=False)
                for p, t in trusted.items()
            }
            server = server_context(
                self._identity, [c for t in trusted.values() for c in t.certs], required=False
            )
        except ConfigError as exc:  # the node's own identity went bad
            self.trust_error = str(exc)
            return False
        self._trusted = trusted
        self._verifier.set_keys(_keys_of(trusted))
        self.server.update_trust(server, _prints_of(trusted))
        for partner, context in contexts.items():
            self.deliveries[partner].use_context(context)
        for partner, trust in sorted(trusted.items()):
            self.audit.record(
                "trust",
                partner=partner,
                kids=[k.kid for k in trust.keys],
                certificates=list(trust.fingerprints),
            )
        return True

    def _refused_connection(self, refusal: Refusal) -> None:
        now = self._clock()
        self.store.refuse(refusal.peer, refusal.reason, refusal.detail, "", now)
        self.audit.record("rejected", partner=refusal.peer, reason=refusal.reason)

    # ------------------------------------------------------------ sending

    def send(
        self, partner: str, kind: str, body: Mapping[str, Any], dedupe_key: str | None = None
    ) -> str | None:
        """Queue a signed message; return its id (None: already queued under ``dedupe_key``)."""
        delivery = self.deliveries.get(partner)
        if delivery is None:
            raise ValueError(f"{partner} is not a partner of {self.node_id}")
        with self._lock:
            queued, dropped = self.store.enqueue(
                partner,
                kind,
                lambda seq: _fields(self.signer.signed(kind, partner, body, sequence=seq)),
                self._clock(),
                dedupe_key,
                supersede=kind in SNAPSHOT_KINDS,
            )
            for message_id in dropped:
                self.audit.record("superseded", partner=partner, id=message_id, kind=kind)
            if queued is None:
                return None
            self.audit.record(
                "out",
                partner=partner,
                id=queued.message_id,
                kind=kind,
                seq=queued.seq,
                sha256=token_digest(queued.token),
            )
        delivery.notify()
        return queued.message_id

    def send_warning(self, warning: Warning) -> str | None:
        return self.send(
            warning.recipient,
            "warning",
            warning_to_dict(warning),
            dedupe_key=f"warning:{warning.warning_id}:{warning.sequence}",
        )

    def wait_delivered(self, timeout_s: float) -> bool:
        """Wait until every outbox is empty (delivered, expired or refused)."""
        return all(c.wait_idle(timeout_s) for c in self.deliveries.values())

    # ------------------------------------------------------------ receiving

    def incoming(self, after_rowid: int, limit: int = 1000) -> list[Received]:
        return self.store.received_after(after_rowid, limit)

    # ------------------------------------------------------------ health

    def stats(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for partner, delivery in self.deliveries.items():
            counts = self.store.outbox_counts(partner)
            seen = self.receiver.health.get(partner)
            out[partner] = {
                "sent": sum(counts[s] for s in ("pending", "acked", "expired", "refused")),
                "superseded": counts["superseded"],
                "acked": counts["acked"],
                "pending": counts["pending"],
                "expired": counts["expired"],
                "rejected": counts["refused"],
                "retried": counts["retries"],
                "received": seen.accepted if seen else 0,
                "duplicates_received": seen.duplicates if seen else 0,
                "refused_on_receipt": dict(seen.refused) if seen else {},
                "last_ack_s": delivery.health.last_ack_s,
                "last_heartbeat_in_s": seen.last_heartbeat_s if seen else float("nan"),
                "last_message_in_s": seen.last_message_s if seen else float("nan"),
                "partner_outbox_pending": seen.heartbeat_pending if seen else 0,
                "consecutive_failures": delivery.health.consecutive_failures,
                "last_failure": delivery.health.last_failure,
            }
        return out


def _keys_of(trusted: Mapping[str, PartnerTrust]) -> dict[str, jwk_keys.PublicKey]:
    return {k.kid: k for t in trusted.values() for k in t.keys}


def _prints_of(trusted: Mapping[str, PartnerTrust]) -> dict[str, str]:
    return {f: p for p, t in trusted.items() for f in t.fingerprints}


def _fields(message: SignedMessage) -> tuple[str, str, float]:
    return message.message_id, message.token, message.expires_s


class SignedLink:
    """The node's ``PartnerLink`` to one partner over the signed, durable link."""

    def __init__(self, partner: Partner, service: LinkService) -> None:
        self.partner = partner
        self._service = service
        self._sent = 0

    def send(self, warning: Warning) -> None:
        if warning.recipient != self.partner.node_id:
            raise ValueError(
                f"warning for {warning.recipient} sent on the link to {self.partner.node_id}"
            )
        if self._service.send_warning(warning) is not None:
            self._sent += 1

    def send_message(self, kind: str, body: Mapping[str, Any]) -> None:
        self._service.send(self.partner.node_id, kind, body)

    @property
    def sent(self) -> int:
        return self._sent
