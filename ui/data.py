"""Cached reads for pages. Every function takes the store's data versions as its first argument
and is keyed by the observations counter alone (ui.state.depends_on), so an import makes the next
call read fresh data and a write to the plan leaves it cached; entries are bounded in number and
age. Each call opens one short read-only session and returns plain data (frames, dataclasses)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from planning.metrics import dashboard
from planning.metrics.completeness import Freshness, data_through, freshness
from planning.store.engine import OBSERVATIONS
from ui.state import Versions, app_config, depends_on, read_session

TTL = 600
ENTRIES = 256

Filters = tuple[tuple[str, str], ...]


@depends_on(OBSERVATIONS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def store_freshness(versions: Versions) -> Freshness:
    """Data through (the last complete day), the partial days after it, last import time and
    row count."""
    del versions
    with read_session() as session:
        return freshness(
            session=session,
            complete_after_hours=app_config().settings.metrics.complete_after_hours,
        )


@depends_on(OBSERVATIONS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def latest_complete_day(versions: Versions) -> date | None:
    """Data through (the last complete day; None for a store without observations), without
    store_freshness's count of every observation (ten million at xl)."""
    del versions
    with read_session() as session:
        latest, _partial = data_through(
            session=session,
            complete_after_hours=app_config().settings.metrics.complete_after_hours,
        )
    return latest


@depends_on(OBSERVATIONS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def kpi_tiles(
    versions: Versions, metric_ids: tuple[str, ...], start: date, end: date, filters: Filters
) -> list[dashboard.KpiTile]:
    """KPI tiles for a window (see planning.metrics.dashboard.kpi_tiles)."""
    del versions
    with read_session() as session:
        return dashboard.kpi_tiles(
            session=session,
            config=app_config().metrics,
            metric_ids=list(metric_ids),
            window=dashboard.DateWindow(start, end),
            filters=dict(filters),
        )


@depends_on(OBSERVATIONS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def trend(
    versions: Versions, metric_id: str, start: date, end: date, grain: str, filters: Filters
) -> pd.DataFrame:
    """A metric by period, this window and last year."""
    del versions
    with read_session() as session:
        return dashboard.trend(
            session=session,
            config=app_config().metrics,
            metric_id=metric_id,
            window=dashboard.DateWindow(start, end),
            grain=grain,  # type: ignore[arg-type]
            filters=dict(filters),
        )


@depends_on(OBSERVATIONS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def funnel(versions: Versions, start: date, end: date, filters: Filters) -> pd.DataFrame:
    """The checkout funnel for a window."""
    del versions
    with read_session() as session:
        return dashboard.funnel(
            session=session,
            config=app_config().metrics,
            window=dashboard.DateWindow(start, end),
            filters=dict(filters),
        )


@depends_on(OBSERVATIONS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def margin_by_line(versions: Versions, start: date, end: date) -> pd.DataFrame:
    """Revenue, gross profit and margin per product line."""
    del versions
    with read_session() as session:
        return dashboard.margin_by_product_line(
            session=session, config=app_config().metrics, window=dashboard.DateWindow(start, end)
        )


@depends_on(OBSERVATIONS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def breakdown(
    versions: Versions, metric_id: str, dimension: str, start: date, end: date, filters: Filters
) -> pd.DataFrame:
    """A metric per value of a dimension."""
    del versions
    with read_session() as session:
        return dashboard.breakdown(
            session=session,
            config=app_config().metrics,
            metric_id=metric_id,
            dimension=dimension,
            window=dashboard.DateWindow(start, end),
            filters=dict(filters),
        )
