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

Requests that change state must come from the page's own origin (``Origin`` header), and the
WebSocket checks it too: another site open in the operator's browser cannot act for them.
"""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations at run time
import asyncio
import json
import math
import queue
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.websockets import WebSocketDisconnect

from dronewarn.api.auth import LoginRefusedError, Role, Session, SessionBook
from dronewarn.api.board import BoardView, PictureBoard
from dronewarn.api.commands import CommandKind, CommandQueue, CommandRefusedError, OperatorCommand
from dronewarn.api.picture import LEAD_S, TRACK_FIELDS, PictureFrame, TrackFlag, delta
from dronewarn.api.stream_meter import StreamMeter
from dronewarn.api.warning_view import warning_rows
from dronewarn.domain.codec import finite_or_none, json_safe
from dronewarn.store.picture_history import PictureHistory


@dataclass(frozen=True)
class ApiConfig:
    stream_period_s: float = 1.0
    """How often the stream sends what changed (one batch per period)."""
    command_timeout_s: float = 10.0
    secure_cookies: bool = False
    """Mark the session cookie Secure (when served over TLS)."""


@dataclass(frozen=True)
class Operations:
    """What monitoring asks a node, without a login (``/healthz``, ``/readyz``,
    ``/metrics``): answers made by the node that owns the app."""

    health: Callable[[], dict[str, Any]]
    """Liveness: the node's loop is turning."""
    readiness: Callable[[], tuple[bool, dict[str, Any]]]
    """Readiness: listeners bound, link serving; with the details."""
    metrics: Callable[[], tuple[bytes, str]]
    """The Prometheus exposition (body, content type)."""


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


