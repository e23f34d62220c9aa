"""Deltas carry a client from one frame to the next exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dronewarn.api.picture import PictureFrame, TrackRow, apply_delta, delta

rows = st.dictionaries(
    st.sampled_from([f"T{i}" for i in range(12)]),
    st.tuples(st.floats(50, 53, allow_nan=False), st.integers(0, 3)),
    max_size=12,
)


def frame(time_s: float, found: dict[str, tuple[float, int]]) -> PictureFrame:
    return PictureFrame(time_s, {k: (k, lat, flags) for k, (lat, flags) in found.items()})


@given(rows, rows)
def test_a_delta_turns_one_frame_into_the_next(before: dict, after: dict) -> None:  # type: ignore[type-arg]
    old, new = frame(1.0, before), frame(2.0, after)
    client: dict[str, TrackRow] = dict(old.tracks)
    change = delta(old, new)
    apply_delta(client, change)
    assert client == dict(new.tracks)
    unchanged = {k for k in before.keys() & after.keys() if before[k] == after[k]}
    assert not unchanged & {str(r[0]) for r in change.upsert}  # only changes travel


def test_the_first_delta_is_the_whole_frame() -> None:
    new = frame(5.0, {"A": (51.0, 0)})
    change = delta(None, new)
    assert change.upsert == [("A", 51.0, 0)] and change.remove == []
    assert change.to_message()["time_s"] == 5.0
