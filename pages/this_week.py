"""This week, the landing page, for whoever is looking: a member sees what they owe (overdue
status updates and due check-ins, each listed in a table, with one short form for the item
picked above it); a director sees that too plus what needs attention across the team; a
stakeholder sees the quarter's goals and the roadmap at a glance."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from planning import clock
from planning.access.permissions import PermissionDenied, is_director
from planning.okrs.goal_rules import GoalError
from planning.okrs.goals import post_check_in
from planning.periods import iso_week, quarter_of
from planning.reports.this_week import DueCheckIn, OwedUpdate
from planning.store.engine import session_scope
from planning.store.models import PersonRead, Role
from planning.store.versioning import ConflictError
from planning.validation import InputError
from planning.work.initiative_status import status_label
from planning.work.roadmap import HORIZON_LABELS, HORIZONS
from planning.work.status_updates import accept_idea, decline_idea
from ui import dependencies_view, goals_data
from ui import this_week_data as data
from ui.data import store_freshness
from ui.identity import ROLE_LABELS, current_person
from ui.notification_prefs import preference_form, preview
from ui.nudge_link import form_in_address
from ui.quarter_draft_view import quarter_not_set_notice
from ui.setup import connect_data_step
from ui.state import app_config, clear_after_write, engine, live_refresh, versions
from ui.status_update_form import (
    health_label,
    save_status_update,
    status_update_inputs,
)
from ui.text import escape_markdown, refusal_message

FLASH = "this_week_flash"
REFUSALS = (InputError, GoalError, PermissionDenied, ConflictError)
UPDATE_PICK = "tw_update_pick"
CHECK_IN_PICK = "tw_check_in_pick"
IDEA_PICK = "tw_idea_pick"
# The widget fields of each form; a widget's key is `tw_{field}_{id}` (ui/status_update_form.py).
UPDATE_FIELDS = ("status", "health", "percent", "note")
CHECK_IN_FIELDS = ("confidence", "value", "done", "check_in_note")

config = app_config()
fiscal = config.settings.fiscal_year_start_month
every_days = config.settings.updates.stale_after_days
today = clock.today()
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
if store_freshness(current).latest_day is None:
    connect_data_step(person)  # a new store: the next step is its data
# A reminder's link names the form to pick; it never signs in or writes (ui/nudge_link.py).
linked = form_in_address(person)


def _saved(message: str, forget: tuple[str, ...], picker: str, following: int | None) -> None:
    """After a write: the flash message, the posted item's inputs forgotten, the picker moved
    on to the item that followed it, fresh reads."""
    st.session_state[FLASH] = message
    for key in forget:
        st.session_state.pop(key, None)
    st.session_state[f"{picker}_next"] = following
    st.session_state.pop(f"{picker}_shown", None)  # it leaves the list because it was posted
    clear_after_write()
    st.rerun()


def _count(number: int, noun: str) -> str:
    """'1 check-in', '2 check-ins', '' for none."""
    return "" if number == 0 else f"{number} {noun}{'' if number == 1 else 's'}"


def _following(ids: Sequence[int], done: int) -> int | None:
    """The item to pick once `done` leaves the list: the next one, else the one before."""
    at = ids.index(done)
    rest = [*ids[at + 1 :], *reversed(ids[:at])]
    return rest[0] if rest else None


def _pick(
    actor: PersonRead, picker: str, label: str, titles: dict[int, str], fields: Sequence[str]
) -> int:
    """The item whose form is shown, chosen by title (the most overdue first).

    Streamlit forgets a widget's value once it is not drawn, so the inputs of the item put aside
    are kept in `{picker}_drafts` and put back when it is picked again: a refused post's note
    survives looking at another item in between. `{picker}_shown` remembers (person, item,
    title) of the form on screen, for this and for `_left_unposted`.
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


def _left_unposted(
    actor: PersonRead, picker: str, titles: dict[int, str], note_field: str, what: str
) -> None:
    """Say so when the item whose form this person had open left the list without them
    posting (someone else posted or changed it), and hand back the note they had written."""
    shown = st.session_state.get(f"{picker}_shown")
    if shown is None or shown[0] != actor.id or shown[1] in titles:
        return
    del st.session_state[f"{picker}_shown"]
    _, item_id, title = shown
    message = (
        f"“{escape_markdown(title)}” left your list before you posted: it no longer needs "
        f"{what} from you, because someone else posted one or changed it."
    )
    note = st.session_state.get(f"tw_{note_field}_{item_id}")
    if isinstance(note, str) and note.strip():
        st.warning(message + " Your note was not posted; here it is to copy:")
        st.code(note, language=None, wrap_lines=True)
    else:
        st.info(message)


