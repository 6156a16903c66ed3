"""Deleting into the trash, restoring from it, and purging it.

A deleted objective, key result or initiative leaves the store with every row that hangs on it
(an objective's key results, check-ins, links between initiatives and key results, dependencies,
status updates; a decision about a deleted initiative keeps its place, unlinked) and waits in a
TrashItem for TRASH_DAYS days. Restoring writes it back with the same ids and links; a link whose
other end has gone since (deleted too, or purged) cannot come back and is named. Archived
objectives and key results wait in the trash the same 30 days from their archive day (they
stay in place until then, and a restore simply unarchives them).

Purging (`purge_expired_trash`) deletes for good what has waited its 30 days: it runs before every
trash write and from the command line (`python -m planning trash purge`, for a daily schedule);
the Trash view never lists, and a restore refuses, an item whose purge day has come, so the
promise holds even on a day the purge has not run yet. A closed quarter's goals are frozen: they
cannot be deleted, and archived ones in a closed quarter are never purged.

Who may: a director deletes and restores anything; a member deletes (and restores) only an idea
they own; stakeholders change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from planning import clock
from planning.access.permissions import (
    Actor,
    PermissionDenied,
    can_drop_initiative,
    require_director,
    require_owner_or_director,
)
from planning.formatting import format_day
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.okrs.goal_rules import is_closed, refuse_if_closed
from planning.store.audit import record_event, snapshot
from planning.store.models import AuditEvent, Initiative, KeyResult, Objective
from planning.store.models_trash import TrashItem, TrashItemRead
from planning.store.trash_rows import first_row_blocker, put_back, take_rows
from planning.store.versioning import check_and_bump
from planning.trash.reasons import reason_text
from planning.validation import InputError

TRASH_DAYS = 30
ENTITY_WORDS = {
    "objective": N_("Objective"),
    "key_result": N_("Key result"),
    "initiative": N_("Initiative"),
}
# What a member may not do when they restore a director's goal, by what was deleted.
RESTORE_ACTIONS = {
    "objective": N_("restore a deleted objective"),
    "key_result": N_("restore a deleted key result"),
}


@dataclass(frozen=True)
class Restored:
    """What a restore brought back, and the links that could not return (and why)."""

    entity: str
    entity_id: int
    title: str
    not_restored: tuple[str, ...]


def _named(entity: str, title: str) -> str:
    """A record as conflicts and the purge's audit event name it, in English: Key result “…”."""
    return f"{ENTITY_WORDS.get(entity, entity)} “{title}”"


def purge_day(start: date) -> date:
    """The first day an item put in the trash on `start` is gone for good (30 days later)."""
    return start + timedelta(days=TRASH_DAYS)


def _into_trash(
    session: Session, *, actor: Actor, entity: str, record: Any, today: date
) -> TrashItemRead:
    before = snapshot(record)
    record_id, title = int(record.id), str(record.title)[:200]
    taken = take_rows(session, table_name=entity, key={"id": record_id})
    session.expunge(record)
    item = TrashItem(
        entity=entity,
        entity_id=record_id,
        title=title,
        trashed_by=actor.id,
        purge_on=purge_day(today),
        rows=taken.rows,
        cleared=taken.cleared,
    )
    session.add(item)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        entity=entity,
        entity_id=record_id,
        action="delete",
        before=before,
        after={"trash_item": item.id, "purge_on": item.purge_on.isoformat()},
    )
    session.flush()
    return TrashItemRead.model_validate(item)


Goal = TypeVar("Goal", Objective, KeyResult)


def _goal_to_delete(
    session: Session,
    actor: Actor,
    model: type[Goal],
    record_id: int,
    *,
    action: str,
    today: date | None,
) -> tuple[Goal, date]:
    """The objective or key result a director deletes, locked, and the day; the trash's expired
    items are purged first. InputError when it does not exist."""
    require_director(actor, action)
    today = today or clock.today()
    purge_expired_trash(session=session, today=today)
    record = session.get(model, record_id, with_for_update=True)
    if record is None:
        missing = (
            _("objective {id} does not exist")
            if model is Objective
            else _("key result {id} does not exist")
        )
        raise InputError([missing.format(id=record_id)])
    return record, today


