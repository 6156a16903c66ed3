"""The language of an answer: the first language the request's Accept-Language asks for that
Quarterdeck speaks (en, de), else the team's (settings.yaml `locale`). Numbers and dates in an
answer's words follow the team's locale either way.

The language lives in planning.i18n's context variable, set for one request at a time: by
`Speaking` around everything the API app does for a request (its routes, dependencies, and the
404, 405 and 422 answers of its exception handlers), and by `speaking` around a sign-in route.
Work a handler sends to the thread pool runs in a copy of the request's context, so it reads the
same language; two requests at once never see each other's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from planning import i18n

Handler = Callable[[Request], Awaitable[Response]]


def asked_language(header: str | None) -> str | None:
    """The language Quarterdeck speaks that an Accept-Language header prefers most ('de' for
    'de-CH, en;q=0.5'), None when it names none of them."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _sep, parameters = part.partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            key, _eq, value = parameter.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        code = tag.strip().replace("_", "-").split("-")[0].lower()
        if weight > 0 and i18n.known_language(code):
            ranked.append((-weight, position, code))
    return min(ranked)[2] if ranked else None


def answer_language(header: str | None) -> str:
    """The language to answer in: the one Accept-Language asks for, else the team's."""
    return asked_language(header) or i18n.team_language()


class Speaking:
    """ASGI middleware: each HTTP request is answered in its language (see module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with its language set, and unset it afterwards."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        code = answer_language(Headers(scope=scope).get("accept-language"))
        with i18n.use_locale(code, formats=i18n.team_locale()):
            await self.app(scope, receive, send)


def speaking(handler: Handler) -> Handler:
    """A route handler that answers in the request's language."""

    async def run(request: Request) -> Response:
        code = answer_language(request.headers.get("accept-language"))
        with i18n.use_locale(code, formats=i18n.team_locale()):
            return await handler(request)

    run.__name__ = getattr(handler, "__name__", "handler")
    run.__doc__ = handler.__doc__
    return run
