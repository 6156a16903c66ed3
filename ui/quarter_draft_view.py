"""A quarter without objectives yet: what each role reads there, and the director's draft.

A director is offered a copy of the last quarter's unfinished objectives and key results, and
beside it a start from an OKR template (ui.okr_templates_view): a preview table of what will be
created first, then one confirm button that writes it in one transaction. Right after a quarter
is closed, its page offers the same copy into the next quarter, with the open initiatives whose
links move to the copies. Members and stakeholders are told the director has not set the
quarter's goals yet, with a button that shows the last quarter.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from planning.access.permissions import PermissionDenied, is_director
from planning.i18n import gettext as _
from planning.okrs.goal_reads import list_objectives
from planning.okrs.goal_rules import GoalError
from planning.okrs.quarter_draft import QuarterDraft, copy_unfinished, draft_source
from planning.periods import next_quarter
from planning.store.engine import read_engine
from planning.store.models import PersonRead
from ui.confirm_write import confirm_previewed
from ui.okr_templates_view import template_section
from ui.state import Versions, app_config, clear_after_write, engine
from ui.text import escape_markdown, refusal_message

PERIOD_KEY = "goals_period"  # the Goals page's quarter picker
FLASH = "goals_flash"
_PREVIEW = "quarter_draft_preview"  # the quarter whose draft is being previewed
REFUSALS = (GoalError, PermissionDenied)


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def source_quarter(versions: Versions, period: str) -> str | None:
    """The latest quarter before `period` with objectives (cached per data version)."""
    del versions
    with Session(read_engine(engine())) as session:
        return draft_source(session=session, period=period)


def _preview(person: PersonRead, source: str, period: str) -> QuarterDraft:
    with Session(read_engine(engine())) as session:
        return copy_unfinished(
            session=session,
            actor=person,
            config=app_config(),
            from_period=source,
            to_period=period,
            preview=True,
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
        hint = " Add one below, or import an OKR file." if director and not closed else ""
        st.info(f"No objectives for {period}.{hint}")
        return
    if not director:
        st.info(
            f"The director has not set {period}'s goals yet. "
            + (
                f"{source} is still there to read."
                if source
                else "Once they are set, they appear here."
            ),
            icon=":material/flag:",
        )
        if source:
            st.button(f"Show {source}", on_click=_show, args=(source,), key="empty_show_last")
        return
    st.info(
        f"No objectives for {period} yet. Draft the quarter: "
        + (f"copy {source}'s unfinished objectives and key results below, " if source else "")
        + "start from a template, add objectives under “Shape the quarter”, or import an OKR "
        "file.",
        icon=":material/flag:",
    )
    if person is None:
        return
    if source:
        draft_section(person=person, source=source, period=period)
    template_section(person=person, versions=versions, period=period)


def draft_section(*, person: PersonRead, source: str, period: str) -> None:
    """Preview a copy of `source`'s unfinished goals into `period`, then confirm it."""
    st.subheader(f"Draft {period} from {source}")
    if st.session_state.get(_PREVIEW) != period:
        st.caption(
            f"Copies {source}'s objectives that are not finished (a key result below its target, "
            "a milestone not done, a guardrail breached, or graded below 1.0 at the close), with "
            "those key results, their guardrails and the initiatives still open that are linked "
            "to them. You see the whole draft before anything is written."
        )
        if st.button(f"Preview the copy of {source}'s unfinished goals", key="draft_preview"):
            st.session_state[_PREVIEW] = period
            st.rerun()
        return
    try:
        draft = _preview(person, source, period)
    except REFUSALS as exc:
        st.session_state.pop(_PREVIEW, None)
        st.error(refusal_message(exc))
        return
    objectives = len(draft.objectives)
    key_results = draft.key_result_count
    initiatives = draft.initiative_count
    carried = (
        f", and carry **{initiatives}** open initiative{'s' if initiatives != 1 else ''}"
        if initiatives
        else ""
    )
    st.markdown(
        f"Will create **{objectives}** objective{'s' if objectives != 1 else ''} and "
        f"**{key_results}** key result{'s' if key_results != 1 else ''} in {period}{carried}:"
    )
    st.dataframe(
        pd.DataFrame(draft.rows(currency_symbol=app_config().settings.currency_symbol)),
        hide_index=True,
    )
    if draft.data_in_new_quarter:
        st.caption(
            f"Metric key results start from {period}'s data so far; a total for the quarter "
            "starts from its old start."
        )
    else:
        st.caption(
            f"{period} has no data yet, so metric key results keep their {source} start values "
            "(shown as “kept” above); edit them under “Shape the quarter” once data arrives."
        )
    if initiatives and draft.moves_links:
        st.caption(
            f"{source} is closed: the open initiatives (the “initiatives” column) move their "
            f"links from {source}'s key results to the copies, so their work counts for "
            f"{period}; their status updates, scores and dates stay as they are."
        )
    elif initiatives:
        st.caption(
            f"{source} is still running: the open initiatives are linked to the copies as well "
            f"and keep their links to {source}'s key results."
        )
    for problem in draft.problems:
        st.warning(escape_markdown(problem))
    written = confirm_previewed(
        label=f"Create these {objectives} objectives in {period}",
        key="draft",
        preview_key=_PREVIEW,
        disabled=bool(draft.problems),
        write=lambda session: copy_unfinished(
            session=session,
            actor=person,
            config=app_config(),
            from_period=source,
            to_period=period,
            preview=False,
            previewed=draft,
        ),
    )
    if written is None:
        return
    moved = (
        f"; {written.initiative_count} open initiatives now count for {period}"
        if written.initiative_count and written.moves_links
        else ""
    )
    st.session_state[FLASH] = (
        f"{period} drafted from {source}: {len(written.objectives)} objectives and "
        f"{written.key_result_count} key results created{moved}."
    )
    clear_after_write()
    st.rerun()


