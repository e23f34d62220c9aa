"""The operator API of one node (FastAPI): pages, REST with OpenAPI, a live WebSocket.

Served on its own port, separate from the partner endpoint (which speaks only signed
messages over mutual TLS): operators and partners never share an entry point.

* ``GET /`` the operator picture (static page; the map and Leaflet come from this server);
* ``POST /api/login``, ``GET /login/once?token=`` (one-time link), ``POST /api/logout``;
* viewer: ``/api/me``, ``/api/node``, ``/api/tracks``, ``/api/warnings``, ``/api/partners``,
  ``/api/sensors``, ``/api/feedback``, ``/api/history/span``, ``/api/history``,
  ``/api/health``, and the stream ``/api/stream``;
* operator: ``POST /api/warnings/{id}/acknowledge|rate|confirm|suppress``;
* admin: ``GET|POST /api/admin/accounts``;
* without login, for monitoring: ``/healthz`` (live), ``/readyz`` (ready to serve: 503
  until listeners are bound and the link serves), ``/metrics`` (Prometheus).

The routes live in ``api.routes``, one module per resource (``login``, ``air_picture``,
``warning_actions``, ``admin``, ``stream``, ``operations``) with ``access`` saying who may call
them; this module composes them into one app.
"""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations at run time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from dronewarn.api.auth import SessionBook
from dronewarn.api.board import PictureBoard
from dronewarn.api.commands import CommandQueue
from dronewarn.api.routes.access import Access
from dronewarn.api.routes.admin import admin_routes
from dronewarn.api.routes.air_picture import air_picture_routes
from dronewarn.api.routes.login import login_routes
from dronewarn.api.routes.operations import Operations, operations_routes
from dronewarn.api.routes.stream import stream_routes
from dronewarn.api.routes.warning_actions import warning_action_routes
from dronewarn.api.stream_meter import StreamMeter
from dronewarn.store.picture_history import PictureHistory

_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; frame-ancestors 'none'"
)
"""Nothing but this server: scripts, styles, images, connections."""


@dataclass(frozen=True)
class ApiConfig:
    stream_period_s: float = 1.0
    """How often the stream sends what changed (one batch per period)."""
    command_timeout_s: float = 10.0
    secure_cookies: bool = False
    """Mark the session cookie Secure (when served over TLS)."""


@dataclass(frozen=True)
class ApiParts:
    """What the app serves, built by the node that owns it."""

    board: PictureBoard
    commands: CommandQueue
    sessions: SessionBook
    history: PictureHistory
    web_dir: Path
    leaflet_dir: Path
    operations: Operations | None = None
    extra_posts: tuple[tuple[str, Callable[..., Any]], ...] = ()
    """(path, endpoint) of other POST routes served here (a sightings endpoint)."""


def create_app(parts: ApiParts, config: ApiConfig | None = None) -> FastAPI:
    config = config or ApiConfig()
    node_id = parts.board.info.node_id
    access = Access(parts.sessions, node_id, secure_cookies=config.secure_cookies)
    meter = StreamMeter()
    app = FastAPI(
        title=f"dronewarn operator API ({node_id})",
        version="1",
        description="The operator picture of one dronewarn node.",
    )

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = _CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    if parts.operations is not None:
        app.include_router(operations_routes(parts.operations))
    for path, endpoint in parts.extra_posts:
        app.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(parts.web_dir / "index.html")

    app.mount("/static", StaticFiles(directory=parts.web_dir), name="static")
    app.mount("/vendor/leaflet", StaticFiles(directory=parts.leaflet_dir), name="leaflet")
    app.include_router(login_routes(access, node_id))
    app.include_router(
        air_picture_routes(access, parts.board, parts.history, meter, config.stream_period_s)
    )
    app.include_router(warning_action_routes(access, parts.commands, config.command_timeout_s))
    app.include_router(admin_routes(access))
    app.include_router(stream_routes(access, parts.board, meter, config.stream_period_s))
    return app


__all__ = ["ApiConfig", "ApiParts", "Operations", "create_app"]
