"""GOSPA and the identity metrics on hand-made cases."""

from __future__ import annotations

import math

import numpy as np

from dronewarn.track.metrics import gospa, score


def test_gospa_by_hand() -> None:
    truth = np.array([[0.0, 0.0], [1000.0, 0.0], [5000.0, 0.0]])
    est = np.array([[30.0, 40.0], [1000.0, 0.0], [9000.0, 9000.0], [20_000.0, 0.0]])
    g = gospa(truth, est, c=500.0, p=2.0)
    # (0,0)-(30,40): 50 m; (1000,0) exact; (5000,0) missed; two false tracks
    assert g.missed == 1 and g.false == 2
    assert math.isclose(g.localisation, 50.0)
    assert math.isclose(g.distance, math.sqrt(50.0**2 + 500.0**2 / 2 * 3))


def test_gospa_of_empty_sets() -> None:
    assert gospa(np.zeros((0, 2)), np.zeros((0, 2)), 100.0).distance == 0.0
    g = gospa(np.zeros((2, 2)), np.zeros((0, 2)), 100.0)
    assert g.missed == 2 and math.isclose(g.distance, math.sqrt(2 * 100.0**2 / 2))


def test_identity_switches_fragmentation_and_time_to_confirm() -> None:
    times = np.arange(6.0)
    truth = np.zeros((6, 2, 2))
    truth[:, 1, 0] = 10_000.0
    alive = np.ones((6, 2), dtype=bool)
    a, b = np.array([[0.0, 0.0]]), np.array([[10_000.0, 0.0]])
    both = np.concatenate([a, b])
    estimates = [
        ([], np.zeros((0, 2))),  # nothing tracked yet
        (["T1", "T2"], both),
        (["T1", "T2"], both),
        (["T2"], b),  # target 0 lost: a fragment when it comes back
        (["T3", "T2"], both),  # ... under a new id: an identity switch
        (["T3", "T2"], both),
    ]
    s = score(times, truth, alive, estimates, c=1000.0)
    assert s.id_switches == 1
    assert s.fragmentations == 1
    assert s.median_time_to_confirm_s == 1.0
    assert math.isclose(s.mean_missed, (2 + 1) / 6)
