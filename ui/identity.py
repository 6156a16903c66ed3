"""Who is looking. Until sign-in exists, a sidebar picker of the seeded people decides (demo mode).

app.py calls sign_in() once per run, before navigation; pages call current_person().
"""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from planning.models import PersonRead
from planning.people import list_people
from planning.store import read_engine
from ui.state import Versions, engine, versions

ROLE_LABELS = {"director": "Director", "member": "Member", "stakeholder": "Stakeholder"}
PICKER_KEY = "demo_person_id"


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _people(versions: Versions) -> list[PersonRead]:
    del versions
    with Session(read_engine(engine())) as session:
        return list_people(session=session)


def sign_in() -> PersonRead | None:
    """Render the demo identity picker in the sidebar and return the chosen person."""
    people = _people(versions())
    if not people:
        return None
    by_id = {p.id: p for p in people}
    if st.session_state.get(PICKER_KEY) not in by_id:
        st.session_state[PICKER_KEY] = people[0].id
    with st.sidebar:
        st.markdown("**Demo mode**")
        st.selectbox(
            "Acting as",
            list(by_id),
            format_func=lambda pid: f"{by_id[pid].name} · {ROLE_LABELS[by_id[pid].role.value]}",
            key=PICKER_KEY,
            help="Demo mode: try each role on one machine. Real sign-in replaces this picker.",
        )
    return by_id[st.session_state[PICKER_KEY]]


def current_person() -> PersonRead | None:
    """The person the app acts for in this run (chosen by sign_in)."""
    people = {p.id: p for p in _people(versions())}
    return people.get(st.session_state.get(PICKER_KEY))
