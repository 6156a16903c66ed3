"""The main journeys with the keyboard alone, in a real browser on a copy of the demo store: a
member posts an overdue status update from This week, a stakeholder filters the roadmap and
downloads it as a PDF for the meeting, the director edits a score in the planning grid, saves
and commits the week, and Goals is presented one objective per screen with the arrow keys. No
step clicks: focus moves with Tab (and Shift+Tab), choices are typed and taken with Enter, the
slider and the grid's cell cursor move with the arrow keys, buttons are pressed with Enter. The
person is picked by the address (?as=ID, demo mode's way to act as someone), as typed into the
address bar. Screenshots go to artifacts/screenshots/keyboard-*."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlmodel import Session, select

from planning import clock
from planning.config import default_config
from planning.periods import iso_week, quarter_of
from planning.reports.this_week import updates_owed
from planning.store.engine import create_store_engine
from planning.store.models import Initiative, Person, Role, WeeklyPlan
from planning.work.initiative_reads import objective_choices
from planning.work.initiative_status import HEALTH_LABELS
from tests.browser.conftest import Browser, Server
from tests.browser.test_journeys import (
    WAIT_MS,
    _cell,
    _column,
    _column_index,
    _latest_update,
    _open_app,
    _people,
    _query_becomes,
    _settle,
    _shot,
    _typed_input,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.browser

OBJECTIVE = "Make checkout effortless on every device"
TABS = 250  # more tab stops than any page here has


def _page(browser: Browser) -> Page:
    return cast("Page", browser.page)


def _focused(target: Locator) -> bool:
    return bool(
        target.evaluate("e => e === document.activeElement || e.contains(document.activeElement)")
    )


def _tab_to(page: Page, target: Locator, *, back: bool = False) -> None:
    """Press Tab (Shift+Tab going back) until the target has the keyboard focus."""
    target.wait_for(timeout=WAIT_MS)
    for _ in range(TABS):
        if _focused(target):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{target} never got the focus from the keyboard")


def _choose(page: Page, box: Locator, option: str) -> None:
    """With the focus on a select: type the option's text and take it with Enter."""
    assert _focused(box)
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).wait_for(timeout=WAIT_MS)
    page.keyboard.press("Enter")
    expect(box).to_have_value(option)


def _pick_by_keys(page: Page, within: Locator, name: str, option: str) -> Locator:
    """Tab to the select labelled `name` inside `within` and choose `option` from the keyboard."""
    box = within.get_by_role("combobox", name=name, exact=True)
    _tab_to(page, box)
    _choose(page, box, option)
    return box


def _painted(page: Page) -> None:
    """Wait until the browser has drawn what was just typed, as a person sees it before the next
    key. The grid's editor keeps the value it last drew: Enter pressed within the same frame as
    the last digit closes the editor without the edit (and still moves down a row)."""
    page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


def _grid_cell_focused(page: Page, moved_from: tuple[int, int] | None = None) -> tuple[int, int]:
    """The (column, row) of the grid cell with the keyboard focus, zero-based, once it has left
    `moved_from`."""
    script = """() => {
        const e = document.activeElement;
        if (!e || e.tagName !== 'TD') return null;
        return [Number(e.getAttribute('aria-colindex')) - 1,
                Number(e.parentElement.getAttribute('aria-rowindex')) - 2];
    }"""
    for _ in range(TABS):
        at = page.evaluate(script)
        if at is not None and tuple(at) != moved_from:
            return (int(at[0]), int(at[1]))
        page.wait_for_timeout(50)
    raise AssertionError(f"the grid's keyboard focus did not move from {moved_from}")


