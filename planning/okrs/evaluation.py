"""Evaluating a quarter's OKRs against the store: every active key result's current value,
progress, expected pace, status, forecast and confidence gap, rolled up to objectives; or, once
the quarter is closed, the snapshot frozen at its close.

The work is split by job: planning.okrs.evaluation_reads reads the store (the day evaluations run
up to, last check-ins, every metric value in one batch), planning.okrs.evaluation_rules applies
the rules of DESIGN.md §4 to each key result and objective, planning.okrs.evaluation_text words
the reasons and the command line's rows, and planning.okrs.evaluation_results holds what comes
back. ``as_of`` is "data through": the last complete day, never after today; windows end on it
and the pace counts the quarter's days up to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date

from sqlmodel import Session, col, select

from planning import clock
from planning.config import AppConfig
from planning.metrics.completeness import PartialDay
from planning.okrs.alignment_reads import contributions, parents_of
from planning.okrs.backtest import live_calibration
from planning.okrs.backtest_fit import Calibration
from planning.okrs.evaluation_reads import (
    LastCheckIn,
    MetricProblems,
    data_through,
    last_check_ins,
    read_quarter_metrics,
)
from planning.okrs.evaluation_results import (
    Contribution,
    KrEvaluation,
    ObjectiveEvaluation,
    ParentLink,
    PeriodEvaluation,
)
from planning.okrs.evaluation_rollup import roll_up_objective
from planning.okrs.evaluation_rules import EvaluationContext, evaluate_kr
from planning.okrs.evaluation_text import reason_text
from planning.okrs.goal_reads import flushed_id, list_objectives
from planning.okrs.maths import objective_grade
from planning.periods import (
    days_in_period,
    elapsed_days,
    format_quarter,
    parse_quarter,
    quarter_bounds,
)
from planning.store.models import (
    KeyResult,
    KrGrade,
    KrKind,
    Objective,
    ObjectiveRead,
    PeriodClose,
    Person,
)


def evaluate_period(
    *,
    session: Session,
    config: AppConfig,
    period: str,
    as_of: date | None = None,
    today: date | None = None,
    calibration: Calibration | None = None,
    objective_ids: Collection[int] | None = None,
) -> PeriodEvaluation:
    """Evaluate every active key result of a quarter live from the store and roll them up.

    Forecasts go through ``calibration``, by default the store's backtest for the quarters
    before ``as_of`` (planning.okrs.backtest ``live_calibration``: worked out once per version
    of the observations and quarter, refreshed in the background). With ``objective_ids`` only
    those objectives of the quarter come back, each exactly as the whole quarter's evaluation
    has it (its own key results and those of other objectives contributing to it are
    evaluated, no others): a page showing a few objectives does not evaluate them all."""
    period = format_quarter(*parse_quarter(period))
    fiscal = config.settings.fiscal_year_start_month
    first, last = quarter_bounds(period, fiscal)
    partial: tuple[PartialDay, ...] = ()
    # A quarter evaluated as of a given day (the digest's week before) is on that day's calendar.
    calendar_day = today or as_of or clock.today()
    if as_of is None:
        as_of, partial = data_through(session=session, config=config, today=today)
    objectives = list_objectives(session=session, period=period)
    titles = {flushed_id(o.id): o.title for o in objectives}
    if objective_ids is not None:
        kept = set(objective_ids)
        objectives = [o for o in objectives if o.id in kept]
    krs = _key_results(session, quarter=list(titles), shown=[flushed_id(o.id) for o in objectives])
    names = {pid: name for pid, name in session.exec(select(Person.id, Person.name)).all()}
    parent_ids = {o.parent_id for o in objectives if o.parent_id is not None}
    parents = (
        dict(
            session.exec(
                select(Objective.id, Objective.title).where(col(Objective.id).in_(parent_ids))
            ).all()
        )
        if parent_ids
        else {}
    )
    check_ins = last_check_ins(session=session, kr_ids=[kr.id for kr in krs if kr.id is not None])
    problems = MetricProblems(config.metrics)
    reads = read_quarter_metrics(
        session=session, config=config, krs=krs, period=period, as_of=as_of, problems=problems
    )
    if calibration is None and any(kr.kind in (KrKind.metric, KrKind.guardrail) for kr in krs):
        calibration = live_calibration(session=session, config=config, as_of=as_of)
    context = EvaluationContext(
        config=config,
        period=period,
        first=first,
        last=last,
        as_of=as_of,
        elapsed=elapsed_days(period, as_of, fiscal),
        total=days_in_period(period, fiscal),
        reads=reads,
        problems=problems,
        calendar_elapsed=elapsed_days(period, calendar_day, fiscal),
        calibration=calibration,
    )
    by_objective: dict[int, list[KrEvaluation]] = defaultdict(list)
    evaluated: dict[int, KrEvaluation] = {}
    for kr in krs:
        evaluation = evaluate_kr(
            kr,
            context,
            names.get(kr.owner_id, "?"),
            check_ins.get(flushed_id(kr.id), LastCheckIn()),
        )
        by_objective[kr.objective_id].append(evaluation)
        evaluated[evaluation.key_result_id] = evaluation
    links = _links(session, objectives, evaluated, titles)
    rolled = tuple(
        roll_up_objective(
            objective_id=flushed_id(o.id),
            period=o.period,
            title=o.title,
            description=o.description,
            owner_id=o.owner_id,
            owner=names.get(o.owner_id, "?"),
            parent_id=o.parent_id,
            parent_title=parents.get(o.parent_id) if o.parent_id is not None else None,
            weight=o.weight,
            key_results=by_objective.get(flushed_id(o.id), []),
            okr=config.settings.okr,
            parents=links.parents.get(flushed_id(o.id), ()),
            contributions=links.contributions.get(flushed_id(o.id), ()),
        )
        for o in objectives
    )
    return PeriodEvaluation(
        period=period,
        first_day=first,
        last_day=last,
        as_of=as_of,
        elapsed_days=context.elapsed,
        total_days=context.total,
        objectives=rolled,
        partial_days=partial,
    )


@dataclass(frozen=True)
class _Links:
    parents: dict[int, tuple[ParentLink, ...]]
    contributions: dict[int, tuple[Contribution, ...]]


def _key_results(session: Session, *, quarter: list[int], shown: list[int]) -> Sequence[KeyResult]:
    """The active key results of the ``shown`` objectives and those contributing to them from
    the quarter's other active objectives (``quarter``: all of them)."""
    if not shown:
        return []
    query = select(KeyResult).where(
        col(KeyResult.objective_id).in_(quarter),
        KeyResult.archived == False,  # noqa: E712
    )
    if len(shown) < len(quarter):
        helping = [c.key_result_id for c in contributions(session=session, objective_ids=shown)]
        query = query.where(col(KeyResult.objective_id).in_(shown) | col(KeyResult.id).in_(helping))
    return session.exec(query.order_by(col(KeyResult.id))).all()


