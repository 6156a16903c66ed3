"""Writing objectives, key results and check-ins, checked and audited.

Every write takes the acting person, refuses what their role may not do (directors shape the
goals; a key result's owner or a director checks in), validates the whole input and lists every
problem before anything is written (planning.okrs.goal_rules), records an audit event, and
compares versions so that a concurrent edit is never silently overwritten. A closed quarter is
frozen: nothing in it changes. Reads are in planning.okrs.goal_reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from planning.access.permissions import Actor, require_check_in, require_director
from planning.config.metrics import MetricsConfig
from planning.i18n import N_, word_for
from planning.i18n import gettext as _
from planning.okrs.goal_reads import flushed_id
from planning.okrs.goal_rules import (
    GoalError,
    active_key_results,
    check_in_problems,
    goal_for_update,
    key_result_problems,
    objective_problems,
    owner_problems,
    parent_problems,
    refuse_if_closed,
    room_problems,
    total_target_for,
)
from planning.periods import format_quarter, parse_quarter
from planning.store.audit import record_changed, record_created, snapshot
from planning.store.models import (
    CheckIn,
    CheckInRead,
    KeyResult,
    KeyResultBase,
    KeyResultCreate,
    KeyResultRead,
    KeyResultUpdate,
    KrKind,
    Objective,
    ObjectiveCreate,
    ObjectiveRead,
    ObjectiveUpdate,
)
from planning.store.versioning import check_and_bump
from planning.validation import unix_line_breaks

# --- objectives --------------------------------------------------------------------------------


def create_objective(
    *, session: Session, actor: Actor, objective: ObjectiveCreate
) -> ObjectiveRead:
    """Add an objective to a quarter (directors only)."""
    require_director(actor, N_("create objectives"))
    problems = objective_problems(objective)
    problems += owner_problems(session, objective.owner_id, N_("objective"))
    problems += parent_problems(session, objective.parent_id, None)
    if problems:
        raise GoalError(problems)
    period_id = format_quarter(*parse_quarter(objective.period))
    refuse_if_closed(session, period_id)
    if room := room_problems(session, period=period_id, objectives=1):
        raise GoalError(room)
    record = Objective(
        **objective.model_dump(exclude={"title", "period", "description"}),
        title=objective.title.strip(),
        description=unix_line_breaks(objective.description),
        period=period_id,
    )
    record_created(session=session, actor=actor, entity="objective", record=record)
    return ObjectiveRead.model_validate(record)


def update_objective(
    *,
    session: Session,
    actor: Actor,
    objective_id: int,
    expected_version: int,
    changes: ObjectiveUpdate,
) -> ObjectiveRead:
    """Change an objective's title, owner, parent, weight or archived flag (directors only)."""
    require_director(actor, N_("edit objectives"))
    record = goal_for_update(session, Objective, objective_id)
    refuse_if_closed(session, record.period)
    updates = changes.model_dump(exclude_unset=True)
    if "title" in updates and updates["title"] is not None:
        updates["title"] = updates["title"].strip()
    if isinstance(updates.get("description"), str):
        updates["description"] = unix_line_breaks(updates["description"])
    _refuse_emptied(updates, ("title", "owner_id", "weight", "archived"), N_("objective"))
    merged = ObjectiveCreate.model_construct(
        **{**record.model_dump(include=set(ObjectiveCreate.model_fields)), **updates}
    )
    new_description = updates.get("description", record.description) != record.description
    problems = objective_problems(merged, new_description=new_description)
    if "owner_id" in updates:
        problems += owner_problems(session, merged.owner_id, N_("objective"))
    if "parent_id" in updates:
        problems += parent_problems(session, merged.parent_id, objective_id)
    if updates.get("archived") is False and record.archived:
        problems += room_problems(
            session,
            period=record.period,
            objectives=1,
            key_results=active_key_results(session, objective_id),
        )
    if problems:
        raise GoalError(problems)
    _apply(session, actor, "objective", record, updates, expected_version, OBJECTIVE_NAMED)
    return ObjectiveRead.model_validate(record)


