"""The /api/v1 routes: health, observation import, OKR evaluation and the OpenAPI document.

Every answer is JSON. No token → 401, a token without the operation's scope → 403, a body that is
too large → 413, of another type → 415, with bad content → 422 listing every problem (nothing is
written). A store that cannot be reached or used → 503. Anything else unexpected is logged with its
traceback and answered 500 without details: a bug to fix, never a way to report bad input.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import re
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.okrs import period_json
from api.openapi import openapi_document
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
from planning.metrics.import_file import ImportFileError
from planning.metrics.import_records import import_records
from planning.metrics.importer import TimeBoxExceeded, import_observations
from planning.periods import parse_quarter, quarter_of
from planning.startup.bootstrap import open_store
from planning.store import gate as store_access
from planning.store.engine import (
    StoreError,
    alembic_config,
    database_url,
    read_engine,
    session_scope,
)
from planning.store.gate import DATABASE_ERRORS, StoreGate, StoreUnavailable, store_failure
from planning.store.models import ApiToken, Person

log = logging.getLogger("quarterdeck.api")

PREFIX = "/api/v1"
MAX_BODY_BYTES = 50 * 1024 * 1024
# No request works longer than this: a read is abandoned (503), an import stops before its write.
TIME_BOX_SECONDS = 30.0
MAX_PROBLEMS_LISTED = 10_000
JSON_TYPES = frozenset({"application/json"})
CSV_TYPES = frozenset({"text/csv"})
SOURCE = "api"
REALM = 'Bearer realm="quarterdeck"'

Handler = Callable[[Request], Awaitable[Response]]


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
        """The OpenAPI document for this configuration."""
        return openapi_document(self.config.metrics, max_body_bytes=self.max_body_bytes)

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


# --- answers -----------------------------------------------------------------------------------


def _error(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: str
) -> Response:
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


def _problems(detail: str, problems: list[dict[str, Any]]) -> Response:
    total = len(problems)
    if total > MAX_PROBLEMS_LISTED:
        detail += f" (the first {MAX_PROBLEMS_LISTED:,} of {total:,} are listed)"
        problems = problems[:MAX_PROBLEMS_LISTED]
    return JSONResponse({"detail": detail, "problems": problems}, status_code=422)


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _unavailable(exc: StoreError) -> Response:
    """503 with why the store cannot be used and when to retry."""
    retry = {"Retry-After": str(math.ceil(store_access.RETRY_SECONDS))}
    if isinstance(exc, StoreUnavailable) and exc.busy:
        return _error(503, "The store is busy; retry shortly.", retry)
    body = {"detail": f"The store cannot be used: {exc}.", "status": "unavailable"}
    return JSONResponse(body, status_code=503, headers=retry)


def _over_time(seconds: float, what: str) -> Response:
    return _error(
        503,
        f"The request ran past its time box of {seconds:g} s while {what}; nothing was written. "
        "Retry later, or send the data in smaller parts.",
        {"Retry-After": "5"},
    )


async def _boxed(context: ApiContext, read: Callable[[], Any], what: str) -> Any:
    """Run a read in the thread pool, or answer 503 once it passes the request time box (the
    abandoned read writes nothing, so leaving it to finish on its own is safe)."""
    try:
        return await asyncio.wait_for(run_in_threadpool(read), timeout=context.time_box_seconds)
    except TimeoutError:
        return _over_time(context.time_box_seconds, what)


def guarded(handler: Handler, context: ApiContext | None = None) -> Handler:
    """Answer 503 when the store cannot be reached or used (saying why) and 500 (logged) for
    anything unexpected. Given the context, a store failing in use is dropped and retried."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except StoreError as exc:  # the gate has logged it once; not again on every request
            return _unavailable(exc)
        except DATABASE_ERRORS as exc:
            failure = context.failed(exc) if context else store_failure(exc, database_url())
            if failure is not None:
                log.warning("%s %s: %s", request.method, request.url.path, failure)
                return _unavailable(failure)
            log.exception("%s %s failed", request.method, request.url.path)
            return _error(500, "Internal error; the server log has the details.")
        except Exception:
            log.exception("%s %s failed", request.method, request.url.path)
            return _error(500, "Internal error; the server log has the details.")

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


