"""The ranked backlog: open initiatives scored by one framework, ranked, and placed on the
value/effort matrix.

The backlog is every initiative that is not done or dropped. Each is scored with the stored
inputs of the chosen framework (planning.work.scoring); one without complete inputs stays in the
backlog unranked, with the reasons. Expected value reads the weekly gross profit baseline of its
lift metric (planning.metrics.baseline).

The matrix plots value against effort in person-weeks (the initiative's own estimate, the same
unit for every framework). Value is the framework's score before any division by effort, so
effort is not counted twice: RICE reach × impact × confidence, WSJF the cost of delay (business
value + time criticality + risk reduction), expected value the expected weekly gross profit
gain; ICE and weighted scores have no effort divisor and are the value as they stand. Splits are
the medians of the scored items unless scoring.yaml fixes them; a point on a split counts as
high.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from planning import i18n
from planning.config import AppConfig
from planning.config.scoring import EffortConversion, Framework, Matrix
from planning.formatting import format_entered
from planning.i18n import gettext as _
from planning.metrics.baseline import Baseline, baselines, improvement
from planning.store.models import Health, Initiative, InitiativeStatus
from planning.validation import InputError
from planning.work.initiative_reads import person_names
from planning.work.initiative_status import OPEN_STATUSES
from planning.work.scoring import (
    DEFAULT_EFFORT,
    NO_BASELINE,
    NO_LIFT,
    effort_input,
    effort_input_text,
    matrix_splits,
    quadrant,
    rank,
)
from planning.work.scoring_batch import score_many

COLUMNS = [
    "rank",
    "id",
    "title",
    "owner_id",
    "owner",
    "status",
    "health",
    "start_date",
    "target_date",
    "effort_weeks",
    "percent_complete",
    "score",
    "value",
    "quadrant",
    "problems",
    "inputs",
    "lift_metric",
    "lift_pct",
    "baseline",
    "version",
]


@dataclass(frozen=True)
class BacklogEntry:
    """An open initiative as the ranking sees it."""

    id: int
    title: str
    owner_id: int
    owner: str
    status: str
    health: str
    effort_weeks: float
    scores: Mapping[str, Any] = field(default_factory=dict)
    start_date: date | None = None
    target_date: date | None = None
    percent_complete: int = 0
    lift_metric: str | None = None
    lift_pct: float | None = None
    version: int = 1
    lift_estimator_id: int | None = None  # who set the expected lift


def framework_or_error(config: AppConfig, framework_id: str) -> Framework:
    """The framework with this id from scoring.yaml; InputError naming the choices otherwise."""
    framework = config.scoring.frameworks.get(framework_id)
    if framework is None:
        choices = ", ".join(config.scoring.frameworks)
        raise InputError(
            [
                _("unknown scoring framework {framework}; use one of {choices}").format(
                    framework=repr(framework_id), choices=choices
                )
            ]
        )
    return framework


def matrix_value(
    framework: Framework,
    score_value: float,
    effort_weeks: float,
    effort: EffortConversion = DEFAULT_EFFORT,
) -> float:
    """The value axis of the matrix: the score before any division by effort."""
    if framework.formula in {"rice", "wsjf"}:
        derived = effort_input(framework.formula, effort_weeks, effort)
        assert derived is not None
        return score_value * derived[1]
    if framework.formula == "expected_value":
        return score_value * effort_weeks
    return score_value


def rank_backlog(
    entries: Sequence[BacklogEntry],
    *,
    framework_id: str,
    framework: Framework,
    matrix: Matrix,
    baseline_by_metric: Mapping[str, Baseline] | None = None,
    higher_is_better: Mapping[str, bool] | None = None,
    effort: EffortConversion = DEFAULT_EFFORT,
) -> pd.DataFrame:
    """Score, rank and place entries on the matrix; one row per entry, ranked ones first."""
    baseline_by_metric = baseline_by_metric or {}
    higher_is_better = higher_is_better or {}
    bases = [baseline_by_metric.get(entry.lift_metric or "") for entry in entries]
    lifts = [
        improvement(entry.lift_pct, higher_is_better=higher_is_better.get(entry.lift_metric, True))
        if entry.lift_pct is not None and entry.lift_metric
        else None
        for entry in entries
    ]
    # Every entry at once (scoring_batch): the same scores and reasons as score() row by row.
    scored_results = score_many(
        framework_id,
        framework,
        [entry.scores for entry in entries],
        effort_weeks=[entry.effort_weeks for entry in entries],
        baseline_weekly_value=[base.weekly_gross_profit if base else None for base in bases],
        lift_pct=lifts,
        effort=effort,
    )
    expected = framework.formula == "expected_value"
    results: dict[int, tuple[float | None, float | None, tuple[str, ...], float | None]] = {}
    for entry, base, result in zip(entries, bases, scored_results, strict=True):
        problems = result.problems
        if expected and not entry.lift_metric:
            kept = [p for p in problems if p not in (_(NO_BASELINE), _(NO_LIFT))]
            problems = (*kept, _("no expected lift yet: give a metric and a relative change"))
        elif expected and problems and base is not None and base.problem:
            problems = tuple(
                _("no baseline: {problem}").format(problem=base.problem)
                if p == _(NO_BASELINE)
                else p
                for p in problems
            )
        value = None
        if result.score is not None:
            value = matrix_value(framework, result.score, entry.effort_weeks, effort)
        results[entry.id] = (
            result.score,
            value,
            problems,
            base.weekly_gross_profit if base else None,
        )
    ranking = rank({entry_id: r[0] for entry_id, r in results.items()})
    by_id = {entry.id: entry for entry in entries}
    scored = [r for r in ranking if r.score is not None]
    value_split, effort_split = matrix_splits(
        [results[r.id][1] for r in scored], [by_id[r.id].effort_weeks for r in scored], matrix
    )
    ordered = [by_id[r.id] for r in ranking]
    found = [results[r.id] for r in ranking]
    places: list[str | None] = []
    for entry, (_score, value, _reasons, _base) in zip(ordered, found, strict=True):
        place = None
        if value is not None and value_split is not None and effort_split is not None:
            place = quadrant(value, entry.effort_weeks, value_split, effort_split, matrix.quadrants)
        places.append(place)
    # Column by column: building a frame from thousands of row dicts costs more than the maths.
    frame = pd.DataFrame(
        {
            "rank": pd.array([r.rank for r in ranking], dtype="Int64"),
            "id": [e.id for e in ordered],
            "title": [e.title for e in ordered],
            "owner_id": [e.owner_id for e in ordered],
            "owner": [e.owner for e in ordered],
            "status": [e.status for e in ordered],
            "health": [e.health for e in ordered],
            "start_date": pd.Series([e.start_date for e in ordered], dtype=object),
            "target_date": pd.Series([e.target_date for e in ordered], dtype=object),
            "effort_weeks": [float(e.effort_weeks) for e in ordered],
            "percent_complete": [e.percent_complete for e in ordered],
            "score": [f[0] for f in found],
            "value": [f[1] for f in found],
            "quadrant": places,
            "problems": ["; ".join(f[2]) for f in found],
            "inputs": [dict(e.scores.get(framework_id) or {}) for e in ordered],
            "lift_metric": [e.lift_metric for e in ordered],
            "lift_pct": [e.lift_pct for e in ordered],
            "baseline": [f[3] for f in found],
            "version": [e.version for e in ordered],
        },
        columns=COLUMNS,
    )
    for name in ("score", "value", "lift_pct", "baseline", "effort_weeks"):
        frame[name] = frame[name].astype("float64")
    frame.attrs["value_split"] = value_split
    frame.attrs["effort_split"] = effort_split
    frame.attrs["framework"] = framework_id
    return frame


def backlog_entries(*, session: Session) -> list[BacklogEntry]:
    """Every open initiative (idea, planned, in progress, blocked) as the ranking needs it."""
    names = person_names(session=session)
    # The columns the ranking reads, not whole initiatives: thousands of them load at once, as
    # plain rows through the session's connection and unpacked by position (the ORM's handling
    # of each row and reading fields by name cost more than the read itself at that size).
    rows = (
        session.connection()
        .execute(
            sa_select(
                col(Initiative.id),
                col(Initiative.title),
                col(Initiative.owner_id),
                col(Initiative.status),
                col(Initiative.health),
                col(Initiative.effort_weeks),
                col(Initiative.scores),
                col(Initiative.start_date),
                col(Initiative.target_date),
                col(Initiative.percent_complete),
                col(Initiative.lift_metric),
                col(Initiative.lift_pct),
                col(Initiative.version),
                col(Initiative.lift_estimator_id),
            )
            .where(col(Initiative.status).in_(OPEN_STATUSES))
            .order_by(col(Initiative.id))
        )
        .all()
    )
    return [
        BacklogEntry(
            id=int(pk),
            title=title,
            owner_id=owner_id,
            owner=names.get(owner_id, f"#{owner_id}"),
            status=InitiativeStatus(status).value,
            health=Health(health).value,
            effort_weeks=effort_weeks,
            scores=dict(scores or {}),
            start_date=start_date,
            target_date=target_date,
            percent_complete=percent_complete,
            lift_metric=lift_metric,
            lift_pct=lift_pct,
            version=version,
            lift_estimator_id=estimator_id,
        )
        for (
            pk,
            title,
            owner_id,
            status,
            health,
            effort_weeks,
            scores,
            start_date,
            target_date,
            percent_complete,
            lift_metric,
            lift_pct,
            version,
            estimator_id,
        ) in rows
    ]


def rank_as_configured(
    entries: Sequence[BacklogEntry],
    *,
    config: AppConfig,
    framework_id: str,
    framework: Framework,
    baselines: Mapping[str, Baseline] | None,
) -> pd.DataFrame:
    """rank_backlog with the configured matrix, effort scales and metric directions."""
    return rank_backlog(
        entries,
        framework_id=framework_id,
        framework=framework,
        matrix=config.scoring.matrix,
        baseline_by_metric=baselines,
        higher_is_better={m: spec.higher_is_better for m, spec in config.metrics.metrics.items()},
        effort=config.scoring.effort,
    )


def ranked_backlog(
    *, session: Session, config: AppConfig, framework_id: str, as_of: date | None = None
) -> pd.DataFrame:
    """The open initiatives ranked by one framework, with score, value and quadrant.

    `as_of` ends the expected-value baseline window (default: the last complete day).
    """
    framework = framework_or_error(config, framework_id)
    entries = backlog_entries(session=session)
    base: dict[str, Baseline] = {}
    if framework.formula == "expected_value":
        base = baselines(
            session=session,
            config=config.metrics,
            metric_ids=[e.lift_metric for e in entries if e.lift_metric],
            as_of=as_of,
            complete_after_hours=config.settings.metrics.complete_after_hours,
        )
    return rank_as_configured(
        entries, config=config, framework_id=framework_id, framework=framework, baselines=base
    )


def value_axis_label(framework: Framework, currency_symbol: str = "$") -> str:
    """What the matrix's value axis measures under a framework."""
    if framework.formula == "rice":
        return _("Reach × impact × confidence")
    if framework.formula == "wsjf":
        return _("Cost of delay (value + criticality + risk)")
    if framework.formula == "expected_value":
        return _("Expected weekly gross profit gain ({symbol})").format(symbol=currency_symbol)
    return _("{framework} score").format(framework=_(framework.label))


