"""Signed partner messages: what the receiver accepts and every kind of message it refuses."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from dronewarn.domain.errors import ConfigError
from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.warning import EntryPrediction, Warning, WarningState
from dronewarn.share import keys
from dronewarn.share.envelope import (
    RejectedMessageError,
    RejectReason,
    Signer,
    UnsendableMessageError,
    Verifier,
)

NOW = datetime(2025, 9, 9, 21, 30, tzinfo=UTC).timestamp()


def _warning(recipient: str = "PL") -> Warning:
    return Warning(
        warning_id="BY-PL-W0001",
        sequence=1,
        state=WarningState.NEW,
        sender="BY",
        recipient=recipient,
        track_id="BY-T00001",
        issued_s=NOW,
        track_position=GeoPoint(51.7, 24.1),
        track_speed_mps=40.0,
        track_course_deg=265.0,
        object_class=ObjectClass.GERBERA,
        entry=EntryPrediction(
            GeoPoint(51.62, 23.55), NOW + 900, NOW + 800, NOW + 1000, 0.8, 1200.0, 400.0
        ),
        priority=2,
        area="POL",
    )


@pytest.fixture
def by_key() -> keys.SigningKey:
    return keys.generate("BY", datetime(2025, 9, 1, tzinfo=UTC))


def _body() -> dict[str, object]:
    from dronewarn.domain.codec import warning_to_dict

    return warning_to_dict(_warning())


def _verifier(by_key: keys.SigningKey, now: float = NOW) -> Verifier:
    public = keys.PublicKey("BY", by_key.kid, by_key.key)
    return Verifier("PL", {by_key.kid: public}, clock=lambda: now)


def _reason(verifier: Verifier, token: str) -> RejectReason:
    with pytest.raises(RejectedMessageError) as caught:
        verifier.verify(token)
    return caught.value.reason


def test_a_signed_warning_round_trips(by_key: keys.SigningKey) -> None:
    token = Signer(by_key, clock=lambda: NOW).sign_warning(_warning())
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "Ed25519", "kid": "BY-20250901T000000Z", "typ": "dronewarn-msg+jws"}
    envelope = _verifier(by_key).verify(token)
    assert (envelope.sender, envelope.recipient, envelope.sequence) == ("BY", "PL", 1)
    assert envelope.warning() == _warning()


def test_an_independent_jose_library_verifies_it(by_key: keys.SigningKey) -> None:
    token = Signer(by_key, clock=lambda: NOW).sign_warning(_warning())
    public = jwcrypto_jwk.JWK(**by_key.public_jwk())
    signed = jwcrypto_jws.JWS()
    signed.deserialize(token)
    signed.verify(public, alg="Ed25519")
    assert json.loads(signed.payload)["body"]["warning_id"] == "BY-PL-W0001"


def test_forged_altered_unknown_and_malformed(by_key: keys.SigningKey) -> None:
    verifier = _verifier(by_key)
    # forged: another key claims BY's key id
    impostor = keys.SigningKey("BY", by_key.kid, keys.generate("XX").key)
    assert _reason(verifier, Signer(impostor, lambda: NOW).sign_warning(_warning())) is (
        RejectReason.BAD_SIGNATURE
    )
    # altered: one byte of the payload changed after signing
    token = Signer(by_key, lambda: NOW).sign_warning(_warning())
    head, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    payload["body"]["entry"]["point"]["lon_deg"] = 20.0
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert _reason(verifier, f"{head}.{forged_body}.{signature}") is RejectReason.BAD_SIGNATURE
    # unknown key
    stranger = keys.generate("LT")
    assert _reason(verifier, Signer(stranger, lambda: NOW).sign_warning(_warning())) is (
        RejectReason.UNKNOWN_KEY
    )
    assert _reason(verifier, "not a jws at all") is RejectReason.MALFORMED


def test_replayed_expired_and_misaddressed(by_key: keys.SigningKey) -> None:
    signer = Signer(by_key, lambda: NOW, ttl_s=600.0)
    first, second = signer.sign_warning(_warning()), signer.sign_warning(_warning())
    verifier = _verifier(by_key)
    verifier.verify(second)
    assert _reason(verifier, second) is RejectReason.REPLAY  # same message again
    assert _reason(verifier, first) is RejectReason.REPLAY  # older sequence after a newer one
    late = _verifier(by_key, now=NOW + 700.0)  # ttl 600 s + 30 s skew allowed
    assert _reason(late, signer.sign_warning(_warning())) is RejectReason.EXPIRED
    assert _reason(verifier, signer.sign_warning(_warning("LT"))) is RejectReason.WRONG_RECIPIENT


def test_schema_violation_and_wrong_sender(by_key: keys.SigningKey) -> None:
    verifier = _verifier(by_key)
    with pytest.raises(UnsendableMessageError, match="required"):  # never sent as such
        Signer(by_key, lambda: NOW).sign("warning", "PL", {"warning_id": "x"})
    assert _reason(verifier, _signed_payload(by_key, {"warning_id": "x"})) is RejectReason.SCHEMA
    # BY's key, but the envelope says it is from UA
    lying = keys.SigningKey("UA", by_key.kid, by_key.key)
    assert _reason(verifier, Signer(lying, lambda: NOW).sign_warning(_warning())) is (
        RejectReason.WRONG_SENDER
    )


def test_keys_save_and_load(tmp_path: Path, by_key: keys.SigningKey) -> None:
    private, public = keys.save(by_key, tmp_path)
    assert private.stat().st_mode & 0o777 == 0o600
    loaded = keys.load_public(public)
    assert (loaded.node_id, loaded.kid) == ("BY", by_key.kid)
    token = Signer(keys.load_private(private), lambda: NOW).sign_warning(_warning())
    assert Verifier("PL", {loaded.kid: loaded}, lambda: NOW).verify(token).sender == "BY"


def _signed_payload(by_key: keys.SigningKey, body: dict[str, object]) -> str:
    """A correctly signed message whose body is whatever the test wants."""
    good = Signer(by_key, lambda: NOW).sign_warning(_warning())
    payload = json.loads(base64.urlsafe_b64decode(good.split(".")[1] + "=="))
    payload["body"] = body
    header = {"alg": "Ed25519", "kid": by_key.kid, "typ": "dronewarn-msg+jws"}
    return _resign(by_key, header, json.dumps(payload))


def _resign(by_key: keys.SigningKey, header: dict[str, str], payload: str) -> str:
    from joserfc import jws

    return jws.serialize_compact(header, payload.encode(), by_key.key, algorithms=["Ed25519"])


def test_body_header_and_number_tricks_are_refused(by_key: keys.SigningKey) -> None:
    verifier = _verifier(by_key)
    # BY signs a warning whose body claims to come from LT
    liar = dataclasses.replace(_warning(), sender="LT")
    assert _reason(verifier, Signer(by_key, lambda: NOW).sign_warning(liar)) is (
        RejectReason.WRONG_SENDER
    )
    good = Signer(by_key, lambda: NOW).sign_warning(_warning())
    payload = base64.urlsafe_b64decode(good.split(".")[1] + "==").decode()
    no_typ = {"alg": "Ed25519", "kid": by_key.kid}
    assert _reason(verifier, _resign(by_key, no_typ, payload)) is RejectReason.MALFORMED
    header = {"alg": "Ed25519", "kid": by_key.kid, "typ": "dronewarn-msg+jws"}
    endless = payload.replace('"seq":1', '"seq":Infinity')
    assert _reason(verifier, _resign(by_key, header, endless)) is RejectReason.SCHEMA
    decimal = payload.replace('"seq":1', '"seq":1.0')
    assert _reason(verifier, _resign(by_key, header, decimal)) is RejectReason.SCHEMA
    textual = payload.replace('"seq":1', '"seq":"7"')
    assert _reason(verifier, _resign(by_key, header, textual)) is RejectReason.SCHEMA
    other_kind = payload.replace('"kind":"warning"', '"kind":"nonsense"')
    assert _reason(verifier, _resign(by_key, header, other_kind)) is RejectReason.SCHEMA


def test_future_messages_and_key_rotation(by_key: keys.SigningKey) -> None:
    early = _verifier(by_key, now=NOW - 3600.0)
    assert _reason(early, Signer(by_key, lambda: NOW).sign_warning(_warning())) is (
        RejectReason.NOT_YET_VALID
    )
    new_key = keys.generate("BY", datetime(2025, 9, 5, tzinfo=UTC))
    verifier = Verifier(
        "PL",
        {
            by_key.kid: keys.PublicKey("BY", by_key.kid, by_key.key),
            new_key.kid: keys.PublicKey("BY", new_key.kid, new_key.key),
        },
        clock=lambda: NOW,
    )
    old = Signer(by_key, lambda: NOW)
    for _ in range(3):
        verifier.verify(old.sign_warning(_warning()))
    # the rotated key carries the node's sequence on (the outbox keeps it) and is accepted;
    # an old number under the new key is a replay
    new = Signer(new_key, lambda: NOW)
    assert _reason(verifier, new.sign("warning", "PL", _body(), sequence=3)) is RejectReason.REPLAY
    assert verifier.verify(new.sign("warning", "PL", _body(), sequence=4)).sequence == 4


def test_keys_are_never_overwritten_and_ids_are_checked(tmp_path: Path) -> None:
    key = keys.generate("BY", datetime(2025, 9, 1, tzinfo=UTC))
    keys.save(key, tmp_path)
    with pytest.raises(ConfigError, match="never overwritten"):
        keys.save(key, tmp_path)
    with pytest.raises(ConfigError, match="node id"):
        keys.generate("../etc")
