"""Weekly planning's decision log: the latest decisions, and the forms that log, edit or withdraw
one (each drawn only while its expander is open)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st
from sqlmodel import Session

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.i18n import gettext as _
from planning.i18n import pgettext
from planning.store.models import DecisionRead, PersonRead
from planning.store.versioning import ConflictError
from planning.validation import InputError
from planning.work.decisions import TEXT_MAX, add_decision, edit_decision, withdraw_decision
from ui import planning_data as data
from ui.confirm_write import run_write
from ui.flash import flash_after_write
from ui.grid_formats import input_day_format
from ui.state import Versions, forget_inputs
from ui.tables import show_table
from ui.text import escape_markdown

DECISION_OPEN = "planning_decision"
DECISION_CHANGE_OPEN = "planning_decision_change"


def decision_log_section(
    *, versions: Versions, person: PersonRead, today: date, flash_key: str
) -> None:
    """The decision log table and its two expanders (log one; edit or withdraw one)."""
    st.subheader(_("Decision log"))
    log_rows = data.decision_rows(versions, 30, i18n.locale_key())
    if log_rows is None:
        st.caption(_("No decisions logged yet."))
    else:
        show_table(
            log_rows,
            {
                "decided_on": st.column_config.DateColumn(
                    _("Day"), format=input_day_format(), width=100
                ),
                "text": st.column_config.TextColumn(_("Decision"), width="large"),
                "initiative": st.column_config.TextColumn(_("Initiative"), width="medium"),
                "author": st.column_config.TextColumn(pgettext("author", "By"), width="small"),
                "state": st.column_config.TextColumn(_("State"), width="small"),
            },
        )

    # Drawn only while open: its picker lists every initiative, which costs every rerun otherwise.
    decision = st.expander(
        _("Log a decision"), key=DECISION_OPEN, on_change="rerun", icon=":material/edit_note:"
    )
    with decision:
        if decision.open:
            decision_form(versions=versions, person=person, today=today, flash_key=flash_key)

    change = st.expander(
        _("Edit or withdraw a decision"),
        key=DECISION_CHANGE_OPEN,
        on_change="rerun",
        icon=":material/edit:",
    )
    with change:
        if change.open:
            decision_change_form(versions=versions, person=person, today=today, flash_key=flash_key)


def _decision_fields(
    titles: dict[int, str],
    today: date,
    key: Callable[[str], str],
    *,
    text: str = "",
    day: date | None = None,
    tied: int | None = None,
    placeholder: str | None = None,
) -> tuple[str, date, int | None]:
    """A decision's text, day and initiative inputs, filled from a logged one or empty; `key`
    names each input's session key. What is typed: (text, day, initiative)."""
    typed = st.text_area(
        _("Decision"), value=text, max_chars=TEXT_MAX, placeholder=placeholder, key=key("text")
    )
    day_col, about_col = st.columns([1, 3])
    decided_on = day_col.date_input(
        _("Decided on"),
        value=today if day is None else day,
        max_value=today,
        format=input_day_format(),
        key=key("day"),
    )
    options = [None, *titles]
    about = about_col.selectbox(
        _("About initiative (optional)"),
        options,
        index=options.index(tied) if tied in options else 0,
        format_func=lambda i: "—" if i is None else titles.get(i, f"#{i}"),
        key=key("initiative"),
    )
    return typed, decided_on, about


def _write(
    write: Callable[[Session], object],
    *,
    flash_key: str,
    message: str,
    forget: tuple[str, ...] = (),
) -> None:
    """Run one decision write (`write` returns what it wrote, never None): its refusal shown, or
    the form's keys forgotten and `message` flashed."""
    written = run_write(
        write,
        refusals=(InputError, PermissionDenied, ConflictError),
        explain=lambda exc: escape_markdown(str(exc)),
    )
    if written is not None:
        forget_inputs(forget)
        flash_after_write(flash_key, message)


def decision_form(*, versions: Versions, person: PersonRead, today: date, flash_key: str) -> None:
    """The form that logs a decision, optionally about one initiative."""
    titles = data.initiative_titles(versions)
    with st.form("add_decision"):
        text, decided_on, tied = _decision_fields(
            titles,
            today,
            lambda name: f"decision_{name}",
            placeholder=_("What was decided and why"),
        )
        logged = st.form_submit_button(_("Log decision"))
    if not logged:
        return
    _write(
        lambda session: add_decision(
            session=session, actor=person, decided_on=decided_on, text=text, initiative_id=tied
        ),
        flash_key=flash_key,
        message=_("Decision logged."),
        forget=("decision_day", "decision_text", "decision_initiative"),
    )


def decision_change_form(
    *, versions: Versions, person: PersonRead, today: date, flash_key: str
) -> None:
    """Edit or withdraw one of the latest decisions; a withdrawn one stays in the log."""
    choices = data.decision_choices(versions, 30)
    if not choices:
        st.caption(_("No decision to edit: none logged yet, or all are withdrawn."))
        return
    chosen = st.selectbox(
        _("Decision"),
        list(choices),
        format_func=lambda i: choices[i][0],
        key="decision_change_pick",
    )
    if chosen is None:
        return
    log = data.decision_log(versions, None, 30)
    row = log[log["id"] == chosen].iloc[0]
    version = choices[chosen][1]
    titles = data.initiative_titles(versions)
    tied_now = None if pd.isna(row["initiative_id"]) else int(row["initiative_id"])
    # Keyed by decision and version, so the fields show the decision as last saved.
    suffix = f"{chosen}_{version}"
    with st.form(f"change_decision_{suffix}"):
        text, decided_on, tied = _decision_fields(
            titles,
            today,
            lambda name: f"decision_edit_{name}_{suffix}",
            text=str(row["text"]),
            day=row["decided_on"],
            tied=tied_now,
        )
        save_col, withdraw_col = st.columns(2)
        save = save_col.form_submit_button(_("Save the decision"))
        withdraw = withdraw_col.form_submit_button(_("Withdraw the decision"))
    if not (save or withdraw):
        return

    def write(session: Session) -> DecisionRead:
        if withdraw:
            return withdraw_decision(
                session=session, actor=person, decision_id=chosen, expected_version=version
            )
        return edit_decision(
            session=session,
            actor=person,
            decision_id=chosen,
            text=text,
            decided_on=decided_on,
            initiative_id=tied,
            expected_version=version,
        )

    _write(
        write,
        flash_key=flash_key,
        message=_("Decision withdrawn.") if withdraw else _("Decision saved."),
    )
