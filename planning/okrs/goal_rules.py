"""The rules a goal must meet before it is written: an objective's and a key result's shape for
its kind, their owner and alignment, a check-in's fields, and which key results have a total for
the quarter as their target. Every problem is listed, in words a director can act on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlmodel import Session, col, func, select

from planning.config.metrics import MetricsConfig
from planning.formatting import format_count
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.shapes import MetricShape, is_total, metric_shape
from planning.okrs.alignment_reads import alignment_loops, parents_of
from planning.okrs.goal_reads import is_closed
from planning.periods import format_quarter, parse_quarter
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
from planning.store.trash_rows import trashed_while_open
from planning.validation import is_number, text_problems, unix_line_breaks

TITLE_MAX = 200
NOTE_MAX = 2000
UNIT_MAX = 20
# An objective's description, as long as an initiative's. Descriptions written before there was
# a limit may be longer: they are read and kept as they are, and refused only once changed.
DESCRIPTION_MAX = 10_000
# A team's quarter holds three to five objectives of three to five key results (DOMAIN.md); a
# company's whole set, as large as the benchmark's xl quarter (about 200 objectives, 1,000 key
# results), stays within these. Every path that adds goals is held to them, so a quarter's
# exported OKR file always imports again (ten thousand key results took most of a minute).
MAX_OBJECTIVES = 250  # active objectives in a quarter
MAX_KEY_RESULTS_PER_OBJECTIVE = 25  # active key results in an objective
MAX_KEY_RESULTS = 1_000  # active key results in a quarter


class GoalError(ValueError):
    """Goal input that cannot be saved; ``problems`` lists every reason. Nothing was written."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def quarter_id(period: str) -> str:
    """A quarter as goals store it ("2026-Q4"); GoalError when `period` is not a quarter."""
    try:
        return format_quarter(*parse_quarter(period))
    except ValueError as exc:
        raise GoalError([f"{exc}."]) from None


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _sentences(problems: list[str]) -> list[str]:
    return [f"{p}." for p in problems]


def _title_problems(title: str | None, missing: str) -> list[str]:
    """A title's problems: none given (`missing` says so), too long, or text it cannot hold."""
    stripped = (title or "").strip()
    problems: list[str] = []
    if not stripped:
        problems.append(missing)
    elif len(stripped) > TITLE_MAX:
        problems.append(_too_long(len(stripped)))
    return problems + _sentences(text_problems(stripped, what=N_("The title")))


