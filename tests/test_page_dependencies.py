"""Dependencies on the pages, per role, under AppTest on a copy of the demo store: a director sets
what an initiative waits on and is refused a loop with the loop named; a member edits their own
initiative's dependencies and only reads someone else's; a stakeholder sees them on the Roadmap
(the text on the dependent's row, the red flag when it starts before its blocker ends); Weekly
planning lists each objective's critical path and edits any initiative's dependencies; This week
tells a member when what their work waits on is blocked."""

from __future__ import annotations

import json

from sqlalchemy import Engine, delete, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning import clock
from planning.config import default_config
from planning.periods import quarter_of
from planning.store.engine import create_store_engine, read_engine, session_scope
from planning.store.models import Initiative, InitiativeDependency, Role
from planning.work.dependencies import add_dependency, period_critical_paths
from planning.work.roadmap import RoadmapFilters, roadmap_items, timeline_items
from tests.app_pages import click, open_as, people
from tests.page_text import plain
from tests.planning_seed import edit_initiative
from tests.test_page_initiatives import open_page, owned_by
from tests.test_page_roadmap import open_roadmap
from tests.test_page_this_week import open_page as this_week_page
from ui.dependencies_view import path_text


def edges(engine: Engine) -> set[tuple[int, int]]:
    with Session(read_engine(engine)) as session:
        rows = session.execute(
            select(InitiativeDependency.blocker_id, InitiativeDependency.blocked_id)
        ).all()
    return {(int(a), int(b)) for a, b in rows}


def texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "success", "error", "warning", "info")
    return "\n".join(plain(e.value) for kind in kinds for e in getattr(at, kind))


def without_demo_dependencies(engine: Engine) -> None:
    """Start from the demo store without its dependencies, so a test sees only its own."""
    with session_scope(engine) as session:
        session.execute(delete(InitiativeDependency))


def three_of(engine: Engine, owner_id: int) -> list[Initiative]:
    with Session(read_engine(engine)) as session:
        found = session.scalars(
            select(Initiative)
            .where(Initiative.owner_id == owner_id, Initiative.status != "dropped")
            .order_by(Initiative.id)
        ).all()
    assert len(found) >= 3
    return list(found[:3])


