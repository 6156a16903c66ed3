"""The preview and its confirm step: the preview read in a read-only session, then one primary
button that writes what was previewed, a Cancel that forgets the preview, and a refusal shown in
place of the preview or the write."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from sqlmodel import Session

from planning.access.permissions import PermissionDenied
from planning.i18n import gettext as _
from planning.okrs.goal_rules import GoalError
from planning.store.engine import session_scope
from ui.state import engine, read_session
from ui.text import refusal_message

Written = TypeVar("Written")
REFUSALS = (GoalError, PermissionDenied)


def run_write(
    write: Callable[[Session], Written],
    *,
    refusals: tuple[type[Exception], ...] = REFUSALS,
    explain: Callable[[Exception], str] = refusal_message,
) -> Written | None:
    """Run one write in its own transaction and return what it wrote; a refusal (one of
    `refusals`) is shown in its place, worded by `explain`, and None returned, nothing written."""
    try:
        with session_scope(engine()) as session:
            return write(session)
    except refusals as exc:
        st.error(explain(exc))
        return None


def read_preview(*, preview_key: str, read: Callable[[Session], Written]) -> Written | None:
    """Run a preview's `read` in a read-only session and return it; a refusal is shown instead
    (None) and the preview kept under `preview_key` forgotten."""
    try:
        with read_session() as session:
            return read(session)
    except REFUSALS as exc:
        st.session_state.pop(preview_key, None)
        st.error(refusal_message(exc))
        return None


def confirm_previewed(
    *,
    label: str,
    key: str,
    preview_key: str,
    write: Callable[[Session], Written],
    disabled: bool = False,
) -> Written | None:
    """Offer the confirm and Cancel buttons; on confirm run `write` in one session and return
    what it wrote (None when not confirmed or refused, the refusal shown). Either way the
    preview kept under `preview_key` is forgotten once the choice is made."""
    cols = st.columns([3, 1])
    confirm = cols[0].button(label, type="primary", key=f"{key}_confirm", disabled=disabled)
    if cols[1].button(_("Cancel"), key=f"{key}_cancel"):
        st.session_state.pop(preview_key, None)
        st.rerun()
    if not confirm:
        return None
    try:
        return run_write(write)
    finally:
        st.session_state.pop(preview_key, None)
