"""Process-level settings of a long-running node.

A node builds its long-lived state once (borders and their R-trees, the scenario, compiled
kernels, the tracker's tables) and then allocates thousands of short-lived objects every
assessment cycle (a TrackState, a prediction, a dict per track). Python's cyclic garbage
collector, at its default thresholds, walks the whole long-lived heap every few cycles: at
1,000 tracks that put 200-230 ms pauses into 80-120 ms assessment cycles, and into the
warning latency. ``settle_heap`` moves what exists at start-up out of the collector's sight
(``gc.freeze``) and collects the young generation less often. Measured with the 1,000-track
BY node of bench/latency.py, 30 cycles each, default vs settled: median 118 / 102 ms,
maximum 224 / 125 ms (and 112 / 99, 232 / 175 on a second pair of runs).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
"""Allocations between young-generation collections (default 700)."""


def settle_heap() -> None:
    """Call once the node is built, before it starts work."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 100)
