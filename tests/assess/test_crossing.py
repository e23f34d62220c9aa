"""Crossing prediction and the warning lifecycle on hand-built tracks near the Bug river."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from dronewarn.assess.crossing import predict_crossings
from dronewarn.assess.lifecycle import AssessConfig, WarningBook
from dronewarn.domain.report import GeoPoint
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.domain.warning import Warning, WarningState
from dronewarn.geo.airspace import AirspaceMap


def _track(
    airspace: AirspaceMap,
    track_id: str,
    t: float,
    lat: float,
    lon: float,
    course_deg: float,
    speed: float = 40.0,
    cooperative: bool = False,
) -> TrackState:
    """A confirmed track that has held its course for an hour."""
    east, north = airspace.frame.to_plane(np.array([lat]), np.array([lon]))
    c = math.radians(course_deg)
    cov = np.diag([150.0**2, 150.0**2, 2.0**2, 2.0**2])
    return TrackState(
        track_id=track_id,
        time_s=t,
        status=TrackStatus.CONFIRMED,
        east_m=float(east[0]),
        north_m=float(north[0]),
        vel_east_mps=speed * math.sin(c),
        vel_north_mps=speed * math.cos(c),
        cov_enu=tuple(cov.ravel().tolist()),
        position=GeoPoint(lat, lon),
        quality=1.0,
        updates=20,
        course_since_s=t - 3600.0,
        cooperative=cooperative,
    )


def _advance(
    airspace: AirspaceMap, track: TrackState, dt: float, course_deg: float | None = None
) -> TrackState:
    course = (
        course_deg
        if course_deg is not None
        else math.degrees(math.atan2(track.vel_east_mps, track.vel_north_mps))
    )
    speed = track.speed_mps
    east = track.east_m + track.vel_east_mps * dt
    north = track.north_m + track.vel_north_mps * dt
    lat, lon = airspace.frame.from_plane(np.array([east]), np.array([north]))
    return _track(
        airspace, track.track_id, track.time_s + dt, float(lat[0]), float(lon[0]), course, speed
    )


def _cycle(
    book: WarningBook,
    airspace: AirspaceMap,
    tracks: list[TrackState],
    now: float,
    deleted: list[str] | None = None,
) -> list[Warning]:
    preds = predict_crossings(tracks, airspace, "POL", now, 3600.0)
    return book.assess(now, tracks, list(preds), deleted or [])


def test_straight_at_the_border_warns_with_entry_point_and_time(region: AirspaceMap) -> None:
    # 20 km east of Wlodawa, flying due west at 40 m/s: the Bug is ~4 km east of Wlodawa
    track = _track(region, "BY-T00001", 0.0, 51.549, 23.835, 270.0)
    pred = predict_crossings([track], region, "POL", 0.0, 3600.0)[0]
    assert pred.enters and not pred.inside_now and pred.p_geometric == 1.0
    # persistence: exp(-eta / 25 min) for the default time constant
    assert pred.probability == pytest.approx(math.exp(-pred.entry_time_s / 1500.0))
    lat, lon = region.frame.from_plane(
        np.array([pred.entry_east_m]), np.array([pred.entry_north_m])
    )
    assert abs(float(lat[0]) - 51.549) < 0.02
    assert 23.55 < float(lon[0]) < 23.66
    distance = (23.835 - float(lon[0])) * 111_320 * math.cos(math.radians(51.549))
    assert abs(pred.entry_time_s - distance / 40.0) < 30.0
    assert pred.earliest_s <= pred.entry_time_s <= pred.latest_s


def test_parallel_to_the_border_does_not_warn(region: AirspaceMap) -> None:
    book = WarningBook("BY", "PL", region.frame, AssessConfig())
    track = _track(region, "BY-T00002", 0.0, 51.70, 24.20, 0.0)  # due north, ~40 km east of the Bug
    for k in range(10):
        assert _cycle(book, region, [track], 10.0 * k) == []
        track = _advance(region, track, 10.0)


def test_lifecycle_new_update_then_crossed(region: AirspaceMap) -> None:
    book = WarningBook("BY", "PL", region.frame, AssessConfig())
    track = _track(region, "BY-T00003", 0.0, 51.549, 23.835, 270.0)
    messages: list[Warning] = []
    for k in range(70):
        course = 270.0 if k < 20 else 255.0  # a turn that moves the entry point: one UPDATE
        messages += _cycle(book, region, [track], 10.0 * k)
        track = _advance(region, track, 10.0, course)
    states = [m.state for m in messages]
    assert states[0] is WarningState.NEW
    assert states[-1] is WarningState.CROSSED
    assert WarningState.UPDATE in states
    assert len({m.warning_id for m in messages}) == 1
    assert [m.sequence for m in messages] == list(range(1, len(messages) + 1))
    assert messages[0].entry is not None and messages[-1].entry is None


def test_turning_away_closes_as_turned_away(region: AirspaceMap) -> None:
    book = WarningBook("BY", "PL", region.frame, AssessConfig())
    track = _track(region, "BY-T00004", 0.0, 51.549, 24.0, 270.0)
    messages: list[Warning] = []
    for k in range(30):
        course = 270.0 if k < 10 else 90.0
        messages += _cycle(book, region, [track], 10.0 * k)
        track = _advance(region, track, 10.0, course)
    assert [m.state for m in messages] == [WarningState.NEW, WarningState.TURNED_AWAY]


def test_deleted_track_closes_as_lost(region: AirspaceMap) -> None:
    book = WarningBook("BY", "PL", region.frame, AssessConfig())
    track = _track(region, "BY-T00005", 0.0, 51.549, 24.0, 270.0)
    _cycle(book, region, [track], 0.0)
    opened = _cycle(book, region, [track], 10.0)
    lost = _cycle(book, region, [], 20.0, deleted=["BY-T00005"])
    assert [m.state for m in opened] == [WarningState.NEW]
    assert [m.state for m in lost] == [WarningState.LOST]


def test_track_lost_while_turning_away_closes_as_turned_away(region: AirspaceMap) -> None:
    book = WarningBook("BY", "PL", region.frame, AssessConfig())
    track = _track(region, "BY-T00006", 0.0, 51.549, 24.0, 270.0)
    messages: list[Warning] = []
    for k in range(12):
        course = 270.0 if k < 10 else 90.0  # turns; two cycles without support
        messages += _cycle(book, region, [track], 10.0 * k)
        track = _advance(region, track, 10.0, course)
    messages += _cycle(book, region, [], 120.0, deleted=["BY-T00006"])
    assert [m.state for m in messages] == [WarningState.NEW, WarningState.TURNED_AWAY]


def test_cooperative_airliner_never_warns(region: AirspaceMap) -> None:
    """A track matched to ADS-B flies straight at Poland at airliner speed: no warning."""
    book = WarningBook("BY", "PL", region.frame, AssessConfig())
    track = _track(region, "BY-T00006", 0.0, 51.9, 24.6, 270.0, speed=230.0, cooperative=True)
    for k in range(30):
        assert _cycle(book, region, [track], 10.0 * k) == []
        moved = _advance(region, track, 10.0)
        track = _track(
            region,
            track.track_id,
            moved.time_s,
            moved.position.lat_deg,
            moved.position.lon_deg,
            270.0,
            speed=230.0,
            cooperative=True,
        )


def test_a_fresh_course_must_prove_itself_before_it_is_extrapolated(
    region: AirspaceMap,
) -> None:
    """Same position and velocity, 15 min from the border: a course held for an hour warns,
    a loitering drone's two-minute-old leg does not (yet)."""
    held = _track(region, "BY-T00007", 0.0, 51.6, 24.0, 270.0)
    fresh = dataclasses.replace(
        _track(region, "BY-T00008", 0.0, 51.6, 24.0, 270.0), course_since_s=-120.0
    )
    book = WarningBook("BY", "PL", region.frame, AssessConfig())
    messages = _cycle(book, region, [held, fresh], 0.0) + _cycle(book, region, [held, fresh], 10.0)
    assert [(m.track_id, m.state) for m in messages] == [("BY-T00007", WarningState.NEW)]


