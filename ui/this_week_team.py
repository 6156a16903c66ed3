"""This week's other parts: how a member's ideas were triaged, a director's triage of ideas and
what needs their attention across the team, and a stakeholder's summary of goals and roadmap."""

from __future__ import annotations

import streamlit as st

from planning.store.engine import session_scope
from planning.store.models import PersonRead
from planning.work.roadmap import HORIZON_LABELS, HORIZONS
from planning.work.status_updates import accept_idea, decline_idea
from ui import this_week_data as data
from ui.quarter_draft_view import quarter_not_set_notice
from ui.state import engine
from ui.text import escape_markdown, refusal_message
from ui.this_week_picks import REFUSALS, Week, count, following_item, saved, show_table

IDEA_PICK = "tw_idea_pick"


def idea_news(week: Week, actor: PersonRead) -> None:
    """How a director triaged the ideas this person proposed, in the last two weeks."""
    outcomes = data.idea_outcomes(week.versions, actor.id, week.today)
    if not outcomes:
        return
    st.header("Your ideas")
    for outcome in outcomes:
        title = escape_markdown(outcome.title)
        by = escape_markdown(outcome.by)
        when = f"{outcome.at:%d %b}"
        if outcome.accepted:
            st.success(f"Your idea “{title}” was accepted to the backlog by {by} on {when}.")
        else:
            st.info(
                f"Your idea “{title}” was declined by {by} on {when}: "
                f"{escape_markdown(outcome.reason)}"
            )


def triage(week: Week, actor: PersonRead) -> None:
    """Ideas members proposed, each accepted to the backlog or declined with a reason."""
    ideas = data.ideas(week.versions)
    if not ideas:
        return
    st.header("Ideas to triage")
    st.caption(
        f"{count(len(ideas), 'idea')} proposed and waiting for a yes or no. Accept one to the "
        "backlog (it becomes planned, as proposed) or decline it with a short reason; the "
        "person who proposed it sees the outcome on their This week."
    )
    titles = {i.initiative_id: i.title for i in ideas}
    following = st.session_state.pop(f"{IDEA_PICK}_next", None)
    if following in titles:
        st.session_state[IDEA_PICK] = following
    elif st.session_state.get(IDEA_PICK) not in titles:
        st.session_state.pop(IDEA_PICK, None)  # triaged meanwhile: start from the oldest
    chosen: int = st.selectbox("Idea", list(titles), format_func=titles.__getitem__, key=IDEA_PICK)
    idea = next(i for i in ideas if i.initiative_id == chosen)
    with st.form(f"tw_triage_{chosen}"):
        st.caption(escape_markdown(f"Proposed by {idea.owner} on {idea.proposed_at:%d %b %Y}"))
        if idea.description:
            st.markdown(escape_markdown(idea.description))
        reason = st.text_input(
            "Reason (required to decline)",
            max_chars=300,
            placeholder="Why not now, in a line",
            key=f"tw_reason_{chosen}",
        )
        cols = st.columns(2)
        accept = cols[0].form_submit_button("Accept to backlog", type="primary")
        decline = cols[1].form_submit_button("Decline")
    if not (accept or decline):
        return
    try:
        with session_scope(engine()) as session:
            if accept:
                accept_idea(
                    session=session,
                    actor=actor,
                    initiative_id=chosen,
                    expected_version=idea.version,
                )
            else:
                decline_idea(
                    session=session,
                    actor=actor,
                    initiative_id=chosen,
                    expected_version=idea.version,
                    reason=reason,
                )
    except REFUSALS as exc:
        st.error(refusal_message(exc))
    else:
        outcome = "accepted to the backlog" if accept else "declined"
        saved(
            f"“{escape_markdown(idea.title)}” {outcome}.",
            forget=(f"tw_reason_{chosen}",),
            picker=IDEA_PICK,
            following=following_item(list(titles), chosen),
        )


