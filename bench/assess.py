"""Assessment of 1,000 live tracks against every border, per cycle, against a 1 s budget.

One cycle is what a node does every assessment period: for each partner airspace, predict the
crossings of all tracks (a heading fan of 7 paths each, over 60 minutes) and run the warning
lifecycle. The tracks are seeded and spread over 400 x 400 km around the Bug river at drone
speeds. The peer is the per-track shapely computation of the nominal path's entry (one
LineString intersection per track and airspace), run on the same tracks in this process.

    ./run bench assess [--tracks 1000] [--cycles 20]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
from shapely.geometry import LineString, Point

from dronewarn.assess.crossing import predict_crossings
from dronewarn.assess.lifecycle import AssessConfig, WarningBook
from dronewarn.domain.report import GeoPoint
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.borders import load_countries
from dronewarn.geo.frame import LocalFrame

PARTNERS = ("POL", "UKR", "LTU")


def make_tracks(airspace: AirspaceMap, count: int, now_s: float, seed: int) -> list[TrackState]:
    rng = np.random.default_rng(seed)
    east = rng.uniform(-200e3, 200e3, count)
    north = rng.uniform(-200e3, 200e3, count)
    course = rng.uniform(0.0, 2.0 * math.pi, count)
    speed = rng.uniform(33.0, 51.0, count)
    lat, lon = airspace.frame.from_plane(east, north)
    cov = np.diag([200.0**2, 200.0**2, 3.0**2, 3.0**2]).ravel().tolist()
    return [
        TrackState(
            track_id=f"BY-T{i:05d}",
            time_s=now_s,
            status=TrackStatus.CONFIRMED,
            east_m=float(east[i]),
            north_m=float(north[i]),
            vel_east_mps=float(speed[i] * math.sin(course[i])),
            vel_north_mps=float(speed[i] * math.cos(course[i])),
            cov_enu=tuple(cov),
            position=GeoPoint(float(lat[i]), float(lon[i])),
            quality=1.0,
            updates=50,
            course_since_s=now_s - 3600.0,
        )
        for i in range(count)
    ]


def shapely_peer(airspace: AirspaceMap, tracks: list[TrackState], horizon_s: float) -> int:
    entered = 0
    for area in PARTNERS:
        polygon = airspace.polygon(area)
        for t in tracks:
            start = (t.east_m, t.north_m)
            end = (t.east_m + t.vel_east_mps * horizon_s, t.north_m + t.vel_north_mps * horizon_s)
            if polygon.contains(Point(start)):
                continue
            entered += int(not LineString([start, end]).intersection(polygon.boundary).is_empty)
    return entered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=20)
    args = parser.parse_args()
    countries = load_countries(["POL", "BLR", "UKR", "LTU"])
    airspace = AirspaceMap(LocalFrame(52.0, 24.0), countries)
    config = AssessConfig()
    books = {area: WarningBook("BY", area, airspace.frame, config) for area in PARTNERS}
    cycle_s, peer_s = [], []
    warnings = 0
    for cycle in range(args.cycles):
        now = 1.7e9 + 10.0 * cycle
        tracks = make_tracks(airspace, args.tracks, now, seed=cycle)
        t0 = time.perf_counter()
        for area in PARTNERS:
            predictions = predict_crossings(
                tracks,
                airspace,
                area,
                now,
                config.horizon_s,
                config.persist_tau_s,
                distance_for=books[area].warned_tracks(),
            )
            warnings += len(books[area].assess(now, tracks, list(predictions), []))
        cycle_s.append(time.perf_counter() - t0)
        if cycle < 3:
            t0 = time.perf_counter()
            shapely_peer(airspace, tracks, config.horizon_s)
            peer_s.append(time.perf_counter() - t0)
    ours = statistics.median(cycle_s)
    peer = statistics.median(peer_s)
    print(
        f"{args.tracks} tracks x {len(PARTNERS)} airspaces, {args.cycles} cycles, "
        f"{warnings} warning messages"
    )
    print(f"dronewarn assessment cycle (7-path fan + lifecycle) median {ours * 1e3:8.1f} ms")
    print(f"shapely per-track nominal path only (peer)       median {peer * 1e3:8.1f} ms")
    print(f"ratio to the 1 s budget: {ours / 1.0:.3f} (budget / cycle = {1.0 / ours:.1f}x)")
    print(f"ratio peer / dronewarn: {peer / ours:.1f}x")


if __name__ == "__main__":
    main()
