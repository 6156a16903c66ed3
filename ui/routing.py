"""Every run goes through app.py's router, including the first ones of a freshly started server.

Streamlit runs an entry script that has a folder named pages/ beside it in its legacy
pages-folder mode (each file of pages/ a page of its own, app.py only the first) until some
session calls st.navigation; Streamlit documents that from then on the whole app ignores pages/.
Until then, a first visit straight to /planning would run that page without the router (no
sign-in, no role check), and app.py's own first run would render inside that mode. Calling
st.navigation once as the server process starts, before any session exists, switches that mode
off for every session to come. tests/browser/test_routing.py opens a role-restricted page's URL
on a fresh server and fails without it.
"""

from __future__ import annotations

import logging

import streamlit as st


def _placeholder() -> None:
    """Never runs: the page list below only tells Streamlit that the app navigates itself."""


def use_router_only() -> None:
    """Tell Streamlit, once per process and before any session, that app.py does the routing."""
    # Outside a session Streamlit logs that the call has no script-run context, which is the
    # point of making it here; the start-up stays quiet (tests/test_start_up.py).
    logging.disable(logging.WARNING)
    try:
        st.navigation([st.Page(_placeholder, title="Quarterdeck")], position="hidden")
    finally:
        logging.disable(logging.NOTSET)
