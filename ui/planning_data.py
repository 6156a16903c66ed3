"""Cached reads for the Weekly planning and Initiatives pages (the pattern of ui/data.py).

Each function takes the store's data versions first, so any write makes the next call fresh,
opens one short read-only session and returns plain data.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlmodel import Session

from planning import (
    backlog,
    calibration_suggestions,
    decisions,
    impact,
    initiatives,
    team_capacity,
    weekly_plan,
)
from planning.models import PersonRead, Role, WeeklyPlanRead
from planning.people import list_people
from planning.store import read_engine
from ui.state import Versions, app_config, engine

TTL = 600
ENTRIES = 64


def _session() -> Session:
    return Session(read_engine(engine()))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def ranked_backlog(versions: Versions, framework_id: str) -> pd.DataFrame:
    """Open initiatives ranked by one framework (see planning.backlog.ranked_backlog)."""
    del versions
    with _session() as session:
        return backlog.ranked_backlog(
            session=session, config=app_config(), framework_id=framework_id
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def estimator_calibration(
    versions: Versions, framework_id: str
) -> tuple[pd.DataFrame, list[calibration_suggestions.Suggestion]]:
    """Each estimator's calibration, and the confidences it suggests under one framework."""
    del versions
    config = app_config()
    with _session() as session:
        by_person = impact.calibration_by_person(session=session, config=config)
        entries = backlog.backlog_entries(session=session)
    suggestions = calibration_suggestions.suggested_confidences(
        entries,
        by_person,
        backlog.framework_or_error(config, framework_id),
        framework_id=framework_id,
    )
    return impact.calibration_frame(by_person.values()), suggestions


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def capacity(versions: Versions, first_day: date, weeks: int) -> pd.DataFrame:
    """Capacity and load per person per week."""
    del versions
    with _session() as session:
        return team_capacity.capacity_overview(
            session=session,
            settings=app_config().settings.capacity,
            first_day=first_day,
            weeks=weeks,
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def unloaded_work(versions: Versions) -> pd.DataFrame:
    """Planned or running initiatives that load nobody, with the reason."""
    del versions
    with _session() as session:
        return team_capacity.unloaded_work(session=session, settings=app_config().settings.capacity)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def committed_plan(versions: Versions, week: str) -> WeeklyPlanRead | None:
    """The plan committed for a week, if any."""
    del versions
    with _session() as session:
        return weekly_plan.get_plan(session=session, week=week)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def plan_diff(versions: Versions, week: str, framework_id: str) -> weekly_plan.PlanDiff:
    """The week's plan against the previous one."""
    del versions
    with _session() as session:
        return weekly_plan.plan_diff(
            session=session, config=app_config(), week=week, framework=framework_id
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def decision_log(
    versions: Versions, initiative_id: int | None = None, limit: int | None = None
) -> pd.DataFrame:
    """Decisions, newest first."""
    del versions
    with _session() as session:
        return decisions.list_decisions(session=session, initiative_id=initiative_id, limit=limit)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def people(versions: Versions) -> list[PersonRead]:
    """Active people, directors first."""
    del versions
    with _session() as session:
        return list_people(session=session)


def owners(versions: Versions) -> dict[int, str]:
    """People who can own initiatives (active directors and members): id -> name."""
    return {p.id: p.name for p in people(versions) if p.role != Role.stakeholder}


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def person_names(versions: Versions) -> dict[int, str]:
    """Everyone's name by id, inactive people included."""
    del versions
    with _session() as session:
        return initiatives.person_names(session=session)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def initiative_list(
    versions: Versions,
    objective_id: int | None,
    owner_id: int | None,
    statuses: tuple[str, ...],
    healths: tuple[str, ...],
) -> pd.DataFrame:
    """Initiatives matching the filters (empty tuples mean any)."""
    del versions
    with _session() as session:
        return initiatives.list_initiatives(
            session=session,
            objective_id=objective_id,
            owner_id=owner_id,
            status=statuses or None,
            health=healths or None,
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def initiative_titles(versions: Versions) -> dict[int, str]:
    """Every initiative's title by id, open work first."""
    frame = initiative_list(versions, None, None, (), ())
    return dict(zip(frame["id"].astype(int), frame["title"].astype(str), strict=True))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def initiative_detail(
    versions: Versions, initiative_id: int
) -> initiatives.InitiativeDetail | None:
    """One initiative with history and audit trail."""
    del versions
    with _session() as session:
        return initiatives.initiative_detail(session=session, initiative_id=initiative_id)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def initiative_scores(versions: Versions, initiative_id: int) -> pd.DataFrame:
    """One initiative's score under every framework."""
    del versions
    with _session() as session:
        return backlog.initiative_scores(
            session=session, config=app_config(), initiative_id=initiative_id
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def objective_choices(versions: Versions) -> dict[int, str]:
    """Objectives that can be filtered on."""
    del versions
    with _session() as session:
        return initiatives.objective_choices(session=session)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def key_result_choices(versions: Versions) -> dict[int, str]:
    """Key results an initiative can be linked to."""
    del versions
    with _session() as session:
        return initiatives.key_result_choices(session=session)