def archive_objective(
    *, session: Session, actor: Actor, objective_id: int, expected_version: int
) -> ObjectiveRead:
    """Archive an objective: it and its key results leave the quarter's view (directors only)."""
    return update_objective(
        session=session,
        actor=actor,
        objective_id=objective_id,
        expected_version=expected_version,
        changes=ObjectiveUpdate(archived=True),
    )


# How a conflict names the goal, in the reader's language.
OBJECTIVE_NAMED = N_("Objective “{title}”")
KEY_RESULT_NAMED = N_("Key result “{title}”")

# The fields a goal cannot be without, as a refusal names them.
FIELD_WORDS = {
    "title": N_("title"),
    "owner_id": N_("owner"),
    "weight": N_("weight"),
    "window": N_("window"),
    "total_target": N_("total target"),
    "archived": N_("archived"),
}


def _refuse_emptied(updates: Mapping[str, Any], required: tuple[str, ...], goal: str) -> None:
    """Refuse changes that would clear a field the goal cannot be without."""
    for name in required:
        if name in updates and updates[name] is None:
            raise GoalError(
                [
                    _("The {goal}'s {field} cannot be empty.").format(
                        goal=_(goal), field=word_for(FIELD_WORDS, name)
                    )
                ]
            )


def _apply(
    session: Session,
    actor: Actor,
    entity: str,
    record: Objective | KeyResult,
    updates: dict[str, Any],
    expected_version: int,
    what: str,
) -> None:
    """Write checked changes to an objective or key result, refusing a stale version; audited
    as an archive, a restore or an update."""
    before = snapshot(record)
    check_and_bump(
        record, expected_version=expected_version, what=_(what).format(title=record.title)
    )
    for name, value in updates.items():
        setattr(record, name, value)
    action = _archive_action(updates, before)
    record_changed(
        session=session, actor=actor, entity=entity, record=record, action=action, before=before
    )


def _archive_action(updates: dict[str, Any], before: dict[str, Any] | None) -> str:
    was = bool(before and before.get("archived"))
    if updates.get("archived") is True and not was:
        return "archive"
    if updates.get("archived") is False and was:
        return "restore"
    return "update"


# --- key results -------------------------------------------------------------------------------


def _clean_key_result(fields: dict[str, Any]) -> dict[str, Any]:
    if isinstance(fields.get("title"), str):
        fields["title"] = fields["title"].strip()
    if "filters" in fields and fields["filters"] is None:
        fields["filters"] = {}
    if "unit" in fields:
        fields["unit"] = (fields["unit"] or "").strip()
    return fields


def create_key_result(
    *, session: Session, actor: Actor, key_result: KeyResultCreate, config: MetricsConfig
) -> KeyResultRead:
    """Add a key result of any kind to an objective (directors only). Left unsaid, whether its
    target is a total for the quarter follows its metric and window (``total_target_for``)."""
    require_director(actor, N_("create key results"))
    if "total_target" not in key_result.model_fields_set:
        total = total_target_for(config, key_result.kind, key_result.metric_id, key_result.window)
        key_result = key_result.model_copy(update={"total_target": total})
    objective = session.get(Objective, key_result.objective_id)
    problems: list[str] = []
    if objective is None:
        problems.append(_("Objective {id} does not exist.").format(id=key_result.objective_id))
    elif objective.archived:
        problems.append(
            _("Objective “{title}” is archived; restore it first.").format(title=objective.title)
        )
    else:
        problems += room_problems(
            session, period=objective.period, objective=objective, key_results=1
        )
    problems += key_result_problems(key_result, config)
    problems += owner_problems(session, key_result.owner_id, N_("key result"))
    if problems:
        raise GoalError(problems)
    assert objective is not None
    refuse_if_closed(session, objective.period)
    record = KeyResult(**_clean_key_result(key_result.model_dump()))
    record_created(session=session, actor=actor, entity="key_result", record=record)
    return KeyResultRead.model_validate(record)


