"""This week, the landing page, for whoever is looking: a member sees what they owe (overdue
status updates and due check-ins, each with a short form); a director sees that too plus what
needs attention across the team; a stakeholder sees the quarter's goals and the roadmap at a
glance."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from planning.goals import GoalError, post_check_in
from planning.initiatives import (
    status_label,
)
from planning.models import PersonRead, Role
from planning.periods import iso_week, quarter_bounds, quarter_of
from planning.permissions import PermissionDenied, is_director
from planning.roadmap import HORIZON_LABELS, HORIZONS, RoadmapFilters, summarise
from planning.store import session_scope
from planning.this_week import DueCheckIn, OwedUpdate, goals_summary
from planning.validation import InputError
from planning.versioning import ConflictError
from planning.weekly_plan import diff_frame
from ui import goals_data, roadmap_data
from ui import this_week_data as data
from ui.goals_charts import STATUS_LABELS, share
from ui.identity import ROLE_LABELS, current_person
from ui.state import app_config, clear_after_write, engine, live_refresh, versions
from ui.status_update_form import (
    health_label,
    refusal_message,
    save_status_update,
    status_update_inputs,
)
from ui.text import escape_markdown

FLASH = "this_week_flash"
REFUSALS = (InputError, GoalError, PermissionDenied, ConflictError)
STATUS_ICONS = {"on_track": "🟢", "at_risk": "🟠", "off_track": "🔴", "too_early": "⚪"}

config = app_config()
fiscal = config.settings.fiscal_year_start_month
every_days = config.settings.updates.stale_after_days
today = date.today()
current = versions()
period = quarter_of(today, fiscal)
st.title("This week")
person = current_person()
if person is None:
    st.info("Nobody is on the team yet. Add people in Admin, or load the demo data.")
    st.stop()
assert person is not None
director = is_director(person)
st.caption(
    escape_markdown(
        f"{today:%A %d %B %Y} · week {iso_week(today)} · {period} · "
        f"you are {person.name} ({ROLE_LABELS[person.role.value]})"
    )
)
flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(flash)


_problems = refusal_message


def _saved(message: str, forget: tuple[str, ...] = ()) -> None:
    st.session_state[FLASH] = message
    for key in forget:
        st.session_state.pop(key, None)
    clear_after_write()
    st.rerun()


def _ago(days: int | None, moment: datetime | None) -> str:
    if days is None or moment is None:
        return "never"
    return f"{days} days ago ({moment:%d %b})"


def _count(number: int, noun: str) -> str:
    """'1 check-in', '2 check-ins', '' for none."""
    return "" if number == 0 else f"{number} {noun}{'' if number == 1 else 's'}"


_health = health_label


# --- what I owe --------------------------------------------------------------------------------


def _update_form(actor: PersonRead, item: OwedUpdate) -> None:
    tag = str(item.initiative_id)
    version_key = f"tw_version_{tag}"
    seen = st.session_state.setdefault(version_key, item.version)
    with st.container(border=True):
        st.markdown(f"**{escape_markdown(item.title)}**")
        target = f"target {item.target_date:%d %b %Y}" if item.target_date else "no target date"
        st.caption(
            f"Status update owed · now {status_label(item.status)}, {_health(item.health)}, "
            f"{item.percent_complete} % · last update "
            f"{_ago(item.days_since_update, item.last_update_at)} · {target}"
        )
        with st.form(f"tw_update_{tag}"):
            update = status_update_inputs(
                status=item.status,
                health=item.health,
                percent_complete=item.percent_complete,
                director=director,
                key_prefix="tw",
                tag=tag,
                placeholder="One line on what moved since the last update, and what is in the way",
                note_height=80,
            )
            sent = st.form_submit_button("Post update", type="primary")
    if not sent:
        return
    try:
        save_status_update(
            actor=actor, initiative_id=item.initiative_id, update=update, expected_version=seen
        )
    except ConflictError as exc:
        st.error(
            _problems(exc) + " Your note is kept; post it again to save it on the latest version."
        )
        st.session_state.pop(version_key, None)  # the next run starts from the latest version
    except REFUSALS as exc:
        st.error(_problems(exc))
    else:
        _saved(
            f"Status update posted on “{escape_markdown(item.title)}”.",
            forget=(version_key, f"tw_note_{tag}", f"tw_status_{tag}", f"tw_health_{tag}"),
        )


def _check_in_form(actor: PersonRead, item: DueCheckIn) -> None:
    tag = str(item.key_result_id)
    with st.container(border=True):
        st.markdown(f"**{escape_markdown(item.title)}**")
        st.caption(
            escape_markdown(
                f"Check-in due · key result of “{item.objective}” · last check-in "
                f"{_ago(item.days_since_check_in, item.last_check_in_at)}"
                + (
                    f", confidence {item.last_confidence}/10"
                    if item.last_confidence is not None
                    else ""
                )
            )
        )
        with st.form(f"tw_check_in_{tag}"):
            cols = st.columns(2)
            confidence = cols[0].slider(
                "Confidence that it lands (0–10)",
                0,
                10,
                value=item.last_confidence if item.last_confidence is not None else 5,
                key=f"tw_confidence_{tag}",
            )
            value = None
            finished = None
            if item.kind == "manual":
                value = cols[1].number_input(
                    f"Current value{f' ({item.unit})' if item.unit else ''} (required)",
                    value=None,
                    format="%.4g",
                    key=f"tw_value_{tag}",
                )
            elif item.kind == "milestone":
                finished = cols[1].checkbox("Done", value=False, key=f"tw_done_{tag}")
            note = st.text_area(
                "Note (required)",
                max_chars=2000,
                height=80,
                placeholder="What moved since last week, what is in the way",
                key=f"tw_check_in_note_{tag}",
            )
            sent = st.form_submit_button("Post check-in", type="primary")
    if not sent:
        return
    try:
        with session_scope(engine()) as session:
            post_check_in(
                session=session,
                actor=actor,
                key_result_id=item.key_result_id,
                confidence=confidence,
                note=note,
                value=value,
                done=finished or None,
            )
    except REFUSALS as exc:
        st.error(_problems(exc))
    else:
        _saved(
            f"Check-in posted on “{escape_markdown(item.title)}”.",
            forget=(f"tw_check_in_note_{tag}", f"tw_value_{tag}", f"tw_confidence_{tag}"),
        )


def what_i_owe(actor: PersonRead, *, always: bool) -> None:
    """The person's overdue updates and due check-ins, each with its form."""
    owed = data.owed(current, actor.id, today)
    if owed.empty and not always:
        return
    st.header("What I owe")
    if owed.empty:
        st.success(
            f"All caught up: every initiative you run has a status update from the last "
            f"{every_days} days and every key result you own has a recent check-in."
        )
        return
    parts = [
        _count(len(owed.updates), "status update"),
        _count(len(owed.check_ins), "check-in"),
    ]
    st.caption(
        f"{' and '.join(p for p in parts if p)} to post. Status updates are owed every "
        f"{every_days} days while work is under way; key results of the running quarter take a "
        "check-in as often. Each form saves in one click."
    )
    for item in owed.updates:
        _update_form(actor, item)
    for due in owed.check_ins:
        _check_in_form(actor, due)


