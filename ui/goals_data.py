"""Cached reads for the Goals page (the pattern of ui/data.py).

Each function takes the store's data versions first, so any write makes the next call fresh,
opens one short read-only session and returns plain data (dataclasses, DataFrames, text).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType

import pandas as pd
import streamlit as st

from planning import i18n
from planning.access.people import list_people
from planning.okrs import evaluation as okr_evaluation
from planning.okrs import goal_reads, kr_defaults
from planning.okrs.evaluation_results import PeriodEvaluation
from planning.okrs.file_format import export_okr_file
from planning.okrs.track import KrTrack, kr_track, ship_dates
from planning.periods import quarter_bounds
from planning.store.engine import OBSERVATIONS, OKRS, PEOPLE, WORK
from planning.store.models import KeyResultRead, ObjectiveRead, PersonRead
from ui.charts import Chart
from ui.goals_charts import detail_spec
from ui.state import Versions, app_config, depends_on, read_session, shared_read

TTL = 600
ENTRIES = 64


# A quarter's evaluation reads goals, check-ins, people's names and observations, never the work:
# a status update leaves it cached.
EVALUATION = (OKRS, OBSERVATIONS, PEOPLE)


@depends_on(*EVALUATION)
@shared_read(ttl=TTL, max_entries=ENTRIES)
def _period_goals(versions: Versions, period: str, today: date, language: str) -> PeriodEvaluation:
    """period_goals, cached once per language (`language`: i18n.locale_key)."""
    del versions
    with i18n.use_locale_key(language), read_session() as session:
        return okr_evaluation.period_goals(
            session=session, config=app_config(), period=period, today=today
        )


def period_goals(versions: Versions, period: str, today: date) -> PeriodEvaluation:
    """A quarter's goals evaluated live, or frozen once closed; the reasons of each status in
    the reader's language (each language has its own cached evaluation)."""
    return _period_goals(versions, period, today, i18n.locale_key())


@depends_on(*EVALUATION)
@shared_read(ttl=TTL, max_entries=ENTRIES)
def _objective_goals(
    versions: Versions, period: str, today: date, objective_ids: tuple[int, ...], language: str
) -> PeriodEvaluation:
    """period_goals for a few of the quarter's objectives, cached once per language."""
    del versions
    with i18n.use_locale_key(language), read_session() as session:
        return okr_evaluation.period_goals(
            session=session,
            config=app_config(),
            period=period,
            today=today,
            objective_ids=objective_ids,
        )


def objective_goals(
    versions: Versions, period: str, today: date, objective_ids: tuple[int, ...]
) -> PeriodEvaluation:
    """A few of a quarter's objectives, each as period_goals has it, without evaluating the
    others (the Roadmap's page of lanes)."""
    return _objective_goals(versions, period, today, objective_ids, i18n.locale_key())


@depends_on(*EVALUATION)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _track(versions: Versions, period: str, today: date, key_result_id: int) -> KrTrack | None:
    """The chart data of one key result of a quarter. Kept while only work changes: its ship
    dates are those of when it was read, and detail_chart draws the current ones."""
    evaluation = period_goals(versions, period, today)
    kr = evaluation.key_result(key_result_id)
    if kr is None:
        return None
    with read_session() as session:
        return kr_track(
            session=session,
            config=app_config(),
            evaluation=kr,
            period=period,
            as_of=evaluation.as_of,
        )


@depends_on(OKRS, WORK)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def ship_marks(versions: Versions, period: str, key_result_id: int) -> pd.DataFrame:
    """The quarter's ship dates of the initiatives linked to a key result (a cheap read that
    every write to the work makes afresh)."""
    del versions
    first, last = quarter_bounds(period, app_config().settings.fiscal_year_start_month)
    with read_session() as session:
        return ship_dates(session=session, key_result_id=key_result_id, first=first, last=last)


