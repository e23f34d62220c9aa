"""The audit log: an append-only hash chain of every message sent, received or refused.

One file per node, ``audit.log``, one entry per line:

    <entry JSON>\\t<hash>

where ``hash = SHA-256(previous hash || entry JSON bytes)`` in hex, the first entry chained
to 64 zeros. An entry records the time, the event (``out``, ``acked``, ``in``, ``rejected``,
``withheld``, ``expired``, ``checkpoint``, ``opened``), the partner, the message's id, kind,
sequence and the SHA-256 of the exact signed token, so that a partner holding the token can
show that this log holds the same message (``compare``).

Every ``checkpoint_every`` entries, on opening and on closing, a ``checkpoint`` entry carries
a JWS (the node's Ed25519 key) over the index and hash of the entry before it: whoever
rewrites the log and recomputes every hash after a checkpoint still cannot sign.

``verify`` recomputes the chain and the checkpoint signatures and names the first bad line:
changing any byte of the file breaks either the entry's JSON, its hash, or a later link.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from dronewarn.domain.time import iso
from dronewarn.share.envelope import unverified_header
from dronewarn.share.keys import PublicKey, SigningKey

GENESIS = "0" * 64
FILE_NAME = "audit.log"
CHECKPOINT_TYP = "dronewarn-audit+jws"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _link(previous: str, body: bytes) -> str:
    return hashlib.sha256(previous.encode("ascii") + body).hexdigest()


def _canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, separators=(",", ":"), sort_keys=True, allow_nan=False).encode()


class AuditLog:
    """Appends entries to a node's audit log; safe to share between threads."""

    def __init__(
        self,
        path: Path,
        key: SigningKey,
        clock: Callable[[], float],
        checkpoint_every: int = 100,
    ) -> None:
        self.path = path
        self._key = key
        self._clock = clock
        self._every = checkpoint_every
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._index, self._head, torn = _resume(path)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._since_checkpoint = 0
        self.record("opened", torn_bytes=torn)
        self.checkpoint()

    @property
    def head(self) -> tuple[int, str]:
        return self._index, self._head

    def record(self, event: str, **fields: Any) -> None:
        with self._lock:
            self._append(event, fields)
            if self._since_checkpoint >= self._every:
                self._checkpoint()

    def checkpoint(self) -> None:
        with self._lock:
            self._checkpoint()

    def close(self) -> None:
        with self._lock:
            if self._fd < 0:
                return
            self._checkpoint()
            os.close(self._fd)
            self._fd = -1

    def _append(self, event: str, fields: Mapping[str, Any]) -> None:
        entry = {"i": self._index + 1, "t": iso(self._clock()), "event": event, **fields}
        body = _canonical(entry)
        head = _link(self._head, body)
        os.write(self._fd, body + b"\t" + head.encode("ascii") + b"\n")
        self._index, self._head = self._index + 1, head
        self._since_checkpoint += 1

    def _checkpoint(self) -> None:
        claim = _canonical({"i": self._index, "head": self._head, "node": self._key.node_id})
        header = {"alg": "Ed25519", "kid": self._key.kid, "typ": CHECKPOINT_TYP}
        signature = jws.serialize_compact(header, claim, self._key.key, algorithms=["Ed25519"])
        self._append("checkpoint", {"of": self._index, "head": self._head, "jws": signature})
        self._since_checkpoint = 0


def _resume(path: Path) -> tuple[int, str, int]:
    """The last index and hash of an existing log; a torn last line (a crash in the middle
    of a write) is cut off and its length reported in the next entry."""
    if not path.exists() or path.stat().st_size == 0:
        return 0, GENESIS, 0
    data = path.read_bytes()
    torn = 0
    if not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        torn = len(data) - keep
        with path.open("r+b") as handle:
            handle.truncate(keep)
        data = data[:keep]
    if not data:
        return 0, GENESIS, torn
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    body, _, head = last.rpartition(b"\t")
    return int(json.loads(body)["i"]), head.decode("ascii"), torn


