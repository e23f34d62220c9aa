"""Write a simulated night to files: drones.csv, truth.csv and reports.jsonl (docs/scenarios.md).

* ``drones.csv``: one row per drone: id, type, group, role, destination, speed, altitude,
  launch and end times, and its first crossing into each country it entered.
* ``truth.csv``: each drone's position every ``truth_step_s`` seconds (UTC ISO 8601 times).
* ``reports.jsonl``: one JSON object per sensor report in arrival order, with the arrival
  time, the receiving node, the report time and the measurement in its natural form.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from dronewarn.domain.time import iso
from dronewarn.formats.report_lines import report_record
from dronewarn.sim.stream import Delivery
from dronewarn.sim.truth import Truth


def write_drones(truth: Truth, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "drone_id",
                "type",
                "group",
                "role",
                "destination",
                "speed_kmh",
                "alt_m",
                "launch",
                "end",
                "start_country",
                "crossings",
            ]
        )
        for d in truth.drones:
            crossings = ";".join(
                f"{c.country}@{iso(c.time_s)}({c.lat_deg:.4f},{c.lon_deg:.4f})" for c in d.crossings
            )
            out.writerow(
                [
                    d.drone_id,
                    d.drone_type,
                    d.group,
                    d.role.value,
                    d.destination,
                    round(d.speed_mps * 3.6, 1),
                    round(d.alt_m),
                    iso(d.launch_s),
                    iso(d.end_s),
                    d.start_country,
                    crossings,
                ]
            )


def write_truth(truth: Truth, path: Path, step_s: float) -> int:
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["time", "drone_id", "lat_deg", "lon_deg", "alt_m", "speed_mps", "heading_deg"]
        )
        for d in truth.drones:
            times = np.arange(d.launch_s, d.end_s + 1e-9, step_s)
            lat, lon = d.latlon_at(times)
            heading = np.interp(times, d.t_s, np.unwrap(np.radians(d.heading_deg)))
            for t, la, lo, h in zip(times, lat, lon, np.degrees(heading) % 360.0, strict=True):
                out.writerow(
                    [
                        iso(float(t)),
                        d.drone_id,
                        f"{la:.6f}",
                        f"{lo:.6f}",
                        round(d.alt_m),
                        round(d.speed_mps, 2),
                        round(float(h), 1),
                    ]
                )
                rows += 1
    return rows


def write_reports(
    deliveries: Iterable[Delivery], path: Path, on_delivery: Callable[[], None] | None = None
) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for delivery in deliveries:
            for report in delivery.reports:
                record: dict[str, object] = {
                    "arrival": iso(delivery.arrival_s),
                    "node": delivery.node_id,
                }
                record.update(report_record(report))
                handle.write(json.dumps(record, separators=(",", ":")) + "\n")
                count += 1
            if on_delivery is not None:
                on_delivery()
    return count
