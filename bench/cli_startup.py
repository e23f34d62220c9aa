"""How long the ``dronewarn`` command takes to start, whole process, wall time.

Runs, each ``--repeats`` times in turn (so a slow moment of the machine hits them all), and
prints the median of each with its ratio to the interpreter alone:

* ``python -c pass``: the interpreter's own start, the floor;
* ``dronewarn --help``: the command tree (every group's options), nothing else imported;
* ``dronewarn decode FILE`` for every small ASTERIX recording in ``../shared/samples`` and one
  CoT event and ADS-B file: what an integrator's first check costs.

Runs as an installed copy does: with byte code written, after one untimed run of each command.

    ./run bench cli_startup [--repeats 7] [--samples ../shared/samples]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _seconds(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--samples", type=Path, default=ROOT.parent / "shared" / "samples")
    args = parser.parse_args()
    python = sys.executable
    dronewarn = [python, "-m", "dronewarn"]
    runs: dict[str, list[str]] = {"python -c pass": [python, "-c", "pass"]}
    runs["dronewarn --help"] = [*dronewarn, "--help"]
    for pattern in ("asterix/*", "cot/*.xml", "adsb/*.csv"):
        small = sorted(p for p in args.samples.glob(pattern) if p.stat().st_size < 200_000)
        for path in small if pattern == "asterix/*" else small[:1]:
            name = f"dronewarn decode {path.relative_to(args.samples)}"
            runs[name] = [*dronewarn, "decode", str(path)]
    # as installed: byte code written (pip compiles it at install; a sandbox that sets
    # PYTHONDONTWRITEBYTECODE would otherwise recompile every module on every run), and one
    # untimed run of each first (writes it, and the ASTERIX layouts of ``layout_cache``)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for command in runs.values():
        _seconds(command, env)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, command in runs.items():
            times[name].append(_seconds(command, env))
    floor = statistics.median(times["python -c pass"])
    width = max(len(name) for name in runs)
    print(f"{'command':<{width}}  median s  x interpreter  (of {args.repeats} runs)")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(f"{name:<{width}}  {median:8.3f}  {median / floor:13.1f}")


if __name__ == "__main__":
    main()
