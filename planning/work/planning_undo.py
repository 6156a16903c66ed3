"""Undoing the last save of the weekly planning table.

Each save (backlog_edits.apply_backlog_edits) records, per changed initiative, the fields the
save changed as they were before and after it and the version it left (a PlanningSave). A
director may undo the most recent save, once: every initiative it changed gets those fields back
(a status moved back is posted as a status update, as any status change is), audited, in the
caller's transaction. It is refused whole, naming each initiative and what changed and who
changed it, when any of them was changed or deleted after the save; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from planning.access.permissions import Actor, require_director
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.audit import record_event
from planning.store.models import AuditEvent, Initiative, InitiativeStatus, utcnow
from planning.store.models_trash import PlanningSave
from planning.validation import InputError
from planning.work import system_notes
from planning.work.initiative_input import FIELD_LABELS
from planning.work.initiative_reads import ENTITY, key_result_ids, person_names
from planning.work.initiatives import (
    acting_id,
    audit_initiative,
    audit_state,
    current_state,
    post_status_update,
)

_DATES = ("start_date", "target_date", "shipped_date")


def saved_state(initiative: Initiative) -> dict[str, Any]:
    """An initiative's fields a planning save may change, JSON-ready (dates as ISO text)."""
    state = current_state(initiative)
    state["lift_estimator_id"] = initiative.lift_estimator_id
    for name in _DATES:
        if isinstance(state[name], date):
            state[name] = state[name].isoformat()
    return state


def _from_saved(name: str, value: Any) -> Any:
    if name in _DATES and isinstance(value, str):
        return date.fromisoformat(value)
    if name == "status":
        return InitiativeStatus(value)
    return value


def record_planning_save(
    *,
    session: Session,
    saved_by: int | None,
    changes: Sequence[tuple[Initiative, Mapping[str, Any]]],
) -> PlanningSave | None:
    """Record one save of the planning table: per initiative (as it is after the save) and its
    state before it, the fields that changed. A step inside the save, which checked the actor."""
    rows = []
    for initiative, before in changes:
        after = saved_state(initiative)
        changed = sorted(k for k in after if after[k] != before.get(k))
        if not changed:
            continue
        rows.append(
            {
                "initiative_id": initiative.id,
                "title": initiative.title,
                "version": initiative.version,
                "before": {k: before.get(k) for k in changed},
                "after": {k: after[k] for k in changed},
            }
        )
    if not rows:
        return None
    save = PlanningSave(saved_by=saved_by, rows=rows)
    session.add(save)
    session.flush()
    return save


@dataclass(frozen=True)
class LastSave:
    """The most recent save of the planning table, as the Undo button describes it."""

    id: int
    saved_at: datetime
    saved_by: str
    titles: tuple[str, ...]
    undone: bool


def last_planning_save(*, session: Session) -> LastSave | None:
    """The most recent planning-table save, or None when there was none."""
    save = session.exec(select(PlanningSave).order_by(col(PlanningSave.id).desc())).first()
    if save is None or save.id is None:
        return None
    names = person_names(session=session)
    return LastSave(
        id=save.id,
        saved_at=save.saved_at,
        saved_by=names.get(save.saved_by or 0, _("someone")),
        titles=tuple(str(r["title"]) for r in save.rows),
        undone=save.undone_at is not None,
    )


def _what_changed(
    session: Session, row: Mapping[str, Any], initiative: Initiative, names: dict[int, str]
) -> str:
    now = saved_state(initiative)
    fields = [FIELD_LABELS.get(k, k) for k in sorted(now) if now[k] != row["after"].get(k, now[k])]
    who = session.exec(
        select(AuditEvent.actor_id)
        .where(AuditEvent.entity == ENTITY, AuditEvent.entity_id == initiative.id)
        .order_by(col(AuditEvent.id).desc())
    ).first()
    what = ", ".join(fields) if fields else _("it was edited")
    if who in names:
        return _("“{title}” changed since the save ({what} by {name})").format(
            title=initiative.title, what=what, name=names[who]
        )
    return _("“{title}” changed since the save ({what})").format(title=initiative.title, what=what)


def undo_last_planning_save(*, session: Session, actor: Actor, save_id: int) -> list[str]:
    """Give every initiative the last planning save changed its fields from before that save
    (directors only); `save_id` is the save the director saw. Returns the titles put back."""
    require_director(actor, N_("undo a save of the weekly planning table"))
    save = session.exec(
        select(PlanningSave).order_by(col(PlanningSave.id).desc()).with_for_update()
    ).first()
    if save is None:
        raise InputError([_("there is no save of the planning table to undo")])
    if save.id != save_id:
        raise InputError([_("the planning table was saved again since; reload to undo that save")])
    if save.undone_at is not None:
        raise InputError([_("the last save of the planning table was undone already")])
    names = person_names(session=session)
    problems: list[str] = []
    found: list[tuple[Initiative, Mapping[str, Any]]] = []
    for row in save.rows:
        initiative = session.get(Initiative, int(row["initiative_id"]), with_for_update=True)
        if initiative is None:
            problems.append(_("“{title}” was deleted since the save").format(title=row["title"]))
        elif initiative.version != row["version"]:
            problems.append(_what_changed(session, row, initiative, names))
        else:
            found.append((initiative, row))
    if problems:
        raise InputError([_("nothing was undone"), *problems])
    for initiative, kept in found:
        assert initiative.id is not None
        links = key_result_ids(session=session, initiative_id=initiative.id)
        before = audit_state(initiative, links)
        old_status = initiative.status.value
        for name, value in kept["before"].items():
            setattr(initiative, name, _from_saved(name, value))
        initiative.version += 1
        initiative.updated_at = utcnow()
        session.add(initiative)
        if initiative.status.value != old_status:
            post_status_update(
                session,
                actor,
                initiative,
                system_notes.status_changed(
                    old_status, initiative.status.value, actor.name, undoing=True
                ),
            )
        audit_initiative(session, actor, initiative, "undo_planning_save", links, before=before)
    save.undone_at = utcnow()
    save.undone_by = acting_id(actor)
    session.add(save)
    record_event(
        session=session,
        actor=actor,
        entity="planning_save",
        entity_id=save.id,
        action="undo",
        after={"initiatives": [r["initiative_id"] for r in save.rows]},
    )
    session.flush()
    return [str(r["title"]) for r in save.rows]
