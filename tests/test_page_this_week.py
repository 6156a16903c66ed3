"""This week under AppTest on a copy of the demo store: the landing page for each role (a member's
"what I owe": a table of what is owed and one one-click form for the item picked above it; a
director's attention list; a stakeholder's summary), the demo identity picker, and people's text
shown as text."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
import streamlit as st
from PIL import ImageFont
from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning import clock
from planning.config import default_config
from planning.okrs.evaluation import period_goals
from planning.periods import iso_week, quarter_bounds, quarter_of
from planning.reports.this_week import Owed, director_brief, goals_summary, what_i_owe
from planning.store.engine import (
    PLAN,
    bump_version,
    create_store_engine,
    read_engine,
    session_scope,
)
from planning.store.models import (
    CheckIn,
    Health,
    Initiative,
    InitiativeStatus,
    KeyResult,
    KrKind,
    Objective,
    Person,
    PersonRead,
    Role,
    StatusUpdate,
    WeeklyPlan,
)
from planning.work.initiative_input import NewStatusUpdate
from planning.work.initiative_reads import get_initiative, initiative_detail
from planning.work.initiative_status import HEALTH_LABELS, status_label
from planning.work.roadmap import HORIZON_LABELS, RoadmapFilters, roadmap_items, summarise
from planning.work.status_updates import post_status_update
from tests.app_pages import APP, people, submit_form
from tests.config_support import GERMAN_TEAM, config_copy
from tests.conftest import demo_app_on
from tests.page_text import TRICKS, assert_shown_as_text, headers, plain
from tests.planning_seed import commit_plan, edit_initiative
from ui.tables import WRAPPING_ROW_HEIGHT

CONFIG = default_config()
EVERY = CONFIG.settings.updates.stale_after_days


def today() -> date:
    """The day the page runs on (it reads the clock, like every page)."""
    return clock.today()


def owed(engine: Engine, person_id: int) -> Owed:
    with Session(read_engine(engine)) as session:
        return what_i_owe(session=session, person_id=person_id, today=today(), every_days=EVERY)


def member_who_owes_updates(engine: Engine, at_least: int = 1) -> tuple[PersonRead, Owed]:
    for member in people(engine, Role.member):
        found = owed(engine, member.id)
        if len(found.updates) >= at_least:
            return member, found
    raise AssertionError(f"the demo store should have a member owing {at_least}+ status updates")


def open_page(person_id: int) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = person_id
    at.run()
    if at.title[0].value != "This week":  # stakeholders land on the Roadmap
        at.switch_page("pages/this_week.py").run()
    assert not at.exception
    assert at.title[0].value == "This week"
    return at


def test_this_week_is_where_the_team_lands(app_store: str) -> None:
    engine = create_store_engine(app_store)
    for person in (*people(engine, Role.director), people(engine, Role.member)[0]):
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["demo_person_id"] = person.id
        at.run()
        assert not at.exception
        assert at.title[0].value == "This week"


def posting_forms(at: AppTest) -> list[object]:
    """The forms that post work (updates, check-ins, triage): every form but the person's own
    notification preferences ("My reminders and digests")."""
    return [f for f in at.get("form") if "tw_notify_pref_" not in str(f)]


def update_count(engine: Engine) -> int:
    with Session(read_engine(engine)) as session:
        return int(session.execute(select(func.count()).select_from(StatusUpdate)).scalar_one())


def check_in_count(engine: Engine, key_result_id: int) -> int:
    with Session(read_engine(engine)) as session:
        query = (
            select(func.count()).select_from(CheckIn).where(CheckIn.key_result_id == key_result_id)
        )
        return int(session.execute(query).scalar_one())


def forms(at: AppTest, prefix: str) -> list[str]:
    """The forms on the page whose key starts with `prefix`."""
    return sorted({b.form_id for b in at.button if b.form_id.startswith(prefix)})


def table_with(at: AppTest, column: str) -> list[str]:
    """The first column of the table that has `column`, top to bottom."""
    frame = next(d.value for d in at.dataframe if column in d.value.columns)
    return list(frame.iloc[:, 0])


def test_member_posts_an_owed_update_which_then_leaves_the_list(app_store: str) -> None:
    engine = create_store_engine(app_store)
    member, found = member_who_owes_updates(engine, at_least=2)
    item, following = found.updates[0], found.updates[1]
    form = f"tw_update_{item.initiative_id}"
    at = open_page(member.id)
    assert "What I owe" in headers(at)
    assert f"you are {member.name} (Member)" in plain(at.caption[0].value)
    # Every owed update is a row of the table, most overdue first; one form, for the first.
    assert table_with(at, "last_update") == [u.title for u in found.updates]
    picker = at.selectbox(key="tw_update_pick")
    assert picker.label == "Post an update on"
    assert picker.options == [u.title for u in found.updates]
    assert picker.value == item.initiative_id
    assert forms(at, "tw_update_") == [form]

    # An empty note is refused with a message; nothing is written; the choices stay as typed.
    before = update_count(engine)
    at.selectbox(key=f"tw_health_{item.initiative_id}").set_value("at_risk")
    at.slider(key=f"tw_percent_{item.initiative_id}").set_value(60)
    submit_form(at, form)
    assert not at.exception
    assert "a note is required" in plain(at.error[0].value)
    assert update_count(engine) == before
    assert at.selectbox(key=f"tw_health_{item.initiative_id}").value == "at_risk"
    assert at.slider(key=f"tw_percent_{item.initiative_id}").value == 60

    note = "Payment provider API is slow; testing a fallback this week."
    at.text_area(key=f"tw_note_{item.initiative_id}").input(note)
    submit_form(at, form)
    assert not at.exception
    assert plain(at.success[0].value) == f"Status update posted on “{item.title}”."
    assert update_count(engine) == before + 1
    # Gone from what I owe (table and picker); the picker moved on to the next item.
    remaining = owed(engine, member.id)
    assert item.initiative_id not in {u.initiative_id for u in remaining.updates}
    assert table_with(at, "last_update") == [u.title for u in remaining.updates]
    assert item.title not in at.selectbox(key="tw_update_pick").options
    assert at.selectbox(key="tw_update_pick").value == following.initiative_id
    assert forms(at, "tw_update_") == [f"tw_update_{following.initiative_id}"]
    # The next item's form starts from its own values, not what was posted on the first.
    assert at.text_area(key=f"tw_note_{following.initiative_id}").value == ""
    assert at.slider(key=f"tw_percent_{following.initiative_id}").value == (
        following.percent_complete
    )

    # History is kept with author and time; the initiative takes the latest update's values.
    with Session(read_engine(engine)) as session:
        stored = get_initiative(session=session, initiative_id=item.initiative_id)
        detail = initiative_detail(session=session, initiative_id=item.initiative_id)
    assert stored is not None and detail is not None
    assert (stored.health, stored.percent_complete) == (Health.at_risk, 60)
    latest = detail.updates.iloc[0]
    assert (latest["author"], latest["note"], latest["health"]) == (member.name, note, "at_risk")
    assert clock.utcnow() - latest["at"].to_pydatetime() < timedelta(minutes=5)
    assert len(detail.updates) >= 2  # the earlier updates are still there


def test_picking_another_initiative_shows_its_form_and_keeps_the_first_ones_input(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    member, found = member_who_owes_updates(engine, at_least=2)
    first, other = found.updates[0], found.updates[-1]
    health = "at_risk" if first.health == "off_track" else "off_track"
    at = open_page(member.id)
    at.selectbox(key=f"tw_health_{first.initiative_id}").set_value(health)
    submit_form(at, f"tw_update_{first.initiative_id}")  # refused: no note; the choice is on screen
    assert "a note is required" in plain(at.error[0].value)

    at.selectbox(key="tw_update_pick").set_value(other.initiative_id).run()
    assert not at.exception
    assert forms(at, "tw_update_") == [f"tw_update_{other.initiative_id}"]
    assert at.slider(key=f"tw_percent_{other.initiative_id}").value == other.percent_complete
    assert at.selectbox(key=f"tw_health_{other.initiative_id}").value == other.health
    now = next(c.value for c in at.caption if "last update" in c.value)
    assert f"{other.percent_complete} %" in now
    assert table_with(at, "last_update") == [u.title for u in found.updates]  # nothing posted

    at.selectbox(key="tw_update_pick").set_value(first.initiative_id).run()
    assert forms(at, "tw_update_") == [f"tw_update_{first.initiative_id}"]
    assert at.selectbox(key=f"tw_health_{first.initiative_id}").value == health


def test_a_post_on_a_stale_version_is_refused_and_the_note_is_kept(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [director] = people(engine, Role.director)
    member, found = member_who_owes_updates(engine, at_least=2)
    item, other = found.updates[0], found.updates[1]
    form = f"tw_update_{item.initiative_id}"
    at = open_page(member.id)
    note = "Vendor signed; integration starts Monday."
    at.text_area(key=f"tw_note_{item.initiative_id}").input(note)
    # Meanwhile the director edits the initiative: it is still owed, on a newer version.
    edit_initiative(
        engine,
        CONFIG,
        director,
        item.initiative_id,
        item.version,
        description="Scope agreed with the vendor.",
    )
    before = update_count(engine)
    submit_form(at, form)
    assert not at.exception
    message = plain(at.error[0].value)
    assert "Your note is kept; post it again" in message
    assert update_count(engine) == before
    assert at.text_area(key=f"tw_note_{item.initiative_id}").value == note
    # Looking at another initiative and back keeps the note.
    at.selectbox(key="tw_update_pick").set_value(other.initiative_id).run()
    at.selectbox(key="tw_update_pick").set_value(item.initiative_id).run()
    assert at.text_area(key=f"tw_note_{item.initiative_id}").value == note

    submit_form(at, form)  # again: now on the latest version
    assert not at.exception
    assert plain(at.success[0].value) == f"Status update posted on “{item.title}”."
    assert update_count(engine) == before + 1
    with Session(read_engine(engine)) as session:
        detail = initiative_detail(session=session, initiative_id=item.initiative_id)
    assert detail is not None
    assert (detail.updates.iloc[0]["author"], detail.updates.iloc[0]["note"]) == (
        member.name,
        note,
    )


def test_an_item_someone_else_updates_leaves_with_a_notice_and_the_note_handed_back(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    [director] = people(engine, Role.director)
    member, found = member_who_owes_updates(engine)
    item = found.updates[0]
    at = open_page(member.id)
    note = "Supplier feed fixed; 40 SKUs left to map."
    at.text_area(key=f"tw_note_{item.initiative_id}").input(note)
    # Meanwhile the director posts an update on the same initiative: it is no longer owed.
    with session_scope(engine) as session:
        post_status_update(
            session=session,
            actor=director,
            initiative_id=item.initiative_id,
            update=NewStatusUpdate(item.status, item.health, item.percent_complete, "On track."),
            expected_version=item.version,
        )
    before = update_count(engine)

    submit_form(at, f"tw_update_{item.initiative_id}")

    assert not at.exception
    assert update_count(engine) == before  # the member's note was not posted
    [warning] = at.warning
    assert plain(warning.value) == (
        f"“{item.title}” left your list before you posted: it no longer needs a status update "
        "from you, because someone else posted one or changed it. Your note was not posted; "
        "here it is to copy:"
    )
    assert [c.value for c in at.code] == [note]
    assert f"tw_update_{item.initiative_id}" not in forms(at, "tw_update_")
    at.run()  # said once
    assert not at.warning
    assert not at.code


def _make_update_owed(engine: Engine, initiative_id: int) -> None:
    """Move an initiative's status updates back so that the last one is ten days old."""
    cutoff = clock.utcnow() - timedelta(days=10)
    with session_scope(engine) as session:
        rows = session.scalars(
            select(StatusUpdate).where(StatusUpdate.initiative_id == initiative_id)
        )
        for row in rows:
            row.created_at = min(row.created_at, cutoff)
            session.add(row)
        bump_version(session, PLAN)


