"""Changing many initiatives at once from the Initiatives list: one owner, status, health, target
date or key result to link, applied to every selected initiative in one write.

The write is all or nothing. Every selected row is checked first (does it exist, may the acting
person change it, is the move allowed from its status, does the target date fall after its
start) and every reason is listed together; if there is any, nothing is written. Otherwise each
initiative is changed as its edit form would change it (initiatives.update_initiative: versions,
status effects, a status update when the status moves, an audit event on each initiative), a
health change is posted as a status update naming who set it, and one audit event records the
bulk edit as a whole; all in the caller's transaction.

Who may: a director sets any field on any initiative; a member sets health, target date and a
linked key result on the initiatives they own; owner and status are the director's; a stakeholder
changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from planning.access.permissions import (
    Actor,
    PermissionDenied,
    is_director,
    owns_or_directs,
    require_member_or_director,
)
from planning.config import AppConfig
from planning.formatting import format_count
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.audit import record_event
from planning.store.models import Health, Initiative, InitiativeRead, utcnow
from planning.validation import InputError
from planning.work import system_notes
from planning.work.initiative_input import (
    check_date,
    check_key_results,
    check_owner,
    field_label,
)
from planning.work.initiative_reads import ENTITY, key_result_ids, person_names
from planning.work.initiative_status import (
    HEALTH_ORDER,
    STATUS_ORDER,
    transition_problem,
)
from planning.work.initiatives import (
    audit_initiative,
    audit_state,
    post_status_update,
    update_initiative,
)

BULK_MAX = 500  # rows one bulk edit may change


@dataclass(frozen=True)
class BulkChanges:
    """What to set on every selected initiative; None leaves a field as each row has it."""

    owner_id: int | None = None
    status: str | None = None
    health: str | None = None
    target_date: date | None = None
    key_result_id: int | None = None  # linked in addition to the links each row has

    def fields(self) -> dict[str, Any]:
        """The fields this bulk edit sets, by name."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


class BulkEditError(InputError):
    """A bulk edit that was refused whole; `problems` names every reason. Nothing was written."""