# --- director ----------------------------------------------------------------------------------


def attention() -> None:
    """What needs a director's attention across the team."""
    evaluation = goals_data.period_goals(current, period, today)
    brief = data.director_brief(current, today, evaluation, period)
    st.header("Needs attention")
    cols = st.columns(4)
    off = sum(1 for kr in brief.key_results if kr.status == "off_track")
    cols[0].metric("Key results off track", off)
    cols[1].metric("Key results at risk", len(brief.key_results) - off)
    cols[2].metric("Status updates overdue", len(brief.stale))
    cols[3].metric("Blocked initiatives", len(brief.blocked))

    st.subheader("Key results off track or at risk")
    if not brief.key_results:
        st.success(f"Every key result of {period} is on track (or too early to tell).")
    else:
        titles = {o.objective_id: o.title for o in evaluation.objectives}
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "status": f"{STATUS_ICONS[kr.status]} {STATUS_LABELS[kr.status]}",
                        "key_result": kr.title,
                        "objective": titles.get(kr.objective_id, ""),
                        "owner": kr.owner,
                        "progress": share(kr.progress),
                        "expected": share(kr.expected),
                        "why": kr.status_reason,
                    }
                    for kr in brief.key_results
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "status": st.column_config.TextColumn("Status", width="small"),
                "key_result": st.column_config.TextColumn("Key result", width="medium"),
                "objective": st.column_config.TextColumn("Objective", width="medium"),
                "owner": st.column_config.TextColumn("Owner", width="small"),
                "progress": st.column_config.TextColumn("Progress", width="small"),
                "expected": st.column_config.TextColumn("Expected by now", width="small"),
                "why": st.column_config.TextColumn("Why", width="medium"),
            },
        )
    st.page_link("pages/goals.py", label="Open Goals", icon=":material/flag:")

    st.subheader("Status updates overdue")
    if not brief.stale:
        st.success(f"Every initiative under way was updated in the last {every_days} days.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "initiative": s.title,
                        "owner": s.owner,
                        "status": status_label(s.status),
                        "health": _health(s.health),
                        "days": s.days_since_update,
                    }
                    for s in brief.stale
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "initiative": st.column_config.TextColumn("Initiative", width="medium"),
                "owner": "Owner",
                "status": "Status",
                "health": "Health",
                "days": st.column_config.NumberColumn("Days since update", format="%d"),
            },
        )
    st.subheader("Blocked")
    if not brief.blocked:
        st.success("Nothing is blocked.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "initiative": b.title,
                        "owner": b.owner,
                        "days": b.days_blocked,
                        "note": b.last_note,
                    }
                    for b in brief.blocked
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "initiative": st.column_config.TextColumn("Initiative", width="medium"),
                "owner": "Owner",
                "days": st.column_config.NumberColumn("Days blocked", format="%d"),
                "note": st.column_config.TextColumn("Latest note", width="large"),
            },
        )
    st.page_link("pages/initiatives.py", label="Open Initiatives", icon=":material/checklist:")

    st.subheader("Since the last committed plan")
    plan = brief.plan
    if plan is None or plan.previous is None:
        st.info(
            "No weekly plan has been committed before this week yet. Commit one in Weekly "
            "planning; from then on this shows what moved."
        )
    else:
        shown = "this week's committed plan" if plan.current_committed else "the live backlog"
        st.caption(
            f"{shown.capitalize()} ({plan.week}) against the plan committed for "
            f"{plan.previous.week}."
        )
        changes = diff_frame(plan.changes)
        if changes.empty:
            st.success("Nothing changed since the last plan.")
        else:
            st.dataframe(
                changes[["initiative", "change", "before", "after"]],
                hide_index=True,
                width="stretch",
                column_config={
                    "initiative": st.column_config.TextColumn("Initiative", width="medium"),
                    "change": "Change",
                    "before": "Before",
                    "after": "After",
                },
            )
    st.page_link("pages/planning.py", label="Open Weekly planning", icon=":material/view_kanban:")


