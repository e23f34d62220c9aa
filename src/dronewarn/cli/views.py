"""Rich renderings: the live picture of the demo and the night's summary."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from dronewarn.domain.time import iso
from dronewarn.domain.warning import Warning, WarningState
from dronewarn.harness.in_process import InProcessNodes
from dronewarn.harness.summary import NightSummary

_STATE_STYLE: Mapping[WarningState, str] = MappingProxyType(
    {
        WarningState.NEW: "bold red",
        WarningState.UPDATE: "yellow",
        WarningState.CROSSED: "magenta",
        WarningState.TURNED_AWAY: "green",
        WarningState.LOST: "dim",
    }
)


def _minutes(seconds: float) -> str:
    return "-" if not math.isfinite(seconds) else f"{seconds / 60.0:5.1f}"


def live_picture(
    night: InProcessNodes, node_id: str, now_s: float, speed: str, max_rows: int = 14
) -> Group:
    """What one node's duty officer would watch: tracks, open warnings in and out."""
    node = night.nodes[node_id]
    tracks = sorted(node.picture(), key=lambda t: -t.updates)
    header = Text.assemble(
        (f" {night.world.scenario.name} ", "bold white on blue"),
        f"  {iso(now_s)}  ",
        (f"speed {speed}", "cyan"),
        f"  node {node_id} ({node.config.name})  tracks {len(tracks)}",
    )
    table = Table(title=f"{node_id} air picture", expand=True, title_justify="left")
    for column in ("track", "lat", "lon", "speed km/h", "course", "sensors", "updates"):
        table.add_column(column, justify="right" if column != "sensors" else "left")
    for t in tracks[:max_rows]:
        course = math.degrees(math.atan2(t.vel_east_mps, t.vel_north_mps)) % 360.0
        table.add_row(
            t.track_id,
            f"{t.position.lat_deg:.3f}",
            f"{t.position.lon_deg:.3f}",
            f"{t.speed_mps * 3.6:.0f}",
            f"{course:.0f}",
            ",".join(sorted(t.sensors))[:40],
            str(t.updates),
        )
    return Group(
        header,
        table,
        _warnings_table(f"warnings received by {node_id}", node.warnings_in()[-10:], now_s),
        _warnings_table(f"warnings sent by {node_id}", node.warnings_out()[-6:], now_s),
    )


def _warnings_table(title: str, warnings: list[Warning], now_s: float) -> Table:
    table = Table(title=title, expand=True, title_justify="left")
    columns = (
        "time",
        "from",
        "to",
        "area",
        "warning",
        "state",
        "prio",
        "track",
        "entry",
        "in min",
        "p",
    )
    for column in columns:
        table.add_column(column)
    for w in reversed(warnings):
        entry = w.entry
        table.add_row(
            iso(w.issued_s)[11:19],
            w.sender,
            w.recipient,
            w.area,
            w.warning_id,
            Text(w.state.value, style=_STATE_STYLE.get(w.state, "")),
            str(w.priority),
            w.track_id,
            f"{entry.point.lat_deg:.3f},{entry.point.lon_deg:.3f}" if entry else "",
            _minutes(entry.time_s - now_s) if entry else "",
            f"{entry.probability:.1f}" if entry else "",
        )
    return table


def summary_panel(summary: NightSummary) -> Panel:
    main = summary.scores[summary.primary]
    hours = (summary.window.end_s - summary.window.start_s) / 3600.0
    lines = Table.grid(padding=(0, 2))
    lines.add_column(style="bold")
    lines.add_column()
    lead = (
        f"median {main.lead_time_min_median} min, 10th percentile {main.lead_time_min_p10} min"
        if main.lead_time_min_median is not None
        else "-"
    )
    lines.add_row(
        "window", f"{iso(summary.window.start_s)} to {iso(summary.window.end_s)} ({hours:.1f} h)"
    )
    lines.add_row("wall time", f"{summary.wall_s:.1f} s for {summary.reports:,} sensor reports")
    lines.add_row("drones", str(main.drones))
    lines.add_row(f"crossers into {main.country}", str(main.crossers))
    lines.add_row("warned before crossing", f"{main.crossers_warned} of {main.crossers}")
    lines.add_row(
        "warned >= 10 min before", f"{main.warned_10min} ({main.warned_10min_fraction:.0%})"
    )
    lines.add_row("lead time", lead)
    lines.add_row(
        "false warnings",
        f"{main.false_chains} of {main.chains} warnings; "
        f"{main.distractors_warned} of {main.distractors} distractors warned about "
        f"({main.false_warning_fraction:.0%})",
    )
    lines.add_row(
        "rejected reports", ", ".join(f"{k} {v}" for k, v in summary.rejected.items()) or "none"
    )
    table = Table(
        title="warnings received per node (lead time in minutes)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for column in ("node", "crossers", "warned", ">=10m", "p50", "p10", "false/all", "msgs"):
        table.add_column(column, justify="right")
    for node_id, s in summary.scores.items():
        table.add_row(
            f"{node_id} {s.country}",
            str(s.crossers),
            str(s.crossers_warned),
            str(s.warned_10min),
            "-" if s.lead_time_min_median is None else f"{s.lead_time_min_median:.1f}",
            "-" if s.lead_time_min_p10 is None else f"{s.lead_time_min_p10:.1f}",
            f"{s.false_chains}/{s.chains}",
            str(s.messages),
        )
    return Panel(
        Group(lines, table),
        title=f"{summary.scenario}: warnings received by {summary.primary}",
        expand=False,
    )
