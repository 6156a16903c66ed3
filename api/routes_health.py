"""GET /api/v1/health: is the server up, is the schema current, how fresh is the data."""

from typing import Any

from fastapi import FastAPI
from sqlalchemy import text
from starlette.responses import Response

from api.context import ApiContext
from api.models import Health
from api.route_support import INTERNAL, PREFIX, UNAVAILABLE, boxed_json
from planning.i18n import gettext as _
from planning.metrics.completeness import freshness
from planning.sources.status import sources_health


def add_routes(app: FastAPI, context: ApiContext) -> dict[str, Any]:
    """Add the health route; no schemas beyond its models."""

    async def health() -> Response:
        """Status, latest observation day and whether the schema is current."""

        def check() -> dict[str, Any]:
            with context.read_session() as session:
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

        return await boxed_json(context, check, _("checking the store"))

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
    return {}
