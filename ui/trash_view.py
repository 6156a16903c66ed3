"""The trash on the pages: deleting an initiative (its detail's "Delete" form) and the director's
Trash section, which lists deleted and archived objectives, key results and initiatives with the
day each goes for good, and restores one with its links (planning.trash)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlmodel import Session

from planning import clock
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.formatting import format_count, format_day
from planning.i18n import gettext as _
from planning.i18n import pgettext
from planning.okrs import goals
from planning.okrs.goal_rules import GoalError
from planning.store.models import KeyResultUpdate, ObjectiveUpdate, PersonRead
from planning.store.versioning import ConflictError
from planning.trash import bin as trash_bin
from planning.trash.listing import TrashEntry, trash_entries
from planning.trash.reasons import not_restored_text
from planning.validation import InputError
from ui.confirm_write import run_write
from ui.state import Versions, read_session
from ui.tables import show_table
from ui.text import escape_markdown

REFUSALS = (InputError, GoalError, PermissionDenied, ConflictError)


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def trash_list(versions: Versions, today: str) -> list[TrashEntry]:
    """What the trash holds today (keyed by the data versions and the day)."""
    del versions
    with read_session() as session:
        return trash_entries(session=session, today=clock.today())


def _table(entries: list[TrashEntry]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": [_(e.kind) for e in entries],
            "title": [e.title for e in entries],
            "how": [_(e.how) for e in entries],
            "since": [format_day(e.since) for e in entries],
            "by": [e.by for e in entries],
            "gone_on": [format_day(e.gone_on) for e in entries],
        }
    )


def _label(entry: TrashEntry) -> str:
    return _("{kind}: {title} ({how} {day})").format(
        kind=_(entry.kind),
        title=entry.title,
        how=_(entry.how).lower(),
        day=format_day(entry.since, year=False),
    )


def _restore(
    session: Session, actor: PersonRead, config: AppConfig, entry: TrashEntry
) -> list[str]:
    """Restore one entry; returns the links that could not come back."""
    if entry.trash_item_id is not None:
        restored = trash_bin.restore_from_trash(
            session=session, actor=actor, trash_item_id=entry.trash_item_id
        )
        return list(restored.not_restored)
    assert entry.version is not None
    if entry.entity == "objective":
        goals.update_objective(
            session=session,
            actor=actor,
            objective_id=entry.entity_id,
            expected_version=entry.version,
            changes=ObjectiveUpdate(archived=False),
        )
    else:
        goals.update_key_result(
            session=session,
            actor=actor,
            key_result_id=entry.entity_id,
            expected_version=entry.version,
            changes=KeyResultUpdate(archived=False),
            config=config.metrics,
        )
    return []


def trash_section(
    *, actor: PersonRead, versions: Versions, config: AppConfig, on_saved: Callable[..., None]
) -> None:
    """The director's Trash: what waits there, when it goes for good, and Restore."""
    entries = trash_list(versions, clock.today().isoformat())
    with st.expander(_("Trash ({count})").format(count=format_count(len(entries)))):
        st.caption(
            _(
                "Deleted and archived objectives, key results and initiatives wait here {days} "
                "days, then are gone for good. Restoring brings back their links: key results, "
                "dependencies, check-ins and status updates."
            ).format(days=trash_bin.TRASH_DAYS)
        )
        if not entries:
            st.caption(_("The trash is empty."))
            return
        show_table(
            _table(entries),
            {
                "kind": _("What"),
                "title": st.column_config.TextColumn(_("Title"), width="large"),
                "how": _("How"),
                "since": _("Since"),
                "by": pgettext("author", "By"),
                "gone_on": _("Gone for good on"),
            },
        )
        picked = st.selectbox(
            _("Restore"),
            range(len(entries)),
            format_func=lambda i: _label(entries[i]),
            key="trash_pick",
        )
        if not st.button(_("Restore"), key="trash_restore"):
            return
        entry = entries[picked]
        missed = run_write(
            lambda session: _restore(session, actor, config, entry), refusals=REFUSALS
        )
        if missed is None:
            return
        message = _("{kind} “{title}” restored.").format(
            kind=_(entry.kind), title=escape_markdown(entry.title)
        )
        if missed:
            message += " " + _("These links could not come back: {links}").format(
                links="; ".join(escape_markdown(not_restored_text(m)) for m in missed)
            )
        on_saved(message, forget=("trash_pick",))


def delete_initiative_form(
    *,
    actor: PersonRead,
    initiative_id: int,
    version: int,
    tag: str,
    on_saved: Callable[..., None],
) -> None:
    """The detail's "Delete this initiative" form: it goes to the trash for 30 days."""
    with st.expander(_("Delete this initiative")), st.form(f"delete_{tag}"):
        st.caption(
            _(
                "It goes to the trash with its links, dependencies and status updates for {days} "
                "days; a director can restore it from there."
            ).format(days=trash_bin.TRASH_DAYS)
        )
        sure = st.checkbox(_("Yes, delete it"), key=f"del_sure_{tag}")
        deleted = st.form_submit_button(_("Delete initiative"))
    if not deleted:
        return
    if not sure:
        st.error(_("Tick “Yes, delete it” to delete the initiative."))
        return
    item = run_write(
        lambda session: trash_bin.delete_initiative(
            session=session, actor=actor, initiative_id=initiative_id, expected_version=version
        ),
        refusals=REFUSALS,
    )
    if item is None:
        return
    on_saved(
        _("Initiative moved to the trash; it is gone for good on {day}.").format(
            day=format_day(item.purge_on)
        ),
        forget=(f"initiative_version_{initiative_id}",),
    )


def delete_goal_form(
    *, actor: PersonRead, kind: str, record_id: int, version: int, on_saved: Callable[[str], None]
) -> None:
    """Goals' "Delete this objective / key result" form (directors): the record, with what hangs
    on it, goes to the trash for 30 days."""
    objective = kind == "objective"
    tag = f"{kind}_{record_id}_{version}"
    heading = _("Delete this objective") if objective else _("Delete this key result")
    with st.expander(heading), st.form(f"delete_{tag}"):
        st.caption(
            (
                _(
                    "It goes to the trash with its key results, their check-ins and links for "
                    "{days} days; a director can restore it from the Trash on Initiatives."
                )
                if objective
                else _(
                    "It goes to the trash with its check-ins and initiative links for {days} "
                    "days; a director can restore it from the Trash on Initiatives."
                )
            ).format(days=trash_bin.TRASH_DAYS)
        )
        sure = st.checkbox(_("Yes, delete it"), key=f"del_sure_{tag}")
        deleted = st.form_submit_button(
            _("Delete objective") if objective else _("Delete key result")
        )
    if not deleted:
        return
    if not sure:
        st.error(
            _("Tick “Yes, delete it” to delete the objective.")
            if objective
            else _("Tick “Yes, delete it” to delete the key result.")
        )
        return
    item = run_write(
        lambda session: (
            trash_bin.delete_objective(
                session=session, actor=actor, objective_id=record_id, expected_version=version
            )
            if objective
            else trash_bin.delete_key_result(
                session=session, actor=actor, key_result_id=record_id, expected_version=version
            )
        ),
        refusals=REFUSALS,
    )
    if item is None:
        return
    moved = (
        _("Objective “{title}” moved to the trash; it is gone for good on {day}.")
        if objective
        else _("Key result “{title}” moved to the trash; it is gone for good on {day}.")
    )
    on_saved(moved.format(title=escape_markdown(item.title), day=format_day(item.purge_on)))