def _links(
    session: Session,
    objectives: Sequence[ObjectiveRead],
    evaluated: Mapping[int, KrEvaluation],
    titles: Mapping[int, str],
) -> _Links:
    """The parents of ``objectives`` and the contributions to them, in three queries whatever
    the quarter's size (``titles``: every objective of the quarter). A key result counts where
    it contributes only while it is evaluated (active, its objective active)."""
    ids = [flushed_id(o.id) for o in objectives]
    parent_ids = parents_of(session=session, objective_ids=ids)
    wanted = {p for ps in parent_ids.values() for p in ps}
    links = contributions(session=session, objective_ids=ids)
    known = (
        {
            oid: (title, period)
            for oid, title, period in session.exec(
                select(Objective.id, Objective.title, Objective.period).where(
                    col(Objective.id).in_(sorted(wanted))
                )
            ).all()
        }
        if wanted
        else {}
    )
    parents = {
        oid: tuple(
            ParentLink(objective_id=p, title=known[p][0], period=known[p][1])
            for p in ps
            if p in known
        )
        for oid, ps in parent_ids.items()
    }
    counted: dict[int, list[Contribution]] = defaultdict(list)
    for link in links:
        kr = evaluated.get(link.key_result_id)
        if kr is None:
            continue
        counted[link.objective_id].append(
            Contribution(
                key_result_id=kr.key_result_id,
                title=kr.title,
                objective_id=kr.objective_id,
                objective_title=titles.get(kr.objective_id, ""),
                weight=link.weight,
                progress=kr.progress,
                expected=kr.expected,
                status=kr.status,
            )
        )
    return _Links(parents=parents, contributions={k: tuple(v) for k, v in counted.items()})


