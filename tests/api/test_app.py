"""The operator API over real nodes: roles, origins, commands reaching the partner, the
stream, replay history."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from dronewarn.api.picture import TRACK_FIELDS, TrackFlag
from tests.api.conftest import ORIGIN, PASSWORDS, Pictures


def client(pictures: Pictures, node_id: str, user: str | None = None) -> TestClient:
    c = TestClient(pictures.by_node[node_id].app)
    if user is not None:
        got = c.post("/api/login", json={"name": user, "password": PASSWORDS[user]}, headers=ORIGIN)
        assert got.status_code == 200, got.text
    return c


def viewer_routes(pictures: Pictures) -> list[str]:
    """Every GET under /api/ the app documents (the routers' routes, wherever mounted)."""
    paths = pictures.by_node["PL"].app.openapi()["paths"]
    return sorted(path for path, ops in paths.items() if "get" in ops and path.startswith("/api/"))


def test_every_api_read_needs_a_login(pictures: Pictures) -> None:
    anonymous = client(pictures, "PL")
    paths = viewer_routes(pictures)
    assert "/api/tracks" in paths and "/api/warnings" in paths and "/api/admin/accounts" in paths
    for path in paths:
        got = anonymous.get(path, params={"start_s": 0, "end_s": 1})
        assert got.status_code == 401, path
    for action in ("acknowledge", "rate", "confirm", "suppress"):
        got = anonymous.post(f"/api/warnings/x/{action}", json={}, headers=ORIGIN)
        assert got.status_code == 401, action
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        anonymous.websocket_connect("/api/stream", headers=ORIGIN) as ws,
    ):
        ws.receive_text()
    assert closed.value.code == 4401


def test_roles_are_enforced(pictures: Pictures) -> None:
    watcher = client(pictures, "PL", "watcher")
    assert watcher.get("/api/tracks").status_code == 200
    for action, body in (
        ("acknowledge", {}),
        ("rate", {"rating": "useful"}),
        ("confirm", {"reason": "seen"}),
        ("suppress", {"reason": "bird"}),
    ):
        got = watcher.post(f"/api/warnings/any/{action}", json=body, headers=ORIGIN)
        assert got.status_code == 403, action
        assert "operator" in got.json()["detail"]
    assert watcher.get("/api/admin/accounts").status_code == 403
    duty = client(pictures, "PL", "duty")
    assert duty.get("/api/admin/accounts").status_code == 403
    boss = client(pictures, "PL", "boss")
    listed = boss.get("/api/admin/accounts").json()["accounts"]
    assert {a["name"]: a["role"] for a in listed} == {
        "watcher": "viewer",
        "duty": "operator",
        "boss": "admin",
    }


def test_state_changes_must_come_from_the_page(pictures: Pictures) -> None:
    duty = client(pictures, "PL", "duty")
    got = duty.post("/api/warnings/any/acknowledge")
    assert got.status_code == 403
    got = duty.post("/api/warnings/any/acknowledge", headers={"Origin": "http://evil.example"})
    assert got.status_code == 403
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        duty.websocket_connect("/api/stream", headers={"Origin": "http://evil.example"}) as ws,
    ):
        ws.receive_text()
    assert closed.value.code == 4403
    login = TestClient(pictures.by_node["PL"].app).post(
        "/api/login", json={"name": "duty", "password": PASSWORDS["duty"]}
    )
    assert login.status_code == 403


