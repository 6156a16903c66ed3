"""Pages a reader can read, in headless Chromium at 1,440 px against a real server on a copy of the
demo store: every page of every role shows no raw value in its text or its tables' cells; each
key-result table on Goals fits beside the sidebar (Forecast and Probability in view, no sideways
scrolling) with every reason in full under it; Weekly planning's Score column reads 960,917 and
the browser's own string comparison, which the grid sorts a text column by, orders it by number.
Screenshots of every page go to artifacts/screenshots/readable-* (or QUARTERDECK_SHOTS)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest
from sqlmodel import Session

from planning import clock
from planning.config import default_config
from planning.formatting import format_score
from planning.okrs.evaluation import period_goals
from planning.periods import quarter_of
from planning.store.engine import create_store_engine
from planning.store.models import Role
from planning.work.backlog import ranked_backlog
from tests.browser.conftest import SCREENSHOTS, Browser, Server
from tests.browser.test_journeys import (
    WAIT_MS,
    _act_as,
    _column,
    _open,
    _open_app,
    _people,
    _settle,
)
from tests.shown_text import RAW_PATTERNS, figure

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

WIDTH = 1_440
SHOTS = Path(os.environ.get("QUARTERDECK_SHOTS", SCREENSHOTS))
PAGES = {
    Role.director: [
        "This week",
        "Goals",
        "Weekly planning",
        "Initiatives",
        "Roadmap",
        "Metrics",
        "Impact",
        "Admin",
    ],
    Role.member: ["This week", "Goals", "Initiatives", "Roadmap", "Metrics", "Impact"],
    Role.stakeholder: ["This week", "Goals", "Roadmap", "Metrics"],
}
# tests/test_page_raw_values.py explains its allow-list: the grid's faded placeholder in the
# backlog editor's empty input cells (an idea with no dates yet), and the import file's measure
# ids in the Admin tab open first. Besides, the backlog editor's accessible mirror (the hidden
# table a screen reader reads) holds a pick-list cell's stored value (in_progress), Streamlit's
# own, while the canvas draws its label (In progress), as the screenshots show.
ALLOWED = {
    ("Weekly planning", "None/nan"),
    ("Weekly planning", "snake_case code"),
    ("Admin", "snake_case code"),
}


def _page(browser: Browser) -> Page:
    return cast("Page", browser.page)


def _shot(page: Page, name: str) -> Path:
    """The whole main area (the window stretched to its height), saved as a PNG."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = int(page.get_by_test_id("stMain").evaluate("e => e.scrollHeight"))
    page.set_viewport_size({"width": WIDTH, "height": max(900, height)})
    page.wait_for_timeout(600)  # charts and tables redraw at the new size
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    return path


def _shown_text(page: Page) -> list[str]:
    """The main area's text without its icons (a Material icon is a word such as edit_note the
    icon font draws as a glyph), and every rendered table cell (the grid's accessible mirror)."""
    main = page.get_by_test_id("stMain")
    text = main.evaluate(
        """e => {
            const copy = e.cloneNode(true);
            document.body.appendChild(copy);
            copy.querySelectorAll('[data-testid="stDataFrame"]').forEach(t => t.remove());
            copy.querySelectorAll('span, i').forEach(s => {
                if (getComputedStyle(s).fontFamily.includes('Material')) s.remove();
            });
            const text = copy.innerText;
            copy.remove();
            return text;
        }"""
    )
    cells = main.locator('td[role="gridcell"], th[role="columnheader"]').all_text_contents()
    return [str(text), *cells]


# Parts of a page drawn only once a tab is clicked or a detail picked, looked at for a director.
TABS = {
    "Impact": ["Calibration", "Digest"],
    "Admin": ["API tokens", "Import history", "Share links", "People", "Configuration"],
}