def frozen_period(
    *, session: Session, period: str, fiscal_start_month: int = 1
) -> PeriodEvaluation | None:
    """A closed quarter exactly as it was evaluated and graded at its close, or None."""
    close = session.exec(select(PeriodClose).where(PeriodClose.period == period)).first()
    if close is None:
        return None
    grades = session.exec(
        select(KrGrade)
        .where(KrGrade.period_close_id == close.id)
        .order_by(col(KrGrade.key_result_id))
    ).all()
    by_objective: dict[int, list[KrEvaluation]] = defaultdict(list)
    for grade in grades:
        kr = KrEvaluation.from_json(grade.evaluation)
        by_objective[grade.objective_id].append(
            replace(
                kr,
                # Frozen in English (planning.okrs.quarter_close), read in the reader's
                # language, figures and all.
                status_reason=reason_text(kr.status_reason),
                suggested_grade=grade.suggested,
                grade=grade.grade,
                grade_reason=grade.reason,
                grade_version=grade.version,
            )
        )
    grades_by_kr = {g.key_result_id: g.grade for g in grades}
    objectives = []
    for data in close.objectives:
        krs = by_objective.get(int(data["objective_id"]), [])
        known = {f.name for f in fields(ObjectiveEvaluation)} - {
            "key_results",
            "grade",
            "parents",
            "contributions",
        }
        parents, contributed = ObjectiveEvaluation.links_from_json(data)
        # Key results counted here from other objectives count in the grade with their weight.
        graded = [(kr.grade or 0.0, kr.weight) for kr in krs] + [
            (grades_by_kr.get(c.key_result_id) or 0.0, c.weight)
            for c in contributed
            if c.key_result_id in grades_by_kr
        ]
        kept = {k: v for k, v in data.items() if k in known}
        kept["status_reason"] = reason_text(str(kept.get("status_reason") or ""))
        objective = ObjectiveEvaluation(
            **kept,
            key_results=tuple(krs),
            parents=parents,
            contributions=contributed,
            grade=objective_grade(graded) if graded else None,
        )
        objectives.append(objective)
    closer = session.get(Person, close.closed_by)
    first, last = quarter_bounds(period, fiscal_start_month)
    as_of = close.as_of
    return PeriodEvaluation(
        period=period,
        first_day=first,
        last_day=last,
        as_of=as_of,
        elapsed_days=elapsed_days(period, as_of, fiscal_start_month),
        total_days=days_in_period(period, fiscal_start_month),
        objectives=tuple(objectives),
        closed=True,
        closed_at=close.closed_at,
        closed_by=closer.name if closer else None,
        close_note=close.note,
    )


def period_goals(
    *,
    session: Session,
    config: AppConfig,
    period: str,
    as_of: date | None = None,
    today: date | None = None,
    objective_ids: Collection[int] | None = None,
) -> PeriodEvaluation:
    """A quarter's goals: the frozen snapshot once it is closed, else evaluated live (only the
    objectives ``objective_ids`` names, when given)."""
    period = format_quarter(*parse_quarter(period))
    frozen = frozen_period(
        session=session,
        period=period,
        fiscal_start_month=config.settings.fiscal_year_start_month,
    )
    if frozen is not None:
        if objective_ids is None:
            return frozen
        kept = set(objective_ids)
        return replace(
            frozen, objectives=tuple(o for o in frozen.objectives if o.objective_id in kept)
        )
    return evaluate_period(
        session=session,
        config=config,
        period=period,
        as_of=as_of,
        today=today,
        objective_ids=objective_ids,
    )