def key_result_problems(key_result: KeyResultBase, config: MetricsConfig) -> list[str]:
    """Everything wrong with a key result's shape for its kind (owner and objective aside)."""
    kr = key_result
    problems: list[str] = []
    problems += _title_problems(kr.title, _("Give the key result a title."))
    if isinstance(kr.unit, str):
        problems += _sentences(text_problems(kr.unit, what=N_("The unit")))
    if not is_number(kr.weight) or kr.weight < 0:
        problems.append(_bad_weight(kr.weight))
    if len(kr.unit or "") > UNIT_MAX:
        problems.append(
            _("Keep the unit to {most} characters.").format(most=format_count(UNIT_MAX))
        )
    try:
        kind = KrKind(kr.kind)
    except ValueError:
        problems.append(
            _("Unknown kind {kind}: use one of {kinds}.").format(
                kind=repr(kr.kind), kinds=", ".join(k.value for k in KrKind)
            )
        )
        return problems
    try:
        window = Window(kr.window)
    except ValueError:
        problems.append(
            _("Unknown window {window}: use one of {windows}.").format(
                window=repr(kr.window), windows=", ".join(w.value for w in Window)
            )
        )
        window = Window.period_to_date
    metric_known = False
    if kind in (KrKind.metric, KrKind.guardrail):
        if not kr.metric_id:
            problems.append(_("A {kind} key result needs a metric.").format(kind=kind.value))
        elif kr.metric_id not in config.metrics:
            problems.append(
                _("Unknown metric {metric}: it is not in metrics.yaml.").format(
                    metric=repr(kr.metric_id)
                )
            )
        else:
            metric_known = True
            problems.extend(_filter_problems(kr.metric_id, kr.filters or {}, config))
    else:
        if kr.metric_id:
            problems.append(
                _("A {kind} key result is not bound to a metric; remove {metric}.").format(
                    kind=kind.value, metric=repr(kr.metric_id)
                )
            )
        if kr.filters:
            problems.append(
                _("A {kind} key result takes no dimension filters.").format(kind=kind.value)
            )

    if kind in (KrKind.metric, KrKind.manual):
        problems.extend(_start_target_problems(kr))
        if kr.guardrail_rule is not None or kr.threshold is not None:
            problems.append(
                _(
                    "Only guardrails have a rule and a threshold; a {kind} key result has a "
                    "start and a target."
                ).format(kind=kind.value)
            )
    elif kind == KrKind.guardrail:
        if kr.guardrail_rule is None:
            problems.append(_("A guardrail needs a rule: stay_above or stay_below."))
        if kr.threshold is None:
            problems.append(_("A guardrail needs a threshold."))
        elif not is_number(kr.threshold):
            problems.append(
                _("The threshold must be a number, got {value}.").format(value=repr(kr.threshold))
            )
        if kr.direction is not None or kr.start_value is not None or kr.target_value is not None:
            problems.append(
                _("A guardrail has a rule and a threshold, not a direction, start or target.")
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
                _(
                    "A milestone is done or not done: it takes no direction, start, target, rule "
                    "or threshold."
                )
            )

    if metric_known and kr.metric_id is not None:
        shape = metric_shape(config, kr.metric_id)
        label = config.metrics[kr.metric_id].label
        cumulative = shape == MetricShape.additive and window == Window.period_to_date
        if kr.total_target and kind != KrKind.metric:
            problems.append(_(ONLY_METRIC_TOTAL))
        elif kr.total_target and shape != MetricShape.additive:
            problems.append(
                _(
                    "{metric} is not a total that adds up day by day, so it cannot have a total "
                    "target; track its level instead."
                ).format(metric=label)
            )
        elif kr.total_target and window != Window.period_to_date:
            problems.append(
                _("A total target is a total for the quarter: use the period_to_date window.")
            )
        elif kind == KrKind.metric and cumulative and not kr.total_target:
            problems.append(
                _(
                    "{metric} adds up over the quarter, so over period_to_date its target is a "
                    "total for the quarter: mark it as a total target, or pick a trailing window "
                    "to track a level."
                ).format(metric=label)
            )
        if config.metrics[kr.metric_id].format == "percent":
            for name, value in (
                (_("start"), kr.start_value),
                (_("target"), kr.target_value),
                (_("threshold"), kr.threshold),
            ):
                if is_number(value) and value is not None and abs(value) > 1.5:
                    problems.append(
                        _(
                            "{metric} is a fraction (2.3 % is 0.023); the {name} {value} looks "
                            "like a percentage."
                        ).format(metric=label, name=name, value=f"{value:g}")
                    )
    elif kr.total_target and kind != KrKind.metric:
        problems.append(_(ONLY_METRIC_TOTAL))
    return problems


ONLY_METRIC_TOTAL = N_("Only a metric key result can have a total target.")


def _too_long(length: int) -> str:
    return _("The title is {length} characters long; keep it to {most}.").format(
        length=format_count(length), most=format_count(TITLE_MAX)
    )


def _bad_weight(weight: object) -> str:
    return _("The weight must be a number of 0 or more, got {value}.").format(value=repr(weight))


def _start_target_problems(kr: KeyResultBase) -> list[str]:
    problems: list[str] = []
    if kr.direction is None:
        problems.append(_("Say whether the value should increase or decrease (direction)."))
    for name, value in (("start", kr.start_value), ("target", kr.target_value)):
        if value is None:
            problems.append(
                _("Give a start value.") if name == "start" else _("Give a target value.")
            )
        elif not is_number(value):
            problems.append(
                (
                    _("The start value must be a number, got {value}.")
                    if name == "start"
                    else _("The target value must be a number, got {value}.")
                ).format(value=repr(value))
            )
    if kr.direction is None or not is_number(kr.start_value) or not is_number(kr.target_value):
        return problems
    start, target = float(kr.start_value or 0), float(kr.target_value or 0)
    if kr.direction == Direction.decrease and target >= start:
        problems.append(
            _(
                "A decrease key result needs a target below its start (start {start}, target "
                "{target})."
            ).format(start=_number(start), target=_number(target))
        )
    if kr.direction == Direction.increase and target <= start:
        problems.append(
            _(
                "An increase key result needs a target above its start (start {start}, target "
                "{target})."
            ).format(start=_number(start), target=_number(target))
        )
    return problems