def update_key_result(
    *,
    session: Session,
    actor: Actor,
    key_result_id: int,
    expected_version: int,
    changes: KeyResultUpdate,
    config: MetricsConfig,
) -> KeyResultRead:
    """Change a key result's definition, owner, weight or archived flag (directors only). Left
    unsaid, whether a metric key result's target is a total for the quarter follows its metric
    and window as edited (``total_target_for``)."""
    require_director(actor, N_("edit key results"))
    record = goal_for_update(session, KeyResult, key_result_id)
    objective = session.get(Objective, record.objective_id)
    assert objective is not None
    refuse_if_closed(session, objective.period)
    updates = _clean_key_result(changes.model_dump(exclude_unset=True))
    required = ("title", "owner_id", "weight", "window", "total_target", "archived")
    _refuse_emptied(updates, required, N_("key result"))
    merged = KeyResultBase.model_construct(
        **{**record.model_dump(include=set(KeyResultBase.model_fields)), **updates}
    )
    if (
        "total_target" not in updates
        and set(updates) - {"archived"}
        and merged.kind == KrKind.metric
    ):
        updates["total_target"] = merged.total_target = total_target_for(
            config, merged.kind, merged.metric_id, merged.window
        )
    # Archiving alone is always allowed, even when the definition no longer fits the config.
    problems = [] if set(updates) <= {"archived"} else key_result_problems(merged, config)
    if "owner_id" in updates:
        problems += owner_problems(session, merged.owner_id, N_("key result"))
    if updates.get("archived") is False and record.archived and not objective.archived:
        problems += room_problems(
            session, period=objective.period, objective=objective, key_results=1
        )
    if problems:
        raise GoalError(problems)
    _apply(session, actor, "key_result", record, updates, expected_version, KEY_RESULT_NAMED)
    return KeyResultRead.model_validate(record)


def archive_key_result(
    *,
    session: Session,
    actor: Actor,
    key_result_id: int,
    expected_version: int,
    config: MetricsConfig,
) -> KeyResultRead:
    """Archive a key result: it no longer counts towards its objective (directors only)."""
    return update_key_result(
        session=session,
        actor=actor,
        key_result_id=key_result_id,
        expected_version=expected_version,
        changes=KeyResultUpdate(archived=True),
        config=config,
    )


# --- check-ins ---------------------------------------------------------------------------------


def post_check_in(
    *,
    session: Session,
    actor: Actor,
    key_result_id: int,
    confidence: int,
    note: str,
    value: float | None = None,
    done: bool | None = None,
) -> CheckInRead:
    """Record a check-in on a key result (its owner or a director): confidence, note, and a
    value for a manual key result or the done flag for a milestone, which is ticked with it."""
    record = goal_for_update(session, KeyResult, key_result_id)
    require_check_in(actor, record.owner_id)
    objective = session.get(Objective, record.objective_id)
    assert objective is not None
    problems, level, text = check_in_problems(
        record=record, objective=objective, confidence=confidence, note=note, value=value, done=done
    )
    if problems:
        raise GoalError(problems)
    refuse_if_closed(session, objective.period)
    assert level is not None
    check_in = CheckIn(
        key_result_id=key_result_id,
        confidence=level,
        note=text,
        value=float(value) if value is not None else None,
        done=done,
        author_id=flushed_id(actor.id),
    )
    if record.kind == KrKind.milestone and done is not None and done != record.done:
        before = snapshot(record)
        record.done = done
        record.version += 1
        record_changed(
            session=session,
            actor=actor,
            entity="key_result",
            record=record,
            action="done" if done else "reopen",
            before=before,
        )
    record_created(session=session, actor=actor, entity="check_in", record=check_in)
    return CheckInRead.model_validate(check_in)