def attention(week: Week) -> None:
    """What needs a director's attention across the team."""
    brief = data.attention(week.versions, week.period, week.today)
    st.header("Needs attention")
    cols = st.columns(4)
    # No objectives yet: no key results to count, rather than a reassuring zero.
    cols[0].metric("Key results off track", brief.off_track if week.has_goals else "—")
    cols[1].metric("Key results at risk", brief.at_risk if week.has_goals else "—")
    cols[2].metric("Status updates overdue", brief.stale)
    cols[3].metric("Blocked initiatives", brief.blocked)

    st.subheader("Key results off track or at risk")
    if not week.has_goals:
        quarter_not_set_notice(person=week.person, versions=week.versions, period=week.period)
    elif brief.key_results is None:
        st.success(f"Every key result of {week.period} is on track (or too early to tell).")
    else:
        show_table(
            brief.key_results,
            {
                "status": st.column_config.TextColumn("Status", width="small"),
                "key_result": st.column_config.TextColumn("Key result", width="medium"),
                "objective": st.column_config.TextColumn("Objective", width="medium"),
                "owner": st.column_config.TextColumn("Owner", width="small"),
                "progress": st.column_config.TextColumn("Progress", width="small"),
                "expected": st.column_config.TextColumn("Expected by now", width="small"),
                "why": st.column_config.TextColumn("Why", width="medium"),
            },
        )
    if week.has_goals:
        st.page_link("pages/goals.py", label="Open Goals", icon=":material/flag:")

    st.subheader("Status updates overdue")
    if brief.stale_rows is None:
        st.success(f"Every initiative under way was updated in the last {week.every_days} days.")
    else:
        show_table(
            brief.stale_rows,
            {
                "initiative": st.column_config.TextColumn("Initiative", width="medium"),
                "owner": "Owner",
                "status": "Status",
                "health": "Health",
                "days": st.column_config.NumberColumn("Days since update", format="%d"),
            },
        )
    st.subheader("Blocked")
    if brief.blocked_rows is None:
        st.success("Nothing is blocked.")
    else:
        show_table(
            brief.blocked_rows,
            {
                "initiative": st.column_config.TextColumn("Initiative", width="medium"),
                "owner": "Owner",
                "days": st.column_config.NumberColumn("Days blocked", format="%d"),
                "note": st.column_config.TextColumn("Latest note", width="large"),
            },
        )
    st.page_link("pages/initiatives.py", label="Open Initiatives", icon=":material/checklist:")

    st.subheader("Since the last committed plan")
    if brief.plan_caption is None:
        st.info(
            "No weekly plan has been committed before this week yet. Commit one in Weekly "
            "planning; from then on this shows what moved."
        )
    else:
        st.caption(brief.plan_caption)
        if brief.changes is None:
            st.success("Nothing changed since the last plan.")
        else:
            show_table(
                brief.changes,
                {
                    "initiative": st.column_config.TextColumn("Initiative", width="medium"),
                    "change": "Change",
                    "before": "Before",
                    "after": "After",
                },
            )
    st.page_link("pages/planning.py", label="Open Weekly planning", icon=":material/view_kanban:")


def summary(week: Week) -> None:
    """The quarter's goals and the roadmap, in a few lines."""
    glance = data.glance(week.versions, week.period, week.today)
    st.header(f"Goals for {week.period}")
    if not week.has_goals:
        quarter_not_set_notice(person=week.person, versions=week.versions, period=week.period)
    elif glance.goals is None:
        st.info(f"No objectives for {week.period} yet.")
    else:
        show_table(
            glance.goals,
            {
                "objective": st.column_config.TextColumn("Objective", width="medium"),
                "owner": st.column_config.TextColumn("Owner", width="small"),
                "progress": st.column_config.ProgressColumn(
                    "Progress", min_value=0, max_value=100, format="%d %%", width=110
                ),
                "expected": st.column_config.TextColumn("Expected by now", width="small"),
                "status": st.column_config.TextColumn("Status", width="small"),
                "attention": st.column_config.TextColumn("Key results", width="medium"),
            },
        )
    if week.has_goals:
        st.page_link("pages/goals.py", label="Open Goals", icon=":material/flag:")

    st.header(f"Roadmap for {week.period} at a glance")
    cols = st.columns(len(HORIZONS))
    for column, name in zip(cols, HORIZONS, strict=True):
        column.metric(HORIZON_LABELS[name], glance.counts[name])
    top = st.columns(2, gap="large")
    for column, heading, rows, label in (
        (top[0], "Under way now", glance.now, "Target"),
        (top[1], "Coming next", glance.coming_next, "Starts"),
        (st.container(), "Shipped this quarter", glance.shipped, "Shipped"),
    ):
        with column:
            st.markdown(f"**{heading}**")
            if rows is None:
                st.caption("Nothing here.")
                continue
            show_table(
                rows,
                {
                    "initiative": st.column_config.TextColumn("Initiative", width="medium"),
                    "owner": st.column_config.TextColumn("Owner", width="small"),
                    "when": st.column_config.DateColumn(label, format="D MMM YYYY", width=95),
                },
            )
    st.page_link("pages/roadmap.py", label="Open the full roadmap", icon=":material/timeline:")
