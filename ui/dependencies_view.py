"""Dependencies between initiatives on the pages: the "Waits on / Blocks" section of an
initiative (edited by its owner or a director), each objective's critical path on Weekly planning
with the same section for any initiative picked there, and This week's news of what an owner waits
on. Reads are cached on the data versions (the pattern
of ui/data.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import streamlit as st

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.formatting import format_count, format_day
from planning.i18n import gettext as _
from planning.reports import blocker_news
from planning.store.engine import WORK
from planning.validation import InputError
from planning.work import dependencies
from planning.work.dependencies import Work
from ui import planning_data
from ui.confirm_write import run_write
from ui.flash import flash_after_write, show_flash
from ui.state import (
    Versions,
    depends_on,
    frozen_lists,
    read_session,
    shared_read,
)
from ui.text import CHOOSE, escape_markdown

TTL = 600
ENTRIES = 64
REFUSALS = (InputError, PermissionDenied)
FLASH = "dependencies_flash"


# --- cached reads ------------------------------------------------------------------------------


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def of_initiative(versions: Versions, initiative_id: int) -> dependencies.Dependencies:
    """What one initiative waits on and blocks."""
    del versions
    with read_session() as session:
        return dependencies.dependencies_of(session=session, initiative_id=initiative_id)


@shared_read(ttl=TTL, max_entries=ENTRIES)
def waits(versions: Versions) -> Mapping[int, tuple[Work, ...]]:
    """For every initiative that waits on something, what it waits on (the roadmap's notes)."""
    del versions
    with read_session() as session:
        edges = dependencies.all_edges(session=session)
        notes = dependencies.waiting_notes(
            session=session, initiative_ids={blocked for _blocker, blocked in edges}
        )
    # A mapping no reader can change: the shared read hands the cached object itself.
    return frozen_lists(notes)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def critical_paths(versions: Versions, period: str) -> list[tuple[str, list[Work]]]:
    """Each objective of the period with its critical path."""
    del versions
    with read_session() as session:
        return dependencies.period_critical_paths(session=session, period=period)


@shared_read(ttl=TTL, max_entries=ENTRIES)
def critical_path_list(versions: Versions, period: str, language: str) -> str:
    """The period's critical paths as one markdown list, a line per objective ("" when the
    period has no objective), written once per data version and `language` (i18n.locale_key):
    a quarter may hold hundreds of objectives, escaped and dated on every rerun otherwise."""
    del language
    # One list, not one element per objective.
    return "\n".join(
        f"- **{escape_markdown(title)}**: "
        + escape_markdown(path_text(path) if path else _("no dated work yet"))
        for title, path in critical_paths(versions, period)
    )


@depends_on(WORK)  # news of dependencies: the work's state, never a status note
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def news(
    versions: Versions, owner_id: int, today: date, language: str = ""
) -> list[blocker_news.WaitNews]:
    """What a person's open work waits on that slipped, is blocked or shipped this week, in the
    words of `language` (i18n.locale_key, which keys the cache)."""
    return list(_news_by_owner(versions, today, language).get(owner_id, ()))


@depends_on(WORK)
@shared_read(ttl=TTL, max_entries=ENTRIES)
def _news_by_owner(
    versions: Versions, today: date, language: str
) -> Mapping[int, tuple[blocker_news.WaitNews, ...]]:
    """`news` for every owner, read once after each write for all the sessions showing it."""
    del versions, language
    with read_session() as session:
        found = blocker_news.waits_news_by_owner(session=session, today=today)
    return frozen_lists(found)


# --- text --------------------------------------------------------------------------------------


def _day(day: date | None) -> str:
    if day is None:
        return _("undated")
    return f"{day.day} {day:%b %Y}" if i18n.english_formats() else format_day(day)


def _listed(work: tuple[Work, ...]) -> str:
    return ", ".join(
        _("{work} (ends {day})").format(work=w.label, day=_day(w.end)) for w in work
    ) or _("nothing")


def path_text(path: list[Work]) -> str:
    """A critical path as one line: "#21 Design → #12 Build · ends 1 Mar 2027"."""
    return (
        " → ".join(w.label for w in path) + " · " + _("ends {day}").format(day=_day(path[-1].end))
    )


# --- sections ----------------------------------------------------------------------------------


def initiative_section(
    *,
    versions: Versions,
    actor: object,
    initiative_id: int,
    start: date | None,
    may_edit: bool,
    titles: Mapping[int, str],
    on_saved: Callable[[str], None],
) -> None:
    """The "Waits on / Blocks" section of an initiative: both lists, a warning when it starts
    before what it waits on ends, and for its owner or a director a form to change them."""
    found = of_initiative(versions, initiative_id)
    st.markdown("**" + _("Waits on / Blocks") + "**")
    st.caption(escape_markdown(_("Waits on: {work}").format(work=_listed(found.waits_on))))
    st.caption(escape_markdown(_("Blocks: {work}").format(work=_listed(found.blocks))))
    early = [
        w
        for w in found.waits_on
        if start and w.end and start < w.end and w.status not in dependencies.FINISHED
    ]
    if early:
        st.warning(
            escape_markdown(
                _("It starts on {day}, before {work} ends.").format(
                    day=_day(start), work=", ".join(w.label for w in early)
                )
            )
        )
    if not may_edit:
        return
    others = [i for i in titles if i != initiative_id]

    def linked(label: str, now: tuple[Work, ...], key: str) -> list[int]:
        """The other initiatives on one side of the link, starting from those linked `now`."""
        return st.multiselect(
            label,
            others,
            default=[w.id for w in now if w.id in titles],
            format_func=lambda i: f"#{i} {titles.get(i, '')}",
            placeholder=_(CHOOSE),
            key=f"{key}_{initiative_id}",
        )

    with st.form(f"dependencies_{initiative_id}"):
        waits_on = linked(_("Waits on"), found.waits_on, "dep_waits")
        blocks = linked(_("Blocks"), found.blocks, "dep_blocks")
        saved = st.form_submit_button(_("Save dependencies"))
    if not saved:
        return
    change = run_write(
        lambda session: dependencies.set_dependencies(
            session=session,
            actor=actor,  # type: ignore[arg-type]
            initiative_id=initiative_id,
            waits_on=waits_on,
            blocks=blocks,
        ),
        refusals=REFUSALS,
    )
    if change is None:
        return
    if change.added or change.removed:
        on_saved(
            _("Dependencies saved: {added} added, {removed} removed.").format(
                added=format_count(change.added), removed=format_count(change.removed)
            )
        )
    else:
        st.info(_("No change to save."))


def critical_paths_section(*, versions: Versions, period: str, actor: object | None = None) -> None:
    """Each objective's critical path for the quarter, one line each; with an actor (a
    director on Weekly planning), a picker to edit any initiative's dependencies beside it."""
    found = critical_path_list(versions, period, i18n.locale_key())
    st.subheader(_("Critical paths"))
    show_flash(FLASH)
    if not found:
        st.caption(_("No objective for {period} yet.").format(period=period))
    else:
        st.caption(
            _(
                "For each objective, the chain of dated work that ends last, through what each "
                "step waits on: the work that decides when the objective's work is finished."
            )
        )
    if found:
        st.markdown(found)
    if actor is None:
        return
    editing = st.expander(
        _("Edit dependencies"),
        icon=":material/account_tree:",
        key="planning_dependency_open",
        on_change="rerun",
    )
    with editing:
        if not editing.open:  # the picker lists every initiative: built only when opened
            return
        titles = planning_data.initiative_titles(versions)
        picked = st.selectbox(
            _("Initiative"),
            [None, *titles],
            format_func=lambda i: "—" if i is None else f"#{i} {titles[i]}",
            key="planning_dependency_pick",
        )
        if picked is not None:
            initiative_section(
                versions=versions,
                actor=actor,
                initiative_id=picked,
                start=None,
                may_edit=True,
                titles=titles,
                on_saved=_saved_here,
            )


def _saved_here(message: str) -> None:
    flash_after_write(FLASH, message)


def news_section(*, versions: Versions, owner_id: int, today: date) -> None:
    """This week's word on what a person's open work waits on (nothing when there is none)."""
    found = news(versions, owner_id, today, i18n.locale_key())
    if not found:
        return
    st.header(_("What your work waits on"))
    for item in found:
        text = escape_markdown(item.text)
        if item.kind == "shipped":
            st.success(text, icon=":material/check_circle:")
        else:
            st.warning(text, icon=":material/schedule:")
