"""POST /api/v1/observations: import a JSON list or a CSV body of observations, whole or not at
all, under the size limit and the request time box."""

import hashlib
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Security
from pydantic import Field, TypeAdapter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.answers import error, over_time, problems, problems_found
from api.bodies import media_type, parse_json, read_body
from api.context import ApiContext
from api.models import Error, ImportResult, Problems, observation_model
from api.route_support import (
    PREFIX,
    answer,
    token_answers,
    token_for,
)
from planning.access.api_tokens import WRITE_OBSERVATIONS
from planning.access.permissions import PermissionDenied
from planning.i18n import gettext as _
from planning.metrics.import_file import SAMPLE_CSV, ImportFileError
from planning.metrics.import_records import import_records
from planning.metrics.importer import TimeBoxExceeded, import_observations
from planning.store.models import Person
from planning.store.models_access import ApiToken

JSON_TYPES = frozenset({"application/json"})
CSV_TYPES = frozenset({"text/csv"})
SOURCE = "api"


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


def add_routes(app: FastAPI, context: ApiContext) -> dict[str, Any]:
    """Add the import route; returns the schemas its request body refers to."""
    api_token = token_for(context)
    limit = f"{context.max_body_bytes / 1_000_000:g} MB"
    request_body, body_schemas = _observations_body(context)

    async def post_observations(
        request: Request,
        token: Annotated[ApiToken, Security(api_token, scopes=[WRITE_OBSERVATIONS])],
    ) -> Response:
        """Import a JSON list or a CSV body of observations, whole or not at all."""
        media, charset = media_type(request)
        if media not in JSON_TYPES | CSV_TYPES:
            shown = media or _("no Content-Type")
            return error(
                415,
                _("Cannot import {media}: send application/json or text/csv (UTF-8).").format(
                    media=shown
                ),
            )
        if charset and charset not in {"utf-8", "utf8"}:
            return error(
                415, _("Cannot read charset {charset}: send UTF-8.").format(charset=charset)
            )
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
        responses=token_answers(
            {
                413: answer(Error, f"The body is larger than {limit}."),
                415: answer(Error, "The body is neither application/json nor text/csv."),
                422: answer(Problems, "Every problem in the body; nothing written."),
            }
        ),
        openapi_extra={"requestBody": request_body},
    )
    return body_schemas


def _creator(context: ApiContext, token: ApiToken) -> Person | None:
    """The person a token acts for: the director who created it (None: the command line)."""
    if token.created_by is None:
        return None
    with context.read_session() as session:
        return session.get(Person, token.created_by)


def _refused(token: ApiToken, exc: PermissionDenied) -> Response:
    return error(
        403,
        _(
            "{reason} The token {name} was created by someone who can no longer import; ask a "
            "director for a new token."
        ).format(reason=exc, name=repr(token.name)),
    )


def _imported(
    context: ApiContext,
    token: ApiToken,
    run: Callable[[Person | None], Any],
    where: Callable[[Any], dict[str, Any]],
) -> Response:
    """Run an import as the token's creator and answer it: written, refused, over time, or
    every problem located by ``where`` (nothing written)."""
    try:
        result = run(_creator(context, token))
    except PermissionDenied as exc:
        return _refused(token, exc)
    except TimeBoxExceeded:
        return over_time(context.time_box_seconds, _("importing the body"))
    if result.problems:
        return problems(
            _("{problems} in the body; nothing was written.").format(
                problems=problems_found(len(result.problems))
            ),
            [{**where(p), "reason": p.reason} for p in result.problems],
        )
    return _written(result.added, result.updated, result.unchanged, result.batch_id)


def _import_json(
    context: ApiContext, token: ApiToken, records: Any, body: bytes, deadline: float
) -> Response:
    return _imported(
        context,
        token,
        lambda actor: import_records(
            engine=context.engine,
            actor=actor,
            records=records,
            checksum=hashlib.sha256(body).hexdigest(),
            source=SOURCE,
            filename="request.json",
            config=context.config.metrics,
            api_token_id=token.id,
            deadline=deadline,
        ),
        lambda p: {"index": p.index, "field": p.field},
    )


def _import_csv(context: ApiContext, token: ApiToken, body: bytes, deadline: float) -> Response:
    try:
        return _imported(
            context,
            token,
            lambda actor: import_observations(
                engine=context.engine,
                actor=actor,
                data=body,
                filename="request.csv",
                source=SOURCE,
                config=context.config.metrics,
                api_token_id=token.id,
                deadline=deadline,
            ),
            lambda p: {"line": p.line, "column": p.column},
        )
    except ImportFileError as exc:
        return problems(
            _("The body cannot be read as CSV in the interchange format; nothing was written."),
            [{"line": None, "column": "", "reason": str(exc)}],
        )


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
