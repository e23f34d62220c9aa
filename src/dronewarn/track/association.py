"""Global nearest neighbour assignment over gated pairs.

Well-separated targets make isolated pairs (one track, one measurement, nothing else in
either gate): those are taken directly. The rest, the contested clusters, go to one sparse
minimum-weight bipartite matching (``scipy.sparse.csgraph.min_weight_full_bipartite_matching``,
LAPJVsp) with a "miss" column per track, so the cost grows with the gated pairs rather than
with tracks x measurements. Like a dense ``linear_sum_assignment`` with infeasible entries,
it first maximises the number of assigned pairs and then minimises the summed cost
(d^2 + ln|S|, the negative log-likelihood up to a constant).

Dense swarms: this is GNN, not JPDA. Two drones inside each other's gates are resolved by the
globally cheapest pairing at every scan; tests/track pin that crossing targets keep their
identities at 150 m noise. JPDA would soften the updates but blur crossing tracks together,
which for warning purposes (count and direction) is the worse failure.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
_MISS = 1e6
_FEW_PAIRS = 256
"""Fewer contested pairs than this go straight to the matching (splitting costs more)."""


def assign(
    track: IntArray, meas: IntArray, cost: FloatArray, n_tracks: int, n_meas: int
) -> IntArray:
    """Indexes of the chosen pairs: each track and each measurement used at most once."""
    if not len(track):
        return np.zeros(0, dtype=np.intp)
    per_track = np.bincount(track, minlength=n_tracks)
    per_meas = np.bincount(meas, minlength=n_meas)
    alone = (per_track[track] == 1) & (per_meas[meas] == 1)
    if alone.all():
        return np.arange(len(track), dtype=np.intp)
    rest = np.flatnonzero(~alone)
    star = np.zeros(0, dtype=np.intp)
    if len(rest) > _FEW_PAIRS:
        star, rest = _stars(track[rest], meas[rest], cost[rest], rest)
    if not len(rest):
        return np.concatenate([np.flatnonzero(alone), star])
    rows, r_inv = np.unique(track[rest], return_inverse=True)
    cols, c_inv = np.unique(meas[rest], return_inverse=True)
    a_rows, a_cols = _match(r_inv, c_inv, cost[rest], len(rows), len(cols))
    # back from (row, column) of the cluster matrix to the pair that made it
    key = r_inv.astype(np.int64) * len(cols) + c_inv
    order = np.argsort(key)
    found = order[np.searchsorted(key, a_rows.astype(np.int64) * len(cols) + a_cols, sorter=order)]
    return np.concatenate([np.flatnonzero(alone), star, rest[found]])


def _stars(
    track: IntArray, meas: IntArray, cost: FloatArray, index: IntArray
) -> tuple[IntArray, IntArray]:
    """Solve the clusters with one track or one measurement (the common contested case).

    Such a cluster assigns one pair at most, its cheapest. Returns the chosen pair indexes
    and the indexes of the pairs left for the matching.
    """
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    rows, r_inv = np.unique(track, return_inverse=True)
    cols, c_inv = np.unique(meas, return_inverse=True)
    n_r, n_c = len(rows), len(cols)
    graph = coo_array((np.ones(len(track)), (r_inv, n_r + c_inv)), shape=(n_r + n_c, n_r + n_c))
    _, label = connected_components(graph, directed=False)
    comp = label[r_inv]
    rows_in = np.bincount(label[:n_r], minlength=label.max() + 1)
    cols_in = np.bincount(label[n_r:], minlength=label.max() + 1)
    simple = (rows_in[comp] == 1) | (cols_in[comp] == 1)
    k = np.flatnonzero(simple)
    order = k[np.lexsort((cost[k], comp[k]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = comp[order][1:] != comp[order][:-1]
    return index[order[first]], index[~simple]


def _match(
    r: IntArray, c: IntArray, cost: FloatArray, n_rows: int, n_cols: int
) -> tuple[IntArray, IntArray]:
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    # strictly positive weights (a sparse zero would be a missing edge)
    w = cost - float(cost.min()) + 1.0
    if n_rows * n_cols <= 4096:  # small clusters: the dense solver is quicker
        dense = np.full((n_rows, n_cols), _MISS)
        dense[r, c] = w
        ar, ac = linear_sum_assignment(dense)
        ok = dense[ar, ac] < _MISS
        return ar[ok].astype(np.intp), ac[ok].astype(np.intp)
    miss = np.arange(n_rows)
    graph = csr_array(
        (
            np.concatenate([w, np.full(n_rows, _MISS)]),
            (np.concatenate([r, miss]), np.concatenate([c, n_cols + miss])),
        ),
        shape=(n_rows, n_cols + n_rows),
    )
    ar, ac = min_weight_full_bipartite_matching(graph)
    ok = ac < n_cols
    return ar[ok].astype(np.intp), ac[ok].astype(np.intp)
