"""Score the warnings one node received against the simulator's ground truth.

A warning message is tied to a drone by where the sender said its track was when it issued
the message: the nearest drone flying at that moment within ``match_radius_m``. A warning
chain (all messages sharing a ``warning_id``) belongs to the drone its NEW message matched.

* crosser: a drone whose truth enters the recipient's country;
* distractor: every other drone flying in the window, however the scenario made it (a
  loitering decoy, a wave that turns back, a drone routed along the border, an explicit one);
* grades: a chain opens as a watch (possible crossing) or a warning (probable); it is a
  warning from its first message of grade warning on (its NEW or an upgrade), and as a
  warning it is about the drone matched at that message. Everything below counts warnings;
  the ``watch_*`` and ``*_watched*`` fields count chains of either grade, from their NEW;
* warned before crossing: a message of grade warning placed a track on that drone (nearest,
  within ``match_radius_m``) before its crossing time: drones flying together share one
  warning, whose track may follow any of them;
* lead time: crossing time minus the first such message's time;
* possible lead: crossing time minus the first moment a sensor of the sending node(s) could
  have seen the drone (``evaluation.coverage``); ``visible_10min`` counts the crossers whose
  possible lead was at least 10 minutes, ``warned_10min_visible`` those of them warned at
  least 10 minutes ahead; lead-time efficiency: lead / possible lead per crosser (0 when not
  warned, at most 1), median and 10th percentile;
* false warning: a warning chain whose drone never enters the recipient's country, or that
  matched no drone at all (a false track); ``false_watch_fraction``: distractors that got a
  watch and never a warning;
* closing: each chain's last state (crossed, turned_away, lost, cancelled, neutralised, or
  open when the night ended) against what its drone did (``closing_truth``); correct when
  they agree (``closing_correct_fraction``). ``cancel_delay_s_median``: for chains about
  drones that did not cross and were closed as turned away or cancelled, the close time
  minus the moment the turn became evident (the drone's true course, held straight, no
  longer enters the country within an hour);
* entry error at T-10 min: for each warned crosser, the distance from its true entry point to
  the entry predicted by the latest message about it issued at least 10 minutes before it
  crossed;
* window coverage: the share of warned crossers whose true crossing time lies inside the
  entry window of that same message (or, if none was that early, the last one before the
  crossing);
* warnings per crosser: warning chains about crossers / crossers warned (1.0: one warning per
  drone, however many updates; more: flapping or fragmented tracks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from dronewarn.domain.warning import Warning, WarningGrade, WarningState
from dronewarn.evaluation.forecast_score import ForecastScore
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.frame import LocalFrame
from dronewarn.geo.geodesic import distance_m
from dronewarn.sim.truth import DroneTruth, Role, Truth


@dataclass(frozen=True)
class WarningScore:
    recipient: str
    country: str
    drones: int
    crossers: int
    crossers_warned: int
    warned_10min: int
    lead_time_min_median: float | None
    lead_time_min_p10: float | None
    distractors: int
    distractors_warned: int
    chains: int
    false_chains: int
    unmatched_chains: int
    messages: int
    new_messages: int
    entry_error_km_median_t10: float | None = None
    window_coverage: float | None = None
    warnings_per_crosser: float | None = None
    distractors_declared: int = 0
    """Drones the scenario made as distractors (loiterers, turn-backs); ``distractors``
    counts every drone that did not cross."""
    visible_10min: int = 0
    warned_10min_visible: int = 0
    lead_efficiency_median: float | None = None
    lead_efficiency_p10: float | None = None
    closing: dict[str, dict[str, int]] = field(default_factory=dict)
    """Chains by their last state, then by what their drone did."""
    closing_correct_fraction: float | None = None
    cancel_delay_s_median: float | None = None
    crossers_watched: int = 0
    """Crossers with a chain of either grade opened before they crossed."""
    watched_10min: int = 0
    watch_lead_efficiency_median: float | None = None
    distractors_watched_only: int = 0
    watch_chains: int = 0
    """Chains that never became warnings."""
    forecast: ForecastScore | None = None
    """The senders' crossing forecasts about the country against truth (Brier, reliability)."""
    cooperative_drones: int = 0
    """Drones that broadcast Remote ID (registered civil drones): neither crossers nor
    distractors, never to be warned about."""
    cooperative_alerted: int = 0
    """Of those, the ones that got a watch or a warning."""

    @property
    def warned_10min_fraction(self) -> float:
        return self.warned_10min / self.crossers if self.crossers else 0.0

    @property
    def warned_10min_visible_fraction(self) -> float | None:
        """Of the crossers the senders could see 10 minutes out, those warned that early."""
        return self.warned_10min_visible / self.visible_10min if self.visible_10min else None

    @property
    def false_warning_fraction(self) -> float:
        return self.distractors_warned / self.distractors if self.distractors else 0.0

    @property
    def false_watch_fraction(self) -> float:
        """Distractors that got a watch and never a warning."""
        return self.distractors_watched_only / self.distractors if self.distractors else 0.0

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = asdict(self)
        out["warned_10min_fraction"] = round(self.warned_10min_fraction, 4)
        out["false_warning_fraction"] = round(self.false_warning_fraction, 4)
        out["false_watch_fraction"] = round(self.false_watch_fraction, 4)
        out["brier"] = None if self.forecast is None else self.forecast.brier
        out["brier_skill"] = None if self.forecast is None else self.forecast.brier_skill
        visible = self.warned_10min_visible_fraction
        out["warned_10min_visible_fraction"] = None if visible is None else round(visible, 4)
        return out