def _filter_problems(metric_id: str, filters: dict[str, str], config: MetricsConfig) -> list[str]:
    problems: list[str] = []
    allowed = config.metric_dimensions(metric_id)
    label = config.metrics[metric_id].label
    for name, value in filters.items():
        dimension = config.dimensions.get(name)
        if dimension is None:
            problems.append(_("Unknown dimension {name} in the filters.").format(name=repr(name)))
            continue
        if name not in allowed:
            can = (
                _("it can be by {dimensions}").format(dimensions=", ".join(allowed))
                if allowed
                else _("it has no dimensions")
            )
            problems.append(
                _("{metric} cannot be filtered by {name} ({can}).").format(
                    metric=label, name=name, can=can
                )
            )
            continue
        if value not in dimension.values:
            problems.append(
                _("{value} is not a {dimension} (expected one of {values}).").format(
                    value=repr(value),
                    dimension=dimension.label.lower(),
                    values=", ".join(dimension.values),
                )
            )
    return problems


def objective_problems(
    objective: ObjectiveCreate | Objective, *, new_description: bool = True
) -> list[str]:
    """Everything wrong with an objective's own fields (owner and parent aside); a description
    kept as stored (`new_description` false) is not held to the length limit."""
    problems: list[str] = []
    problems += _title_problems(objective.title, _("Give the objective a title."))
    if new_description:
        problems += description_problems(objective.description)
    if isinstance(objective.description, str):
        problems += _sentences(
            text_problems(objective.description, what=N_("The description"), multiline=True)
        )
    try:
        parse_quarter(objective.period)
    except ValueError as exc:
        problems.append(_("Period: {problem}.").format(problem=exc))
    if not is_number(objective.weight) or objective.weight < 0:
        problems.append(_bad_weight(objective.weight))
    return problems


def description_problems(description: object) -> list[str]:
    """Why an objective's description is too long to save, if it is."""
    if not isinstance(description, str):
        return []
    length = len(unix_line_breaks(description))  # as it would be saved
    if length <= DESCRIPTION_MAX:
        return []
    return [
        _("The description is {length} characters long; keep it to {most}.").format(
            length=format_count(length), most=format_count(DESCRIPTION_MAX)
        )
    ]


def owner_problems(session: Session, owner_id: int | None, what: str) -> list[str]:
    """Why a person cannot own a goal (missing, inactive or a stakeholder), if so."""
    if owner_id is None:
        return [_("Choose who owns the {what}.").format(what=_(what))]
    person = session.get(Person, owner_id)
    if person is None:
        return [_("The owner (person {id}) does not exist.").format(id=owner_id)]
    if not person.active:
        return [
            _("{name} is no longer active and cannot own the {what}.").format(
                name=person.name, what=_(what)
            )
        ]
    if person.role == Role.stakeholder:
        return [
            _("{name} is a stakeholder; only members and directors own goals.").format(
                name=person.name
            )
        ]
    return []


def parent_problems(session: Session, parent_id: int | None, objective_id: int | None) -> list[str]:
    """Why an objective cannot take this first parent (missing, itself, already a further parent,
    a loop through any of its parents), if so."""
    if parent_id is None:
        return []
    if objective_id is not None and parent_id == objective_id:
        return [_("An objective cannot be its own parent.")]
    if session.get(Objective, parent_id) is None:
        return [_("The parent objective {id} does not exist.").format(id=parent_id)]
    if objective_id is None:
        return []  # a new objective has no children yet, so no loop can close
    further = parents_of(session=session, objective_ids=[objective_id]).get(objective_id, [])
    record = session.get(Objective, objective_id)
    kept = [p for p in further if record is None or p != record.parent_id]
    if parent_id in kept:
        return [_("The objective already aligns to that parent.")]
    return alignment_loops(
        session=session, objective_id=objective_id, parent_ids=[parent_id, *kept]
    )


def active_key_results(session: Session, objective_id: int) -> int:
    """How many key results an objective holds that are not archived."""
    return session.exec(
        select(func.count()).where(
            KeyResult.objective_id == objective_id, col(KeyResult.archived).is_(False)
        )
    ).one()


