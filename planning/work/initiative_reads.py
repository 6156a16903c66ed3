"""Reading initiatives back: one by id, the filtered list (open work first), titles and the
choices the forms offer (people, objectives, key results), and one initiative's detail with its
linked key results, status-update history and audit trail described in words.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Select, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from planning import clock
from planning.formatting import format_lift
from planning.i18n import gettext as _
from planning.store.models import (
    AuditEvent,
    Decision,
    Initiative,
    InitiativeKeyResult,
    InitiativeRead,
    KeyResult,
    Objective,
    Person,
    StatusUpdate,
)
from planning.work.initiative_input import FIELD_LABELS, field_label
from planning.work.initiative_status import HEALTH_LABELS, S, status_label
from planning.work.system_notes import note_text

# The columns every table of initiatives starts with (the list, the roadmap's items).
INITIATIVE_COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "owner_id",
    "owner",
    "status",
    "health",
    "percent_complete",
    "start_date",
    "target_date",
    "shipped_date",
)
# The stored columns initiative_row reads: INITIATIVE_COLUMNS but the owner's name.
ROW_FIELDS = tuple(c for c in INITIATIVE_COLUMNS if c != "owner")


def initiative_columns(*names: str) -> Select[Any]:
    """A query for these columns of initiatives: its rows read like initiatives (row.title,
    row.status.value) without building thousands of whole ones."""
    return sa_select(*(col(getattr(Initiative, name)) for name in names))


def initiative_row(initiative: Initiative, names: Mapping[int, str]) -> dict[str, Any]:
    """The values of INITIATIVE_COLUMNS for one stored initiative, its owner by name."""
    return {
        "id": int(initiative.id),  # type: ignore[arg-type]
        "title": initiative.title,
        "owner_id": initiative.owner_id,
        "owner": names.get(initiative.owner_id, f"#{initiative.owner_id}"),
        "status": initiative.status.value,
        "health": initiative.health.value,
        "percent_complete": initiative.percent_complete,
        "start_date": initiative.start_date,
        "target_date": initiative.target_date,
        "shipped_date": initiative.shipped_date,
    }


ENTITY = "initiative"


@dataclass(frozen=True)
class InitiativeDetail:
    """One initiative with the names around it, its linked KRs, status history and audit trail."""

    initiative: InitiativeRead
    owner: str
    lift_estimator: str | None
    key_result_ids: tuple[int, ...]
    key_results: pd.DataFrame  # id, title, objective
    updates: pd.DataFrame  # at, author, status, health, percent_complete, note (newest first)
    audit: pd.DataFrame  # at, actor, action, changes (newest first)


def key_result_ids(*, session: Session, initiative_id: int) -> list[int]:
    """Ids of the key results an initiative is linked to, ascending."""
    rows = session.exec(
        select(InitiativeKeyResult.key_result_id).where(
            InitiativeKeyResult.initiative_id == initiative_id
        )
    ).all()
    return sorted(int(r) for r in rows)


def get_initiative(*, session: Session, initiative_id: int) -> InitiativeRead | None:
    """One initiative by id, or None."""
    initiative = session.get(Initiative, initiative_id)
    return InitiativeRead.model_validate(initiative) if initiative else None


def person_names(*, session: Session) -> dict[int, str]:
    """Every person's name by id, inactive people included (history names them too)."""
    rows = session.exec(select(Person.id, Person.name)).all()
    return {int(pid): str(name) for pid, name in rows if pid is not None}


def objective_choices(*, session: Session, period: str | None = None) -> dict[int, str]:
    """Objectives that are not archived, newest period first: id -> "2026-Q4 · title"."""
    query = select(Objective).where(Objective.archived == False)  # noqa: E712
    if period is not None:
        query = query.where(Objective.period == period)
    rows = session.exec(query.order_by(col(Objective.period).desc(), col(Objective.id))).all()
    return {int(o.id): f"{o.period} · {o.title}" for o in rows if o.id is not None}


def key_result_choices(*, session: Session) -> dict[int, str]:
    """Key results that can be linked: id -> "objective › key result", newest period first."""
    rows = session.exec(
        select(KeyResult, Objective)
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(KeyResult.archived == False)  # noqa: E712
        .order_by(col(Objective.period).desc(), col(Objective.id), col(KeyResult.id))
    ).all()
    return {
        int(kr.id): f"{obj.period} · {obj.title} › {kr.title}"
        for kr, obj in rows
        if kr.id is not None
    }


