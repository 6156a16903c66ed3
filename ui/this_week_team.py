"""This week's other parts: how a member's ideas were triaged, a director's triage of ideas and
what needs their attention across the team, and a stakeholder's summary of goals and roadmap."""

from __future__ import annotations

from typing import Any

import streamlit as st

from planning import clock
from planning.formatting import format_day
from planning.i18n import gettext as _
from planning.i18n import ngettext, pgettext
from planning.store.models import PersonRead
from planning.work.initiative_input import REASON_MAX
from planning.work.roadmap import HORIZON_LABELS, HORIZONS
from planning.work.status_updates import accept_idea, decline_idea
from ui import this_week_data as data
from ui.confirm_write import run_write
from ui.grid_formats import day_format
from ui.quarter_draft_view import quarter_not_set_notice
from ui.tables import percent_bar, show_table
from ui.text import escape_markdown
from ui.this_week_picks import (
    REFUSALS,
    Week,
    count,
    following_item,
    saved,
)

IDEA_PICK = "tw_idea_pick"


def idea_news(week: Week, actor: PersonRead) -> None:
    """How a director triaged the ideas this person proposed, in the last two weeks."""
    outcomes = data.idea_outcomes(week.versions, actor.id, week.today)
    if not outcomes:
        return
    st.header(_("Your ideas"))
    for outcome in outcomes:
        title = escape_markdown(outcome.title)
        by = escape_markdown(outcome.by)
        when = format_day(clock.day_of(outcome.at), year=False)
        if outcome.accepted:
            st.success(
                _("Your idea “{title}” was accepted to the backlog by {by} on {day}.").format(
                    title=title, by=by, day=when
                )
            )
        else:
            st.info(
                _("Your idea “{title}” was declined by {by} on {day}: {reason}").format(
                    title=title, by=by, day=when, reason=escape_markdown(outcome.reason)
                )
            )


def triage(week: Week, actor: PersonRead) -> None:
    """Ideas members proposed, each accepted to the backlog or declined with a reason."""
    ideas = data.ideas(week.versions)
    if not ideas:
        return
    st.header(_("Ideas to triage"))
    waiting = len(ideas)
    st.caption(
        _(
            "{ideas} proposed and waiting for a yes or no. Accept one to the backlog (it becomes "
            "planned, as proposed) or decline it with a short reason; the person who proposed "
            "it sees the outcome on their This week."
        ).format(ideas=count(waiting, ngettext("{count} idea", "{count} ideas", waiting)))
    )
    following = st.session_state.pop(f"{IDEA_PICK}_next", None)
    if following in ideas:
        st.session_state[IDEA_PICK] = following
    elif st.session_state.get(IDEA_PICK) not in ideas:
        st.session_state.pop(IDEA_PICK, None)  # triaged meanwhile: start from the oldest
    chosen: int = st.selectbox(
        _("Idea"), list(ideas), format_func=lambda i: ideas[i].title, key=IDEA_PICK
    )
    idea = ideas[chosen]
    with st.form(f"tw_triage_{chosen}"):
        st.caption(
            escape_markdown(
                _("Proposed by {name} on {day}").format(
                    name=idea.owner, day=format_day(clock.day_of(idea.proposed_at))
                )
            )
        )
        if idea.description:
            st.markdown(escape_markdown(idea.description))
        reason = st.text_input(
            _("Reason (required to decline)"),
            max_chars=REASON_MAX,
            placeholder=_("Why not now, in a line"),
            key=f"tw_reason_{chosen}",
        )
        cols = st.columns(2)
        accept = cols[0].form_submit_button(_("Accept to backlog"), type="primary")
        decline = cols[1].form_submit_button(_("Decline"))
    if not (accept or decline):
        return
    triaged = run_write(
        lambda session: (
            accept_idea(
                session=session,
                actor=actor,
                initiative_id=chosen,
                expected_version=idea.version,
            )
            if accept
            else decline_idea(
                session=session,
                actor=actor,
                initiative_id=chosen,
                expected_version=idea.version,
                reason=reason,
            )
        ),
        refusals=REFUSALS,
    )
    if triaged is not None:
        done = _("“{title}” accepted to the backlog.") if accept else _("“{title}” declined.")
        saved(
            done.format(title=escape_markdown(idea.title)),
            forget=(f"tw_reason_{chosen}",),
            picker=IDEA_PICK,
            following=following_item(list(ideas), chosen),
        )


def _table_or_all_clear(
    rows: Any, columns: dict[str, Any], all_clear: str, *, wrap: bool = False
) -> None:
    """The rows needing attention as a table (`wrap`: long text wraps), or `all_clear` when
    there are none."""
    if rows is None:
        st.success(all_clear)
    else:
        show_table(rows, columns, wrap=wrap)