def _bump_into_trash(
    session: Session,
    actor: Actor,
    entity: str,
    record: Objective | KeyResult | Initiative,
    expected_version: int,
    today: date,
) -> TrashItemRead:
    """Check the version the deleter saw, then move the record and what hangs on it to the
    trash."""
    what = f"{_(ENTITY_WORDS.get(entity, entity))} “{record.title}”"
    check_and_bump(record, expected_version=expected_version, what=what)
    return _into_trash(session, actor=actor, entity=entity, record=record, today=today)


def delete_objective(
    *,
    session: Session,
    actor: Actor,
    objective_id: int,
    expected_version: int,
    today: date | None = None,
) -> TrashItemRead:
    """Move an objective, its key results and everything linked to them to the trash
    (directors only; never in a closed quarter)."""
    record, today = _goal_to_delete(
        session, actor, Objective, objective_id, action=N_("delete objectives"), today=today
    )
    refuse_if_closed(session, record.period)
    return _bump_into_trash(session, actor, "objective", record, expected_version, today)


def delete_key_result(
    *,
    session: Session,
    actor: Actor,
    key_result_id: int,
    expected_version: int,
    today: date | None = None,
) -> TrashItemRead:
    """Move a key result with its check-ins and initiative links to the trash (directors only;
    never in a closed quarter)."""
    record, today = _goal_to_delete(
        session, actor, KeyResult, key_result_id, action=N_("delete key results"), today=today
    )
    objective = session.get(Objective, record.objective_id)
    if objective is not None:
        refuse_if_closed(session, objective.period)
    return _bump_into_trash(session, actor, "key_result", record, expected_version, today)


def delete_initiative(
    *,
    session: Session,
    actor: Actor,
    initiative_id: int,
    expected_version: int,
    today: date | None = None,
) -> TrashItemRead:
    """Move an initiative with its key-result links, dependencies and status updates to the
    trash (a director any; a member only an idea they own)."""
    record = session.get(Initiative, initiative_id, with_for_update=True)
    if record is None:
        raise InputError([_("initiative {id} does not exist").format(id=initiative_id)])
    require_owner_or_director(actor, record.owner_id, N_("delete this initiative"))
    if not can_drop_initiative(actor, record.owner_id, record.status.value):
        raise PermissionDenied(
            _(
                "Only a director can delete work that is past the idea stage; a member deletes "
                "only their own idea."
            )
        )
    today = today or clock.today()
    purge_expired_trash(session=session, today=today)
    return _bump_into_trash(session, actor, "initiative", record, expected_version, today)


def _may_restore(actor: Actor, item: TrashItem) -> None:
    if item.entity != "initiative":
        require_director(actor, RESTORE_ACTIONS[item.entity])
        return
    row = item.rows[0]["row"] if item.rows else {}
    require_owner_or_director(actor, row.get("owner_id"), N_("restore this initiative"))
    if not can_drop_initiative(actor, row.get("owner_id"), str(row.get("status"))):
        raise PermissionDenied(_("Only a director can restore work that was past the idea stage."))


def restore_from_trash(
    *, session: Session, actor: Actor, trash_item_id: int, today: date | None = None
) -> Restored:
    """Put a deleted record back with the rows that were linked to it; links whose other end is
    gone are named in `not_restored`. Refused when its purge day has come or the record itself
    cannot return (its objective was deleted too: restore that first)."""
    today = today or clock.today()
    item = session.get(TrashItem, trash_item_id, with_for_update=True)
    if item is None:
        raise InputError(
            [_("trash item {id} does not exist (restored or purged)").format(id=trash_item_id)]
        )
    _may_restore(actor, item)
    what = f"{_(ENTITY_WORDS.get(item.entity, item.entity))} “{item.title}”"
    if item.purge_on <= today:
        raise InputError(
            [
                _("{what} was deleted for good on {day}").format(
                    what=what, day=format_day(item.purge_on)
                )
            ]
        )
    blocker = first_row_blocker(session, rows=item.rows)
    if blocker is not None:
        raise InputError(
            [
                _("{what} cannot be restored: {blocker}; restore that first").format(
                    what=what, blocker=reason_text(blocker)
                )
            ]
        )
    if item.entity != "initiative":
        objective_id = item.rows[0]["row"].get("objective_id", item.entity_id)
        objective = session.get(Objective, objective_id)
        if objective is not None:
            refuse_if_closed(session, objective.period)
    skipped = put_back(session, rows=item.rows, cleared=item.cleared)
    record_event(
        session=session,
        actor=actor,
        entity=item.entity,
        entity_id=item.entity_id,
        action="restore_from_trash",
        before={"trash_item": item.id},
        after={**item.rows[0]["row"], "not_restored": skipped},
    )
    session.delete(item)
    session.flush()
    return Restored(
        entity=item.entity,
        entity_id=item.entity_id,
        title=item.title,
        not_restored=tuple(skipped),
    )


