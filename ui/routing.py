"""Every run goes through app.py's router, including the first ones of a freshly started server.

Streamlit treats a folder named pages/ beside the main script as pages of their own until the
process first calls st.navigation. Until then, a visit straight to /planning would run that page
without the router (no sign-in, no role check), and even app.py's own first run would render in
that mode, where widget ids differ from later runs (so the first change of a sidebar widget
would be lost). The first run that finds Streamlit in that mode switches it off and reruns, so
everything a user sees is rendered by the router.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def require_router() -> None:
    """Rerun through app.py's st.navigation if Streamlit is still in pages-folder mode."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
