"""Graded messages: a watch opens early, is upgraded to a warning, downgraded, cleared."""

from __future__ import annotations

import dataclasses
import math

import pytest

from dronewarn.assess.crossing import CrossingPrediction
from dronewarn.assess.lifecycle import AssessConfig, WarningBook
from dronewarn.deploy.policy import PolicySpec, sharing_policy
from dronewarn.domain.report import GeoPoint
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.domain.warning import Warning, WarningGrade, WarningState
from dronewarn.geo.frame import LocalFrame
from dronewarn.node.node import partner_assessment

FRAME = LocalFrame(51.8, 23.5)


def _track(t: float, held_s: float) -> TrackState:
    return TrackState(
        track_id="BY-T1",
        time_s=t,
        status=TrackStatus.CONFIRMED,
        east_m=30_000.0,
        north_m=0.0,
        vel_east_mps=-40.0,
        vel_north_mps=0.0,
        cov_enu=tuple(float(x) for x in (100, 0, 0, 0, 0, 100, 0, 0, 0, 0, 4, 0, 0, 0, 0, 4)),
        position=GeoPoint(51.8, 23.9),
        quality=1.0,
        updates=20,
        course_since_s=t - held_s,
    )


def _pred(now_s: float, probability: float, eta_s: float = 900.0) -> CrossingPrediction:
    enters = math.isfinite(eta_s)
    return CrossingPrediction(
        track_id="BY-T1",
        inside_now=False,
        enters=enters,
        p_geometric=1.0,
        p_persist=probability,
        probability=probability,
        entry_east_m=0.0,
        entry_north_m=0.0,
        entry_sigma_major_m=500.0,
        entry_sigma_minor_m=300.0,
        entry_time_s=now_s + eta_s,
        earliest_s=now_s + eta_s - 60.0,
        latest_s=now_s + eta_s + 60.0,
    )


def _run(book: WarningBook, script: list[tuple[float, float, float]]) -> list[Warning]:
    """(held course s, probability, eta s) per 10 s cycle."""
    out: list[Warning] = []
    for k, (held_s, probability, eta_s) in enumerate(script):
        now = 10.0 * k
        out += book.assess(now, [_track(now, held_s)], [_pred(now, probability, eta_s)], [])
    return out


def _grades(messages: list[Warning]) -> list[tuple[WarningState, WarningGrade]]:
    return [(m.state, m.grade) for m in messages]


def test_a_fresh_course_opens_a_watch_that_is_upgraded_once_the_course_holds() -> None:
    book = WarningBook("BY", "PL", FRAME, AssessConfig())
    # 15 minutes out: probable, but the course is two minutes old (a warning needs 12.5 min)
    script = [(120.0 + 10 * k, 0.6, 900.0 - 10 * k) for k in range(4)]
    script += [(800.0 + 10 * k, 0.6, 800.0 - 10 * k) for k in range(3)]
    messages = _run(book, script)
    assert _grades(messages) == [
        (WarningState.NEW, WarningGrade.WATCH),
        (WarningState.UPDATE, WarningGrade.WARNING),
    ]
    assert len({m.warning_id for m in messages}) == 1
    assert messages[0].priority == 3  # a watch never asks to act now


def test_a_course_held_long_enough_opens_a_warning_directly() -> None:
    book = WarningBook("BY", "PL", FRAME, AssessConfig())
    messages = _run(book, [(3600.0, 0.6, 900.0)] * 3)
    assert _grades(messages) == [(WarningState.NEW, WarningGrade.WARNING)]


