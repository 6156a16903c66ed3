"""Closing a quarter: suggested grades, the director's overrides, and a frozen snapshot.

Closing evaluates the quarter one last time and stores every key result's values as they stand,
with its grade, so that later imports, edits or config changes never alter what the quarter
achieved. Suggested key result grade = clamp(progress, 0, 1) rounded to 0.1 (a key result with
no value yet suggests 0.0; a guardrail's progress is 1 when its final window value holds, 0
when it is breached, however single days moved); the director may override any grade with a
reason; an objective's grade is the weighted mean of its key results' grades. Once closed, the
quarter's goals and check-ins are read-only (planning.okrs.goals refuses changes) and its grades can
still be corrected, each correction with a reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from planning import i18n
from planning.access.permissions import Actor, require_director
from planning.config import AppConfig
from planning.formatting import format_count
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.okrs.evaluation import evaluate_period, frozen_period
from planning.okrs.evaluation_results import KrEvaluation, PeriodEvaluation
from planning.okrs.goal_reads import flushed_id, is_closed
from planning.okrs.goal_rules import GoalError, quarter_id
from planning.okrs.maths import EPSILON, suggested_grade
from planning.store.audit import record_changed, record_event, snapshot
from planning.store.models import KrGrade, PeriodClose
from planning.store.versioning import check_and_bump
from planning.validation import text_problems

REASON_MAX = 500
CLOSING_NOTE_MAX = 2_000


@dataclass(frozen=True)
class GradeOverride:
    """A grade the director sets instead of the suggestion, and why."""

    grade: float
    reason: str


def suggested_grades(evaluation: PeriodEvaluation) -> dict[int, float]:
    """Suggested grade per key result id: clamp(progress, 0, 1) rounded to 0.1, 0.0 if none."""
    return {
        kr.key_result_id: suggested_grade(kr.progress) if kr.progress is not None else 0.0
        for kr in evaluation.key_results()
    }


def _grade_problems(what: str, grade: object, reason: str, suggested: float) -> list[str]:
    if isinstance(grade, bool) or not isinstance(grade, int | float) or not math.isfinite(grade):
        return [
            _("{what}: the grade must be a number from 0.0 to 1.0, got {grade}.").format(
                what=what, grade=repr(grade)
            )
        ]
    problems = []
    if not 0 <= grade <= 1:
        problems.append(
            _("{what}: the grade must be from 0.0 to 1.0, got {grade}.").format(
                what=what, grade=f"{grade:g}"
            )
        )
    if abs(grade - suggested) > EPSILON and not (reason or "").strip():
        problems.append(
            _("{what}: say why the grade is {grade} rather than the suggested {suggested}.").format(
                what=what, grade=f"{grade:g}", suggested=f"{suggested:g}"
            )
        )
    if len((reason or "").strip()) > REASON_MAX:
        problems.append(
            _("{what}: keep the reason to {most} characters.").format(
                what=what, most=format_count(REASON_MAX)
            )
        )
    if isinstance(reason, str):
        found = text_problems(reason, what=N_("the reason"), multiline=True)
        problems += [f"{what}: {p}." for p in found]
    return problems


def close_quarter(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    period: str,
    overrides: Mapping[int, GradeOverride] | None = None,
    note: str = "",
    as_of: date | None = None,
    today: date | None = None,
) -> PeriodEvaluation:
    """Grade and freeze a quarter (directors only); returns the frozen quarter.

    Every problem with the overrides is listed before anything is written.
    """
    require_director(actor, N_("close a quarter"))
    period = quarter_id(period)
    if is_closed(session=session, period=period):
        raise GoalError([_("{quarter} is already closed.").format(quarter=period)])
    # The frozen evaluation keeps its words in English, whoever closes the quarter.
    with i18n.use_locale(i18n.SOURCE_LANGUAGE):
        evaluation = evaluate_period(
            session=session, config=config, period=period, as_of=as_of, today=today
        )
    if not evaluation.objectives:
        raise GoalError([_("{quarter} has no objectives to close.").format(quarter=period)])
    suggested = suggested_grades(evaluation)
    by_id = {kr.key_result_id: kr for kr in evaluation.key_results()}
    problems: list[str] = []
    for kr_id, override in (overrides or {}).items():
        kr = by_id.get(kr_id)
        if kr is None:
            problems.append(
                _("Key result {id} is not one of {quarter}'s key results.").format(
                    id=kr_id, quarter=period
                )
            )
            continue
        problems += _grade_problems(
            f"“{kr.title}”", override.grade, override.reason, suggested[kr_id]
        )
    if not isinstance(note, str) or len(note) > CLOSING_NOTE_MAX:
        problems.append(
            _("Keep the closing note to {most} characters.").format(
                most=format_count(CLOSING_NOTE_MAX)
            )
        )
    elif found := text_problems(note, what=N_("The closing note"), multiline=True):
        problems += [f"{p}." for p in found]
    if problems:
        raise GoalError(problems)

    close = PeriodClose(
        period=period,
        as_of=evaluation.as_of,
        note=note.strip(),
        closed_by=_actor_id(actor),
        objectives=[objective.to_json() for objective in evaluation.objectives],
    )
    session.add(close)
    try:
        session.flush()
    except IntegrityError:
        # Another director closed it a moment ago; the caller's transaction is rolled back.
        raise GoalError([_("{quarter} is already closed.").format(quarter=period)]) from None
    for objective in evaluation.objectives:
        for kr in objective.key_results:
            chosen = (overrides or {}).get(kr.key_result_id)
            session.add(
                KrGrade(
                    period_close_id=flushed_id(close.id),
                    key_result_id=kr.key_result_id,
                    objective_id=objective.objective_id,
                    suggested=suggested[kr.key_result_id],
                    grade=float(chosen.grade) if chosen else suggested[kr.key_result_id],
                    reason=chosen.reason.strip() if chosen else "",
                    evaluation=kr.to_json(),
                )
            )
    session.flush()
    record_event(
        session=session,
        actor=actor,
        entity="period_close",
        entity_id=close.id,
        action="close",
        after={
            "period": period,
            "as_of": evaluation.as_of.isoformat(),
            "note": close.note,
            "grades": {
                str(kr_id): (overrides or {}).get(kr_id, GradeOverride(grade, "")).grade
                for kr_id, grade in suggested.items()
            },
        },
    )
    frozen = frozen_period(
        session=session,
        period=period,
        fiscal_start_month=config.settings.fiscal_year_start_month,
    )
    assert frozen is not None
    return frozen


def override_grade(
    *,
    session: Session,
    actor: Actor,
    period: str,
    key_result_id: int,
    grade: float,
    reason: str,
    expected_version: int,
) -> KrEvaluation:
    """Correct one key result's grade in a closed quarter, with a reason (directors only)."""
    require_director(actor, N_("grade key results"))
    period = quarter_id(period)
    close = session.exec(select(PeriodClose).where(PeriodClose.period == period)).first()
    if close is None:
        raise GoalError(
            [
                _("{quarter} is not closed yet; grades are set when it is closed.").format(
                    quarter=period
                )
            ]
        )
    record = session.exec(
        select(KrGrade)
        .where(KrGrade.period_close_id == close.id, KrGrade.key_result_id == key_result_id)
        .with_for_update()
    ).first()
    if record is None:
        raise GoalError(
            [
                _("Key result {id} was not graded when {quarter} was closed.").format(
                    id=key_result_id, quarter=period
                )
            ]
        )
    title = str(record.evaluation.get("title", key_result_id))
    problems = _grade_problems(f"“{title}”", grade, reason, record.suggested)
    if problems:
        raise GoalError(problems)
    before = snapshot(record, exclude={"evaluation"})
    check_and_bump(
        record,
        expected_version=expected_version,
        what=_("The grade of “{title}”").format(title=title),
    )
    record.grade = float(grade)
    record.reason = (reason or "").strip()
    record_changed(
        session=session,
        actor=actor,
        entity="kr_grade",
        record=record,
        action="override",
        before=before,
        exclude={"evaluation"},
    )
    return replace(
        KrEvaluation.from_json(record.evaluation),
        suggested_grade=record.suggested,
        grade=record.grade,
        grade_reason=record.reason,
        grade_version=record.version,
    )


def _actor_id(actor: Actor) -> int:
    assert actor.id is not None
    return actor.id
