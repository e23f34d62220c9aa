"""``dronewarn track``: track plain position detections from CSV, no map and no node."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from dronewarn.cli.streams import stderr_console as _stderr


def track(
    detections: Annotated[
        Path, typer.Option(help="CSV t_s,sensor,x_m,y_m[,sigma_m] (local plane, metres)")
    ],
    out: Annotated[Path, typer.Option(help="CSV t_s,track_id,x_m,y_m,vx_mps,vy_mps to write")],
    truth: Annotated[
        Path | None, typer.Option(help="CSV t_s,target_id,x_m,y_m: print GOSPA against it")
    ] = None,
    sigma_m: Annotated[float, typer.Option(help="sigma of rows without one, metres")] = 150.0,
    clutter_density_per_m2: Annotated[
        float, typer.Option(help="false detections per m^2 per scan (track confirmation)")
    ] = 1e-9,
    revisit_s: Annotated[
        float, typer.Option(help="the sensor's revisit (scan period), seconds")
    ] = 10.0,
    gospa_c_m: Annotated[float, typer.Option(help="GOSPA cut-off distance, metres")] = 1000.0,
) -> None:
    """Track plain position detections (no map, no node) and optionally score them."""
    import numpy as np

    from dronewarn.cli.track_files import (
        ReadErrors,
        read_batches,
        read_truth,
        truth_at,
        write_header,
    )
    from dronewarn.track.metrics import score
    from dronewarn.track.tracker import Tracker, TrackerConfig

    if not detections.is_file():
        raise typer.BadParameter(f"{detections} is not a readable file", param_hint="--detections")
    if min(sigma_m, clutter_density_per_m2, gospa_c_m, revisit_s) <= 0:
        raise typer.BadParameter(
            "--sigma-m, --clutter-density-per-m2, --revisit-s and --gospa-c-m must be > 0"
        )
    errors = ReadErrors()
    tracker = Tracker("track", None, TrackerConfig(clutter_density_per_m2=clutter_density_per_m2))
    times: list[float] = []
    estimates: list[tuple[list[str], object]] = []
    rows_out = 0
    with out.open("w", newline="") as handle, Progress(console=_stderr(), transient=True) as bar:
        task = bar.add_task("tracking scans", total=None)
        writer = write_header(handle)
        for t_s, batch in read_batches(detections, sigma_m, errors):
            tracker.process(batch)
            tracker.prune(t_s)
            ids, x, _ = tracker.estimates(t_s)
            for track_id, row in zip(ids, x.tolist(), strict=True):
                writer.writerow((f"{t_s:.3f}", track_id, *(f"{v:.2f}" for v in row)))
            rows_out += len(ids)
            times.append(t_s)
            estimates.append((ids, x[:, :2]))
            bar.advance(task)
    err = _stderr()
    for kind, count in sorted((errors.counts + tracker.rejected).items()):
        err.print(f"refused {count} row(s): {kind}")
    for error in [*errors.first, *list(tracker.guard.recent)[:10]]:
        err.print(f"  {error}", highlight=False)
    Console().print(f"{len(times)} scans, {rows_out} track rows written to {out}")
    if truth is not None:
        truth_rows = read_truth(truth, errors)
        t_arr = np.array(times)
        positions, alive = truth_at(truth_rows, t_arr)
        result = score(t_arr, positions, alive, estimates, gospa_c_m)  # type: ignore[arg-type]
        Console().print(
            f"GOSPA (c = {gospa_c_m:.0f} m, p = 2): mean {result.mean_gospa_m:.1f} m; "
            f"localisation {result.mean_localisation_m:.1f} m, missed {result.mean_missed:.2f}, "
            f"false {result.mean_false:.2f} per scan; identity switches {result.id_switches}, "
            f"fragmentations {result.fragmentations}, "
            f"time to confirm (median) {result.median_time_to_confirm_s:.1f} s"
        )
