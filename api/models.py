"""The API's request and response bodies as pydantic models: FastAPI builds the OpenAPI document
from them (api/routes_*.py).

The handlers send the very JSON they always have (built in api/routes_*.py and api/okrs.py), so the
models describe answers rather than reshape them; tests/api_support.py and the schemathesis run
(tests/test_api_schemathesis.py) check every answer against the document. An observation's model
is built from metrics.yaml: its measures, dimension values and value ranges are the ones this
server accepts, and planning.metrics.importer is what checks a body (naming every problem).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import SkipJsonSchema

from planning.access.api_tokens import SCOPES
from planning.config.metrics import MetricsConfig
from planning.metrics.import_checks import NON_NEGATIVE_UNITS
from planning.periods import FIRST_YEAR, LAST_YEAR
from planning.store.engine import CALENDAR_FIRST, CALENDAR_LAST

_LITERAL = cast(Any, Literal)


def one_of(values: list[Any]) -> Any:
    """A Literal type of these values, in their order (the document lists them so)."""
    return _LITERAL[tuple(values)]


def _year_pattern(first: int, last: int) -> str:
    """A regular expression alternative matching the four-digit years first to last."""
    return "|".join(str(year) for year in range(first, last + 1))


# Quarter ids the API reads: YEAR-Qn in the supported years (case and surrounding spaces aside).
PERIOD_PATTERN = rf"^\s*({_year_pattern(FIRST_YEAR, LAST_YEAR)})-[Qq][1-4]\s*$"
# Quarter ids the API writes.
PERIOD_ID_PATTERN = rf"^({_year_pattern(FIRST_YEAR, LAST_YEAR)})-Q[1-4]$"


class Closed(BaseModel):
    """A body with exactly these fields (additionalProperties: false in the document)."""

    model_config = ConfigDict(extra="forbid")


# --- errors ------------------------------------------------------------------------------------


class Error(Closed):
    """Why a request was refused or failed."""

    detail: str
    required_scope: (
        Annotated[str, Field(json_schema_extra={"enum": list(SCOPES)})] | SkipJsonSchema[None]
    ) = None
    status: (
        Annotated[
            Literal["unavailable"],
            Field(description="On a 503: the store cannot be used until it is repaired."),
        ]
        | SkipJsonSchema[None]
    ) = None


class CsvProblem(Closed):
    """A bad cell or row of a CSV body; line null for the body as a whole."""

    line: Annotated[int, Field(ge=1)] | None
    column: str
    reason: str


class JsonProblem(Closed):
    """A bad field or item of a JSON body (index from 0); index null for the body as a whole."""

    index: Annotated[int, Field(ge=0)] | None
    field: str
    reason: str


class ParameterProblem(Closed):
    """A query parameter that cannot be read."""

    parameter: str
    reason: str


class Problems(Closed):
    """Every problem found; nothing was written."""

    detail: str
    problems: Annotated[list[CsvProblem | JsonProblem | ParameterProblem], Field(min_length=1)]


# --- answers -----------------------------------------------------------------------------------


class ImportResult(Closed):
    """Written: rows added, updated and left unchanged, recorded as one import batch."""

    added: Annotated[int, Field(ge=0)]
    updated: Annotated[int, Field(ge=0)]
    unchanged: Annotated[int, Field(ge=0)]
    rows: Annotated[int, Field(ge=1)]
    batch_id: int


class SchemaState(Closed):
    """The store's migration revision against the newest one this code knows."""

    ok: bool
    revision: str | None
    expected: str


class SourcesHealth(BaseModel):
    """The data sources of config/sources.yaml: ok is false when one's last run failed or one is
    stale; items hold each source's last run."""

    ok: bool
    failing: list[str]
    stale: list[str]
    items: list[dict[str, Any]]
    error: str | None = None


class Health(Closed):
    """Whether the store is readable and current, how fresh its observations are, and how its
    data sources last ran."""

    status: Literal["ok", "degraded"]
    latest_observation_day: date | None
    last_import_at: datetime | None
    observations: Annotated[int, Field(ge=0)]
    schema_: Annotated[SchemaState, Field(alias="schema")]
    sources: SourcesHealth


Number = float | None


