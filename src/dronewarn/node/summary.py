"""The night's summary: per recipient node, how its partners' warnings did against truth."""

from __future__ import annotations

from dataclasses import dataclass

from dronewarn.evaluation.warning_score import WarningScore, score_warnings
from dronewarn.node.night import Night, Window


@dataclass(frozen=True)
class NightSummary:
    scenario: str
    window: Window
    wall_s: float
    reports: int
    deliveries: int
    rejected: dict[str, int]
    primary: str
    scores: dict[str, WarningScore]

    def to_dict(self) -> dict[str, object]:
        main = self.scores[self.primary]
        return {
            "scenario": self.scenario,
            "window_start_s": self.window.start_s,
            "window_end_s": self.window.end_s,
            "wall_s": round(self.wall_s, 2),
            "reports": self.reports,
            "deliveries": self.deliveries,
            "rejected_reports": self.rejected,
            "recipient": self.primary,
            "country": main.country,
            "drones": main.drones,
            "crossers": main.crossers,
            "crossers_warned": main.crossers_warned,
            "warned_10min_fraction": round(main.warned_10min_fraction, 4),
            "lead_time_min_median": main.lead_time_min_median,
            "lead_time_min_p10": main.lead_time_min_p10,
            "distractors": main.distractors,
            "false_warning_fraction": round(main.false_warning_fraction, 4),
            "false_warnings": main.false_chains,
            "by_recipient": {k: v.to_dict() for k, v in self.scores.items()},
        }


def summarise(night: Night, window: Window, wall_s: float) -> NightSummary:
    world = night.world
    watched = {wave.cross_into for wave in world.scenario.waves}
    scores: dict[str, WarningScore] = {}
    for node_id, node in night.nodes.items():
        scores[node_id] = score_warnings(
            world.truth,
            world.airspace.frame,
            node_id,
            node.config.country_iso3,
            node.warnings_in(),
            (window.start_s, window.end_s),
        )
    primary = max(
        scores,
        key=lambda k: (scores[k].country in watched, scores[k].crossers, scores[k].messages),
    )
    in_window = [d for d in world.deliveries if d.arrival_s in window]
    rejected: dict[str, int] = {}
    for node in night.nodes.values():
        for kind, count in node.sense.rejected.items():
            rejected[kind] = rejected.get(kind, 0) + count
    return NightSummary(
        scenario=world.scenario.name,
        window=window,
        wall_s=wall_s,
        reports=sum(len(d.reports) for d in in_window),
        deliveries=len(in_window),
        rejected=rejected,
        primary=primary,
        scores=scores,
    )
