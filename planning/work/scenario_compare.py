"""A draft of the week's plan beside the committed one: pure rules, no store.

The committed plan is the initiatives as they stand; the draft is the same initiatives with a
scenario's changes laid over them (apply_draft). compare_plans sets them side by side:

- capacity per person per week, by the rules of planning.work.capacity_maths, on both sides;
- overload: the person-weeks whose load is above capacity, on both sides;
- expected value per key result: the sum of the expected weekly gross profit gain of the
  initiatives in the plan that are linked to the key result (an initiative linked to two key
  results counts for each). "In the plan" means a status that loads capacity (planned, in
  progress, blocked); an initiative without an expected value adds nothing;
- what moved: each initiative that comes into the plan, goes out of it, or changes owner, effort
  or dates, with the words a director reads.

Every step is one pass over dictionaries keyed by initiative id, so comparing thousands of
initiatives costs two capacity tables and a few loops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from planning import i18n
from planning.config.settings import CapacitySettings
from planning.formatting import format_day
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.work.capacity_maths import (
    LOADING_STATUSES,
    PersonCapacity,
    Work,
    capacity_hours,
    check_mondays,
    window_load,
)
from planning.work.initiative_status import status_label

DRAFT_FIELDS = ("status", "owner_id", "effort_weeks", "start_date", "target_date")
MOVE_KINDS = ("in", "out", "changed")
MOVE_LABELS = {"in": N_("Into the plan"), "out": N_("Out of the plan"), "changed": N_("Changed")}


@dataclass(frozen=True)
class PlanItem:
    """An open initiative as a plan comparison sees it."""

    initiative_id: int
    title: str
    owner_id: int
    status: str
    effort_weeks: float
    start_date: date | None
    target_date: date | None
    weekly_value: float | None = None  # expected weekly gross profit gain
    key_result_ids: tuple[int, ...] = ()

    @property
    def in_plan(self) -> bool:
        """Whether the initiative loads capacity (planned, in progress or blocked)."""
        return self.status in LOADING_STATUSES


@dataclass(frozen=True)
class CapacityCell:
    """One person's week: capacity, and the load under the committed plan and under the draft."""

    person_id: int
    name: str
    week_start: date
    capacity_hours: float
    committed_hours: float
    draft_hours: float
    committed_over: bool
    draft_over: bool


@dataclass(frozen=True)
class KeyResultValue:
    """The expected weekly value aimed at one key result, committed and in the draft."""

    key_result_id: int
    title: str
    committed_value: float
    draft_value: float
    committed_count: int
    draft_count: int


@dataclass(frozen=True)
class Move:
    """One initiative the draft moves in, out or changes, and what changed in words."""

    initiative_id: int
    title: str
    kind: str  # one of MOVE_KINDS
    details: tuple[str, ...]


@dataclass(frozen=True)
class PlanComparison:
    """A draft beside the committed plan."""

    capacity: tuple[CapacityCell, ...]
    committed_over: int
    draft_over: int
    values: tuple[KeyResultValue, ...]
    moves: tuple[Move, ...]


def apply_draft(
    items: Sequence[PlanItem], changes: Mapping[int, Mapping[str, Any]]
) -> list[PlanItem]:
    """The items with a draft's field changes ({initiative id: {field: value}}) laid over them."""
    out = []
    for item in items:
        fields = changes.get(item.initiative_id)
        if not fields:
            out.append(item)
            continue
        known = {k: v for k, v in fields.items() if k in DRAFT_FIELDS}
        out.append(replace(item, **known))
    return out


_HOURS_TOLERANCE = 1e-9  # as capacity_maths: differences below this are not an overload
_LoadKey = tuple[float, date | None, date | None, str]


def _loads(
    items: Sequence[PlanItem],
    weeks: Sequence[date],
    settings: CapacitySettings,
    memo: dict[_LoadKey, dict[date, float]],
) -> dict[tuple[int, date], float]:
    """Hours of load per (owner, week Monday) from the items in the plan; `memo` keeps each
    distinct (effort, start, target, status) load, so the draft reuses the committed side's."""
    totals: dict[tuple[int, date], float] = {}
    for item in items:
        if not item.in_plan:
            continue
        key = (item.effort_weeks, item.start_date, item.target_date, item.status)
        load = memo.get(key)
        if load is None:
            work = Work(
                initiative_id=item.initiative_id,
                owner_id=item.owner_id,
                effort_weeks=item.effort_weeks,
                start=item.start_date,
                target=item.target_date,
                status=item.status,
            )
            load = memo[key] = window_load(work, weeks, settings)
        for week, hours in load.items():
            totals[(item.owner_id, week)] = totals.get((item.owner_id, week), 0.0) + hours
    return totals


