"""Who may call a route: the session cookie, the role it needs, and the same-origin rule.

Requests that change state must come from the page's own origin (``Origin`` header); the
WebSocket checks it too, so another site open in the operator's browser cannot act for them.
"""

# no ``from __future__ import annotations``: FastAPI reads the dependencies' annotations
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response

from dronewarn.api.auth import Role, Session, SessionBook


def same_origin(origin: str | None, host: str | None) -> bool:
    """The request comes from a page this server served (http or https on the same host)."""
    return (
        origin is not None and host is not None and origin in (f"http://{host}", f"https://{host}")
    )


class Access:
    """The session dependencies of one node's app: ``viewer``, ``operator``, ``admin``."""

    def __init__(self, sessions: SessionBook, node_id: str, *, secure_cookies: bool) -> None:
        self.sessions = sessions
        self.cookie = f"dronewarn_session_{node_id}"
        self._secure = secure_cookies
        self.viewer = self._role(Role.VIEWER)
        self.operator = self._role(Role.OPERATOR)
        self.admin = self._role(Role.ADMIN)

    def session_of(self, request: Request) -> Session:
        found = self.sessions.session(request.cookies.get(self.cookie))
        if found is None:
            raise HTTPException(401, "log in first")
        if request.method not in ("GET", "HEAD") and not same_origin(
            request.headers.get("origin"), request.headers.get("host")
        ):
            raise HTTPException(403, "requests that change state must come from this page")
        return found

    def _role(self, needed: Role) -> Callable[[Session], Session]:
        def check(session: Annotated[Session, Depends(self.session_of)]) -> Session:
            if session.role < needed:
                raise HTTPException(403, f"needs the {needed.label} role")
            return session

        return check

    def set_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(
            self.cookie,
            session.token,
            httponly=True,
            samesite="strict",
            secure=self._secure,
            path="/",
            max_age=int(self.sessions.ttl_s),
        )

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(self.cookie, path="/")