def attention(week: Week) -> None:
    """What needs a director's attention across the team."""
    brief = data.attention(week.versions, week.period, week.today, week.lang)
    st.header(_("Needs attention"))
    cols = st.columns(4)
    # No objectives yet: no key results to count, rather than a reassuring zero.
    cols[0].metric(_("Key results off track"), brief.off_track if week.has_goals else "—")
    cols[1].metric(_("Key results at risk"), brief.at_risk if week.has_goals else "—")
    cols[2].metric(_("Status updates overdue"), brief.stale)
    cols[3].metric(_("Blocked initiatives"), brief.blocked)

    st.subheader(_("Key results off track or at risk"))
    if not week.has_goals:
        quarter_not_set_notice(person=week.person, versions=week.versions, period=week.period)
    else:
        _table_or_all_clear(
            brief.key_results,
            {
                # Fixed widths that together fit beside the sidebar at 1,366 px; the text wraps.
                # Owner and Expected by now hold their German headings whole (Verantwortlich,
                # Bis jetzt erwartet: they were cut at "small").
                "status": st.column_config.TextColumn(_("Status"), width=105),
                "key_result": st.column_config.TextColumn(_("Key result"), width=142),
                "objective": st.column_config.TextColumn(_("Objective"), width=142),
                "owner": st.column_config.TextColumn(_("Owner"), width=110),
                "progress": st.column_config.TextColumn(_("Progress"), width="small"),
                "expected": st.column_config.TextColumn(_("Expected by now"), width=130),
                "why": st.column_config.TextColumn(_("Why"), width="medium"),
            },
            _("Every key result of {quarter} is on track (or too early to tell).").format(
                quarter=week.period
            ),
            wrap=True,  # the reason is read whole, not cut at the column's edge
        )
    if week.has_goals:
        st.page_link("pages/goals.py", label=_("Open Goals"), icon=":material/flag:")

    st.subheader(_("Status updates overdue"))
    _table_or_all_clear(
        brief.stale_rows,
        {
            "initiative": st.column_config.TextColumn(_("Initiative"), width="medium"),
            "owner": _("Owner"),
            "status": _("Status"),
            "health": _("Health"),
            "days": st.column_config.NumberColumn(_("Days since update"), format="%d"),
        },
        _("Every initiative under way was updated in the last {days} days.").format(
            days=week.every_days
        ),
    )
    st.subheader(_("Blocked"))
    _table_or_all_clear(
        brief.blocked_rows,
        {
            "initiative": st.column_config.TextColumn(_("Initiative"), width="medium"),
            "owner": _("Owner"),
            "days": st.column_config.NumberColumn(_("Days blocked"), format="%d"),
            "note": st.column_config.TextColumn(_("Latest note"), width="large"),
        },
        _("Nothing is blocked."),
    )
    st.page_link("pages/initiatives.py", label=_("Open Initiatives"), icon=":material/checklist:")

    st.subheader(_("Since the last committed plan"))
    if brief.plan_caption is None:
        st.info(
            _(
                "No weekly plan has been committed before this week yet. Commit one in Weekly "
                "planning; from then on this shows what moved."
            )
        )
    else:
        st.caption(brief.plan_caption)
        _table_or_all_clear(
            brief.changes,
            {
                "initiative": st.column_config.TextColumn(_("Initiative"), width="medium"),
                "change": _("Change"),
                "before": _("Before"),
                "after": _("After"),
            },
            _("Nothing changed since the last plan."),
        )
    st.page_link(
        "pages/planning.py", label=_("Open Weekly planning"), icon=":material/view_kanban:"
    )


def summary(week: Week) -> None:
    """The quarter's goals and the roadmap, in a few lines."""
    glance = data.glance(week.versions, week.period, week.today, week.lang)
    st.header(_("Goals for {quarter}").format(quarter=week.period))
    if not week.has_goals:
        quarter_not_set_notice(person=week.person, versions=week.versions, period=week.period)
    elif glance.goals is None:
        st.info(_("No objectives for {quarter} yet.").format(quarter=week.period))
    else:
        show_table(
            glance.goals,
            {
                "objective": st.column_config.TextColumn(_("Objective"), width="medium"),
                "owner": st.column_config.TextColumn(_("Owner"), width="small"),
                "progress": percent_bar(_("Progress"), "%d %%"),
                "expected": st.column_config.TextColumn(_("Expected by now"), width="small"),
                "status": st.column_config.TextColumn(_("Status"), width="small"),
                "attention": st.column_config.TextColumn(_("Key results"), width="medium"),
            },
        )
    if week.has_goals:
        st.page_link("pages/goals.py", label=_("Open Goals"), icon=":material/flag:")

    st.header(_("Roadmap for {quarter} at a glance").format(quarter=week.period))
    cols = st.columns(len(HORIZONS))
    for column, name in zip(cols, HORIZONS, strict=True):
        column.metric(_(HORIZON_LABELS[name]), glance.counts[name])
    top = st.columns(2, gap="large")
    for column, heading, rows, label in (
        (top[0], _("Under way now"), glance.now, pgettext("date", "Target")),
        (top[1], _("Coming next"), glance.coming_next, _("Starts")),
        (st.container(), _("Shipped this quarter"), glance.shipped, _("Shipped")),
    ):
        with column:
            st.markdown(f"**{heading}**")
            if rows is None:
                st.caption(_("Nothing here."))
                continue
            show_table(
                rows,
                {
                    "initiative": st.column_config.TextColumn(_("Initiative"), width="medium"),
                    "owner": st.column_config.TextColumn(_("Owner"), width="small"),
                    "when": st.column_config.DateColumn(label, format=day_format(), width=95),
                },
            )
    st.page_link("pages/roadmap.py", label=_("Open the full roadmap"), icon=":material/timeline:")
