"""ASTERIX decode rate on one core: CAT048 plots and CAT062 tracks to dronewarn's dataclasses.

Workloads are the real captures in ../shared/samples/asterix, replicated: every CAT048 data
block of ``cat_034_048.pcap`` and ``cat048.raw`` (129 records in 87 blocks, as the radars sent
them), every CAT062 block of ``cat_062_065.pcap`` and ``cat062cat065.raw`` (4 records of
edition 1.x, rich ones: I380, I290, I295, I340...), and the 100 CAT062 edition-0.17 records of
``asterix.pcap``. Each block is one payload given to ``decode_datablocks``.

Paths, both giving the same ``Cat048Plot``/``Cat062Track`` values (tests/formats/
test_asterix_fast.py):

* libasterix alone: ``DecodePlan.for_editions(fast=False)``, libasterix's strict record parse
  then its item accessors (run on a slice of the workload: it is slow);
* dronewarn: the default plan, the hand-written ``fast048``/``fast062`` (record walk compiled
  by numba in ``walk_compiled``, as a node runs it; compiled before timing starts).

The process is pinned to one CPU. Rates are records per second of this process's CPU time
(``time.process_time``; the machine may be shared, which wall time would count against us),
median over ``--repeats`` runs; the wall-time median, the best run and the load average are
printed and saved too.

    ./run bench decode [--records 20000] [--repeats 7] [--json bench/results-decode.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from importlib import metadata
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from dronewarn.formats.asterix.datablock import split_datablocks
from dronewarn.formats.asterix.decoder import DecodePlan, decode_datablocks
from dronewarn.formats.asterix.editions import Editions, parse_editions
from dronewarn.formats.asterix.walk_kernel import Walker
from dronewarn.formats.capture import read_capture

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "asterix"


def blocks_of(category: int, files: list[str]) -> list[bytes]:
    """Each data block of ``category`` in the files, as its own payload."""
    out: list[bytes] = []
    for name in files:
        for packet in read_capture(SAMPLES / name):
            blocks, _ = split_datablocks(packet.payload)
            out.extend(packet.payload[b.offset : b.end] for b in blocks if b.category == category)
    return out


def replicate(payloads: list[bytes], records_each: int, total: int) -> list[bytes]:
    """``payloads`` repeated to hold about ``total`` records."""
    return payloads * max(1, round(total / records_each))


def measure(
    payloads: list[bytes], plan: DecodePlan, category: int, repeats: int, progress: Progress
) -> tuple[float, float, int, float]:
    """(median records per CPU second, median records per wall second, records per run,
    best records per CPU second)."""
    cpu_rates, wall_rates = [], []
    records = 0
    decode_datablocks(payloads[0], plan, reference_s=0.0)  # warm up (loads the compiled walk)
    task = progress.add_task(f"CAT{category:03d} {'fast' if plan_is_fast(plan) else 'lib'}",
                             total=repeats)  # fmt: skip
    for _ in range(repeats):
        wall0 = time.perf_counter()
        cpu0 = time.process_time()
        records = 0
        for payload in payloads:
            batch = decode_datablocks(payload, plan, reference_s=0.0)
            records += len(batch.cat048) + len(batch.cat062)
            if batch.errors:
                raise SystemExit(f"unexpected decode error: {batch.errors[0]}")
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        cpu_rates.append(records / cpu)
        wall_rates.append(records / wall)
        progress.advance(task)
    return statistics.median(cpu_rates), statistics.median(wall_rates), records, max(cpu_rates)


def plan_is_fast(plan: DecodePlan) -> bool:
    return any(p.fast is not None for p in plan.categories.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records per fast run")
    parser.add_argument("--lib-records", type=int, default=600, help="records per libasterix run")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: any one)")
    parser.add_argument(
        "--json", type=Path, default=Path(__file__).with_name("results-decode.json")
    )
    args = parser.parse_args()
    console = Console()
    cpu = args.cpu if args.cpu is not None else min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})

    workloads: list[tuple[str, int, list[bytes], int, Editions]] = []
    b48 = blocks_of(48, ["cat_034_048.pcap", "cat048.raw"])
    b62 = blocks_of(62, ["cat_062_065.pcap", "cat062cat065.raw"])
    b17 = blocks_of(62, ["asterix.pcap"])
    workloads.append(("CAT048 1.32 (real plots)", 48, b48, 129, Editions()))
    workloads.append(("CAT062 1.20 (real tracks)", 62, b62, 4, Editions()))
    workloads.append(("CAT062 0.17 (asterix.pcap)", 62, b17, 100, parse_editions("62:0.17")))

    results = []
    rows: list[tuple[str, float, float, float, float, float]] = []
    with Progress(console=console, transient=True) as progress:
        for name, category, payloads, records_each, editions in workloads:
            fast_plan = DecodePlan.for_editions(editions, walker=Walker(0))  # compiled, as a node
            lib_plan = DecodePlan.for_editions(editions, fast=False)
            big = replicate(payloads, records_each, args.records)
            fast_cpu, fast_wall, fast_n, fast_best = measure(
                big, fast_plan, category, args.repeats, progress
            )
            lib_cpu = lib_wall = float("nan")
            lib_n = 0
            if not plan_is_fast(lib_plan):  # CAT062 0.17 has no libasterix decoder
                small = replicate(payloads, records_each, args.lib_records)
                lib_cpu, lib_wall, lib_n, _ = measure(
                    small, lib_plan, category, args.repeats, progress
                )
            ratio = fast_cpu / lib_cpu if lib_n else float("nan")
            rows.append((name, lib_cpu, fast_cpu, ratio, fast_wall, fast_best))
            results.append(
                {
                    "workload": name,
                    "category": category,
                    "edition": str(editions[category]),
                    "libasterix_records_per_cpu_s": None if not lib_n else round(lib_cpu),
                    "libasterix_records_per_wall_s": None if not lib_n else round(lib_wall),
                    "libasterix_records_per_run": lib_n,
                    "dronewarn_records_per_cpu_s": round(fast_cpu),
                    "dronewarn_best_records_per_cpu_s": round(fast_best),
                    "dronewarn_records_per_wall_s": round(fast_wall),
                    "dronewarn_records_per_run": fast_n,
                    "ratio_cpu": None if not lib_n else round(ratio, 1),
                }
            )

    table = Table(title=f"ASTERIX decode, one core (CPU {cpu}), median of {args.repeats} runs")
    table.add_column("workload")
    table.add_column("libasterix rec/s", justify="right")
    table.add_column("dronewarn rec/s", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("dronewarn rec/wall-s", justify="right")
    table.add_column("dronewarn best", justify="right")
    for name, lib, fast, ratio, wall, best in rows:
        lib_text = "-" if lib != lib else f"{lib:,.0f}"
        ratio_text = "-" if ratio != ratio else f"{ratio:.1f}x"
        table.add_row(name, lib_text, f"{fast:,.0f}", ratio_text, f"{wall:,.0f}", f"{best:,.0f}")
    console.print(table)
    load = os.getloadavg()
    console.print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs"
    )
    summary = {
        "bench": "decode",
        "timer": "process CPU time, one pinned CPU; wall time alongside",
        "repeats": args.repeats,
        "python": platform.python_version(),
        "libasterix": metadata.version("libasterix"),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in load],
        "results": results,
    }
    args.json.write_text(json.dumps(summary, indent=2) + "\n")
    console.print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
