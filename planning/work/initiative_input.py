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
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.periods import FIRST_YEAR, LAST_YEAR, year_range_text
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
# Each field as messages name it (in English: translated where shown).
FIELD_LABELS: dict[str, str] = {
    "title": N_("title"),
    "description": N_("description"),
    "owner_id": N_("owner"),
    "status": N_("status"),
    "health": N_("health"),
    "start_date": N_("start date"),
    "target_date": N_("target date"),
    "shipped_date": N_("shipped date"),
    "effort_weeks": N_("effort (person-weeks)"),
    "percent_complete": "% complete",  # translated as "{percent} complete" (see field_label)
    "scores": N_("scoring inputs"),
    "lift_metric": N_("lift metric"),
    "lift_pct": N_("expected lift"),
    "lift_filters": N_("lift filters"),
    "lift_estimator_id": N_("lift estimated by"),
    "key_result_ids": N_("linked key results"),
}


def field_label(name: str) -> str:
    """A field as messages name it, in the reader's language ("start date")."""
    if name == "percent_complete":
        # A catalogue entry starting "% c" would read as a printf placeholder.
        return _("{percent} complete").format(percent="%")
    return _(FIELD_LABELS[name])


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
            problems.append(
                _("{what} {day} is outside the years {years}").format(
                    what=what, day=value.isoformat(), years=year_range_text()
                )
            )
            return None
        return value
    problems.append(_("{what} {value} is not a date").format(what=what, value=repr(value)))
    return None


def check_effort(value: Any, problems: list[str]) -> float:
    """The effort in person-weeks, between 0 and EFFORT_MAX_WEEKS, problems noted."""
    if not is_number(value):
        problems.append(
            _("effort {value} is not a number of person-weeks").format(value=repr(value))
        )
        return 0.0
    effort = float(value)
    if effort < 0:
        problems.append(_("effort {weeks} person-weeks is below 0").format(weeks=f"{effort:g}"))
    elif effort > EFFORT_MAX_WEEKS:
        problems.append(
            _("effort {weeks} person-weeks is above {most}").format(
                weeks=f"{effort:g}", most=f"{EFFORT_MAX_WEEKS:g}"
            )
        )
    return effort