def test_wrong_password_one_time_link_and_logout(pictures: Pictures) -> None:
    c = client(pictures, "BY")
    bad = c.post("/api/login", json={"name": "duty", "password": "nope"}, headers=ORIGIN)
    assert bad.status_code == 401
    assert c.get("/api/me").status_code == 401
    first = c.get("/login/once", params={"token": "one-time-token"}, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/"
    assert "HttpOnly" in first.headers["set-cookie"]
    assert "SameSite=strict" in first.headers["set-cookie"]
    assert c.get("/api/me").json() == {"user": "duty", "role": "operator", "node_id": "BY"}
    again = TestClient(pictures.by_node["BY"].app).get("/login/once?token=one-time-token")
    assert again.status_code == 401
    assert c.post("/api/logout", headers=ORIGIN).status_code == 200
    assert c.get("/api/me").status_code == 401


def test_node_map_tracks_and_sensors(pictures: Pictures) -> None:
    pl = client(pictures, "PL", "watcher")
    node = pl.get("/api/node").json()
    kinds = {f["properties"]["id"]: f["properties"]["kind"] for f in node["map"]["features"]}
    assert kinds["POL"] == "own" and kinds["BLR"] == "country" and kinds["LTU"] == "country"
    assert node["sensors"][0]["sensor_id"] == "pl-radar"
    assert node["track_fields"] == list(TRACK_FIELDS)
    tracks = pl.get("/api/tracks").json()
    assert tracks["fields"] == list(TRACK_FIELDS)
    for row in tracks["tracks"]:
        assert len(row) == len(TRACK_FIELDS)
        assert 49.0 < row[1] < 55.0 and 19.0 < row[2] < 30.0


def _wait(predicate: Any, timeout_s: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_acknowledging_at_pl_shows_at_by(pictures: Pictures) -> None:
    pl, by = client(pictures, "PL", "duty"), client(pictures, "BY", "watcher")
    incoming = [w for w in pl.get("/api/warnings").json()["warnings"] if w["direction"] == "in"]
    assert incoming, "BY warned PL in this scenario"
    target = incoming[-1]
    assert target["partner"] == "BY" and target["acknowledged_s"] is None
    got = pl.post(f"/api/warnings/{target['warning_id']}/acknowledge", headers=ORIGIN)
    assert got.status_code == 200, got.text
    assert got.json()["action"] == "rated received"
    rated = pl.post(
        f"/api/warnings/{target['warning_id']}/rate",
        json={"rating": "useful", "note": "saw it"},
        headers=ORIGIN,
    )
    assert rated.status_code == 200

    def at_by() -> dict[str, Any] | None:
        rows = by.get("/api/warnings").json()["warnings"]
        row = next(w for w in rows if w["warning_id"] == target["warning_id"])
        return row if row["rating"] == "useful" else None

    row = _wait(at_by)
    assert row["direction"] == "out"
    assert row["acknowledged_by"] == "duty"
    assert row["acknowledged_s"] is not None
    mine = next(
        w
        for w in pl.get("/api/warnings").json()["warnings"]
        if w["warning_id"] == target["warning_id"]
    )
    assert mine["rating"] == "useful" and mine["acknowledged_s"] is not None


def test_refused_commands_say_why(pictures: Pictures) -> None:
    pl = client(pictures, "PL", "duty")
    got = pl.post("/api/warnings/no-such-warning/acknowledge", headers=ORIGIN)
    assert got.status_code == 409
    assert "no-such-warning" in got.json()["detail"]
    bad = pl.post("/api/warnings/x/rate", json={"rating": "great"}, headers=ORIGIN)
    assert bad.status_code == 422
    by = client(pictures, "BY", "duty")
    closed = next(w for w in by.get("/api/warnings").json()["warnings"] if not w["open"])
    got = by.post(
        f"/api/warnings/{closed['warning_id']}/suppress", json={"reason": "x"}, headers=ORIGIN
    )
    assert got.status_code == 409


def test_admin_adds_an_account(pictures: Pictures) -> None:
    boss = client(pictures, "BY", "boss")
    weak = boss.post(
        "/api/admin/accounts",
        json={"name": "new", "role": "viewer", "password": "short"},
        headers=ORIGIN,
    )
    assert weak.status_code == 422
    made = boss.post(
        "/api/admin/accounts",
        json={"name": "night-shift", "role": "operator", "password": "a-long-password"},
        headers=ORIGIN,
    )
    assert made.status_code == 201
    c = TestClient(pictures.by_node["BY"].app)
    got = c.post(
        "/api/login", json={"name": "night-shift", "password": "a-long-password"}, headers=ORIGIN
    )
    assert got.json() == {"user": "night-shift", "role": "operator"}


def test_history_replays_the_night(pictures: Pictures) -> None:
    by = client(pictures, "BY", "watcher")
    span = by.get("/api/history/span").json()
    assert span["last_s"] - span["first_s"] > 3000.0
    frames = by.get(
        "/api/history", params={"start_s": span["first_s"], "end_s": span["last_s"] + 1}
    ).json()["frames"]
    times = [f["time_s"] for f in frames]
    assert times == sorted(times) and len(times) > 300  # a frame per radar scan (10 s)
    positions: dict[str, list[tuple[float, float]]] = {}
    for frame in frames:
        for row in frame["tracks"]:
            positions.setdefault(row[0], []).append((row[1], row[2]))
    moved = [p for p in positions.values() if len(p) > 10 and p[0] != p[-1]]
    assert len(moved) >= 3  # the three drones, seen moving
    assert by.get("/api/history", params={"start_s": 10, "end_s": 5}).status_code == 422
    early = by.get("/api/warnings", params={"at_s": span["first_s"]}).json()["warnings"]
    late = by.get("/api/warnings", params={"at_s": span["last_s"]}).json()["warnings"]
    assert len(early) < len(late)


def test_stream_sends_the_picture_then_changes(pictures: Pictures) -> None:
    pl = client(pictures, "PL", "watcher")
    with pl.websocket_connect("/api/stream", headers=ORIGIN) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["fields"] == list(TRACK_FIELDS)
        first = ws.receive_json()
        assert first["type"] == "batch" and first["reset"] is True
        assert "warnings" in first and "links" in first
        rows = first["upsert"]
        assert rows and all(len(r) == len(TRACK_FIELDS) for r in rows)
        partner = [r for r in rows if r[8] & TrackFlag.PARTNER]
        assert partner and all(str(r[0]).startswith("BY:") for r in partner)
    health = pl.get("/api/health").json()
    assert health["stream"]["messages"] >= 2 and health["stream"]["bytes"] > 0
    # the server notices the page leaving without waiting for a send to fail
    _wait(lambda: pl.get("/api/health").json()["stream"]["clients"] == 0)


def test_openapi_documents_the_api(pictures: Pictures) -> None:
    spec = client(pictures, "PL").get("/openapi.json").json()
    assert "/api/warnings/{warning_id}/acknowledge" in spec["paths"]
    assert "/api/history" in spec["paths"]


def test_pages_are_served_with_a_strict_policy(pictures: Pictures) -> None:
    c = client(pictures, "PL")
    page = c.get("/")
    assert page.status_code == 200 and "/vendor/leaflet/leaflet.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert c.get("/vendor/leaflet/leaflet.js").status_code == 200
    assert c.get("/static/app.js").status_code == 200
