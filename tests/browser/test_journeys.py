"""The three main journeys, each in a real browser against a real server on a copy of the demo
store: the director reviews the goals, edits a score in weekly planning, commits the plan and
reads the diff; a member posts an overdue status update from This week; a stakeholder filters the
roadmap and reopens the filtered address in a fresh session. Each step is checked on the page and,
where something is written, in the store; each journey fails on any Streamlit exception box or
browser console error and leaves full-page screenshots under artifacts/screenshots/journey-*."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from planning import clock
from planning.config import default_config
from planning.config.scoring import ScoringConfig, ScoringInput
from planning.okrs.evaluation import period_goals
from planning.periods import iso_week, quarter_of
from planning.reports.this_week import OwedUpdate, updates_owed
from planning.store.engine import create_store_engine
from planning.store.models import Initiative, Person, Role, StatusUpdate, WeeklyPlan
from planning.work.initiative_reads import objective_choices
from planning.work.initiative_status import HEALTH_LABELS, status_label
from planning.work.roadmap import HORIZON_LABELS, RoadmapFilters, roadmap_items
from planning.work.weekly_plan import CHANGE_LABELS, diff_frame, plan_diff
from tests.browser.conftest import EXPECTED_404, SCREENSHOTS, Browser, Server
from tests.shown_text import figure
from ui.goals_charts import share
from ui.goals_view import PAGE_SIZE
from ui.identity import ROLE_LABELS

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.browser

WAIT_MS = 30_000
# st.data_editor draws its grid on a canvas: rows and the header are 35 px high by default.
ROW_PX = 35
HEADER_PX = 35


# --- helpers ------------------------------------------------------------------------------------


def _page(browser: Browser) -> Page:
    return cast("Page", browser.page)


def _settle(page: Page) -> None:
    """Wait until no script run is in flight (Streamlit marks the app element), then let the
    page paint."""
    page.wait_for_timeout(150)  # a rerun just requested may not be marked yet
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.dataset.testScriptState === 'notRunning'",
        timeout=WAIT_MS,
    )
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=WAIT_MS)
    page.wait_for_timeout(300)


def _label(person: Person) -> str:
    return f"{person.name} · {ROLE_LABELS[person.role.value]}"


def _open_app(page: Page, url: str) -> None:
    """Open the app in a session of its own, after the server's very first session.

    On a freshly started server the first session's first widget change is lost (the page
    reruns with the old value; reported, not the subject here), so that session is spent on a
    first load and the journey runs in the next one, as any later visitor's would.
    """
    pending: set[Any] = set()

    def started(request: Any) -> None:
        pending.add(request)

    def ended(request: Any) -> None:
        pending.discard(request)

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    page.goto(url)
    page.get_by_role("heading", level=1).first.wait_for(timeout=WAIT_MS)
    _settle(page)
    # The first page's script chunks (tables, links) load after it has drawn; a reload would
    # abort them, and an aborted request counts as a failure.
    for _ in range(WAIT_MS // 50):
        if not pending:
            break
        page.wait_for_timeout(50)
    page.remove_listener("request", started)
    page.remove_listener("requestfinished", ended)
    page.remove_listener("requestfailed", ended)
    page.reload()
    page.get_by_role("heading", level=1).first.wait_for(timeout=WAIT_MS)
    _settle(page)


def _act_as(page: Page, person: Person) -> None:
    """Pick the person in the sidebar's demo-mode "Acting as" select."""
    picker = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Acting as")
    picker.wait_for(timeout=WAIT_MS)
    _settle(page)
    if picker.input_value() != _label(person):
        picker.click()
        page.get_by_role("option", name=_label(person), exact=True).click()
        _settle(page)
    expect(picker).to_have_value(_label(person))