class KeyResult(Closed):
    """One key result's definition and its evaluation now."""

    id: int
    title: str
    kind: Literal["metric", "guardrail", "milestone", "manual"]
    owner: str
    weight: float
    metric: str | None
    metric_label: str
    filters: dict[str, str]
    direction: str | None
    window: str
    window_start: date | None
    window_end: date | None
    total_target: bool
    start: Number
    target: Number
    rule: str | None
    threshold: Number
    unit: str | None
    current: Number
    progress: Annotated[
        Number,
        Field(
            description="Raw progress: 1 is the target, above 1 overachievement; null when there "
            "is none yet (status_reason says why, e.g. no data yet in this window)."
        ),
    ]
    expected: Annotated[Number, Field(description="Where progress should be by as_of.")]
    status: str
    status_reason: str
    forecast: Number
    forecast_low: Annotated[Number, Field(description="Lower end of the 80 % forecast band.")]
    forecast_high: Annotated[Number, Field(description="Upper end of the 80 % forecast band.")]
    probability: Annotated[
        Number,
        Field(
            description="The chance of reaching the target by the quarter's end, calibrated on "
            "the store's past quarters; null without a forecast, and null when the metric has "
            "too little history to be checked (probability_basis 'little_history'): then read "
            "probability_low to probability_high."
        ),
    ]
    probability_basis: Annotated[
        Literal["calibrated", "little_history", ""],
        Field(
            description="'calibrated' when the metric has at least four past quarters to check "
            "forecasts on, 'little_history' when it has fewer, empty without a forecast."
        ),
    ]
    probability_low: Annotated[
        Number, Field(description="With little history: the low end of the probability range.")
    ]
    probability_high: Annotated[
        Number, Field(description="With little history: the high end of the probability range.")
    ]
    confidence: Annotated[int, Field(ge=0, le=10)] | None
    confidence_gap: Number
    gap_flagged: bool
    met: Annotated[
        bool | None,
        Field(
            description="Guardrails: whether the window's value holds (threshold inclusive); "
            "null before the window has data."
        ),
    ]
    days_in_breach: Annotated[
        int | None,
        Field(
            description="Guardrails: days of the quarter so far on which the window's value as "
            "of that day was past the threshold."
        ),
    ]
    done: bool | None
    grade: Number


class ParentRef(Closed):
    """A parent objective an objective aligns to, of its quarter or another."""

    id: int
    title: str
    period: Annotated[str, Field(pattern=PERIOD_ID_PATTERN)]


class ContributionRef(Closed):
    """A key result of another objective that counts towards this one, with its weight here."""

    key_result_id: int
    title: str
    objective_id: Annotated[int, Field(description="The key result's own objective.")]
    weight: Annotated[float, Field(gt=0)]
    progress: Number
    status: str


class Objective(Closed):
    """One objective, rolled up from its own key results and those counting towards it."""

    id: int
    title: str
    description: str
    owner: str
    parent_id: int | None
    weight: float
    progress: Number
    expected: Number
    status: Annotated[
        str, Field(description="Weighted progress against the weighted expected pace.")
    ]
    status_reason: Annotated[
        str,
        Field(
            description="The worst key result behind pace, e.g. 'Refunds is off track'; empty "
            "when none is."
        ),
    ]
    grade: Number
    key_results: list[KeyResult]
    parents: Annotated[
        list[ParentRef], Field(description="Every parent it aligns to, the first one first.")
    ]
    contributions: Annotated[
        list[ContributionRef],
        Field(
            description="Key results of other objectives counted in its progress and status, "
            "each with the weight it has here."
        ),
    ]


class OkrReport(Closed):
    """A quarter's evaluation: its days, whether it is closed, and every objective."""

    period: Annotated[str, Field(pattern=PERIOD_ID_PATTERN)]
    first_day: date
    last_day: date
    as_of: date
    elapsed_days: Annotated[int, Field(ge=0)]
    total_days: Annotated[int, Field(ge=1)]
    closed: bool
    closed_at: datetime | None
    objectives: list[Objective]


class ReliabilityBin(Closed):
    """Forecasts whose stated probability fell in [low, high)."""

    low: float
    high: float
    stated: Annotated[float, Field(description="Their mean stated probability.")]
    hit_rate: Annotated[float, Field(description="The share of them whose target was reached.")]
    forecasts: int


class KindQuality(Closed):
    """The backtest of one kind of key result."""

    kind: Annotated[
        str, Field(description="'total' (a running total) or 'level:<window>' (a level).")
    ]
    forecasts: int
    brier: Number
    base_rate_brier: Number