def match_drone(
    truth: Truth, frame: LocalFrame, time_s: float, lat_deg: float, lon_deg: float, radius_m: float
) -> str | None:
    """The drone nearest to a reported position at a time, if any is within ``radius_m``."""
    if not np.isfinite(lat_deg) or not np.isfinite(lon_deg):
        return None
    east, north = frame.to_plane(lat_deg, lon_deg)
    best, best_d = None, radius_m
    for drone in truth.drones:
        if not drone.active(time_s):
            continue
        de, dn = drone.position_at(time_s)
        d = float(np.hypot(de - east, dn - north))
        if d <= best_d:
            best, best_d = drone.drone_id, d
    return best


def score_warnings(
    truth: Truth,
    frame: LocalFrame,
    recipient: str,
    country: str,
    received: list[Warning],
    window: tuple[float, float],
    match_radius_m: float = 5000.0,
    visible: Mapping[str, float] | None = None,
    airspace: AirspaceMap | None = None,
) -> WarningScore:
    """Score what ``recipient`` (guarding ``country``) received during ``window``.

    ``visible``: drone id -> the first moment the senders' sensors could see it (for the
    possible lead); ``airspace``: the scenario's, for when a turn became evident."""
    start_s, end_s = window
    received = [w for w in received if w.area in ("", country)]  # the country, not its zones
    drones = [d for d in truth.drones if d.end_s >= start_s and d.launch_s < end_s]
    cooperative = {d.drone_id for d in drones if d.remote_id is not None}
    crossers = {
        d.drone_id: c.time_s
        for d in drones
        if (c := d.crossing_into(country)) is not None
        and start_s <= c.time_s < end_s
        and d.drone_id not in cooperative
    }
    never = {
        d.drone_id
        for d in drones
        if d.crossing_into(country) is None and d.drone_id not in cooperative
    }
    distractors = never
    declared = {d.drone_id for d in drones if d.role is Role.DISTRACTOR} & never

    chain_drone: dict[str, str | None] = {}  # matched at the chain's NEW
    chain_opened: dict[str, float] = {}
    chain_warned: dict[str, float] = {}  # chain -> its first message of grade warning
    warned_drone: dict[str, str | None] = {}  # matched at that message
    by_drone = truth.by_id()

    def drone_at(w: Warning) -> str | None:
        position = w.track_position
        return match_drone(
            truth, frame, w.issued_s, position.lat_deg, position.lon_deg, match_radius_m
        )

    for w in received:
        if w.state is WarningState.NEW:
            chain_drone[w.warning_id] = drone_at(w)
            chain_opened[w.warning_id] = w.issued_s
        if (
            w.grade is WarningGrade.WARNING
            and not w.state.is_closing
            and w.warning_id in chain_drone
            and w.warning_id not in chain_warned
        ):
            # the drone a warning is about is the one its track followed when it became a
            # warning (a watch opened earlier may have started on a neighbour in formation)
            chain_warned[w.warning_id] = w.issued_s
            warned_drone[w.warning_id] = (
                chain_drone[w.warning_id] if w.state is WarningState.NEW else drone_at(w)
            )

    warning_chains = warned_drone
    # a drone is warned about from the first warning-grade message that placed a track on
    # it: drones in formation share one warning (its members), whose track may follow any
    first_warning: dict[str, float] = {}
    for w in received:
        if w.grade is WarningGrade.WARNING and not w.state.is_closing:
            drone_id = drone_at(w)
            if drone_id is not None and w.issued_s < first_warning.get(drone_id, np.inf):
                first_warning[drone_id] = w.issued_s
    first_alert = _first_per_drone(chain_drone, chain_opened)

    leads = [
        crossers[d] - first_warning[d]
        for d in crossers
        if d in first_warning and first_warning[d] < crossers[d]
    ]
    lead_min = np.array(leads) / 60.0
    errors_km, covered, judged = _entry_quality(
        [w for w in received if w.grade is WarningGrade.WARNING],
        warning_chains,
        crossers,
        by_drone,
        country,
    )
    # warning chains of the drone before it crossed, per drone warned before crossing
    crosser_chains = sum(
        1
        for chain, d in warning_chains.items()
        if d in first_warning and d in crossers and chain_warned[chain] < crossers[d]
    )
    false_chains = [
        c for c, d in warning_chains.items() if d is None or d in never or d in cooperative
    ]
    warned_distractors = {d for d in warning_chains.values() if d is not None and d in distractors}
    alerted_distractors = {d for d in chain_drone.values() if d is not None and d in distractors}
    possible = {
        d: crossers[d] - visible[d]
        for d in crossers
        if visible is not None and d in visible and visible[d] < crossers[d]
    }
    efficiency = _efficiency(possible, crossers, first_warning)
    watch_efficiency = _efficiency(possible, crossers, first_alert)
    watched = [d for d in crossers if d in first_alert and first_alert[d] < crossers[d]]
    seen_early = [d for d, lead in possible.items() if lead >= 600.0]
    warned_early = [
        d for d in seen_early if d in first_warning and crossers[d] - first_warning[d] >= 600.0
    ]
    closing, correct, judged_close, delays = _closing(
        received, chain_drone, chain_opened, by_drone, country, end_s, airspace
    )
    return WarningScore(
        recipient=recipient,
        country=country,
        drones=len(drones),
        crossers=len(crossers),
        crossers_warned=len(leads),
        warned_10min=int(np.sum(lead_min >= 10.0)),
        lead_time_min_median=round(float(np.median(lead_min)), 2) if len(leads) else None,
        lead_time_min_p10=round(float(np.percentile(lead_min, 10)), 2) if len(leads) else None,
        distractors=len(distractors),
        distractors_warned=len(warned_distractors),
        chains=len(chain_drone),
        false_chains=len(false_chains),
        unmatched_chains=sum(1 for d in chain_drone.values() if d is None),
        messages=len(received),
        new_messages=sum(1 for w in received if w.state is WarningState.NEW),
        entry_error_km_median_t10=round(float(np.median(errors_km)), 2) if errors_km else None,
        window_coverage=round(covered / judged, 4) if judged else None,
        warnings_per_crosser=round(crosser_chains / len(leads), 3) if leads else None,
        distractors_declared=len(declared),
        visible_10min=len(seen_early),
        warned_10min_visible=len(warned_early),
        lead_efficiency_median=round(float(np.median(efficiency)), 3) if efficiency else None,
        lead_efficiency_p10=(
            round(float(np.percentile(efficiency, 10)), 3) if efficiency else None
        ),
        closing=closing,
        closing_correct_fraction=round(correct / judged_close, 4) if judged_close else None,
        cancel_delay_s_median=round(float(np.median(delays)), 1) if delays else None,
        crossers_watched=len(watched),
        watched_10min=sum(1 for d in watched if crossers[d] - first_alert[d] >= 600.0),
        watch_lead_efficiency_median=(
            round(float(np.median(watch_efficiency)), 3) if watch_efficiency else None
        ),
        distractors_watched_only=len(alerted_distractors - warned_distractors),
        watch_chains=len(chain_drone) - len(warning_chains),
        cooperative_drones=len(cooperative),
        cooperative_alerted=len(cooperative & set(chain_drone.values())),
    )


