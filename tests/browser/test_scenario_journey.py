"""A scenario in a real browser against a real server on a copy of the demo store: a director
makes a named draft of the week's plan on Weekly planning, takes one planned initiative out and
doubles another's effort, saves the draft (the initiatives stay as they are), compares it with the
committed plan and commits it; the initiatives and the week's plan then hold the draft. Fails on
any Streamlit exception box or browser console error; screenshots under
artifacts/screenshots/journey-scenario-*."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from planning import clock
from planning.periods import iso_week
from planning.store.engine import create_store_engine
from planning.store.models import Initiative, InitiativeStatus, Role, WeeklyPlan
from planning.store.models_scenarios import PlanScenario
from tests.browser.conftest import Browser, Server
from tests.browser.test_journeys import (
    WAIT_MS,
    _act_as,
    _cell,
    _column,
    _column_index,
    _open,
    _open_app,
    _page,
    _people,
    _settle,
    _shot,
)

pytestmark = pytest.mark.browser


def test_director_drafts_compares_and_commits_a_scenario(server: Server, browser: Browser) -> None:
    week = iso_week(clock.today())
    engine = create_store_engine(server.database_url)
    director = _people(engine, Role.director)[0]
    page = _page(browser)
    _open_app(page, server.url)
    _act_as(page, director)
    _open(page, "Weekly planning", "Weekly planning")

    # Make a scenario.
    heading = page.get_by_role("heading", name=f"Scenarios for week {week}")
    heading.scroll_into_view_if_needed(timeout=WAIT_MS)
    page.get_by_role("textbox", name="Name of a new scenario").fill("Lean week")
    page.get_by_role("button", name="Make a scenario").click()
    page.get_by_text("Scenario “Lean week” made").wait_for(timeout=WAIT_MS)
    _settle(page)

    # Edit the draft: the first planned row goes out of the plan, the second doubles its effort.
    grid = page.get_by_test_id("stDataFrame").filter(
        has=page.locator('th[role="columnheader"]', has_text="In plan")
    )
    grid.scroll_into_view_if_needed(timeout=WAIT_MS)
    grid.locator('td[role="gridcell"]').first.wait_for(state="attached", timeout=WAIT_MS)
    titles, statuses = _column(grid, "Initiative"), _column(grid, "Status now")
    planned = [i for i, status in enumerate(statuses) if status == "Planned"]
    assert len(planned) >= 2, f"the demo shows two planned initiatives first: {statuses}"
    out_row, effort_row = planned[0], planned[1]
    with Session(engine) as session:
        out_item = session.exec(select(Initiative).where(Initiative.title == titles[out_row])).one()
        bigger = session.exec(
            select(Initiative).where(Initiative.title == titles[effort_row])
        ).one()
    canvas = grid.get_by_test_id("data-grid-canvas")

    def select_cell(row: int, column: int) -> None:
        canvas.scroll_into_view_if_needed(timeout=WAIT_MS)
        box = canvas.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 10, box["y"] + 35 + row * 35 + 17)
        expect(_cell(grid, 0, row)).to_have_attribute("aria-selected", "true")
        for _ in range(column):
            page.keyboard.press("ArrowRight")
        expect(_cell(grid, column, row)).to_have_attribute("aria-selected", "true")

    select_cell(out_row, _column_index(grid, "In plan"))
    page.keyboard.press("Space")
    _settle(page)
    effort_column = _column_index(grid, "Effort (person-weeks)")
    select_cell(effort_row, effort_column)
    page.keyboard.press("Enter")
    editor = page.locator("#portal input.gdg-input")
    editor.wait_for(timeout=WAIT_MS)
    new_effort = bigger.effort_weeks * 2
    editor.fill(f"{new_effort:g}")
    editor.press("Enter")
    _settle(page)
    _shot(page, "journey-scenario-1-draft-edited")
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_text("Draft “Lean week” saved: it changes 2 initiatives.").wait_for(timeout=WAIT_MS)
    _settle(page)
    with Session(engine) as session:
        draft = session.exec(select(PlanScenario)).one()
        assert {c["initiative_id"] for c in draft.changes} == {out_item.id, bigger.id}
        unchanged = session.get(Initiative, bigger.id)
        assert unchanged is not None and unchanged.effort_weeks == bigger.effort_weeks
    _shot(page, "journey-scenario-2-draft-saved")

    # Compare it with the committed plan.
    page.get_by_test_id("stButtonGroup").get_by_text("Compare with the committed plan").click()
    page.get_by_text("What moved", exact=True).wait_for(timeout=WAIT_MS)
    _settle(page)
    moved = page.get_by_test_id("stDataFrame").filter(
        has=page.locator('th[role="columnheader"]', has_text="What changes")
    )
    moved.locator('td[role="gridcell"]').first.wait_for(state="attached", timeout=WAIT_MS)
    rows = dict(zip(_column(moved, "Initiative"), _column(moved, "Move"), strict=True))
    assert rows == {out_item.title: "Out of the plan", bigger.title: "Changed"}, rows
    expect(page.get_by_text("Capacity per person, next 8 weeks")).to_be_visible()
    expect(page.get_by_text("Expected value per key result")).to_be_visible()
    _shot(page, "journey-scenario-3-compared")

    # Commit it.
    page.get_by_test_id("stButtonGroup").get_by_text("Commit or throw away").click()
    commit = page.get_by_role("button", name=f"Commit this scenario for {week}")
    commit.wait_for(timeout=WAIT_MS)
    _settle(page)
    with Session(engine) as session:
        already = session.exec(select(WeeklyPlan).where(WeeklyPlan.week == week)).first()
    if already is not None:
        page.get_by_text(f"Replace the plan already committed for {week}").click()
    commit.click()
    page.get_by_text("Scenario “Lean week” committed").wait_for(timeout=WAIT_MS)
    _settle(page)
    with Session(engine) as session:
        gone = session.get(Initiative, out_item.id)
        grown = session.get(Initiative, bigger.id)
        plan = session.exec(select(WeeklyPlan).where(WeeklyPlan.week == week)).one()
        assert session.exec(select(PlanScenario)).first() is None
    assert gone is not None and gone.status == InitiativeStatus.idea
    assert grown is not None and grown.effort_weeks == new_effort
    assert plan.committed_by == director.id
    _shot(page, "journey-scenario-4-committed")
    engine.dispose()
    browser.assert_clean()
