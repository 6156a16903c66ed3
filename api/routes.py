"""The /api/v1 routes, built with FastAPI: health, observation import, OKR evaluation and the
OpenAPI document FastAPI generates from the routes and their pydantic models (api/models.py).

Every answer is JSON. No token → 401, a token without the operation's scope → 403, a body that is
too large → 413, of another type → 415, with bad content → 422 listing every problem (nothing is
written). A store that cannot be reached or used → 503. Anything else unexpected is logged with its
traceback and answered 500 without details: a bug to fix, never a way to report bad input.

The server hands every /api/ request to this app (api_mount, in server.py's st.App routes), its
path unchanged, so the document names the paths clients call.
"""

import asyncio
import hashlib
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import date
from functools import cached_property
from typing import Annotated, Any

from fastapi import FastAPI, Query, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from pydantic import Field, TypeAdapter
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import Engine, text
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import ASGIApp, Receive, Scope, Send

from api.answers import (
    Refused,
    count,
    error,
    guarded,
    over_time,
    problems,
)
from api.bodies import media_type, parse_json, read_body
from api.models import (
    PERIOD_PATTERN,
    DependencyReport,
    Error,
    ForecastQualityReport,
    Health,
    ImportResult,
    OkrReport,
    Problems,
    observation_model,
)
from api.okrs import dependencies_json, period_json, quality_json
from planning import clock
from planning.access.api_tokens import (
    READ_OKRS,
    SCOPES,
    WRITE_OBSERVATIONS,
    TokenLapsed,
    authenticate,
    has_scope,
    note_use,
    stale_use,
)
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig, load_config
from planning.metrics.completeness import freshness
from planning.metrics.import_file import SAMPLE_CSV, ImportFileError
from planning.metrics.import_records import import_records
from planning.metrics.importer import TimeBoxExceeded, import_observations
from planning.periods import FIRST_YEAR, LAST_YEAR, parse_quarter, quarter_of
from planning.sources.status import sources_health
from planning.startup.bootstrap import open_store
from planning.store.engine import (
    StoreError,
    alembic_config,
    database_url,
    read_engine,
    session_scope,
)
from planning.store.gate import StoreGate, StoreUnavailable, store_failure
from planning.store.models import ApiToken, Person

PREFIX = "/api/v1"
API_VERSION = "1.0.0"
MAX_BODY_BYTES = 50 * 1024 * 1024
# No request works longer than this: a read is abandoned (503), an import stops before its write.
TIME_BOX_SECONDS = 30.0
JSON_TYPES = frozenset({"application/json"})
CSV_TYPES = frozenset({"text/csv"})
SOURCE = "api"
REALM = 'Bearer realm="quarterdeck"'


class ApiContext:
    """What the routes work with: the configuration and the store, opened on first use.

    The server passes nothing and gets the configured store (migrated, demo data on a first
    start), through a StoreGate: a store that cannot be opened is tried again on a later request
    after a short back-off, never cached as failed. Tests pass their own configuration and engine.
    """

    def __init__(
        self,
        *,
        config: AppConfig | None = None,
        engine: Engine | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        time_box_seconds: float = TIME_BOX_SECONDS,
        today: Callable[[], date] = clock.today,
    ) -> None:
        self._config = config
        self._engine = engine
        self._gate: StoreGate | None = None
        self._lock = threading.Lock()
        self.max_body_bytes = max_body_bytes
        self.time_box_seconds = time_box_seconds
        self.today = today

    @property
    def config(self) -> AppConfig:
        """The validated configuration (loaded from config/ on first use)."""
        if self._config is None:
            with self._lock:
                if self._config is None:
                    self._config = load_config()
        return self._config

    @property
    def engine(self) -> Engine:
        """The store's engine (opened, migrated and seeded on first use); StoreError says why
        the store cannot be used."""
        if self._engine is not None:
            return self._engine
        return self.gate.engine()

    @property
    def gate(self) -> StoreGate:
        """What opens the configured store, and retries it after a failure."""
        if self._gate is None:
            config = self.config
            with self._lock:
                if self._gate is None:
                    url = database_url()
                    self._gate = StoreGate(lambda: open_store(config=config, url=url), url=url)
        return self._gate

    def failed(self, exc: BaseException) -> StoreUnavailable | None:
        """What an error met using the store says about it (None: nothing, a bug); the server's
        own store is then dropped, to be opened again after the back-off."""
        if self._engine is not None:
            return store_failure(exc, self._engine.url)
        return self.gate.failed(exc)

    @cached_property
    def expected_revision(self) -> str:
        """The newest migration this code knows."""
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        return str(head)

    @cached_property
    def document(self) -> dict[str, Any]:
        """The OpenAPI document FastAPI generates for this configuration."""
        return api_app(self).openapi()

    def close(self) -> None:
        """Release the store's connections if this context opened them."""
        if self._gate is not None:
            self._gate.close()

    @asynccontextmanager
    async def lifespan(self, _app: object) -> AsyncIterator[None]:
        """Open the store when the server starts (so the first request is fast) and close it.

        The server starts whatever state the store is in: pages and answers say why it cannot be
        used (the gate logs it) until it can."""
        with suppress(StoreError):  # the gate has logged why
            await run_in_threadpool(lambda: self.engine)
        try:
            yield None
        finally:
            self.close()