class BulkEditDenied(PermissionDenied):
    """A bulk edit refused whole because the acting person may not change some row or field;
    `problems` names every reason (those and any others). Nothing was written."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("; ".join(self.problems))


def _value_problems(
    session: Session, changes: BulkChanges, director: bool, denied: list[str]
) -> list[str]:
    problems: list[str] = []
    if not changes.fields():
        problems.append(_("choose at least one field to set"))
    if not director:
        fields = [field_label(name) for name in ("owner_id", "status") if name in changes.fields()]
        if fields:
            reason = _("only a director can set the {fields} of initiatives").format(
                fields=(" " + _("and") + " ").join(fields)
            )
            problems.append(reason)
            denied.append(reason)
    if changes.owner_id is not None:
        check_owner(session, changes.owner_id, problems)
    if changes.status is not None and changes.status not in STATUS_ORDER:
        problems.append(
            _("unknown status {status}; use one of {known}").format(
                status=repr(changes.status), known=", ".join(STATUS_ORDER)
            )
        )
    if changes.health is not None and changes.health not in HEALTH_ORDER:
        problems.append(
            _("unknown health {health}; use one of {known}").format(
                health=repr(changes.health), known=", ".join(HEALTH_ORDER)
            )
        )
    if changes.target_date is not None:
        check_date(changes.target_date, field_label("target_date"), problems)
    if changes.key_result_id is not None:
        check_key_results(session, [changes.key_result_id], problems)
    return problems


def _row_problems(
    actor: Actor,
    initiative: Initiative,
    changes: BulkChanges,
    names: dict[int, str],
    denied: list[str],
) -> list[str]:
    found: list[str] = []
    name = _("“{title}”").format(title=initiative.title)
    if not owns_or_directs(actor, initiative.owner_id):
        owner = names.get(initiative.owner_id, _("someone else"))
        found.append(
            _(
                "{initiative} is owned by {owner}; only its owner or a director can change it"
            ).format(initiative=name, owner=owner)
        )
        denied += found
        return found
    if changes.status is not None and changes.status in STATUS_ORDER:
        moved = transition_problem(
            initiative.status.value, changes.status, director=is_director(actor)
        )
        if moved:
            found.append(f"{name}: {moved}")
    start = initiative.start_date
    if changes.target_date is not None and start is not None and changes.target_date < start:
        found.append(
            _("{initiative}: target date {target} is before its start {start}").format(
                initiative=name, target=changes.target_date, start=start
            )
        )
    return found


def bulk_edit_initiatives(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    initiative_ids: Sequence[int],
    changes: BulkChanges,
    today: date | None = None,
) -> list[InitiativeRead]:
    """Set the same fields on every initiative named, all or nothing: BulkEditDenied (when the
    actor may not change some row or field) or BulkEditError lists every reason."""
    require_member_or_director(actor, N_("edit initiatives"))
    director = is_director(actor)
    ids = list(dict.fromkeys(initiative_ids))
    denied: list[str] = []
    problems = _value_problems(session, changes, director, denied)
    if not ids:
        problems.append(_("select at least one initiative"))
    if len(ids) > BULK_MAX:
        problems.append(
            _("{count} initiatives are selected; change at most {most} at once").format(
                count=format_count(len(ids)), most=format_count(BULK_MAX)
            )
        )
    names = person_names(session=session)
    rows: list[Initiative] = []
    for initiative_id in ids[:BULK_MAX]:
        initiative = session.get(Initiative, initiative_id, with_for_update=True)
        if initiative is None:
            problems.append(_("initiative {id} does not exist").format(id=initiative_id))
            continue
        rows.append(initiative)
        problems += _row_problems(actor, initiative, changes, names, denied)
    if denied:
        raise BulkEditDenied(problems)
    if problems:
        raise BulkEditError(problems)

    saved: list[InitiativeRead] = []
    for initiative in rows:
        assert initiative.id is not None
        row_changes: dict[str, Any] = {}
        if changes.owner_id is not None:
            row_changes["owner_id"] = changes.owner_id
        if changes.status is not None:
            row_changes["status"] = changes.status
        if changes.target_date is not None:
            row_changes["target_date"] = changes.target_date
        links = key_result_ids(session=session, initiative_id=initiative.id)
        if changes.key_result_id is not None and changes.key_result_id not in links:
            row_changes["key_result_ids"] = [*links, changes.key_result_id]
        if row_changes:
            try:
                update_initiative(
                    session=session,
                    actor=actor,
                    config=config,
                    initiative_id=initiative.id,
                    expected_version=initiative.version,
                    changes=row_changes,
                    today=today,
                )
            except InputError as exc:
                name = _("“{title}”").format(title=initiative.title)
                problems += [f"{name}: {p}" for p in exc.problems]
                continue
        if changes.health is not None and initiative.health.value != changes.health:
            _set_health(session, actor, initiative, changes.health, len(rows))
        saved.append(InitiativeRead.model_validate(initiative))
    if problems:
        raise BulkEditError(problems)
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=None,
        action="bulk_edit",
        after={
            "initiatives": [i.id for i in saved],
            "changes": {
                k: (v.isoformat() if isinstance(v, date) else v)
                for k, v in changes.fields().items()
            },
        },
    )
    session.flush()
    return saved


def _set_health(
    session: Session, actor: Actor, initiative: Initiative, health: str, how_many: int
) -> None:
    """Give one initiative a new health, posted as a status update naming who set it."""
    assert initiative.id is not None
    links = key_result_ids(session=session, initiative_id=initiative.id)
    before = audit_state(initiative, links)
    old = initiative.health.value
    initiative.health = Health(health)
    initiative.version += 1
    initiative.updated_at = utcnow()
    session.add(initiative)
    post_status_update(
        session,
        actor,
        initiative,
        system_notes.health_changed(
            old, health, actor.name, count=how_many, status=initiative.status.value
        ),
    )
    audit_initiative(session, actor, initiative, "update", links, before=before)
