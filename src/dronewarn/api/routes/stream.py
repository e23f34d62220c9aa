"""The live picture over a WebSocket, ``/api/stream``: a hello, then per period one batch of
what changed (track deltas, the warnings, the partner links)."""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations at run time
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from dronewarn.api.board import BoardView, PictureBoard
from dronewarn.api.picture import TRACK_FIELDS, PictureFrame, delta
from dronewarn.api.routes.access import Access, same_origin
from dronewarn.api.stream_meter import StreamMeter
from dronewarn.api.warning_view import warning_rows
from dronewarn.domain.codec import finite_or_none, json_safe


def stream_routes(
    access: Access, board: PictureBoard, meter: StreamMeter, period_s: float
) -> APIRouter:
    router = APIRouter(tags=["picture"])

    @router.websocket("/api/stream")
    async def stream(websocket: WebSocket) -> None:
        session = access.sessions.session(websocket.cookies.get(access.cookie))
        if session is None or not same_origin(
            websocket.headers.get("origin"), websocket.headers.get("host")
        ):
            await websocket.close(code=4401 if session is None else 4403)
            return
        await websocket.accept()
        meter.opened()
        try:
            await _stream(websocket, board, period_s, meter)
        except (WebSocketDisconnect, OSError):
            pass  # the browser went away mid-send
        finally:
            meter.closed()

    return router


async def _stream(
    websocket: WebSocket, board: PictureBoard, period_s: float, meter: StreamMeter
) -> None:
    async def send(message: dict[str, Any]) -> None:
        text = json.dumps(message, separators=(",", ":"), allow_nan=False)
        meter.sent(len(text.encode()))
        await websocket.send_text(text)

    async def until_closed() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass  # the page sends nothing; anything it does send is ignored

    closed = asyncio.create_task(until_closed())
    try:
        await _batches(send, board, period_s, closed)
    finally:
        closed.cancel()


async def _batches(
    send: Callable[[dict[str, Any]], Awaitable[None]],
    board: PictureBoard,
    period_s: float,
    closed: asyncio.Task[None],
) -> None:
    await send({"type": "hello", "node_id": board.info.node_id, "fields": TRACK_FIELDS})
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
        await asyncio.wait({closed}, timeout=period_s)
