"""Seeded tracking scenarios in a flat plane, for the tracker's tests and benchmark.

Targets fly at 40-60 m/s over a square area (200 x 200 km by default), seen every scan with
probability ``pd`` and Gaussian noise ``sigma_m``, among uniform clutter. Some targets fly in
pairs whose paths cross at the scenario's middle; some make a coordinated turn (90 degrees at
3 degrees/s by default) at a random time. ``mixed`` turns the same truth into a mixed sensor
picture: radar range/bearing plots from ground sites, acoustic bearings from nodes near the
targets, and citizen sightings arriving minutes late (out of sequence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dronewarn.track.measurements import (
    PlaneMeasurements,
    bearings_in_plane,
    concat,
    polar_in_plane,
)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ScenarioSpec:
    n_targets: int
    clutter_per_scan: int
    n_scans: int = 60
    scan_s: float = 2.0
    sigma_m: float = 150.0
    pd: float = 0.9
    side_m: float = 200_000.0
    min_speed_mps: float = 40.0
    max_speed_mps: float = 60.0
    crossing_fraction: float = 0.0
    manoeuvring_fraction: float = 0.0
    turn_deg: float = 90.0
    turn_rate_degps: float = 3.0
    seed: int = 0
    t0_s: float = 1_757_440_800.0  # 2025-09-09T18:00:00Z


@dataclass(frozen=True)
class TrackingScenario:
    spec: ScenarioSpec
    times_s: FloatArray
    """(K,) scan times."""
    truth: FloatArray
    """(K, T, 2) true positions."""
    velocity: FloatArray
    """(K, T, 2) true velocities."""
    alive: npt.NDArray[np.bool_]
    scans: list[tuple[float, FloatArray]]
    """Per scan: its time and its detections (M, 2), targets and clutter shuffled."""
    labels: list[npt.NDArray[np.intp]]
    """Per scan: the target index of each detection, -1 for clutter."""

    def plane_batches(self) -> list[PlaneMeasurements]:
        """The scans as tracker input (circular sigma ``spec.sigma_m``)."""
        s = self.spec.sigma_m
        return [
            PlaneMeasurements.positions(np.full(len(xy), t), xy, np.full(len(xy), s))
            for t, xy in self.scans
        ]


def _turn_profile(
    rng: np.random.Generator, spec: ScenarioSpec, n: int, times: FloatArray
) -> FloatArray:
    """Heading change (rad) of each target at each time: a ramp for manoeuvring targets."""
    k_man = round(spec.manoeuvring_fraction * n)
    change = np.zeros((len(times), n))
    if not k_man:
        return change
    span = times[-1] - times[0]
    duration = spec.turn_deg / spec.turn_rate_degps
    start = times[0] + rng.uniform(0.25, 0.75, k_man) * max(span - duration, 0.0)
    sign = rng.choice([-1.0, 1.0], k_man)
    ramp = np.clip((times[:, None] - start[None, :]) / duration, 0.0, 1.0)
    change[:, n - k_man :] = sign * np.radians(spec.turn_deg) * ramp
    return change


def generate(spec: ScenarioSpec) -> TrackingScenario:
    rng = np.random.default_rng(spec.seed)
    n = spec.n_targets
    times = spec.t0_s + spec.scan_s * np.arange(spec.n_scans, dtype=np.float64)
    speed = rng.uniform(spec.min_speed_mps, spec.max_speed_mps, n)
    heading = rng.uniform(0.0, 2 * np.pi, n)
    margin = 0.1 * spec.side_m
    mid = 0.5 * (times[0] + times[-1])
    # where each target is at the middle of the scenario
    at_mid = rng.uniform(margin, spec.side_m - margin, (n, 2))
    k_cross = round(spec.crossing_fraction * n) // 2 * 2
    for a in range(0, k_cross, 2):  # pairs meeting at one point, 30-150 degrees apart
        at_mid[a + 1] = at_mid[a]
        heading[a + 1] = heading[a] + rng.choice([-1.0, 1.0]) * rng.uniform(
            np.pi / 6, 5 * np.pi / 6
        )
    # integrate the heading profile (turns) from the middle outwards
    dpsi = _turn_profile(rng, spec, n, times)
    psi = heading[None, :] + dpsi - dpsi[len(times) // 2][None, :]
    vel = speed[None, :, None] * np.stack([np.sin(psi), np.cos(psi)], axis=2)  # east, north
    dt = np.diff(times)[:, None, None]
    steps = np.concatenate(
        [np.zeros((1, n, 2)), np.cumsum(0.5 * (vel[1:] + vel[:-1]) * dt, axis=0)]
    )
    mid_k = len(times) // 2
    truth = at_mid[None] + steps - steps[mid_k][None] - vel[mid_k][None] * (mid - times[mid_k])
    alive = np.ones((len(times), n), dtype=bool)
    scans: list[tuple[float, FloatArray]] = []
    labels: list[npt.NDArray[np.intp]] = []
    for k, t in enumerate(times):
        seen = np.flatnonzero(rng.random(n) < spec.pd)
        det = truth[k, seen] + rng.normal(0.0, spec.sigma_m, (len(seen), 2))
        clutter = rng.uniform(0.0, spec.side_m, (spec.clutter_per_scan, 2))
        xy = np.concatenate([det, clutter])
        lab = np.concatenate([seen, np.full(spec.clutter_per_scan, -1)]).astype(np.intp)
        order = rng.permutation(len(xy))
        scans.append((float(t), xy[order]))
        labels.append(lab[order])
    return TrackingScenario(spec, times, truth, vel, alive, scans, labels)


@dataclass(frozen=True)
class MixedSensors:
    """How ``mixed`` sees the targets: each detected target is seen by one kind of sensor."""

    radar_share: float = 0.6
    acoustic_share: float = 0.3
    """The rest are citizens' sightings."""
    radar_sites: int = 6
    sigma_range_m: float = 100.0
    sigma_bearing_deg: float = 0.5
    acoustic_radius_m: float = 3_000.0
    acoustic_sigma_bearing_deg: float = 10.0
    sighting_sigma_m: float = 1_500.0
    sighting_delay_s: tuple[float, float] = (30.0, 180.0)