def _first_per_drone(
    chain_drone: dict[str, str | None], chain_time: dict[str, float]
) -> dict[str, float]:
    """Per drone, the earliest of its chains' times (chains without a time left out)."""
    first: dict[str, float] = {}
    for chain, drone_id in chain_drone.items():
        if drone_id is None or chain not in chain_time:
            continue
        first[drone_id] = min(chain_time[chain], first.get(drone_id, np.inf))
    return first


def _efficiency(
    possible: dict[str, float], crossers: dict[str, float], first: dict[str, float]
) -> list[float]:
    """Lead given / possible lead per crosser seen in time (0 when not alerted before)."""
    return [
        min(max(crossers[d] - first[d], 0.0) / lead, 1.0)
        if d in first and first[d] < crossers[d]
        else 0.0
        for d, lead in possible.items()
        if lead > 0.0
    ]


CLOSE_LABELS = {
    WarningState.CROSSED: "crossed",
    WarningState.TURNED_AWAY: "turned_away",
    WarningState.LOST: "lost",
}


def _closing(
    received: list[Warning],
    chain_drone: dict[str, str | None],
    chain_opened: dict[str, float],
    by_drone: dict[str, DroneTruth],
    country: str,
    end_s: float,
    airspace: AirspaceMap | None,
) -> tuple[dict[str, dict[str, int]], int, int, list[float]]:
    """Each chain's last state against what its drone did; the delays of cancellations."""
    last: dict[str, Warning] = {}
    for w in received:
        if w.warning_id in chain_drone and w.state.is_closing:
            last.setdefault(w.warning_id, w)
    table: dict[str, dict[str, int]] = {}
    correct = judged = 0
    delays: list[float] = []
    for chain, drone_id in chain_drone.items():
        closed = last.get(chain)
        state = closed.state.value if closed is not None else "open"
        closed_s = closed.issued_s if closed is not None else end_s
        drone = by_drone.get(drone_id) if drone_id is not None else None
        did = _what_it_did(drone, chain_opened[chain], closed_s, country)
        row = table.setdefault(state, {})
        row[did] = row.get(did, 0) + 1
        if closed is not None and closed.state in CLOSE_LABELS:
            judged += 1
            correct += int(CLOSE_LABELS[closed.state] == did)
        if (
            closed is not None
            and drone is not None
            and airspace is not None
            and did != "crossed"
            and closed.state in (WarningState.TURNED_AWAY, WarningState.CANCELLED)
        ):
            evident = _turn_evident_s(drone, airspace, country, chain_opened[chain], closed_s)
            delays.append(max(closed_s - evident, 0.0))
    return table, correct, judged, delays


