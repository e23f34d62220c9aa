"""First entry of many segments into Poland: dronewarn's vectorised query vs a shapely loop.

The peer is the obvious shapely code: per segment, intersect it with the polygon and take the
intersection point nearest to the start. Both run on the same seeded segments in this process;
the bench checks that they agree and prints median wall times and the ratio.

    ./run bench first_entry [--segments 5000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from dronewarn.geo.airspace import AirspaceMap
from dronewarn.geo.borders import load_countries
from dronewarn.geo.frame import LocalFrame


def shapely_loop(polygon: shapely.Geometry, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    out = np.full(len(starts), np.nan)
    for i, (p, q) in enumerate(zip(starts, ends, strict=True)):
        if polygon.contains(Point(p)):
            out[i] = 0.0
            continue
        line = LineString([p, q])
        hit = line.intersection(polygon.boundary)
        if hit.is_empty:
            continue
        points = shapely.get_coordinates(hit)
        out[i] = float(np.min(np.hypot(*(points - p).T))) / line.length
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    airspace = AirspaceMap(LocalFrame(51.8, 23.6), load_countries(["POL", "BLR", "UKR"]))
    polygon = airspace.polygon("POL")
    rng = np.random.default_rng(42)
    starts = rng.uniform(-150e3, 150e3, (args.segments, 2))
    ends = starts + rng.uniform(-150e3, 150e3, (args.segments, 2))

    ours, peer = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        entries = airspace.first_entry("POL", starts[:, 0], starts[:, 1], ends[:, 0], ends[:, 1])
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        reference = shapely_loop(polygon, starts, ends)
        peer.append(time.perf_counter() - t0)
    agree = np.allclose(
        np.nan_to_num(entries.fraction, nan=-1.0), np.nan_to_num(reference, nan=-1.0), atol=1e-6
    )
    ours_s, peer_s = statistics.median(ours), statistics.median(peer)
    print(f"segments {args.segments}, repeats {args.repeats}, results agree: {agree}")
    print(f"dronewarn first_entry  median {ours_s * 1e3:9.2f} ms")
    print(f"shapely per-segment    median {peer_s * 1e3:9.2f} ms")
    print(f"ratio (shapely / dronewarn): {peer_s / ours_s:.1f}x")


if __name__ == "__main__":
    main()