def mixed(
    scenario: TrackingScenario, sensors: MixedSensors | None = None, seed: int = 1
) -> list[PlaneMeasurements]:
    """The scenario's detections as a mixed picture, one tracker batch per scan.

    Radar plots and clutter come as range/bearing from the nearest of ``radar_sites`` sites
    on a ring; an acoustic detection comes from a node placed within its radius of the target
    (a network dense enough that someone always hears); a sighting is a position with a
    kilometre-scale error delivered 30 s to 3 min after it was made.
    """
    cfg = sensors or MixedSensors()
    spec = scenario.spec
    rng = np.random.default_rng(seed)
    angle = np.linspace(0.0, 2 * np.pi, cfg.radar_sites, endpoint=False)
    centre = spec.side_m / 2.0
    sites = centre + 0.3 * spec.side_m * np.column_stack([np.sin(angle), np.cos(angle)])
    radar_names = tuple(f"radar-{i}" for i in range(cfg.radar_sites))
    late: list[tuple[float, PlaneMeasurements]] = []
    batches: list[PlaneMeasurements] = []
    for (t, xy), lab in zip(scenario.scans, scenario.labels, strict=True):
        u = rng.random(len(xy))
        is_target = lab >= 0
        radar = ~is_target | (u < cfg.radar_share)
        acoustic = is_target & (u >= cfg.radar_share) & (u < cfg.radar_share + cfg.acoustic_share)
        sighting = is_target & ~radar & ~acoustic
        parts = []
        # radar: exact range/bearing of the true point (noise re-drawn in polar)
        truth_xy = xy.copy()
        truth_xy[is_target] = scenario.truth[
            int(np.flatnonzero(scenario.times_s == t)[0]), lab[is_target]
        ]
        ri = np.flatnonzero(radar)
        d = ((truth_xy[ri, None, :] - sites[None]) ** 2).sum(axis=2)
        site_idx = np.argmin(d, axis=1).astype(np.intp)
        off = truth_xy[ri] - sites[site_idx]
        rng_m = np.hypot(off[:, 0], off[:, 1]) + rng.normal(0.0, cfg.sigma_range_m, len(ri))
        brg = np.degrees(np.arctan2(off[:, 0], off[:, 1])) + rng.normal(
            0.0, cfg.sigma_bearing_deg, len(ri)
        )
        parts.append(
            polar_in_plane(
                np.full(len(ri), t),
                sites[site_idx],
                rng_m,
                brg,
                np.full(len(ri), cfg.sigma_range_m),
                np.full(len(ri), cfg.sigma_bearing_deg),
                site_idx,
                radar_names,
            )
        )
        ai = np.flatnonzero(acoustic)
        r_node = cfg.acoustic_radius_m * np.sqrt(rng.random(len(ai)))
        a_node = rng.uniform(0.0, 2 * np.pi, len(ai))
        node = truth_xy[ai] + np.column_stack([r_node * np.sin(a_node), r_node * np.cos(a_node)])
        to_target = truth_xy[ai] - node
        a_brg = np.degrees(np.arctan2(to_target[:, 0], to_target[:, 1])) + rng.normal(
            0.0, cfg.acoustic_sigma_bearing_deg, len(ai)
        )
        parts.append(
            bearings_in_plane(
                np.full(len(ai), t),
                node,
                np.full(len(ai), cfg.acoustic_radius_m),
                a_brg,
                np.full(len(ai), cfg.acoustic_sigma_bearing_deg),
                np.arange(len(ai), dtype=np.intp),
                tuple(f"acoustic-{int(x // 1000)}-{int(y // 1000)}" for x, y in node),
            )
        )
        si = np.flatnonzero(sighting)
        if len(si):
            seen = truth_xy[si] + rng.normal(0.0, cfg.sighting_sigma_m, (len(si), 2))
            arrive = t + rng.uniform(*cfg.sighting_delay_s)
            late.append(
                (
                    arrive,
                    PlaneMeasurements.positions(
                        np.full(len(si), t),
                        seen,
                        np.full(len(si), cfg.sighting_sigma_m),
                        "citizens",
                    ),
                )
            )
        due = [m for when, m in late if when <= t]
        late = [(when, m) for when, m in late if when > t]
        batches.append(concat(parts + due))
    return batches
