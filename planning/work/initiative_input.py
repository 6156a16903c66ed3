"""What an initiative is written from and the checks its fields pass before anything is written:
the size limits, which fields a member may edit and which only a director, the draft of a new
initiative and of a status update, each field's validation (problems are collected, never raised
one at a time) and the rules across fields. Also who is credited with an expected lift: the person
who last changed it, where a value equal to the stored one within rounding is no change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from planning.config import AppConfig
from planning.config.scoring import EFFORT_INPUT_OF_FORMULA
from planning.periods import FIRST_YEAR, LAST_YEAR, YEAR_RANGE
from planning.store.models import (
    KeyResult,
    Person,
    Role,
)
from planning.validation import is_number
from planning.work.initiative_status import S
from planning.work.scoring import validate_inputs

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
NOTE_MAX = 2_000
REASON_MAX = 300  # a decline reason is a short line
EFFORT_MAX_WEEKS = 520.0
LIFT_MIN, LIFT_MAX = -1.0, 10.0  # a relative change: above -100 %, at most +1,000 %

MEMBER_FIELDS: frozenset[str] = frozenset(
    {
        "title",
        "description",
        "start_date",
        "target_date",
        "effort_weeks",
        "lift_metric",
        "lift_pct",
        "lift_filters",
        "key_result_ids",
    }
)
DIRECTOR_FIELDS: frozenset[str] = frozenset({"owner_id", "status", "scores", "shipped_date"})
EDITABLE_FIELDS: frozenset[str] = MEMBER_FIELDS | DIRECTOR_FIELDS
FIELD_LABELS: dict[str, str] = {
    "title": "title",
    "description": "description",
    "owner_id": "owner",
    "status": "status",
    "health": "health",
    "start_date": "start date",
    "target_date": "target date",
    "shipped_date": "shipped date",
    "effort_weeks": "effort (person-weeks)",
    "percent_complete": "% complete",
    "scores": "scoring inputs",
    "lift_metric": "lift metric",
    "lift_pct": "expected lift",
    "lift_filters": "lift filters",
    "lift_estimator_id": "lift estimated by",
    "key_result_ids": "linked key results",
}


@dataclass(frozen=True)
class InitiativeDraft:
    """What a new initiative is created from."""

    title: str
    owner_id: int
    description: str = ""
    status: str = S.idea
    start_date: date | None = None
    target_date: date | None = None
    effort_weeks: float = 1.0
    lift_metric: str | None = None
    lift_pct: float | None = None
    lift_filters: Mapping[str, str] = field(default_factory=dict)
    scores: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    key_result_ids: Sequence[int] = ()


@dataclass(frozen=True)
class NewStatusUpdate:
    """One status update as its author types it: status, health, % complete and a note."""

    status: str
    health: str
    percent_complete: int
    note: str


# --- validation helpers ------------------------------------------------------------------------


def check_date(value: Any, what: str, problems: list[str]) -> date | None:
    """A date field inside the supported years, or None with the problem noted."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            problems.append(f"{what} {value.isoformat()} is outside the years {YEAR_RANGE}")
            return None
        return value
    problems.append(f"{what} {value!r} is not a date")
    return None


def check_effort(value: Any, problems: list[str]) -> float:
    """The effort in person-weeks, between 0 and EFFORT_MAX_WEEKS, problems noted."""
    if not is_number(value):
        problems.append(f"effort {value!r} is not a number of person-weeks")
        return 0.0
    effort = float(value)
    if effort < 0:
        problems.append(f"effort {effort:g} person-weeks is below 0")
    elif effort > EFFORT_MAX_WEEKS:
        problems.append(f"effort {effort:g} person-weeks is above {EFFORT_MAX_WEEKS:g}")
    return effort


def check_lift_pct(value: Any, problems: list[str]) -> float | None:
    """An expected relative lift (0.08 = +8 %) inside its bounds, or None."""
    if value is None:
        return None
    if not is_number(value):
        problems.append(f"expected lift {value!r} is not a number")
        return None
    lift = float(value)
    if not LIFT_MIN < lift <= LIFT_MAX:
        problems.append(
            f"expected lift {lift:+.1%} must be above {LIFT_MIN:.0%} and at most {LIFT_MAX:+.0%}"
        )
    return lift


