"""What operators do with a warning: ``POST /api/warnings/{id}/acknowledge|rate|confirm|suppress``.

Each becomes an ``OperatorCommand`` on the node's queue; the node's loop acts on it and
answers (409 when it refuses, 503 when it does not answer in time)."""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations at run time
import queue
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from dronewarn.api.auth import Session
from dronewarn.api.commands import CommandKind, CommandQueue, CommandRefusedError, OperatorCommand
from dronewarn.api.routes.access import Access


class Rating(BaseModel):
    rating: Literal["received", "useful", "not_useful", "false_alarm"]
    note: str = Field(default="", max_length=2000)


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


def warning_action_routes(access: Access, commands: CommandQueue, timeout_s: float) -> APIRouter:
    router = APIRouter(tags=["warnings"])

    async def command(kind: CommandKind, warning_id: str, session: Session, **extra: str) -> Any:
        try:
            return await commands.run(
                OperatorCommand(kind, warning_id, session.user, **extra), timeout_s
            )
        except CommandRefusedError as exc:
            raise HTTPException(409, str(exc)) from None
        except (TimeoutError, queue.Full):
            raise HTTPException(503, "the node did not answer in time") from None

    @router.post("/api/warnings/{warning_id}/acknowledge")
    async def acknowledge(
        warning_id: str, session: Annotated[Session, Depends(access.operator)]
    ) -> Any:
        return await command(CommandKind.ACKNOWLEDGE, warning_id, session)

    @router.post("/api/warnings/{warning_id}/rate")
    async def rate(
        warning_id: str, body: Rating, session: Annotated[Session, Depends(access.operator)]
    ) -> Any:
        return await command(
            CommandKind.RATE, warning_id, session, rating=body.rating, note=body.note
        )

    @router.post("/api/warnings/{warning_id}/confirm")
    async def confirm(
        warning_id: str, body: Reason, session: Annotated[Session, Depends(access.operator)]
    ) -> Any:
        return await command(CommandKind.CONFIRM, warning_id, session, note=body.reason)

    @router.post("/api/warnings/{warning_id}/suppress")
    async def suppress(
        warning_id: str, body: Reason, session: Annotated[Session, Depends(access.operator)]
    ) -> Any:
        return await command(CommandKind.SUPPRESS, warning_id, session, note=body.reason)

    return router
