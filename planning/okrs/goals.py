"""Objectives, key results and check-ins: reading them, and writing them checked and audited.

Every write takes the acting person, refuses what their role may not do (directors shape the
goals; a key result's owner or a director checks in), validates the whole input and lists every
problem before anything is written, records an audit event, and compares versions so that a
concurrent edit is never silently overwritten. A closed quarter is frozen: nothing in it changes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from planning.access.permissions import Actor, require_director, require_owner_or_director
from planning.config import MetricsConfig
from planning.metrics.shapes import MetricShape, metric_shape
from planning.periods import parse_quarter
from planning.store.audit import record_created, record_event, snapshot
from planning.store.models import (
    CheckIn,
    CheckInRead,
    Direction,
    Initiative,
    InitiativeKeyResult,
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
    PeriodClose,
    Person,
    Role,
    Window,
)
from planning.store.versioning import check_and_bump
from planning.validation import text_problems, unix_line_breaks

TITLE_MAX = 200
NOTE_MAX = 2000
UNIT_MAX = 20


class GoalError(ValueError):
    """Goal input that cannot be saved; ``problems`` lists every reason. Nothing was written."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --- reading -----------------------------------------------------------------------------------


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
            id=_id(check_in.id),
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
            id=_id(initiative.id),
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


# --- validation --------------------------------------------------------------------------------


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _sentences(problems: list[str]) -> list[str]:
    return [f"{p}." for p in problems]


def key_result_problems(key_result: KeyResultBase, config: MetricsConfig) -> list[str]:
    """Everything wrong with a key result's shape for its kind (owner and objective aside)."""
    kr = key_result
    problems: list[str] = []
    title = (kr.title or "").strip()
    if not title:
        problems.append("Give the key result a title.")
    elif len(title) > TITLE_MAX:
        problems.append(f"The title is {len(title)} characters long; keep it to {TITLE_MAX}.")
    problems += _sentences(text_problems(title, what="The title"))
    if isinstance(kr.unit, str):
        problems += _sentences(text_problems(kr.unit, what="The unit"))
    if not _finite(kr.weight) or kr.weight < 0:
        problems.append(f"The weight must be a number of 0 or more, got {kr.weight!r}.")
    if len(kr.unit or "") > UNIT_MAX:
        problems.append(f"Keep the unit to {UNIT_MAX} characters.")
    try:
        kind = KrKind(kr.kind)
    except ValueError:
        problems.append(
            f"Unknown kind {kr.kind!r}: use one of {', '.join(k.value for k in KrKind)}."
        )
        return problems
    try:
        window = Window(kr.window)
    except ValueError:
        problems.append(
            f"Unknown window {kr.window!r}: use one of {', '.join(w.value for w in Window)}."
        )
        window = Window.period_to_date
    metric_known = False
    if kind in (KrKind.metric, KrKind.guardrail):
        if not kr.metric_id:
            problems.append(f"A {kind.value} key result needs a metric.")
        elif kr.metric_id not in config.metrics:
            problems.append(f"Unknown metric {kr.metric_id!r}: it is not in metrics.yaml.")
        else:
            metric_known = True
            problems.extend(_filter_problems(kr.metric_id, kr.filters or {}, config))
    else:
        if kr.metric_id:
            problems.append(
                f"A {kind.value} key result is not bound to a metric; remove {kr.metric_id!r}."
            )
        if kr.filters:
            problems.append(f"A {kind.value} key result takes no dimension filters.")

    if kind in (KrKind.metric, KrKind.manual):
        problems.extend(_start_target_problems(kr))
        if kr.guardrail_rule is not None or kr.threshold is not None:
            problems.append(
                f"Only guardrails have a rule and a threshold; a {kind.value} key result has a "
                "start and a target."
            )
    elif kind == KrKind.guardrail:
        if kr.guardrail_rule is None:
            problems.append("A guardrail needs a rule: stay_above or stay_below.")
        if kr.threshold is None:
            problems.append("A guardrail needs a threshold.")
        elif not _finite(kr.threshold):
            problems.append(f"The threshold must be a number, got {kr.threshold!r}.")
        if kr.direction is not None or kr.start_value is not None or kr.target_value is not None:
            problems.append(
                "A guardrail has a rule and a threshold, not a direction, start or target."
            )
    else:  # milestone
        if (
            kr.direction is not None
            or kr.start_value is not None
            or kr.target_value is not None
            or kr.guardrail_rule is not None
            or kr.threshold is not None
        ):
            problems.append(
                "A milestone is done or not done: it takes no direction, start, target, rule or "
                "threshold."
            )

    if metric_known and kr.metric_id is not None:
        shape = metric_shape(config, kr.metric_id)
        label = config.metrics[kr.metric_id].label
        cumulative = shape == MetricShape.additive and window == Window.period_to_date
        if kr.total_target and kind != KrKind.metric:
            problems.append("Only a metric key result can have a total target.")
        elif kr.total_target and shape != MetricShape.additive:
            problems.append(
                f"{label} is not a total that adds up day by day, so it cannot have a total "
                "target; track its level instead."
            )
        elif kr.total_target and window != Window.period_to_date:
            problems.append(
                "A total target is a total for the quarter: use the period_to_date window."
            )
        elif kind == KrKind.metric and cumulative and not kr.total_target:
            problems.append(
                f"{label} adds up over the quarter, so over period_to_date its target is a total "
                "for the quarter: mark it as a total target, or pick a trailing window to track "
                "a level."
            )
        if config.metrics[kr.metric_id].format == "percent":
            for name, value in (
                ("start", kr.start_value),
                ("target", kr.target_value),
                ("threshold", kr.threshold),
            ):
                if _finite(value) and value is not None and abs(value) > 1.5:
                    problems.append(
                        f"{label} is a fraction (2.3 % is 0.023); the {name} {value:g} looks "
                        "like a percentage."
                    )
    elif kr.total_target and kind != KrKind.metric:
        problems.append("Only a metric key result can have a total target.")
    return problems


