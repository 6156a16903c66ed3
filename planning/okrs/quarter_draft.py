"""Drafting a new quarter from the last one: its unfinished objectives and key results, copied.

A key result is unfinished when its quarter was closed with a grade below 1.0, or, while the
quarter is open, when a metric or manual key result has not reached its target (or has no value
yet), a milestone is not done, or a guardrail is breached. An objective is copied when at least
one of its key results is unfinished (or it has none), with its unfinished key results and its
guardrails: a guardrail is never finished, it keeps holding the line beside the growth it guards.

A copied metric key result starts where the new quarter's data puts it: its value over its window
in the new quarter, as of the latest day of data. Before the new quarter has any data (on its
first day) it keeps the old start value, and the preview says so. A key result whose target is a
total for the quarter keeps its start (a total starts from nothing each quarter). Check-ins are
not carried over.

Initiatives are not quarter-scoped: an open one (not done, not dropped) is carried over by its
links. Copied from a closed quarter, its links to the copied key results move to the copies (the
closed quarter's grades are frozen; the work now counts for the new quarter's goals, and its
roadmap lane follows); each move is audited on the initiative, whose status updates, scores and
dates stay as they were. Copied from a quarter still running, the copies are linked as well and
the old links stay, so the running quarter's key results keep their work until it closes.

`copy_unfinished(preview=True)` only reads: it returns the draft the director sees before
anything is written. `preview=False` writes the same draft in the caller's transaction, audited
(one event per record created and one for the copy), and is refused once the new quarter has
objectives, so a second click never copies twice. A draft that would break the goal limits (more
objectives or key results than a quarter may hold, more key results in one objective than it may)
is refused whole: its preview names each limit, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol

from sqlmodel import Session, col, select

from planning import i18n
from planning.access.permissions import Actor, require_director
from planning.config import AppConfig
from planning.formatting import format_count, format_day, format_value
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.engine import metric_value
from planning.metrics.metric_query import MetricError
from planning.okrs.evaluation import period_goals
from planning.okrs.evaluation_reads import data_as_of
from planning.okrs.evaluation_results import KrEvaluation
from planning.okrs.goal_reads import is_closed, objectives_by_id
from planning.okrs.goal_rules import (
    MAX_KEY_RESULTS,
    MAX_KEY_RESULTS_PER_OBJECTIVE,
    MAX_OBJECTIVES,
    GoalError,
    key_result_problems,
    quarter_id,
)
from planning.periods import quarter_bounds, window_bounds
from planning.store.audit import record_created, record_event
from planning.store.engine import PLAN, bump_version
from planning.store.models import (
    Initiative,
    InitiativeKeyResult,
    InitiativeStatus,
    KeyResult,
    KeyResultCreate,
    KrKind,
    Objective,
    ObjectiveCreate,
    Person,
    utcnow,
)

ENTITY = "quarter_draft"
_CLOSED_INITIATIVES = (InitiativeStatus.done.value, InitiativeStatus.dropped.value)


class DraftValues(Protocol):
    """A drafted key result's values, as a template or a copied quarter holds them."""

    @property
    def start_value(self) -> float | None: ...
    @property
    def target_value(self) -> float | None: ...
    @property
    def value_format(self) -> str: ...


def preview_values(kr: DraftValues, currency_symbol: str) -> dict[str, str]:
    """A drafted key result's start and target as its preview row shows them."""
    return {
        "start": format_value(kr.start_value, kr.value_format, currency_symbol=currency_symbol),
        "target": format_value(kr.target_value, kr.value_format, currency_symbol=currency_symbol),
    }


@dataclass(frozen=True)
class DraftKeyResult:
    """One key result as it will be created in the new quarter."""

    source_id: int
    title: str
    kind: str
    owner_id: int
    owner: str
    why: str  # why it counts as unfinished
    start_value: float | None
    old_start_value: float | None
    start_note: str  # where the start value comes from
    target_value: float | None  # a guardrail's threshold
    initiative_ids: tuple[int, ...]
    initiative_titles: tuple[str, ...]
    problems: tuple[str, ...] = ()  # reasons it could not be created as drafted
    value_format: str = "number"  # how its values read: number, money, percent or decimal


