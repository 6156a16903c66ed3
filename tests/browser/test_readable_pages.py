"""Pages a reader can read, in headless Chromium at 1,440 px against a real server on a copy of the
demo store: each key-result table on Goals fits beside the sidebar (Forecast and Probability in
view, no sideways scrolling) with every reason in full under it; Weekly planning's Score column
reads 960,917 and the browser's own string comparison, which the grid sorts a text column by,
orders it by number. That no page of any role shows a raw value in its text or its tables' cells
is checked by tests/browser/test_accessibility.py's walk over the same pages
(tests/browser/readable_support.py). Screenshots go to artifacts/screenshots/readable-* (or
QUARTERDECK_SHOTS)."""

from __future__ import annotations

import re
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
from tests.browser.conftest import Browser, Server
from tests.browser.readable_support import WIDTH, shot
from tests.browser.test_journeys import (
    WAIT_MS,
    _act_as,
    _column,
    _open,
    _open_app,
    _people,
)
from tests.shown_text import figure

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.fixture
def server(module_server: Server) -> Server:
    """One server for the file: its tests only read the store."""
    return module_server


def _page(browser: Browser) -> Page:
    return cast("Page", browser.page)


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
    shot(page, "readable-goals-1440")
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
    shot(page, "readable-planning-1440")
    browser.assert_clean()