def _value_by_kr(items: Sequence[PlanItem]) -> tuple[dict[int, float], dict[int, int]]:
    values: dict[int, float] = {}
    counts: dict[int, int] = {}
    for item in items:
        if not item.in_plan:
            continue
        for kr in item.key_result_ids:
            counts[kr] = counts.get(kr, 0) + 1
            values[kr] = values.get(kr, 0.0) + (item.weekly_value or 0.0)
    return values, counts


def _day(value: date | None) -> str:
    return format_day(value) if value else _("no date")


def _weeks(value: float) -> str:
    return f"{value:g}" if i18n.english_formats() else i18n.decimal_text(value, decimals=6)


def _details(old: PlanItem, new: PlanItem, names: Mapping[int, str]) -> list[str]:
    """What the draft changes on one initiative, each change worded in the reader's language."""
    said: list[str] = []
    if old.status != new.status:
        said.append(
            _("status {before} → {after}").format(
                before=_(status_label(old.status)), after=_(status_label(new.status))
            )
        )
    if old.owner_id != new.owner_id:
        said.append(
            _("owner {before} → {after}").format(
                before=names.get(old.owner_id, f"#{old.owner_id}"),
                after=names.get(new.owner_id, f"#{new.owner_id}"),
            )
        )
    if old.effort_weeks != new.effort_weeks:
        said.append(
            _("effort {before} → {after} person-weeks").format(
                before=_weeks(old.effort_weeks), after=_weeks(new.effort_weeks)
            )
        )
    if old.start_date != new.start_date:
        said.append(
            _("start {before} → {after}").format(
                before=_day(old.start_date), after=_day(new.start_date)
            )
        )
    if old.target_date != new.target_date:
        said.append(
            _("target {before} → {after}").format(
                before=_day(old.target_date), after=_day(new.target_date)
            )
        )
    return said


def plan_moves(
    committed: Sequence[PlanItem], draft: Sequence[PlanItem], names: Mapping[int, str]
) -> list[Move]:
    """What the draft moves into or out of the plan or changes, in the committed order."""
    after = {item.initiative_id: item for item in draft}
    moves: list[Move] = []
    for old in committed:
        new = after.get(old.initiative_id)
        if new is None or new == old:
            continue
        details = tuple(_details(old, new, names))
        if not details:
            continue
        if new.in_plan and not old.in_plan:
            kind = "in"
        elif old.in_plan and not new.in_plan:
            kind = "out"
        else:
            kind = "changed"
        moves.append(Move(old.initiative_id, old.title, kind, details))
    return moves


def compare_plans(
    *,
    items: Sequence[PlanItem],
    changes: Mapping[int, Mapping[str, Any]],
    people: Sequence[PersonCapacity],
    weeks: Sequence[date],
    settings: CapacitySettings,
    key_results: Mapping[int, str],
    names: Mapping[int, str],
) -> PlanComparison:
    """The committed plan (`items`) beside the draft (`items` with `changes`), week by week."""
    check_mondays(weeks)
    draft = apply_draft(items, changes)
    memo: dict[_LoadKey, dict[date, float]] = {}
    before = _loads(items, weeks, settings, memo)
    after = _loads(draft, weeks, settings, memo)
    cells_list = []
    for person in people:
        for week in weeks:
            capacity = capacity_hours(person, week, settings)
            old = before.get((person.person_id, week), 0.0)
            new = after.get((person.person_id, week), 0.0)
            cells_list.append(
                CapacityCell(
                    person_id=person.person_id,
                    name=person.name,
                    week_start=week,
                    capacity_hours=capacity,
                    committed_hours=old,
                    draft_hours=new,
                    committed_over=old > capacity + _HOURS_TOLERANCE,
                    draft_over=new > capacity + _HOURS_TOLERANCE,
                )
            )
    cells = tuple(cells_list)
    old_values, old_counts = _value_by_kr(items)
    new_values, new_counts = _value_by_kr(draft)
    linked = set(old_values) | set(new_values)
    values = tuple(
        KeyResultValue(
            key_result_id=kr,
            title=key_results.get(kr, f"#{kr}"),
            committed_value=old_values.get(kr, 0.0),
            draft_value=new_values.get(kr, 0.0),
            committed_count=old_counts.get(kr, 0),
            draft_count=new_counts.get(kr, 0),
        )
        for kr in sorted(linked, key=lambda k: (key_results.get(k, ""), k))
    )
    return PlanComparison(
        capacity=cells,
        committed_over=sum(c.committed_over for c in cells),
        draft_over=sum(c.draft_over for c in cells),
        values=values,
        moves=tuple(plan_moves(items, draft, names)),
    )