@dataclass(frozen=True)
class DraftObjective:
    """One objective as it will be created in the new quarter, with its key results."""

    source_id: int
    title: str
    owner_id: int
    owner: str
    key_results: tuple[DraftKeyResult, ...]
    new_id: int | None = None  # set once written


@dataclass(frozen=True)
class QuarterDraft:
    """What copying a quarter's unfinished goals creates (or created) in the next one."""

    from_period: str
    to_period: str
    objectives: tuple[DraftObjective, ...]
    data_in_new_quarter: bool
    written: bool = False
    moves_links: bool = False  # the source quarter is closed: open work moves to the copies

    @property
    def initiative_count(self) -> int:
        """How many distinct open initiatives the draft carries over."""
        return len({i for o in self.objectives for kr in o.key_results for i in kr.initiative_ids})

    @property
    def key_result_count(self) -> int:
        """How many key results the draft holds."""
        return sum(len(o.key_results) for o in self.objectives)

    @property
    def problems(self) -> list[str]:
        """Every reason the draft could not be created: the goal limits it would break, then
        each drafted key result's own."""
        return self.limit_problems() + [
            f"“{kr.title}”: {problem}"
            for o in self.objectives
            for kr in o.key_results
            for problem in kr.problems
        ]

    def limit_problems(self) -> list[str]:
        """Why the draft would hold more objectives or key results than a quarter (or one of its
        objectives) may; the new quarter holds no active objective yet, so the draft is all."""
        problems: list[str] = []
        if len(self.objectives) > MAX_OBJECTIVES:
            problems.append(
                _("The draft holds {count} objectives; a quarter may hold at most {most}.").format(
                    count=format_count(len(self.objectives)), most=format_count(MAX_OBJECTIVES)
                )
            )
        for objective in self.objectives:
            if len(objective.key_results) > MAX_KEY_RESULTS_PER_OBJECTIVE:
                problems.append(
                    _(
                        "Objective “{title}” would hold {count} key results; an objective may "
                        "hold at most {most}."
                    ).format(
                        title=objective.title,
                        count=format_count(len(objective.key_results)),
                        most=format_count(MAX_KEY_RESULTS_PER_OBJECTIVE),
                    )
                )
        if self.key_result_count > MAX_KEY_RESULTS:
            problems.append(
                _("The draft holds {count} key results; a quarter may hold at most {most}.").format(
                    count=format_count(self.key_result_count), most=format_count(MAX_KEY_RESULTS)
                )
            )
        return problems

    def contents(self) -> tuple[object, ...]:
        """What the draft creates, by source: each objective with its key results, their starts
        and carried initiatives, and whether links move."""
        return (
            self.moves_links,
            tuple(
                (
                    o.source_id,
                    tuple(
                        (kr.source_id, kr.start_value, kr.initiative_ids) for kr in o.key_results
                    ),
                )
                for o in self.objectives
            ),
        )

    def rows(self, *, currency_symbol: str = "$") -> list[dict[str, Any]]:
        """The draft as preview rows, values as text: one per key result (one per objective
        without any)."""
        rows: list[dict[str, Any]] = []
        for objective in self.objectives:
            base = {"objective": objective.title, "objective owner": objective.owner}
            if not objective.key_results:
                rows.append(
                    {
                        **base,
                        "key result": "—",
                        "owner": "",
                        "why": _("no key results yet"),
                        "start": "",
                        "target": "",
                        "start from": "",
                        "initiatives": "",
                    }
                )
            for kr in objective.key_results:
                rows.append(
                    {
                        **base,
                        "key result": kr.title,
                        "owner": kr.owner,
                        "why": kr.why,
                        **preview_values(kr, currency_symbol),
                        "start from": kr.start_note,
                        "initiatives": ", ".join(kr.initiative_titles),
                    }
                )
        return rows


def _unfinished_reason(kr: KrEvaluation) -> str | None:
    """Why a key result still needs work, or None when it is finished."""
    if kr.grade is not None:
        grade = (
            f"{kr.grade:.1f}" if i18n.english_formats() else i18n.fixed_text(kr.grade, decimals=1)
        )
        return _("graded {grade}").format(grade=grade) if kr.grade < 1.0 else None
    if kr.kind == KrKind.guardrail.value:
        return _("breached") if kr.met is False else None
    if kr.kind == KrKind.milestone.value:
        return None if kr.done else _("not done")
    if kr.progress is None:
        return _("no value yet")
    if kr.progress < 1.0:
        return _("{percent} of the way to target").format(percent=f"{round(kr.progress * 100)} %")
    return None


