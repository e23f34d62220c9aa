"""dronewarn's tracker against Stone Soup's standard GNN tracker on the same detections.

For every case a seeded scenario (``dronewarn.evaluation.track_scenario``: targets at
40-60 m/s over 200 x 200 km, 2 s scans, sigma 150 m, Pd 0.9, uniform clutter) is tracked by
Stone Soup 1.9 (``stonesoup_peer``: ConstantVelocity, Kalman predictor/updater,
DistanceHypothesiser with Mahalanobis gating, GNNWith2DAssignment, MultiMeasurementInitiator,
UpdateTimeStepsDeleter) and by dronewarn, in this process. Printed per case: wall time of
each, the ratio, and mean GOSPA (c = 1 km, p = 2, alpha = 2) with its parts.

dronewarn's time is the median of ``--repeats`` runs after one warm-up run (numba compiles
or loads its kernels on first use, once per process: a node runs for hours). Stone Soup runs
once per case (a 1,000-target scan takes it minutes); its per-scan median is printed too.

The last case is throughput alone: 1,000 targets and 2,000 clutter plots per scan seen by a
mixed sensor picture (radar range/bearing plots, acoustic bearings, citizens' sightings
arriving 30 s-3 min late), reported as measurements per second over the whole run, median
of the repeats. Stone Soup's linear-Gaussian recipe cannot take polar, bearing-only or
out-of-sequence input, so it has no column there.

    ./run bench track_vs_stonesoup                 # all cases (Stone Soup at 1,000 targets: long)
    ./run bench track_vs_stonesoup --quick         # 10 and 100 targets only, fewer scans
    ./run bench track_vs_stonesoup --json OUT.json --plot OUT.png

Needs ``stonesoup`` (``pip install -r requirements/bench.txt``).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dronewarn.evaluation.track_scenario import (
    ScenarioSpec,
    TrackingScenario,
    generate,
    mixed,
)
from dronewarn.track.metrics import TrackingScore, score
from dronewarn.track.tracker import Tracker, TrackerConfig
from stonesoup_peer import PeerParams, run_stonesoup_timed

GOSPA_C_M = 1000.0
AREA_M2 = 200_000.0**2


@dataclass(frozen=True)
class Case:
    name: str
    spec: ScenarioSpec


def cases(quick: bool, scans: int, scans_1000: int) -> list[Case]:
    mix = {"crossing_fraction": 0.2, "manoeuvring_fraction": 0.2}
    out = [
        Case(f"{n} targets, {c} clutter", ScenarioSpec(n, c, n_scans=s, seed=10 + i, **mix))
        for i, (n, c, s) in enumerate(
            [
                (10, 20, scans),
                (10, 200, scans),
                (100, 20, scans),
                (100, 200, scans),
                (1000, 20, scans_1000),
                (1000, 200, scans_1000),
            ]
        )
        if not quick or n < 1000
    ]
    out.append(
        Case(
            "crossing (10 in pairs)",
            ScenarioSpec(10, 20, n_scans=scans, seed=20, crossing_fraction=1.0),
        )
    )
    out.append(
        Case(
            "manoeuvring (10, 90 deg turns)",
            ScenarioSpec(10, 20, n_scans=scans, seed=21, manoeuvring_fraction=1.0),
        )
    )
    return out


def tracker_config(spec: ScenarioSpec) -> TrackerConfig:
    """dronewarn set for the scenario as Stone Soup is (2 s scans, the same white
    acceleration, dropped after 3 misses), its turn models at the scenario's turn rate; one
    unbiased sensor, so every leftover plot may start a track (as Stone Soup's initiator
    does), only tracks within 2 sigma are duplicates, and at <= 200 false plots per scan a
    track score of 6 (a false-track risk of about e^-6 per tentative) confirms."""
    return TrackerConfig(
        accel_sigma_mps2=1.0,
        turn_accel_sigma_mps2=1.0,
        turn_rate_degps=spec.turn_rate_degps,
        mode_sojourn_s=300.0,
        revisit_s=spec.scan_s,
        seed_from_gated=True,
        confirm_llr=8.0,
        seed_gated_d2=2.0,
        merge_distance_m=2.0 * spec.sigma_m,
        coast_s=3.25 * spec.scan_s,
        tentative_coast_s=2.25 * spec.scan_s,
        confirm_window_s=5.0 * spec.scan_s,
        seed_window_s=2.25 * spec.scan_s,
        detection_probability=spec.pd,
        clutter_density_per_m2=max(spec.clutter_per_scan, 1) / AREA_M2,
    )


def peer_params(spec: ScenarioSpec) -> PeerParams:
    return PeerParams(
        sigma_m=spec.sigma_m,
        accel_sigma_mps2=1.0,
        pd=spec.pd,
        clutter_density_per_m2=spec.clutter_per_scan / AREA_M2,
    )


def run_dronewarn(
    scenario: TrackingScenario, config: TrackerConfig
) -> tuple[float, list[float], list[tuple[list[str], np.ndarray]]]:
    batches = scenario.plane_batches()
    tracker = Tracker("DW", None, config)
    per_scan: list[float] = []
    estimates: list[tuple[list[str], np.ndarray]] = []
    for (t_s, _), batch in zip(scenario.scans, batches, strict=True):
        start = time.perf_counter()
        tracker.process(batch)
        tracker.prune(t_s)
        ids, x, _ = tracker.estimates()
        per_scan.append(time.perf_counter() - start)
        estimates.append((ids, x[:, :2]))
    return sum(per_scan), per_scan, estimates


def stonesoup_score(scenario: TrackingScenario, estimates: list) -> TrackingScore:  # type: ignore[type-arg]
    as_arrays = [
        ([e[0] for e in scan], np.array([[e[1], e[2]] for e in scan]).reshape(-1, 2))
        for scan in estimates
    ]
    return score(scenario.times_s, scenario.truth, scenario.alive, as_arrays, GOSPA_C_M)


def throughput(repeats: int, scans: int) -> dict[str, float]:
    spec = ScenarioSpec(
        1000, 2000, n_scans=scans, seed=30, crossing_fraction=0.2, manoeuvring_fraction=0.2
    )
    scenario = generate(spec)
    batches = mixed(scenario)
    config = tracker_config(spec)
    n_reports = sum(len(b) for b in batches)
    rates = []
    for k in range(repeats + 1):
        tracker = Tracker("DW", None, config)
        start = time.perf_counter()
        for (t_s, _), batch in zip(scenario.scans, batches, strict=True):
            tracker.process(batch)
            tracker.prune(t_s)
        elapsed = time.perf_counter() - start
        if k:  # the first run is the warm-up
            rates.append(n_reports / elapsed)
    return {
        "reports": float(n_reports),
        "scans": float(scans),
        "reports_per_s_median": statistics.median(rates),
        "reports_per_s_min": min(rates),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1,000-target cases")
    parser.add_argument("--scans", type=int, default=60, help="scans per case (2 s each)")
    parser.add_argument(
        "--scans-1000", type=int, default=15, help="scans of the 1,000-target cases"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args()
    console = Console()
    rows = []
    todo = [c for c in cases(args.quick, args.scans, args.scans_1000) if args.only in c.name]
    # warm the compiled kernels once, outside every measurement
    warm = generate(ScenarioSpec(50, 200, n_scans=5, seed=1))
    run_dronewarn(warm, tracker_config(warm.spec))
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("cases", total=len(todo) + 1)
        for case in todo:
            progress.update(task, description=case.name)
            scenario = generate(case.spec)
            gc.collect()
            ss_per_scan, ss_est = run_stonesoup_timed(scenario.scans, peer_params(case.spec))
            ss_total = float(sum(ss_per_scan))
            ss_score = stonesoup_score(scenario, ss_est)
            config = tracker_config(case.spec)
            totals, medians, est = [], [], []
            gc.collect()  # Stone Soup's garbage is not ours to sweep
            for _ in range(args.repeats):
                total, per_scan, est = run_dronewarn(scenario, config)
                totals.append(total)
                medians.append(statistics.median(per_scan))
            dw_total = statistics.median(totals)
            dw_score = score(scenario.times_s, scenario.truth, scenario.alive, est, GOSPA_C_M)
            rows.append(
                {
                    "case": case.name,
                    "targets": case.spec.n_targets,
                    "clutter_per_scan": case.spec.clutter_per_scan,
                    "scans": case.spec.n_scans,
                    "stonesoup_s": ss_total,
                    "stonesoup_scan_median_s": statistics.median(ss_per_scan),
                    "dronewarn_s": dw_total,
                    "dronewarn_scan_median_s": statistics.median(medians),
                    "ratio": ss_total / dw_total,
                    "stonesoup": ss_score.as_dict(),
                    "dronewarn": dw_score.as_dict(),
                }
            )
            progress.advance(task)
        progress.update(task, description="mixed sensors, 1,000 targets + 2,000 clutter")
        mixed_result = throughput(args.repeats, max(args.scans, 30))
        progress.advance(task)
    table = Table(title="dronewarn vs Stone Soup 1.9 GNN (same detections, same process)")
    for col in (
        "case",
        "scans",
        "Stone Soup s",
        "dronewarn s",
        "ratio",
        "GOSPA SS m",
        "GOSPA DW m",
        "missed SS/DW",
        "false SS/DW",
        "ID sw SS/DW",
    ):
        table.add_column(col, justify="right")
    for r in rows:
        ss, dw = r["stonesoup"], r["dronewarn"]
        table.add_row(
            r["case"],
            str(r["scans"]),
            f"{r['stonesoup_s']:.2f}",
            f"{r['dronewarn_s']:.4f}",
            f"{r['ratio']:.0f}x",
            f"{ss['mean_gospa_m']:.0f}",
            f"{dw['mean_gospa_m']:.0f}",
            f"{ss['mean_missed']:.2f}/{dw['mean_missed']:.2f}",
            f"{ss['mean_false']:.2f}/{dw['mean_false']:.2f}",
            f"{ss['id_switches']:.0f}/{dw['id_switches']:.0f}",
        )
    console.print(table)
    console.print(
        f"mixed sensors, 1,000 targets + 2,000 clutter/scan: {mixed_result['reports']:.0f} "
        f"reports, median {mixed_result['reports_per_s_median']:,.0f} reports/s "
        f"(slowest repeat {mixed_result['reports_per_s_min']:,.0f}) on one core"
    )
    worst = min((r["ratio"] for r in rows), default=float("nan"))
    no_worse = all(r["dronewarn"]["mean_gospa_m"] <= r["stonesoup"]["mean_gospa_m"] for r in rows)
    console.print(
        f"smallest speed ratio {worst:.0f}x (target >= 100x); "
        f"GOSPA no worse than Stone Soup in every case: {no_worse}"
    )
    if args.json:
        args.json.write_text(json.dumps({"cases": rows, "mixed": mixed_result}, indent=2))
    if args.plot and rows:
        plot(rows, args.plot)


def plot(rows: list[dict], path: Path) -> None:  # type: ignore[type-arg]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["case"] for r in rows]
    y = np.arange(len(rows))
    fig, (ax_t, ax_g) = plt.subplots(1, 2, figsize=(12, 0.6 * len(rows) + 1.5), sharey=True)
    ax_t.barh(y - 0.2, [r["stonesoup_s"] for r in rows], 0.4, label="Stone Soup 1.9")
    ax_t.barh(y + 0.2, [r["dronewarn_s"] for r in rows], 0.4, label="dronewarn")
    ax_t.set_xscale("log")
    ax_t.set_xlabel("wall time, s (log)")
    ax_t.set_yticks(y, names)
    ax_t.invert_yaxis()
    ax_t.legend()
    ax_g.barh(y - 0.2, [r["stonesoup"]["mean_gospa_m"] for r in rows], 0.4)
    ax_g.barh(y + 0.2, [r["dronewarn"]["mean_gospa_m"] for r in rows], 0.4)
    ax_g.set_xlabel("mean GOSPA, m (lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