# --- tokens ------------------------------------------------------------------------------------


def _authorise(context: ApiContext, header: str | None, scope: str) -> ApiToken | Response:
    """The token behind an Authorization header if it grants `scope`, else the 401/403 answer."""
    if not header or not header.strip():
        return _error(
            401, "Send a bearer token: Authorization: Bearer <token>.", {"WWW-Authenticate": REALM}
        )
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or " " in secret:
        return _error(
            401,
            "The Authorization header must be 'Bearer <token>'.",
            {"WWW-Authenticate": f'{REALM}, error="invalid_request"'},
        )
    try:
        with Session(read_engine(context.engine)) as session:
            token = authenticate(session=session, secret=secret)
    except TokenLapsed as exc:
        return _error(
            403,
            f"{exc} It can no longer {SCOPES[scope]}; ask a director for a new token.",
            {"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
        )
    if token is None:
        return _error(
            401,
            "The token is unknown or revoked.",
            {"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    if not has_scope(token, scope):
        return _error(
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


async def _token(request: Request, context: ApiContext, scope: str) -> ApiToken | Response:
    header = request.headers.get("authorization")
    return await run_in_threadpool(_authorise, context, header, scope)


# --- bodies ------------------------------------------------------------------------------------


async def _read_body(request: Request, limit: int) -> bytes | Response:
    """The request body, or a 413 answer as soon as it is known to exceed `limit` bytes."""
    too_large = _error(413, f"The body is larger than {limit:,} bytes; send it in parts.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return too_large
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(request: Request) -> tuple[str, str]:
    """The body's media type and charset (lower case, empty when not given)."""
    header = request.headers.get("content-type", "")
    media, *params = (part.strip() for part in header.split(";"))
    charset = ""
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.lower(), charset


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; leave the observation out instead")


def _parse_json(body: bytes) -> Any | Response:
    """The parsed JSON body, or a 422 answer saying where it is broken."""

    def broken(reason: str) -> Response:
        return _problems(
            "The body is not valid JSON; nothing was written.",
            [{"index": None, "field": "", "reason": reason}],
        )

    try:
        content = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return broken(f"the body is not UTF-8 text (byte {exc.start + 1} cannot be read)")
    if not content.strip():
        return broken("the body is empty; send a JSON list of observations")
    try:
        parsed = json.loads(content, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return broken(f"{exc.msg} at line {exc.lineno}, column {exc.colno}")
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            return broken("a number in the body has too many digits")
        return broken(str(exc))
    except RecursionError:
        return broken("the body is nested too deeply to be a list of observations")
    # A \uD800-style escape decodes to half of a character pair, which no text can hold: refuse
    # it here rather than fail when the answer or the store has to encode it.
    if _SURROGATE_ESCAPE.search(content) and _has_lone_surrogate(parsed):
        return broken(
            "the body holds an escape for half a character (a lone surrogate such as \\ud800); "
            "send whole Unicode characters"
        )
    return parsed


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any text in a parsed JSON value (keys included) cannot be encoded as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return False


# --- handlers ----------------------------------------------------------------------------------


def api_routes(context: ApiContext) -> list[BaseRoute]:
    """The API's routes, bound to a context (configuration and store)."""

    def guard(handler: Handler) -> Handler:
        return guarded(handler, context)

    @guard
    async def health(request: Request) -> Response:
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
            expected = context.expected_revision
            ok = revision == expected
            return {
                "status": "ok" if ok else "degraded",
                "latest_observation_day": fresh.observed_day.isoformat()
                if fresh.observed_day
                else None,
                "last_import_at": fresh.last_import_at.isoformat()
                if fresh.last_import_at
                else None,
                "observations": fresh.observation_rows,
                "schema": {"ok": ok, "revision": revision, "expected": expected},
            }

        answer = await _boxed(context, check, "checking the store")
        return answer if isinstance(answer, Response) else JSONResponse(answer)

    @guard
    async def post_observations(request: Request) -> Response:
        """Import a JSON list or a CSV body of observations, whole or not at all."""
        token = await _token(request, context, WRITE_OBSERVATIONS)
        if isinstance(token, Response):
            return token
        media, charset = _media_type(request)
        if media not in JSON_TYPES | CSV_TYPES:
            shown = media or "no Content-Type"
            return _error(415, f"Cannot import {shown}: send application/json or text/csv (UTF-8).")
        if charset and charset not in {"utf-8", "utf8"}:
            return _error(415, f"Cannot read charset {charset}: send UTF-8.")
        deadline = time.monotonic() + context.time_box_seconds
        body = await _read_body(request, context.max_body_bytes)
        if isinstance(body, Response):
            return body
        if media in JSON_TYPES:
            records = _parse_json(body)
            if isinstance(records, Response):
                return records
            return await run_in_threadpool(_import_json, context, token, records, body, deadline)
        return await run_in_threadpool(_import_csv, context, token, body, deadline)

    @guard
    async def okrs(request: Request) -> Response:
        """The quarter's objectives and key results, evaluated now."""
        token = await _token(request, context, READ_OKRS)
        if isinstance(token, Response):
            return token
        asked = request.query_params.get("period")
        fiscal_start = context.config.settings.fiscal_year_start_month
        if asked is None:
            period = quarter_of(context.today(), fiscal_start)
        else:
            try:
                year, quarter = parse_quarter(asked)
            except ValueError as exc:
                return _problems(
                    "The period is not a quarter.", [{"parameter": "period", "reason": str(exc)}]
                )
            period = f"{year:04d}-Q{quarter}"

        def evaluate() -> dict[str, Any]:
            from planning.okrs.evaluation import period_goals

            with Session(read_engine(context.engine)) as session:
                evaluation = period_goals(
                    session=session, config=context.config, period=period, today=context.today()
                )
            return period_json(evaluation)

        answer = await _boxed(context, evaluate, "evaluating the quarter")
        return answer if isinstance(answer, Response) else JSONResponse(answer)

    @guard
    async def openapi(request: Request) -> Response:
        """The OpenAPI 3.1 document describing these routes."""
        return JSONResponse(context.document)

    routes: list[BaseRoute] = [
        Route(f"{PREFIX}/health", health, methods=["GET"]),
        Route(f"{PREFIX}/observations", post_observations, methods=["POST"]),
        Route(f"{PREFIX}/okrs", okrs, methods=["GET"]),
        Route(f"{PREFIX}/openapi.json", openapi, methods=["GET"]),
    ]
    allowed = {
        route.path: sorted(route.methods or ()) for route in routes if isinstance(route, Route)
    }

    async def elsewhere(request: Request) -> Response:
        """Unknown /api paths get a JSON 404 (and known ones a 405) instead of the app's page."""
        methods = allowed.get(request.url.path)
        if methods:
            return _error(
                405,
                f"{request.method} is not allowed here; use {', '.join(methods)}.",
                {"Allow": ", ".join(methods)},
            )
        return _error(404, f"No API route {request.url.path}; see {PREFIX}/openapi.json.")

    every_method = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    routes.append(Route("/api/{rest:path}", elsewhere, methods=every_method))
    return routes


def _creator(context: ApiContext, token: ApiToken) -> Person | None:
    if token.created_by is None:
        return None
    with Session(read_engine(context.engine)) as session:
        return session.get(Person, token.created_by)


def _refused(token: ApiToken, exc: PermissionDenied) -> Response:
    return _error(
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
        return _over_time(context.time_box_seconds, "importing the body")
    if result.problems:
        return _problems(
            f"{_count(len(result.problems), 'problem')} in the body; nothing was written.",
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
        return _over_time(context.time_box_seconds, "importing the body")
    except ImportFileError as exc:
        return _problems(
            "The body cannot be read as CSV in the interchange format; nothing was written.",
            [{"line": None, "column": "", "reason": str(exc)}],
        )
    if result.problems:
        return _problems(
            f"{_count(len(result.problems), 'problem')} in the body; nothing was written.",
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


def api_app(context: ApiContext) -> Starlette:
    """The API alone as an ASGI app (the server mounts the same routes beside Streamlit)."""
    return Starlette(routes=api_routes(context), lifespan=context.lifespan)