def _start_target_problems(kr: KeyResultBase) -> list[str]:
    problems: list[str] = []
    if kr.direction is None:
        problems.append("Say whether the value should increase or decrease (direction).")
    for name, value in (("start", kr.start_value), ("target", kr.target_value)):
        if value is None:
            problems.append(f"Give a {name} value.")
        elif not _finite(value):
            problems.append(f"The {name} value must be a number, got {value!r}.")
    if kr.direction is None or not _finite(kr.start_value) or not _finite(kr.target_value):
        return problems
    start, target = float(kr.start_value or 0), float(kr.target_value or 0)
    if kr.direction == Direction.decrease and target >= start:
        problems.append(
            f"A decrease key result needs a target below its start (start {_number(start)}, "
            f"target {_number(target)})."
        )
    if kr.direction == Direction.increase and target <= start:
        problems.append(
            f"An increase key result needs a target above its start (start {_number(start)}, "
            f"target {_number(target)})."
        )
    return problems


def _filter_problems(metric_id: str, filters: dict[str, str], config: MetricsConfig) -> list[str]:
    problems: list[str] = []
    allowed = config.metric_dimensions(metric_id)
    label = config.metrics[metric_id].label
    for name, value in filters.items():
        dimension = config.dimensions.get(name)
        if dimension is None:
            problems.append(f"Unknown dimension {name!r} in the filters.")
            continue
        if name not in allowed:
            can = f"it can be by {', '.join(allowed)}" if allowed else "it has no dimensions"
            problems.append(f"{label} cannot be filtered by {name} ({can}).")
            continue
        if value not in dimension.values:
            problems.append(
                f"{value!r} is not a {dimension.label.lower()} (expected one of "
                f"{', '.join(dimension.values)})."
            )
    return problems


def objective_problems(objective: ObjectiveCreate | Objective) -> list[str]:
    """Everything wrong with an objective's own fields (owner and parent aside)."""
    problems: list[str] = []
    title = (objective.title or "").strip()
    if not title:
        problems.append("Give the objective a title.")
    elif len(title) > TITLE_MAX:
        problems.append(f"The title is {len(title)} characters long; keep it to {TITLE_MAX}.")
    problems += _sentences(text_problems(title, what="The title"))
    if isinstance(objective.description, str):
        problems += _sentences(
            text_problems(objective.description, what="The description", multiline=True)
        )
    try:
        parse_quarter(objective.period)
    except ValueError as exc:
        problems.append(f"Period: {exc}.")
    if not _finite(objective.weight) or objective.weight < 0:
        problems.append(f"The weight must be a number of 0 or more, got {objective.weight!r}.")
    return problems


