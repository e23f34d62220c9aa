"""A map of a night for analysts: borders, what the drones did, and what the recipient was told.

Drawn with matplotlib (Agg, no display) in longitude/latitude with the aspect of the map's
mean latitude. Crossers' true paths are red, distractors' grey; each warning the recipient
received opens at a triangle (where the sender's track was) with a thin line to its
predicted entry point; a black cross marks where each crosser really entered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import shapely
from matplotlib.axes import Axes
from shapely.geometry.base import BaseGeometry

from dronewarn.domain.warning import Warning, WarningState
from dronewarn.evaluation.warning_score import WarningScore
from dronewarn.sim.truth import Role, Truth

_SENDER_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown")


def draw_night_map(
    path: Path,
    areas: Mapping[str, BaseGeometry],
    truth: Truth,
    received: list[Warning],
    score: WarningScore,
    title: str,
) -> None:
    """Write the map as a PNG (or any format matplotlib infers from the suffix)."""
    figure, axes = plt.subplots(figsize=(11, 9), dpi=110)
    try:
        _draw(axes, areas, truth, received, score, title)
        figure.tight_layout()
        figure.savefig(path)
    finally:
        plt.close(figure)


def _draw(
    axes: Axes,
    areas: Mapping[str, BaseGeometry],
    truth: Truth,
    received: list[Warning],
    score: WarningScore,
    title: str,
) -> None:
    if truth.drones:
        lats = [v for d in truth.drones for v in (d.lat_deg.min(), d.lat_deg.max())]
        lons = [v for d in truth.drones for v in (d.lon_deg.min(), d.lon_deg.max())]
        west, east = min(lons) - 0.4, max(lons) + 0.4
        south, north = min(lats) - 0.3, max(lats) + 0.3
    else:
        west, south, east, north = shapely.union_all(list(areas.values())).bounds
    window = shapely.box(west, south, east, north)
    for area_id, geometry in areas.items():
        is_country = len(area_id) == 3 and area_id.isupper()
        fill = "#e3eef8" if area_id == score.country else "#f2f0e6" if is_country else "#fde2c8"
        for polygon in shapely.get_parts(geometry):
            ring = shapely.get_coordinates(polygon.exterior)
            axes.fill(
                ring[:, 0],
                ring[:, 1],
                facecolor=fill,
                edgecolor="#555555" if is_country else "#d08020",
                linewidth=0.8,
                zorder=0 if is_country else 1,
            )
        visible = geometry.intersection(window)
        if not visible.is_empty:
            spot = visible.representative_point()
            axes.annotate(area_id, (spot.x, spot.y), color="#666666", fontsize=10, ha="center")
    for drone in truth.drones:
        crosser = drone.role is Role.CROSSER
        axes.plot(
            drone.lon_deg,
            drone.lat_deg,
            color="tab:red" if crosser else "#9a9a9a",
            linewidth=1.0 if crosser else 0.6,
            alpha=0.8,
            zorder=2,
        )
        crossing = drone.crossing_into(score.country)
        if crossing is not None:
            axes.plot(crossing.lon_deg, crossing.lat_deg, "kx", markersize=6, zorder=4)
    senders = sorted({w.sender for w in received})
    for index, sender in enumerate(senders):
        colour = _SENDER_COLOURS[index % len(_SENDER_COLOURS)]
        news = [w for w in received if w.sender == sender and w.state is WarningState.NEW]
        for w in news:
            if w.entry is None or math.isnan(w.track_position.lat_deg):
                continue
            axes.plot(
                [w.track_position.lon_deg, w.entry.point.lon_deg],
                [w.track_position.lat_deg, w.entry.point.lat_deg],
                color=colour,
                linewidth=0.7,
                alpha=0.8,
                zorder=3,
            )
        axes.scatter(
            [w.track_position.lon_deg for w in news],
            [w.track_position.lat_deg for w in news],
            marker="^",
            s=28,
            color=colour,
            zorder=5,
            label=f"warning from {sender} ({len(news)})",
        )
    axes.plot([], [], color="tab:red", label="crosser (truth)")
    axes.plot([], [], color="#9a9a9a", label="distractor (truth)")
    axes.plot([], [], "kx", label=f"true entry into {score.country}")
    axes.set_xlim(west, east)
    axes.set_ylim(south, north)
    axes.set_aspect(1.0 / math.cos(math.radians((south + north) / 2.0)))
    axes.set_xlabel("longitude (deg)")
    axes.set_ylabel("latitude (deg)")
    lead = "-" if score.lead_time_min_median is None else f"{score.lead_time_min_median:.1f}"
    axes.set_title(
        f"{title}\n{score.crossers_warned}/{score.crossers} crossers warned, "
        f"{score.warned_10min_fraction:.0%} >= 10 min ahead, median lead {lead} min, "
        f"{score.distractors_warned}/{score.distractors} distractors warned",
        fontsize=10,
    )
    axes.legend(loc="lower left", fontsize=8)
