"""Drone motion: waypoint following with a slowly varying heading error and rare strays.

A drone flies at constant ground speed and altitude in the scenario's local plane (AEQD, see
``geo.frame``). Each step it steers toward its current waypoint; its heading is off by an
Ornstein-Uhlenbeck error (stationary sigma ``heading_noise_deg``, correlation time
``heading_noise_tau_s``) plus, during a stray episode, a fixed offset of 10-40 degrees (the
wandering that electronic warfare causes). It is done when it reaches its last waypoint.
Time here is relative to launch; ``sim.drones`` places flights in UTC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Stray:
    start_s: float
    duration_s: float
    offset_deg: float


@dataclass(frozen=True)
class Flight:
    """A flight path sampled every ``step_s`` from launch (t = 0)."""

    t_s: FloatArray
    east_m: FloatArray
    north_m: FloatArray
    heading_deg: FloatArray


def fly(
    waypoints_en: FloatArray,
    speed_mps: float,
    step_s: float,
    heading_noise_deg: float,
    heading_noise_tau_s: float,
    stray: Stray | None,
    rng: np.random.Generator,
    max_duration_s: float = 12 * 3600.0,
) -> Flight:
    """Fly the waypoints (N x 2, local plane metres) and return the sampled path."""
    if waypoints_en.shape[0] < 2:
        raise ValueError("a flight needs at least two waypoints")
    max_steps = int(max_duration_s / step_s)
    decay = math.exp(-step_s / heading_noise_tau_s)
    kick = math.radians(heading_noise_deg) * math.sqrt(1.0 - decay * decay)
    shocks = rng.standard_normal(max_steps + 1) * kick
    arrive_m = speed_mps * step_s * 1.5
    stride = speed_mps * step_s
    stray_start = stray.start_s if stray else math.inf
    stray_end = stray.start_s + stray.duration_s if stray else -math.inf
    stray_rad = math.radians(stray.offset_deg) if stray else 0.0

    east, north = float(waypoints_en[0, 0]), float(waypoints_en[0, 1])
    error = rng.standard_normal() * math.radians(heading_noise_deg)
    target = 1
    es = [east]
    ns = [north]
    hs: list[float] = []
    for step in range(max_steps):
        tx, ty = waypoints_en[target]
        dx, dy = tx - east, ty - north
        if dx * dx + dy * dy <= arrive_m * arrive_m:
            target += 1
            if target >= len(waypoints_en):
                break
            tx, ty = waypoints_en[target]
            dx, dy = tx - east, ty - north
        t = step * step_s
        error = error * decay + shocks[step]
        heading = math.atan2(dx, dy) + error + (stray_rad if stray_start <= t < stray_end else 0.0)
        east += stride * math.sin(heading)
        north += stride * math.cos(heading)
        es.append(east)
        ns.append(north)
        hs.append(heading)
    hs.append(hs[-1] if hs else 0.0)
    count = len(es)
    return Flight(
        t_s=np.arange(count, dtype=np.float64) * step_s,
        east_m=np.asarray(es),
        north_m=np.asarray(ns),
        heading_deg=np.mod(np.degrees(np.asarray(hs)), 360.0),
    )