def test_a_director_sets_what_an_initiative_waits_on_and_is_refused_a_loop(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    without_demo_dependencies(engine)
    director = people(engine, Role.director)[0]
    member = people(engine, Role.member)[0]
    first, second, third = three_of(engine, member.id)
    at = open_page(director.id, pick=second.id)
    assert "Waits on: nothing" in texts(at)
    at.multiselect(key=f"dep_waits_{second.id}").select(first.id)
    at = click(at, "Save dependencies")
    assert not at.exception
    assert "Dependencies saved: 1 added, 0 removed." in texts(at)
    assert edges(engine) == {(first.id, second.id)}
    assert f"Waits on: #{first.id} {first.title}" in texts(at)

    at = open_page(director.id, pick=first.id)
    assert f"Blocks: #{second.id} {second.title}" in texts(at)
    at.multiselect(key=f"dep_waits_{first.id}").select(second.id)
    at = click(at, "Save dependencies")
    assert f"it cannot both wait on and block #{second.id} {second.title}" in texts(at)

    with session_scope(engine) as session:
        add_dependency(session=session, actor=director, blocker_id=second.id, blocked_id=third.id)
    at = open_page(director.id, pick=first.id)
    at.multiselect(key=f"dep_waits_{first.id}").select(third.id)
    at = click(at, "Save dependencies")
    shown = texts(at)
    assert "Not saved" in shown
    loop = (
        f"#{third.id} {third.title} blocks #{first.id} {first.title} blocks "
        f"#{second.id} {second.title} blocks #{third.id} {third.title}"
    )
    assert loop in shown
    assert edges(engine) == {(first.id, second.id), (second.id, third.id)}


def test_a_member_edits_their_own_initiatives_dependencies_and_reads_others(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    without_demo_dependencies(engine)
    ana, ben = people(engine, Role.member)[:2]
    mine = owned_by(engine, ana.id, "in_progress")
    theirs = owned_by(engine, ben.id, "in_progress")
    at = open_page(ana.id, pick=mine.id)
    at.multiselect(key=f"dep_blocks_{mine.id}").select(theirs.id)
    at = click(at, "Save dependencies")
    assert not at.exception
    assert edges(engine) == {(mine.id, theirs.id)}
    at = open_page(ana.id, pick=theirs.id)
    assert f"Waits on: #{mine.id} {mine.title}" in texts(at)
    assert not any(b.label == "Save dependencies" for b in at.button)


def test_a_stakeholder_sees_dependencies_and_late_starts_on_the_roadmap(app_store: str) -> None:
    engine = create_store_engine(app_store)
    [sue] = people(engine, Role.stakeholder)
    director = people(engine, Role.director)[0]
    quarter = quarter_of(clock.today())
    with Session(read_engine(engine)) as session:
        drawn = timeline_items(
            roadmap_items(
                session=session, filters=RoadmapFilters(quarter=quarter), today=clock.today()
            )
        )
    open_rows = drawn[~drawn["status"].isin(["done", "dropped"])].sort_values("end_date")
    blocker, dependent = open_rows.iloc[-1], open_rows.iloc[0]
    assert dependent["start_date"] < blocker["end_date"]  # a late start, on purpose
    with session_scope(engine) as session:
        add_dependency(
            session=session,
            actor=director,
            blocker_id=int(blocker["id"]),
            blocked_id=int(dependent["id"]),
        )
    at = open_roadmap(sue.id)
    shown = texts(at)
    assert f"{dependent['title']} waits on #{blocker['id']} {blocker['title']}" in shown
    assert "⚑ starts before what it waits on ends" in shown
    marked = []
    for chart in at.get("vega_lite_chart"):
        layers = json.loads(chart.proto.spec)["layer"]
        marked += [layer for layer in layers if layer["mark"].get("type") == "tick"]
    assert marked, "no red tick drawn for the late start"
    assert len(at.form_submit_button) == 0


def test_weekly_planning_lists_each_objectives_critical_path(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    period = quarter_of(clock.today())
    with Session(read_engine(engine)) as session:
        paths = period_critical_paths(session=session, period=period)
    at = open_as(director.id, "pages/planning.py")
    shown = texts(at)
    assert "Critical paths" in [plain(s.value) for s in at.subheader]
    assert paths, "the demo quarter has objectives"
    for title, path in paths:
        assert title in shown
        assert (path_text(path) if path else "no dated work yet") in shown


def test_this_week_tells_a_member_that_what_their_work_waits_on_is_blocked(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    ana, ben = people(engine, Role.member)[:2]
    mine = owned_by(engine, ana.id, "in_progress")
    theirs = owned_by(engine, ben.id, "planned")
    with session_scope(engine) as session:
        add_dependency(session=session, actor=director, blocker_id=theirs.id, blocked_id=mine.id)
    at = this_week_page(ana.id)
    assert "What your work waits on" not in [plain(h.value) for h in at.header]
    edit_initiative(engine, default_config(), director, theirs.id, theirs.version, status="blocked")
    at = this_week_page(ana.id)
    assert "What your work waits on" in [plain(h.value) for h in at.header]
    assert f"{mine.title} waits on {theirs.title}: it is blocked." in texts(at)
    at = this_week_page(ben.id)  # the blocker's owner waits on nothing
    assert "What your work waits on" not in [plain(h.value) for h in at.header]


def test_a_director_edits_dependencies_from_weekly_planning(app_store: str) -> None:
    engine = create_store_engine(app_store)
    without_demo_dependencies(engine)
    director = people(engine, Role.director)[0]
    member = people(engine, Role.member)[0]
    first, second, _ = three_of(engine, member.id)
    # what opening the expander does
    at = open_as(director.id, "pages/planning.py", state={"planning_dependency_open": True})
    at.selectbox(key="planning_dependency_pick").select(second.id).run()
    at.multiselect(key=f"dep_waits_{second.id}").select(first.id)
    at = click(at, "Save dependencies")
    assert not at.exception
    assert edges(engine) == {(first.id, second.id)}
    assert "Dependencies saved: 1 added, 0 removed." in texts(at)
    assert at.title[0].value == "Weekly planning"
