"""Messages shown once: the line a write leaves for the next run of its page ("Decision
logged."), kept in the session under the page's own key, and a secret just created."""

from __future__ import annotations

import streamlit as st

from planning.i18n import gettext as _
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


def show_secret_once(message: str, secret: str, *, state_key: str, key: str) -> None:
    """A secret just created (a token, a link): `message`, the secret to copy, and an "I have
    copied it" button that forgets what was kept under `state_key`, so it is never shown again."""
    st.success(message)
    st.code(secret, language=None)
    if st.button(_("I have copied it"), key=key):
        st.session_state.pop(state_key, None)
        st.rerun()