def room_problems(
    session: Session,
    *,
    period: str,
    objective: Objective | None = None,
    objectives: int = 0,
    key_results: int = 0,
) -> list[str]:
    """Why a quarter (and `objective`) has no room for this many more active objectives and key
    results, if so."""
    problems: list[str] = []
    if objectives:
        held = session.exec(
            select(func.count()).where(
                Objective.period == period, col(Objective.archived).is_(False)
            )
        ).one()
        if held + objectives > MAX_OBJECTIVES:
            problems.append(
                _(
                    "{quarter} already holds {count} objectives; a quarter may hold at most "
                    "{most}. Archive one first."
                ).format(
                    quarter=period, count=format_count(held), most=format_count(MAX_OBJECTIVES)
                )
            )
    if not key_results:
        return problems
    active = (col(KeyResult.archived).is_(False), col(Objective.archived).is_(False))
    if objective is not None and objective.id is not None:
        held = active_key_results(session, objective.id)
        if held + key_results > MAX_KEY_RESULTS_PER_OBJECTIVE:
            problems.append(
                _(
                    "Objective “{title}” already holds {count} key results; an objective may "
                    "hold at most {most}. Archive one first."
                ).format(
                    title=objective.title,
                    count=format_count(held),
                    most=format_count(MAX_KEY_RESULTS_PER_OBJECTIVE),
                )
            )
    held = session.exec(
        select(func.count())
        .select_from(KeyResult)
        .join(Objective, col(Objective.id) == KeyResult.objective_id)
        .where(Objective.period == period, *active)
    ).one()
    if held + key_results > MAX_KEY_RESULTS:
        problems.append(
            _(
                "{quarter} already holds {count} key results; a quarter may hold at most {most}. "
                "Archive one first."
            ).format(quarter=period, count=format_count(held), most=format_count(MAX_KEY_RESULTS))
        )
    return problems


Goal = TypeVar("Goal", Objective, KeyResult)
_NOT_FOUND: dict[type, str] = {
    Objective: N_("Objective {id} does not exist."),
    KeyResult: N_("Key result {id} does not exist."),
}


def goal_for_update(session: Session, model: type[Goal], record_id: int) -> Goal:
    """An objective or key result locked for this write; GoalError when it does not exist."""
    record = session.get(model, record_id, with_for_update=True)
    if record is None:
        entity = "objective" if model is Objective else "key_result"
        trashed = trashed_while_open(session, entity=entity, entity_id=record_id)
        raise GoalError([trashed or _(_NOT_FOUND[model]).format(id=record_id)])
    return record


def refuse_if_closed(session: Session, period: str) -> None:
    """Refuse any change to a closed quarter's goals: they are frozen."""
    if is_closed(session=session, period=period):
        raise GoalError(
            [_("{quarter} is closed: its goals and check-ins are frozen.").format(quarter=period)]
        )


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
        problems.append(
            _("Key result “{title}” is archived; it takes no check-ins.").format(title=record.title)
        )
    level = _whole_number(confidence)
    if level is None:
        problems.append(
            _("Confidence must be a whole number from 0 to 10, got {value}.").format(
                value=repr(confidence)
            )
        )
    elif not 0 <= level <= 10:
        problems.append(_("Confidence must be from 0 to 10, got {value}.").format(value=level))
    text = unix_line_breaks(note.strip()) if isinstance(note, str) else ""
    if not text:
        problems.append(_("Write a short note: a check-in without one is noise."))
    elif len(text) > NOTE_MAX:
        problems.append(
            _("The note is {length} characters long; keep it to {most}.").format(
                length=format_count(len(text)), most=format_count(NOTE_MAX)
            )
        )
    problems += _sentences(text_problems(text, what=N_("The note"), multiline=True))
    if record.kind == KrKind.manual:
        if value is None:
            problems.append(_("A manual key result's check-in needs the current value."))
        elif not is_number(value):
            problems.append(_("The value must be a number, got {value}.").format(value=repr(value)))
    elif value is not None:
        problems.append(
            (
                _(
                    "Only manual key results take a value; a {kind} key result reads its value "
                    "from the store."
                )
                if record.metric_id
                else _("Only manual key results take a value; a {kind} key result has none.")
            ).format(kind=record.kind.value)
        )
    if done is not None and record.kind != KrKind.milestone:
        problems.append(_("Only milestones are ticked done."))
    return problems, level, text
