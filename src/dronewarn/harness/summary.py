"""The night's summary: per recipient node, how its partners' warnings did against truth."""

from __future__ import annotations

from dataclasses import dataclass, replace

from dronewarn.evaluation.coverage import first_visible
from dronewarn.evaluation.forecast_score import score_forecasts
from dronewarn.evaluation.warning_score import WarningScore, score_warnings
from dronewarn.harness.in_process import NodeOutcome, SimulatedScenario, Window


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
    links: dict[str, WarningScore]
    delivery: dict[str, dict[str, object]]
    """Per link ``SENDER->RECIPIENT``: sent, acked, rejected, retried (signed links only)."""

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
            "entry_error_km_median_t10": main.entry_error_km_median_t10,
            "window_coverage": main.window_coverage,
            "warnings_per_crosser": main.warnings_per_crosser,
            "by_recipient": {k: v.to_dict() for k, v in self.scores.items()},
            "by_link": {k: v.to_dict() for k, v in self.links.items()},
            "link_delivery": self.delivery,
        }


def _earliest(views: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for view in views:
        for drone_id, time_s in view.items():
            out[drone_id] = min(time_s, out.get(drone_id, time_s))
    return out


def summarise(
    world: SimulatedScenario, outcomes: dict[str, NodeOutcome], window: Window, wall_s: float
) -> NightSummary:
    watched = {wave.cross_into for wave in world.scenario.waves if wave.crosses}
    scores: dict[str, WarningScore] = {}
    links: dict[str, WarningScore] = {}
    span = (window.start_s, window.end_s)
    scenario = world.scenario
    seen_by = {
        node.id: first_visible(scenario, world.airspace, world.truth, [node.id])
        for node in scenario.nodes
    }
    for node_id, outcome in outcomes.items():
        received = outcome.warnings_in
        country = outcome.country_iso3
        frame = world.airspace.frame
        senders = [n.id for n in scenario.nodes if node_id in n.partners and n.id != node_id]
        scores[node_id] = score_warnings(
            world.truth,
            frame,
            node_id,
            country,
            received,
            span,
            visible=_earliest([seen_by[n] for n in senders if n in seen_by]),
            airspace=world.airspace,
        )
        forecasts = [
            f
            for sender in senders
            if sender in outcomes
            for f in outcomes[sender].forecasts
            if f.recipient == node_id
        ]
        if forecasts:
            scores[node_id] = replace(
                scores[node_id],
                forecast=score_forecasts(world.truth, frame, forecasts, country),
            )
        for sender in sorted({w.sender for w in received}):
            links[f"{sender}->{node_id}"] = score_warnings(
                world.truth,
                frame,
                node_id,
                country,
                [w for w in received if w.sender == sender],
                span,
                visible=seen_by.get(sender, {}),
                airspace=world.airspace,
            )
    primary = max(
        scores,
        key=lambda k: (scores[k].country in watched, scores[k].crossers, scores[k].messages),
    )
    in_window = [d for d in world.deliveries if d.arrival_s in window]
    rejected: dict[str, int] = {}
    for outcome in outcomes.values():
        for kind, count in outcome.rejected.items():
            rejected[kind] = rejected.get(kind, 0) + count
    delivery = {
        f"{node_id}->{partner}": {
            key: stats[key]
            for key in ("sent", "acked", "rejected", "retried", "expired", "superseded")
        }
        for node_id, outcome in outcomes.items()
        for partner, stats in sorted(outcome.links.items())
    }
    return NightSummary(
        scenario=world.scenario.name,
        window=window,
        wall_s=wall_s,
        reports=sum(len(d.reports) for d in in_window),
        deliveries=len(in_window),
        rejected=rejected,
        primary=primary,
        scores=scores,
        links=links,
        delivery=delivery,
    )
