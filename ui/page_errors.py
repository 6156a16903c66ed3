"""An unexpected error on a page: a short message with an error id for the reader, and the
traceback, under the same id, in the server log.

.streamlit/config.toml sets client.showErrorDetails to "none"; a developer who starts the app
with --client.showErrorDetails full sees the error as Streamlit shows it, traceback included.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import streamlit as st
from streamlit.errors import FragmentHandledException

log = logging.getLogger("quarterdeck.pages")
SHOWN_AS_IS = frozenset({"full", "true", "True", True})  # the development settings


def new_error_id() -> str:
    """A short id that a reader can quote and an operator can find in the log."""
    return secrets.token_hex(4)


def run_guarded(run: Callable[[], None], *, where: str) -> None:
    """Run a page; an unexpected exception becomes a message with an error id and a log entry."""
    try:
        run()
    except FragmentHandledException:
        raise  # a fragment's error that Streamlit has already reported and logged
    except Exception:
        if st.get_option("client.showErrorDetails") in SHOWN_AS_IS:
            raise
        error_id = new_error_id()
        log.exception("error %s on %s", error_id, where)
        st.error(
            "Something went wrong on this page, and nothing more was done. Reload to try "
            f"again; if it keeps happening, give your administrator this error id: **{error_id}**.",
            icon=":material/error:",
        )