class Credentials(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Rating(BaseModel):
    rating: Literal["received", "useful", "not_useful", "false_alarm"]
    note: str = Field(default="", max_length=2000)


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class NewAccount(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    role: Literal["viewer", "operator", "admin"]
    password: str = Field(min_length=12, max_length=256)


def create_app(parts: ApiParts, config: ApiConfig | None = None) -> FastAPI:
    config = config or ApiConfig()
    board, sessions = parts.board, parts.sessions
    node_id = board.info.node_id
    cookie = f"dronewarn_session_{node_id}"
    meter = StreamMeter()
    app = FastAPI(
        title=f"dronewarn operator API ({node_id})",
        version="1",
        description="The operator picture of one dronewarn node.",
    )

    def session_of(request: Request) -> Session:
        found = sessions.session(request.cookies.get(cookie))
        if found is None:
            raise HTTPException(401, "log in first")
        if request.method not in ("GET", "HEAD") and not _same_origin(
            request.headers.get("origin"), request.headers.get("host")
        ):
            raise HTTPException(403, "requests that change state must come from this page")
        return found

    def role(needed: Role) -> Callable[[Session], Session]:
        def check(session: Annotated[Session, Depends(session_of)]) -> Session:
            if session.role < needed:
                raise HTTPException(403, f"needs the {needed.label} role")
            return session

        return check

    viewer, operator, admin = role(Role.VIEWER), role(Role.OPERATOR), role(Role.ADMIN)

    def set_cookie(response: Response, session: Session) -> None:
        response.set_cookie(
            cookie,
            session.token,
            httponly=True,
            samesite="strict",
            secure=config.secure_cookies,
            path="/",
            max_age=int(sessions.ttl_s),
        )

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        # nothing but this server: scripts, styles, images, connections
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "connect-src 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    # ------------------------------------------------------------------ operations

    ops = parts.operations
    if ops is not None:

        @app.get("/healthz", include_in_schema=True, tags=["operations"])
        def healthz() -> JSONResponse:
            body = ops.health()
            return JSONResponse(body, status_code=200 if body.get("live", True) else 503)

        @app.get("/readyz", tags=["operations"])
        def readyz() -> JSONResponse:
            ready, body = ops.readiness()
            return JSONResponse({"ready": ready, **body}, status_code=200 if ready else 503)

        @app.get("/metrics", tags=["operations"])
        def metrics() -> Response:
            body, content_type = ops.metrics()
            return Response(body, media_type=content_type)

    for path, endpoint in parts.extra_posts:
        app.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)

    # ------------------------------------------------------------------ pages and login

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(parts.web_dir / "index.html")

    app.mount("/static", StaticFiles(directory=parts.web_dir), name="static")
    app.mount("/vendor/leaflet", StaticFiles(directory=parts.leaflet_dir), name="leaflet")

    @app.post("/api/login")
    def login(credentials: Credentials, request: Request) -> JSONResponse:
        if not _same_origin(request.headers.get("origin"), request.headers.get("host")):
            raise HTTPException(403, "log in from this page")
        try:
            session = sessions.login(credentials.name, credentials.password)
        except LoginRefusedError as exc:
            raise HTTPException(401, str(exc)) from None
        response = JSONResponse({"user": session.user, "role": session.role.label})
        set_cookie(response, session)
        return response

    @app.get("/login/once", include_in_schema=False)
    def login_once(token: str) -> Response:
        try:
            session = sessions.redeem(token)
        except LoginRefusedError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=401)
        response = RedirectResponse("/", status_code=303)
        set_cookie(response, session)
        return response

    @app.post("/api/logout")
    def logout(session: Annotated[Session, Depends(viewer)]) -> JSONResponse:
        sessions.logout(session.token)
        response = JSONResponse({"ok": True})
        response.delete_cookie(cookie, path="/")
        return response

    @app.get("/api/me")
    def me(session: Annotated[Session, Depends(viewer)]) -> dict[str, Any]:
        return {"user": session.user, "role": session.role.label, "node_id": node_id}

    # ------------------------------------------------------------------ the picture

    @app.get("/api/node")
    def node(_: Annotated[Session, Depends(viewer)]) -> dict[str, Any]:
        info = board.info
        return {
            "node_id": info.node_id,
            "name": info.name,
            "country_iso3": info.country_iso3,
            "partners": list(info.partners),
            "centre": list(info.centre),
            "map": info.map_geojson,
            "sensors": list(info.sensors),
            "track_fields": list(TRACK_FIELDS),
            "track_flags": {str(flag.name).lower(): int(flag) for flag in TrackFlag},
            "lead_s": LEAD_S,
            "stream_period_s": config.stream_period_s,
        }

    @app.get("/api/tracks")
    def tracks(_: Annotated[Session, Depends(viewer)]) -> dict[str, Any]:
        frame = board.view().frame
        return {
            "time_s": finite_or_none(frame.time_s),
            "fields": TRACK_FIELDS,
            "tracks": frame.rows(),
        }

    @app.get("/api/warnings")
    def warnings(
        _: Annotated[Session, Depends(viewer)],
        at_s: Annotated[float | None, Query(description="replay moment")] = None,
    ) -> dict[str, Any]:
        view = board.view()
        return {"warnings": warning_rows(view.ledger, at_s)}

    @app.get("/api/feedback")
    def feedback(_: Annotated[Session, Depends(viewer)]) -> dict[str, Any]:
        ledger = board.view().ledger
        return {"feedback": list(ledger.feedback), "actions": list(ledger.actions)}

    @app.get("/api/partners")
    def partners(_: Annotated[Session, Depends(viewer)]) -> dict[str, Any]:
        view = board.view()
        return {"wall_s": view.wall_s, "partners": view.links}

    @app.get("/api/sensors")
    def sensors(_: Annotated[Session, Depends(viewer)]) -> dict[str, Any]:
        return {"sensors": list(board.info.sensors)}

    @app.get("/api/health")
    def health(_: Annotated[Session, Depends(viewer)]) -> dict[str, Any]:
        frame = board.view().frame
        return {
            "node_id": node_id,
            "time_s": finite_or_none(frame.time_s),
            "tracks": len(frame.tracks),
            "stream": meter.totals(),
        }

    @app.get("/api/history/span")
    def history_span(_: Annotated[Session, Depends(viewer)]) -> dict[str, Any]:
        span = parts.history.span()
        return (
            {"first_s": None, "last_s": None}
            if span is None
            else {
                "first_s": span[0],
                "last_s": span[1],
            }
        )

    @app.get("/api/history")
    def history(
        _: Annotated[Session, Depends(viewer)],
        start_s: float,
        end_s: float,
        limit: Annotated[int, Query(ge=1, le=5000)] = 2000,
    ) -> dict[str, Any]:
        if not (math.isfinite(start_s) and math.isfinite(end_s)) or end_s < start_s:
            raise HTTPException(422, "start_s and end_s must be finite, start_s <= end_s")
        frames = parts.history.frames(start_s, end_s, limit)
        return {"fields": TRACK_FIELDS, "frames": [{"time_s": t, "tracks": r} for t, r in frames]}

    # ------------------------------------------------------------------ operator actions

    async def command(kind: CommandKind, warning_id: str, session: Session, **extra: str) -> Any:
        try:
            return await parts.commands.run(
                OperatorCommand(kind, warning_id, session.user, **extra),
                config.command_timeout_s,
            )
        except CommandRefusedError as exc:
            raise HTTPException(409, str(exc)) from None
        except (TimeoutError, queue.Full):
            raise HTTPException(503, "the node did not answer in time") from None

    @app.post("/api/warnings/{warning_id}/acknowledge")
    async def acknowledge(warning_id: str, session: Annotated[Session, Depends(operator)]) -> Any:
        return await command(CommandKind.ACKNOWLEDGE, warning_id, session)

    @app.post("/api/warnings/{warning_id}/rate")
    async def rate(
        warning_id: str, body: Rating, session: Annotated[Session, Depends(operator)]
    ) -> Any:
        return await command(
            CommandKind.RATE, warning_id, session, rating=body.rating, note=body.note
        )

    @app.post("/api/warnings/{warning_id}/confirm")
    async def confirm(
        warning_id: str, body: Reason, session: Annotated[Session, Depends(operator)]
    ) -> Any:
        return await command(CommandKind.CONFIRM, warning_id, session, note=body.reason)

    @app.post("/api/warnings/{warning_id}/suppress")
    async def suppress(
        warning_id: str, body: Reason, session: Annotated[Session, Depends(operator)]
    ) -> Any:
        return await command(CommandKind.SUPPRESS, warning_id, session, note=body.reason)

    # ------------------------------------------------------------------ accounts

    @app.get("/api/admin/accounts")
    def accounts(_: Annotated[Session, Depends(admin)]) -> dict[str, Any]:
        return {"accounts": [{"name": a.name, "role": a.role.label} for a in sessions.accounts()]}

    @app.post("/api/admin/accounts", status_code=201)
    def add_account(body: NewAccount, _: Annotated[Session, Depends(admin)]) -> dict[str, Any]:
        try:
            account = sessions.add_account(body.name, Role.parse(body.role), body.password)
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from None
        return {"name": account.name, "role": account.role.label}

    # ------------------------------------------------------------------ live stream

    @app.websocket("/api/stream")
    async def stream(websocket: WebSocket) -> None:
        session = sessions.session(websocket.cookies.get(cookie))
        if session is None or not _same_origin(
            websocket.headers.get("origin"), websocket.headers.get("host")
        ):
            await websocket.close(code=4401 if session is None else 4403)
            return
        await websocket.accept()
        meter.opened()
        try:
            await _stream(websocket, board, config, meter)
        except (WebSocketDisconnect, OSError):
            pass  # the browser went away mid-send
        finally:
            meter.closed()

    return app