# --- what I owe --------------------------------------------------------------------------------


def _update_form(actor: PersonRead, item: OwedUpdate, ids: Sequence[int]) -> None:
    tag = str(item.initiative_id)
    version_key = f"tw_version_{tag}"
    seen = st.session_state.setdefault(version_key, item.version)
    target = f"target {item.target_date:%d %b %Y}" if item.target_date else "no target date"
    with st.form(f"tw_update_{tag}"):
        st.caption(
            f"Now {status_label(item.status)}, {health_label(item.health)}, "
            f"{item.percent_complete} % · last update "
            f"{data.ago(item.days_since_update, item.last_update_at)} · {target}"
        )
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
            refusal_message(exc)
            + " Your note is kept; post it again to save it on the latest version."
        )
        st.session_state.pop(version_key, None)  # the next run starts from the latest version
    except REFUSALS as exc:
        st.error(refusal_message(exc))
    else:
        _saved(
            f"Status update posted on “{escape_markdown(item.title)}”.",
            forget=(version_key, *(f"tw_{field}_{tag}" for field in UPDATE_FIELDS)),
            picker=UPDATE_PICK,
            following=_following(ids, item.initiative_id),
        )


def _check_in_form(actor: PersonRead, item: DueCheckIn, ids: Sequence[int]) -> None:
    tag = str(item.key_result_id)
    with st.form(f"tw_check_in_{tag}"):
        st.caption(
            escape_markdown(
                f"Key result of “{item.objective}” · last check-in "
                f"{data.ago(item.days_since_check_in, item.last_check_in_at)}"
                + (
                    f", confidence {item.last_confidence}/10"
                    if item.last_confidence is not None
                    else ""
                )
            )
        )
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
        st.error(refusal_message(exc))
    else:
        _saved(
            f"Check-in posted on “{escape_markdown(item.title)}”.",
            forget=tuple(f"tw_{field}_{tag}" for field in CHECK_IN_FIELDS),
            picker=CHECK_IN_PICK,
            following=_following(ids, item.key_result_id),
        )


def what_i_owe(actor: PersonRead, *, always: bool) -> None:
    """The person's overdue updates and due check-ins: a table of each, and one form for the
    item picked above it."""
    owing = data.owed(current, actor.id, today)
    owed = owing.owed
    update_titles = {u.initiative_id: u.title for u in owed.updates}
    check_in_titles = {c.key_result_id: c.title for c in owed.check_ins}
    _left_unposted(actor, UPDATE_PICK, update_titles, "note", "a status update")
    _left_unposted(actor, CHECK_IN_PICK, check_in_titles, "check_in_note", "a check-in")
    if linked is not None:
        kind, item_id = linked
        titles, picker = (
            (check_in_titles, CHECK_IN_PICK) if kind == "check_in" else (update_titles, UPDATE_PICK)
        )
        if item_id in titles:
            st.session_state[f"{picker}_next"] = item_id
        else:
            st.info("The item your reminder pointed to is no longer owed: nothing to post there.")
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
        "check-in as often. Pick one, fill in its form, and it leaves the list in one click."
    )
    if owing.updates is not None:
        st.subheader("Status updates owed")
        st.dataframe(
            owing.updates,
            hide_index=True,
            width="stretch",
            column_config={
                "initiative": st.column_config.TextColumn("Initiative", width="large"),
                "status": st.column_config.TextColumn("Status", width="small"),
                "health": st.column_config.TextColumn("Health", width="small"),
                "percent": st.column_config.NumberColumn("% complete", format="%d %%", width=95),
                "last_update": st.column_config.TextColumn("Last update", width="medium"),
                "target": st.column_config.DateColumn("Target", format="D MMM YYYY"),
            },
        )
        chosen = _pick(actor, UPDATE_PICK, "Post an update on", update_titles, UPDATE_FIELDS)
        item = next(u for u in owed.updates if u.initiative_id == chosen)
        _update_form(actor, item, list(update_titles))
    if owing.check_ins is not None:
        st.subheader("Check-ins due")
        st.dataframe(
            owing.check_ins,
            hide_index=True,
            width="stretch",
            column_config={
                "key_result": st.column_config.TextColumn("Key result", width="large"),
                "objective": st.column_config.TextColumn("Objective", width="medium"),
                "last_check_in": st.column_config.TextColumn("Last check-in", width="medium"),
                "confidence": st.column_config.TextColumn("Confidence", width="small"),
            },
        )
        chosen = _pick(actor, CHECK_IN_PICK, "Check in on", check_in_titles, CHECK_IN_FIELDS)
        due = next(c for c in owed.check_ins if c.key_result_id == chosen)
        _check_in_form(actor, due, list(check_in_titles))


