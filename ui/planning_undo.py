"""Weekly planning's "Undo last save": the director puts back what the last Save of the planning
table changed (planning.work.planning_undo), or is told what changed since and by whom."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.formatting import format_count, format_local_moment
from planning.i18n import gettext as _
from planning.i18n import ngettext
from planning.store.engine import session_scope
from planning.store.models import PersonRead
from planning.validation import InputError
from planning.work.planning_undo import LastSave, last_planning_save, undo_last_planning_save
from ui.state import Versions, engine, read_session, shared_read
from ui.text import escape_markdown


@shared_read(ttl=600, max_entries=16)
def last_save(versions: Versions, language: str = "") -> LastSave | None:
    """The most recent save of the planning table (`language`: i18n.locale_key, as a save by
    someone no longer on the team is worded in the reader's language)."""
    del versions, language
    with read_session() as session:
        return last_planning_save(session=session)


def undo_last_save(
    *, actor: PersonRead, versions: Versions, on_done: Callable[[str], None]
) -> None:
    """The "Undo last save" button with what the last save changed."""
    save = last_save(versions, i18n.locale_key())
    if save is None or save.undone:
        return
    shown = ", ".join(f"“{t}”" for t in save.titles[:5])
    if len(save.titles) > 5:
        shown = _("{titles} and {count} more").format(
            titles=shown, count=format_count(len(save.titles) - 5)
        )
    st.caption(
        escape_markdown(
            _("Last save: {moment} by {name}, changing {titles}.").format(
                moment=format_local_moment(save.saved_at), name=save.saved_by, titles=shown
            )
        )
    )
    if not st.button(_("Undo last save"), key="undo_planning_save"):
        return
    try:
        with session_scope(engine()) as session:
            undone = undo_last_planning_save(session=session, actor=actor, save_id=save.id)
    except InputError as exc:
        st.error(
            _("Not undone:") + "\n\n" + "\n".join(f"- {escape_markdown(p)}" for p in exc.problems)
        )
        return
    except PermissionDenied as exc:
        st.error(escape_markdown(str(exc)))
        return
    on_done(
        ngettext(
            "Last save undone: {count} initiative put back.",
            "Last save undone: {count} initiatives put back.",
            len(undone),
        ).format(count=format_count(len(undone)))
    )
