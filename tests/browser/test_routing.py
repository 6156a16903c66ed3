"""A first visit straight to a page's URL on a freshly started server still goes through the
router: the sidebar's identity picker is there and the page renders in the app's navigation."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Browser, Server

pytestmark = pytest.mark.browser


def test_cold_server_direct_page_url_runs_the_router(server: Server, browser: Browser) -> None:
    page = browser.page
    page.goto(f"{server.url}/metrics")  # type: ignore[attr-defined]
    page.get_by_text("Data through").wait_for(timeout=30000)  # type: ignore[attr-defined]
    sidebar = page.locator('[data-testid="stSidebar"]')  # type: ignore[attr-defined]
    sidebar.get_by_text("Acting as").wait_for(timeout=10000)
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()  # type: ignore[attr-defined]
    assert "Metrics" in nav and "app" not in nav.split()
    browser.assert_clean()
