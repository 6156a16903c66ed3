"""Cached reads for Weekly planning's scenarios (the pattern of ui/planning_data.py): the week's
drafts, the live plan they are laid over, and a draft compared with the committed plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from planning import i18n
from planning.i18n import gettext as _
from planning.store.models_scenarios import PlanScenarioRead
from planning.work import scenario_plan, scenarios
from planning.work.capacity import team_people
from planning.work.capacity_maths import LOADING_STATUSES, weeks_from
from planning.work.initiative_status import status_label
from planning.work.scenario_compare import PlanComparison, PlanItem, compare_plans
from ui import planning_data as data
from ui.state import Versions, app_config, read_session, shared_read

TTL = 600
ENTRIES = 32
# The draft table's columns after its initiative id, in the order the editor shows them.
DRAFT_COLUMNS = (
    "title",
    "now",
    "in_plan",
    "owner_id",
    "effort_weeks",
    "start_date",
    "target_date",
    "draft",
)


@dataclass(frozen=True)
class LivePlan:
    """Every open initiative as a plan item, each one's version, and the key results' titles."""

    items: tuple[PlanItem, ...]
    versions: dict[int, int]
    key_results: dict[int, str]
    has_value: bool


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def week_scenarios(versions: Versions, week: str) -> list[PlanScenarioRead]:
    """The draft scenarios of a week, by name."""
    del versions
    with read_session() as session:
        return scenarios.list_scenarios(session=session, week=week)


@shared_read(ttl=TTL, max_entries=ENTRIES)
def live_plan(versions: Versions) -> LivePlan:
    """The live plan: the backlog ranked by expected value when a framework computes it."""
    config = app_config()
    value_framework = scenario_plan.expected_value_framework(config)
    backlog = data.ranked_backlog(versions, value_framework or config.scoring.active)
    with read_session() as session:
        links, titles = scenario_plan.key_result_links(session=session)
    return LivePlan(
        items=tuple(
            scenario_plan.plan_items(
                backlog=backlog, links=links, with_value=value_framework is not None
            )
        ),
        versions=dict(zip(backlog["id"].astype(int), backlog["version"].astype(int), strict=True)),
        key_results=titles,
        has_value=value_framework is not None,
    )


def comparison(versions: Versions, scenario_id: int, first_day: date, weeks: int) -> PlanComparison:
    """A scenario beside the committed plan, for `weeks` weeks from first_day's week (what
    changes worded in the reader's language)."""
    return _comparison(versions, scenario_id, first_day, weeks, i18n.locale_key())


@shared_read(ttl=TTL, max_entries=ENTRIES)
def _comparison(
    versions: Versions, scenario_id: int, first_day: date, weeks: int, language: str
) -> PlanComparison:
    """comparison, cached per language (`language`: i18n.locale_key)."""
    del language
    plan = live_plan(versions)
    with read_session() as session:
        people = team_people(session=session)
        scenario = scenarios.get_scenario(session=session, scenario_id=scenario_id)
    return compare_plans(
        items=plan.items,
        changes=scenarios.draft_fields(scenario),
        people=people,
        weeks=weeks_from(first_day, weeks),
        settings=app_config().settings.capacity,
        key_results=plan.key_results,
        names=data.person_names(versions),
    )


def draft_table(versions: Versions, scenario_id: int) -> pd.DataFrame:
    """The table a director edits a scenario in (draft_frame), for one scenario, its words in
    the reader's language."""
    return _draft_table(versions, scenario_id, i18n.locale_key())


@shared_read(ttl=TTL, max_entries=ENTRIES)
def _draft_table(versions: Versions, scenario_id: int, language: str) -> pd.DataFrame:
    """draft_table, cached per language (`language`: i18n.locale_key)."""
    del language
    plan = live_plan(versions)
    with read_session() as session:
        scenario = scenarios.get_scenario(session=session, scenario_id=scenario_id)
    return draft_frame(plan, scenarios.draft_fields(scenario), stale_changes(plan, scenario))


def stale_changes(plan: LivePlan, scenario: PlanScenarioRead) -> list[scenarios.DraftChange]:
    """The draft's changes to initiatives someone changed (or closed) since the draft did."""
    return [
        c
        for c in scenarios.draft_changes(scenario)
        if plan.versions.get(c.initiative_id) != c.base_version
    ]


def draft_frame(
    plan: LivePlan,
    fields: dict[int, dict[str, Any]],
    stale: Sequence[scenarios.DraftChange] = (),
) -> pd.DataFrame:
    """The draft table: each open initiative with the draft's values over the live ones."""
    edited_since = {c.initiative_id for c in stale}
    rows = []
    for item in plan.items:
        change = fields.get(item.initiative_id, {})
        status = change.get("status", item.status)
        rows.append(
            {
                "id": item.initiative_id,
                "title": item.title,
                "now": _(status_label(item.status)),
                "in_plan": status in LOADING_STATUSES,
                "owner_id": int(change.get("owner_id", item.owner_id)),
                "effort_weeks": float(change.get("effort_weeks", item.effort_weeks)),
                "start_date": change.get("start_date", item.start_date),
                "target_date": change.get("target_date", item.target_date),
                "draft": (
                    _("Changed, edited since")
                    if item.initiative_id in edited_since
                    else (_("Changed") if change else "")
                ),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=["id", *DRAFT_COLUMNS],
    )
    frame = frame.astype({"in_plan": bool, "effort_weeks": "float64"})
    # Rows the draft changes first, then what is in the plan, each by title.
    order = frame.assign(_changed=frame["draft"] == "", _out=~frame["in_plan"])
    order = order.sort_values(["_changed", "_out", "title"], kind="stable")
    return frame.loc[order.index].reset_index(drop=True)
