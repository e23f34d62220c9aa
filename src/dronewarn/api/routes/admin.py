"""Accounts, for admins: ``GET|POST /api/admin/accounts``."""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations at run time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from dronewarn.api.auth import Role, Session
from dronewarn.api.routes.access import Access


class NewAccount(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    role: Literal["viewer", "operator", "admin"]
    password: str = Field(min_length=12, max_length=256)


def admin_routes(access: Access) -> APIRouter:
    router = APIRouter(tags=["admin"])
    sessions = access.sessions

    @router.get("/api/admin/accounts")
    def accounts(_: Annotated[Session, Depends(access.admin)]) -> dict[str, Any]:
        return {"accounts": [{"name": a.name, "role": a.role.label} for a in sessions.accounts()]}

    @router.post("/api/admin/accounts", status_code=201)
    def add_account(
        body: NewAccount, _: Annotated[Session, Depends(access.admin)]
    ) -> dict[str, Any]:
        try:
            account = sessions.add_account(body.name, Role.parse(body.role), body.password)
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from None
        return {"name": account.name, "role": account.role.label}

    return router