def test_crossed_needs_the_track_inside_by_more_than_its_error(region: AirspaceMap) -> None:
    """A warned track whose estimate is only just over the border (within two sigmas) keeps
    its warning; one clearly inside closes it as CROSSED."""
    book = WarningBook("BY", "PL", region.frame, AssessConfig())
    track = _track(region, "BY-T00007", 0.0, 51.549, 23.835, 270.0)
    now = 0.0
    while not any(w.state is WarningState.NEW for w in _cycle(book, region, [track], now)):
        now += 10.0
        track = _advance(region, track, 10.0)
        assert now < 600.0
    while not predict_crossings([track], region, "POL", now, 3600.0)[0].inside_now:
        now += 10.0
        track = _advance(region, track, 10.0)
        assert now < 3600.0
    just_in = predict_crossings([track], region, "POL", now, 3600.0)[0]
    depth = -float(
        region.signed_distance_m("POL", np.array([track.east_m]), np.array([track.north_m]))[0]
    )
    assert depth < 2 * 150.0 and not just_in.inside_surely  # 10 s at 40 m/s: < 400 m in
    assert not [w for w in _cycle(book, region, [track], now) if w.state.is_closing]
    closed: list[Warning] = []
    for _ in range(30):
        now += 10.0
        track = _advance(region, track, 10.0)
        closed = [w for w in _cycle(book, region, [track], now) if w.state.is_closing]
        if closed:
            break
    assert [w.state for w in closed] == [WarningState.CROSSED]
    depth = -float(
        region.signed_distance_m("POL", np.array([track.east_m]), np.array([track.north_m]))[0]
    )
    assert depth >= 2 * 150.0