def _leaks(page: Page, where: str, title: str) -> list[str]:
    found = []
    for text in _shown_text(page):
        for kind, pattern in RAW_PATTERNS.items():
            if (title, kind) not in ALLOWED:
                found += [f"{where} · {kind}: {m}" for m in pattern.findall(text)]
    return found


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def test_no_page_shows_a_raw_value_at_1440_px(server: Server, browser: Browser) -> None:
    engine = create_store_engine(server.database_url)
    page = _page(browser)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    _open_app(page, server.url)
    leaks: list[str] = []
    shots = 0
    for role, pages in PAGES.items():
        _act_as(page, _people(engine, role)[0])
        for title in pages:
            _open(page, title, title)
            page.wait_for_timeout(500)  # tables and charts draw after the script run
            _settle(page)
            leaks += _leaks(page, f"{role.value} · {title}", title)
            _shot(page, f"readable-{role.value}-{_slug(title)}")
            shots += 1
            browser.assert_clean()
            if role != Role.director:
                continue
            for tab in TABS.get(title, []):
                page.get_by_role("tab", name=tab, exact=True).click()
                _settle(page)
                leaks += _leaks(page, f"{role.value} · {title} · {tab}", title)
                _shot(page, f"readable-{role.value}-{_slug(title)}-{_slug(tab)}")
                browser.assert_clean()
            if title == "Initiatives":
                picker = page.get_by_role("combobox", name="Open an initiative", exact=True)
                picker.click()
                page.get_by_role("option").nth(1).click()
                _settle(page)
                leaks += _leaks(page, f"{role.value} · {title} · detail", title)
                _shot(page, f"readable-{role.value}-initiative-detail")
                browser.assert_clean()
    assert shots == sum(len(p) for p in PAGES.values())
    assert not leaks, "\n".join(sorted(set(leaks)))


def test_key_result_tables_fit_at_1440_px_with_every_reason_in_full(
    server: Server, browser: Browser
) -> None:
    config = default_config()
    today = clock.today()
    period = quarter_of(today, config.settings.fiscal_year_start_month)
    engine = create_store_engine(server.database_url)
    with Session(engine) as session:
        goals = period_goals(session=session, config=config, period=period, today=today)
    page = _page(browser)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    _open_app(page, server.url)
    _act_as(page, _people(engine, Role.director)[0])
    _open(page, "Goals", "Goals")
    page.get_by_role("heading", name="Key result detail").wait_for(timeout=WAIT_MS)
    grids = page.get_by_test_id("stDataFrame").filter(has_text="Probability")
    assert grids.count() == len(goals.objectives)
    for index in range(grids.count()):
        grid = grids.nth(index)
        grid.scroll_into_view_if_needed()
        headers = [h.strip() for h in grid.locator('th[role="columnheader"]').all_inner_texts()]
        assert {"Forecast", "Probability"} <= set(headers), headers
        # The grid scrolls sideways only when its columns are wider than the page gives it.
        scroller = grid.locator(".dvn-scroller").first
        overflow = scroller.evaluate("e => e.scrollWidth - e.clientWidth")
        assert overflow <= 1, f"table {index + 1} is {overflow} px wider than its room"
        box = grid.bounding_box()
        assert box is not None and box["x"] + box["width"] <= WIDTH
    reasons = [kr for o in goals.objectives for kr in o.key_results if kr.status_reason]
    assert reasons
    for kr in reasons:
        line = page.get_by_test_id("stMain").locator("li").filter(has_text=kr.title).first
        line.scroll_into_view_if_needed()
        assert kr.status_reason in line.inner_text()
        box = line.bounding_box()
        assert box is not None and box["x"] + box["width"] <= WIDTH, kr.title
    _shot(page, "readable-goals-1440")
    browser.assert_clean()


def test_planning_scores_read_by_size_and_sort_by_number(server: Server, browser: Browser) -> None:
    config = default_config()
    engine = create_store_engine(server.database_url)
    with Session(engine) as session:
        backlog = ranked_backlog(session=session, config=config, framework_id=config.scoring.active)
    page = _page(browser)
    page.set_viewport_size({"width": WIDTH, "height": 1_400})
    _open_app(page, server.url)
    _act_as(page, _people(engine, Role.director)[0])
    _open(page, "Weekly planning", "Weekly planning")
    grid = page.get_by_test_id("stDataFrame").first
    grid.get_by_test_id("data-grid-canvas").wait_for(timeout=WAIT_MS)
    cells = grid.locator('td[role="gridcell"][aria-colindex="2"]').all_text_contents()
    shown = [c.strip() for c in cells]
    assert shown, "no Score cells rendered"
    assert shown == [format_score(v) for v in backlog["score"].iloc[: len(shown)]]
    assert not any(re.search(r"\d,\d{3}\.\d|\.\d{3}", s) for s in shown), shown
    # The comparison the grid sorts a text column with.
    ordered = page.evaluate("cells => [...cells].sort((a, b) => a.localeCompare(b))", cells)
    assert [figure(c) for c in ordered] == sorted(figure(c) or 0.0 for c in cells)
    ranks = _column(grid, "Rank")
    assert [int(r) for r in ranks] == list(range(1, len(ranks) + 1))
    _shot(page, "readable-planning-1440")
    browser.assert_clean()
