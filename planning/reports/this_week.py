"""This week: what each person should look at first when they open Quarterdeck.

- A member (or a director, for what they own themselves) sees what they owe: initiatives that
  expect a status update and have had none for `stale_after_days` days, and key results of the
  running quarter with no check-in for as many days.
- A director sees what needs attention across the team: key results off track or at risk,
  initiatives whose status update is overdue, blocked work (and since when), and what changed
  since the last committed weekly plan.
- A stakeholder sees a short summary of the quarter's goals (and, from planning.work.roadmap, of the
  roadmap).

Rules:

- An initiative expects regular status updates while work is under way: it is in progress or
  blocked, or it is planned and its start date has come. Ideas, done and dropped work owe nothing.
- Ages are counted in whole days between the team's day of the last update and today. An update or
  a check-in is owed once `every_days` days have passed: with 7, an initiative last updated on a
  Thursday is owed again on the next Thursday. Never updated means owed.
- Ideas to triage: every initiative still an idea, oldest first, for a director to accept to
  the backlog or decline with a reason (planning.work.status_updates.accept_idea / decline_idea).
- The person who proposed an idea (its owner) sees how it was triaged for `OUTCOME_DAYS` days.
- A key result is due a check-in when it belongs to the running quarter (not archived, quarter
  not closed) and it is not a milestone that is already done.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from planning import clock
from planning.config import AppConfig
from planning.okrs.evaluation_results import KrEvaluation, PeriodEvaluation
from planning.okrs.goal_reads import is_closed
from planning.periods import iso_week, quarter_of
from planning.store.models import (
    CheckIn,
    Initiative,
    InitiativeStatus,
    KeyResult,
    KrKind,
    Objective,
    StatusUpdate,
)
from planning.work.initiative_reads import ROW_FIELDS, initiative_columns, person_names
from planning.work.status_updates import ACCEPTED_NOTE, DECLINED_PREFIX
from planning.work.weekly_plan import PlanDiff, plan_diff

S = InitiativeStatus
UNDER_WAY: tuple[str, ...] = (S.in_progress.value, S.blocked.value)
ATTENTION_ORDER: tuple[str, ...] = ("off_track", "at_risk")
OUTCOME_DAYS = 14


@dataclass(frozen=True)
class OwedUpdate:
    """An initiative whose owner owes a status update."""

    initiative_id: int
    title: str
    owner_id: int
    owner: str
    status: str
    health: str
    percent_complete: int
    start_date: date | None
    target_date: date | None
    last_update_at: datetime | None
    days_since_update: int | None  # None: never updated
    version: int


@dataclass(frozen=True)
class DueCheckIn:
    """A key result of the running quarter that is due a check-in from its owner."""

    key_result_id: int
    title: str
    objective: str
    owner_id: int
    owner: str
    kind: str
    unit: str
    last_check_in_at: datetime | None
    days_since_check_in: int | None  # None: never checked in
    last_confidence: int | None


@dataclass(frozen=True)
class Owed:
    """Everything one person owes this week."""

    updates: tuple[OwedUpdate, ...]
    check_ins: tuple[DueCheckIn, ...]

    @property
    def empty(self) -> bool:
        """Whether nothing is owed."""
        return not self.updates and not self.check_ins


@dataclass(frozen=True)
class BlockedInitiative:
    """Blocked work, with how long it has been blocked and the latest word on it."""

    initiative_id: int
    title: str
    owner: str
    health: str
    blocked_since: datetime | None
    days_blocked: int | None
    last_note: str
    target_date: date | None


@dataclass(frozen=True)
class IdeaToTriage:
    """An idea waiting for a director's yes or no."""

    initiative_id: int
    title: str
    description: str
    owner: str
    proposed_at: datetime
    version: int


@dataclass(frozen=True)
class IdeaOutcome:
    """How a director triaged one of a person's ideas."""

    initiative_id: int
    title: str
    accepted: bool
    reason: str  # the decline reason; empty when accepted
    by: str
    at: datetime


@dataclass(frozen=True)
class DirectorBrief:
    """What a director looks at first: goals slipping, overdue updates, blocked work, plan moves."""

    key_results: tuple[KrEvaluation, ...]  # off track first, then at risk
    stale: tuple[OwedUpdate, ...]
    blocked: tuple[BlockedInitiative, ...]
    plan: PlanDiff | None  # None when the active framework cannot rank the backlog


# --- rules (pure) ------------------------------------------------------------------------------


