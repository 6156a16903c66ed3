"""GET /api/v1/dependencies: which initiatives wait on which, and which start before what they
wait on ends."""

from typing import Annotated, Any

from fastapi import FastAPI, Security
from starlette.responses import Response

from api.context import ApiContext
from api.models import DependencyReport
from api.okrs import dependencies_json
from api.route_support import PREFIX, boxed_json, token_answers, token_for
from planning.access.api_tokens import READ_OKRS
from planning.i18n import gettext as _
from planning.store.models_access import ApiToken


def add_routes(app: FastAPI, context: ApiContext) -> dict[str, Any]:
    """Add the dependencies route; no schemas beyond its model."""
    api_token = token_for(context)

    async def dependencies(
        _token: Annotated[ApiToken, Security(api_token, scopes=[READ_OKRS])],
    ) -> Response:
        """Every dependency between initiatives, with the late ones flagged."""

        def read() -> dict[str, Any]:
            from planning.work.dependencies import all_edges, late_pairs, work_of

            with context.read_session() as session:
                edges = all_edges(session=session)
                work = work_of(session=session, ids={i for edge in edges for i in edge})
            return dependencies_json(edges, work, late_pairs(work, edges))

        return await boxed_json(context, read, _("reading the dependencies"))

    app.add_api_route(
        f"{PREFIX}/dependencies",
        dependencies,
        methods=["GET"],
        operation_id="dependencies",
        summary="Which initiatives wait on which, and which start before what they wait on ends.",
        response_model=DependencyReport,
        response_description="Every dependency, blocker first.",
        responses=token_answers(),
    )
    return {}
