"""The live plan a scenario is laid over, and the scenario's draft table.

live_plan reads every open initiative as a plan item (owner, status, effort, dates, expected
value, linked key results) in three queries; scenario_comparison sets a scenario beside it
(planning.work.scenario_compare). changes_from_table turns the draft table a director edited into
the scenario's full set of changes (planning.work.scenarios.save_scenario writes them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from planning.config import AppConfig
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.models import InitiativeKeyResult, KeyResult
from planning.validation import is_number
from planning.work.backlog import ranked_backlog
from planning.work.capacity import team_people
from planning.work.capacity_maths import weeks_from
from planning.work.initiative_reads import person_names
from planning.work.scenario_compare import PlanComparison, PlanItem, compare_plans
from planning.work.scenarios import DraftChange, draft_fields, get_scenario

_DATE_FIELDS = ("start_date", "target_date")
DATE_LABELS = {"start_date": N_("start date"), "target_date": N_("target date")}
REQUIRED = {"owner": N_("owner is required"), "effort": N_("effort is required")}
NOT_A_NUMBER = {
    "owner": N_("owner {value} is not a number"),
    "effort": N_("effort {value} is not a number"),
}


def key_result_links(
    *, session: Session, initiative_ids: Sequence[int] | None = None
) -> tuple[dict[int, tuple[int, ...]], dict[int, str]]:
    """Which live key results each initiative is linked to, and those key results' titles."""
    query = (
        select(InitiativeKeyResult.initiative_id, KeyResult.id, KeyResult.title)
        .join(KeyResult, col(KeyResult.id) == col(InitiativeKeyResult.key_result_id))
        .where(col(KeyResult.archived).is_(False))
    )
    if initiative_ids is not None:
        query = query.where(col(InitiativeKeyResult.initiative_id).in_(list(initiative_ids)))
    links: dict[int, list[int]] = {}
    titles: dict[int, str] = {}
    for initiative_id, kr_id, title in session.exec(query).all():
        if kr_id is None:
            continue
        links.setdefault(int(initiative_id), []).append(int(kr_id))
        titles[int(kr_id)] = str(title)
    return {k: tuple(sorted(v)) for k, v in links.items()}, titles


def _day(value: Any) -> date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    return value if isinstance(value, date) else None


def plan_items(
    *, backlog: pd.DataFrame, links: Mapping[int, tuple[int, ...]], with_value: bool = True
) -> list[PlanItem]:
    """The ranked backlog (backlog.ranked_backlog) as plan items; `value` is the expected value."""
    has_value = with_value and "value" in backlog.columns
    items = []
    for row in backlog.to_dict(orient="records"):
        value: Any = row.get("value") if has_value else None
        items.append(
            PlanItem(
                initiative_id=int(row["id"]),
                title=str(row["title"]),
                owner_id=int(row["owner_id"]),
                status=str(row["status"]),
                effort_weeks=float(row["effort_weeks"]),
                start_date=_day(row.get("start_date")),
                target_date=_day(row.get("target_date")),
                weekly_value=float(value) if value is not None and is_number(value) else None,
                key_result_ids=links.get(int(row["id"]), ()),
            )
        )
    return items


def expected_value_framework(config: AppConfig) -> str | None:
    """The id of the first scoring framework that computes expected value, or None."""
    for framework_id, spec in config.scoring.frameworks.items():
        if spec.formula == "expected_value":
            return framework_id
    return None


def live_plan(
    *, session: Session, config: AppConfig, as_of: date | None = None
) -> tuple[list[PlanItem], dict[int, str]]:
    """Every open initiative as a plan item (with its expected value), and key result titles."""
    value_framework = expected_value_framework(config)
    backlog = ranked_backlog(
        session=session,
        config=config,
        framework_id=value_framework or config.scoring.active,
        as_of=as_of,
    )
    links, titles = key_result_links(session=session)
    items = plan_items(backlog=backlog, links=links, with_value=value_framework is not None)
    return items, titles