def days_since(moment: datetime | None, today: date) -> int | None:
    """Whole days from the team's day of `moment` to today; None when there is no moment."""
    if moment is None:
        return None
    return (today - clock.day_of(moment)).days


def is_owed(days: int | None, every_days: int) -> bool:
    """Whether an update or check-in is owed: never given, or `every_days` days have passed."""
    return days is None or days >= every_days


def expects_updates(status: str, start_date: date | None, today: date) -> bool:
    """Whether an initiative in this state owes regular status updates (work under way)."""
    if status in UNDER_WAY:
        return True
    return status == S.planned.value and start_date is not None and start_date <= today


def needs_attention(evaluations: Iterable[KrEvaluation]) -> list[KrEvaluation]:
    """Key results off track or at risk: off track first, each group in the order given."""
    found = list(evaluations)
    return [kr for status in ATTENTION_ORDER for kr in found if kr.status == status]


def goals_summary(evaluation: PeriodEvaluation) -> pd.DataFrame:
    """One row per objective: title, owner, progress, expected, status and KR counts by status.

    Columns: objective_id, objective, owner, progress, expected, status, status_reason,
    key_results, off_track, at_risk, too_early.
    """
    rows = []
    for objective in evaluation.objectives:
        statuses = [kr.status for kr in objective.key_results]
        rows.append(
            {
                "objective_id": objective.objective_id,
                "objective": objective.title,
                "owner": objective.owner,
                "progress": objective.progress,
                "expected": objective.expected,
                "status": objective.status,
                "status_reason": objective.status_reason,
                "key_results": len(statuses),
                "off_track": statuses.count("off_track"),
                "at_risk": statuses.count("at_risk"),
                "too_early": statuses.count("too_early"),
            }
        )
    columns = [
        "objective_id",
        "objective",
        "owner",
        "progress",
        "expected",
        "status",
        "status_reason",
        "key_results",
        "off_track",
        "at_risk",
        "too_early",
    ]
    return pd.DataFrame(rows, columns=columns)


def _age(days: int | None) -> int:
    """Days for sorting: never (None) counts as the oldest."""
    return 10**9 if days is None else days


# --- reads -------------------------------------------------------------------------------------


def _last_updates(session: Session, ids: Sequence[int]) -> dict[int, datetime]:
    if not ids:
        return {}
    rows = session.exec(
        select(StatusUpdate.initiative_id, func.max(StatusUpdate.created_at))
        .where(col(StatusUpdate.initiative_id).in_(ids))
        .group_by(col(StatusUpdate.initiative_id))
    ).all()
    return {int(i): at for i, at in rows if at is not None}


def updates_owed(
    *,
    session: Session,
    today: date,
    every_days: int,
    owner_id: int | None = None,
) -> list[OwedUpdate]:
    """Initiatives under way whose status update is owed, longest overdue first."""
    query = initiative_columns(*ROW_FIELDS, "version").where(
        col(Initiative.status).in_([*UNDER_WAY, S.planned.value])
    )
    if owner_id is not None:
        query = query.where(col(Initiative.owner_id) == owner_id)
    candidates = [
        i
        for i in session.execute(query).all()
        if expects_updates(i.status.value, i.start_date, today)
    ]
    last = _last_updates(session, [int(i.id) for i in candidates if i.id is not None])
    names = person_names(session=session)
    owed = []
    for i in candidates:
        assert i.id is not None
        at = last.get(i.id)
        days = days_since(at, today)
        if not is_owed(days, every_days):
            continue
        owed.append(
            OwedUpdate(
                initiative_id=i.id,
                title=i.title,
                owner_id=i.owner_id,
                owner=names.get(i.owner_id, f"#{i.owner_id}"),
                status=i.status.value,
                health=i.health.value,
                percent_complete=i.percent_complete,
                start_date=i.start_date,
                target_date=i.target_date,
                last_update_at=at,
                days_since_update=days,
                version=i.version,
            )
        )
    owed.sort(key=lambda o: (-_age(o.days_since_update), o.initiative_id))
    return owed