# --- tokens ------------------------------------------------------------------------------------

BEARER = HTTPBearer(
    scheme_name="bearer",
    description="Scopes: " + "; ".join(f"`{s}` to {what}" for s, what in SCOPES.items()),
    auto_error=False,  # the answers below say what is wrong with the header
)


def _authorise(context: ApiContext, header: str | None, scope: str) -> ApiToken | Response:
    """The token behind an Authorization header if it grants `scope`, else the 401/403 answer."""
    if not header or not header.strip():
        return error(
            401, "Send a bearer token: Authorization: Bearer <token>.", {"WWW-Authenticate": REALM}
        )
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or " " in secret:
        return error(
            401,
            "The Authorization header must be 'Bearer <token>'.",
            {"WWW-Authenticate": f'{REALM}, error="invalid_request"'},
        )
    try:
        with Session(read_engine(context.engine)) as session:
            token = authenticate(session=session, secret=secret)
    except TokenLapsed as exc:
        return error(
            403,
            f"{exc} It can no longer {SCOPES[scope]}; ask a director for a new token.",
            {"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
        )
    if token is None:
        return error(
            401,
            "The token is unknown or revoked.",
            {"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    if not has_scope(token, scope):
        return error(
            403,
            f"The token {token.name!r} does not grant {scope}.",
            {"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
            required_scope=scope,
        )
    if stale_use(token):
        assert token.id is not None
        with session_scope(context.engine) as session:
            note_use(session=session, token_id=token.id)
    return token


def _token_for(context: ApiContext) -> Callable[..., ApiToken]:
    """The dependency that checks the bearer token against the scopes its operation declares
    (sync: FastAPI runs it in the thread pool, away from the event loop)."""

    def api_token(
        scopes: SecurityScopes,
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
    ) -> ApiToken:
        [scope] = scopes.scopes
        answer = _authorise(context, request.headers.get("authorization"), scope)
        if isinstance(answer, Response):
            raise Refused(answer)
        return answer

    return api_token


async def _boxed(context: ApiContext, read: Callable[[], Any], what: str) -> Any:
    """Run a read in the thread pool, or answer 503 once it passes the request time box (the
    abandoned read writes nothing, so leaving it to finish on its own is safe)."""
    try:
        return await asyncio.wait_for(run_in_threadpool(read), timeout=context.time_box_seconds)
    except TimeoutError:
        return over_time(context.time_box_seconds, what)


# --- the document ------------------------------------------------------------------------------


def _answer(model: type[Any], description: str) -> dict[str, Any]:
    return {"model": model, "description": description}


UNAVAILABLE = _answer(
    Error,
    "The store cannot be reached or used (the detail says which store, what is wrong and what "
    "to do), or stayed locked; retry after Retry-After seconds.",
)
INTERNAL = _answer(Error, "A bug in the server; the server log has the details.")
UNAUTHORISED = _answer(
    Error, "No bearer token, a malformed Authorization header, or an unknown or revoked token."
)
FORBIDDEN = _answer(
    Error,
    "The token lacks the scope this operation needs, or the director who created it is no "
    "longer an active director.",
)


def _observations_body(context: ApiContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """The import's request body for the document, and the schemas it refers to.

    The handler reads the body itself (JSON or CSV, under the size limit), so FastAPI does not
    see a body parameter: the JSON form is described by the pydantic Observation model here."""
    observation = observation_model(context.config.metrics)
    body = Annotated[list[observation], Field(min_length=1)]  # type: ignore[valid-type]
    schema = TypeAdapter(body).json_schema(ref_template="#/components/schemas/{model}")
    components = schema.pop("$defs")
    request_body = {
        "required": True,
        "content": {
            "application/json": {"schema": schema},
            "text/csv": {"schema": {"type": "string"}, "example": SAMPLE_CSV},
        },
    }
    return request_body, components


# --- the app -----------------------------------------------------------------------------------


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
    api_token = _token_for(context)
    limit = f"{context.max_body_bytes / 1_000_000:g} MB"
    request_body, body_schemas = _observations_body(context)

    async def health() -> Response:
        """Status, latest observation day and whether the schema is current."""

        def check() -> dict[str, Any]:
            with Session(read_engine(context.engine)) as session:
                fresh = freshness(
                    session=session,
                    complete_after_hours=context.config.settings.metrics.complete_after_hours,
                )
                revision = session.execute(
                    text("SELECT version_num FROM alembic_version")
                ).scalar_one_or_none()
                sources = sources_health(session=session, config=context.config)
            expected = context.expected_revision
            ok = revision == expected
            return {
                "status": "ok" if ok and sources["ok"] else "degraded",
                "latest_observation_day": fresh.observed_day.isoformat()
                if fresh.observed_day
                else None,
                "last_import_at": fresh.last_import_at.isoformat()
                if fresh.last_import_at
                else None,
                "observations": fresh.observation_rows,
                "schema": {"ok": ok, "revision": revision, "expected": expected},
                "sources": sources,
            }

        answer = await _boxed(context, check, "checking the store")
        return answer if isinstance(answer, Response) else JSONResponse(answer)

    async def post_observations(
        request: Request,
        token: Annotated[ApiToken, Security(api_token, scopes=[WRITE_OBSERVATIONS])],
    ) -> Response:
        """Import a JSON list or a CSV body of observations, whole or not at all."""
        media, charset = media_type(request)
        if media not in JSON_TYPES | CSV_TYPES:
            shown = media or "no Content-Type"
            return error(415, f"Cannot import {shown}: send application/json or text/csv (UTF-8).")
        if charset and charset not in {"utf-8", "utf8"}:
            return error(415, f"Cannot read charset {charset}: send UTF-8.")
        deadline = time.monotonic() + context.time_box_seconds
        body = await read_body(request, context.max_body_bytes)
        if isinstance(body, Response):
            return body
        if media in JSON_TYPES:
            records = parse_json(body)
            if isinstance(records, Response):
                return records
            return await run_in_threadpool(_import_json, context, token, records, body, deadline)
        return await run_in_threadpool(_import_csv, context, token, body, deadline)

    async def okrs(
        _token: Annotated[ApiToken, Security(api_token, scopes=[READ_OKRS])],
        period: Annotated[
            str | SkipJsonSchema[None],
            Query(
                description="The quarter, e.g. 2026-Q4 (default: the current one), in the years "
                f"{FIRST_YEAR} to {LAST_YEAR}.",
                # Documented, not enforced here: parse_quarter below says what is wrong.
                json_schema_extra={"pattern": PERIOD_PATTERN, "examples": ["2026-Q4"]},
            ),
        ] = None,
    ) -> Response:
        """The quarter's objectives and key results, evaluated now."""
        fiscal_start = context.config.settings.fiscal_year_start_month
        if period is None:
            quarter = quarter_of(context.today(), fiscal_start)
        else:
            try:
                year, number = parse_quarter(period)
            except ValueError as exc:
                return problems(
                    "The period is not a quarter.", [{"parameter": "period", "reason": str(exc)}]
                )
            quarter = f"{year:04d}-Q{number}"

        def evaluate() -> dict[str, Any]:
            from planning.okrs.evaluation import period_goals

            with Session(read_engine(context.engine)) as session:
                evaluation = period_goals(
                    session=session, config=context.config, period=quarter, today=context.today()
                )
            return period_json(evaluation)

        answer = await _boxed(context, evaluate, "evaluating the quarter")
        return answer if isinstance(answer, Response) else JSONResponse(answer)

    async def forecast_quality(
        _token: Annotated[ApiToken, Security(api_token, scopes=[READ_OKRS])],
    ) -> Response:
        """How good the forecasts are: the backtest on the store's own past quarters."""

        def assess() -> dict[str, Any]:
            from planning.okrs.backtest import forecast_quality as backtest_quality
            from planning.okrs.evaluation_reads import data_as_of

            with Session(read_engine(context.engine)) as session:
                as_of = data_as_of(session=session, config=context.config, today=context.today())
                found = backtest_quality(session=session, config=context.config, as_of=as_of)
            return quality_json(found)

        answer = await _boxed(context, assess, "checking the forecasts")
        return answer if isinstance(answer, Response) else JSONResponse(answer)

    async def dependencies(
        _token: Annotated[ApiToken, Security(api_token, scopes=[READ_OKRS])],
    ) -> Response:
        """Every dependency between initiatives, with the late ones flagged."""

        def read() -> dict[str, Any]:
            from planning.work.dependencies import all_edges, late_pairs, work_of

            with Session(read_engine(context.engine)) as session:
                edges = all_edges(session=session)
                work = work_of(session=session, ids={i for edge in edges for i in edge})
            return dependencies_json(edges, work, late_pairs(work, edges))

        answer = await _boxed(context, read, "reading the dependencies")
        return answer if isinstance(answer, Response) else JSONResponse(answer)

    async def openapi() -> Response:
        """The OpenAPI 3.1 document describing these routes."""
        return JSONResponse(app.openapi())

    app.add_api_route(
        f"{PREFIX}/health",
        health,
        methods=["GET"],
        operation_id="health",
        summary="Is the server up, is the schema current, how fresh is the data?",
        response_model=Health,
        response_description="The server answers and the store is readable.",
        responses={500: INTERNAL, 503: UNAVAILABLE},
    )
    app.add_api_route(
        f"{PREFIX}/observations",
        post_observations,
        methods=["POST"],
        operation_id="importObservations",
        summary="Import observations: validated whole, written in one transaction, idempotent.",
        description="Send a JSON list of observations or a CSV in the interchange format "
        "(`date,measure,value` plus a column per dimension). Any bad row means nothing is "
        "written and every problem is listed. Rows already stored with the same value are left "
        "as they are, so repeating a request changes nothing. "
        f"Bodies over {limit} are refused.",
        response_model=ImportResult,
        response_description="Written: rows added, updated and left unchanged.",
        responses={
            401: UNAUTHORISED,
            403: FORBIDDEN,
            413: _answer(Error, f"The body is larger than {limit}."),
            415: _answer(Error, "The body is neither application/json nor text/csv."),
            422: _answer(Problems, "Every problem in the body; nothing written."),
            500: INTERNAL,
            503: UNAVAILABLE,
        },
        openapi_extra={"requestBody": request_body},
    )
    app.add_api_route(
        f"{PREFIX}/okrs",
        okrs,
        methods=["GET"],
        operation_id="okrs",
        summary="A quarter's objectives and key results, evaluated now.",
        response_model=OkrReport,
        response_description="The quarter's evaluation.",
        responses={
            401: UNAUTHORISED,
            403: FORBIDDEN,
            422: _answer(Problems, "The period is not a quarter id."),
            500: INTERNAL,
            503: UNAVAILABLE,
        },
    )
    app.add_api_route(
        f"{PREFIX}/okrs/forecast-quality",
        forecast_quality,
        methods=["GET"],
        operation_id="forecastQuality",
        summary="How good the forecasts are: Brier score, base rate and reliability bins.",
        response_model=ForecastQualityReport,
        response_description="The backtest of the store's own past quarters.",
        responses={401: UNAUTHORISED, 403: FORBIDDEN, 500: INTERNAL, 503: UNAVAILABLE},
    )
    app.add_api_route(
        f"{PREFIX}/dependencies",
        dependencies,
        methods=["GET"],
        operation_id="dependencies",
        summary="Which initiatives wait on which, and which start before what they wait on ends.",
        response_model=DependencyReport,
        response_description="Every dependency, blocker first.",
        responses={401: UNAUTHORISED, 403: FORBIDDEN, 500: INTERNAL, 503: UNAVAILABLE},
    )
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
            generated.setdefault("components", {}).setdefault("schemas", {}).update(body_schemas)
            app.openapi_schema = generated
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]

    async def http_error(request: Request, exc: Exception) -> Response:
        """Unknown /api paths get a JSON 404 and known ones a JSON 405 with Allow."""
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if exc.status_code == 404:
            return error(404, f"No API route {path}; see {PREFIX}/openapi.json.")
        if exc.status_code == 405 and path in allowed:
            methods = sorted(allowed[path])
            return error(
                405,
                f"{request.method} is not allowed here; use {', '.join(methods)}.",
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
        return problems("The request cannot be read.", found)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
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


# --- imports -----------------------------------------------------------------------------------


def _creator(context: ApiContext, token: ApiToken) -> Person | None:
    if token.created_by is None:
        return None
    with Session(read_engine(context.engine)) as session:
        return session.get(Person, token.created_by)


def _refused(token: ApiToken, exc: PermissionDenied) -> Response:
    return error(
        403,
        f"{exc} The token {token.name!r} was created by someone who can no longer import; "
        "ask a director for a new token.",
    )


def _import_json(
    context: ApiContext, token: ApiToken, records: Any, body: bytes, deadline: float
) -> Response:
    try:
        result = import_records(
            engine=context.engine,
            actor=_creator(context, token),
            records=records,
            checksum=hashlib.sha256(body).hexdigest(),
            source=SOURCE,
            filename="request.json",
            config=context.config.metrics,
            api_token_id=token.id,
            deadline=deadline,
        )
    except PermissionDenied as exc:
        return _refused(token, exc)
    except TimeBoxExceeded:
        return over_time(context.time_box_seconds, "importing the body")
    if result.problems:
        return problems(
            f"{count(len(result.problems), 'problem')} in the body; nothing was written.",
            [{"index": p.index, "field": p.field, "reason": p.reason} for p in result.problems],
        )
    return _written(result.added, result.updated, result.unchanged, result.batch_id)


def _import_csv(context: ApiContext, token: ApiToken, body: bytes, deadline: float) -> Response:
    try:
        result = import_observations(
            engine=context.engine,
            actor=_creator(context, token),
            data=body,
            filename="request.csv",
            source=SOURCE,
            config=context.config.metrics,
            api_token_id=token.id,
            deadline=deadline,
        )
    except PermissionDenied as exc:
        return _refused(token, exc)
    except TimeBoxExceeded:
        return over_time(context.time_box_seconds, "importing the body")
    except ImportFileError as exc:
        return problems(
            "The body cannot be read as CSV in the interchange format; nothing was written.",
            [{"line": None, "column": "", "reason": str(exc)}],
        )
    if result.problems:
        return problems(
            f"{count(len(result.problems), 'problem')} in the body; nothing was written.",
            [{"line": p.line, "column": p.column, "reason": p.reason} for p in result.problems],
        )
    return _written(result.added, result.updated, result.unchanged, result.batch_id)


def _written(added: int, updated: int, unchanged: int, batch_id: int | None) -> Response:
    return JSONResponse(
        {
            "added": added,
            "updated": updated,
            "unchanged": unchanged,
            "rows": added + updated + unchanged,
            "batch_id": batch_id,
        }
    )