def test_after_a_post_the_picker_moves_on_to_the_item_that_followed_it(app_store: str) -> None:
    engine = create_store_engine(app_store)
    under_way = (InitiativeStatus.in_progress, InitiativeStatus.blocked)
    with Session(read_engine(engine)) as session:
        running = session.scalars(
            select(Initiative).where(Initiative.status.in_(under_way))  # type: ignore[attr-defined]
        ).all()
    member = next(
        m for m in people(engine, Role.member) if sum(i.owner_id == m.id for i in running) >= 3
    )
    for initiative in running:
        if initiative.owner_id == member.id and initiative.id is not None:
            _make_update_owed(engine, initiative.id)  # set-up: three or more updates owed
    ids = [u.initiative_id for u in owed(engine, member.id).updates]
    assert len(ids) >= 3
    at = open_page(member.id)
    at.selectbox(key="tw_update_pick").set_value(ids[1]).run()
    at.text_area(key=f"tw_note_{ids[1]}").input("Shipped to 10 % of traffic.")
    submit_form(at, f"tw_update_{ids[1]}")
    assert not at.exception
    assert at.selectbox(key="tw_update_pick").value == ids[2]
    assert forms(at, "tw_update_") == [f"tw_update_{ids[2]}"]
    assert len(table_with(at, "last_update")) == len(ids) - 1


