"""Signed partner messages: a versioned JSON envelope in a JWS (RFC 7515), alg "Ed25519".

The JWS uses the compact serialization with the fully specified algorithm "Ed25519" of
RFC 9864 (not the deprecated "EdDSA"); the protected header carries ``kid`` (the sender's
key id) and ``typ`` ``dronewarn-msg+jws``. Any JOSE library verifies it (a test does so with
jwcrypto). The payload:

    {"v": 1, "id": message id (UUID), "kind": "warning", "from": sender node id,
     "to": recipient node id, "seq": per-recipient sequence number,
     "iat": issue time (ISO 8601 UTC), "exp": expiry (ISO 8601 UTC), "body": {...}}

The receiver (``Verifier``) refuses, with a typed reason and never acting on it: a token that
is not a compact JWS of this ``typ`` (malformed), an unknown key id, a bad signature, a key or
body that does not belong to the claimed sender, a message (or body) for another node, an
expired message or one issued in the future (beyond the allowed clock skew), a replay (an id
already seen, or a sequence number not above the last accepted under that key), and an
envelope or body that does not fit the schema (version, kind, integer sequence, finite
numbers, validity of at most a day).
"""

from __future__ import annotations

import base64
import json
import math
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from dronewarn.domain.codec import warning_from_dict, warning_to_dict
from dronewarn.domain.errors import InputError
from dronewarn.domain.time import iso, parse_iso
from dronewarn.domain.warning import Warning
from dronewarn.share.keys import PublicKey, SigningKey

VERSION = 1
ALGORITHM = "Ed25519"
TYP = "dronewarn-msg+jws"
KINDS = frozenset({"warning"})
MAX_TTL_S = 86_400.0
"""No message may claim to stay valid for more than a day."""
MAX_SEQUENCE = 2**53