def carry_forward_offer(*, person: PersonRead, versions: Versions, period: str) -> None:
    """On a closed quarter, for a director: copy its unfinished goals and open initiatives into
    the next quarter while that one has no objectives yet."""
    if not is_director(person):
        return
    following = next_quarter(period)
    if _has_goals(versions, following):
        return
    st.info(
        f"{period} is closed. Carry its unfinished objectives and key results, with the open "
        f"initiatives linked to them, into {following}: preview the copy first, nothing is "
        "written until you confirm.",
        icon=":material/redo:",
    )
    draft_section(person=person, source=period, period=following)


def quarter_not_set_notice(*, person: PersonRead, versions: Versions, period: str) -> None:
    """This week's word on a running quarter that has no objectives yet, for the person's role."""
    source = source_quarter(versions, period)
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
        st.page_link(
            "pages/goals.py",
            label=_("Draft {quarter} on Goals").format(quarter=period),
            icon=":material/flag:",
        )
        return
    words = [_("The director has not set {quarter}'s goals yet.").format(quarter=period)]
    if person.role.value != "stakeholder":
        words.append(_("No check-ins are due until then."))
    if source:
        words.append(_("{source}'s goals stay readable on Goals.").format(source=source))
    st.info(" ".join(words), icon=":material/flag:")
    st.page_link("pages/goals.py", label=_("Open Goals"), icon=":material/flag:")


def roadmap_quarter_notice(
    *, person: PersonRead | None, versions: Versions, quarter: str | None, this_quarter: str
) -> None:
    """The Roadmap's word on a chosen running or coming quarter without objectives yet."""
    if quarter is None or quarter < this_quarter or _has_goals(versions, quarter):
        return
    st.info(
        _(
            "{quarter} has no objectives yet: the director has not set its goals. Work is shown "
            "under the objectives it was linked to in earlier quarters."
        ).format(quarter=quarter),
        icon=":material/flag:",
    )
    if person is not None and is_director(person):
        st.page_link(
            "pages/goals.py",
            label=_("Draft {quarter} on Goals").format(quarter=quarter),
            icon=":material/flag:",
        )


@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def _has_goals(versions: Versions, period: str) -> bool:
    del versions
    with Session(read_engine(engine())) as session:
        return bool(list_objectives(session=session, period=period))


def running_quarter_caption(*, person: PersonRead, versions: Versions, period: str) -> None:
    """A line for pages about work (Weekly planning, Initiatives) while the running quarter has
    no objectives yet: links to key results still point at the last quarter's."""
    if _has_goals(versions, period):
        return
    source = source_quarter(versions, period)
    still = f": initiatives still link to {source}'s key results" if source else ""
    if is_director(person):
        st.caption(f":material/flag: {period} has no objectives yet{still}. Draft it on Goals.")
        st.page_link("pages/goals.py", label=f"Draft {period} on Goals", icon=":material/flag:")
    else:
        st.caption(f":material/flag: The director has not set {period}'s goals yet{still}.")
