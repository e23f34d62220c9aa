"""The audit log: any changed byte is found and named; checkpoints need the node's key."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dronewarn.cli.app import app
from dronewarn.share import keys
from dronewarn.share.audit import AuditLog, compare, token_digest, verify


def _log(folder: Path) -> tuple[Path, keys.SigningKey]:
    key = keys.generate("BY")
    keys.save(key, folder / "keys")
    log = AuditLog(folder / "audit.log", key, time.time, checkpoint_every=10)
    for k in range(40):
        log.record(
            "out",
            partner="PL",
            id=f"m{k}",
            kind="warning",
            seq=k + 1,
            sha256=token_digest(f"token-{k}"),
        )
    log.close()
    return folder / "audit.log", key


def _public(key: keys.SigningKey) -> list[keys.PublicKey]:
    return [keys.PublicKey(key.node_id, key.kid, key.key)]


def test_an_intact_log_verifies(tmp_path: Path) -> None:
    path, key = _log(tmp_path)
    report = verify(path, _public(key))
    assert report.intact and report.entries == 47 and report.checkpoints == 6
    result = CliRunner().invoke(app, ["audit", "verify", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert compare(path, "PL", {"m3": "token-3"}) == []
    assert compare(path, "PL", {"m3": "token-4", "zz": "x"}) == ["m3", "zz"]


@settings(max_examples=150, deadline=None)
@given(position=st.floats(0.0, 1.0, exclude_max=True), delta=st.integers(1, 255))
def test_any_changed_byte_is_found_at_its_line(
    tmp_path_factory: object, position: float, delta: int
) -> None:
    folder = tmp_path_factory.mktemp("audit")  # type: ignore[attr-defined]
    path, key = _log(folder)
    data = bytearray(path.read_bytes())
    at = int(position * len(data))
    data[at] = (data[at] + delta) % 256
    path.write_bytes(bytes(data))
    line = data[:at].count(b"\n") + 1
    report = verify(path, _public(key))
    assert not report.intact
    assert report.first_bad_line is not None and report.first_bad_line <= line + 1
    result = CliRunner().invoke(app, ["audit", "verify", str(folder)])
    assert result.exit_code == 1 and f"line {report.first_bad_line}" in result.output


def test_a_rewritten_chain_fails_at_the_checkpoint(tmp_path: Path) -> None:
    """Recomputing every hash after an edit is not enough: the checkpoints are signed."""
    import hashlib
    import json

    path, key = _log(tmp_path)
    lines = path.read_bytes().splitlines()
    previous = "0" * 64
    out = []
    for k, raw in enumerate(lines):
        body = raw.rpartition(b"\t")[0]
        if k == 5:
            entry = json.loads(body)
            entry["partner"] = "LT"
            body = json.dumps(entry, separators=(",", ":"), sort_keys=True).encode()
        previous = hashlib.sha256(previous.encode() + body).hexdigest()
        out.append(body + b"\t" + previous.encode())
    path.write_bytes(b"\n".join(out) + b"\n")
    report = verify(path, _public(key))
    assert not report.intact and "checkpoint" in report.problem
    # another key under BY's key id does not verify BY's checkpoints
    impostor = keys.SigningKey("BY", key.kid, keys.generate("BY").key)
    forged = verify(path, _public(impostor))
    assert forged.first_bad_line == 2 and "does not verify" in forged.problem


def test_a_torn_last_line_is_cut_and_reported(tmp_path: Path) -> None:
    path, key = _log(tmp_path)
    with path.open("ab") as handle:
        handle.write(b'{"i": 48, "event": "ou')
    AuditLog(path, key, time.time).close()
    report = verify(path, _public(key))
    assert report.intact
    text = path.read_text()
    assert '"torn_bytes":22' in text
