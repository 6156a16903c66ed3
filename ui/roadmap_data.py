"""Cached reads for the Roadmap page (the pattern of ui/data.py): the filtered roadmap, the
quarters to offer, and each swimlane's chart spec.

Each function takes the store's data versions first, so any write makes the next call fresh.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from planning import roadmap
from planning.store import read_engine
from ui.roadmap_chart import lane_spec, time_domain
from ui.state import Versions, app_config, engine

TTL = 600
ENTRIES = 64


def _session() -> Session:
    return Session(read_engine(engine()))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def quarters(versions: Versions, today: date) -> list[str]:
    """Quarters the roadmap can be filtered to."""
    del versions
    with _session() as session:
        return roadmap.roadmap_quarters(
            session=session,
            today=today,
            fiscal_start_month=app_config().settings.fiscal_year_start_month,
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def items(versions: Versions, filters: roadmap.RoadmapFilters, today: date) -> pd.DataFrame:
    """The initiatives the filters keep, lane by lane (see planning.roadmap.roadmap_items)."""
    del versions
    with _session() as session:
        return roadmap.roadmap_items(
            session=session,
            filters=filters,
            today=today,
            fiscal_start_month=app_config().settings.fiscal_year_start_month,
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def csv_export(versions: Versions, filters: roadmap.RoadmapFilters, today: date) -> str:
    """The CSV of exactly the rows the filters keep."""
    return roadmap.export_csv(items(versions, filters, today))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def lane_charts(
    versions: Versions,
    filters: roadmap.RoadmapFilters,
    today: date,
    wanted: tuple[int | None, ...],
) -> dict[int | None, dict[str, Any]]:
    """The timeline specs of the wanted swimlanes that have dated work, by objective id (None:
    no objective). Every lane shares one time axis; only the lanes on screen are built."""
    shown = roadmap.timeline_items(items(versions, filters, today))
    if shown.empty:
        return {}
    domain = time_domain(shown, today)
    specs: dict[int | None, dict[str, Any]] = {}
    lanes = shown["objective_id"].astype(object).where(shown["objective_id"].notna(), None)
    for lane in dict.fromkeys(lanes):
        if (None if lane is None else int(lane)) not in wanted:
            continue
        part = shown[lanes == lane] if lane is not None else shown[shown["objective_id"].isna()]
        specs[None if lane is None else int(lane)] = lane_spec(part, domain=domain, today=today)
    return specs
