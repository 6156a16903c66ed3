"""Reading objectives, key results and check-ins: a quarter's goals, one goal by id, the quarters
that have goals, whether a quarter is closed, a key result's check-in history and the initiatives
linked to it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from planning.store.models import (
    CheckIn,
    Initiative,
    InitiativeKeyResult,
    KeyResult,
    KeyResultRead,
    Objective,
    ObjectiveRead,
    PeriodClose,
    Person,
)


@dataclass(frozen=True)
class CheckInEntry:
    """One check-in as the history shows it."""

    id: int
    key_result_id: int
    created_at: datetime
    author_id: int
    author: str
    confidence: int
    note: str
    value: float | None
    done: bool | None


@dataclass(frozen=True)
class LinkedInitiative:
    """An initiative expected to move a key result, with the dates that matter on its chart."""

    id: int
    title: str
    owner: str
    status: str
    health: str
    percent_complete: int
    start_date: date | None
    target_date: date | None
    shipped_date: date | None


def list_objectives(
    *, session: Session, period: str, include_archived: bool = False
) -> list[ObjectiveRead]:
    """A quarter's objectives, oldest first."""
    query = select(Objective).where(Objective.period == period)
    if not include_archived:
        query = query.where(Objective.archived == False)  # noqa: E712  (SQL comparison)
    rows = session.exec(query.order_by(col(Objective.id))).all()
    return [ObjectiveRead.model_validate(row) for row in rows]


def objectives_by_id(*, session: Session, ids: Iterable[int]) -> dict[int, Objective]:
    """The stored objectives of these ids, by id (an id no objective has is left out)."""
    query = select(Objective).where(col(Objective.id).in_(sorted(set(ids))))
    return {flushed_id(o.id): o for o in session.exec(query).all()}


def list_key_results(
    *, session: Session, objective_ids: Iterable[int], include_archived: bool = False
) -> list[KeyResultRead]:
    """The key results of some objectives, oldest first."""
    ids = list(objective_ids)
    if not ids:
        return []
    query = select(KeyResult).where(col(KeyResult.objective_id).in_(ids))
    if not include_archived:
        query = query.where(KeyResult.archived == False)  # noqa: E712  (SQL comparison)
    rows = session.exec(query.order_by(col(KeyResult.id))).all()
    return [KeyResultRead.model_validate(row) for row in rows]


def get_objective(*, session: Session, objective_id: int) -> ObjectiveRead | None:
    """One objective by id, or None."""
    row = session.get(Objective, objective_id)
    return ObjectiveRead.model_validate(row) if row else None


def get_key_result(*, session: Session, key_result_id: int) -> KeyResultRead | None:
    """One key result by id, or None."""
    row = session.get(KeyResult, key_result_id)
    return KeyResultRead.model_validate(row) if row else None


def periods_with_goals(*, session: Session) -> list[str]:
    """Every quarter that has at least one objective, archived ones included, in order."""
    rows = session.exec(select(Objective.period).distinct()).all()
    return sorted(str(p) for p in rows)


def is_closed(*, session: Session, period: str) -> bool:
    """Whether a quarter has been closed (its goals are then frozen)."""
    found = session.exec(select(PeriodClose.id).where(PeriodClose.period == period)).first()
    return found is not None


def check_in_history(*, session: Session, key_result_id: int) -> list[CheckInEntry]:
    """Every check-in on a key result, newest first, with its author's name."""
    rows = session.exec(
        select(CheckIn, Person.name)
        .join(Person, col(Person.id) == col(CheckIn.author_id))
        .where(CheckIn.key_result_id == key_result_id)
        .order_by(col(CheckIn.created_at).desc(), col(CheckIn.id).desc())
    ).all()
    return [
        CheckInEntry(
            id=flushed_id(check_in.id),
            key_result_id=check_in.key_result_id,
            created_at=check_in.created_at,
            author_id=check_in.author_id,
            author=name,
            confidence=check_in.confidence,
            note=check_in.note,
            value=check_in.value,
            done=check_in.done,
        )
        for check_in, name in rows
    ]


def linked_initiatives(*, session: Session, key_result_id: int) -> list[LinkedInitiative]:
    """Initiatives linked to a key result, by target date."""
    rows = session.exec(
        select(Initiative, Person.name)
        .join(InitiativeKeyResult, col(InitiativeKeyResult.initiative_id) == col(Initiative.id))
        .join(Person, col(Person.id) == col(Initiative.owner_id))
        .where(InitiativeKeyResult.key_result_id == key_result_id)
    ).all()
    found = [
        LinkedInitiative(
            id=flushed_id(initiative.id),
            title=initiative.title,
            owner=name,
            status=initiative.status.value,
            health=initiative.health.value,
            percent_complete=initiative.percent_complete,
            start_date=initiative.start_date,
            target_date=initiative.target_date,
            shipped_date=initiative.shipped_date,
        )
        for initiative, name in rows
    ]
    return sorted(found, key=lambda i: (i.shipped_date or i.target_date or date.max, i.id))


def flushed_id(value: int | None) -> int:
    """A stored row's id, known once the row is flushed."""
    assert value is not None, "row must be flushed first"
    return value