def _owner_problems(session: Session, owner_id: int | None, what: str) -> list[str]:
    if owner_id is None:
        return [f"Choose who owns the {what}."]
    person = session.get(Person, owner_id)
    if person is None:
        return [f"The owner (person {owner_id}) does not exist."]
    if not person.active:
        return [f"{person.name} is no longer active and cannot own the {what}."]
    if person.role == Role.stakeholder:
        return [f"{person.name} is a stakeholder; only members and directors own goals."]
    return []


def _parent_problems(
    session: Session, parent_id: int | None, objective_id: int | None
) -> list[str]:
    if parent_id is None:
        return []
    if objective_id is not None and parent_id == objective_id:
        return ["An objective cannot be its own parent."]
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        seen.add(current)
        parent = session.get(Objective, current)
        if parent is None:
            return [f"The parent objective {current} does not exist."]
        if objective_id is not None and parent.parent_id == objective_id:
            return ["That parent is aligned under this objective; the alignment would loop."]
        current = parent.parent_id
    return []


def _refuse_if_closed(session: Session, period: str) -> None:
    if is_closed(session=session, period=period):
        raise GoalError([f"{period} is closed: its goals and check-ins are frozen."])


def _id(value: int | None) -> int:
    assert value is not None, "row must be flushed first"
    return value


# --- objectives --------------------------------------------------------------------------------


