"""Two nodes' links in this process over mutual TLS on loopback: delivery and refusals."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from dronewarn.domain.codec import warning_to_dict
from dronewarn.share import keys
from dronewarn.share.audit import FILE_NAME, verify
from dronewarn.share.envelope import Signer, unverified_payload
from dronewarn.share.link_service import LinkConfig, LinkService, NodeHome, PartnerEndpoint
from dronewarn.share.provisioning import provision, trust
from dronewarn.transports.tls import TlsIdentity, client_context
from tests.share.test_envelope import _signed_payload, _warning


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Pair:
    root: Path
    by: LinkService
    pl: LinkService
    pl_port: int
    clock: list[float]

    def raw_post(self, token: str, identity: TlsIdentity | None = None) -> httpx.Response:
        """POST a token to PL as BY (or as ``identity``), bypassing BY's outbox."""
        home = NodeHome(self.root / "BY")
        me = identity or home.tls_identity("BY")
        context = client_context(me, NodeHome(self.root / "BY").partner_certs("PL"))
        with httpx.Client(verify=context, timeout=5.0) as client:
            return client.post(
                f"https://127.0.0.1:{self.pl_port}/partner/v1/messages", content=token.encode()
            )


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    for node in ("BY", "PL"):
        provision(tmp_path / node, node)
    trust(tmp_path / "PL", tmp_path / "BY" / "keys", "BY")
    trust(tmp_path / "BY", tmp_path / "PL" / "keys", "PL")
    by_port, pl_port = _free_port(), _free_port()
    clock = [time.time()]

    def now() -> float:
        return clock[0] + (time.time() - start)

    start = time.time()
    by = LinkService(
        LinkConfig(
            "BY",
            tmp_path / "BY",
            (PartnerEndpoint("PL", f"https://127.0.0.1:{pl_port}"),),
            listen_port=by_port,
        ),
        now,
    )
    pl = LinkService(
        LinkConfig(
            "PL",
            tmp_path / "PL",
            (PartnerEndpoint("BY", f"https://127.0.0.1:{by_port}"),),
            listen_port=pl_port,
        ),
        now,
    )
    by.start()
    pl.start()
    pair = Pair(tmp_path, by, pl, pl_port, clock)
    yield pair
    pair.by.stop()
    pair.pl.stop()


def _ack(response: httpx.Response) -> dict[str, object]:
    body: dict[str, object] = unverified_payload(response.text)["body"]
    return body


def test_warnings_and_feedback_go_both_ways_in_order(pair: Pair) -> None:
    for k in range(20):
        pair.by.send_warning(_warning_k(k))
    pair.pl.send("BY", "feedback", {"warning_id": "BY-W0001", "rating": "useful"})
    assert pair.by.wait_delivered(20.0) and pair.pl.wait_delivered(20.0)
    got = pair.pl.incoming(0)
    assert [m.seq for m in got] == list(range(1, 21))
    assert [unverified_payload(m.token)["body"]["sequence"] for m in got] == list(range(20))
    assert [m.kind for m in pair.by.incoming(0)] == ["feedback"]
    stats = pair.by.stats()["PL"]
    assert stats["sent"] == stats["acked"] == 20 and stats["received"] == 1


def _warning_k(k: int):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(_warning(), sequence=k)


def test_every_bad_message_is_refused_with_its_reason_and_recorded(pair: Pair) -> None:
    by_key = NodeHome(pair.root / "BY").signing_key()
    signer = Signer(by_key, time.time)
    body = warning_to_dict(_warning())
    good = signer.sign("warning", "PL", body, sequence=1)
    first = pair.raw_post(good)
    assert _ack(first)["status"] == "accepted"
    # the ack is a JWS any JOSE library verifies with PL's public key (here jwcrypto)
    from jwcrypto import jwk as jwcrypto_jwk
    from jwcrypto import jws as jwcrypto_jws

    pl_public = NodeHome(pair.root / "PL").own_public_keys()[0]
    checked = jwcrypto_jws.JWS()
    checked.deserialize(first.text)
    checked.verify(jwcrypto_jwk.JWK(**pl_public.key.as_dict(private=False)), alg="Ed25519")
    assert json.loads(checked.payload)["kind"] == "ack"
    # the same message again (a retry): answered, not acted on again
    again = pair.raw_post(good)
    assert again.status_code == 200 and _ack(again)["status"] == "duplicate"
    # a fresh id with an old number: a replay
    cases = {"replay": signer.sign("warning", "PL", body, sequence=1)}
    impostor = keys.generate("BY")
    forged = Signer(keys.SigningKey("BY", by_key.kid, impostor.key), time.time)
    cases["bad_signature"] = forged.sign("warning", "PL", body, sequence=2)
    head, payload, sig = signer.sign("warning", "PL", body, sequence=3).split(".")
    altered = json.loads(base64.urlsafe_b64decode(payload + "=="))
    altered["body"]["track_speed_mps"] = 1.0
    cases["bad_signature "] = ".".join(
        [head, base64.urlsafe_b64encode(json.dumps(altered).encode()).decode().rstrip("="), sig]
    )
    cases["expired"] = Signer(by_key, lambda: time.time() - 7200.0, ttl_s=600.0).sign(
        "warning", "PL", body, sequence=4
    )
    cases["wrong_recipient"] = signer.sign("warning", "LT", body, sequence=5)
    cases["schema"] = _signed_payload(by_key, {"warning_id": "x"})
    cases["malformed"] = "not a token"
    for expected, token in cases.items():
        response = pair.raw_post(token)
        assert response.status_code == 422, expected
        ack = _ack(response)
        assert ack["status"] == "rejected" and str(ack["reason"]).startswith(expected.strip())
    assert len(pair.pl.incoming(0)) == 1  # only the good one was accepted
    refused = pair.pl.store.refused_counts()
    assert refused == {
        "replay": 1,
        "bad_signature": 2,
        "expired": 1,
        "wrong_recipient": 1,
        "schema": 1,
        "malformed": 1,
    }
    pair.pl.audit.checkpoint()
    report = verify(pair.root / "PL" / FILE_NAME, NodeHome(pair.root / "PL").own_public_keys())
    assert report.intact and report.events["rejected"] == 7 and report.events["duplicate"] == 1


