"""Password sign-in's two HTTP steps, served beside the app (server.py) on the same port.

The app's sign-in form checks the password and sends the browser to /session/start with a
one-time code; that route exchanges it for a session token, keeps the token in an HttpOnly
cookie (scripts cannot read it) and sends the browser back to the app, which reads the cookie on
every page load. /session/end ends the session and clears the cookie (sign-out). Both answer 404
unless settings.yaml has auth.mode: password.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.routes import ApiContext, guarded
from planning.auth import (
    END_PATH,
    SESSION_COOKIE,
    START_PATH,
    end_session,
    safe_next,
    start_session,
)
from planning.store import session_scope

EXPIRED_FLAG = "signin=expired"


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return (forwarded or request.url.scheme) == "https"


def sign_in_routes(context: ApiContext) -> list[BaseRoute]:
    """The /session/start and /session/end routes, bound to a context (configuration, store)."""

    def password_mode() -> bool:
        return context.config.settings.auth.mode == "password"

    @guarded
    async def start(request: Request) -> Response:
        """Exchange a one-time code for a session cookie and go back to the app."""
        if not password_mode():
            return Response("Not found", status_code=404, media_type="text/plain")
        target = safe_next(request.query_params.get("next"))
        code = request.query_params.get("code", "")
        settings = context.config.settings.auth

        def exchange() -> str | None:
            with session_scope(context.engine) as session:
                return start_session(session=session, code=code, settings=settings)

        token = await run_in_threadpool(exchange)
        if token is None:
            joiner = "&" if "?" in target else "?"
            return RedirectResponse(f"{target}{joiner}{EXPIRED_FLAG}", status_code=303)
        reply = RedirectResponse(target, status_code=303)
        reply.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=settings.session_days * 86400,
            path="/",
            httponly=True,
            samesite="lax",
            secure=_secure(request),
        )
        reply.headers["Cache-Control"] = "no-store"
        return reply

    @guarded
    async def end(request: Request) -> Response:
        """End the session in the cookie, clear the cookie and go back to the app."""
        if not password_mode():
            return Response("Not found", status_code=404, media_type="text/plain")
        token = request.cookies.get(SESSION_COOKIE)

        def finish() -> None:
            with session_scope(context.engine) as session:
                end_session(session=session, token=token)

        if token:
            await run_in_threadpool(finish)
        reply = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        reply.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        reply.headers["Cache-Control"] = "no-store"
        return reply

    return [
        Route(START_PATH, start, methods=["GET"]),
        Route(END_PATH, end, methods=["GET"]),
    ]
