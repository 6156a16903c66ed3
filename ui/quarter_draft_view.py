"""A quarter without objectives yet: what each role reads there, and the director's draft.

A director is offered a copy of the last quarter's unfinished objectives and key results, and
beside it a start from an OKR template (ui.okr_templates_view): a preview table of what will be
created first, then one confirm button that writes it in one transaction. Right after a quarter
is closed, its page offers the same copy into the next quarter, with the open initiatives whose
links move to the copies. Members and stakeholders are told the director has not set the
quarter's goals yet, with a button that shows the last quarter.
"""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from planning.access.permissions import is_director
from planning.formatting import format_count
from planning.i18n import gettext as _
from planning.i18n import ngettext
from planning.okrs.goal_reads import list_objectives
from planning.okrs.quarter_draft import QuarterDraft, copy_unfinished, draft_source
from planning.periods import next_quarter
from planning.store.models import PersonRead
from ui.confirm_write import confirm_previewed, read_preview
from ui.flash import flash_after_write
from ui.okr_templates_view import (
    create_label,
    key_result_count,
    objective_count,
    preview_table,
    template_section,
)
from ui.state import Versions, app_config, read_session
from ui.text import escape_markdown

PERIOD_KEY = "goals_period"  # the Goals page's quarter picker
FLASH = "goals_flash"
_PREVIEW = "quarter_draft_preview"  # the quarter whose draft is being previewed


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def source_quarter(versions: Versions, period: str) -> str | None:
    """The latest quarter before `period` with objectives (cached per data version)."""
    del versions
    with read_session() as session:
        return draft_source(session=session, period=period)


def _copy(
    session: Session,
    person: PersonRead,
    source: str,
    period: str,
    previewed: QuarterDraft | None = None,
) -> QuarterDraft:
    """Copy `source`'s unfinished goals into `period`: a preview, or the write of `previewed`."""
    return copy_unfinished(
        session=session,
        actor=person,
        config=app_config(),
        from_period=source,
        to_period=period,
        preview=previewed is None,
        previewed=previewed,
    )


def _draft_link(period: str) -> None:
    """A link to Goals, where a director drafts `period`."""
    st.page_link(
        "pages/goals.py",
        label=_("Draft {quarter} on Goals").format(quarter=period),
        icon=":material/flag:",
    )


def _show(period: str) -> None:
    st.session_state[PERIOD_KEY] = period


def empty_quarter(
    *,
    person: PersonRead | None,
    versions: Versions,
    period: str,
    this_quarter: str,
    closed: bool,
) -> None:
    """Say why the quarter is empty and what to do next, for the person's role."""
    source = source_quarter(versions, period)
    director = person is not None and is_director(person)
    if closed or period < this_quarter:
        hint = " " + _("Add one below, or import an OKR file.") if director and not closed else ""
        st.info(_("No objectives for {quarter}.").format(quarter=period) + hint)
        return
    if not director:
        st.info(
            _("The director has not set {quarter}'s goals yet.").format(quarter=period)
            + " "
            + (
                _("{quarter} is still there to read.").format(quarter=source)
                if source
                else _("Once they are set, they appear here.")
            ),
            icon=":material/flag:",
        )
        if source:
            st.button(
                _("Show {quarter}").format(quarter=source),
                on_click=_show,
                args=(source,),
                key="empty_show_last",
            )
        return
    st.info(
        (
            _(
                "No objectives for {quarter} yet. Draft the quarter: copy {source}'s unfinished "
                "objectives and key results below, start from a template, add objectives under "
                "“Shape the quarter”, or import an OKR file."
            )
            if source
            else _(
                "No objectives for {quarter} yet. Draft the quarter: start from a template, add "
                "objectives under “Shape the quarter”, or import an OKR file."
            )
        ).format(quarter=period, source=source),
        icon=":material/flag:",
    )
    if person is None:
        return
    if source:
        draft_section(person=person, source=source, period=period)
    template_section(person=person, versions=versions, period=period)