def _open(page: Page, link: str, heading: str) -> None:
    """Follow a sidebar link and wait for the page's title."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=heading, level=1).wait_for(timeout=WAIT_MS)
    _settle(page)


def _pick(page: Page, scope: Page | Locator, label: str, option: str) -> None:
    """Choose an option in the select labelled `label` inside `scope`."""
    scope.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def _query_becomes(page: Page, key: str, value: object) -> None:
    """Wait until the address bar's query says key=value, then for the page to settle."""
    page.wait_for_function(
        f"() => new URLSearchParams(window.location.search).get('{key}') === '{value}'",
        timeout=WAIT_MS,
    )
    _settle(page)


def _cell(grid: Locator, column: int, row: int) -> Locator:
    """One cell of a data grid's accessible mirror (the canvas's cells as a hidden table)."""
    return grid.get_by_test_id(f"glide-cell-{column}-{row}")


def _latest_update(engine: Engine, initiative_id: int) -> StatusUpdate:
    """The newest status update stored for an initiative (the one a journey just posted)."""
    with Session(engine) as session:
        posted = session.exec(
            select(StatusUpdate)
            .where(StatusUpdate.initiative_id == initiative_id)
            .order_by(col(StatusUpdate.id).desc())
        ).first()
    assert posted is not None
    return posted


def _column_index(grid: Locator, header: str) -> int:
    """The zero-based index of the grid column with this header."""
    for th in grid.locator('th[role="columnheader"]').all():
        if th.inner_text().strip() == header:
            return int(th.get_attribute("aria-colindex") or 0) - 1
    raise AssertionError(f"no column {header!r} in {grid.locator('th').all_inner_texts()}")


def _column(grid: Locator, header: str) -> list[str]:
    """The texts of one column's rendered cells, top to bottom."""
    index = _column_index(grid, header) + 1
    cells = grid.locator(f'td[role="gridcell"][aria-colindex="{index}"]')
    return [t.strip() for t in cells.all_inner_texts()]


