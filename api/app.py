"""The API's FastAPI app: its set-up (the document, the error answers, store failures as 503s)
and the route groups it is made of, mounted on the server's port by ``api_mount``.

Every answer is JSON. No token → 401, a token without the operation's scope → 403, a body that is
too large → 413, of another type → 415, with bad content → 422 listing every problem (nothing is
written). A store that cannot be reached or used → 503. Anything else unexpected is logged with its
traceback and answered 500 without details: a bug to fix, never a way to report bad input.

The server hands every /api/ request to this app (api_mount, in server.py's st.App routes), its
path unchanged, so the document names the paths clients call.

Route modules keep real annotations (no ``from __future__ import annotations``): FastAPI reads
each handler's parameters at run time.

To add a route: a module ``api/routes_<resource>.py`` with ``add_routes(app, context)`` (its
handlers, their scopes through ``api.route_support.token_for``, their documented answers), listed
in ``ROUTE_GROUPS`` below; its request and response models go in ``api/models.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import ASGIApp, Receive, Scope, Send

from api import routes_dependencies, routes_health, routes_observations, routes_okrs
from api.answers import error, guarded, problems
from api.context import ApiContext
from api.language import Speaking
from api.route_support import PREFIX
from planning.i18n import gettext as _

API_VERSION = "1.0.0"


class RouteGroup(Protocol):
    """A module of routes: adds them to the app and returns any schemas the document needs."""

    def add_routes(self, app: FastAPI, context: ApiContext) -> dict[str, Any]: ...


# The API's routes, one module per resource, in the order the document lists them.
ROUTE_GROUPS: tuple[RouteGroup, ...] = (
    routes_health,
    routes_observations,
    routes_okrs,
    routes_dependencies,
)


def api_app(context: ApiContext) -> FastAPI:
    """The API as a FastAPI app, bound to a context (configuration and store)."""
    app = FastAPI(
        title="Quarterdeck API",
        version=API_VERSION,
        description="Send metric observations in and read the quarter's OKRs. Write and read "
        "endpoints take a bearer token (`Authorization: Bearer qd_…`) created by a director in "
        "Admin or with `python -m planning token create`.",
        servers=[{"url": "/"}],
        openapi_url=None,  # served by the openapi route below, which the document lists
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # /api/v1/health/ is an unknown path, as it always was
        lifespan=context.lifespan,
    )

    class GuardedRoute(APIRoute):
        """A route whose store failures are 503s and whose bugs are logged 500s."""

        def get_route_handler(self) -> Callable[[Request], Any]:
            return guarded(super().get_route_handler(), context.failed)

    app.router.route_class = GuardedRoute
    schemas: dict[str, Any] = {}
    for group in ROUTE_GROUPS:
        schemas.update(group.add_routes(app, context))

    async def openapi() -> Response:
        """The OpenAPI 3.1 document describing these routes."""
        return JSONResponse(app.openapi())

    app.add_api_route(
        f"{PREFIX}/openapi.json",
        openapi,
        methods=["GET"],
        operation_id="openapi",
        summary="This document.",
        response_model=dict[str, Any],
        response_description="The OpenAPI 3.1 document.",
    )
    # GET routes answer HEAD too, as Starlette's routes do; the document lists GET only.
    for route in list(app.routes):
        if isinstance(route, APIRoute) and route.methods == {"GET"}:
            app.add_api_route(route.path, route.endpoint, methods=["HEAD"], include_in_schema=False)

    allowed: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, APIRoute):
            allowed.setdefault(route.path, set()).update(route.methods or ())

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            generated = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                servers=app.servers,
            )
            generated.setdefault("components", {}).setdefault("schemas", {}).update(schemas)
            app.openapi_schema = generated
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]

    async def http_error(request: Request, exc: Exception) -> Response:
        """Unknown /api paths get a JSON 404 and known ones a JSON 405 with Allow."""
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if exc.status_code == 404:
            return error(
                404,
                _("No API route {path}; see {document}.").format(
                    path=path, document=f"{PREFIX}/openapi.json"
                ),
            )
        if exc.status_code == 405 and path in allowed:
            methods = sorted(allowed[path])
            return error(
                405,
                _("{method} is not allowed here; use {methods}.").format(
                    method=request.method, methods=", ".join(methods)
                ),
                {"Allow": ", ".join(methods)},
            )
        return error(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    async def invalid_request(request: Request, exc: Exception) -> Response:
        """A parameter FastAPI cannot read: the API's 422 body, not FastAPI's."""
        assert isinstance(exc, RequestValidationError)
        found = [
            {"parameter": ".".join(str(part) for part in e["loc"][1:]), "reason": e["msg"]}
            for e in exc.errors()
        ]
        return problems(_("The request cannot be read."), found)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_middleware(Speaking)
    return app


def api_routes(context: ApiContext) -> list[BaseRoute]:
    """The API's routes, bound to a context (configuration and store)."""
    return list(api_app(context).routes)


class PathPrefix(BaseRoute):
    """Hands every HTTP request under a path prefix to an ASGI app, its path unchanged.

    A Starlette Mount would show its app paths relative to the prefix; the API app routes and
    documents the paths clients call (/api/v1/...), so it is given the whole path.
    """

    def __init__(self, prefix: str, app: ASGIApp) -> None:
        self.path = prefix.rstrip("/") + "/"  # st.App checks paths against its reserved ones
        self.app = app

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """A full match for an HTTP request whose path starts with the prefix."""
        if scope["type"] == "http" and str(scope["path"]).startswith(self.path):
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        """The prefix names no routes of its own."""
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on."""
        await self.app(scope, receive, send)


def api_mount(context: ApiContext) -> BaseRoute:
    """The route server.py gives st.App: every /api/ request goes to the API app (whose JSON
    404 and 405 answer unknown API paths and methods rather than the app's page)."""
    return PathPrefix("/api/", api_app(context))