def test_an_unknown_certificate_is_refused_at_the_handshake_and_recorded(pair: Pair) -> None:
    _, stranger = provision(pair.root / "XX", "XX")
    with pytest.raises(httpx.HTTPError):
        pair.raw_post("x.y.z", identity=stranger)
    deadline = time.time() + 5.0
    while "unknown_certificate" not in pair.pl.store.refused_counts() and time.time() < deadline:
        time.sleep(0.05)
    assert pair.pl.store.refused_counts().get("unknown_certificate") == 1
    assert pair.pl.incoming(0) == []


def test_the_outbox_survives_a_partner_that_is_down(pair: Pair, tmp_path: Path) -> None:
    pair.pl.stop()
    for k in range(5):
        pair.by.send_warning(_warning_k(k))
    time.sleep(1.5)
    stats = pair.by.stats()["PL"]
    assert stats["pending"] == 5 and stats["consecutive_failures"] >= 1
    pair.pl = LinkService(pair.pl.config, time.time)
    pair.pl.start()
    assert pair.by.wait_delivered(20.0)
    assert [m.seq for m in pair.pl.incoming(0)] == [1, 2, 3, 4, 5]


def test_key_rotation_keeps_the_sequence_and_the_history(pair: Pair) -> None:
    """BY rotates its signing key and certificate: PL trusts the new files first, BY restarts
    with them, numbering carries on, and BY's log verifies with both keys."""
    from datetime import UTC, datetime, timedelta

    for k in range(3):
        pair.by.send_warning(_warning_k(k))
    assert pair.by.wait_delivered(20.0)
    old_kid = NodeHome(pair.root / "BY").signing_key().kid
    provision(pair.root / "BY", "BY", now=datetime.now(UTC) + timedelta(seconds=2))
    trust(pair.root / "PL", pair.root / "BY" / "keys", "BY")
    config = pair.pl.config
    pair.pl.stop()
    pair.pl = LinkService(config, time.time)  # PL reloads its partners' files
    pair.pl.start()
    by_config = pair.by.config
    pair.by.stop()
    pair.by = LinkService(by_config, time.time)
    pair.by.start()
    assert pair.by.signer.key.kid != old_kid
    for k in range(3, 6):
        pair.by.send_warning(_warning_k(k))
    assert pair.by.wait_delivered(20.0)
    got = pair.pl.incoming(0)
    assert [m.seq for m in got] == [1, 2, 3, 4, 5, 6]
    kids = [json.loads(base64.urlsafe_b64decode(m.token.split(".")[0] + "=="))["kid"] for m in got]
    assert kids[:3] == [old_kid] * 3 and set(kids[3:]) == {pair.by.signer.key.kid}
    pair.by.audit.checkpoint()
    home = NodeHome(pair.root / "BY")
    assert verify(home.audit, home.own_public_keys()).intact
    only_new = [k for k in home.own_public_keys() if k.kid != old_kid]
    assert not verify(home.audit, only_new).intact  # the old checkpoints need the old key