def _new_quarter_start(
    session: Session, config: AppConfig, kr: KeyResult, to_period: str, as_of: date
) -> tuple[float | None, str]:
    """A metric key result's start value in the new quarter and where it comes from."""
    old = kr.start_value
    if kr.kind in (KrKind.milestone, KrKind.guardrail):
        return old, ""
    if kr.kind != KrKind.metric or kr.metric_id is None:
        return old, _("kept")
    if kr.total_target:
        return old, _("kept: a total starts afresh each quarter")
    fiscal = config.settings.fiscal_year_start_month
    first, _last = quarter_bounds(to_period, fiscal)
    if as_of < first:
        return old, _("kept: no data for {quarter} yet").format(quarter=to_period)
    start, end = window_bounds(kr.window.value, to_period, as_of, fiscal)
    try:
        value = metric_value(
            session=session,
            config=config.metrics,
            metric_id=kr.metric_id,
            start=start,
            end=end,
            filters=kr.filters,
        )
    except MetricError:
        value = None
    if value is None:
        return old, _("kept: no value for {quarter} yet").format(quarter=to_period)
    return value, _("{quarter} data through {day}").format(quarter=to_period, day=format_day(as_of))


def _open_links(session: Session, kr_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """The still-open initiatives linked to each key result."""
    if not kr_ids:
        return {}
    rows = session.exec(
        select(InitiativeKeyResult.key_result_id, Initiative.id, Initiative.title)
        .join(Initiative, col(Initiative.id) == InitiativeKeyResult.initiative_id)
        .where(
            col(InitiativeKeyResult.key_result_id).in_(kr_ids),
            col(Initiative.status).not_in(_CLOSED_INITIATIVES),
        )
        .order_by(col(Initiative.id))
    ).all()
    links: dict[int, list[tuple[int, str]]] = {}
    for kr_id, initiative_id, title in rows:
        links.setdefault(int(kr_id), []).append((int(initiative_id or 0), str(title)))
    return links


def _has_objectives(session: Session, period: str) -> bool:
    found = session.exec(
        select(Objective.id).where(Objective.period == period, Objective.archived == False)  # noqa: E712
    ).first()
    return found is not None


def _draft(
    session: Session, config: AppConfig, from_period: str, to_period: str, as_of: date
) -> QuarterDraft:
    """What the copy would create, read only."""
    evaluation = period_goals(session=session, config=config, period=from_period, as_of=as_of)
    kr_ids = [kr.key_result_id for kr in evaluation.key_results()]
    records = (
        {
            int(k.id or 0): k
            for k in session.exec(select(KeyResult).where(col(KeyResult.id).in_(kr_ids))).all()
        }
        if kr_ids
        else {}
    )
    links = _open_links(session, kr_ids)
    names = {int(p.id or 0): p.name for p in session.exec(select(Person)).all()}
    objectives: list[DraftObjective] = []
    for objective in evaluation.objectives:
        unfinished = {
            kr.key_result_id: why
            for kr in objective.key_results
            if (why := _unfinished_reason(kr)) is not None
        }
        if objective.key_results and not unfinished:
            continue
        drafted: list[DraftKeyResult] = []
        for kr in objective.key_results:
            record = records.get(kr.key_result_id)
            if record is None or record.archived:
                continue
            why = unfinished.get(kr.key_result_id)
            if why is None and record.kind != KrKind.guardrail:
                continue
            start, note = _new_quarter_start(session, config, record, to_period, as_of)
            candidate = KeyResultCreate(
                **{
                    **record.model_dump(include=set(KeyResultCreate.model_fields)),
                    "start_value": start,
                }
            )
            problems = key_result_problems(candidate, config.metrics)
            linked = links.get(kr.key_result_id, [])
            drafted.append(
                DraftKeyResult(
                    source_id=kr.key_result_id,
                    title=record.title,
                    kind=record.kind.value,
                    owner_id=record.owner_id,
                    owner=names.get(record.owner_id, f"#{record.owner_id}"),
                    why=why or _("guardrail: kept beside its objective"),
                    start_value=start,
                    old_start_value=record.start_value,
                    start_note=note,
                    target_value=(
                        record.threshold if record.kind == KrKind.guardrail else record.target_value
                    ),
                    initiative_ids=tuple(i for i, _ in linked),
                    initiative_titles=tuple(t for _id, t in linked),
                    problems=tuple(problems),
                    value_format=kr.value_format,
                )
            )
        objectives.append(
            DraftObjective(
                source_id=objective.objective_id,
                title=objective.title,
                owner_id=objective.owner_id,
                owner=names.get(objective.owner_id, objective.owner),
                key_results=tuple(drafted),
            )
        )
    first, _last = quarter_bounds(to_period, config.settings.fiscal_year_start_month)
    return QuarterDraft(
        from_period=from_period,
        to_period=to_period,
        objectives=tuple(objectives),
        data_in_new_quarter=as_of >= first,
        moves_links=is_closed(session=session, period=from_period),
    )


def copy_unfinished(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    from_period: str,
    to_period: str,
    preview: bool,
    as_of: date | None = None,
    previewed: QuarterDraft | None = None,
) -> QuarterDraft:
    """Copy a quarter's unfinished objectives and key results into another (directors only).

    With `preview` nothing is written; without it the draft is created in the caller's
    transaction. Refused (GoalError) when the target quarter is closed or already has objectives,
    or when `previewed` (what the director confirmed) no longer matches what would be written.
    """
    require_director(actor, N_("draft a quarter's goals"))
    source = quarter_id(from_period)
    target = quarter_id(to_period)
    problems: list[str] = []
    if source == target:
        problems.append(_("Copy from another quarter than the one being drafted."))
    if not preview:
        # Write first: the transaction takes the store's write lock before it looks, so two
        # confirmations at once are serialised and the second sees the first one's objectives.
        bump_version(session, PLAN)
    if is_closed(session=session, period=target):
        problems.append(_("{quarter} is closed: its goals are frozen.").format(quarter=target))
    elif _has_objectives(session, target):
        problems.append(
            _(
                "{quarter} already has objectives: copying again would duplicate them. Add or "
                "edit objectives there instead."
            ).format(quarter=target)
        )
    if problems:
        raise GoalError(problems)
    as_of = as_of or data_as_of(session=session, config=config)
    draft = _draft(session, config, source, target, as_of)
    if not draft.objectives:
        raise GoalError(
            [_("{quarter} has no unfinished objectives to copy.").format(quarter=source)]
        )
    if preview:
        return draft
    if draft.problems:
        raise GoalError(draft.problems)
    if previewed is not None and previewed.contents() != draft.contents():
        raise GoalError(
            [
                _(
                    "{source}'s goals or {quarter}'s data changed since the preview: look at the "
                    "new preview before confirming."
                ).format(source=source, quarter=target)
            ]
        )
    return _write(session, actor, draft)


def _write(session: Session, actor: Actor, draft: QuarterDraft) -> QuarterDraft:
    """Create the drafted objectives, key results and links, each audited."""
    sources = objectives_by_id(session=session, ids=(d.source_id for d in draft.objectives))
    in_draft = {d.source_id for d in draft.objectives}
    pending = list(draft.objectives)
    written: dict[int, DraftObjective] = {}
    new_ids: dict[int, int] = {}
    copies: dict[int, int] = {}  # old key result id -> its copy's id
    while pending:
        # Parents first, so an aligned copy points at its parent's copy from its creation on.
        ready = [
            d
            for d in pending
            if sources[d.source_id].parent_id not in in_draft
            or sources[d.source_id].parent_id in new_ids
        ] or pending[:1]
        for drafted in ready:
            pending.remove(drafted)
            source = sources[drafted.source_id]
            parent = source.parent_id
            if parent in new_ids:
                parent = new_ids[parent]
            elif parent is not None and parent in in_draft:
                parent = None  # an alignment loop in the old quarter: not carried over
            elif parent is not None:
                parent_row = session.get(Objective, parent)
                # A parent finished and left behind in the old quarter no longer aligns it.
                if parent_row is None or parent_row.period == draft.from_period:
                    parent = None
            fields = source.model_dump(include=set(ObjectiveCreate.model_fields))
            objective = Objective(**{**fields, "period": draft.to_period, "parent_id": parent})
            record_created(session=session, actor=actor, entity="objective", record=objective)
            new_ids[drafted.source_id] = int(objective.id or 0)
            written[drafted.source_id] = replace(drafted, new_id=objective.id)
            copies.update(_write_key_results(session, actor, drafted, int(objective.id or 0)))
    session.flush()
    moved = _move_links(session, actor, draft, copies) if draft.moves_links else []
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=None,
        action="copy",
        after={
            "from": draft.from_period,
            "to": draft.to_period,
            "objectives": {str(k): v for k, v in new_ids.items()},
            "key_results": draft.key_result_count,
            "initiatives": draft.initiative_count,
            "links_moved": moved,
        },
    )
    session.flush()
    ordered = tuple(written[d.source_id] for d in draft.objectives)
    return replace(draft, objectives=ordered, written=True)