def _shot(page: Page, name: str, folder: Path = SCREENSHOTS) -> Path:
    """A screenshot of the whole page under artifacts/screenshots/ (or `folder`): Streamlit
    scrolls its main area inside the window, so the window is stretched to the content's height
    for the shot."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    size = page.viewport_size
    assert size is not None
    height = int(page.get_by_test_id("stMain").evaluate("e => e.scrollHeight"))
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": height})
        page.wait_for_timeout(500)  # charts and tables redraw at the new size
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path


def _people(engine: Engine, role: Role) -> list[Person]:
    with Session(engine) as session:
        query = select(Person).where(Person.role == role, Person.active == True)  # noqa: E712
        return list(session.exec(query.order_by(col(Person.id))).all())


def _typed_input(scoring: ScoringConfig) -> tuple[str, ScoringInput]:
    """The active framework's first input typed as a number (not picked from a scale): the one
    the journeys edit in place in the planning table."""
    framework = scoring.frameworks[scoring.active]
    return next((i, s) for i, s in framework.inputs.items() if s.scale is None)


def _watch(page: Page, problems: list[str]) -> None:
    """Collect console errors and failed requests of a page opened outside the fixture."""

    def on_console(message: Any) -> None:
        location = message.location.get("url", "") if message.location else ""
        if message.type == "error" and not any(
            p in message.text or p in location for p in EXPECTED_404
        ):
            problems.append(f"console: {message.text} {location}")

    page.on("console", on_console)
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))


# --- 1. the director's weekly planning ----------------------------------------------------------


def test_director_reviews_goals_rescores_commits_the_week_and_reads_the_diff(
    server: Server, browser: Browser
) -> None:
    config = default_config()
    scoring = config.scoring
    input_id, spec = _typed_input(scoring)
    today = clock.today()
    week = iso_week(today)
    period = quarter_of(today, config.settings.fiscal_year_start_month)
    engine = create_store_engine(server.database_url)
    director = _people(engine, Role.director)[0]
    page = _page(browser)

    _open_app(page, server.url)
    _act_as(page, director)
    page.get_by_role("heading", name="This week", level=1).wait_for(timeout=WAIT_MS)
    _shot(page, "journey-director-1-this-week")

    # Goals: every objective of the quarter, and the progress of the key result in detail.
    _open(page, "Goals", "Goals")
    page.get_by_role("heading", name="Key result detail").wait_for(timeout=WAIT_MS)
    with Session(engine) as session:
        goals = period_goals(session=session, config=config, period=period, today=today)
    assert goals.objectives, f"the demo has objectives for {period}"
    for objective in goals.objectives[:PAGE_SIZE]:
        expect(page.get_by_text(objective.title, exact=True).first).to_be_visible()
        for kr in objective.key_results:
            expect(page.get_by_text(kr.title, exact=True).first).to_be_visible()
    picked = page.get_by_role("combobox", name="Key result", exact=True).input_value()
    detail = next(
        kr for o in goals.objectives for kr in o.key_results if picked == f"{o.title} › {kr.title}"
    )
    progress = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text("Progress", exact=True)
    )
    expect(progress.get_by_test_id("stMetricValue")).to_have_text(share(detail.progress))
    assert share(detail.progress).endswith(" %")
    _shot(page, "journey-director-2-goals")

    # Weekly planning: raise one input of the last fully visible row so it ranks first.
    _open(page, "Weekly planning", "Weekly planning")
    page.get_by_role("heading", name="Ranked backlog").wait_for(timeout=WAIT_MS)
    grid = page.get_by_test_id("stDataFrame").first
    canvas = grid.get_by_test_id("data-grid-canvas")
    canvas.wait_for(timeout=WAIT_MS)
    box = canvas.bounding_box()
    assert box is not None
    titles = _column(grid, "Initiative")
    row = min(int((box["height"] - HEADER_PX) // ROW_PX) - 1, len(titles) - 1)
    assert row >= 1, f"the backlog shows too few rows to re-rank one: {titles}"
    column = _column_index(grid, spec.label)
    title = titles[row]
    top_title = titles[0]
    rank_before = int(_cell(grid, 0, row).inner_text())
    score, top_score = (
        figure(_cell(grid, 1, row).inner_text()) or 0.0,
        figure(_cell(grid, 1, 0).inner_text()) or 0.0,
    )
    value = float(_cell(grid, column, row).inner_text())
    assert rank_before > 1 and score > 0 and value > 0
    # Scores grow in proportion to this input: twice the top score, rounded up to a thousand.
    new_value = math.ceil(value * 2 * top_score / score / 1000) * 1000
    assert spec.maximum is None or new_value <= spec.maximum
    with Session(engine) as session:
        before = session.exec(select(Initiative).where(Initiative.title == title)).one()
        scores_before = dict(before.scores[scoring.active])
        initiative_id = before.id

    page.mouse.click(box["x"] + 10, box["y"] + HEADER_PX + row * ROW_PX + ROW_PX / 2)
    expect(_cell(grid, 0, row)).to_have_attribute("aria-selected", "true")
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    expect(_cell(grid, column, row)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    editor = page.locator("#portal input.gdg-input")
    editor.wait_for(timeout=WAIT_MS)
    editor.fill(str(new_value))
    editor.press("Enter")
    expect(_cell(grid, column, row)).to_have_text(str(new_value))
    _settle(page)
    # Before Save the edited row already shows its new score and rank; the store is unchanged.
    expect(_cell(grid, 0, row)).to_have_text("1")
    expect(_cell(grid, column, row)).to_have_text(str(new_value))
    with Session(engine) as session:
        unsaved = session.exec(select(Initiative).where(Initiative.id == initiative_id)).one()
        assert unsaved.scores[scoring.active] == scores_before
    _shot(page, "journey-director-3-backlog-edited")

    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Saved 1 initiative.").wait_for(timeout=WAIT_MS)
    _settle(page)
    grid = page.get_by_test_id("stDataFrame").first
    expect(_cell(grid, 2, 0)).to_have_text(title)
    expect(_cell(grid, 0, 0)).to_have_text("1")
    expect(_cell(grid, 2, 1)).to_have_text(top_title)
    ranks = [int(r) for r in _column(grid, "Rank") if r]
    assert ranks == sorted(ranks), ranks
    _shot(page, "journey-director-4-saved-and-reranked")
    with Session(engine) as session:
        saved = session.exec(select(Initiative).where(Initiative.id == initiative_id)).one()
        assert saved.scores[scoring.active] == {**scores_before, input_id: new_value}

    # Commit this week's plan and read what changed since last week's.
    page.get_by_role("button", name=f"Commit plan for week {week}").click()
    page.get_by_text(f"Plan for {week} committed").wait_for(timeout=WAIT_MS)
    _settle(page)
    with Session(engine) as session:
        plan = session.exec(select(WeeklyPlan).where(WeeklyPlan.week == week)).one()
        assert plan.committed_by == director.id and plan.framework == scoring.active
        assert plan.snapshot[0]["id"] == initiative_id and plan.snapshot[0]["rank"] == 1
        diff = plan_diff(session=session, config=config, week=week, framework=scoring.active)
    assert diff.current_committed and diff.previous is not None
    kinds = {c.kind for c in diff.changes if c.initiative_id == initiative_id}
    assert {"moved", "rescored"} <= kinds, kinds
    expect(
        page.get_by_text(
            f"{week} (the committed plan) against the plan committed for {diff.previous.week}"
        )
    ).to_be_visible()
    counts = Counter(c.kind for c in diff.changes)
    summary = " · ".join(f"{CHANGE_LABELS[k]}: {counts[k]}" for k in CHANGE_LABELS if counts[k])
    expect(page.get_by_text(summary, exact=True)).to_be_visible()
    # The changes are listed in this week's rank order, so the edited initiative comes first.
    listed = page.get_by_test_id("stDataFrame").filter(
        has=page.locator('th[role="columnheader"]', has_text=re.compile(r"^Change$"))
    )
    listed.locator('td[role="gridcell"]').first.wait_for(state="attached", timeout=WAIT_MS)
    rows = list(zip(_column(listed, "Initiative"), _column(listed, "Change"), strict=True))
    table = diff_frame(diff.changes)
    assert (
        rows and rows == list(zip(table["initiative"], table["change"], strict=False))[: len(rows)]
    )
    assert rows[0] == (title, f"Up {rank_before - 1}"), rows
    _shot(page, "journey-director-5-committed-with-diff")
    engine.dispose()
    browser.assert_clean()


# --- 2. a member's status update ----------------------------------------------------------------


def test_member_posts_an_overdue_status_update_from_this_week(
    server: Server, browser: Browser
) -> None:
    config = default_config()
    every_days = config.settings.updates.stale_after_days
    today = clock.today()
    engine = create_store_engine(server.database_url)
    members = {p.id: p for p in _people(engine, Role.member)}

    def owed_by(person_id: int) -> list[OwedUpdate]:
        with Session(engine) as session:
            return updates_owed(
                session=session, today=today, every_days=every_days, owner_id=person_id
            )

    # The member who owes the most updates, so the list still holds others after posting one.
    owing = {pid: owed_by(pid) for pid in members}
    member_id = max(sorted(owing), key=lambda pid: len(owing[pid]))
    member, owed = members[member_id], owing[member_id]
    assert owed, "the demo has stale initiatives owned by members"
    # The last of the list, picked by title when there are several; the one before it follows.
    item = owed[-1]
    page = _page(browser)
    main = page.get_by_test_id("stMain")

    def owed_table() -> Locator:
        table = main.get_by_test_id("stDataFrame").filter(
            has=page.locator('th[role="columnheader"]', has_text=re.compile(r"^Last update$"))
        )
        table.locator('td[role="gridcell"]').first.wait_for(state="attached", timeout=WAIT_MS)
        return table

    _open_app(page, server.url)
    _act_as(page, member)
    page.get_by_text(f"you are {member.name}").wait_for(timeout=WAIT_MS)
    page.get_by_role("heading", name="What I owe").wait_for(timeout=WAIT_MS)
    assert _column(owed_table(), "Initiative") == [o.title for o in owed]
    picker = main.get_by_role("combobox", name="Post an update on", exact=True)
    expect(picker).to_have_value(owed[0].title)
    expect(main.get_by_role("button", name="Post update")).to_have_count(1)
    _shot(page, "journey-member-1-what-i-owe")

    if len(owed) > 1:
        _pick(page, main, "Post an update on", item.title)
        _settle(page)
        expect(picker).to_have_value(item.title)
    # The one form: it describes the picked initiative as it stands.
    form = main.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Post update"))
    expect(form.get_by_text(f"Now {status_label(item.status)}", exact=False)).to_be_visible()
    health = "at_risk" if item.health != "at_risk" else "off_track"
    percent = (
        item.percent_complete + 10 if item.percent_complete <= 90 else item.percent_complete - 10
    )
    note = f"Journey check: moved to {HEALTH_LABELS[health]} at {percent} %; next step agreed."
    _pick(page, form, "Status", status_label(item.status))
    _pick(page, form, "Health", HEALTH_LABELS[health])
    slider = form.get_by_role("slider")
    expect(slider).to_have_value(str(item.percent_complete))
    slider.focus()
    for _ in range(abs(percent - item.percent_complete) // 5):
        slider.press("ArrowRight" if percent > item.percent_complete else "ArrowLeft")
    expect(slider).to_have_value(str(percent))
    form.get_by_role("textbox", name="Note (required)").fill(note)
    _shot(page, "journey-member-2-form-filled")
    form.get_by_role("button", name="Post update").click()

    page.get_by_text(f"Status update posted on “{item.title}”").wait_for(timeout=WAIT_MS)
    _settle(page)
    left = owed_by(member.id)
    assert [o.initiative_id for o in left] == [o.initiative_id for o in owed[:-1]]
    if left:
        # Gone from the table and the picker, which moved on to the item before it.
        assert _column(owed_table(), "Initiative") == [o.title for o in left]
        expect(picker).to_have_value(left[-1].title)
        picker.click()
        expect(page.get_by_role("option", name=item.title, exact=True)).to_have_count(0)
        page.keyboard.press("Escape")
    else:
        expect(page.get_by_text("All caught up", exact=False)).to_be_visible()
    _shot(page, "journey-member-3-update-posted")

    posted = _latest_update(engine, item.initiative_id)
    assert (posted.note, posted.author_id) == (note, member.id)
    assert (posted.status.value, posted.health.value, posted.percent_complete) == (
        item.status,
        health,
        percent,
    )
    engine.dispose()
    browser.assert_clean()


# --- 3. the stakeholder's roadmap ---------------------------------------------------------------


def _shown(page: Page) -> dict[str, Any]:
    """What the Roadmap lists: the filters' values, the board's headings and its initiatives."""
    main = page.get_by_test_id("stMain")
    page.get_by_role("heading", name="Now / Next / Later").wait_for(timeout=WAIT_MS)
    board = [
        main.get_by_text(re.compile(rf"^{label} · \d+$")).inner_text()
        for label in HORIZON_LABELS.values()
    ]
    # One table per horizon that holds work; each mirrors its cells once it has drawn them, which
    # on a loaded machine with other sessions drawing too can take longer than expect's 5 s.
    tables = main.get_by_test_id("stDataFrame").filter(
        has=page.locator('th[role="columnheader"]', has_text=re.compile(r"^Initiative$"))
    )
    expect(tables).to_have_count(
        sum(not heading.endswith(" · 0") for heading in board), timeout=WAIT_MS
    )
    titles: list[str] = []
    for index in range(tables.count()):
        table = tables.nth(index)
        table.locator('td[role="gridcell"]').first.wait_for(state="attached", timeout=WAIT_MS)
        titles += _column(table, "Initiative")
    return {
        "filters": {
            name: main.get_by_role("combobox", name=name, exact=True).input_value()
            for name in ("Quarter", "Objective", "Owner")
        },
        "board": board,
        "titles": sorted(titles),
        "total": main.get_by_text("initiatives shown", exact=False).inner_text(),
    }


def test_stakeholder_filters_the_roadmap_and_reopens_the_address_in_a_fresh_session(
    server: Server, browser: Browser
) -> None:
    fiscal = default_config().settings.fiscal_year_start_month
    today = clock.today()
    quarter = quarter_of(today, fiscal)
    engine = create_store_engine(server.database_url)
    stakeholder = _people(engine, Role.stakeholder)[0]
    with Session(engine) as session:
        everything = roadmap_items(
            session=session,
            filters=RoadmapFilters(quarter=quarter),
            today=today,
            fiscal_start_month=fiscal,
        )
        # The objective and owner with the most work this quarter.
        pairs = Counter(
            (int(o), int(w))
            for o, w in zip(everything["objective_id"], everything["owner_id"], strict=True)
            if pd.notna(o)
        )
        assert pairs, f"the demo has initiatives linked to objectives in {quarter}"
        (objective_id, owner_id), _ = max(sorted(pairs.items()), key=lambda kv: kv[1])
        expected = roadmap_items(
            session=session,
            filters=RoadmapFilters(quarter=quarter, objective_id=objective_id, owner_id=owner_id),
            today=today,
            fiscal_start_month=fiscal,
        )
        objective_label = objective_choices(session=session)[objective_id]
        owner = session.get(Person, owner_id)
        assert owner is not None
    engine.dispose()
    page = _page(browser)

    _open_app(page, server.url)
    _act_as(page, stakeholder)
    _open(page, "Roadmap", "Roadmap")
    page.get_by_role("heading", name="Now / Next / Later").wait_for(timeout=WAIT_MS)
    _shot(page, "journey-stakeholder-1-roadmap")

    main = page.get_by_test_id("stMain")
    _pick(page, main, "Objective", objective_label)
    _query_becomes(page, "objective", objective_id)
    _pick(page, main, "Owner", owner.name)
    _query_becomes(page, "owner", owner_id)
    address = page.url
    assert parse_qs(urlsplit(address).query) == {
        "as": [str(stakeholder.id)],  # demo mode keeps the person acted as for a reload
        "quarter": [quarter],
        "objective": [str(objective_id)],
        "owner": [str(owner_id)],
    }
    shown = _shown(page)
    assert shown["titles"] == sorted(expected["title"]), shown
    assert shown["total"].startswith(f"{len(expected)} initiatives shown")
    assert shown["filters"]["Objective"] == objective_label
    assert shown["filters"]["Owner"] == owner.name
    _shot(page, "journey-stakeholder-2-filtered")

    # The same address in a brand-new browser context: a fresh session sharing nothing (in demo
    # mode it acts as the person the address names, here the stakeholder).
    context = page.context.browser.new_context(  # type: ignore[union-attr]
        viewport=page.viewport_size
    )
    fresh = context.new_page()
    _watch(fresh, browser.problems)
    try:
        fresh.goto(address)
        fresh.get_by_role("heading", level=1).first.wait_for(timeout=WAIT_MS)
        _settle(fresh)
        headings = fresh.get_by_role("heading", level=1).all_inner_texts()
        assert "Roadmap" in headings, f"{address} opened {headings} in a fresh session"
        reopened = _shown(fresh)
        assert reopened == shown
        assert parse_qs(urlsplit(fresh.url).query) == parse_qs(urlsplit(address).query)
        exceptions = fresh.get_by_test_id("stException")
        assert exceptions.count() == 0, exceptions.first.inner_text()
    finally:
        _shot(fresh, "journey-stakeholder-3-reopened-fresh-session")
        context.close()
    browser.assert_clean()