def initiative_scores(
    *, session: Session, config: AppConfig, initiative_id: int, as_of: date | None = None
) -> pd.DataFrame:
    """One initiative under every framework, to compare: framework, score, inputs, problems."""
    initiative = session.get(Initiative, initiative_id)
    if initiative is None:
        raise InputError([_("initiative {id} does not exist").format(id=initiative_id)])
    base: Baseline | None = None
    if initiative.lift_metric:
        base = baselines(
            session=session,
            config=config.metrics,
            metric_ids=[initiative.lift_metric],
            as_of=as_of,
            complete_after_hours=config.settings.metrics.complete_after_hours,
        )[initiative.lift_metric]
    entry = BacklogEntry(
        id=initiative_id,
        title=initiative.title,
        owner_id=initiative.owner_id,
        owner="",
        status=initiative.status.value,
        health=initiative.health.value,
        effort_weeks=initiative.effort_weeks,
        scores=dict(initiative.scores or {}),
        lift_metric=initiative.lift_metric,
        lift_pct=initiative.lift_pct,
    )
    rows = []
    for framework_id, framework in config.scoring.frameworks.items():
        frame = rank_as_configured(
            [entry],
            config=config,
            framework_id=framework_id,
            framework=framework,
            baselines={initiative.lift_metric: base} if base and initiative.lift_metric else {},
        )
        inputs = frame["inputs"].iloc[0]
        given = [
            f"{_(framework.inputs[k].label)} {format_entered(v)}"
            for k, v in inputs.items()
            if k in framework.inputs
        ]
        weeks = initiative.effort_weeks
        derived = effort_input_text(framework.formula, weeks, config.scoring.effort)
        if derived:
            given.append(
                _("{derived} (from {weeks} person-weeks)").format(
                    derived=derived,
                    weeks=f"{weeks:g}" if i18n.english_formats() else format_entered(weeks),
                )
            )
        rows.append(
            {
                "framework": _(framework.label),
                "score": frame["score"].iloc[0],
                "inputs": ", ".join(given),
                "problems": frame["problems"].iloc[0],
            }
        )
    return pd.DataFrame(rows, columns=["framework", "score", "inputs", "problems"])
