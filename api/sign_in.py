"""Password sign-in and sign-out, served beside the app (server.py) on the same port.

The app's sign-in page is a plain HTML form that posts the email and password to
/session/sign-in. That route checks them (planning.access.passwords, with its throttle on wrong
passwords),
keeps a new session token in an HttpOnly cookie (scripts cannot read it) and sends the browser
back to the app, which reads the cookie on every page load. A refusal goes back to the form with
the reason in the address (?signin=refused, or ?signin=wait&retry=SECONDS). No code or token ever
travels in an address, so there is nothing to replay from another browser.

/session/end ends the session and clears the cookie (sign-out). Both routes take POST only, and
only from the app's own pages (the Origin, or failing that the Referer, must name this host):
another site cannot sign a visitor out, or into an account of its choosing. Both answer 404
unless settings.yaml has auth.mode: password.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.answers import guarded
from api.context import ApiContext
from api.language import speaking
from planning.access.passwords import (
    END_PATH,
    SESSION_COOKIE,
    SIGN_IN_PATH,
    attempt_sign_in,
    end_session,
    safe_next,
    start_session,
)
from planning.i18n import gettext as _
from planning.store.engine import session_scope

REFUSED_FLAG = "signin=refused"
WAIT_FLAG = "signin=wait"
MAX_FORM_BYTES = 8192


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return (forwarded or request.url.scheme) == "https"


def same_origin(request: Request) -> bool:
    """Whether a request comes from a page of this host (its Origin, else its Referer, says so).

    A request with neither header is refused: browsers send Origin with every form POST.
    """
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    netloc = urlsplit(source).netloc.lower()
    hosts = {request.headers.get("host", "").lower()}
    forwarded = request.headers.get("x-forwarded-host", "").split(",")[0].strip().lower()
    if forwarded:
        hosts.add(forwarded)
    return bool(netloc) and netloc in hosts


async def _form(request: Request) -> dict[str, str] | None:
    """A urlencoded form body's fields (the first value of each), None when unreadable."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: values[0] for name, values in fields.items()}


def _with_flag(target: str, flag: str) -> str:
    joiner = "&" if "?" in target else "?"
    return f"{target}{joiner}{flag}"


def _go(target: str) -> RedirectResponse:
    reply = RedirectResponse(target, status_code=303)
    reply.headers["Cache-Control"] = "no-store"
    return reply


def _refused(status: int, text: str) -> Response:
    return Response(text, status_code=status, media_type="text/plain")


def sign_in_routes(context: ApiContext) -> list[BaseRoute]:
    """The /session/sign-in and /session/end routes, bound to a context (configuration, store)."""

    def gate(request: Request, elsewhere: str) -> Response | None:
        """Both routes' refusal, or None: 404 unless sign-in is by password, 403 for a form
        posted from another site (`elsewhere` says where to post it from)."""
        if context.config.settings.auth.mode != "password":
            return _refused(404, _("Not found"))
        if not same_origin(request):
            return _refused(403, elsewhere)
        return None

    @speaking
    @guarded
    async def sign_in(request: Request) -> Response:
        """Check an email and password; on success set the session cookie and go to the app."""
        refused = gate(request, _("Sign in from Quarterdeck's own sign-in page."))
        if refused is not None:
            return refused
        form = await _form(request)
        if form is None:
            return _refused(400, _("The sign-in form could not be read."))
        target = safe_next(form.get("next"))
        settings = context.config.settings.auth

        def check() -> tuple[str | None, int]:
            with session_scope(context.engine) as session:
                outcome = attempt_sign_in(
                    session=session,
                    email=form.get("email", ""),
                    password=form.get("password", ""),
                    settings=settings,
                    client=request.client.host if request.client else None,
                )
                if not outcome.ok or outcome.code is None:
                    return None, outcome.retry_after
                # The one-time code is exchanged here and now: it never leaves the server.
                return start_session(session=session, code=outcome.code, settings=settings), 0

        token, retry_after = await run_in_threadpool(check)
        if token is None:
            flag = f"{WAIT_FLAG}&retry={retry_after}" if retry_after else REFUSED_FLAG
            return _go(_with_flag(target, flag))
        reply = _go(target)
        reply.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=settings.session_days * 86400,
            path="/",
            httponly=True,
            samesite="lax",
            secure=_secure(request),
        )
        return reply

    @speaking
    @guarded
    async def end(request: Request) -> Response:
        """End the session in the cookie, clear the cookie and go back to the app."""
        refused = gate(request, _("Sign out from Quarterdeck's own pages."))
        if refused is not None:
            return refused
        form = await _form(request) or {}
        token = request.cookies.get(SESSION_COOKIE)

        def finish() -> None:
            with session_scope(context.engine) as session:
                end_session(session=session, token=token)

        if token:
            await run_in_threadpool(finish)
        reply = _go(safe_next(form.get("next")))
        reply.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return reply

    return [
        Route(SIGN_IN_PATH, sign_in, methods=["POST"]),
        Route(END_PATH, end, methods=["POST"]),
    ]