def _write_key_results(
    session: Session, actor: Actor, drafted: DraftObjective, objective_id: int
) -> dict[int, int]:
    """Create a drafted objective's key results and their links to open initiatives; returns
    each old key result's id -> its copy's."""
    copies: dict[int, int] = {}
    for kr in drafted.key_results:
        old = session.get(KeyResult, kr.source_id)
        assert old is not None
        fields = old.model_dump(include=set(KeyResultCreate.model_fields))
        record = KeyResult(
            **{**fields, "objective_id": objective_id, "start_value": kr.start_value}
        )
        record_created(session=session, actor=actor, entity="key_result", record=record)
        copies[kr.source_id] = int(record.id or 0)
        for initiative_id in kr.initiative_ids:
            session.add(
                InitiativeKeyResult(initiative_id=initiative_id, key_result_id=int(record.id or 0))
            )
    return copies


def _move_links(
    session: Session, actor: Actor, draft: QuarterDraft, copies: dict[int, int]
) -> list[int]:
    """Drop each carried initiative's links to the old key results that were copied (the copies
    are linked already), one audited change per initiative; returns the initiatives moved."""
    carried: dict[int, list[int]] = {}
    for objective in draft.objectives:
        for kr in objective.key_results:
            for initiative_id in kr.initiative_ids:
                carried.setdefault(initiative_id, []).append(kr.source_id)
    moved: list[int] = []
    for initiative_id in sorted(carried):
        initiative = session.get(Initiative, initiative_id)
        if initiative is None:
            continue
        new_ids = set(copies.values())
        before = sorted(
            int(k)
            for k in session.exec(
                select(InitiativeKeyResult.key_result_id).where(
                    InitiativeKeyResult.initiative_id == initiative_id
                )
            ).all()
            if int(k) not in new_ids  # the copies were linked a moment ago
        )
        for old_id in carried[initiative_id]:
            link = session.get(InitiativeKeyResult, (initiative_id, old_id))
            if link is not None:
                session.delete(link)
        after = sorted(
            {k for k in before if k not in carried[initiative_id]}
            | {copies[k] for k in carried[initiative_id]}
        )
        # A new version: a form opened before the move cannot put the old links back.
        initiative.version += 1
        initiative.updated_at = utcnow()
        session.add(initiative)
        record_event(
            session=session,
            actor=actor,
            entity="initiative",
            entity_id=initiative_id,
            action="carry_forward",
            before={"key_result_ids": before},
            after={
                "key_result_ids": after,
                "from": draft.from_period,
                "to": draft.to_period,
                "version": initiative.version,
            },
        )
        moved.append(initiative_id)
    session.flush()
    return moved


def draft_source(*, session: Session, period: str) -> str | None:
    """The latest quarter before `period` that has objectives: what a draft copies from."""
    target = quarter_id(period)
    rows = session.exec(
        select(Objective.period)
        .where(col(Objective.period) < target, Objective.archived == False)  # noqa: E712
        .distinct()
    ).all()
    return max((str(p) for p in rows), default=None)
