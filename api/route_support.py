"""What every route module uses: the bearer-token check behind each operation's scope, the time
box around a read, and the error answers the OpenAPI document lists."""

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.answers import (
    Refused,
    error,
    over_time,
)
from api.context import ApiContext
from api.models import (
    Error,
)
from planning import i18n
from planning.access.api_tokens import (
    SCOPES,
    TokenLapsed,
    authenticate,
    has_scope,
    note_use,
    stale_use,
)
from planning.i18n import gettext as _
from planning.store.engine import (
    session_scope,
)
from planning.store.models_access import ApiToken

PREFIX = "/api/v1"  # every route's path starts here
REALM = 'Bearer realm="quarterdeck"'

BEARER = HTTPBearer(
    scheme_name="bearer",
    description="Scopes: " + "; ".join(f"`{s}` to {what}" for s, what in SCOPES.items()),
    auto_error=False,  # the answers below say what is wrong with the header
)


def authorise(context: ApiContext, header: str | None, scope: str) -> ApiToken | Response:
    """The token behind an Authorization header if it grants `scope`, else the 401/403 answer."""
    if not header or not header.strip():
        return error(
            401,
            _("Send a bearer token: Authorization: Bearer <token>."),
            {"WWW-Authenticate": REALM},
        )
    scheme, _sep, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or " " in secret:
        return error(
            401,
            _("The Authorization header must be 'Bearer <token>'."),
            {"WWW-Authenticate": f'{REALM}, error="invalid_request"'},
        )
    try:
        with context.read_session() as session:
            token = authenticate(session=session, secret=secret)
    except TokenLapsed as exc:
        return error(
            403,
            _("{reason} It can no longer {what}; ask a director for a new token.").format(
                reason=exc, what=_(SCOPES[scope])
            ),
            {"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
        )
    if token is None:
        return error(
            401,
            _("The token is unknown or revoked."),
            {"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    if not has_scope(token, scope):
        return error(
            403,
            _("The token {name} does not grant {scope}.").format(
                name=repr(token.name), scope=scope
            ),
            {"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
            required_scope=scope,
        )
    if stale_use(token):
        assert token.id is not None
        with session_scope(context.engine) as session:
            note_use(session=session, token_id=token.id)
    return token


def token_for(context: ApiContext) -> Callable[..., ApiToken]:
    """The dependency that checks the bearer token against the scopes its operation declares
    (sync: FastAPI runs it in the thread pool, away from the event loop)."""

    def api_token(
        scopes: SecurityScopes,
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
    ) -> ApiToken:
        [scope] = scopes.scopes
        answer = authorise(context, request.headers.get("authorization"), scope)
        if isinstance(answer, Response):
            raise Refused(answer)
        return answer

    return api_token


async def boxed(context: ApiContext, read: Callable[[], Any], what: str) -> Any:
    """Run a read in the thread pool, or answer 503 once it passes the request time box (the
    abandoned read writes nothing, so leaving it to finish on its own is safe)."""

    def in_team_words() -> Any:
        # Data answers read as they always have, in the team's language, whatever the request
        # asks for: Accept-Language picks the language of error details only.
        with i18n.use_locale(i18n.team_language(), formats=i18n.team_locale()):
            return read()

    try:
        return await asyncio.wait_for(
            run_in_threadpool(in_team_words), timeout=context.time_box_seconds
        )
    except TimeoutError:
        return over_time(context.time_box_seconds, what)


# --- the document ------------------------------------------------------------------------------


def answer(model: type[Any], description: str) -> dict[str, Any]:
    """An answer as the document lists it: its body's model and what it means."""
    return {"model": model, "description": description}


UNAVAILABLE = answer(
    Error,
    "The store cannot be reached or used (the detail says which store, what is wrong and what "
    "to do), or stayed locked; retry after Retry-After seconds.",
)
INTERNAL = answer(Error, "A bug in the server; the server log has the details.")
UNAUTHORISED = answer(
    Error, "No bearer token, a malformed Authorization header, or an unknown or revoked token."
)
FORBIDDEN = answer(
    Error,
    "The token lacks the scope this operation needs, or the director who created it is no "
    "longer an active director.",
)


async def boxed_json(context: ApiContext, read: Callable[[], Any], what: str) -> Response:
    """A read's result as JSON, run as ``boxed`` runs it (a 503 once past the time box)."""
    found = await boxed(context, read, what)
    return found if isinstance(found, Response) else JSONResponse(found)


def token_answers(
    own: dict[int, dict[str, Any]] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """The documented answers of an operation behind a token: 401, 403, 500 and 503, plus the
    operation's own, in status order."""
    found = {401: UNAUTHORISED, 403: FORBIDDEN, 500: INTERNAL, 503: UNAVAILABLE, **(own or {})}
    return {status: found[status] for status in sorted(found)}
