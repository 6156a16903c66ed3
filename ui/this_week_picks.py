"""This week's item pickers and what follows a post: the picked item's form survives looking at
another item, a form whose item left the list says so, and a post moves the picker on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import streamlit as st

from planning.access.permissions import PermissionDenied
from planning.i18n import gettext as _
from planning.okrs.goal_rules import GoalError
from planning.store.models import PersonRead
from planning.store.versioning import ConflictError
from planning.validation import InputError
from ui.flash import flash_after_write
from ui.state import Versions, forget_inputs
from ui.text import escape_markdown

FLASH = "this_week_flash"
REFUSALS = (InputError, GoalError, PermissionDenied, ConflictError)


@dataclass(frozen=True)
class Week:
    """What every part of the This week page reads: who is looking, the store's data versions,
    today, the reader's language and formats (i18n.locale_key, part of the key of every cached
    read that comes back in words), the running quarter, how often updates are owed, whether the
    quarter has goals."""

    person: PersonRead
    director: bool
    versions: Versions
    today: date
    lang: str
    period: str
    every_days: int
    has_goals: bool


def saved(message: str, forget: tuple[str, ...], picker: str, following: int | None) -> None:
    """After a write: the flash message, the posted item's inputs forgotten, the picker moved
    on to the item that followed it, fresh reads."""
    forget_inputs(forget)
    st.session_state[f"{picker}_next"] = following
    st.session_state.pop(f"{picker}_shown", None)  # it leaves the list because it was posted
    flash_after_write(FLASH, message)


def count(number: int, words: str) -> str:
    """`words` (the ngettext form for `number`, such as '{count} check-ins') with the number in
    it, or '' for none."""
    return "" if number == 0 else words.format(count=number)


def following_item(ids: Sequence[int], done: int) -> int | None:
    """The item to pick once `done` leaves the list: the next one, else the one before."""
    at = ids.index(done)
    rest = [*ids[at + 1 :], *reversed(ids[:at])]
    return rest[0] if rest else None


def pick(
    actor: PersonRead, picker: str, label: str, titles: dict[int, str], fields: Sequence[str]
) -> int:
    """The item whose form is shown, chosen by title (the most overdue first).

    Streamlit forgets a widget's value once it is not drawn, so the inputs of the item put aside
    are kept in `{picker}_drafts` and put back when it is picked again: a refused post's note
    survives looking at another item in between. `{picker}_shown` remembers (person, item,
    title) of the form on screen, for this and for `left_unposted`.
    """
    ids = list(titles)
    following = st.session_state.pop(f"{picker}_next", None)
    if following in titles:
        st.session_state[picker] = following
    chosen: int = st.selectbox(label, ids, format_func=titles.__getitem__, key=picker)
    drafts: dict[int, dict[str, object]] = st.session_state.setdefault(f"{picker}_drafts", {})
    shown = f"{picker}_shown"
    was = st.session_state.get(shown)
    before = was[1] if was is not None and was[0] == actor.id else None
    if before != chosen and before in titles:
        kept = {}
        for field in fields:
            key = f"tw_{field}_{before}"
            if key in st.session_state:
                kept[key] = st.session_state[key]
        drafts[before] = kept
    for key, value in drafts.pop(chosen, {}).items():
        if key not in st.session_state:  # only what Streamlit has dropped
            st.session_state[key] = value
    for gone in [tag for tag in drafts if tag not in titles]:
        del drafts[gone]  # posted, or no longer owed
    st.session_state[shown] = (actor.id, chosen, titles[chosen])
    return chosen


def left_unposted(
    actor: PersonRead, picker: str, titles: dict[int, str], note_field: str, message: str
) -> None:
    """Say so when the item whose form this person had open left the list without them
    posting (someone else posted or changed it), and hand back the note they had written.
    `message` is the notice in the reader's language, with the item's `{title}`."""
    shown = st.session_state.get(f"{picker}_shown")
    if shown is None or shown[0] != actor.id or shown[1] in titles:
        return
    del st.session_state[f"{picker}_shown"]
    item_id, title = shown[1], shown[2]
    message = message.format(title=escape_markdown(title))
    note = st.session_state.get(f"tw_{note_field}_{item_id}")
    if isinstance(note, str) and note.strip():
        st.warning(message + " " + _("Your note was not posted; here it is to copy:"))
        st.code(note, language=None, wrap_lines=True)
    else:
        st.info(message)