def clean_scores(
    current: Mapping[str, Any],
    changes: Any,
    config: AppConfig,
    problems: list[str],
) -> dict[str, Any]:
    """The stored scores with the changed frameworks replaced (None or {} clears one)."""
    if not isinstance(changes, Mapping):
        problems.append("scoring inputs must be given per framework")
        return dict(current)
    merged = {k: dict(v) for k, v in current.items() if isinstance(v, Mapping)}
    frameworks = config.scoring.frameworks
    for framework_id, inputs in changes.items():
        framework = frameworks.get(framework_id)
        if framework is None:
            problems.append(
                f"unknown scoring framework {framework_id!r}; use one of {', '.join(frameworks)}"
            )
            continue
        if inputs is None or (isinstance(inputs, Mapping) and not inputs):
            merged.pop(framework_id, None)
            continue
        if not isinstance(inputs, Mapping):
            problems.append(f"{framework.label} inputs must be named values")
            continue
        # An effort input the formula now derives from the person-weeks is dropped, not refused,
        # so inputs read from older data save as they are.
        derived = EFFORT_INPUT_OF_FORMULA.get(framework.formula)
        inputs = {k: v for k, v in inputs.items() if k != derived}
        extra = [k for k in inputs if k not in framework.inputs]
        if extra:
            problems.append(f"{framework.label} has no input {', '.join(map(repr, extra))}")
        found = validate_inputs(framework, inputs)
        problems.extend(f"{framework.label}: {p}" for p in found)
        if not found and not extra:
            merged[framework_id] = {k: float(inputs[k]) for k in framework.inputs}
    return merged


def check_owner(session: Session, owner_id: Any, problems: list[str]) -> None:
    """Note why a person cannot own initiatives (missing, inactive or a stakeholder)."""
    if not isinstance(owner_id, int) or isinstance(owner_id, bool):
        problems.append(f"owner {owner_id!r} is not a person")
        return
    owner = session.get(Person, owner_id)
    if owner is None:
        problems.append(f"owner {owner_id} does not exist")
    elif not owner.active:
        problems.append(f"{owner.name} is no longer active and cannot own initiatives")
    elif owner.role == Role.stakeholder:
        problems.append(f"{owner.name} is a stakeholder; initiatives are owned by the team")


def check_key_results(
    session: Session, ids: Any, problems: list[str], already: Sequence[int] = ()
) -> list[int]:
    """Existing key result ids, sorted; archived ones only when they were linked already."""
    if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
        problems.append("linked key results must be a list of key result ids")
        return []
    cleaned: list[int] = []
    for kr_id in ids:
        if not isinstance(kr_id, int) or isinstance(kr_id, bool):
            problems.append(f"key result {kr_id!r} is not a key result id")
            continue
        kr = session.get(KeyResult, kr_id)
        if kr is None:
            problems.append(f"key result {kr_id} does not exist")
        elif kr.archived and kr_id not in already and kr_id not in cleaned:
            problems.append(f"key result “{kr.title}” is archived and cannot be linked")
        elif kr_id not in cleaned:
            cleaned.append(kr_id)
    return sorted(cleaned)


def check_state(state: dict[str, Any], config: AppConfig, problems: list[str]) -> None:
    """Rules across fields: dates in order, shipped only when done, a lift has both parts."""
    start, target, shipped = state["start_date"], state["target_date"], state["shipped_date"]
    if start and target and target < start:
        problems.append(f"target date {target} is before start date {start}")
    if start and shipped and shipped < start:
        problems.append(f"shipped date {shipped} is before start date {start}")
    if shipped and state["status"] != S.done:
        problems.append("only a done initiative has a shipped date")
    metric, lift = state["lift_metric"], state["lift_pct"]
    if metric is not None and metric not in config.metrics.metrics:
        problems.append(f"unknown lift metric {metric!r}; pick a metric from metrics.yaml")
    if (metric is None) != (lift is None):
        problems.append("an expected lift needs both a metric and a relative change")
    filters = state["lift_filters"]
    if filters and metric is None:
        problems.append("lift filters need a lift metric to measure")
    elif filters and metric in config.metrics.metrics:
        allowed = config.metrics.metric_dimensions(metric)
        for dimension, value in filters.items():
            if dimension not in allowed:
                problems.append(
                    f"{metric} cannot be measured by {dimension}; "
                    f"it can be filtered by {', '.join(allowed) or 'nothing'}"
                )
            elif value not in config.metrics.dimensions[dimension].values:
                problems.append(f"{value!r} is not a {dimension}")


def check_lift_filters(value: Any, problems: list[str]) -> dict[str, str]:
    """Lift filters as a dimension → value mapping of text (checked against the metric later)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems.append("lift filters must map a dimension to one of its values")
        return {}
    return dict(value)


# --- who is credited with an expected lift -----------------------------------------------------


def kept_lift(stored: float | None, new: float | None) -> float | None:
    """The expected lift an edit stores: the stored value when the new one equals it within float
    rounding (a form shows it in percent and divides by 100 again), so re-saving a form changes
    nothing and the person credited with the estimate stays."""
    if stored is not None and new is not None and math.isclose(new, stored):
        return stored
    return new


def credited_estimator(
    *,
    stored: tuple[str | None, float | None],
    stored_by: int | None,
    new: tuple[str | None, float | None],
    editor_id: int | None,
) -> int | None:
    """Who is credited with an expected lift (metric, relative change) after an edit: whoever
    set it last. A changed metric or value credits the editor, a cleared lift nobody, and an
    unchanged one keeps its estimator whoever saved the form."""
    if new == stored:
        return stored_by
    return editor_id if new[0] is not None else None