def check_ins_due(
    *,
    session: Session,
    today: date,
    every_days: int,
    fiscal_start_month: int = 1,
    owner_id: int | None = None,
) -> list[DueCheckIn]:
    """Key results of the running quarter due a check-in, longest overdue first."""
    period = quarter_of(today, fiscal_start_month)
    if is_closed(session=session, period=period):
        return []
    query = (
        select(KeyResult, Objective.title)
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(
            Objective.period == period,
            Objective.archived == False,  # noqa: E712
            KeyResult.archived == False,  # noqa: E712
        )
        .order_by(col(Objective.id), col(KeyResult.id))
    )
    if owner_id is not None:
        query = query.where(KeyResult.owner_id == owner_id)
    rows = [
        (kr, title)
        for kr, title in session.exec(query).all()
        if not (kr.kind == KrKind.milestone and kr.done)
    ]
    ids = [int(kr.id) for kr, _ in rows if kr.id is not None]
    latest: dict[int, tuple[datetime, int]] = {}
    if ids:
        for kr_id, moment, level in session.exec(
            select(CheckIn.key_result_id, CheckIn.created_at, CheckIn.confidence)
            .where(col(CheckIn.key_result_id).in_(ids))
            .order_by(col(CheckIn.created_at), col(CheckIn.id))
        ).all():
            latest[int(kr_id)] = (moment, int(level))  # the last row per key result wins
    names = person_names(session=session)
    due = []
    for kr, objective_title in rows:
        assert kr.id is not None
        at: datetime | None = None
        confidence: int | None = None
        if kr.id in latest:
            at, confidence = latest[kr.id]
        days = days_since(at, today)
        if not is_owed(days, every_days):
            continue
        due.append(
            DueCheckIn(
                key_result_id=kr.id,
                title=kr.title,
                objective=objective_title,
                owner_id=kr.owner_id,
                owner=names.get(kr.owner_id, f"#{kr.owner_id}"),
                kind=kr.kind.value,
                unit=kr.unit,
                last_check_in_at=at,
                days_since_check_in=days,
                last_confidence=confidence,
            )
        )
    due.sort(key=lambda d: -_age(d.days_since_check_in))
    return due


def what_i_owe(
    *,
    session: Session,
    person_id: int,
    today: date,
    every_days: int,
    fiscal_start_month: int = 1,
) -> Owed:
    """One person's overdue status updates and due check-ins."""
    return Owed(
        updates=tuple(
            updates_owed(session=session, today=today, every_days=every_days, owner_id=person_id)
        ),
        check_ins=tuple(
            check_ins_due(
                session=session,
                today=today,
                every_days=every_days,
                fiscal_start_month=fiscal_start_month,
                owner_id=person_id,
            )
        ),
    )


def what_everyone_owes(
    *, session: Session, today: date, every_days: int, fiscal_start_month: int = 1
) -> dict[int, Owed]:
    """`what_i_owe` for everyone who owes something, by person id (one read for a whole team's
    This week; each person's lists keep `what_i_owe`'s order)."""
    return owed_by_person(
        updates_owed(session=session, today=today, every_days=every_days),
        check_ins_due(
            session=session,
            today=today,
            every_days=every_days,
            fiscal_start_month=fiscal_start_month,
        ),
    )


def owed_by_person(
    updates: Iterable[OwedUpdate], check_ins: Iterable[DueCheckIn]
) -> dict[int, Owed]:
    """The team's owed updates and due check-ins (each in its read's order) by person id."""
    owed_updates: dict[int, list[OwedUpdate]] = {}
    for update in updates:
        owed_updates.setdefault(update.owner_id, []).append(update)
    due_check_ins: dict[int, list[DueCheckIn]] = {}
    for due in check_ins:
        due_check_ins.setdefault(due.owner_id, []).append(due)
    return {
        person: Owed(
            updates=tuple(owed_updates.get(person, ())),
            check_ins=tuple(due_check_ins.get(person, ())),
        )
        for person in owed_updates.keys() | due_check_ins.keys()
    }


def blocked_work(*, session: Session, today: date) -> list[BlockedInitiative]:
    """Blocked initiatives with the day they became blocked and their latest note, longest first.

    Blocked since = the first of the unbroken run of blocked status updates that ends with the
    latest one.
    """
    blocked = session.execute(
        initiative_columns("id", "title", "owner_id", "health", "target_date").where(
            col(Initiative.status) == S.blocked.value
        )
    ).all()
    ids = [int(i.id) for i in blocked if i.id is not None]
    history: dict[int, list[Any]] = {}  # rows of the four columns read, newest first
    if ids:
        for update in session.execute(
            sa_select(
                col(StatusUpdate.initiative_id),
                col(StatusUpdate.status),
                col(StatusUpdate.created_at),
                col(StatusUpdate.note),
            )
            .where(col(StatusUpdate.initiative_id).in_(ids))
            .order_by(col(StatusUpdate.created_at).desc(), col(StatusUpdate.id).desc())
        ).all():
            history.setdefault(update.initiative_id, []).append(update)
    names = person_names(session=session)
    found = []
    for i in blocked:
        assert i.id is not None
        updates = history.get(i.id, [])
        since: datetime | None = None
        for update in updates:
            if update.status.value != S.blocked.value:
                break
            since = update.created_at
        found.append(
            BlockedInitiative(
                initiative_id=i.id,
                title=i.title,
                owner=names.get(i.owner_id, f"#{i.owner_id}"),
                health=i.health.value,
                blocked_since=since,
                days_blocked=days_since(since, today),
                last_note=updates[0].note if updates else "",
                target_date=i.target_date,
            )
        )
    found.sort(key=lambda b: (-(b.days_blocked or 0), b.initiative_id))
    return found