def _as_list(values: str | Iterable[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


def _open_first() -> dict[str, int]:
    """Where each status sorts in lists: work under way first, done last."""
    return {s.value: i for i, s in enumerate((S.in_progress, S.blocked, S.planned, S.idea, S.done))}


def initiative_titles(*, session: Session) -> dict[int, str]:
    """Every initiative's title by id, in list_initiatives' order (open work first, then by
    target date), read without the rest of each record."""
    rank = _open_first()
    found = session.exec(
        select(
            col(Initiative.id),
            col(Initiative.title),
            col(Initiative.status),
            col(Initiative.target_date),
        )
    ).all()
    ordered = sorted(
        found,
        key=lambda r: (
            rank.get(S(r[2]).value, len(rank)),
            r[3] or date.max,
            int(r[0] or 0),
        ),
    )
    return {int(r[0] or 0): str(r[1]) for r in ordered}


def list_initiatives(
    *,
    session: Session,
    objective_id: int | None = None,
    owner_id: int | None = None,
    status: str | Iterable[str] | None = None,
    health: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Initiatives matching every filter given, open work first, then by target date.

    Columns: id, title, owner_id, owner, status, health, percent_complete, start_date,
    target_date, shipped_date, effort_weeks, objectives, last_update_at, version.
    """
    query = select(Initiative)
    if owner_id is not None:
        query = query.where(Initiative.owner_id == owner_id)
    statuses = _as_list(status)
    if statuses is not None:
        query = query.where(col(Initiative.status).in_(statuses))
    healths = _as_list(health)
    if healths is not None:
        query = query.where(col(Initiative.health).in_(healths))
    if objective_id is not None:
        linked = (
            select(InitiativeKeyResult.initiative_id)
            .join(KeyResult, col(KeyResult.id) == col(InitiativeKeyResult.key_result_id))
            .where(KeyResult.objective_id == objective_id)
        )
        query = query.where(col(Initiative.id).in_(linked))
    initiatives = session.exec(query).all()
    ids = [int(i.id) for i in initiatives if i.id is not None]
    names = person_names(session=session)
    objectives: dict[int, list[str]] = {}
    last_update: dict[int, datetime] = {}
    if ids:
        for initiative_id, title in session.exec(
            select(InitiativeKeyResult.initiative_id, Objective.title)
            .join(KeyResult, col(KeyResult.id) == col(InitiativeKeyResult.key_result_id))
            .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
            .where(col(InitiativeKeyResult.initiative_id).in_(ids))
            .distinct()
            .order_by(col(Objective.title))
        ).all():
            objectives.setdefault(int(initiative_id), []).append(str(title))
        for initiative_id, at in session.exec(
            select(StatusUpdate.initiative_id, func.max(StatusUpdate.created_at))
            .where(col(StatusUpdate.initiative_id).in_(ids))
            .group_by(col(StatusUpdate.initiative_id))
        ).all():
            last_update[int(initiative_id)] = clock.local(at)
    rank = _open_first()
    rows = [
        {
            **initiative_row(i, names),
            "effort_weeks": i.effort_weeks,
            "objectives": ", ".join(objectives.get(int(i.id), [])),  # type: ignore[arg-type]
            "last_update_at": last_update.get(int(i.id)),  # type: ignore[arg-type]
            "version": i.version,
        }
        for i in initiatives
    ]
    rows.sort(
        key=lambda r: (
            rank.get(str(r["status"]), len(rank)),
            r["target_date"] or date.max,
            r["id"],
        )
    )
    columns = [*INITIATIVE_COLUMNS, "effort_weeks", "objectives", "last_update_at", "version"]
    return pd.DataFrame(rows, columns=columns)


def _shown(value: Any, names: Mapping[int, str], key: str) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if key in {"owner_id", "lift_estimator_id"} and isinstance(value, int):
        return names.get(value, f"#{value}")
    if key in {"status"}:
        return _(status_label(str(value)))
    if key == "health":
        return _(HEALTH_LABELS.get(str(value), str(value)))
    if key == "lift_pct" and isinstance(value, int | float):
        return format_lift(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return str(value)


_NOT_SHOWN = frozenset({"version", "updated_at", "created_at", "id"})


def describe_changes(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    names: Mapping[int, str] | None = None,
) -> str:
    """One line saying what an audit event changed: "status: Planned → In progress; …" (in the
    reader's language; names and notes as written)."""
    names = names or {}
    if before is None and after is None:
        return ""
    if before is None:
        assert after is not None
        title = after.get("title") or after.get("text")
        return _("created “{title}”").format(title=title) if title else _("created")
    if after is None:
        return _("deleted")
    parts = []
    for key in after:
        if key in _NOT_SHOWN or key == "note" or before.get(key) == after.get(key):
            continue
        label = field_label(key) if key in FIELD_LABELS else key.replace("_", " ")
        old, new = _shown(before.get(key), names, key), _shown(after.get(key), names, key)
        parts.append(f"{label}: {old} → {new}")
    if "note" in after:
        parts.append(_("note: {note}").format(note=note_text(str(after["note"]))))
    return "; ".join(parts) or _("no field changed")


def initiative_detail(*, session: Session, initiative_id: int) -> InitiativeDetail | None:
    """An initiative with its linked KRs, status-update history and audit trail, or None."""
    initiative = session.get(Initiative, initiative_id)
    if initiative is None:
        return None
    names = person_names(session=session)
    kr_rows = session.exec(
        select(KeyResult.id, KeyResult.title, Objective.title)
        .join(InitiativeKeyResult, col(InitiativeKeyResult.key_result_id) == col(KeyResult.id))
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(InitiativeKeyResult.initiative_id == initiative_id)
        .order_by(col(KeyResult.id))
    ).all()
    key_results = pd.DataFrame(
        [{"id": k, "title": t, "objective": o} for k, t, o in kr_rows],
        columns=["id", "title", "objective"],
    )
    updates = session.exec(
        select(StatusUpdate)
        .where(StatusUpdate.initiative_id == initiative_id)
        .order_by(col(StatusUpdate.created_at).desc(), col(StatusUpdate.id).desc())
    ).all()
    update_frame = pd.DataFrame(
        [
            {
                "at": clock.local(u.created_at),
                "author": names.get(u.author_id, f"#{u.author_id}"),
                "status": u.status.value,
                "health": u.health.value,
                "percent_complete": u.percent_complete,
                "note": note_text(u.note),
            }
            for u in updates
        ],
        columns=["at", "author", "status", "health", "percent_complete", "note"],
    )
    update_ids = [u.id for u in updates if u.id is not None]
    decision_ids = session.exec(
        select(Decision.id).where(Decision.initiative_id == initiative_id)
    ).all()
    related = col(AuditEvent.entity) == ENTITY
    related = related & (col(AuditEvent.entity_id) == initiative_id)
    if update_ids:
        related = related | (
            (col(AuditEvent.entity) == "status_update") & col(AuditEvent.entity_id).in_(update_ids)
        )
    if decision_ids:
        related = related | (
            (col(AuditEvent.entity) == "decision") & col(AuditEvent.entity_id).in_(decision_ids)
        )
    events = session.exec(
        select(AuditEvent).where(related).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id))
    ).all()
    audit = pd.DataFrame(
        [
            {
                "at": clock.local(e.at),
                "actor": names.get(e.actor_id, f"#{e.actor_id}") if e.actor_id else _("system"),
                "action": e.action if e.entity == ENTITY else f"{e.entity} {e.action}",
                "changes": describe_changes(e.before, e.after, names),
            }
            for e in events
        ],
        columns=["at", "actor", "action", "changes"],
    )
    return InitiativeDetail(
        initiative=InitiativeRead.model_validate(initiative),
        owner=names.get(initiative.owner_id, f"#{initiative.owner_id}"),
        lift_estimator=(
            names.get(initiative.lift_estimator_id) if initiative.lift_estimator_id else None
        ),
        key_result_ids=tuple(row[0] for row in kr_rows if row[0] is not None),
        key_results=key_results,
        updates=update_frame,
        audit=audit,
    )
