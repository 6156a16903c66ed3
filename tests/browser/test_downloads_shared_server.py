"""Downloads on a server many people use at once, in a real browser: the Roadmap's PDF and CSV
keep their names (and their contents) however many other sessions run while the browser fetches
them, and when the clicking page itself refreshes because someone posted a status update.

Streamlit deletes a file a clicked button built once two script runs (of any session) have ended
after it, unless a session lists it as its own (ui/downloads.py). Here the browser's fetch of the
file is held back until other people have opened the Roadmap and a status update has refreshed
the page, as happens on a busy server; a deleted file comes back as "not found", which the browser
saves under the file's id instead of its name. Later sessions see the whole board meanwhile: no
filter or state of another session reaches them.
"""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING, Any, cast

import pytest

from planning import clock
from planning.config import default_config
from planning.periods import quarter_of
from planning.store.engine import create_store_engine
from planning.store.models import Role
from planning.work.roadmap import CSV_COLUMNS, HORIZON_LABELS
from tests.browser.conftest import Browser, Server
from tests.browser.test_journeys import WAIT_MS, _people, _pick, _settle, _watch
from tests.store_support import post_a_late_update

if TYPE_CHECKING:
    from playwright.sync_api import Browser as Chromium
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

MEDIA = re.compile(r".*/media/.*")
# Counts the page's script runs from now on (Streamlit marks the app element while one runs).
RUNS_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.quarterdeckRuns = 0;
  new MutationObserver(() => {
    if (app.dataset.testScriptState === 'running') window.quarterdeckRuns += 1;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def _roadmap(chromium: Chromium, url: str, problems: list[str]) -> Page:
    """The Roadmap in a browser context of its own (a session sharing nothing), drawn."""
    page = chromium.new_context(viewport={"width": 1400, "height": 2200}).new_page()
    _watch(page, problems)
    page.goto(url)
    page.get_by_role("heading", name="Now / Next / Later").wait_for(timeout=WAIT_MS)
    _settle(page)
    return page


def _board(page: Page) -> tuple[list[str], int]:
    """The board's column headings ("Now · 8") and how many of its tables are drawn."""
    main = page.get_by_test_id("stMain")
    headings = [
        main.get_by_text(re.compile(rf"^{label} · \d+$")).inner_text()
        for label in HORIZON_LABELS.values()
    ]
    tables = main.get_by_test_id("stDataFrame").filter(
        has=page.locator('th[role="columnheader"]', has_text=re.compile(r"^Initiative$"))
    )
    tables.nth(sum(not h.endswith(" · 0") for h in headings) - 1).wait_for(timeout=WAIT_MS)
    return headings, tables.count()


def _post_update(database_url: str) -> None:
    """An owner posts a status update (every open page refreshes itself)."""
    engine = create_store_engine(database_url)
    post_a_late_update(engine)
    engine.dispose()


def _download_while_others_work(
    page: Page, button: str, busy: Any, problems: list[str]
) -> tuple[str, str | None, bytes]:
    """Click a download button, hold the browser's fetch of the file while `busy()` runs, then
    let it through: the name the browser saves it under, why it failed (None) and its bytes."""
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)

    page.route(MEDIA, hold)
    try:
        with page.expect_download(timeout=WAIT_MS) as downloading:
            page.get_by_test_id("stMain").get_by_role("button", name=re.compile(button)).click()
            for _ in range(WAIT_MS // 100):
                if held:
                    break
                page.wait_for_timeout(100)
            assert held, f"the browser never asked for the file: {problems}"
            busy()
            for route in held:
                route.continue_()
        download = downloading.value
        failure = download.failure()
        data = b"" if failure else download.path().read_bytes()
        return download.suggested_filename, failure, data
    finally:
        page.unroute(MEDIA, hold)


def test_roadmap_downloads_keep_their_names_while_other_sessions_run(
    server: Server, browser: Browser
) -> None:
    quarter = quarter_of(clock.today(), default_config().settings.fiscal_year_start_month)
    engine = create_store_engine(server.database_url)
    stakeholder = _people(engine, Role.stakeholder)[0]
    director = _people(engine, Role.director)[0]
    member = _people(engine, Role.member)[0]
    engine.dispose()
    page = cast("Page", browser.page)
    chromium = cast("Chromium", page.context.browser)
    page.goto(f"{server.url}/roadmap?as={stakeholder.id}")
    page.get_by_role("heading", name="Now / Next / Later").wait_for(timeout=WAIT_MS)
    _settle(page)
    first_board = _board(page)
    others: list[Page] = []
    later_boards: list[tuple[list[str], int]] = []

    def others_open_the_roadmap() -> None:
        # Each opening and each filter is a script run that ends, and collects unlisted files as
        # it ends. The director filters by owner; the member, opening next, sees the whole board.
        boss = _roadmap(chromium, f"{server.url}/roadmap?as={director.id}", browser.problems)
        others.append(boss)
        _pick(boss, boss.get_by_test_id("stMain"), "Owner", member.name)
        boss.wait_for_function(
            f"() => new URLSearchParams(location.search).get('owner') === '{member.id}'",
            timeout=WAIT_MS,
        )
        _settle(boss)
        assert _board(boss)[0] != first_board[0]  # the filter keeps the member's work only
        others.append(_roadmap(chromium, f"{server.url}/roadmap?as={member.id}", browser.problems))
        later_boards.append(_board(others[-1]))

    def a_status_update_refreshes_the_page() -> None:
        page.evaluate(RUNS_JS)
        _post_update(server.database_url)
        page.wait_for_function("() => window.quarterdeckRuns > 0", timeout=WAIT_MS)
        _settle(page)
        others_open_the_roadmap()

    try:
        name, failure, data = _download_while_others_work(
            page, "PDF report", others_open_the_roadmap, browser.problems
        )
        assert (name, failure) == (f"roadmap-{quarter}.pdf", None)
        assert data.startswith(b"%PDF")

        name, failure, data = _download_while_others_work(
            page, "roadmap as CSV", a_status_update_refreshes_the_page, browser.problems
        )
        assert (name, failure) == (f"roadmap-{quarter}.csv", None)
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        assert rows[0] == list(CSV_COLUMNS.values())
        assert len(rows) - 1 == sum(int(h.rpartition(" · ")[2]) for h in first_board[0])

        name, failure, data = _download_while_others_work(
            page, "PDF report", a_status_update_refreshes_the_page, browser.problems
        )
        assert (name, failure) == (f"roadmap-{quarter}.pdf", None)
        assert data.startswith(b"%PDF")

        # Each later session, opened after another filtered the board and others downloaded,
        # saw the board the first one saw: the same counts, every table drawn.
        headings, tables = first_board
        assert tables == sum(not h.endswith(" · 0") for h in headings) > 0
        assert later_boards == [first_board] * 3
    finally:
        for other in others:
            other.context.close()
    browser.assert_clean()