class ForecastQualityReport(Closed):
    """How good the forecasts are: past quarters replayed at days 15, 30, 46, 60 and 75 with
    only the days up to then, each quarter forecast with a calibration fitted on the quarters
    before it only."""

    periods: Annotated[list[str], Field(description="The complete past quarters replayed.")]
    forecasts: Annotated[int, Field(description="Forecasts scored (0 with too little history).")]
    brier: Annotated[Number, Field(description="Brier score of the calibrated forecasts.")]
    base_rate_brier: Annotated[
        Number, Field(description="Brier score of always saying the base rate.")
    ]
    raw_brier: Annotated[Number, Field(description="Brier score before calibration.")]
    bins: list[ReliabilityBin]
    by_kind: list[KindQuality]


# --- the observation a body holds ----------------------------------------------------------------


def _measure_branch(config: MetricsConfig, measure: str) -> dict[str, Any]:
    """What one measure's observations must hold: its dimensions filled, the others empty, and a
    value in its plausible range (min_value and max_value in metrics.yaml)."""
    spec = config.measures[measure]
    lowest = max(spec.min_value, 0.0) if spec.unit in NON_NEGATIVE_UNITS else spec.min_value
    fields: dict[str, Any] = {
        "measure": (one_of([measure]), ...),
        "value": (Annotated[float, Field(ge=lowest, le=spec.max_value)], ...),
    }
    for name, dimension in config.dimensions.items():
        if name in spec.dimensions:
            fields[name] = (one_of(list(dimension.values)), ...)
        else:
            fields[name] = (one_of([None, ""]), None)
    branch = create_model(measure, **fields)
    schema = branch.model_json_schema()
    schema.pop("type")  # a condition on the observation, not an object of its own
    return schema


def observation_model(config: MetricsConfig) -> type[BaseModel]:
    """One observation of a base measure on a day, as metrics.yaml declares them."""
    years = _year_pattern(CALENDAR_FIRST.year, CALENDAR_LAST.year)
    fields: dict[str, Any] = {
        "date": (
            Annotated[
                str,
                Field(
                    pattern=rf"^({years})-[0-9]{{2}}-[0-9]{{2}}$",
                    description=f"The day observed, YYYY-MM-DD, from {CALENDAR_FIRST.isoformat()} "
                    f"to {CALENDAR_LAST.isoformat()}.",
                    examples=["2026-11-25"],
                    json_schema_extra={"format": "date"},
                ),
            ],
            ...,
        ),
        "measure": (
            Annotated[
                one_of(list(config.measures)),
                Field(description="A base measure declared in metrics.yaml."),
            ],
            ...,
        ),
        "value": (
            Annotated[
                float,
                Field(
                    description="The day's value, within its measure's plausible range "
                    "(min_value and max_value in metrics.yaml); counts and money cannot be "
                    "negative."
                ),
            ],
            ...,
        ),
    }
    for name, dimension in config.dimensions.items():
        fields[name] = (
            Annotated[
                one_of([*dimension.values, None, ""]),
                Field(
                    description=f"{dimension.label}: required for measures that declare it, "
                    'empty (absent, null or "") for the others.'
                ),
            ],
            None,
        )
    declared = "; ".join(
        f"{m}: {', '.join(spec.dimensions) or 'none'}" for m, spec in config.measures.items()
    )
    return create_model(
        "Observation",
        __config__=ConfigDict(
            extra="forbid",
            json_schema_extra={
                "description": "One observation of a base measure on a day. Dimensions each "
                f"measure declares — {declared}. A body may hold each measure, date and "
                "dimensions once.",
                "oneOf": [_measure_branch(config, m) for m in config.measures],
            },
        ),
        **fields,
    )


class WorkRef(Closed):
    """An initiative as a dependency names it: its dates run from start to shipped (else target)."""

    id: int
    title: str
    status: str
    start: date | None
    end: Annotated[date | None, Field(description="The shipped date, else the target date.")]


class DependencyLink(Closed):
    """One initiative waiting on another."""

    blocker: WorkRef
    blocked: WorkRef
    late: Annotated[
        bool,
        Field(
            description="The blocked initiative starts before the blocker ends, while both are "
            "still to do."
        ),
    ]


class DependencyReport(Closed):
    """Every "blocks / blocked by" link between initiatives."""

    dependencies: list[DependencyLink]