def test_a_newer_air_picture_replaces_one_not_yet_sent_but_warnings_all_go(pair: Pair) -> None:
    pair.pl.stop()
    picture = {"time_s": 0.0, "tracks": []}
    for k in range(5):
        pair.by.send("PL", "tracks", {**picture, "time_s": float(k)})
        pair.by.send_warning(_warning_k(k))
    stats = pair.by.stats()["PL"]
    assert stats["superseded"] >= 3  # the first picture may already be on its way
    pair.pl = LinkService(pair.pl.config, time.time)
    pair.pl.start()
    assert pair.by.wait_delivered(20.0)
    got = pair.pl.incoming(0)
    kinds = [m.kind for m in got]
    assert kinds.count("warning") == 5
    pictures = [unverified_payload(m.token)["body"]["time_s"] for m in got if m.kind == "tracks"]
    assert pictures[-1] == 4.0 and len(pictures) <= 2
    seqs = [m.seq for m in got]
    assert seqs == sorted(seqs)  # gaps where pictures were dropped, order kept


def test_a_rotation_and_a_revocation_apply_without_restarting_the_receiver(pair: Pair) -> None:
    """PL keeps running: BY's new key and certificate are trusted the moment ``keys trust``
    puts them in place (``refresh_trust``), and a revoked key is refused from then on, with
    the change on PL's audit chain."""
    from datetime import UTC, datetime, timedelta

    from dronewarn.share.trust import revoke

    pair.by.send_warning(_warning_k(0))
    assert pair.by.wait_delivered(20.0)
    old_kid = NodeHome(pair.root / "BY").signing_key().kid
    provision(pair.root / "BY", "BY", now=datetime.now(UTC) + timedelta(seconds=2))
    trust(pair.root / "PL", pair.root / "BY" / "keys", "BY")
    assert pair.pl.refresh_trust()  # PL is not restarted
    assert not pair.pl.refresh_trust()  # nothing changed since
    by_config = pair.by.config
    pair.by.stop()
    pair.by = LinkService(by_config, time.time)  # BY now signs and connects with its new pair
    pair.by.start()
    pair.by.send_warning(_warning_k(1))
    assert pair.by.wait_delivered(20.0)
    assert [m.seq for m in pair.pl.incoming(0)] == [1, 2]
    new_kid = pair.by.signer.key.kid
    assert new_kid != old_kid
    # BY's new key leaks: PL revokes it; BY's next message is refused, not acted on
    revoke(NodeHome(pair.root / "PL").partner_dir("BY"), kids=[new_kid])
    assert pair.pl.refresh_trust()
    pair.by.send_warning(_warning_k(2))
    assert pair.by.wait_delivered(20.0)
    assert [m.seq for m in pair.pl.incoming(0)] == [1, 2]
    assert pair.by.stats()["PL"]["rejected"] == 1
    log = (pair.root / "PL" / FILE_NAME).read_text().splitlines()
    events = [json.loads(line.split("\t")[0])["event"] for line in log]
    assert "trust" in events and "rejected" in events
    # every certificate of BY revoked: PL trusts BY with nothing, and BY cannot connect
    from dronewarn.transports.tls import fingerprint

    prints = [fingerprint(c.read_bytes()) for c in NodeHome(pair.root / "PL").partner_certs("BY")]
    revoke(NodeHome(pair.root / "PL").partner_dir("BY"), fingerprints=prints)
    assert pair.pl.refresh_trust() and pair.pl.trust_error == ""
    pair.by.send_warning(_warning_k(3))
    assert not pair.by.wait_delivered(3.0)
    assert pair.by.stats()["PL"]["consecutive_failures"] > 0
    assert [m.seq for m in pair.pl.incoming(0)] == [1, 2]


def test_what_the_store_committed_before_a_kill_reaches_the_audit_log(pair: Pair) -> None:
    """kill -9 between committing a message and writing its audit line: at the next start
    the line is written (marked recovered), so the log still holds every message."""
    from dronewarn.share.audit import logged_ids, token_digest

    pl_home = NodeHome(pair.root / "PL")
    signer = Signer(NodeHome(pair.root / "BY").signing_key(), time.time)
    token = signer.sign("warning", "PL", warning_to_dict(_warning()), sequence=1)
    message_id = unverified_payload(token)["id"]
    assert pair.pl.store.accept(message_id, "BY", "warning", "message", 1, token, time.time())
    config = pair.pl.config
    pair.pl.stop()  # as if killed before the audit line: the store has it, the log does not
    assert message_id not in logged_ids(pl_home.audit, frozenset({"in"}))["in"]
    pair.pl = LinkService(config, time.time)
    pair.pl.start()
    log = pl_home.audit.read_text().splitlines()
    entries = [json.loads(line.split("\t")[0]) for line in log]
    recovered = [e for e in entries if e.get("id") == message_id and e["event"] == "in"]
    assert recovered and recovered[0]["recovered"] is True
    assert recovered[0]["sha256"] == token_digest(token)
    pair.pl.audit.checkpoint()
    assert verify(pl_home.audit, pl_home.own_public_keys()).intact
