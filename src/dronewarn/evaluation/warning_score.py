"""Score the warnings one node received against the simulator's ground truth.

A warning message is tied to a drone by where the sender said its track was when it issued
the message: the nearest drone flying at that moment within ``match_radius_m``. A warning
chain (all messages sharing a ``warning_id``) belongs to the drone its NEW message matched.

* crosser: a drone whose truth enters the recipient's country;
* warned before crossing: a chain of that drone opened before its crossing time;
* lead time: crossing time minus the first such NEW message's time;
* false warning: a chain whose drone never enters the recipient's country, or that matched no
  drone at all (a false track);
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

from dataclasses import asdict, dataclass

import numpy as np

from dronewarn.domain.warning import Warning, WarningState
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

    @property
    def warned_10min_fraction(self) -> float:
        return self.warned_10min / self.crossers if self.crossers else 0.0

    @property
    def false_warning_fraction(self) -> float:
        return self.distractors_warned / self.distractors if self.distractors else 0.0

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = asdict(self)
        out["warned_10min_fraction"] = round(self.warned_10min_fraction, 4)
        out["false_warning_fraction"] = round(self.false_warning_fraction, 4)
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
) -> WarningScore:
    """Score what ``recipient`` (guarding ``country``) received during ``window``."""
    start_s, end_s = window
    received = [w for w in received if w.area in ("", country)]  # the country, not its zones
    drones = [d for d in truth.drones if d.end_s >= start_s and d.launch_s < end_s]
    crossers = {
        d.drone_id: c.time_s
        for d in drones
        if (c := d.crossing_into(country)) is not None and start_s <= c.time_s < end_s
    }
    never = {d.drone_id for d in drones if d.crossing_into(country) is None}
    distractors = {d.drone_id for d in drones if d.role is Role.DISTRACTOR} & never

    chain_drone: dict[str, str | None] = {}
    chain_opened: dict[str, float] = {}
    by_drone = truth.by_id()
    for w in received:
        if w.state is WarningState.NEW:
            chain_drone[w.warning_id] = match_drone(
                truth,
                frame,
                w.issued_s,
                w.track_position.lat_deg,
                w.track_position.lon_deg,
                match_radius_m,
            )
            chain_opened[w.warning_id] = w.issued_s

    first_warning: dict[str, float] = {}
    for chain, drone_id in chain_drone.items():
        if drone_id is None:
            continue
        opened = chain_opened[chain]
        if opened < first_warning.get(drone_id, np.inf):
            first_warning[drone_id] = opened

    leads = [
        crossers[d] - first_warning[d]
        for d in crossers
        if d in first_warning and first_warning[d] < crossers[d]
    ]
    lead_min = np.array(leads) / 60.0
    errors_km, covered, judged = _entry_quality(received, chain_drone, crossers, by_drone, country)
    # chains opened before the drone crossed, per drone warned before crossing
    crosser_chains = sum(
        1
        for chain, d in chain_drone.items()
        if d in first_warning and d in crossers and chain_opened[chain] < crossers[d]
    )
    false_chains = [c for c, d in chain_drone.items() if d is None or d in never]
    warned_distractors = {d for d in chain_drone.values() if d is not None and d in distractors}
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
    )


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