# --- stakeholder -------------------------------------------------------------------------------


def summary() -> None:
    """The quarter's goals and the roadmap, in a few lines."""
    evaluation = goals_data.period_goals(current, period, today)
    st.header(f"Goals for {period}")
    goals = goals_summary(evaluation)
    if goals.empty:
        st.info(f"No objectives for {period} yet.")
    else:
        st.dataframe(
            goals.assign(
                status=[f"{STATUS_ICONS[s]} {STATUS_LABELS[s]}" for s in goals["status"]],
                progress=[None if pd.isna(p) else round(100 * p) for p in goals["progress"]],
                expected=goals["expected"].map(share),
                attention=[
                    f"{o} off track, {r} at risk (of {n})" if o or r else f"all {n} on track"
                    for o, r, n in zip(
                        goals["off_track"], goals["at_risk"], goals["key_results"], strict=True
                    )
                ],
            )[["objective", "owner", "progress", "expected", "status", "attention"]],
            hide_index=True,
            width="stretch",
            column_config={
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
    st.page_link("pages/goals.py", label="Open Goals", icon=":material/flag:")

    st.header(f"Roadmap for {period} at a glance")
    first_day = quarter_bounds(period, fiscal)[0]
    items = roadmap_data.items(current, RoadmapFilters(quarter=period), today)
    roadmap = summarise(items, today=today, recent_days=(today - first_day).days)
    cols = st.columns(len(HORIZONS))
    for column, name in zip(cols, HORIZONS, strict=True):
        column.metric(HORIZON_LABELS[name], roadmap.counts[name])
    top = st.columns(2, gap="large")
    for column, heading, frame, when, label in (
        (top[0], "Under way now", roadmap.now, "target_date", "Target"),
        (top[1], "Coming next", roadmap.coming_next, "start_date", "Starts"),
        (
            st.container(),
            "Shipped this quarter",
            roadmap.shipped_recently,
            "shipped_date",
            "Shipped",
        ),
    ):
        with column:
            st.markdown(f"**{heading}**")
            if frame.empty:
                st.caption("Nothing here.")
                continue
            st.dataframe(
                pd.DataFrame(
                    {"initiative": frame["title"], "owner": frame["owner"], "when": frame[when]}
                ),
                hide_index=True,
                width="stretch",
                column_config={
                    "initiative": st.column_config.TextColumn("Initiative", width="medium"),
                    "owner": st.column_config.TextColumn("Owner", width="small"),
                    "when": st.column_config.DateColumn(label, format="D MMM YYYY", width=95),
                },
            )
    st.page_link("pages/roadmap.py", label="Open the full roadmap", icon=":material/timeline:")


if person.role == Role.stakeholder or not person.active:
    summary()
elif director:
    what_i_owe(person, always=False)
    attention()
else:
    what_i_owe(person, always=True)

live_refresh()
