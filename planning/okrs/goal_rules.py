"""The rules a goal must meet before it is written: an objective's and a key result's shape for
its kind, their owner and alignment, a check-in's fields, and which key results have a total for
the quarter as their target. Every problem is listed, in words a director can act on."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlmodel import Session

from planning.config.metrics import MetricsConfig
from planning.metrics.shapes import MetricShape, is_total, metric_shape
from planning.okrs.alignment_reads import alignment_loops, parents_of
from planning.okrs.goal_reads import is_closed
from planning.periods import parse_quarter
from planning.store.models import (
    Direction,
    KeyResult,
    KeyResultBase,
    KrKind,
    Objective,
    ObjectiveCreate,
    Person,
    Role,
    Window,
)
from planning.validation import text_problems, unix_line_breaks

TITLE_MAX = 200
NOTE_MAX = 2000
UNIT_MAX = 20


class GoalError(ValueError):
    """Goal input that cannot be saved; ``problems`` lists every reason. Nothing was written."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


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


def owner_problems(session: Session, owner_id: int | None, what: str) -> list[str]:
    """Why a person cannot own a goal (missing, inactive or a stakeholder), if so."""
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


def parent_problems(session: Session, parent_id: int | None, objective_id: int | None) -> list[str]:
    """Why an objective cannot take this first parent (missing, itself, already a further parent,
    a loop through any of its parents), if so."""
    if parent_id is None:
        return []
    if objective_id is not None and parent_id == objective_id:
        return ["An objective cannot be its own parent."]
    if session.get(Objective, parent_id) is None:
        return [f"The parent objective {parent_id} does not exist."]
    if objective_id is None:
        return []  # a new objective has no children yet, so no loop can close
    further = parents_of(session=session, objective_ids=[objective_id]).get(objective_id, [])
    record = session.get(Objective, objective_id)
    kept = [p for p in further if record is None or p != record.parent_id]
    if parent_id in kept:
        return ["The objective already aligns to that parent."]
    return alignment_loops(
        session=session, objective_id=objective_id, parent_ids=[parent_id, *kept]
    )


Goal = TypeVar("Goal", Objective, KeyResult)
_GOAL_NAMES: dict[type, str] = {Objective: "Objective", KeyResult: "Key result"}


def goal_for_update(session: Session, model: type[Goal], record_id: int) -> Goal:
    """An objective or key result locked for this write; GoalError when it does not exist."""
    record = session.get(model, record_id, with_for_update=True)
    if record is None:
        raise GoalError([f"{_GOAL_NAMES[model]} {record_id} does not exist."])
    return record


def refuse_if_closed(session: Session, period: str) -> None:
    """Refuse any change to a closed quarter's goals: they are frozen."""
    if is_closed(session=session, period=period):
        raise GoalError([f"{period} is closed: its goals and check-ins are frozen."])


def _whole_number(value: object) -> int | None:
    """A whole number as an int (2.0 counts), None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def total_target_for(
    config: MetricsConfig, kind: KrKind | str | None, metric_id: str | None, window: Window | str
) -> bool:
    """Whether a key result's target is a total for the quarter: a metric key result on a metric
    that adds up day by day (revenue, sessions) over the quarter to date."""
    return (
        kind == KrKind.metric
        and isinstance(metric_id, str)
        and metric_id in config.metrics
        and is_total(config, metric_id, Window(window).value)
    )


def check_in_problems(
    *,
    record: KeyResult,
    objective: Objective,
    confidence: object,
    note: object,
    value: float | None,
    done: bool | None,
) -> tuple[list[str], int | None, str]:
    """Everything wrong with a check-in on a key result, with its confidence as a whole number
    and its note cleaned (both as they would be saved)."""
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
    return problems, level, text