def scenario_comparison(
    *,
    session: Session,
    config: AppConfig,
    scenario_id: int,
    first_day: date,
    weeks: int = 8,
    as_of: date | None = None,
) -> PlanComparison:
    """A scenario beside the committed plan for `weeks` weeks from first_day's week."""
    scenario = get_scenario(session=session, scenario_id=scenario_id)
    items, titles = live_plan(session=session, config=config, as_of=as_of)
    return compare_plans(
        items=items,
        changes=draft_fields(scenario),
        people=team_people(session=session),
        weeks=weeks_from(first_day, weeks),
        settings=config.settings.capacity,
        key_results=titles,
        names=person_names(session=session),
    )


# --- the draft table ---------------------------------------------------------------------------


def _same(old: Any, new: Any) -> bool:
    if is_number(old) and is_number(new):
        return math.isclose(float(old), float(new), abs_tol=1e-9)
    return bool(old == new)


def _cell_number(value: Any, what: str, problems: list[str]) -> float | None:
    """A number cell of the draft table ("owner" or "effort"); a problem when it is not one."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        problems.append(_(REQUIRED[what]))
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if not is_number(value):
        problems.append(_(NOT_A_NUMBER[what]).format(value=repr(value)))
        return None
    return float(value)


def _row_fields(item: PlanItem, row: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The fields where an edited draft-table row differs from the live initiative."""
    fields: dict[str, Any] = {}
    in_plan = bool(row.get("in_plan"))
    if in_plan != item.in_plan:
        fields["status"] = "planned" if in_plan else "idea"
    owner = _cell_number(row.get("owner_id"), "owner", problems)
    if owner is not None and int(owner) != item.owner_id:
        fields["owner_id"] = int(owner)
    effort = _cell_number(row.get("effort_weeks"), "effort", problems)
    if effort is not None and not _same(effort, item.effort_weeks):
        fields["effort_weeks"] = effort
    for name in _DATE_FIELDS:
        raw = row.get(name)
        day = _day(raw)
        if day is None and isinstance(raw, str) and raw.strip():
            try:
                day = date.fromisoformat(raw.strip())
            except ValueError:
                problems.append(
                    _("{label} {value} is not a date (YYYY-MM-DD)").format(
                        label=_(DATE_LABELS[name]), value=repr(raw)
                    )
                )
                continue
        if day != getattr(item, name):
            fields[name] = day
    return fields


def changes_from_table(
    *,
    items: Sequence[PlanItem],
    versions: Mapping[int, int],
    shown: pd.DataFrame,
    edited: pd.DataFrame,
    kept: Sequence[DraftChange] = (),
) -> tuple[list[DraftChange], list[str]]:
    """The draft table as edited, as a scenario's full set of changes, and the problems found.

    A row that now matches the live initiative drops out of the draft. A row edited in this
    save is based on the live version; one left as it was keeps the version its change was first
    made from, so a later change underneath still stops the commit.
    """
    live = {item.initiative_id: item for item in items}
    before = {int(r["id"]): r for r in shown.to_dict(orient="records")}
    base = {c.initiative_id: c.base_version for c in kept}
    changes: list[DraftChange] = []
    problems: list[str] = []
    for row in edited.to_dict(orient="records"):
        initiative_id = int(row["id"])
        item = live.get(initiative_id)
        if item is None:
            continue
        found: list[str] = []
        fields = _row_fields(item, row, found)
        problems += [f"“{item.title}”: {p}" for p in found]
        if found or not fields:
            continue
        old = before.get(initiative_id, {})
        touched = any(
            not _same(_day(old.get(c)) if c in _DATE_FIELDS else old.get(c), value)
            for c, value in (
                ("in_plan", row.get("in_plan")),
                ("owner_id", row.get("owner_id")),
                ("effort_weeks", row.get("effort_weeks")),
                ("start_date", _day(row.get("start_date"))),
                ("target_date", _day(row.get("target_date"))),
            )
        )
        version = versions[initiative_id]
        changes.append(
            DraftChange(
                initiative_id=initiative_id,
                base_version=version if touched else base.get(initiative_id, version),
                fields=fields,
                title=item.title,
            )
        )
    return changes, problems
