"""The TAK output's picture: open warnings only, their times moved onto the wall clock."""

from __future__ import annotations

import math

from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.warning import EntryPrediction, Warning, WarningState
from dronewarn.formats.cot.tracks import CotOutConfig, warning_event
from dronewarn.node.tak_output import latest_open, shifted

NIGHT_S = 1_757_460_000.0  # a replayed night (2025)
WALL_S = 1_795_000_000.0  # now (2026)


def _warning(sequence: int, state: WarningState, warning_id: str = "W1") -> Warning:
    entry = EntryPrediction(
        GeoPoint(51.7, 23.55), NIGHT_S + 600.0, NIGHT_S + 500.0, NIGHT_S + 900.0, 0.8
    )
    return Warning(
        warning_id, sequence, state, "BY", "PL", "T1", NIGHT_S, GeoPoint(51.8, 24.0),
        40.0, 250.0, ObjectClass.GERBERA, None if state.is_closing else entry,
    )  # fmt: skip


def test_only_the_last_message_of_open_warnings_is_shown() -> None:
    shown = latest_open(
        [
            _warning(1, WarningState.NEW),
            _warning(2, WarningState.UPDATE),
            _warning(1, WarningState.NEW, "W2"),
            _warning(2, WarningState.CROSSED, "W2"),
        ]
    )
    assert [(w.warning_id, w.sequence) for w in shown] == [("W1", 2)]


def test_a_replayed_warning_is_stale_at_its_latest_entry_on_the_wall_clock() -> None:
    offset_s = WALL_S - NIGHT_S  # the node's clock is at the warning's issue time
    moved = shifted(_warning(1, WarningState.NEW), offset_s)
    assert moved.issued_s == WALL_S
    assert moved.entry is not None and math.isclose(moved.entry.latest_s, WALL_S + 900.0)
    event = warning_event(moved, CotOutConfig("PL"), WALL_S)
    assert event is not None and math.isclose(event.stale_s, WALL_S + 900.0)
    # without the shift, the warning would be stale the moment it is sent
    unshifted = warning_event(_warning(1, WarningState.NEW), CotOutConfig("PL"), WALL_S)
    assert unshifted is not None and unshifted.stale_s <= WALL_S