def _make_check_in_due(engine: Engine, key_result_id: int) -> None:
    """Move a key result's check-ins back so that the last one is ten days old."""
    cutoff = clock.utcnow() - timedelta(days=10)
    with session_scope(engine) as session:
        rows = session.scalars(select(CheckIn).where(CheckIn.key_result_id == key_result_id))
        for row in rows:
            row.created_at = min(row.created_at, cutoff)
            session.add(row)


def test_member_checks_in_on_a_due_manual_key_result(app_store: str) -> None:
    engine = create_store_engine(app_store)
    period = quarter_of(today())
    with Session(read_engine(engine)) as session:
        krs = session.scalars(
            select(KeyResult)
            .join(Objective, Objective.id == KeyResult.objective_id)
            .join(Person, Person.id == KeyResult.owner_id)
            .where(Objective.period == period, Person.role == Role.member)
            .order_by(KeyResult.id)
        ).all()
    # A manual key result, and another one of the same owner, both due.
    kr = next(k for k in krs if k.kind == KrKind.manual)
    sibling = next(k for k in krs if k.owner_id == kr.owner_id and k.id != kr.id)
    assert kr.id is not None and sibling.id is not None
    _make_check_in_due(engine, kr.id)
    _make_check_in_due(engine, sibling.id)
    owner = next(p for p in people(engine, Role.member) if p.id == kr.owner_id)
    due = owed(engine, owner.id).check_ins
    assert {kr.id, sibling.id} <= {d.key_result_id for d in due}
    form = f"tw_check_in_{kr.id}"
    at = open_page(owner.id)
    assert table_with(at, "last_check_in") == [d.title for d in due]
    picker = at.selectbox(key="tw_check_in_pick")
    assert picker.label == "Check in on"
    assert picker.options == [d.title for d in due]
    picker.set_value(kr.id).run()
    assert forms(at, "tw_check_in_") == [form]
    before = check_in_count(engine, kr.id)

    at.text_area(key=f"tw_check_in_note_{kr.id}").input("Two defects left in the checklist.")
    submit_form(at, form)  # no value: a manual key result's check-in needs one
    assert "needs the current value" in plain(at.error[0].value)
    assert check_in_count(engine, kr.id) == before

    at.text_input(key=f"tw_value_{kr.id}").input("2")
    at.slider(key=f"tw_confidence_{kr.id}").set_value(8)
    submit_form(at, form)
    assert not at.exception
    assert plain(at.success[0].value) == f"Check-in posted on “{kr.title}”."
    assert check_in_count(engine, kr.id) == before + 1
    assert not [b for b in at.button if b.form_id == form]
    assert kr.title not in at.selectbox(key="tw_check_in_pick").options
    left = [d for d in due if d.key_result_id != kr.id]
    assert table_with(at, "last_check_in") == [d.title for d in left]
    assert at.selectbox(key="tw_check_in_pick").value in {d.key_result_id for d in left}
    with Session(read_engine(engine)) as session:
        latest = session.scalars(
            select(CheckIn)
            .where(CheckIn.key_result_id == kr.id)
            .order_by(CheckIn.created_at.desc())  # type: ignore[attr-defined]
        ).first()
    assert latest is not None
    assert (latest.value, latest.confidence, latest.author_id) == (2.0, 8, owner.id)


