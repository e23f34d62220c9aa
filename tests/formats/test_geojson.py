"""GeoJSON output: valid RFC 7946 geometry that shapely reads back, values in the right place."""

from __future__ import annotations

import json
import math

import shapely.geometry

from dronewarn.domain.report import GeoPoint, ObjectClass
from dronewarn.domain.track import TrackState, TrackStatus
from dronewarn.domain.warning import EntryPrediction, Warning, WarningState
from dronewarn.formats.geojson import picture_collection, trajectory_collection

T0 = 1_757_460_000.0  # 2025-09-09T23:20:00Z


def _state(track_id: str, time_s: float, lat: float, alt_m: float | None) -> TrackState:
    cov = (400.0**2, 0.0, 0.0, 0.0, 0.0, 300.0**2, 0.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 4.0)
    return TrackState(
        track_id=track_id,
        time_s=time_s,
        status=TrackStatus.CONFIRMED,
        east_m=0.0,
        north_m=0.0,
        vel_east_mps=-30.0,
        vel_north_mps=-30.0,
        cov_enu=cov,
        position=GeoPoint(lat, 23.71234567891, alt_m),
        quality=0.9,
        updates=12,
        sensors=frozenset({"BY-R1", "BY-A1"}),
        object_class=ObjectClass.GERBERA,
        class_confidence=0.7,
    )


def _warning() -> Warning:
    return Warning(
        warning_id="BY-PL-7",
        sequence=2,
        state=WarningState.UPDATE,
        sender="BY",
        recipient="PL",
        track_id="T1",
        issued_s=T0,
        track_position=GeoPoint(52.3, 24.1, 900.0),
        track_speed_mps=40.0,
        track_course_deg=260.0,
        object_class=ObjectClass.GERBERA,
        entry=EntryPrediction(GeoPoint(52.25, 23.6), T0 + 600.0, T0 + 540.0, math.nan, 0.8),
    )


def test_picture_is_valid_geojson_with_lon_first() -> None:
    doc = picture_collection([_state("T1", T0, 52.3, 900.0)], [_warning()], "BY")
    doc = json.loads(json.dumps(doc, allow_nan=False))  # plain JSON, no NaN
    track, warning = doc["features"]
    point = shapely.geometry.shape(track["geometry"])
    assert (point.x, point.y, point.z) == (23.7123457, 52.3, 900.0)
    assert track["properties"]["time"] == "2025-09-09T23:20:00.000Z"
    assert track["properties"]["course_deg"] == 225.0
    assert track["properties"]["speed_mps"] == round(math.hypot(30.0, 30.0), 2)
    assert track["properties"]["sigma_m"] == round(math.sqrt((400.0**2 + 300.0**2) / 2), 1)
    assert track["properties"]["sensors"] == ["BY-A1", "BY-R1"]
    line = shapely.geometry.shape(warning["geometry"])
    assert list(line.coords) == [(24.1, 52.3), (23.6, 52.25)]
    assert warning["properties"]["entry_latest"] is None
    assert warning["properties"]["entry_earliest"] == "2025-09-09T23:29:00.000Z"


def test_unknown_height_gives_two_coordinates_and_no_prediction_no_feature() -> None:
    warning = _warning()
    closed = Warning(**{**{f: getattr(warning, f) for f in warning.__slots__}, "entry": None})
    doc = picture_collection([_state("T1", T0, 52.3, None)], [closed], "BY")
    assert len(doc["features"]) == 1
    assert doc["features"][0]["geometry"]["coordinates"] == [23.7123457, 52.3]


def test_trajectory_is_in_time_order_per_track() -> None:
    states = [_state("T2", T0 + 4, 52.0, None), _state("T1", T0 + 2, 52.1, None)]
    states.append(_state("T1", T0, 52.2, None))
    doc = trajectory_collection(states, "PL")
    keys = [(f["properties"]["track_id"], f["properties"]["time"]) for f in doc["features"]]
    assert keys == sorted(keys)
    assert len({f["id"] for f in doc["features"]}) == 3
