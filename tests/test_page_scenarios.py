"""Weekly planning's Scenarios under AppTest, on a copy of the demo store: a director makes a
named draft, edits it (the initiatives stay as they are), compares it with the committed plan and
commits it; a bad cell saves nothing, a draft overtaken by an edit is brought up to date, and
throwing one away writes nothing else. Members and stakeholders never reach the page
(test_page_planning's role test also looks for the scenario controls)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from planning import clock
from planning.periods import iso_week
from planning.store.engine import create_store_engine, read_engine, session_scope
from planning.store.models import Initiative, Role
from planning.store.models_scenarios import PlanScenario
from planning.work import scenarios
from planning.work.weekly_plan import get_plan
from tests.app_pages import click, people, table_edits
from tests.page_text import plain
from tests.planning_seed import initiative_row, store_state
from tests.shown_text import Leak, raw_values, shown_texts
from tests.test_page_planning import open_page, texts

WEEK = iso_week(clock.today())
EMPTY_DATE_CELLS = {"dataframe[Start]", "dataframe[Target]"}


def _leaks(at: AppTest) -> list[Leak]:
    """Raw values shown, less the faded placeholder the grid draws in an empty editable date
    cell (the allowance test_page_raw_values makes for the planning table)."""
    return [
        leak
        for leak in raw_values(shown_texts(at))
        if not (leak.kind == "None/nan" and leak.shown.where in EMPTY_DATE_CELLS)
    ]


def _scenario(engine: Engine) -> PlanScenario | None:
    with Session(read_engine(engine)) as session:
        return session.exec(select(PlanScenario)).first()


def test_a_director_drafts_compares_and_commits_a_scenario(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    at = open_page(director.id)
    assert f"Scenarios for week {WEEK}" in [s.value for s in at.subheader]
    assert f"No scenario for {WEEK} yet" in texts(at)
    [name] = [t for t in at.text_input if t.label == "Name of a new scenario"]
    name.input("Lean week")
    click(at, "Make a scenario")
    assert not at.exception
    assert "Scenario “Lean week” made" in texts(at)
    scenario = _scenario(engine)
    assert scenario is not None and scenario.week == WEEK and scenario.changes == []

    # Edit: bring the first idea into the plan and double the first planned row's effort.
    draft = at.data_editor[1].value
    idea = int(draft.index[~draft["in_plan"]][0])
    planned = int(draft.index[draft["in_plan"]][0])
    idea_id, planned_id = int(draft.loc[idea, "id"]), int(draft.loc[planned, "id"])
    effort = float(draft.loc[planned, "effort_weeks"])
    before = store_state(engine)["initiatives"]
    edits = table_edits({idea: {"in_plan": True}, planned: {"effort_weeks": effort * 2}})
    at = open_page(director.id, **{f"scenario_editor_{scenario.id}_1": edits})
    click(at, "Save the draft")
    assert not at.exception
    assert "Draft “Lean week” saved: it changes 2 initiatives." in texts(at)
    assert _leaks(at) == []
    assert store_state(engine)["initiatives"] == before  # nothing touched the backlog

    # Compare: what moved, capacity committed → draft, expected value per key result.
    at.segmented_control(key="scenario_view").set_value("compare").run()
    assert not at.exception
    shown = texts(at)
    assert "What moved" in shown and "Expected value per key result" in shown
    moved = next(d.value for d in at.dataframe if "Move" in d.value.columns)
    assert set(moved["Move"]) == {"Into the plan", "Changed"}
    assert any("person-weeks" in str(text) for text in moved["What changes"])
    grids = [
        d.value for d in at.dataframe if "→" in str(d.value.iloc[0, -1]) and "Person" in d.value
    ]
    assert grids and str(grids[0].iloc[0, -1]).endswith(" h")
    assert _leaks(at) == []

    # Commit: the draft's changes are saved and the week's plan committed, in one step.
    at.segmented_control(key="scenario_view").set_value("commit").run()
    assert _leaks(at) == []
    click(at, f"Commit this scenario for {WEEK}")
    assert not at.exception
    if at.warning:  # the demo may already hold this week's plan: confirm replacing it
        [replace] = [c for c in at.checkbox if c.label.startswith("Replace the plan")]
        replace.check()
        click(at, f"Commit this scenario for {WEEK}")
    assert "Scenario “Lean week” committed: 2 initiatives changed" in texts(at)
    assert initiative_row(engine, idea_id).status == "planned"
    assert initiative_row(engine, planned_id).effort_weeks == effort * 2
    with Session(read_engine(engine)) as session:
        plan = get_plan(session=session, week=WEEK)
    assert plan is not None and plan.committed_by == director.id
    assert _scenario(engine) is None


def test_a_bad_cell_saves_nothing_and_throwing_away_leaves_the_plan(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    at = open_page(director.id)
    [name] = [t for t in at.text_input if t.label == "Name of a new scenario"]
    name.input("Bold")
    click(at, "Make a scenario")
    scenario = _scenario(engine)
    assert scenario is not None
    edits = table_edits({0: {"effort_weeks": -3.0}})
    at = open_page(director.id, **{f"scenario_editor_{scenario.id}_1": edits})
    click(at, "Save the draft")
    assert not at.exception
    error = plain(at.error[0].value)
    assert "Nothing was saved" in error and "effort -3 person-weeks is below 0" in error
    assert _scenario(engine).changes == []  # type: ignore[union-attr]

    # Someone edits an initiative the draft changes: the draft says so and is brought up to date.
    target = int(at.data_editor[1].value["id"].iloc[0])
    with session_scope(engine) as session:
        version = initiative_row(engine, target).version
        scenarios.save_scenario(
            session=session,
            actor=director,
            scenario_id=scenario.id,
            expected_version=1,
            changes=[scenarios.DraftChange(target, version, {"effort_weeks": 9.0})],
        )
        edited = session.get(Initiative, target)
        assert edited is not None
        edited.version += 1
        session.add(edited)
    at = open_page(director.id)
    assert "1 initiative in this draft changed since the draft changed it" in texts(at)
    click(at, "Bring the draft up to date")
    assert not at.exception
    assert "brought up to date" in texts(at)
    rebased = _scenario(engine)
    assert rebased is not None and rebased.changes[0]["base_version"] == version + 1

    before = store_state(engine)
    at.segmented_control(key="scenario_view").set_value("commit").run()
    click(at, "Throw the scenario away")
    assert "Tick “Yes, throw this draft away” first" in texts(at)
    assert _scenario(engine) is not None
    [sure] = [c for c in at.checkbox if c.label == "Yes, throw this draft away"]
    sure.check()
    click(at, "Throw the scenario away")
    assert "Scenario “Bold” thrown away" in texts(at)
    assert _scenario(engine) is None
    assert store_state(engine)["initiatives"] == before["initiatives"]