def test_a_fading_warning_is_downgraded_then_cleared() -> None:
    cfg = AssessConfig()
    book = WarningBook("BY", "PL", FRAME, cfg)
    script = [(3600.0, 0.6, 900.0)] * 2
    script += [(3600.0, 0.15, 2500.0)] * (cfg.clear_cycles + 1)  # possible, not probable
    script += [(3600.0, 0.0, math.inf)] * (cfg.clear_cycles + 1)  # turned: no entry at all
    messages = _run(book, script)
    assert _grades(messages) == [
        (WarningState.NEW, WarningGrade.WARNING),
        (WarningState.UPDATE, WarningGrade.WATCH),
        (WarningState.TURNED_AWAY, WarningGrade.WATCH),
    ]
    # the all-clear comes on the clear_cycles-th assessment without an entry
    first_gone = 2 + cfg.clear_cycles + 1
    assert messages[-1].issued_s == pytest.approx(10.0 * (first_gone + cfg.clear_cycles - 1))


def test_below_the_watch_bar_nothing_opens() -> None:
    book = WarningBook("BY", "PL", FRAME, AssessConfig())
    assert _run(book, [(3600.0, 0.2, 2400.0)] * 5) == []


def test_the_partner_policy_sets_its_own_bars() -> None:
    policy = PolicySpec(watch_probability=0.1, warning_probability=0.3)
    cfg = partner_assessment(AssessConfig(), sharing_policy(policy))
    assert (cfg.watch_probability, cfg.min_probability) == (0.1, 0.3)
    book = WarningBook("BY", "PL", FRAME, cfg)
    messages = _run(book, [(3600.0, 0.2, 2400.0)] * 3)  # a watch to this partner
    assert _grades(messages) == [(WarningState.NEW, WarningGrade.WATCH)]
    with pytest.raises(ValueError, match="a watch is the lower bar"):
        PolicySpec(watch_probability=0.6, warning_probability=0.3)


def test_a_crosser_flying_with_a_watched_drone_warns_on_its_own() -> None:
    """Group membership must not hide a probable crossing behind a watch."""
    book = WarningBook("BY", "PL", FRAME, AssessConfig())
    lead = _track(0.0, 60.0)
    mate = dataclasses.replace(lead, track_id="BY-T2", north_m=500.0)
    out: list[Warning] = []
    for k in range(6):
        now = 10.0 * k
        tracks = [
            dataclasses.replace(lead, time_s=now, course_since_s=now - 60.0),
            dataclasses.replace(mate, time_s=now, course_since_s=now - 3600.0),
        ]
        preds: list[CrossingPrediction | None] = [
            _pred(now, 0.6, 900.0),
            dataclasses.replace(_pred(now, 0.6, 900.0), track_id="BY-T2"),
        ]
        out += book.assess(now, tracks, preds, [])
    warned = {m.track_id for m in out if m.grade is WarningGrade.WARNING}
    assert "BY-T2" in warned


@pytest.mark.parametrize(
    ("recede_m_per_cycle", "closes_after"),
    [(200.0, AssessConfig().away_cycles), (0.0, AssessConfig().clear_cycles)],
)
def test_flying_away_is_cleared_sooner_than_doubt(
    recede_m_per_cycle: float, closes_after: int
) -> None:
    """Once a warned track's course no longer enters at all: flying away from the border
    (200 m further each 10 s cycle at 40 m/s, a course 30 degrees off the border line) is an
    all-clear after ``away_cycles``; flying along it, only after ``clear_cycles``."""
    book = WarningBook("BY", "PL", FRAME, AssessConfig())
    opened: list[Warning] = []
    for k in range(3):
        pred = dataclasses.replace(_pred(10.0 * k, 0.8, 600.0 - 10 * k), distance_m=20_000.0)
        opened += book.assess(10.0 * k, [_track(10.0 * k, 3600.0)], [pred], [])
    assert [m.state for m in opened] == [WarningState.NEW]
    closed: list[Warning] = []
    for k in range(1, 12):
        now = 20.0 + 10.0 * k
        pred = dataclasses.replace(
            _pred(now, 0.0, math.inf),
            p_geometric=0.0,
            distance_m=20_000.0 + recede_m_per_cycle * k,
        )
        closed = book.assess(now, [_track(now, 3600.0)], [pred], [])
        if closed:
            assert [m.state for m in closed] == [WarningState.TURNED_AWAY]
            assert k == closes_after
            break
    assert closed