def detail_chart(
    versions: Versions, period: str, today: date, key_result_id: int, language: str = ""
) -> Chart | None:
    """One key result's chart, or None when there is nothing to draw (`language`:
    i18n.locale_key, for the cache). A status update elsewhere redraws it only when it moved a
    ship date the chart marks."""
    ships = ship_marks(versions, period, key_result_id)
    return _detail_chart(versions, period, today, key_result_id, language, ships)


@depends_on(*EVALUATION)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _detail_chart(
    versions: Versions,
    period: str,
    today: date,
    key_result_id: int,
    language: str,
    ships: pd.DataFrame,
) -> Chart | None:
    del language
    evaluation = period_goals(versions, period, today)
    kr = evaluation.key_result(key_result_id)
    found = _track(versions, period, today, key_result_id)
    if kr is None or found is None:
        return None
    return detail_spec(kr, replace(found, ships=ships))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def check_ins(versions: Versions, key_result_id: int) -> list[goal_reads.CheckInEntry]:
    """A key result's check-ins, newest first."""
    del versions
    with read_session() as session:
        return goal_reads.check_in_history(session=session, key_result_id=key_result_id)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def linked_initiatives(versions: Versions, key_result_id: int) -> list[goal_reads.LinkedInitiative]:
    """Initiatives linked to a key result."""
    del versions
    with read_session() as session:
        return goal_reads.linked_initiatives(session=session, key_result_id=key_result_id)


@shared_read(ttl=TTL, max_entries=ENTRIES)
def periods_with_goals(versions: Versions) -> tuple[str, ...]:
    """Quarters that have objectives."""
    del versions
    with read_session() as session:
        return tuple(goal_reads.periods_with_goals(session=session))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def objectives(versions: Versions, period: str) -> list[ObjectiveRead]:
    """A quarter's active objectives, with their versions for editing."""
    del versions
    with read_session() as session:
        return goal_reads.list_objectives(session=session, period=period)


@shared_read(ttl=TTL, max_entries=ENTRIES)
def has_objectives(versions: Versions, period: str) -> bool:
    """Whether a quarter has active objectives to edit (without handing each one over)."""
    return bool(objectives(versions, period))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def all_objectives(versions: Versions) -> list[ObjectiveRead]:
    """Every active objective of every quarter, for choosing a parent."""
    del versions
    with read_session() as session:
        found: list[ObjectiveRead] = []
        for period in goal_reads.periods_with_goals(session=session):
            found += goal_reads.list_objectives(session=session, period=period)
        return found


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def key_results(versions: Versions, period: str) -> list[KeyResultRead]:
    """A quarter's active key results, with their versions for editing."""
    del versions
    with read_session() as session:
        ids = [o.id for o in goal_reads.list_objectives(session=session, period=period)]
        return goal_reads.list_key_results(session=session, objective_ids=ids)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def owners(versions: Versions) -> list[PersonRead]:
    """Active members and directors: the people who may own goals."""
    del versions
    with read_session() as session:
        return [p for p in list_people(session=session) if p.role.value != "stakeholder"]


@shared_read(ttl=TTL, max_entries=ENTRIES)
def owner_names(versions: Versions) -> Mapping[int, str]:
    """The names of the people who may own goals, by id (read-only: shared by every reader)."""
    return MappingProxyType({p.id: p.name for p in owners(versions)})


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def okr_yaml(versions: Versions, period: str) -> str:
    """A quarter's OKRs as a YAML file."""
    del versions
    with read_session() as session:
        return export_okr_file(session=session, period=period)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def current_metric_value(
    versions: Versions, metric_id: str, filters: tuple[tuple[str, str], ...], today: date
) -> kr_defaults.CurrentValue:
    """A metric's current value for some filters, the default start of a new key result."""
    del versions
    with read_session() as session:
        return kr_defaults.current_value(
            session=session,
            config=app_config(),
            metric_id=metric_id,
            filters=dict(filters),
            today=today,
        )
