"""The one short status-update form, shared by This week and Initiatives."""

from __future__ import annotations

import streamlit as st

from planning.i18n import gettext as _
from planning.store.engine import session_scope
from planning.store.models import PersonRead
from planning.work.initiative_input import NOTE_MAX, NewStatusUpdate, field_label
from planning.work.initiative_status import (
    HEALTH_LABELS,
    HEALTH_ORDER,
    allowed_statuses,
    status_label,
)
from planning.work.status_updates import post_status_update
from ui.state import engine

# The form's fields; each widget's key is `{key_prefix}_{field}_{tag}`.
FIELDS = ("status", "health", "percent", "note")


def widget_keys(key_prefix: str, tag: str) -> tuple[str, ...]:
    """The session keys of one form's widgets; dropped after a post so the form starts afresh
    (a note alone leaves the initiative's version, and so the form's tag, as it was)."""
    return tuple(f"{key_prefix}_{field}_{tag}" for field in FIELDS)


def health_label(value: str) -> str:
    """How a health value reads on screen, in the reader's language."""
    return _(HEALTH_LABELS.get(value, value))


def status_update_inputs(
    *,
    status: str,
    health: str,
    percent_complete: int,
    director: bool,
    key_prefix: str,
    tag: str,
    placeholder: str,
    note_height: int | None = None,
) -> NewStatusUpdate:
    """Status, health, % complete and the required note, inside the caller's st.form; widget
    keys are `{key_prefix}_{field}_{tag}`."""
    cols = st.columns(3)
    chosen_status = cols[0].selectbox(
        _("Status"),
        allowed_statuses(status, director=director),
        format_func=lambda s: _(status_label(s)),
        key=f"{key_prefix}_status_{tag}",
    )
    chosen_health = cols[1].selectbox(
        _("Health"),
        list(HEALTH_ORDER),
        index=list(HEALTH_ORDER).index(health),
        format_func=health_label,
        key=f"{key_prefix}_health_{tag}",
    )
    percent = cols[2].slider(
        field_label("percent_complete"),
        0,
        100,
        value=percent_complete,
        step=5,
        key=f"{key_prefix}_percent_{tag}",
    )
    note = st.text_area(
        _("Note (required)"),
        max_chars=NOTE_MAX,
        height=note_height,
        placeholder=placeholder,
        key=f"{key_prefix}_note_{tag}",
    )
    return NewStatusUpdate(chosen_status, chosen_health, percent, note)


def save_status_update(
    *, actor: PersonRead, initiative_id: int, update: NewStatusUpdate, expected_version: int
) -> None:
    """Post the update in one short session; refusals propagate for the page to show."""
    with session_scope(engine()) as session:
        post_status_update(
            session=session,
            actor=actor,
            initiative_id=initiative_id,
            update=update,
            expected_version=expected_version,
        )
