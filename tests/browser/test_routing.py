"""A first visit straight to a page's URL on a freshly started server still goes through the
router: the sidebar's identity picker is there, the page renders in the app's navigation, and a
page the person may not open leads to their own page instead. Without ui/routing.py's call at
server start, Streamlit would serve pages/ as pages of their own on that first visit."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Browser, Server
from tests.browser.sign_in_support import heading, settle

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


def test_cold_server_direct_url_to_a_restricted_page_leads_a_stakeholder_home(
    server: Server, browser: Browser
) -> None:
    from tests.browser.test_demo_acting_as import first_stakeholder

    stakeholder = first_stakeholder(server)
    page = browser.page
    page.goto(f"{server.url}/planning?as={stakeholder.id}")  # type: ignore[attr-defined]
    heading(page, "Roadmap")
    settle(page)
    headings = page.get_by_role("heading").all_inner_texts()  # type: ignore[attr-defined]
    assert "Weekly planning" not in [h.strip() for h in headings]
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()  # type: ignore[attr-defined]
    assert "Weekly planning" not in nav and "Admin" not in nav
    browser.assert_clean()
