"""Two `streamlit run server.py` processes on one PostgreSQL store, as a team runs them behind a
proxy: a member signed in on one process is signed in on the other (the sign-in session lives in
the store, the cookie goes to either), a share link opens the roadmap on either, and a status
update posted on one process shows on the other's open This week and Roadmap within 10 s, with
no reload (each open page polls the store's data versions, ui.state.live_refresh).

Scheduled work running once across processes is tested where the lock lives:
tests/test_sources.py::test_two_processes_on_postgres_run_a_source_once.

Runs only when QUARTERDECK_TEST_POSTGRES_URL names a PostgreSQL server (the schema is its own).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from planning.access.share_links import create_share_link
from planning.store.backup import export_store
from planning.store.engine import create_store_engine, migrate, session_scope
from planning.store.models import Person, PersonRead, Role
from planning.store.restore import restore_store
from tests.browser.conftest import SCREENSHOTS, Browser
from tests.browser.sign_in_support import PASSWORD, app_server, give_password, heading, settle
from tests.browser.test_sign_in_password import sign_in
from tests.postgres_support import postgres_schema

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

POSTGRES = os.environ.get("QUARTERDECK_TEST_POSTGRES_URL", "")
MEMBER = "ana@northwind.example"  # Ana Souza: her oldest owed update is work under way now
WORK = "Recommendations and bundles on product pages"
LIVE_MS = 10_000  # the bound: shown on the other process within 10 s
WAIT_MS = 60_000  # a first page on a loaded machine


@pytest.fixture
def shared_store(demo_store_file: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The demo store copied into a schema of its own on PostgreSQL, the member given a
    password; yields the store's URL and a share link's token."""
    if not POSTGRES:
        pytest.skip("QUARTERDECK_TEST_POSTGRES_URL is not set")
    with postgres_schema(POSTGRES) as (url, _):
        source = create_store_engine(f"sqlite:///{demo_store_file}")
        export_store(engine=source, directory=tmp_path / "export")
        source.dispose()
        target = create_store_engine(url)
        migrate(target)
        restore_store(engine=target, directory=tmp_path / "export")
        with session_scope(target) as session:
            member = session.exec(select(Person).where(Person.email == MEMBER)).one()
            give_password(session, int(member.id or 0))
        with Session(target) as session:
            director = session.exec(select(Person).where(Person.role == Role.director)).first()
            assert director is not None
            boss = PersonRead.model_validate(director)
        with session_scope(target) as session:
            token = create_share_link(session=session, actor=boss, label="Board").token
        target.dispose()
        yield url, token


def _shot(page: Page, name: str) -> None:
    """A full-page screenshot of one of the test's windows, under artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _board_count(page: Page, horizon: str) -> int:
    """The number beside a Now / Next / Later / Shipped heading of the Roadmap's board."""
    found = page.get_by_text(re.compile(rf"^{horizon} · \d+$")).first
    found.wait_for(timeout=WAIT_MS)
    return int(found.inner_text().rsplit("·", 1)[1])


def test_two_processes_share_sign_in_share_links_and_live_pages(
    shared_store: tuple[str, str], browser: Browser, tmp_path: Path
) -> None:
    url, token = shared_store
    first_page = cast("Page", browser.page)
    with (
        app_server(store=url, tmp_path=tmp_path, mode="password") as one,
        app_server(store=url, tmp_path=tmp_path, mode="password") as two,
    ):
        # Signed in on the first process ...
        first_page.goto(one.url)
        heading(first_page, "Sign in to Quarterdeck")
        settle(first_page)
        sign_in(first_page, MEMBER, PASSWORD)
        heading(first_page, "This week")
        settle(first_page)
        cookies = first_page.context.cookies()
        assert cookies, "signing in sets a cookie"

        # ... is signed in on the second: This week and the Roadmap open there, each in a
        # window of its own carrying the same cookie, as a proxy would send it to either.
        chromium = first_page.context.browser
        assert chromium is not None
        windows = []
        for _ in range(2):
            context = chromium.new_context(viewport={"width": 1400, "height": 2200})
            context.add_cookies(cookies)  # type: ignore[arg-type]
            windows.append(context)
        week, roadmap = (w.new_page() for w in windows)
        week.goto(two.url)
        heading(week, "This week")
        settle(week)
        assert "Ana Souza" in week.inner_text("body")
        roadmap.goto(f"{two.url}/roadmap")
        roadmap.get_by_role("heading", name="Now / Next / Later").wait_for(timeout=WAIT_MS)
        settle(roadmap)
        now, shipped = _board_count(roadmap, "Now"), _board_count(roadmap, "Shipped")
        # Her one owed status update is listed on the second process's This week.
        owed = week.get_by_role("heading", name="Status updates owed")
        expect(owed).to_be_visible()
        _shot(roadmap, "two-processes-roadmap-before")
        _shot(week, "two-processes-week-before")

        # The member marks her work done on the first process.
        main = first_page.get_by_test_id("stMain")
        picker = main.get_by_role("combobox", name="Post an update on", exact=True)
        expect(picker).to_have_value(WORK, timeout=WAIT_MS)
        form = main.get_by_test_id("stForm").filter(
            has=first_page.get_by_role("button", name="Post update")
        )
        form.get_by_role("combobox", name="Status", exact=True).click()
        first_page.get_by_role("option", name="Done", exact=True).click()
        form.get_by_role("textbox", name="Note (required)").fill("Shipped to every shop today.")
        form.get_by_role("button", name="Post update").click()
        first_page.get_by_text(f"Status update posted on “{WORK}”").wait_for(timeout=WAIT_MS)

        # The second process's open pages show it within 10 s, without a reload.
        expect(roadmap.get_by_text(f"Shipped · {shipped + 1}", exact=True)).to_be_visible(
            timeout=LIVE_MS
        )
        expect(roadmap.get_by_text(f"Now · {now - 1}", exact=True)).to_be_visible()
        expect(owed).to_have_count(0, timeout=LIVE_MS)
        settle(roadmap)
        _shot(roadmap, "two-processes-roadmap-after")
        _shot(week, "two-processes-week-after")

        # A share link opens the roadmap on either process.
        for server in (one, two):
            guest = chromium.new_context(viewport={"width": 1400, "height": 2200})
            shared = guest.new_page()
            shared.goto(f"{server.url}/?share={token}")
            shared.get_by_text("Read-only view shared by link").wait_for(timeout=WAIT_MS)
            shared.get_by_role("heading", name="Now / Next / Later").wait_for(timeout=WAIT_MS)
            guest.close()
        for window in windows:
            window.close()
        browser.assert_clean()