def _what_it_did(drone: DroneTruth | None, opened_s: float, closed_s: float, country: str) -> str:
    """What a warned drone did by the time its warning closed (5 minutes' grace)."""
    if drone is None:
        return "no_drone"
    crossing = drone.crossing_into(country)
    if crossing is not None and opened_s - 60.0 <= crossing.time_s <= closed_s + 300.0:
        return "crossed"
    if drone.end_s <= closed_s + 60.0:
        return "lost"  # its flight ended (came down, was shot down) before the close
    return "turned_away"


def _turn_evident_s(
    drone: DroneTruth, airspace: AirspaceMap, country: str, opened_s: float, closed_s: float
) -> float:
    """The first moment after ``opened_s`` from which the drone's true course (its last
    minute's chord, held for an hour) no longer enters the country, up to ``closed_s``."""
    times = np.arange(max(opened_s, drone.launch_s + 60.0), min(closed_s, drone.end_s), 10.0)
    if not len(times):
        return closed_s
    east, north = drone.position_at(times)
    before_e, before_n = drone.position_at(times - 60.0)
    ve, vn = (east - before_e) / 60.0, (north - before_n) / 60.0
    hits = airspace.first_entry(country, east, north, east + ve * 3600.0, north + vn * 3600.0)
    enters = np.isfinite(hits.fraction)
    if enters[-1]:
        return closed_s
    still = np.nonzero(enters)[0]
    return float(times[still[-1] + 1]) if len(still) else float(times[0])


def _entry_quality(
    received: list[Warning],
    chain_drone: dict[str, str | None],
    crossers: dict[str, float],
    by_drone: dict[str, DroneTruth],
    country: str,
) -> tuple[list[float], int, int]:
    """Entry-point errors at T-10 min (km) and how many crossings fell in their window."""
    about: dict[str, list[Warning]] = {}
    for w in received:
        drone_id = chain_drone.get(w.warning_id)
        if drone_id in crossers and w.entry is not None and w.issued_s < crossers[drone_id]:
            about.setdefault(drone_id, []).append(w)
    errors_km: list[float] = []
    covered = judged = 0
    for drone_id, messages in about.items():
        crossing = by_drone[drone_id].crossing_into(country)
        assert crossing is not None
        early = [w for w in messages if w.issued_s <= crossing.time_s - 600.0]
        chosen = max(early or messages, key=lambda w: w.issued_s)
        entry = chosen.entry
        assert entry is not None
        if early:
            errors_km.append(
                float(
                    distance_m(
                        entry.point.lat_deg, entry.point.lon_deg, crossing.lat_deg, crossing.lon_deg
                    )
                )
                / 1000.0
            )
        judged += 1
        covered += int(entry.earliest_s <= crossing.time_s <= entry.latest_s)
    return errors_km, covered, judged
