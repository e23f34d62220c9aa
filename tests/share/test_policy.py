"""The sharing policy: a property-based test that nothing outside it leaves the node."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.domain.warning import EntryPrediction, Warning, WarningGrade, WarningState
from dronewarn.share.envelope import schema_errors
from dronewarn.share.policy import PolicyGate, SharingPolicy, Withheld

lat = st.floats(-89.0, 89.0)
lon = st.floats(-179.0, 179.0)
warnings = st.builds(
    Warning,
    warning_id=st.just("BY-PL-W0001"),
    sequence=st.integers(1, 50),
    state=st.sampled_from(list(WarningState)),
    sender=st.just("BY"),
    recipient=st.just("PL"),
    track_id=st.just("BY-T1"),
    issued_s=st.floats(0.0, 1e5),
    track_position=st.builds(GeoPoint, lat, lon),
    track_speed_mps=st.floats(0.0, 300.0),
    track_course_deg=st.floats(0.0, 359.0),
    object_class=st.sampled_from(list(ObjectClass)),
    entry=st.one_of(
        st.none(),
        st.builds(
            EntryPrediction,
            st.builds(GeoPoint, lat, lon),
            st.floats(0, 1e5),
            st.floats(0, 1e5),
            st.floats(0, 1e5),
            st.floats(0, 1),
        ),
    ),
    area=st.sampled_from(["POL", "EPLB", "EP-R129"]),
    grade=st.sampled_from(list(WarningGrade)),
)
policies = st.builds(
    SharingPolicy,
    states=st.one_of(st.none(), st.frozensets(st.sampled_from(list(WarningState)))),
    classes=st.one_of(st.none(), st.frozensets(st.sampled_from(list(ObjectClass)))),
    areas=st.one_of(st.none(), st.frozensets(st.sampled_from(["POL", "EPLB", "EP-R129"]))),
    position_precision_deg=st.one_of(st.none(), st.sampled_from([0.01, 0.05, 0.1])),
    max_per_minute=st.one_of(st.none(), st.integers(1, 5)),
    grades=st.one_of(st.none(), st.frozensets(st.sampled_from(list(WarningGrade)))),
)


def _on_grid(value: float, step: float) -> bool:
    return math.isclose(value / step, round(value / step), abs_tol=1e-6)


@settings(max_examples=300, deadline=None)
@given(policies, st.lists(warnings, min_size=1, max_size=30))
def test_nothing_outside_the_policy_leaves(policy: SharingPolicy, batch: list[Warning]) -> None:
    gate = PolicyGate(policy)
    released: list[tuple[float, Warning]] = []
    opened: set[str] = set()
    first_news: list[float] = []
    for index, template in enumerate(batch):
        # a few warning chains, so that NEW, updates and closings of one warning meet the gate
        warning = dataclasses.replace(template, warning_id=f"W{index % 3}")
        now = 5.0 * index
        result = gate.apply(warning, now)
        if isinstance(result, Withheld):
            continue
        released.append((now, result))
        if warning.warning_id not in opened:
            # what reaches the partner about a warning it has not been told of fits every filter
            if policy.states is not None:
                assert result.state in policy.states
            if policy.classes is not None:
                assert result.object_class in policy.classes
            if policy.areas is not None:
                assert result.area in policy.areas
            if policy.grades is not None:
                assert result.grade in policy.grades
            if result.state is WarningState.NEW:
                first_news.append(now)
                opened.add(warning.warning_id)
        if result.state.is_closing:
            opened.discard(warning.warning_id)
        if policy.position_precision_deg is not None:
            step = policy.position_precision_deg
            assert _on_grid(result.track_position.lat_deg, step)
            assert _on_grid(result.track_position.lon_deg, step)
            assert result.track_position.alt_m is None
            if result.entry is not None:
                assert _on_grid(result.entry.point.lat_deg, step)
                assert _on_grid(result.entry.point.lon_deg, step)
    if policy.max_per_minute is not None:
        for t in first_news:
            assert sum(1 for u in first_news if t - 60.0 < u <= t) <= policy.max_per_minute


def _new(warning_id: str, area: str = "") -> Warning:
    return Warning(
        warning_id,
        1,
        WarningState.NEW,
        "BY",
        "PL",
        "T",
        0.0,
        GeoPoint(51.7, 24.1),
        40.0,
        270.0,
        ObjectClass.GERBERA,
        None,
        area=area,
    )


def test_everything_passes_unchanged_by_default() -> None:
    warning = _new("W")
    assert PolicyGate(SharingPolicy()).apply(warning, 0.0) is warning


def test_a_released_warning_always_closes_and_a_withheld_one_never_surfaces() -> None:
    base = _new("W1", area="POL")
    gate = PolicyGate(SharingPolicy(states=frozenset({WarningState.NEW, WarningState.UPDATE})))
    assert not isinstance(gate.apply(base, 0.0), Withheld)
    lost = dataclasses.replace(base, sequence=2, state=WarningState.LOST)
    assert not isinstance(gate.apply(lost, 10.0), Withheld)  # the partner hears it close
    limited = PolicyGate(SharingPolicy(max_per_minute=1))
    assert not isinstance(limited.apply(base, 0.0), Withheld)
    second = dataclasses.replace(base, warning_id="W2")
    assert isinstance(limited.apply(second, 1.0), Withheld)
    update = dataclasses.replace(second, sequence=2, state=WarningState.UPDATE)
    assert isinstance(limited.apply(update, 90.0), Withheld)  # never a chain without its NEW


track_policies = st.builds(
    SharingPolicy,
    classes=st.one_of(st.none(), st.frozensets(st.sampled_from(list(ObjectClass)))),
    position_precision_deg=st.one_of(st.none(), st.sampled_from([0.01, 0.05, 0.1])),
    kinds=st.one_of(st.none(), st.frozensets(st.sampled_from(["warning", "tracks"]))),
    tracks_within_km=st.floats(0.0, 200.0),
    track_fields=st.one_of(
        st.none(), st.frozensets(st.sampled_from(["sigma_m", "object_class", "cooperative"]))
    ),
)


def _track(k: int, object_class: ObjectClass, lat_deg: float, lon_deg: float) -> TrackState:
    return TrackState(
        track_id=f"T{k}",
        time_s=0.0,
        status=TrackStatus.CONFIRMED,
        east_m=0.0,
        north_m=0.0,
        vel_east_mps=-40.0,
        vel_north_mps=3.0,
        cov_enu=tuple(float(v) for v in np.diag([300.0**2, 300.0**2, 25.0, 25.0]).ravel()),
        position=GeoPoint(lat_deg, lon_deg, 800.0),
        quality=0.8,
        updates=10,
        object_class=object_class,
    )


@settings(max_examples=300, deadline=None)
@given(
    track_policies,
    st.lists(
        st.tuples(
            st.sampled_from(list(ObjectClass)), lat, lon, st.floats(0.0, 400.0), st.booleans()
        ),
        min_size=1,
        max_size=25,
    ),
)
def test_no_track_outside_the_policy_leaves(
    policy: SharingPolicy, picture: list[tuple[ObjectClass, float, float, float, bool]]
) -> None:
    tracks = [_track(k, c, la, lo) for k, (c, la, lo, _, _) in enumerate(picture)]
    distance = {f"T{k}": d for k, (_, _, _, d, _) in enumerate(picture)}
    warned = frozenset(f"T{k}" for k, (*_, w) in enumerate(picture) if w)
    release = PolicyGate(policy).apply_tracks(tracks, distance, warned, 100.0)
    out = [] if release.body is None else release.body["tracks"]
    assert len(out) + sum(release.withheld.values()) == len(tracks)  # every track accounted for
    if not policy.allows("tracks"):
        assert release.body is None
    fields = {"sigma_m", "object_class", "cooperative"}
    allowed = fields if policy.track_fields is None else set(policy.track_fields)
    for item in out:
        assert item["track_id"] in warned or distance[item["track_id"]] <= policy.tracks_within_km
        track = tracks[int(item["track_id"][1:])]
        if policy.classes is not None:
            assert track.object_class in policy.classes
        assert set(item) - {"track_id", "position", "speed_mps", "course_deg"} <= allowed
        if policy.position_precision_deg is not None:
            step = policy.position_precision_deg
            assert _on_grid(item["position"]["lat_deg"], step)
            assert _on_grid(item["position"]["lon_deg"], step)
            assert item["position"]["alt_m"] is None and "sigma_m" not in item
    if release.body is not None:  # and what leaves fits the message schema
        assert schema_errors(_payload("tracks", release.body)) == []


def _payload(kind: str, body: dict[str, object]) -> dict[str, object]:
    return {
        "v": 1,
        "id": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
        "kind": kind,
        "from": "BY",
        "to": "PL",
        "seq": 1,
        "iat": "2025-09-09T21:00:00Z",
        "exp": "2025-09-09T21:10:00Z",
        "body": body,
    }


def test_a_partner_sent_warnings_only_hears_of_an_upgraded_watch_as_its_new() -> None:
    gate = PolicyGate(SharingPolicy(grades=frozenset({WarningGrade.WARNING})))
    watch = dataclasses.replace(_new("W1"), grade=WarningGrade.WATCH)
    held = gate.apply(watch, 0.0)
    assert isinstance(held, Withheld) and held.reason == "grade watch not shared"
    upgrade = dataclasses.replace(
        watch, sequence=2, state=WarningState.UPDATE, grade=WarningGrade.WARNING
    )
    sent = gate.apply(upgrade, 10.0)
    assert isinstance(sent, Warning)
    assert (sent.state, sent.grade, sent.sequence) == (WarningState.NEW, WarningGrade.WARNING, 2)
    # once told, a downgrade is news to the partner too
    down = dataclasses.replace(upgrade, sequence=3, grade=WarningGrade.WATCH)
    assert isinstance(gate.apply(down, 20.0), Warning)
    # a watch that closes without ever being a warning is never heard of
    other = dataclasses.replace(_new("W2"), grade=WarningGrade.WATCH)
    assert isinstance(gate.apply(other, 0.0), Withheld)
    closed = dataclasses.replace(other, sequence=2, state=WarningState.TURNED_AWAY)
    assert isinstance(gate.apply(closed, 10.0), Withheld)