def create_objective(
    *, session: Session, actor: Actor, objective: ObjectiveCreate
) -> ObjectiveRead:
    """Add an objective to a quarter (directors only)."""
    require_director(actor, "create objectives")
    problems = objective_problems(objective)
    problems += _owner_problems(session, objective.owner_id, "objective")
    problems += _parent_problems(session, objective.parent_id, None)
    if problems:
        raise GoalError(problems)
    period = parse_quarter(objective.period)
    period_id = f"{period[0]:04d}-Q{period[1]}"
    _refuse_if_closed(session, period_id)
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
    require_director(actor, "edit objectives")
    record = session.get(Objective, objective_id, with_for_update=True)
    if record is None:
        raise GoalError([f"Objective {objective_id} does not exist."])
    _refuse_if_closed(session, record.period)
    updates = changes.model_dump(exclude_unset=True)
    if "title" in updates and updates["title"] is not None:
        updates["title"] = updates["title"].strip()
    if isinstance(updates.get("description"), str):
        updates["description"] = unix_line_breaks(updates["description"])
    for required in ("title", "owner_id", "weight", "archived"):
        if required in updates and updates[required] is None:
            raise GoalError([f"The objective's {required.replace('_id', '')} cannot be empty."])
    merged = ObjectiveCreate.model_construct(
        **{**record.model_dump(include=set(ObjectiveCreate.model_fields)), **updates}
    )
    problems = objective_problems(merged)
    if "owner_id" in updates:
        problems += _owner_problems(session, merged.owner_id, "objective")
    if "parent_id" in updates:
        problems += _parent_problems(session, merged.parent_id, objective_id)
    if problems:
        raise GoalError(problems)
    before = snapshot(record)
    check_and_bump(record, expected_version=expected_version, what=f"Objective “{record.title}”")
    for name, value in updates.items():
        setattr(record, name, value)
    session.add(record)
    session.flush()
    action = _archive_action(updates, before)
    record_event(
        session=session,
        actor=actor,
        entity="objective",
        entity_id=record.id,
        action=action,
        before=before,
        after=snapshot(record),
    )
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
    """Add a key result of any kind to an objective (directors only)."""
    require_director(actor, "create key results")
    objective = session.get(Objective, key_result.objective_id)
    problems: list[str] = []
    if objective is None:
        problems.append(f"Objective {key_result.objective_id} does not exist.")
    elif objective.archived:
        problems.append(f"Objective “{objective.title}” is archived; restore it first.")
    problems += key_result_problems(key_result, config)
    problems += _owner_problems(session, key_result.owner_id, "key result")
    if problems:
        raise GoalError(problems)
    assert objective is not None
    _refuse_if_closed(session, objective.period)
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
    """Change a key result's definition, owner, weight or archived flag (directors only)."""
    require_director(actor, "edit key results")
    record = session.get(KeyResult, key_result_id, with_for_update=True)
    if record is None:
        raise GoalError([f"Key result {key_result_id} does not exist."])
    objective = session.get(Objective, record.objective_id)
    assert objective is not None
    _refuse_if_closed(session, objective.period)
    updates = _clean_key_result(changes.model_dump(exclude_unset=True))
    for required in ("title", "owner_id", "weight", "window", "total_target", "archived"):
        if required in updates and updates[required] is None:
            raise GoalError([f"The key result's {required.replace('_id', '')} cannot be empty."])
    merged = KeyResultBase.model_construct(
        **{**record.model_dump(include=set(KeyResultBase.model_fields)), **updates}
    )
    # Archiving alone is always allowed, even when the definition no longer fits the config.
    problems = [] if set(updates) <= {"archived"} else key_result_problems(merged, config)
    if "owner_id" in updates:
        problems += _owner_problems(session, merged.owner_id, "key result")
    if problems:
        raise GoalError(problems)
    before = snapshot(record)
    check_and_bump(record, expected_version=expected_version, what=f"Key result “{record.title}”")
    for name, value in updates.items():
        setattr(record, name, value)
    session.add(record)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        entity="key_result",
        entity_id=record.id,
        action=_archive_action(updates, before),
        before=before,
        after=snapshot(record),
    )
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


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


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
    record = session.get(KeyResult, key_result_id, with_for_update=True)
    if record is None:
        raise GoalError([f"Key result {key_result_id} does not exist."])
    require_owner_or_director(actor, record.owner_id, "check in on this key result")
    objective = session.get(Objective, record.objective_id)
    assert objective is not None
    problems: list[str] = []
    if record.archived or objective.archived:
        problems.append(f"Key result “{record.title}” is archived; it takes no check-ins.")
    level = _whole_number(confidence)
    if level is None:
        problems.append(f"Confidence must be a whole number from 0 to 10, got {confidence!r}.")
    elif not 0 <= level <= 10:
        problems.append(f"Confidence must be from 0 to 10, got {level}.")
    text = unix_line_breaks(note.strip()) if isinstance(note, str) else ""
    if not text:
        problems.append("Write a short note: a check-in without one is noise.")
    elif len(text) > NOTE_MAX:
        problems.append(f"The note is {len(text)} characters long; keep it to {NOTE_MAX}.")
    problems += _sentences(text_problems(text, what="The note", multiline=True))
    if record.kind == KrKind.manual:
        if value is None:
            problems.append("A manual key result's check-in needs the current value.")
        elif not _finite(value):
            problems.append(f"The value must be a number, got {value!r}.")
    elif value is not None:
        problems.append(
            f"Only manual key results take a value; a {record.kind.value} key result "
            + ("reads its value from the store." if record.metric_id else "has none.")
        )
    if done is not None and record.kind != KrKind.milestone:
        problems.append("Only milestones are ticked done.")
    if problems:
        raise GoalError(problems)
    _refuse_if_closed(session, objective.period)
    assert level is not None
    check_in = CheckIn(
        key_result_id=key_result_id,
        confidence=level,
        note=text,
        value=float(value) if value is not None else None,
        done=done,
        author_id=_id(actor.id),
    )
    session.add(check_in)
    if record.kind == KrKind.milestone and done is not None and done != record.done:
        before = snapshot(record)
        record.done = done
        record.version += 1
        session.add(record)
        record_event(
            session=session,
            actor=actor,
            entity="key_result",
            entity_id=record.id,
            action="done" if done else "reopen",
            before=before,
            after=snapshot(record),
        )
    session.flush()
    record_event(
        session=session,
        actor=actor,
        entity="check_in",
        entity_id=check_in.id,
        action="create",
        after=snapshot(check_in),
    )
    return CheckInRead.model_validate(check_in)
