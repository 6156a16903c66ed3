"""The one-line message a write leaves for the next run of its page ("Decision logged."): kept
in the session under the page's own key, shown once, then forgotten."""

from __future__ import annotations

import streamlit as st

from ui.state import clear_after_write


def show_flash(key: str) -> None:
    """Show, once, the success message a write left under `key`."""
    message = st.session_state.pop(key, None)
    if message:
        st.success(message)


def flash_after_write(key: str, message: str) -> None:
    """After a successful write: keep `message` under `key` for the next run, make that run
    read the changed data afresh, and re-run now."""
    st.session_state[key] = message
    clear_after_write()
    st.rerun()