def test_member_posts_an_overdue_status_update_with_the_keyboard(
    server: Server, browser: Browser
) -> None:
    config = default_config()
    today = clock.today()
    engine = create_store_engine(server.database_url)
    members = _people(engine, Role.member)
    with Session(engine) as session:
        owing = {
            m.id: updates_owed(
                session=session,
                today=today,
                every_days=config.settings.updates.stale_after_days,
                owner_id=m.id,
            )
            for m in members
        }
    member = max(members, key=lambda m: (len(owing[m.id]), -int(m.id or 0)))
    owed = owing[member.id]
    assert len(owed) > 1, "the demo has a member owing several updates"
    item = owed[-1]
    page = _page(browser)
    main = page.get_by_test_id("stMain")

    _open_app(page, f"{server.url}/?as={member.id}")
    page.get_by_role("heading", name="What I owe").wait_for(timeout=WAIT_MS)
    picker = _pick_by_keys(page, main, "Post an update on", item.title)
    _settle(page)
    expect(picker).to_have_value(item.title)
    _shot(page, "keyboard-member-1-picked")

    form = main.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Post update"))
    health = "at_risk" if item.health != "at_risk" else "off_track"
    _pick_by_keys(page, form, "Health", HEALTH_LABELS[health])
    slider = form.get_by_role("slider")
    _tab_to(page, slider)
    step = 1 if item.percent_complete <= 90 else -1
    for _ in range(2):
        page.keyboard.press("ArrowRight" if step > 0 else "ArrowLeft")
    percent = item.percent_complete + 10 * step
    expect(slider).to_have_value(str(percent))
    note = form.get_by_role("textbox", name="Note (required)")
    _tab_to(page, note)
    text = f"Keyboard only: {HEALTH_LABELS[health]} at {percent} %."
    page.keyboard.type(text)
    submit = form.get_by_role("button", name="Post update")
    _tab_to(page, submit)
    _shot(page, "keyboard-member-2-form-filled")
    page.keyboard.press("Enter")

    page.get_by_text(f"Status update posted on “{item.title}”").wait_for(timeout=WAIT_MS)
    _settle(page)
    _shot(page, "keyboard-member-3-posted")
    posted = _latest_update(engine, item.initiative_id)
    assert (posted.note, posted.author_id) == (text, member.id)
    assert (posted.health.value, posted.percent_complete) == (health, percent)
    engine.dispose()
    browser.assert_clean()


def test_stakeholder_filters_the_roadmap_and_downloads_it_with_the_keyboard(
    module_server: Server, browser: Browser
) -> None:
    server = module_server  # a reader: it shares the file's one read-only server
    fiscal = default_config().settings.fiscal_year_start_month
    quarter = quarter_of(clock.today(), fiscal)
    engine = create_store_engine(server.database_url)
    stakeholder = _people(engine, Role.stakeholder)[0]
    with Session(engine) as session:
        owner = session.exec(select(Person).where(Person.name == "Priya Raman")).one()
        objective_id, label = next(
            (i, text)
            for i, text in objective_choices(session=session).items()
            if text.endswith(OBJECTIVE)
        )
    engine.dispose()
    page = _page(browser)
    main = page.get_by_test_id("stMain")

    _open_app(page, f"{server.url}/roadmap?as={stakeholder.id}")
    page.get_by_role("heading", name="Now / Next / Later").wait_for(timeout=WAIT_MS)
    _pick_by_keys(page, main, "Objective", label)
    _query_becomes(page, "objective", objective_id)
    _pick_by_keys(page, main, "Owner", owner.name)
    _query_becomes(page, "owner", owner.id)
    query = parse_qs(urlsplit(page.url).query)
    assert query["quarter"] == [quarter] and query["owner"] == [str(owner.id)]
    _shot(page, "keyboard-stakeholder-1-filtered")

    pdf = main.get_by_role("button", name=re.compile("PDF report"))
    _tab_to(page, pdf)
    with page.expect_download(timeout=WAIT_MS) as downloading:
        page.keyboard.press("Enter")
    download = downloading.value
    assert download.suggested_filename == f"roadmap-{quarter}.pdf"
    path = download.path()
    assert path is not None
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = " ".join(" ".join((p.extract_text() or "") for p in reader.pages).split())
    assert f"Roadmap {quarter}: {OBJECTIVE}" in text
    assert "Grow profitable basket size" not in text  # only the filtered roadmap
    _shot(page, "keyboard-stakeholder-2-downloaded")
    browser.assert_clean()


