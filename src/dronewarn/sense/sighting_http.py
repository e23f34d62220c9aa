"""HTTP endpoint for citizen sightings: ``POST /sightings`` (FastAPI app factory).

Spec: RFC 9110 (HTTP semantics): 202 Accepted (15.3.3), 401 with ``WWW-Authenticate``
(15.5.2, bearer scheme of RFC 6750 section 3), 413 Content Too Large (15.5.14), 422
Unprocessable Content (15.5.21); RFC 6585 section 4: 429 Too Many Requests with
``Retry-After`` (RFC 9110 section 10.2.3, whole seconds). The body is the JSON schema of
``dronewarn.formats.sighting``: one sighting object or a list of them.

Responses (JSON bodies):

======  ==========================================================  ============================
status  when                                                        body
======  ==========================================================  ============================
202     every sighting valid and within its reporter's rate         ``{"accepted": n}``
401     a token is configured and the request's bearer token        ``{"error": ...}``
        differs (compared in constant time)
413     the body exceeds ``max_body_bytes`` (read no further)       ``{"error": ...}``
422     not JSON, or any field of any sighting is wrong, or more    ``{"errors": [{"field",
        than ``burst`` sightings of one reporter: nothing is taken  "kind", "message"}, ...]}``
429     a reporter of the request is over its rate: nothing is      ``{"error": ...,
        taken; ``Retry-After`` says when all of it would pass       "retry_after_s": n}``
======  ==========================================================  ============================

The accepted Reports go to ``on_reports`` on the event loop: it must return quickly (put
them on the node's queue). Counters of every outcome are in ``app.state.sighting_counts``.
The node mounts this app (or serves it with uvicorn) behind TLS.
"""

from __future__ import annotations

import hmac
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from dronewarn.domain.errors import DecodeError, InputError
from dronewarn.domain.report import Report
from dronewarn.formats.sighting import (
    InvalidSightingsError,
    RateLimit,
    ReporterRateLimiter,
    SightingConfig,
    decode_sightings,
    to_report,
)

ReportSink = Callable[[list[Report]], None]


@dataclass(frozen=True, slots=True)
class SightingHttpConfig:
    """The endpoint: what it accepts and from whom."""

    sighting: SightingConfig
    rate: RateLimit = field(default_factory=RateLimit)
    bearer_token: str | None = None
    """When set, every request must carry ``Authorization: Bearer <token>``."""
    max_body_bytes: int = 65_536


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


SightingHandler = Callable[[Request], Awaitable[JSONResponse]]
RefusalSink = Callable[[list[InputError]], None]
"""Called with why a request was refused (every refused request, once)."""


class RequestRefusedError(InputError):
    """A request the endpoint answered with 401, 413 or 429 (its sender may try again)."""

    recorded = False

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


def create_sighting_app(
    config: SightingHttpConfig,
    on_reports: ReportSink,
    *,
    clock: Callable[[], float] = time.time,
    path: str = "/sightings",
    on_refused: RefusalSink | None = None,
) -> FastAPI:
    """The FastAPI app serving ``POST <path>``.

    ``clock`` gives POSIX UTC seconds: it judges sighting times (too old, in the future) and
    drives the per-reporter token buckets.
    """
    app = FastAPI(title="dronewarn sightings", docs_url=None, redoc_url=None, openapi_url=None)
    counts: Counter[str] = Counter()
    limiter = ReporterRateLimiter(config.rate, clock)
    app.state.sighting_counts = counts
    app.state.rate_limiter = limiter
    app.add_api_route(
        path,
        sighting_handler(config, on_reports, clock, counts, limiter, on_refused),
        methods=["POST"],
    )
    return app


def sighting_handler(
    config: SightingHttpConfig,
    on_reports: ReportSink,
    clock: Callable[[], float],
    counts: Counter[str],
    limiter: ReporterRateLimiter,
    on_refused: RefusalSink | None = None,
) -> SightingHandler:
    """The ``POST`` endpoint alone, for an app that serves other routes too (a node's
    operator API); every outcome is counted in ``counts``."""
    expected = None if config.bearer_token is None else f"Bearer {config.bearer_token}".encode()

    def refused(errors: list[InputError]) -> None:
        if on_refused is not None:
            on_refused(errors)

    async def post_sightings(request: Request) -> JSONResponse:
        if expected is not None:
            given = request.headers.get("authorization", "").encode("latin-1", "replace")
            if not hmac.compare_digest(given, expected):
                counts["unauthorized"] += 1
                refused([RequestRefusedError("unauthorized", "no valid bearer token")])
                return _error(401, "bearer token required", {"WWW-Authenticate": "Bearer"})
        body = await _read_body(request, config.max_body_bytes)
        if body is None:
            counts["too_large"] += 1
            refused([RequestRefusedError("too_large", "request body over the limit")])
            return _error(413, f"body larger than {config.max_body_bytes} bytes")
        now_s = clock()
        try:
            sightings = decode_sightings(body, config.sighting, now_s)
        except InvalidSightingsError as invalid:
            counts.update(e.kind for e in invalid.errors)
            refused(list(invalid.errors))
            return JSONResponse({"errors": [_describe(e) for e in invalid.errors]}, 422)
        except DecodeError as error:
            counts[error.kind] += 1
            refused([error])
            return JSONResponse({"errors": [_describe(error)]}, 422)
        demands = Counter(s.reporter_id for s in sightings)
        over = sorted(r for r, n in demands.items() if n > config.rate.burst)
        if over:
            counts["over_burst"] += 1
            refused([RequestRefusedError("over_burst", "too many sightings of one reporter")])
            message = f"at most {config.rate.burst} sightings per reporter in one request"
            return JSONResponse(
                {"errors": [{"field": "reporter", "kind": "over_burst", "message": message}]},
                422,
            )
        wait_s = limiter.admit(demands)
        if wait_s > 0.0:
            counts["rate_limited"] += 1
            refused([RequestRefusedError("rate_limited", "reporter over its rate")])
            retry = max(1, math.ceil(wait_s))
            return JSONResponse(
                {"error": "reporter over its rate", "retry_after_s": retry},
                429,
                headers={"Retry-After": str(retry)},
            )
        reports = [to_report(s, config.sighting) for s in sightings]
        on_reports(reports)
        counts["accepted"] += len(reports)
        return JSONResponse({"accepted": len(reports)}, 202)

    return post_sightings


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it (or its declared length) exceeds ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _describe(error: DecodeError) -> dict[str, str]:
    return {"field": error.field, "kind": error.kind, "message": str(error)}
