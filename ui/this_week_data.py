"""Cached reads for the This week page (the pattern of ui/data.py).

Each function takes the store's data versions first, so any write makes the next call fresh,
opens one short read-only session and returns plain data.
"""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlmodel import Session

from planning import this_week
from planning.okr_evaluation import PeriodEvaluation
from planning.store import read_engine
from ui.state import Versions, app_config, engine

TTL = 600
ENTRIES = 64


def _session() -> Session:
    return Session(read_engine(engine()))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def owed(versions: Versions, person_id: int, today: date) -> this_week.Owed:
    """One person's overdue status updates and due check-ins."""
    del versions
    settings = app_config().settings
    with _session() as session:
        return this_week.what_i_owe(
            session=session,
            person_id=person_id,
            today=today,
            every_days=settings.updates.stale_after_days,
            fiscal_start_month=settings.fiscal_year_start_month,
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def director_brief(
    versions: Versions, today: date, _evaluation: PeriodEvaluation, period: str
) -> this_week.DirectorBrief:
    """What needs a director's attention (the evaluation is keyed by its quarter)."""
    del versions, period
    with _session() as session:
        return this_week.director_brief(
            session=session, config=app_config(), evaluation=_evaluation, today=today
        )