def idea_news(actor: PersonRead) -> None:
    """How a director triaged the ideas this person proposed, in the last two weeks."""
    outcomes = data.idea_outcomes(current, actor.id, today)
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


# --- director ----------------------------------------------------------------------------------


def triage(actor: PersonRead) -> None:
    """Ideas members proposed, each accepted to the backlog or declined with a reason."""
    ideas = data.ideas(current)
    if not ideas:
        return
    st.header("Ideas to triage")
    st.caption(
        f"{_count(len(ideas), 'idea')} proposed and waiting for a yes or no. Accept one to the "
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
        _saved(
            f"“{escape_markdown(idea.title)}” {outcome}.",
            forget=(f"tw_reason_{chosen}",),
            picker=IDEA_PICK,
            following=_following(list(titles), chosen),
        )


def attention() -> None:
    """What needs a director's attention across the team."""
    brief = data.attention(current, period, today)
    st.header("Needs attention")
    cols = st.columns(4)
    # No objectives yet: no key results to count, rather than a reassuring zero.
    cols[0].metric("Key results off track", brief.off_track if quarter_has_goals else "—")
    cols[1].metric("Key results at risk", brief.at_risk if quarter_has_goals else "—")
    cols[2].metric("Status updates overdue", brief.stale)
    cols[3].metric("Blocked initiatives", brief.blocked)

    st.subheader("Key results off track or at risk")
    if not quarter_has_goals:
        quarter_not_set_notice(person=person, versions=current, period=period)
    elif brief.key_results is None:
        st.success(f"Every key result of {period} is on track (or too early to tell).")
    else:
        st.dataframe(
            brief.key_results,
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
    if quarter_has_goals:
        st.page_link("pages/goals.py", label="Open Goals", icon=":material/flag:")

    st.subheader("Status updates overdue")
    if brief.stale_rows is None:
        st.success(f"Every initiative under way was updated in the last {every_days} days.")
    else:
        st.dataframe(
            brief.stale_rows,
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
    if brief.blocked_rows is None:
        st.success("Nothing is blocked.")
    else:
        st.dataframe(
            brief.blocked_rows,
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
            st.dataframe(
                brief.changes,
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
    glance = data.glance(current, period, today)
    st.header(f"Goals for {period}")
    if not quarter_has_goals:
        quarter_not_set_notice(person=person, versions=current, period=period)
    elif glance.goals is None:
        st.info(f"No objectives for {period} yet.")
    else:
        st.dataframe(
            glance.goals,
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
    if quarter_has_goals:
        st.page_link("pages/goals.py", label="Open Goals", icon=":material/flag:")

    st.header(f"Roadmap for {period} at a glance")
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
            st.dataframe(
                rows,
                hide_index=True,
                width="stretch",
                column_config={
                    "initiative": st.column_config.TextColumn("Initiative", width="medium"),
                    "owner": st.column_config.TextColumn("Owner", width="small"),
                    "when": st.column_config.DateColumn(label, format="D MMM YYYY", width=95),
                },
            )
    st.page_link("pages/roadmap.py", label="Open the full roadmap", icon=":material/timeline:")


quarter_goals = goals_data.period_goals(current, period, today)
# A running quarter nobody has set goals for yet (its first days): say so instead of "all clear".
quarter_has_goals = bool(quarter_goals.objectives) or quarter_goals.closed
if person.role == Role.stakeholder or not person.active:
    summary()
elif director:
    idea_news(person)
    what_i_owe(person, always=False)
    dependencies_view.news_section(versions=current, owner_id=person.id, today=today)
    triage(person)
    attention()
else:
    if not quarter_has_goals:
        quarter_not_set_notice(person=person, versions=current, period=period)
    idea_news(person)
    what_i_owe(person, always=True)
    dependencies_view.news_section(versions=current, owner_id=person.id, today=today)

if person.active:
    with st.expander("My reminders and digests", icon=":material/notifications:"):
        st.caption(
            "Quarterdeck tells you on the check-in day what you owe, only when you owe something, "
            "by the channel you choose here. Pause it for a while or opt out at any time."
        )
        preference_form(person, person.id, person.name, key="tw_notify_pref", flash=FLASH)
        if st.toggle("Show what I would receive this week", key="tw_notify_preview"):
            preview(person.id, "you")

live_refresh()