def director_brief(
    *,
    session: Session,
    config: AppConfig,
    evaluation: PeriodEvaluation,
    today: date,
    plan: PlanDiff | None = None,
    stale: Sequence[OwedUpdate] | None = None,
) -> DirectorBrief:
    """Key results needing attention, overdue updates, blocked work and the plan's changes
    (`plan`: this week's plan diff by the active framework, `stale`: the team's overdue updates
    in `updates_owed`'s order, each when the caller has it already)."""
    framework = config.scoring.active
    if plan is None and framework in config.scoring.frameworks:
        plan = plan_diff(session=session, config=config, week=iso_week(today), framework=framework)
    if stale is None:
        stale = updates_owed(
            session=session, today=today, every_days=config.settings.updates.stale_after_days
        )
    return DirectorBrief(
        key_results=tuple(needs_attention(evaluation.key_results())),
        stale=tuple(stale),
        blocked=tuple(blocked_work(session=session, today=today)),
        plan=plan,
    )


def ideas_to_triage(*, session: Session) -> list[IdeaToTriage]:
    """Every initiative that is still an idea, oldest proposal first."""
    names = person_names(session=session)
    # The columns shown, not whole initiatives: a large backlog holds thousands of ideas.
    rows = session.execute(
        initiative_columns("id", "title", "description", "owner_id", "created_at", "version")
        .where(col(Initiative.status) == S.idea.value)
        .order_by(col(Initiative.created_at), col(Initiative.id))
    ).all()
    return [
        IdeaToTriage(
            initiative_id=int(pk or 0),
            title=title,
            description=description,
            owner=names.get(owner_id, "?"),
            proposed_at=created_at,
            version=version,
        )
        for pk, title, description, owner_id, created_at, version in rows
    ]


def idea_outcomes(
    *, session: Session, person_id: int, today: date, days: int = OUTCOME_DAYS
) -> list[IdeaOutcome]:
    """A person's ideas a director accepted or declined in the last `days` days, newest first."""
    return idea_outcomes_by_owner(session=session, today=today, days=days).get(person_id, [])


def idea_outcomes_by_owner(
    *, session: Session, today: date, days: int = OUTCOME_DAYS
) -> dict[int, list[IdeaOutcome]]:
    """`idea_outcomes` for everyone at once, by the ideas' owner."""
    names = person_names(session=session)
    rows = session.exec(
        select(StatusUpdate, Initiative)
        .join(Initiative, col(Initiative.id) == col(StatusUpdate.initiative_id))
        .where(
            col(StatusUpdate.note).startswith(ACCEPTED_NOTE)
            | col(StatusUpdate.note).startswith(DECLINED_PREFIX)
        )
        # Older ones are left out below anyway; the time index keeps this off the whole history.
        .where(
            col(StatusUpdate.created_at)
            >= datetime.combine(today - timedelta(days=days), time.min, tzinfo=clock.time_zone())
        )
        .order_by(col(StatusUpdate.created_at).desc(), col(StatusUpdate.id).desc())
    ).all()
    found: dict[int, list[IdeaOutcome]] = {}
    seen: set[int] = set()
    for update, initiative in rows:
        age = days_since(update.created_at, today)
        if initiative.id in seen or age is None or age > days:
            continue
        seen.add(int(initiative.id or 0))
        accepted = update.note.startswith(ACCEPTED_NOTE)
        found.setdefault(initiative.owner_id, []).append(
            IdeaOutcome(
                initiative_id=int(initiative.id or 0),
                title=initiative.title,
                accepted=accepted,
                reason="" if accepted else update.note.removeprefix(DECLINED_PREFIX),
                by=names.get(update.author_id, "?"),
                at=update.created_at,
            )
        )
    return found