@dataclass(frozen=True)
class AuditReport:
    entries: int
    checkpoints: int
    first_bad_line: int | None
    problem: str
    events: dict[str, int]

    @property
    def intact(self) -> bool:
        return self.first_bad_line is None


def verify(path: Path, keys: Iterable[PublicKey]) -> AuditReport:
    """Check every link and every checkpoint signature of the log at ``path``."""
    by_kid = {key.kid: key for key in keys}
    previous = GENESIS
    checkpoints = 0
    events: dict[str, int] = {}
    count = 0

    def bad(line_no: int, problem: str) -> AuditReport:
        return AuditReport(count, checkpoints, line_no, problem, events)

    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                return bad(line_no, "the line is cut short")
            body, tab, stated = raw[:-1].rpartition(b"\t")
            if not tab:
                return bad(line_no, "no hash on the line")
            if _link(previous, body) != stated.decode("ascii", "replace"):
                return bad(line_no, "hash does not match the entry and the one before")
            try:
                entry = json.loads(body)
                index, event = entry["i"], entry["event"]
            except (ValueError, KeyError, TypeError) as exc:
                return bad(line_no, f"not an audit entry: {exc}")
            if index != count + 1:
                return bad(line_no, f"entry number {index}, expected {count + 1}")
            if event == "checkpoint":
                problem = _check_checkpoint(entry, count, previous, by_kid)
                if problem:
                    return bad(line_no, problem)
                checkpoints += 1
            events[event] = events.get(event, 0) + 1
            previous = stated.decode("ascii")
            count += 1
    if checkpoints == 0:
        return bad(count + 1, "no signed checkpoint in the log")
    return AuditReport(count, checkpoints, None, "", events)


def _check_checkpoint(
    entry: Mapping[str, Any], index: int, head: str, by_kid: Mapping[str, PublicKey]
) -> str:
    token = entry.get("jws")
    if not isinstance(token, str) or token.count(".") != 2:
        return "checkpoint without a signature"
    try:
        kid = unverified_header(token)["kid"]
    except (ValueError, KeyError, TypeError) as exc:
        return f"checkpoint signature header unreadable: {exc}"
    key = by_kid.get(kid)
    if key is None:
        return f"checkpoint signed with key {kid!r}, which is not given"
    try:
        claim = json.loads(jws.deserialize_compact(token, key.key, algorithms=["Ed25519"]).payload)
    except (JoseError, ValueError) as exc:
        return f"checkpoint signature does not verify: {exc}"
    if claim.get("i") != index or claim.get("head") != head or entry.get("of") != index:
        return "checkpoint signs another head than the entry before it"
    return ""


def logged_ids(path: Path, events: frozenset[str]) -> dict[str, set[str]]:
    """Per event of ``events``: the message ids the log has an entry of."""
    found: dict[str, set[str]] = {event: set() for event in events}
    if not path.exists():
        return found
    with path.open("rb") as handle:
        for raw in handle:
            body = raw.rstrip(b"\n").rpartition(b"\t")[0]
            try:
                entry = json.loads(body)
            except ValueError:
                continue  # a damaged line: ``verify`` names it
            event = entry.get("event")
            if event in found and isinstance(entry.get("id"), str):
                found[event].add(entry["id"])
    return found


def sent_digests(path: Path, partner: str) -> dict[str, str]:
    """Message id -> token digest of every message the log says went to ``partner``."""
    out: dict[str, str] = {}
    with path.open("rb") as handle:
        for raw in handle:
            body = raw.rstrip(b"\n").rpartition(b"\t")[0]
            entry = json.loads(body)
            if entry.get("event") == "out" and entry.get("partner") == partner:
                out[entry["id"]] = entry["sha256"]
    return out


def compare(path: Path, partner: str, received: Mapping[str, str]) -> list[str]:
    """A partner's check: every token it received (message id -> token) appears, byte for
    byte, among what this log says was sent to it. Returns the ids that do not."""
    sent = sent_digests(path, partner)
    return sorted(mid for mid, token in received.items() if sent.get(mid) != token_digest(token))