class RejectReason(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    WRONG_SENDER = "wrong_sender"
    WRONG_RECIPIENT = "wrong_recipient"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REPLAY = "replay"
    SCHEMA = "schema"


class RejectedMessageError(InputError):
    """A partner message refused on receipt; ``reason`` says why."""

    kind = "message_rejected"

    def __init__(self, reason: RejectReason, detail: str) -> None:
        self.reason = reason
        super().__init__(f"{reason.value}: {detail}")


@dataclass(frozen=True)
class Envelope:
    message_id: str
    kind: str
    sender: str
    recipient: str
    sequence: int
    issued_s: float
    expires_s: float
    body: Mapping[str, Any]

    def warning(self) -> Warning:
        return warning_from_dict(dict(self.body))


class Signer:
    """Signs a node's outgoing messages, numbering them per recipient."""

    def __init__(self, key: SigningKey, clock: Callable[[], float], ttl_s: float = 600.0) -> None:
        self._key = key
        self._clock = clock
        self._ttl_s = ttl_s
        self._sequence: dict[str, int] = {}

    def sign_warning(self, warning: Warning) -> str:
        return self.sign("warning", warning.recipient, warning_to_dict(warning))

    def sign(self, kind: str, recipient: str, body: Mapping[str, Any]) -> str:
        sequence = self._sequence.get(recipient, 0) + 1
        self._sequence[recipient] = sequence
        now = self._clock()
        payload = {
            "v": VERSION,
            "id": str(uuid.uuid4()),
            "kind": kind,
            "from": self._key.node_id,
            "to": recipient,
            "seq": sequence,
            "iat": iso(now),
            "exp": iso(now + self._ttl_s),
            "body": dict(body),
        }
        header = {"alg": ALGORITHM, "kid": self._key.kid, "typ": TYP}
        data = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
        return jws.serialize_compact(header, data, self._key.key, algorithms=[ALGORITHM])


class Verifier:
    """Checks incoming messages for one node against its partners' public keys."""

    def __init__(
        self,
        node_id: str,
        keys: Mapping[str, PublicKey],
        clock: Callable[[], float],
        max_skew_s: float = 30.0,
        remember_ids: int = 100_000,
    ) -> None:
        if not math.isfinite(max_skew_s) or max_skew_s < 0:
            raise ValueError(f"max_skew_s must be a finite non-negative number, not {max_skew_s}")
        self._node_id = node_id
        self._keys = dict(keys)
        self._clock = clock
        self._max_skew_s = max_skew_s
        # per key id: a rotated key starts its own sequence; a sender that restarts must carry
        # its counters over (the sharing issue's outbox keeps them)
        self._last_sequence: dict[str, int] = {}
        self._seen: set[str] = set()
        self._order: deque[str] = deque(maxlen=remember_ids)

    def verify(self, token: str) -> Envelope:
        """The envelope of a valid message; RejectedMessageError otherwise."""
        envelope, kid = self._authentic(token)
        self._check_delivery(envelope, kid)
        try:
            warning = envelope.warning()
        except (KeyError, TypeError, ValueError) as exc:
            raise RejectedMessageError(RejectReason.SCHEMA, f"warning body: {exc!r}") from exc
        if warning.sender != envelope.sender:
            raise RejectedMessageError(
                RejectReason.WRONG_SENDER,
                f"body claims {warning.sender!r}, signed by {envelope.sender}",
            )
        if warning.recipient != envelope.recipient:
            raise RejectedMessageError(
                RejectReason.WRONG_RECIPIENT, f"body is for {warning.recipient!r}"
            )
        self._accept(envelope, kid)
        return envelope

    def _authentic(self, token: str) -> tuple[Envelope, str]:
        try:
            if token.count(".") != 2:
                raise ValueError("a compact JWS has three parts")
            header = json.loads(_b64decode(token.split(".")[0]))
            kid = header["kid"]
            typ = header.get("typ")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RejectedMessageError(
                RejectReason.MALFORMED, f"no readable JWS header: {exc}"
            ) from exc
        if typ != TYP:
            raise RejectedMessageError(RejectReason.MALFORMED, f"typ {typ!r} is not {TYP}")
        known = self._keys.get(kid) if isinstance(kid, str) else None
        if known is None:
            raise RejectedMessageError(
                RejectReason.UNKNOWN_KEY, f"key id {kid!r} is not configured"
            )
        try:
            signed = jws.deserialize_compact(token, known.key, algorithms=[ALGORITHM])
        except JoseError as exc:
            raise RejectedMessageError(
                RejectReason.BAD_SIGNATURE, str(exc) or type(exc).__name__
            ) from exc
        except (ValueError, TypeError) as exc:
            raise RejectedMessageError(RejectReason.MALFORMED, str(exc)) from exc
        try:
            payload = json.loads(signed.payload, parse_constant=_refuse_constant)
            version, sequence = payload["v"], payload["seq"]
            if type(version) is not int or version != VERSION:
                raise ValueError(f"version {version!r} is not {VERSION}")
            if type(sequence) is not int or not 0 < sequence < MAX_SEQUENCE:
                raise ValueError(f"sequence {sequence!r} is not a positive integer")
            if payload["kind"] not in KINDS:
                raise ValueError(f"kind {payload['kind']!r} is not one of {sorted(KINDS)}")
            envelope = Envelope(
                message_id=str(payload["id"]),
                kind=payload["kind"],
                sender=str(payload["from"]),
                recipient=str(payload["to"]),
                sequence=sequence,
                issued_s=parse_iso(payload["iat"].replace("Z", "+00:00")),
                expires_s=parse_iso(payload["exp"].replace("Z", "+00:00")),
                body=payload["body"],
            )
            if not 0.0 < envelope.expires_s - envelope.issued_s <= MAX_TTL_S:
                raise ValueError("exp must follow iat by at most a day")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RejectedMessageError(RejectReason.SCHEMA, f"envelope: {exc}") from exc
        if envelope.sender != known.node_id:
            raise RejectedMessageError(
                RejectReason.WRONG_SENDER, f"{envelope.sender!r} signed with {known.node_id}'s key"
            )
        return envelope, kid

    def _check_delivery(self, envelope: Envelope, kid: str) -> None:
        if envelope.recipient != self._node_id:
            raise RejectedMessageError(
                RejectReason.WRONG_RECIPIENT, f"for {envelope.recipient!r}, this is {self._node_id}"
            )
        now = self._clock()
        if not math.isfinite(now):
            raise RejectedMessageError(RejectReason.EXPIRED, "the receiver's clock is not finite")
        if now > envelope.expires_s + self._max_skew_s:
            raise RejectedMessageError(
                RejectReason.EXPIRED, f"expired {now - envelope.expires_s:.0f} s ago"
            )
        if envelope.issued_s > now + self._max_skew_s:
            raise RejectedMessageError(
                RejectReason.NOT_YET_VALID,
                f"issued {envelope.issued_s - now:.0f} s in the future",
            )
        if envelope.message_id in self._seen:
            raise RejectedMessageError(
                RejectReason.REPLAY, f"message {envelope.message_id} seen before"
            )
        last = self._last_sequence.get(kid, 0)
        if envelope.sequence <= last:
            raise RejectedMessageError(
                RejectReason.REPLAY,
                f"sequence {envelope.sequence} under key {kid} is not above {last}",
            )

    def _accept(self, envelope: Envelope, kid: str) -> None:
        self._last_sequence[kid] = envelope.sequence
        if len(self._order) == self._order.maxlen:
            self._seen.discard(self._order[0])
        self._order.append(envelope.message_id)
        self._seen.add(envelope.message_id)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