def test_goals_are_presented_one_objective_per_screen_with_the_arrow_keys(
    module_server: Server, browser: Browser
) -> None:
    server = module_server  # a reader: it shares the file's one read-only server
    engine = create_store_engine(server.database_url)
    stakeholder = _people(engine, Role.stakeholder)[0]
    engine.dispose()
    page = _page(browser)
    main = page.get_by_test_id("stMain")
    _open_app(page, f"{server.url}/goals?as={stakeholder.id}&quarter=2026-Q4&present=1")
    heading = main.get_by_role("heading", level=2)
    expect(heading.first).to_have_text("Make checkout effortless on every device", timeout=WAIT_MS)
    expect(main.get_by_text("Objective 1 of 4", exact=False)).to_be_visible()
    _shot(page, "keyboard-present-1")
    page.keyboard.press("ArrowRight")
    expect(main.get_by_text("Objective 2 of 4", exact=False)).to_be_visible(timeout=WAIT_MS)
    expect(heading.first).to_have_text("Grow profitable basket size")
    _settle(page)
    _shot(page, "keyboard-present-2")
    page.keyboard.press("ArrowLeft")
    expect(main.get_by_text("Objective 1 of 4", exact=False)).to_be_visible(timeout=WAIT_MS)
    browser.assert_clean()


def test_director_rescores_saves_and_commits_the_week_with_the_keyboard(
    server: Server, browser: Browser
) -> None:
    scoring = default_config().scoring
    input_id, spec = _typed_input(scoring)
    week = iso_week(clock.today())
    engine = create_store_engine(server.database_url)
    director = _people(engine, Role.director)[0]
    page = _page(browser)
    main = page.get_by_test_id("stMain")

    _open_app(page, f"{server.url}/planning?as={director.id}")
    page.get_by_role("heading", name="Ranked backlog").wait_for(timeout=WAIT_MS)
    grid = main.get_by_test_id("stDataFrame").first
    grid.get_by_test_id("data-grid-canvas").wait_for(timeout=WAIT_MS)
    grid.locator('th[role="columnheader"]').first.wait_for(state="attached", timeout=WAIT_MS)
    titles = _column(grid, "Initiative")
    assert len(titles) > 2, titles
    row, column = 2, _column_index(grid, spec.label)
    title = titles[row]
    value = float(_cell(grid, column, row).inner_text())
    new_value = int(value) + 1000
    with Session(engine) as session:
        before = session.exec(select(Initiative).where(Initiative.title == title)).one()
        scores_before, initiative_id = dict(before.scores[scoring.active]), before.id

    # Into the grid with Tab; the arrow keys walk to the cell, Enter opens it, Enter keeps it.
    _tab_to(page, grid.get_by_test_id("data-grid-canvas"))
    page.keyboard.press("ArrowDown")
    at = _grid_cell_focused(page)
    while at != (column, row):
        if at[1] != row:
            page.keyboard.press("ArrowDown" if at[1] < row else "ArrowUp")
        else:
            page.keyboard.press("ArrowRight" if at[0] < column else "ArrowLeft")
        at = _grid_cell_focused(page, moved_from=at)
    expect(_cell(grid, column, row)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    editor = page.locator("#portal input.gdg-input")
    editor.wait_for(timeout=WAIT_MS)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(str(new_value))
    expect(editor).to_have_value(str(new_value))
    _painted(page)
    page.keyboard.press("Enter")
    expect(_cell(grid, column, row)).to_have_text(str(new_value))
    _settle(page)
    _shot(page, "keyboard-director-1-edited")

    save = main.get_by_role("button", name="Save changes")
    _tab_to(page, save)
    page.keyboard.press("Enter")
    page.get_by_text("Saved 1 initiative.").wait_for(timeout=WAIT_MS)
    _settle(page)
    with Session(engine) as session:
        saved = session.exec(select(Initiative).where(Initiative.id == initiative_id)).one()
        assert saved.scores[scoring.active] == {**scores_before, input_id: new_value}
    _shot(page, "keyboard-director-2-saved")

    commit = main.get_by_role("button", name=f"Commit plan for week {week}")
    _tab_to(page, commit)
    page.keyboard.press("Enter")
    page.get_by_text(f"Plan for {week} committed").wait_for(timeout=WAIT_MS)
    _settle(page)
    with Session(engine) as session:
        plan = session.exec(select(WeeklyPlan).where(WeeklyPlan.week == week)).one()
        assert plan.committed_by == director.id
        assert any(item["id"] == initiative_id for item in plan.snapshot)
    _shot(page, "keyboard-director-3-committed")
    engine.dispose()
    browser.assert_clean()
