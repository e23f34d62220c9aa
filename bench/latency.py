"""Warning latency across the signed link: a radar plot entering BY's node to the verified
warning recorded at PL's node, over mutual TLS on loopback, with 1,000 live tracks.

BY runs here: the NIGHT-0910 configuration of its node (tracker, assessment, PL's sharing
policy) and its link. PL runs in its own process (``dronewarn link serve``), as it would on
its own machine, and records each message it accepts (signature, schema, replay checks
passed, stored) with its wall-clock time. BY's Brest radar sees 1,000 drones within its
150 km, each plot stamped with the wall clock and delivered as the antenna sweeps it (each
drone once per 10 s scan, one batch per second); 10 % of them fly west into Poland, the rest
wander inside Belarus.

A message's latency is PL's acceptance time minus the time the batch of plots whose
processing issued the warning entered BY's node (``Node.on_reports``): tracking, crossing
prediction, policy, signing, the outbox's commit, the HTTPS round trip and PL's checks.
Printed: count, median, p90, p99 and maximum over every warning message after a warm-up.

    ./run bench latency [--duration-s 240] [--drones 1000] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress

from dronewarn.domain.report import GeoPoint, PolarMeasurement, Report
from dronewarn.geo.frame import LocalFrame
from dronewarn.harness.in_process import scenario_airspaces, scenario_node_configs
from dronewarn.harness.link_homes import provision_link_homes
from dronewarn.node.node import build_node
from dronewarn.node.runtime import settle_heap
from dronewarn.share.link_service import LinkService, SignedLink
from dronewarn.sim.scenario import load_scenario
from dronewarn.store.sqlite import SqliteStore

RADAR = "by-radar-brest"
SITE = (52.10, 23.80, 200.0)
SCAN_S = 10.0


def drones(n: int, rng: np.random.Generator, frame: LocalFrame) -> tuple[np.ndarray, np.ndarray]:
    """Start positions (east, north in BY's frame, metres) and velocities (m/s)."""
    site_e, site_n = frame.to_plane(np.array([SITE[0]]), np.array([SITE[1]]))
    rng_m = rng.uniform(20_000.0, 140_000.0, n)
    brg = rng.uniform(0.0, np.pi, n)  # the eastern half: inside Belarus
    pos = np.column_stack([site_e[0] + rng_m * np.sin(brg), site_n[0] + rng_m * np.cos(brg)])
    speed = rng.uniform(35.0, 50.0, n)
    course = rng.uniform(0.0, 2 * np.pi, n)
    west = rng.random(n) < 0.1
    course[west] = np.radians(rng.uniform(255.0, 285.0, west.sum()))
    vel = np.column_stack([speed * np.sin(course), speed * np.cos(course)])
    return pos, vel


def plots(
    frame: LocalFrame, pos: np.ndarray, now_s: float, rng: np.random.Generator
) -> list[Report]:
    site_e, site_n = frame.to_plane(np.array([SITE[0]]), np.array([SITE[1]]))
    de, dn = pos[:, 0] - site_e[0], pos[:, 1] - site_n[0]
    ground = np.hypot(de, dn)
    bearing = np.degrees(np.arctan2(de, dn)) % 360.0
    site = GeoPoint(*SITE)
    out = []
    for k in np.flatnonzero(ground < 148_000.0):
        out.append(
            Report(
                RADAR,
                now_s,
                PolarMeasurement(
                    site,
                    float(math.hypot(ground[k], 800.0) + rng.normal(0, 150.0)),
                    float((bearing[k] + rng.normal(0, 0.3)) % 360.0),
                    150.0,
                    0.3,
                ),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration-s", type=float, default=240.0)
    parser.add_argument("--warmup-s", type=float, default=40.0)
    parser.add_argument("--drones", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--verbose", action="store_true", help="print every slow node cycle")
    args = parser.parse_args()
    console = Console(stderr=True)

    scenario = load_scenario("night-0910")
    _, countries = scenario_airspaces(scenario)
    config = scenario_node_configs(scenario)["BY"]
    root = Path(tempfile.mkdtemp(prefix="dronewarn-latency-"))
    links = provision_link_homes(scenario, root, heartbeat_s=5.0)
    pl = subprocess.Popen(
        [sys.executable, "-m", "dronewarn", "link", "serve", "--home", str(root / "PL")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    node = build_node(config, countries, SqliteStore(":memory:"))
    link = LinkService(links["BY"], time.time)
    link.start()
    for partner in config.partners:
        node.connect(SignedLink(partner, link))
    settle_heap()  # as a node process does once it is built (dronewarn.node.runtime)
    frame = node.airspace.frame
    rng = np.random.default_rng(7)
    pos, vel = drones(args.drones, rng, frame)
    phase = rng.integers(0, int(SCAN_S), args.drones)  # where each drone sits in the sweep
    windows: list[tuple[float, float]] = []
    time.sleep(1.0)  # PL's endpoint comes up
    start = time.time()
    last = start
    tick = 0
    process_s: list[float] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("BY -> PL", total=args.duration_s)
        while (now := time.time()) < start + args.duration_s:
            pos += vel * (now - last)
            last = now
            swept = phase == tick % int(SCAN_S)
            batch = plots(frame, pos[swept], now, rng)
            entered = time.time()
            node.on_reports(batch, entered)
            assessed = node.tick(entered)
            done = time.time()
            process_s.append(done - entered)
            if args.verbose and done - entered > 0.05:
                console.print(
                    f"t+{entered - start:5.0f} s: cycle {1000 * (done - entered):.0f} ms, "
                    f"{len(assessed)} warnings, {len(node.tracker.estimates()[0])} tracks"
                )
            if entered - start >= args.warmup_s:
                windows.append((entered, done))
            tick += 1
            progress.update(task, completed=now - start)
            time.sleep(max(0.0, start + tick - time.time()))
    link.wait_delivered(30.0)
    time.sleep(0.5)
    sent = link.store.outbox("PL")
    link.stop()
    pl.terminate()
    pl.wait(timeout=20)
    with sqlite3.connect(root / "BY" / "link.sqlite") as by_db:
        enqueued = dict(by_db.execute("SELECT message_id, enqueued_s FROM outbox").fetchall())
    with sqlite3.connect(root / "PL" / "link.sqlite") as pl_db:
        accepted = dict(pl_db.execute("SELECT message_id, received_s FROM received").fetchall())
    latencies = []
    over_link = []
    for _, message_id, kind, _state in sent:
        if kind != "warning" or message_id not in accepted:
            continue
        t_out = enqueued[message_id]
        entry = next((a for a, b in windows if a <= t_out <= b), None)
        if entry is not None:
            latencies.append(accepted[message_id] - entry)
            over_link.append(accepted[message_id] - t_out)
    if not latencies:
        console.print("[red]no warning reached PL after the warm-up[/]")
        sys.exit(1)
    ms = sorted(1000.0 * x for x in latencies)
    result = {
        "drones": args.drones,
        "tracks_at_end": len(node.picture()),
        "warnings_measured": len(ms),
        "warnings_sent": sum(1 for s in sent if s[2] == "warning"),
        "delivered": sum(1 for s in sent if s[1] in accepted),
        "p50_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 1),
        "max_ms": round(ms[-1], 1),
        "link_only_p50_ms": round(1000 * statistics.median(over_link), 1),
        "link_only_p99_ms": round(1000 * sorted(over_link)[int(0.99 * (len(over_link) - 1))], 1),
        "node_cycle_p50_ms": round(1000 * statistics.median(process_s), 1),
        "node_cycle_p99_ms": round(1000 * sorted(process_s)[int(0.99 * (len(process_s) - 1))], 1),
    }
    console.print(
        f"{result['warnings_measured']} warnings BY -> PL with {result['tracks_at_end']} live "
        f"tracks at BY: latency p50 {result['p50_ms']} ms, p90 {result['p90_ms']} ms, "
        f"p99 {result['p99_ms']} ms (target < 200 ms), max {result['max_ms']} ms"
    )
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
