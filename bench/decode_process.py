"""One recording decoded to JSON lines, whole process: ``dronewarn decode`` against
CroatiaControl's asterix-decoder (C++ core) writing JSON lines, in the same command.

* dronewarn: ``python -m dronewarn decode FILE > out`` (reads the pcap itself, detects the
  editions, builds the Reports, one JSON line each);
* the peer: its Python module (``.venv-asterix-peer``) parsing the recording's plain data
  blocks (extracted by dronewarn beforehand, untimed: the module reads no pcap) and writing
  ``json.dumps`` of each record it returns, one per line.

Both write to a file in a temporary directory; times are wall-clock medians of ``--repeats``
runs taken in turn, with byte code compiled and one untimed run of each first. The default
recording is the largest real CAT062 one the corpus lists (``bench/corpus.toml``:
jmatiasbro/decoderAsterix ``fds260429.pcap``, 3.5 MB, 50,640 tracks).

    ./run bench decode_process [--file PATH] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dronewarn.formats.asterix.datablock import split_datablocks
from dronewarn.formats.capture import read_capture

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = Path("jmatiasbro+decoderAsterix") / "fds260429.pcap"

PEER_WRITER = """
import json, sys
import asterix
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "w") as out:
    for record in asterix.parse(data, verbose=False):
        out.write(json.dumps(record) + "\\n")
"""


def _plain_blocks(path: Path) -> bytes:
    out = bytearray()
    for captured in read_capture(path):
        blocks, _ = split_datablocks(captured.payload)
        for block in blocks:
            out += captured.payload[block.offset : block.end]
    return bytes(out)


def _seconds(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    path = args.file
    if path is None:
        for directory in (os.environ.get("DRONEWARN_CORPUS"), ROOT.parent / "corpus"):
            if directory and (Path(directory) / DEFAULT).is_file():
                path = Path(directory) / DEFAULT
                break
    if path is None:
        print(f"no recording: give --file, or put the corpus's {DEFAULT} in ../corpus")
        return 2
    peer = Path(os.environ.get("DRONEWARN_ASTERIX_PEER", ROOT / ".venv-asterix-peer/bin/python"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        raw = work / "blocks.ast"
        raw.write_bytes(_plain_blocks(path))
        writer = work / "peer_writer.py"
        writer.write_text(PEER_WRITER)
        ours_out, peer_out = work / "dronewarn.jsonl", work / "peer.jsonl"
        shell = ["/bin/sh", "-c"]
        ours = [*shell, f'"{sys.executable}" -m dronewarn decode "{path}" > "{ours_out}"']
        theirs = [str(peer), str(writer), str(raw), str(peer_out)]
        _seconds(ours, env)
        _seconds(theirs, env)
        times: dict[str, list[float]] = {"dronewarn": [], "asterix-decoder": []}
        for _ in range(args.repeats):
            times["dronewarn"].append(_seconds(ours, env))
            times["asterix-decoder"].append(_seconds(theirs, env))
        counts = {"dronewarn": _lines(ours_out), "asterix-decoder": _lines(peer_out)}
    print(f"{path.name}: {path.stat().st_size:,} octets, {args.repeats} runs each, wall medians")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(f"  {name:<16} {median:6.2f} s  {counts[name]:>8,} lines")
    ratio = statistics.median(times["asterix-decoder"]) / statistics.median(times["dronewarn"])
    print(f"  dronewarn is {ratio:.1f}x the peer's speed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
