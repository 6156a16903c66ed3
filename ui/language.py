"""Which language this run speaks, and the sidebar's language picker.

app.py calls start_language() first in every run (the team's formats, and the language this
browser session last read: the sign-in page and a share link read it) and use_language(person)
once the person is known (their own choice, else the team's). The choice is stored per person
(planning.access.languages), audited, and changed from the sidebar by the person themselves.
"""

from __future__ import annotations

import streamlit as st

from planning import i18n
from planning.access.languages import all_languages, set_language
from planning.i18n import gettext as _
from planning.store.engine import session_scope
from planning.store.models import PersonRead
from planning.validation import InputError
from ui.navigation import hold_address
from ui.state import (
    Versions,
    app_config,
    clear_after_write,
    engine,
    read_session,
    shared_read,
    versions,
)
from ui.text import escape_markdown

SESSION_LANGUAGE = "_language"  # what this browser session last read, for pages before sign-in
PICKER_KEY = "language_picker"


@shared_read(ttl=600, max_entries=16)
def _choices(versions: Versions) -> tuple[tuple[int, str], ...]:
    """Every person's chosen language as (person id, language), read once per data version."""
    del versions
    with read_session() as session:
        return tuple(all_languages(session=session).items())


def start_language() -> None:
    """The team's formats and this session's language, before anyone is signed in."""
    settings = app_config().settings
    i18n.use_team_locale(settings.locale, currency=settings.currency)
    i18n.set_language(st.session_state.get(SESSION_LANGUAGE))


def use_language(person: PersonRead | None) -> str:
    """This run's language: the person's own choice, else the team's; returns it.

    The sign-in (and demo mode's picker) drew in the session's language; when the person reads
    another (a session's first run, or demo mode's switch to someone else), the run starts over
    once in theirs, so nothing on the screen stays in the other language."""
    chosen = dict(_choices(versions())).get(person.id) if person is not None else None
    drawn = i18n.language()
    i18n.set_language(chosen)
    st.session_state[SESSION_LANGUAGE] = chosen
    if i18n.language() != drawn:
        hold_address()  # the rerun opens the page in the address, not the landing page
        st.rerun()
    return i18n.language()


def language_picker(person: PersonRead | None) -> None:
    """The sidebar's language choice for the person acting; saved when it changes."""
    if person is None or not person.active:
        return
    shown = i18n.language()
    if st.session_state.get(PICKER_KEY) != shown:
        st.session_state[PICKER_KEY] = shown
    st.sidebar.selectbox(
        _("Language"),
        list(i18n.LANGUAGES),
        format_func=lambda code: i18n.LANGUAGES[code],
        key=PICKER_KEY,
        on_change=_save_choice,
        args=(person,),
        help=_(
            "The language Quarterdeck speaks to you. Names of goals and metrics stay as "
            "written; numbers and dates follow the team's format."
        ),
    )


def _save_choice(person: PersonRead) -> None:
    chosen = str(st.session_state.get(PICKER_KEY))
    try:
        with session_scope(engine()) as session:
            set_language(session=session, actor=person, person_id=person.id, language=chosen)
    except InputError as exc:
        st.session_state[PICKER_KEY] = i18n.language()
        st.sidebar.error(escape_markdown("; ".join(exc.problems)))
        return
    st.session_state[SESSION_LANGUAGE] = chosen
    clear_after_write()
