"""A title that a spreadsheet would run as a formula (=cmd|' /C calc'!A0, +1+1, @SUM(1,2),
-2+3) never leaves the app as a formula: tables have no built-in CSV download or copy
(.streamlit/config.toml, client.disableDataExport), and the Roadmap's own CSV export keeps such
text as text (tests/test_page_roadmap.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from planning.store.engine import create_store_engine
from planning.store.models import Person, Role
from tests.browser.conftest import Browser, Server, browser, server  # noqa: F401
from tests.browser.test_journeys import _act_as, _open, _open_app
from tests.browser.test_roadmap_share import shared_ideas

FORMULAS = ("=cmd|' /C calc'!A0", "+1+1", "@SUM(1,2)", "-2+3")


def _toolbar_labels(container: Any) -> list[str]:
    """The buttons a table's toolbar offers when the pointer is over the table."""
    container.scroll_into_view_if_needed()
    container.locator('[data-testid="stDataFrame"]').hover()
    toolbar = container.locator('[data-testid="stElementToolbar"]')
    toolbar.wait_for(timeout=10000)
    buttons = toolbar.locator("button")
    return [str(buttons.nth(i).get_attribute("aria-label")) for i in range(buttons.count())]


def _assert_no_table_exports(page: Any) -> int:
    """Every table on the page offers a toolbar without a CSV download; returns how many."""
    tables = (
        page.locator('[data-testid="stElementContainer"]')
        .filter(has=page.locator('[data-testid="stDataFrame"]'))
        .filter(visible=True)
    )
    tables.first.wait_for(timeout=30000)
    page.wait_for_timeout(2000)  # the tables below the first draw after it
    for i in range(tables.count()):
        labels = _toolbar_labels(tables.nth(i))
        assert "Search" in labels, labels  # the toolbar is there, with what stays
        assert not [label for label in labels if "csv" in label.lower()], labels
    return int(tables.count())


@pytest.mark.browser
def test_shared_roadmap_tables_offer_no_csv_download(server: Server, browser: Browser) -> None:  # noqa: F811
    token = shared_ideas(server, FORMULAS)[0]
    page = browser.page
    page.goto(f"{server.url}/?share={token}")  # type: ignore[attr-defined]
    page.get_by_text("Read-only view shared by link").wait_for(timeout=30000)  # type: ignore[attr-defined]
    page.get_by_text("=cmd|' /C calc'!A0").first.wait_for(state="attached", timeout=30000)  # type: ignore[attr-defined]
    assert _assert_no_table_exports(page) >= 3  # Now, Next and Later at least
    browser.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("link", ["Initiatives", "Weekly planning"])
def test_a_directors_tables_and_editors_offer_no_csv_download(
    server: Server,  # noqa: F811
    browser: Browser,  # noqa: F811
    link: str,
) -> None:
    shared_ideas(server, FORMULAS)
    engine = create_store_engine(server.database_url)
    with Session(engine) as session:
        director = session.exec(select(Person).where(Person.role == Role.director)).first()
    engine.dispose()
    assert director is not None
    page = browser.page
    _open_app(page, server.url)
    _act_as(page, director)
    _open(page, link, link)
    assert _assert_no_table_exports(page) >= 1
    browser.assert_clean()
