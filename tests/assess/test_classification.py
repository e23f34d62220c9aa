"""Classification from speed, altitude and sensor hints; priorities and grouping."""

from __future__ import annotations

import math

import numpy as np

from dronewarn.assess.classification import classify
from dronewarn.assess.crossing import predict_crossings
from dronewarn.assess.lifecycle import AssessConfig, WarningBook
from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.domain.warning import WarningState
from dronewarn.geo.airspace import AirspaceMap


def _track(speed_kmh: float, alt_m: float | None = None, **extra: object) -> TrackState:
    cov = tuple(np.diag([200.0**2, 200.0**2, 2.0**2, 2.0**2]).ravel().tolist())
    return TrackState(
        "T",
        0.0,
        TrackStatus.CONFIRMED,
        0.0,
        0.0,
        speed_kmh / 3.6,
        0.0,
        cov,
        GeoPoint(52.0, 24.0, alt_m),
        1.0,
        20,
        **extra,  # type: ignore[arg-type]
    )


def test_speed_separates_the_classes() -> None:
    assert classify(_track(140)).object_class is ObjectClass.GERBERA
    assert classify(_track(175)).object_class is ObjectClass.SHAHED
    assert classify(_track(650)).object_class is ObjectClass.JET_DRONE
    assert classify(_track(30)).object_class is ObjectClass.BIRD_CLUTTER
    # gerbera and shahed overlap: kinematics alone is not sure of either
    assert classify(_track(158)).confidence < 0.7


def test_sensor_hints_and_cooperative_traffic() -> None:
    hinted = classify(_track(158), {ObjectClass.SHAHED: 0.9})
    assert hinted.object_class is ObjectClass.SHAHED and hinted.confidence > 0.7
    airliner = classify(_track(800, 11_000.0, cooperative=True))
    assert airliner.object_class is ObjectClass.CREWED and airliner.confidence > 0.9


def _moving(region: AirspaceMap, track_id: str, lat: float, lon: float, speed: float) -> TrackState:
    east, north = region.frame.to_plane(np.array([lat]), np.array([lon]))
    cov = tuple(np.diag([150.0**2, 150.0**2, 2.0**2, 2.0**2]).ravel().tolist())
    return TrackState(
        track_id,
        0.0,
        TrackStatus.CONFIRMED,
        float(east[0]),
        float(north[0]),
        -speed,
        0.0,
        cov,
        GeoPoint(lat, lon),
        1.0,
        20,
        course_since_s=-3600.0,
        object_class=ObjectClass.SHAHED if speed > 45 else ObjectClass.GERBERA,
    )


def test_drones_flying_together_share_one_warning(region: AirspaceMap) -> None:
    book = WarningBook("BY", "PL", region.frame, AssessConfig())
    lead = _moving(region, "BY-T1", 51.55, 23.95, 40.0)
    wing = _moving(region, "BY-T2", 51.56, 23.96, 40.0)
    alone = _moving(region, "BY-T3", 51.80, 23.95, 40.0)
    messages = []
    for k in range(4):
        tracks = [lead, wing, alone]
        preds = predict_crossings(tracks, region, "POL", 10.0 * k, 3600.0)
        messages += book.assess(10.0 * k, tracks, list(preds), [])
    news = [m for m in messages if m.state is WarningState.NEW]
    assert sorted(m.track_id for m in news) == ["BY-T1", "BY-T3"]
    assert book.open_count == 2
    later = book.assess(
        70.0,
        [lead, wing, alone],
        list(predict_crossings([lead, wing, alone], region, "POL", 70.0, 3600.0)),
        [],
    )
    grouped = [m for m in later if m.track_id == "BY-T1"]
    assert grouped and grouped[0].members == ("BY-T2",)


def test_priority_follows_time_to_entry_and_class(region: AirspaceMap) -> None:
    book = WarningBook("BY", "PL", region.frame, AssessConfig())
    near = _moving(region, "BY-T4", 51.55, 23.75, 40.0)  # a few minutes out
    far = _moving(region, "BY-T5", 51.80, 24.10, 40.0)  # about 15 minutes out, gerbera
    messages = []
    for k in range(2):
        preds = predict_crossings([near, far], region, "POL", 10.0 * k, 3600.0)
        messages += book.assess(10.0 * k, [near, far], list(preds), [])
    priority = {m.track_id: m.priority for m in messages}
    assert priority["BY-T4"] == 1
    assert priority["BY-T5"] == 2
    assert math.isfinite(messages[0].entry.sigma_major_m)  # type: ignore[union-attr]


def test_a_group_warning_passes_to_a_member_when_its_lead_is_lost(region: AirspaceMap) -> None:
    book = WarningBook("BY", "PL", region.frame, AssessConfig())
    lead = _moving(region, "BY-T1", 51.55, 23.95, 40.0)
    wing = _moving(region, "BY-T2", 51.56, 23.96, 40.0)
    messages = []
    for k in range(8):
        tracks = [lead, wing]
        preds = predict_crossings(tracks, region, "POL", 10.0 * k, 3600.0)
        messages += book.assess(10.0 * k, tracks, list(preds), [])
    (warning_id,) = {m.warning_id for m in messages}
    # the lead's track is deleted (merged into the wing's): no LOST, the wing carries on
    preds = predict_crossings([wing], region, "POL", 80.0, 3600.0)
    assert book.assess(80.0, [wing], list(preds), ["BY-T1"]) == []
    later = []
    for now in range(90, 200, 10):
        preds = predict_crossings([wing], region, "POL", float(now), 3600.0)
        later += book.assess(float(now), [wing], list(preds), [])
    update = later[0]  # once the update interval allows
    assert (update.warning_id, update.state, update.track_id) == (
        warning_id,
        WarningState.UPDATE,
        "BY-T2",
    )
    assert update.members == ()


def test_the_whole_picture_at_once_agrees_with_one_at_a_time() -> None:
    import dataclasses

    import numpy as np

    from dronewarn.assess.classification import classify_all

    rng = np.random.default_rng(3)
    base = _track(40.0)
    tracks = []
    for k in range(300):
        speed = float(rng.uniform(2.0, 250.0))
        alt = None if k % 3 == 0 else float(rng.uniform(50.0, 9000.0))
        hint = ((ObjectClass.SHAHED, float(rng.uniform(0, 1))),) if k % 5 == 0 else ()
        tracks.append(
            dataclasses.replace(
                base,
                vel_east_mps=speed,
                position=dataclasses.replace(base.position, alt_m=alt),
                class_evidence=hint,
                cooperative=k % 17 == 0,
            )
        )
    together = classify_all(tracks)
    for track, (cls, confidence) in zip(tracks, together, strict=True):
        alone = classify(track, dict(track.class_evidence))
        assert cls is alone.object_class
        assert abs(confidence - alone.confidence) < 1e-9