def check_lift_pct(value: Any, problems: list[str]) -> float | None:
    """An expected relative lift (0.08 = +8 %) inside its bounds, or None."""
    if value is None:
        return None
    if not is_number(value):
        problems.append(_("expected lift {value} is not a number").format(value=repr(value)))
        return None
    lift = float(value)
    if not LIFT_MIN < lift <= LIFT_MAX:
        problems.append(
            _("expected lift {lift} must be above {least} and at most {most}").format(
                lift=f"{lift:+.1%}", least=f"{LIFT_MIN:.0%}", most=f"{LIFT_MAX:+.0%}"
            )
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
        problems.append(_("scoring inputs must be given per framework"))
        return dict(current)
    merged = {k: dict(v) for k, v in current.items() if isinstance(v, Mapping)}
    frameworks = config.scoring.frameworks
    for framework_id, inputs in changes.items():
        framework = frameworks.get(framework_id)
        if framework is None:
            problems.append(
                _("unknown scoring framework {framework}; use one of {known}").format(
                    framework=repr(framework_id), known=", ".join(frameworks)
                )
            )
            continue
        if inputs is None or (isinstance(inputs, Mapping) and not inputs):
            merged.pop(framework_id, None)
            continue
        if not isinstance(inputs, Mapping):
            problems.append(
                _("{framework} inputs must be named values").format(framework=framework.label)
            )
            continue
        # An effort input the formula now derives from the person-weeks is dropped, not refused,
        # so inputs read from older data save as they are.
        derived = EFFORT_INPUT_OF_FORMULA.get(framework.formula)
        inputs = {k: v for k, v in inputs.items() if k != derived}
        extra = [k for k in inputs if k not in framework.inputs]
        if extra:
            problems.append(
                _("{framework} has no input {names}").format(
                    framework=framework.label, names=", ".join(map(repr, extra))
                )
            )
        found = validate_inputs(framework, inputs)
        problems.extend(f"{framework.label}: {p}" for p in found)
        if not found and not extra:
            merged[framework_id] = {k: float(inputs[k]) for k in framework.inputs}
    return merged


def check_owner(session: Session, owner_id: Any, problems: list[str]) -> None:
    """Note why a person cannot own initiatives (missing, inactive or a stakeholder)."""
    if not isinstance(owner_id, int) or isinstance(owner_id, bool):
        problems.append(_("owner {value} is not a person").format(value=repr(owner_id)))
        return
    owner = session.get(Person, owner_id)
    if owner is None:
        problems.append(_("owner {id} does not exist").format(id=owner_id))
    elif not owner.active:
        problems.append(
            _("{name} is no longer active and cannot own initiatives").format(name=owner.name)
        )
    elif owner.role == Role.stakeholder:
        problems.append(
            _("{name} is a stakeholder; initiatives are owned by the team").format(name=owner.name)
        )


def check_key_results(
    session: Session, ids: Any, problems: list[str], already: Sequence[int] = ()
) -> list[int]:
    """Existing key result ids, sorted; archived ones only when they were linked already."""
    if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
        problems.append(_("linked key results must be a list of key result ids"))
        return []
    cleaned: list[int] = []
    for kr_id in ids:
        if not isinstance(kr_id, int) or isinstance(kr_id, bool):
            problems.append(
                _("key result {value} is not a key result id").format(value=repr(kr_id))
            )
            continue
        kr = session.get(KeyResult, kr_id)
        if kr is None:
            problems.append(_("key result {id} does not exist").format(id=kr_id))
        elif kr.archived and kr_id not in already and kr_id not in cleaned:
            problems.append(
                _("key result “{title}” is archived and cannot be linked").format(title=kr.title)
            )
        elif kr_id not in cleaned:
            cleaned.append(kr_id)
    return sorted(cleaned)


def check_state(state: dict[str, Any], config: AppConfig, problems: list[str]) -> None:
    """Rules across fields: dates in order, shipped only when done, a lift has both parts."""
    start, target, shipped = state["start_date"], state["target_date"], state["shipped_date"]
    if start and target and target < start:
        problems.append(
            _("target date {target} is before start date {start}").format(
                target=target, start=start
            )
        )
    if start and shipped and shipped < start:
        problems.append(
            _("shipped date {shipped} is before start date {start}").format(
                shipped=shipped, start=start
            )
        )
    if shipped and state["status"] != S.done:
        problems.append(_("only a done initiative has a shipped date"))
    metric, lift = state["lift_metric"], state["lift_pct"]
    if metric is not None and metric not in config.metrics.metrics:
        problems.append(
            _("unknown lift metric {metric}; pick a metric from metrics.yaml").format(
                metric=repr(metric)
            )
        )
    if (metric is None) != (lift is None):
        problems.append(_("an expected lift needs both a metric and a relative change"))
    filters = state["lift_filters"]
    if filters and metric is None:
        problems.append(_("lift filters need a lift metric to measure"))
    elif filters and metric in config.metrics.metrics:
        allowed = config.metrics.metric_dimensions(metric)
        for dimension, value in filters.items():
            if dimension not in allowed:
                problems.append(
                    _(
                        "{metric} cannot be measured by {dimension}; it can be filtered by {known}"
                    ).format(
                        metric=metric,
                        dimension=dimension,
                        known=", ".join(allowed) or _("nothing"),
                    )
                )
            elif value not in config.metrics.dimensions[dimension].values:
                problems.append(
                    _("{value} is not a {dimension}").format(value=repr(value), dimension=dimension)
                )


def check_lift_filters(value: Any, problems: list[str]) -> dict[str, str]:
    """Lift filters as a dimension → value mapping of text (checked against the metric later)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems.append(_("lift filters must map a dimension to one of its values"))
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