async def _stream(
    websocket: WebSocket, board: PictureBoard, config: ApiConfig, meter: StreamMeter
) -> None:
    """Hello, then per period one batch of what changed: track deltas, warnings, links."""

    async def send(message: dict[str, Any]) -> None:
        text = json.dumps(message, separators=(",", ":"), allow_nan=False)
        meter.sent(len(text.encode()))
        await websocket.send_text(text)

    async def until_closed() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass  # the page sends nothing; anything it does send is ignored

    closed = asyncio.create_task(until_closed())
    try:
        await _batches(send, board, config, closed)
    finally:
        closed.cancel()


async def _batches(
    send: Callable[[dict[str, Any]], Awaitable[None]],
    board: PictureBoard,
    config: ApiConfig,
    closed: asyncio.Task[None],
) -> None:
    node_id = board.info.node_id
    await send({"type": "hello", "node_id": node_id, "fields": TRACK_FIELDS})
    sent_frame: PictureFrame | None = None
    ledger_version = links_version = -1
    while not closed.done():
        view: BoardView = board.view()
        batch: dict[str, Any] = {"type": "batch", "time_s": finite_or_none(view.frame.time_s)}
        if view.frame is not sent_frame:
            change = delta(sent_frame, view.frame)
            batch["upsert"], batch["remove"] = change.upsert, change.remove
            batch["reset"] = sent_frame is None
            sent_frame = view.frame
        if view.ledger_version != ledger_version:
            ledger_version = view.ledger_version
            batch["warnings"] = warning_rows(view.ledger)
        if view.links_version != links_version:
            links_version = view.links_version
            batch["links"] = {"wall_s": view.wall_s, "partners": json_safe(view.links)}
        if len(batch) > 2:
            await send(batch)
        await asyncio.wait({closed}, timeout=config.stream_period_s)


def _same_origin(origin: str | None, host: str | None) -> bool:
    return (
        origin is not None
        and host is not None
        and origin
        in (
            f"http://{host}",
            f"https://{host}",
        )
    )
