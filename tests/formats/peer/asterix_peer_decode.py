"""Decode ASTERIX with an independent decoder and print JSON: the peer of dronewarn's encoders.

Runs under the Python of a separate virtual environment holding CroatiaControl's C++-backed
decoder (PyPI ``asterix-decoder``, imported as ``asterix``, which clashes with libasterix's
package of the same name, hence the separate environment)::

    python3 -m venv .venv-asterix-peer
    .venv-asterix-peer/bin/pip install asterix-decoder==0.7.11
    .venv-asterix-peer/bin/python tests/formats/peer/asterix_peer_decode.py blocks.bin

Input: raw ASTERIX data blocks (no pcap or other framing), from the file named as the only
argument, or from stdin. Output (stdout), one JSON document::

    {"decoder": "asterix-decoder", "version": "0.7.11",
     "records": [{"category": 62, "items": {"I010": {"SAC": 1, "SIC": 2}, ...}}, ...]}

Items are the decoder's own, with its ``{"val": x}`` leaves flattened to ``x``; e.g. CAT062
I105 is ``{"Lat": 52.1, "Lon": 23.2}`` and I500 ``{"APC": {"APC_X": 10.0, ...}, ...}``. The
decoder reads CAT062 with its edition 1.18 definition (``asterix/config``) and CAT048 with 1.21.
Exit status 1 with ``{"error": ...}`` when the decoder raises.

``--blocks FILE``: FILE holds data blocks each after a 4-octet big-endian length (what
``bench/corpus.py`` writes); each block is decoded on its own, so that one the decoder cannot
read costs only itself, and each gives one JSON line on stdout:
``{"block": N, "records": [{"category": C, "hex": "...", "items": {...}}, ...]}`` or
``{"block": N, "error": "..."}``. ``hex`` is the record's octets as the decoder delimited them.
``--blocks FILE SKIP`` starts after the first SKIP blocks (each line is flushed, so a caller
whose decoder crashed on a block goes on after it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import asterix  # asterix-decoder's, not libasterix


def _flatten(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"val"}:
            return value["val"]
        return {k: _flatten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_flatten(v) for v in value]
    return value


def _blocks(path: Path, skip: int) -> int:
    data = path.read_bytes()
    pos = 0
    index = 0
    while pos + 4 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        block = data[pos + 4 : pos + 4 + size]
        pos += 4 + size
        if index < skip:
            index += 1
            continue
        try:
            parsed = asterix.parse(block, verbose=False)
        except Exception as exc:  # the decoder's errors are not a documented hierarchy
            print(json.dumps({"block": index, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
        else:
            records = [
                {
                    "category": record["category"],
                    "hex": record.get("hexdata") or "",
                    "items": {k: _flatten(v) for k, v in record.items() if k.startswith("I")},
                }
                for record in parsed
            ]
            print(json.dumps({"block": index, "records": records}), flush=True)
        index += 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) > 2 and argv[1] == "--blocks":
        return _blocks(Path(argv[2]), int(argv[3]) if len(argv) > 3 else 0)
    data = Path(argv[1]).read_bytes() if len(argv) > 1 else sys.stdin.buffer.read()
    try:
        parsed = asterix.parse(data, verbose=False)
    except Exception as exc:  # the decoder's errors are not a documented hierarchy
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return 1
    records = [
        {
            "category": record["category"],
            "items": {k: _flatten(v) for k, v in record.items() if k.startswith("I")},
        }
        for record in parsed
    ]
    version = getattr(asterix, "__version__", "unknown")
    print(json.dumps({"decoder": "asterix-decoder", "version": version, "records": records}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
