"""Logging in and out: ``POST /api/login``, ``GET /login/once?token=`` (a one-time link),
``POST /api/logout``, ``GET /api/me``."""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations at run time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from dronewarn.api.auth import LoginRefusedError, Session
from dronewarn.api.routes.access import Access, same_origin


class Credentials(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


def login_routes(access: Access, node_id: str) -> APIRouter:
    router = APIRouter(tags=["login"])
    sessions = access.sessions

    @router.post("/api/login")
    def login(credentials: Credentials, request: Request) -> JSONResponse:
        if not same_origin(request.headers.get("origin"), request.headers.get("host")):
            raise HTTPException(403, "log in from this page")
        try:
            session = sessions.login(credentials.name, credentials.password)
        except LoginRefusedError as exc:
            raise HTTPException(401, str(exc)) from None
        response = JSONResponse({"user": session.user, "role": session.role.label})
        access.set_cookie(response, session)
        return response

    @router.get("/login/once", include_in_schema=False)
    def login_once(token: str) -> Response:
        try:
            session = sessions.redeem(token)
        except LoginRefusedError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=401)
        response = RedirectResponse("/", status_code=303)
        access.set_cookie(response, session)
        return response

    @router.post("/api/logout")
    def logout(session: Annotated[Session, Depends(access.viewer)]) -> JSONResponse:
        sessions.logout(session.token)
        response = JSONResponse({"ok": True})
        access.clear_cookie(response)
        return response

    @router.get("/api/me")
    def me(session: Annotated[Session, Depends(access.viewer)]) -> dict[str, Any]:
        return {"user": session.user, "role": session.role.label, "node_id": node_id}

    return router
