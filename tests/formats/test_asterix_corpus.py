"""The corpus bench over the real captures beside the repository: every record both decoders
read agrees field by field with asterix-decoder, and no Report is implausible
(``bench/corpus.py``; skips without the peer's virtual environment)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_the_samples_agree_with_the_independent_decoder(samples_dir: Path, tmp_path: Path) -> None:
    configured = os.environ.get("DRONEWARN_ASTERIX_PEER")
    peer = Path(configured) if configured else REPO / ".venv-asterix-peer" / "bin" / "python"
    if not peer.is_file():
        pytest.skip("asterix-decoder's venv is absent (./run test makes it)")
    out = tmp_path / "corpus.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "corpus.py"), "--dir", str(samples_dir),
         "--json", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "DRONEWARN_ASTERIX_PEER": str(peer)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {row["file"]: row for row in json.loads(out.read_text())}
    read = [row for row in rows.values() if row["status"] == "read"]
    assert read, rows
    assert all(row["fields_disagreeing"] == 0 for row in read)
    assert all(row["implausible_reports"] == 0 for row in read)
    assert sum(row["fields_compared"] for row in read) > 1000
    if "asterix/cat_034_048.pcap" in rows:
        both = rows["asterix/cat_034_048.pcap"]
        assert both["pairs"] == both["dronewarn_records"] == both["peer_records"] == 162
    if "asterix/asterix.pcap" in rows:  # CAT062 0.17: detected, and read by dronewarn alone
        draft = rows["asterix/asterix.pcap"]
        assert draft["editions"] == "062:0.17" and draft["peer_lacks_edition"] == {"062": 100}
