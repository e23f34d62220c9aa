"""Monitoring without a login: ``/healthz`` (live), ``/readyz`` (503 until listeners are bound
and the link serves), ``/metrics`` (Prometheus)."""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations at run time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response


@dataclass(frozen=True)
class Operations:
    """What monitoring asks a node, answered by the node that owns the app."""

    health: Callable[[], dict[str, Any]]
    """Liveness: the node's loop is turning."""
    readiness: Callable[[], tuple[bool, dict[str, Any]]]
    """Readiness: listeners bound, link serving; with the details."""
    metrics: Callable[[], tuple[bytes, str]]
    """The Prometheus exposition (body, content type)."""


def operations_routes(ops: Operations) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    def healthz() -> JSONResponse:
        body = ops.health()
        return JSONResponse(body, status_code=200 if body.get("live", True) else 503)

    @router.get("/readyz")
    def readyz() -> JSONResponse:
        ready, body = ops.readiness()
        return JSONResponse({"ready": ready, **body}, status_code=200 if ready else 503)

    @router.get("/metrics")
    def metrics() -> Response:
        body, content_type = ops.metrics()
        return Response(body, media_type=content_type)

    return router
