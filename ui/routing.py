"""Every page runs through app.py's router, even on the first visit to a page's own URL.

Streamlit treats a folder named pages/ beside the main script as pages of their own until the
process first calls st.navigation. Until then, a visit straight to /planning would run that page
without the router (no sign-in, no role check). app.py marks each session it has routed; a page
that finds Streamlit in pages-folder mode in a session the router never saw switches that mode off
and reruns, so the router handles the same URL.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

ROUTED_KEY = "_quarterdeck_routed"


def enter_router() -> None:
    """Mark this session as routed by app.py (called first thing in app.py)."""
    st.session_state[ROUTED_KEY] = True


def require_router() -> None:
    """Rerun through app.py's st.navigation if Streamlit ran a page file on its own."""
    if PagesManager.uses_pages_directory and not st.session_state.get(ROUTED_KEY):
        PagesManager.uses_pages_directory = False
        st.rerun()