def test_member_with_nothing_owed_is_told_so(app_store: str) -> None:
    engine = create_store_engine(app_store)
    idle = next((m for m in people(engine, Role.member) if owed(engine, m.id).empty), None)
    assert idle is not None, "the demo store should have a member who is up to date"
    at = open_page(idle.id)
    assert "What I owe" in headers(at)
    assert "All caught up" in at.success[0].value
    assert not posting_forms(at)


def test_director_sees_what_needs_attention(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [director] = people(engine, Role.director)
    period = quarter_of(today())
    # A plan committed last week, then a status change: the director sees it as a change.
    last_week = iso_week(today() - timedelta(days=7))
    commit_plan(engine, CONFIG, director, last_week, CONFIG.scoring.active, replace=True)
    member, found = member_who_owes_updates(engine)
    moved = found.updates[0]
    status = "in_progress" if moved.status == "blocked" else "blocked"
    health = "at_risk" if moved.health == "off_track" else "off_track"
    with session_scope(engine) as session:
        post_status_update(
            session=session,
            actor=director,
            initiative_id=moved.initiative_id,
            update=NewStatusUpdate(status, health, 20, "Waiting for the vendor."),
        )
    with Session(read_engine(engine)) as session:
        evaluation = period_goals(session=session, config=CONFIG, period=period, today=today())
        brief = director_brief(session=session, config=CONFIG, evaluation=evaluation, today=today())
    at = open_page(director.id)
    assert "Needs attention" in headers(at)
    assert ("What I owe" in headers(at)) == (not owed(engine, director.id).empty)
    metrics = {m.label: m.value for m in at.metric}
    off = sum(1 for kr in brief.key_results if kr.status == "off_track")
    assert metrics == {
        "Key results off track": str(off),
        "Key results at risk": str(len(brief.key_results) - off),
        "Status updates overdue": str(len(brief.stale)),
        "Blocked initiatives": str(len(brief.blocked)),
    }
    tables = {tuple(d.value.columns): d.value for d in at.dataframe}
    krs = next(t for cols, t in tables.items() if "key_result" in cols)
    assert list(krs["key_result"]) == [kr.title for kr in brief.key_results]
    # Behind pace by their figures alone: no reason to give, so no empty "Why" column.
    assert ("why" in krs.columns) == any(kr.status_reason for kr in brief.key_results)
    # Rows tall enough for the reason to wrap: it was cut at the column's edge ("Zuversicht…").
    [kr_grid] = [d for d in at.dataframe if "key_result" in d.value.columns]
    assert kr_grid.proto.row_height == WRAPPING_ROW_HEIGHT
    assert brief.key_results, "the demo quarter has key results off track or at risk"
    stale = next(t for cols, t in tables.items() if "days" in cols and "status" in cols)
    assert list(stale["initiative"]) == [s.title for s in brief.stale]
    assert moved.title not in set(stale["initiative"])  # just updated
    blocked = next(t for cols, t in tables.items() if "note" in cols)
    assert list(blocked["initiative"]) == [b.title for b in brief.blocked]
    assert (moved.title in set(blocked["initiative"])) == (status == "blocked")
    changes = next(t for cols, t in tables.items() if "change" in cols)
    mine = changes[changes["initiative"] == moved.title]
    assert set(mine["change"]) == {"Status changed", "Health changed"}
    assert {status_label(status), HEALTH_LABELS[health]} <= set(mine["after"])
    # A director's update counts for the owner too: it is no longer owed.
    assert moved.initiative_id not in {u.initiative_id for u in owed(engine, member.id).updates}


def test_director_without_a_committed_plan_is_told_how_to_start(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [director] = people(engine, Role.director)
    with session_scope(engine) as session:
        session.execute(delete(WeeklyPlan))  # set-up: a team that never committed a plan
        bump_version(session, PLAN)
    at = open_page(director.id)
    assert any("No weekly plan has been committed" in i.value for i in at.info)


def test_stakeholder_sees_a_summary_and_no_forms(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [stakeholder] = people(engine, Role.stakeholder)
    period = quarter_of(today())
    first_day = quarter_bounds(period)[0]
    with Session(read_engine(engine)) as session:
        evaluation = period_goals(session=session, config=CONFIG, period=period, today=today())
        items = roadmap_items(session=session, filters=RoadmapFilters(period), today=today())
    summary = summarise(items, today=today(), recent_days=(today() - first_day).days)
    at = open_page(stakeholder.id)
    assert headers(at) == [f"Goals for {period}", f"Roadmap for {period} at a glance"]
    goals = next(d.value for d in at.dataframe if "objective" in d.value.columns)
    expected = goals_summary(evaluation)
    assert list(goals["objective"]) == list(expected["objective"])
    assert list(goals["progress"]) == [round(100 * p) for p in expected["progress"]]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {HORIZON_LABELS[k]: str(v) for k, v in summary.counts.items()}
    lists = [d.value for d in at.dataframe if "when" in d.value.columns]
    shown = [list(frame["initiative"]) for frame in lists]
    wanted = [summary.now, summary.coming_next, summary.shipped_recently]
    assert shown == [list(frame["title"]) for frame in wanted if not frame.empty]
    assert not posting_forms(at) and not at.text_area and not at.text_input and not at.slider
    assert [b.label for b in at.button] == ["Save preferences"]  # only their own notifications


def test_the_identity_picker_is_labelled_demo_mode_with_each_role(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [director] = people(engine, Role.director)
    [stakeholder] = people(engine, Role.stakeholder)
    at = open_page(director.id)
    sidebar = [plain(m.value) for m in at.sidebar.markdown]
    assert any("Demo mode" in text for text in sidebar)
    picker = at.sidebar.selectbox(key="demo_person_id")
    assert picker.label == "Acting as"
    assert f"{director.name} · Director" in picker.options
    assert f"{stakeholder.name} · Stakeholder" in picker.options
    assert all(
        o.rsplit(" · ", 1)[1] in {"Director", "Member", "Stakeholder"} for o in picker.options
    )
    picker.set_value(stakeholder.id).run()
    assert not at.exception
    assert at.title[0].value == "Roadmap"  # switching to a stakeholder lands on their page
    at.switch_page("pages/this_week.py").run()  # This week then shows them the summary
    assert f"Roadmap for {quarter_of(today())} at a glance" in headers(at)
    assert "Needs attention" not in headers(at)


def test_titles_and_notes_with_html_and_markdown_tricks_show_literally(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [director] = people(engine, Role.director)
    member, found = member_who_owes_updates(engine)
    item = found.updates[0]
    last = item.last_update_at or clock.utcnow() - timedelta(days=EVERY + 1)
    with session_scope(engine) as session:
        # Set-up: the overdue initiative is blocked and both its title and its latest (still
        # overdue) note are full of tricks.
        initiative = session.get(Initiative, item.initiative_id)
        assert initiative is not None
        initiative.title = TRICKS
        initiative.status = InitiativeStatus.blocked
        session.add(initiative)
        session.add(
            StatusUpdate(
                initiative_id=item.initiative_id,
                status=InitiativeStatus.blocked,
                health=Health.off_track,
                percent_complete=10,
                note=TRICKS,
                author_id=member.id,
                created_at=last + timedelta(seconds=1),
            )
        )
        bump_version(session, PLAN)
    boss = open_page(director.id)
    # The overdue table, the blocked table and its latest note show the characters as typed.
    tables = [d.value for d in boss.dataframe]
    overdue = next(t for t in tables if "days" in t.columns and "status" in t.columns)
    blocked = next(t for t in tables if "note" in t.columns)
    assert TRICKS in set(overdue["initiative"])
    assert TRICKS in set(blocked["initiative"]) and TRICKS in set(blocked["note"])
    assert assert_shown_as_text(boss) == 0
    mine = open_page(member.id)
    # The table and the picker show the title as typed; no markdown shows it yet.
    assert TRICKS in table_with(mine, "last_update")
    assert TRICKS in mine.selectbox(key="tw_update_pick").options
    assert assert_shown_as_text(mine) == 0
    mine.selectbox(key="tw_update_pick").set_value(item.initiative_id).run()
    mine.text_area(key=f"tw_note_{item.initiative_id}").input(TRICKS)
    submit_form(mine, f"tw_update_{item.initiative_id}")
    assert not mine.exception
    assert assert_shown_as_text(mine) == 1  # the flash message, every character escaped


# Streamlit's named column widths, in pixels; a heading needs its text plus the cell's padding.
NAMED_WIDTHS = {"small": 75, "medium": 200, "large": 400}
HEADING_PADDING = 16
# Liberation Sans (Arial's metrics) is a little wider than the grid's Source Sans: a heading that
# fits in it fits on screen.
HEADING_FONT = Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")


@pytest.mark.parametrize("team", [{}, GERMAN_TEAM], ids=["English", "German"])
def test_the_directors_key_result_headings_are_whole(
    app_store: str, team: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Owner and Expected by now were "small" columns: "Expected by n…", "Verantwortli…",
    "Bis jetzt erwa…" were cut at 1,366 px. Every heading now fits its column."""
    if not HEADING_FONT.exists():
        pytest.skip(f"{HEADING_FONT} is missing (Debian's fonts-liberation)")
    font = ImageFont.truetype(str(HEADING_FONT), 13)
    monkeypatch.setenv("QUARTERDECK_CONFIG_DIR", str(config_copy(tmp_path / "config", **team)))
    st.cache_resource.clear()
    [director] = people(app_store, Role.director)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = director.id
    at.run()
    assert not at.exception
    [kr_grid] = [d for d in at.dataframe if "key_result" in d.value.columns]
    config = json.loads(kr_grid.proto.columns)
    too_narrow = {
        column["label"]: width
        for column in config.values()
        if "label" in column
        and (width := NAMED_WIDTHS.get(column.get("width"), column.get("width")))
        < font.getlength(column["label"]) + HEADING_PADDING
    }
    assert too_narrow == {}


def test_a_stakeholder_on_a_quarters_first_day_reads_which_key_results_are_too_early(
    demo_store_as_of: Callable[[date], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1 January 2027, the demo loaded that day: 2027-Q1 has its goals and no data yet.
    url = demo_app_on(date(2027, 1, 1), demo_store_as_of, tmp_path, monkeypatch)
    at = open_page(people(url, Role.stakeholder)[0].id)
    goals = next(d.value for d in at.dataframe if "objective" in d.value.columns)
    pairs = zip(goals["status"], goals["attention"], strict=True)
    shown = dict(zip(goals["objective"], pairs, strict=True))
    # Not "all 4 on track" beside "Too early": none of them has data to be judged on yet.
    assert shown["Grow profitable basket size"] == ("⚪ Too early", "all 4 too early to tell")
    assert shown["Grow profitable online revenue"] == ("⚪ Too early", "1 too early to tell")
    # A milestone signed off counts as on track; the metric ones wait for data.
    assert shown["Win discovery through SEO and content"][1] == "1 on track, 4 too early to tell"