def local_day(at: datetime) -> date:
    """The team's calendar day of a stored moment."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(clock.time_zone()).date()


def archive_days(session: Session, entity: str, ids: list[int]) -> dict[int, date]:
    """The day each archived objective or key result was last archived (from the audit trail)."""
    days: dict[int, date] = {}
    if not ids:
        return days
    for entity_id, at in session.exec(
        select(AuditEvent.entity_id, AuditEvent.at)
        .where(
            AuditEvent.entity == entity,
            AuditEvent.action == "archive",
            col(AuditEvent.entity_id).in_(ids),
        )
        .order_by(col(AuditEvent.at))
    ).all():
        if entity_id is not None:
            days[int(entity_id)] = local_day(at)
    return days


@dataclass(frozen=True)
class ArchivedGoal:
    """An archived objective or key result of an open quarter, as the trash holds it."""

    entity: str
    entity_id: int
    title: str
    version: int
    archived_on: date


def archived_goals(session: Session) -> list[ArchivedGoal]:
    """Archived objectives and key results of open quarters with the day they were archived."""
    found: list[ArchivedGoal] = []
    closed: dict[str, bool] = {}

    def frozen(period: str) -> bool:
        if period not in closed:
            closed[period] = is_closed(session=session, period=period)
        return closed[period]

    periods = {
        int(i or 0): str(p) for i, p in session.exec(select(Objective.id, Objective.period)).all()
    }
    archived: list[tuple[str, Objective | KeyResult, str]] = [
        ("objective", o, o.period)
        for o in session.exec(select(Objective).where(col(Objective.archived))).all()
    ]
    archived += [
        ("key_result", k, periods.get(k.objective_id, ""))
        for k in session.exec(select(KeyResult).where(col(KeyResult.archived))).all()
    ]
    days: dict[str, dict[int, date]] = {}
    for kind in ("objective", "key_result"):
        ids = [int(r.id or 0) for e, r, _ in archived if e == kind]
        days[kind] = archive_days(session, kind, ids)
    for entity, record, period in archived:
        if record.id is None or frozen(period):
            continue
        found.append(
            ArchivedGoal(
                entity=entity,
                entity_id=int(record.id),
                title=record.title,
                version=record.version,
                archived_on=days[entity].get(int(record.id), local_day(record.created_at)),
            )
        )
    return found


def purge_expired_trash(*, session: Session, today: date | None = None) -> list[str]:
    """Delete for good every trash item whose purge day has come, and archived objectives and key
    results archived 30 days ago or more (never a closed quarter's); returns what went."""
    today = today or clock.today()
    gone: list[str] = []
    for item in session.exec(select(TrashItem).where(col(TrashItem.purge_on) <= today)).all():
        gone.append(_named(item.entity, item.title))
        session.delete(item)
    for goal in archived_goals(session):
        if purge_day(goal.archived_on) > today:
            continue
        taken = take_rows(session, table_name=goal.entity, key={"id": goal.entity_id})
        if not taken.rows:
            continue  # went with its objective
        gone.append(_named(goal.entity, goal.title))
        record_event(
            session=session,
            actor=None,
            entity=goal.entity,
            entity_id=goal.entity_id,
            action="purge",
            before={"archived_on": goal.archived_on.isoformat()},
        )
    if gone:
        record_event(
            session=session,
            actor=None,
            entity="trash",
            entity_id=None,
            action="purge",
            after={"gone": gone},
        )
    session.flush()
    return gone
