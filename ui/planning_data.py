"""Cached reads for the Weekly planning and Initiatives pages (the pattern of ui/data.py).

Each function takes the store's data versions first, so any write makes the next call fresh,
opens one short read-only session and returns plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from planning import i18n
from planning.access.people import list_people
from planning.formatting import format_count
from planning.i18n import gettext as _
from planning.impact import calibration
from planning.metrics import baseline
from planning.store.models import PersonRead, Role, WeeklyPlanRead
from planning.work import backlog, backlog_edits, decisions, initiative_reads, weekly_plan
from planning.work import capacity as team_capacity
from planning.work.initiative_status import HEALTH_LABELS, STATUS_ORDER, status_label
from ui import arrow
from ui.state import Versions, app_config, read_session, shared_read

TTL = 600
ENTRIES = 64


def ranked_backlog(versions: Versions, framework_id: str) -> pd.DataFrame:
    """Open initiatives ranked by one framework (see planning.work.backlog.ranked_backlog), the
    reasons a row is unranked in the reader's language."""
    return _ranked_backlog(versions, framework_id, i18n.locale_key())


@shared_read(ttl=TTL, max_entries=ENTRIES)
def _ranked_backlog(versions: Versions, framework_id: str, language: str) -> pd.DataFrame:
    """ranked_backlog, cached per language (`language`: i18n.locale_key)."""
    del versions, language
    with read_session() as session:
        return backlog.ranked_backlog(
            session=session, config=app_config(), framework_id=framework_id
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def metric_baselines(
    versions: Versions, metric_ids: tuple[str, ...]
) -> dict[str, baseline.Baseline]:
    """The weekly gross profit baseline of each lift metric (expected value's multiplier)."""
    del versions
    with read_session() as session:
        return baseline.baselines(
            session=session, config=app_config().metrics, metric_ids=metric_ids
        )


def live_scores(
    versions: Versions, source: pd.DataFrame, edited_rows: Any, framework_id: str
) -> pd.DataFrame:
    """The planning table with score, rank, quadrant and reasons following the pending edits."""
    config = app_config()
    framework = backlog.framework_or_error(config, framework_id)
    bases: dict[str, baseline.Baseline] = {}
    if framework.formula == "expected_value":
        bases = metric_baselines(versions, tuple(sorted(config.metrics.metrics)))
    return backlog_edits.live_scores(
        source,
        edited_rows if isinstance(edited_rows, dict) else {},
        framework_id=framework_id,
        framework=framework,
        config=config,
        baseline_by_metric=bases,
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def estimator_calibration(
    versions: Versions, framework_id: str
) -> tuple[pd.DataFrame, list[calibration.Suggestion]]:
    """Each estimator's calibration, and the confidences it suggests under one framework."""
    del versions
    config = app_config()
    with read_session() as session:
        by_person = calibration.calibration_by_person(session=session, config=config)
        entries = backlog.backlog_entries(session=session)
    suggestions = calibration.suggested_confidences(
        entries,
        by_person,
        backlog.framework_or_error(config, framework_id),
        framework_id=framework_id,
    )
    return calibration.calibration_frame(by_person.values()), suggestions


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def capacity(versions: Versions, first_day: date, weeks: int) -> pd.DataFrame:
    """Capacity and load per person per week."""
    del versions
    with read_session() as session:
        return team_capacity.capacity_overview(
            session=session,
            settings=app_config().settings.capacity,
            first_day=first_day,
            weeks=weeks,
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def unloaded_work(versions: Versions, language: str = "") -> pd.DataFrame:
    """Planned or running initiatives that load nobody, with the reason (in the reader's
    language: `language` is i18n.locale_key, for the cache)."""
    del versions, language
    with read_session() as session:
        return team_capacity.unloaded_work(session=session, settings=app_config().settings.capacity)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def committed_plan(versions: Versions, week: str) -> WeeklyPlanRead | None:
    """The plan committed for a week, if any."""
    del versions
    with read_session() as session:
        return weekly_plan.get_plan(session=session, week=week)


@dataclass(frozen=True)
class CommittedPlan:
    """Who committed a week's plan, when, by which framework, with how many initiatives."""

    committed_by: int
    committed_at: datetime
    framework: str
    count: int


@shared_read(ttl=TTL, max_entries=ENTRIES)
def week_commit(versions: Versions, week: str) -> CommittedPlan | None:
    """The plan committed for a week, if any, without its snapshot (a row per initiative)."""
    plan = committed_plan(versions, week)
    if plan is None:
        return None
    return CommittedPlan(
        committed_by=plan.committed_by,
        committed_at=plan.committed_at,
        framework=plan.framework,
        count=len(plan.snapshot),
    )


@shared_read(ttl=TTL, max_entries=ENTRIES)
def plan_diff(versions: Versions, week: str, framework_id: str) -> weekly_plan.PlanDiff:
    """The week's plan against the previous one."""
    with read_session() as session:
        return weekly_plan.plan_diff(
            session=session,
            config=app_config(),
            week=week,
            framework=framework_id,
            backlog=ranked_backlog(versions, framework_id),
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def decision_log(
    versions: Versions, initiative_id: int | None = None, limit: int | None = None
) -> pd.DataFrame:
    """Decisions, newest first."""
    del versions
    with read_session() as session:
        return decisions.list_decisions(session=session, initiative_id=initiative_id, limit=limit)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def people(versions: Versions) -> list[PersonRead]:
    """Active people, directors first."""
    del versions
    with read_session() as session:
        return list_people(session=session)


def owners(versions: Versions) -> dict[int, str]:
    """People who can own initiatives (active directors and members): id -> name."""
    return {p.id: p.name for p in people(versions) if p.role != Role.stakeholder}


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def person_names(versions: Versions) -> dict[int, str]:
    """Everyone's name by id, inactive people included."""
    del versions
    with read_session() as session:
        return initiative_reads.person_names(session=session)


@shared_read(ttl=TTL, max_entries=ENTRIES)
def initiative_list(
    versions: Versions,
    objective_id: int | None,
    owner_id: int | None,
    statuses: tuple[str, ...],
    healths: tuple[str, ...],
) -> pd.DataFrame:
    """Initiatives matching the filters (empty tuples mean any)."""
    del versions
    with read_session() as session:
        return initiative_reads.list_initiatives(
            session=session,
            objective_id=objective_id,
            owner_id=owner_id,
            status=statuses or None,
            health=healths or None,
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def initiative_titles(versions: Versions) -> dict[int, str]:
    """Every initiative's title by id, open work first."""
    del versions
    with read_session() as session:
        return initiative_reads.initiative_titles(session=session)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def initiative_detail(
    versions: Versions, initiative_id: int, language: str = ""
) -> initiative_reads.InitiativeDetail | None:
    """One initiative with history and audit trail, its changes described in the reader's
    language (`language`: i18n.locale_key, for the cache)."""
    del versions, language
    with read_session() as session:
        return initiative_reads.initiative_detail(session=session, initiative_id=initiative_id)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def initiative_scores(versions: Versions, initiative_id: int, language: str = "") -> pd.DataFrame:
    """One initiative's score under every framework, its inputs in the reader's language
    (`language`: i18n.locale_key, for the cache)."""
    del versions, language
    with read_session() as session:
        return backlog.initiative_scores(
            session=session, config=app_config(), initiative_id=initiative_id
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def objective_choices(versions: Versions) -> dict[int, str]:
    """Objectives that can be filtered on."""
    del versions
    with read_session() as session:
        return initiative_reads.objective_choices(session=session)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def key_result_choices(versions: Versions) -> dict[int, str]:
    """Key results an initiative can be linked to."""
    del versions
    with read_session() as session:
        return initiative_reads.key_result_choices(session=session)


@dataclass(frozen=True)
class CapacityGrid:
    """The capacity table as shown: a row per person, a column per week, "load / capacity h"
    in each cell (🔴 first when over-allocated), and who is over."""

    rows: pa.Table
    over_count: int
    over_people: tuple[str, ...]


def hours_text(hours: float) -> str:
    """Whole hours with no thousands separator in English (1040), as the team writes numbers."""
    return f"{hours:.0f}" if i18n.english_formats() else i18n.decimal_text(hours, decimals=0)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def capacity_grid(
    versions: Versions, first_day: date, weeks: int, language: str = ""
) -> CapacityGrid | None:
    """Capacity and load per person per week as one table, or None when nobody can own work
    (`language`: i18n.locale_key, as the heading and figures are the reader's)."""
    del language
    load = capacity(versions, first_day, weeks)
    if load.empty:
        return None
    cells = load.assign(
        cell=[
            f"{'🔴 ' if over else ''}{hours_text(lh)} / {hours_text(ch)} h"
            for lh, ch, over in zip(
                load["load_hours"], load["capacity_hours"], load["over"], strict=True
            )
        ]
    )
    people_order = list(dict.fromkeys(cells["person"]))
    week_order = list(dict.fromkeys(cells["week"]))
    grid = cells.pivot(index="person", columns="week", values="cell").reindex(
        index=people_order, columns=week_order
    )
    grid.index.name = _("Person")
    return CapacityGrid(
        rows=arrow.table(grid.reset_index()),
        over_count=int(load["over"].sum()),
        over_people=tuple(sorted(set(load.loc[load["over"], "person"]))),
    )


@dataclass(frozen=True)
class PlanChanges:
    """What moved between two weekly plans, as shown: counts per kind and the rows, with the
    comparison they come from."""

    diff: weekly_plan.PlanDiff
    counts: str
    rows: pa.Table | None


@shared_read(ttl=TTL, max_entries=ENTRIES)
def plan_changes(
    versions: Versions, week: str, framework_id: str, language: str = ""
) -> PlanChanges:
    """The week's plan diff with its rows (initiative, change, before, after) and a line of
    counts, in one read for the section that shows them; `language` (i18n.locale_key) keys the
    cache, the rows' words being in the reader's."""
    diff = plan_diff(versions, week, framework_id)
    changes = weekly_plan.diff_frame(diff.changes)
    if changes.empty:
        return PlanChanges(diff=diff, counts="", rows=None)
    found = changes["kind"].value_counts()
    return PlanChanges(
        diff=diff,
        counts=" · ".join(
            f"{_(weekly_plan.CHANGE_LABELS[kind])}: {format_count(int(found[kind]))}"
            for kind in weekly_plan.CHANGE_LABELS
            if kind in found
        ),
        rows=arrow.table(changes[["initiative", "change", "before", "after"]]),
    )


@shared_read(ttl=TTL, max_entries=ENTRIES)
def decision_rows(versions: Versions, limit: int, language: str = "") -> pa.Table | None:
    """The latest decisions as shown in the log (day, decision, initiative, by, state), or None
    (`language`: i18n.locale_key, as the state is in the reader's language)."""
    del language
    log = decision_log(versions, None, limit)
    if log.empty:
        return None
    shown = log[["decided_on", "text", "initiative", "author"]].copy()
    shown["state"] = [_("Withdrawn") if w else "" for w in log["withdrawn"]]
    return arrow.table(shown)


def decision_choices(versions: Versions, limit: int) -> dict[int, tuple[str, int]]:
    """The decisions a director may still edit or withdraw: id → (label, version)."""
    log = decision_log(versions, None, limit)
    live = log[~log["withdrawn"].astype(bool)]
    return {
        int(row["id"]): (f"{row['decided_on']} · {str(row['text'])[:80]}", int(row["version"]))
        for row in live.to_dict(orient="records")
    }


@dataclass(frozen=True)
class InitiativeTable:
    """The Initiatives list as shown: the ids in row order, and the rows (None when empty)."""

    ids: tuple[int, ...]
    rows: pa.Table | None


def _days_text(days: pd.Series) -> pd.Series:
    """Dates as the tables write them (2026-12-21), a dash where there is none; one vectorised
    conversion, since a list of 2,000 initiatives is redrawn on every rerun."""
    return pd.to_datetime(days, errors="coerce").dt.strftime("%Y-%m-%d").fillna("—")


def initiative_table(
    versions: Versions,
    objective_id: int | None,
    owner_id: int | None,
    statuses: tuple[str, ...],
    healths: tuple[str, ...],
) -> InitiativeTable:
    """The filtered initiatives with status and health in the reader's language (looked up once
    per status, not per row), in the list's columns."""
    return _initiative_table(
        versions, objective_id, owner_id, statuses, healths, language=i18n.locale_key()
    )


@shared_read(ttl=TTL, max_entries=ENTRIES)
def _initiative_table(
    versions: Versions,
    objective_id: int | None,
    owner_id: int | None,
    statuses: tuple[str, ...],
    healths: tuple[str, ...],
    *,
    language: str,
) -> InitiativeTable:
    """initiative_table, shaped once per filter, data version and language (`language`:
    i18n.locale_key): tens of thousands of rows are not relabelled on every rerun."""
    del language
    listing = initiative_list(versions, objective_id, owner_id, statuses, healths)
    if listing.empty:
        return InitiativeTable(ids=(), rows=None)
    status_words = {s: _(status_label(s)) for s in STATUS_ORDER}
    health_words = {h: _(label) for h, label in HEALTH_LABELS.items()}
    shown = listing.assign(
        status=listing["status"].map(lambda s: status_words.get(s, s)),
        health=listing["health"].map(lambda h: health_words.get(h, h)),
        # An idea has no target yet: a dash, not the grid's "None"; ISO text still sorts by day.
        target_date=_days_text(listing["target_date"]),
    )
    columns = [
        "title",
        "owner",
        "status",
        "health",
        "percent_complete",
        "target_date",
        "objectives",
        "last_update_at",
    ]
    return InitiativeTable(
        ids=tuple(int(i) for i in listing["id"]), rows=arrow.table(shown[columns])
    )
