"""POST /sightings through FastAPI's TestClient: 202, 401, 413, 422, 429 with Retry-After."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dronewarn.domain.report import Report, SightingMeasurement
from dronewarn.formats.sighting import RateLimit, SightingConfig
from dronewarn.sense.sighting_http import SightingHttpConfig, create_sighting_app

NOW_S = 1757466153.0  # 2025-09-10T01:02:33Z
GOOD: dict[str, object] = {
    "v": 1,
    "reporter": "app-5f3c9a",
    "lat": 50.0,
    "lon": 30.0,
    "bearing_deg": 90.0,
    "elevation_deg": 10.0,
    "time": "2025-09-10T01:02:03.456Z",
}


class Clock:
    def __init__(self) -> None:
        self.now_s = NOW_S

    def __call__(self) -> float:
        return self.now_s


class Node:
    """What the node would do with accepted Reports: keep them."""

    def __init__(self) -> None:
        self.batches: list[list[Report]] = []

    def __call__(self, reports: list[Report]) -> None:
        self.batches.append(reports)


class Endpoint:
    def __init__(self, config: SightingHttpConfig) -> None:
        self.clock = Clock()
        self.node = Node()
        self.app = create_sighting_app(config, self.node, clock=self.clock)
        self.client = TestClient(self.app)

    def counts(self) -> dict[str, int]:
        return dict(self.app.state.sighting_counts)


def _config(**changes: object) -> SightingHttpConfig:
    base = SightingHttpConfig(SightingConfig("ua-eppo"), RateLimit(per_minute=6.0, burst=3))
    fields = {
        "sighting": base.sighting,
        "rate": base.rate,
        "bearer_token": base.bearer_token,
        "max_body_bytes": base.max_body_bytes,
        **changes,
    }
    return SightingHttpConfig(**fields)  # type: ignore[arg-type]


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    made = Endpoint(_config())
    with made.client:
        yield made


def test_one_sighting_is_accepted_and_reaches_the_node(endpoint: Endpoint) -> None:
    response = endpoint.client.post("/sightings", json=GOOD)
    assert response.status_code == 202 and response.json() == {"accepted": 1}
    ((report,),) = endpoint.node.batches
    assert report.sensor_id == "ua-eppo" and report.source == "sighting:app-5f3c9a"
    assert isinstance(report.measurement, SightingMeasurement)
    assert report.time_s == pytest.approx(1757466123.456)
    assert endpoint.counts() == {"accepted": 1}


def test_a_list_is_accepted_as_one_batch(endpoint: Endpoint) -> None:
    body = [GOOD, {**GOOD, "reporter": "app-2"}, {**GOOD, "reporter": "app-3", "seen": False}]
    response = endpoint.client.post("/sightings", json=body)
    assert response.status_code == 202 and response.json() == {"accepted": 3}
    assert [len(batch) for batch in endpoint.node.batches] == [3]


def test_invalid_fields_give_422_with_every_error_and_nothing_is_taken(endpoint: Endpoint) -> None:
    body = [GOOD, {**GOOD, "lat": 95.0, "time": "2025-09-10T01:02:03"}, {**GOOD, "v": 7}]
    response = endpoint.client.post("/sightings", json=body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["field"], e["kind"]) for e in errors] == [
        ("[1].lat", "bad_field"),
        ("[1].time", "bad_field"),
        ("[2].v", "unsupported"),
    ]
    assert all(e["message"].startswith(e["field"]) for e in errors)
    assert endpoint.node.batches == []
    assert endpoint.counts() == {"bad_field": 2, "unsupported": 1}


def test_stale_and_future_times_give_422(endpoint: Endpoint) -> None:
    stale = endpoint.client.post("/sightings", json={**GOOD, "time": "2025-09-10T00:40:00Z"})
    future = endpoint.client.post("/sightings", json={**GOOD, "time": "2025-09-10T01:10:00Z"})
    assert stale.status_code == future.status_code == 422
    assert stale.json()["errors"][0]["kind"] == future.json()["errors"][0]["kind"] == "bad_time"
    assert "old" in stale.json()["errors"][0]["message"]
    assert "future" in future.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b'{"v":1,', "truncated"), (b"hello", "bad_field"), (b"[]", "bad_field")],
)
def test_bodies_that_are_not_sightings_give_422(endpoint: Endpoint, body: bytes, kind: str) -> None:
    response = endpoint.client.post(
        "/sightings", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert [e["kind"] for e in response.json()["errors"]] == [kind]


def test_reporter_over_its_rate_gets_429_with_retry_after(endpoint: Endpoint) -> None:
    for _ in range(3):
        assert endpoint.client.post("/sightings", json=GOOD).status_code == 202
    refused = endpoint.client.post("/sightings", json=GOOD)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "10"  # 6 a minute: one token per 10 s
    assert refused.json() == {"error": "reporter over its rate", "retry_after_s": 10}
    assert endpoint.client.post("/sightings", json={**GOOD, "reporter": "app-2"}).status_code == 202
    endpoint.clock.now_s += 4.5
    assert endpoint.client.post("/sightings", json=GOOD).headers["retry-after"] == "6"
    endpoint.clock.now_s += 5.5
    assert endpoint.client.post("/sightings", json=GOOD).status_code == 202
    assert endpoint.counts() == {"accepted": 5, "rate_limited": 2}


def test_more_than_a_burst_from_one_reporter_in_one_request_is_422(endpoint: Endpoint) -> None:
    response = endpoint.client.post("/sightings", json=[GOOD] * 4)
    assert response.status_code == 422
    assert response.json()["errors"][0]["kind"] == "over_burst"
    assert endpoint.node.batches == []


def test_oversize_bodies_get_413_declared_or_streamed() -> None:
    endpoint = Endpoint(_config(max_body_bytes=1000))
    with endpoint.client:
        padded = json.dumps(GOOD).encode() + b" " * 1000
        declared = endpoint.client.post(
            "/sightings", content=padded, headers={"content-type": "application/json"}
        )
        assert declared.status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
            yield padded[:600]
            yield padded[600:]

        streamed = endpoint.client.post("/sightings", content=chunks())
        assert streamed.status_code == 413
        fits = endpoint.client.post("/sightings", content=json.dumps(GOOD).encode())
        assert fits.status_code == 202
        assert endpoint.counts() == {"too_large": 2, "accepted": 1}


def test_bearer_token_is_required_when_configured() -> None:
    endpoint = Endpoint(_config(bearer_token="s3cret-token"))
    with endpoint.client:
        missing = endpoint.client.post("/sightings", json=GOOD)
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        wrong = endpoint.client.post(
            "/sightings", json=GOOD, headers={"authorization": "Bearer s3cret-tokem"}
        )
        assert wrong.status_code == 401
        right = endpoint.client.post(
            "/sightings", json=GOOD, headers={"authorization": "Bearer s3cret-token"}
        )
        assert right.status_code == 202
        assert endpoint.counts() == {"unauthorized": 2, "accepted": 1}
        assert len(endpoint.node.batches) == 1
