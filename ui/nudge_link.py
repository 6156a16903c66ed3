"""The link in a reminder (`?nudge=TOKEN`): This week opens with the owed item's form picked.

The token is checked (planning.notify.links) against the person already signed in (or picked, in
demo mode): it never signs anyone in and never writes. A link for someone else, an expired or an
altered one shows a short notice instead. The parameter is taken out of the address once read, so
a reload shows the page as usual and the pick stays until the person changes it.
"""

from __future__ import annotations

import streamlit as st

from planning import clock
from planning.i18n import gettext as _
from planning.notify.links import NUDGE_PARAM, LinkError, verify
from planning.notify.schedule import parse_item_key
from planning.notify.secrets import load_secrets
from planning.store.models import PersonRead
from ui.text import escape_markdown


def _notice(message: str) -> None:
    st.warning(escape_markdown(message), icon=":material/link_off:")


def form_in_address(person: PersonRead) -> tuple[str, int] | None:
    """The (kind, id) of the form a reminder's link asks for, for this person; else None."""
    raw = st.query_params.get(NUDGE_PARAM)
    if raw is None:
        return None
    del st.query_params[NUDGE_PARAM]
    try:
        granted = verify(secret=load_secrets().link_secret, token=raw, now=clock.utcnow())
    except LinkError as exc:
        _notice(_("The link you followed cannot pick a form: {reason}.").format(reason=exc))
        return None
    if granted.person_id != person.id:
        _notice(
            _(
                "The link you followed was made for someone else: it opens their form only "
                "when they are signed in."
            )
        )
        return None
    return parse_item_key(granted.item)
