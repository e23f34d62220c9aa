"""The picture, for viewers: ``/api/node``, ``/api/tracks``, ``/api/warnings``,
``/api/feedback``, ``/api/partners``, ``/api/sensors``, ``/api/health``, and the replay's
``/api/history/span`` and ``/api/history``."""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations at run time
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from dronewarn.api.auth import Session
from dronewarn.api.board import PictureBoard
from dronewarn.api.picture import LEAD_S, TRACK_FIELDS, TrackFlag
from dronewarn.api.routes.access import Access
from dronewarn.api.stream_meter import StreamMeter
from dronewarn.api.warning_view import warning_rows
from dronewarn.domain.codec import finite_or_none
from dronewarn.store.picture_history import PictureHistory


def air_picture_routes(
    access: Access,
    board: PictureBoard,
    history: PictureHistory,
    meter: StreamMeter,
    stream_period_s: float,
) -> APIRouter:
    router = APIRouter(tags=["picture"])
    viewer = Depends(access.viewer)

    @router.get("/api/node")
    def node(_: Annotated[Session, viewer]) -> dict[str, Any]:
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
            "stream_period_s": stream_period_s,
        }

    @router.get("/api/tracks")
    def tracks(_: Annotated[Session, viewer]) -> dict[str, Any]:
        frame = board.view().frame
        return {
            "time_s": finite_or_none(frame.time_s),
            "fields": TRACK_FIELDS,
            "tracks": frame.rows(),
        }

    @router.get("/api/warnings")
    def warnings(
        _: Annotated[Session, viewer],
        at_s: Annotated[float | None, Query(description="replay moment")] = None,
    ) -> dict[str, Any]:
        return {"warnings": warning_rows(board.view().ledger, at_s)}

    @router.get("/api/feedback")
    def feedback(_: Annotated[Session, viewer]) -> dict[str, Any]:
        ledger = board.view().ledger
        return {"feedback": list(ledger.feedback), "actions": list(ledger.actions)}

    @router.get("/api/partners")
    def partners(_: Annotated[Session, viewer]) -> dict[str, Any]:
        view = board.view()
        return {"wall_s": view.wall_s, "partners": view.links}

    @router.get("/api/sensors")
    def sensors(_: Annotated[Session, viewer]) -> dict[str, Any]:
        return {"sensors": list(board.info.sensors)}

    @router.get("/api/health")
    def health(_: Annotated[Session, viewer]) -> dict[str, Any]:
        frame = board.view().frame
        return {
            "node_id": board.info.node_id,
            "time_s": finite_or_none(frame.time_s),
            "tracks": len(frame.tracks),
            "stream": meter.totals(),
        }

    @router.get("/api/history/span")
    def history_span(_: Annotated[Session, viewer]) -> dict[str, Any]:
        span = history.span()
        if span is None:
            return {"first_s": None, "last_s": None}
        return {"first_s": span[0], "last_s": span[1]}

    @router.get("/api/history")
    def replay_frames(
        _: Annotated[Session, viewer],
        start_s: float,
        end_s: float,
        limit: Annotated[int, Query(ge=1, le=5000)] = 2000,
    ) -> dict[str, Any]:
        if not (math.isfinite(start_s) and math.isfinite(end_s)) or end_s < start_s:
            raise HTTPException(422, "start_s and end_s must be finite, start_s <= end_s")
        frames = history.frames(start_s, end_s, limit)
        return {"fields": TRACK_FIELDS, "frames": [{"time_s": t, "tracks": r} for t, r in frames]}

    return router
