"""GET /api/v1/okrs and /api/v1/okrs/forecast-quality: a quarter's objectives and key results
evaluated now, and how good the forecasts are."""

from typing import Annotated, Any

from fastapi import FastAPI, Query, Security
from pydantic.json_schema import SkipJsonSchema
from starlette.responses import Response

from api.answers import problems
from api.context import ApiContext
from api.models import PERIOD_PATTERN, ForecastQualityReport, OkrReport, Problems
from api.okrs import period_json, quality_json
from api.route_support import (
    PREFIX,
    answer,
    boxed_json,
    token_answers,
    token_for,
)
from planning.access.api_tokens import READ_OKRS
from planning.i18n import gettext as _
from planning.periods import FIRST_YEAR, LAST_YEAR, parse_quarter, quarter_of
from planning.store.models_access import ApiToken


def add_routes(app: FastAPI, context: ApiContext) -> dict[str, Any]:
    """Add the OKR routes; no schemas beyond their models."""
    api_token = token_for(context)

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
                    _("The period is not a quarter."),
                    [{"parameter": "period", "reason": str(exc)}],
                )
            quarter = f"{year:04d}-Q{number}"

        def evaluate() -> dict[str, Any]:
            from planning.okrs.evaluation import period_goals

            with context.read_session() as session:
                evaluation = period_goals(
                    session=session, config=context.config, period=quarter, today=context.today()
                )
            return period_json(evaluation)

        return await boxed_json(context, evaluate, _("evaluating the quarter"))

    async def forecast_quality(
        _token: Annotated[ApiToken, Security(api_token, scopes=[READ_OKRS])],
    ) -> Response:
        """How good the forecasts are: the backtest on the store's own past quarters."""

        def assess() -> dict[str, Any]:
            from planning.okrs.backtest import forecast_quality as backtest_quality
            from planning.okrs.evaluation_reads import data_as_of

            with context.read_session() as session:
                as_of = data_as_of(session=session, config=context.config, today=context.today())
                found = backtest_quality(session=session, config=context.config, as_of=as_of)
            return quality_json(found)

        return await boxed_json(context, assess, _("checking the forecasts"))

    app.add_api_route(
        f"{PREFIX}/okrs",
        okrs,
        methods=["GET"],
        operation_id="okrs",
        summary="A quarter's objectives and key results, evaluated now.",
        response_model=OkrReport,
        response_description="The quarter's evaluation.",
        responses=token_answers({422: answer(Problems, "The period is not a quarter id.")}),
    )
    app.add_api_route(
        f"{PREFIX}/okrs/forecast-quality",
        forecast_quality,
        methods=["GET"],
        operation_id="forecastQuality",
        summary="How good the forecasts are: Brier score, base rate and reliability bins.",
        response_model=ForecastQualityReport,
        response_description="The backtest of the store's own past quarters.",
        responses=token_answers(),
    )
    return {}