def draft_section(*, person: PersonRead, source: str, period: str) -> None:
    """Preview a copy of `source`'s unfinished goals into `period`, then confirm it."""
    st.subheader(_("Draft {quarter} from {source}").format(quarter=period, source=source))
    if st.session_state.get(_PREVIEW) != period:
        st.caption(
            _(
                "Copies {source}'s objectives that are not finished (a key result below its "
                "target, a milestone not done, a guardrail breached, or graded below 1.0 at the "
                "close), with those key results, their guardrails and the initiatives still open "
                "that are linked to them. You see the whole draft before anything is written."
            ).format(source=source)
        )
        if st.button(
            _("Preview the copy of {source}'s unfinished goals").format(source=source),
            key="draft_preview",
        ):
            st.session_state[_PREVIEW] = period
            st.rerun()
        return
    draft = read_preview(
        preview_key=_PREVIEW, read=lambda session: _copy(session, person, source, period)
    )
    if draft is None:
        return
    objectives = len(draft.objectives)
    key_results = draft.key_result_count
    initiatives = draft.initiative_count
    carried = (
        ngettext(
            ", and carry **{count}** open initiative",
            ", and carry **{count}** open initiatives",
            initiatives,
        ).format(count=format_count(initiatives))
        if initiatives
        else ""
    )
    st.markdown(
        _("Will create {objectives} and {key_results} in {quarter}{carried}:").format(
            objectives=objective_count(objectives),
            key_results=key_result_count(key_results),
            quarter=period,
            carried=carried,
        )
    )
    preview_table(draft)
    if draft.data_in_new_quarter:
        st.caption(
            _(
                "Metric key results start from {quarter}'s data so far; a total for the quarter "
                "starts from its old start."
            ).format(quarter=period)
        )
    else:
        st.caption(
            _(
                "{quarter} has no data yet, so metric key results keep their {source} start "
                "values (shown as “kept” above); edit them under “Shape the quarter” once data "
                "arrives."
            ).format(quarter=period, source=source)
        )
    if initiatives and draft.moves_links:
        st.caption(
            _(
                "{source} is closed: the open initiatives (the “initiatives” column) move their "
                "links from {source}'s key results to the copies, so their work counts for "
                "{quarter}; their status updates, scores and dates stay as they are."
            ).format(quarter=period, source=source)
        )
    elif initiatives:
        st.caption(
            _(
                "{source} is still running: the open initiatives are linked to the copies as "
                "well and keep their links to {source}'s key results."
            ).format(source=source)
        )
    for problem in draft.problems:
        st.warning(escape_markdown(problem))
    written = confirm_previewed(
        label=create_label(objectives, period),
        key="draft",
        preview_key=_PREVIEW,
        disabled=bool(draft.problems),
        write=lambda session: _copy(session, person, source, period, previewed=draft),
    )
    if written is None:
        return
    moved = (
        _("; {count} open initiatives now count for {quarter}").format(
            count=format_count(written.initiative_count), quarter=period
        )
        if written.initiative_count and written.moves_links
        else ""
    )
    message = _(
        "{quarter} drafted from {source}: {objectives} objectives and {key_results} key results "
        "created{moved}."
    ).format(
        quarter=period,
        source=source,
        objectives=format_count(len(written.objectives)),
        key_results=format_count(written.key_result_count),
        moved=moved,
    )
    flash_after_write(FLASH, message)


def carry_forward_offer(*, person: PersonRead, versions: Versions, period: str) -> None:
    """On a closed quarter, for a director: copy its unfinished goals and open initiatives into
    the next quarter while that one has no objectives yet."""
    if not is_director(person):
        return
    following = next_quarter(period)
    if _has_goals(versions, following):
        return
    st.info(
        _(
            "{quarter} is closed. Carry its unfinished objectives and key results, with the open "
            "initiatives linked to them, into {following}: preview the copy first, nothing is "
            "written until you confirm."
        ).format(quarter=period, following=following),
        icon=":material/redo:",
    )
    draft_section(person=person, source=period, period=following)


def quarter_not_set_notice(*, person: PersonRead, versions: Versions, period: str) -> None:
    """This week's word on a running quarter that has no objectives yet, for the person's role."""
    source = source_quarter(versions, period)
    last = (
        " " + _("{quarter}'s goals stay readable on Goals.").format(quarter=source)
        if source
        else ""
    )
    if is_director(person):
        copy = (
            _(
                "copy {source}'s unfinished objectives and key results (you see a preview before "
                "anything is written), start from a template, or add new ones."
            ).format(source=source)
            if source
            else _(
                "start from a template, add its objectives and key results, or import an OKR file."
            )
        )
        st.warning(
            _("{quarter} has no objectives yet. Draft the quarter on Goals: {how}").format(
                quarter=period, how=copy
            )
        )
        _draft_link(period)
        return
    owes = "" if person.role.value == "stakeholder" else " " + _("No check-ins are due until then.")
    st.info(
        _("The director has not set {quarter}'s goals yet.").format(quarter=period) + owes + last,
        icon=":material/flag:",
    )
    st.page_link("pages/goals.py", label=_("Open Goals"), icon=":material/flag:")


def roadmap_quarter_notice(
    *, person: PersonRead | None, versions: Versions, quarter: str | None, this_quarter: str
) -> None:
    """The Roadmap's word on a chosen running or coming quarter without objectives yet."""
    if quarter is None or quarter < this_quarter or _has_goals(versions, quarter):
        return
    notice = _("{period} has no objectives yet: the director has not set its goals.").format(
        period=quarter
    )
    if source_quarter(versions, quarter):  # a new team's store has no earlier goals to name
        notice += " " + _(
            "Work is shown under the objectives it was linked to in earlier quarters."
        )
    st.info(notice, icon=":material/flag:")
    if person is not None and is_director(person):
        _draft_link(quarter)


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def _has_goals(versions: Versions, period: str) -> bool:
    del versions
    with read_session() as session:
        return bool(list_objectives(session=session, period=period))


def running_quarter_caption(*, person: PersonRead, versions: Versions, period: str) -> None:
    """A line for pages about work (Weekly planning, Initiatives) while the running quarter has
    no objectives yet: links to key results still point at the last quarter's."""
    if _has_goals(versions, period):
        return
    source = source_quarter(versions, period)
    still = (
        _(": initiatives still link to {quarter}'s key results").format(quarter=source)
        if source
        else ""
    )
    if is_director(person):
        st.caption(
            ":material/flag: "
            + _("{quarter} has no objectives yet{still}. Draft it on Goals.").format(
                quarter=period, still=still
            )
        )
        _draft_link(period)
    else:
        st.caption(
            ":material/flag: "
            + _("The director has not set {quarter}'s goals yet{still}.").format(
                quarter=period, still=still
            )
        )
