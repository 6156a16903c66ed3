"""A reminder email as the notification preview frames it (ui/notification_prefs.py), drawn in
headless Chromium: the frame is about as tall as the email, in English and German. No server:
the email's HTML is the page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from planning.access.languages import set_language
from planning.config import AppConfig
from planning.notify.outbox import Planned
from planning.notify.run import preview_for
from planning.notify.secrets import NotifySecrets
from planning.reports.digest_render import digest_html
from planning.store.engine import session_scope
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.planning_seed import add_owed_initiative, seed_team
from tests.test_digest import digest_of, seed_week
from ui.notification_prefs import email_frame, email_frame_height

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

MONDAY_0930 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # 2026-W48's check-in
SECRETS = NotifySecrets(
    urls={"email": "mailto://127.0.0.1:9?from=qd@x.test"},
    link_secret=b"a-test-link-secret-0123456789",
)
FRAME_WIDTH = 760  # the preview's frame on This week in a desktop window
PHONE_FRAME_WIDTH = 330  # the same frame on a 390 pixels wide phone
# How far the email scrolls sideways (0 when nothing overflows its frame).
OVERFLOW_JS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    """One headless Chromium page for the file."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium.new_page(viewport={"width": FRAME_WIDTH, "height": 40})
        chromium.close()


def _reminder(engine: Engine, config: AppConfig, titles: list[str], language: str) -> Planned:
    """Ana's reminder email, owing an update on each initiative of `titles`."""
    team = seed_team(engine)
    for title in titles:
        add_owed_initiative(engine, team, title=title)
    with session_scope(engine) as session:
        set_language(session=session, actor=team.ana, person_id=team.ana.id, language=language)
    with Session(engine) as session:
        [message] = preview_for(
            session=session, config=config, person_id=team.ana.id, now=MONDAY_0930, secrets=SECRETS
        )
    return message


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(
    "titles",
    [
        ["Faster checkout"],
        ["Faster checkout", "Saved carts", "A much longer initiative title about guest checkout"],
    ],
)
def test_the_preview_frame_is_about_as_tall_as_the_reminder(
    engine: Engine, config: AppConfig, page: Page, titles: list[str], language: str
) -> None:
    # A one-line reminder sat in a frame 220 pixels and more tall, a blank third below it.
    message = _reminder(engine, config, titles, language)
    page.set_content(email_frame(message.body_html))
    drawn = int(page.evaluate("document.documentElement.scrollHeight"))
    height = email_frame_height(message.body_text)
    assert drawn <= height <= drawn + 48, (drawn, height)


def test_a_reminder_and_the_digest_never_scroll_sideways_on_a_phone(
    engine: Engine, twin_engine: Engine, config: AppConfig, page: Page
) -> None:
    # A reminder's signed link ran on unbroken past a phone's edge, and the digest's impact chart
    # was 900 pixels wide: the whole email scrolled sideways.
    reminder = _reminder(engine, config, ["Faster checkout"], "en").body_html
    seed_week(twin_engine)
    digest = digest_html(
        digest_of(twin_engine, config), url="http://localhost:8501/?share=" + "x" * 43
    )
    assert "<svg" in digest
    page.set_viewport_size({"width": PHONE_FRAME_WIDTH, "height": 600})
    try:
        for html in (reminder, digest):
            page.set_content(email_frame(html))
            assert page.evaluate(OVERFLOW_JS) == 0
    finally:
        page.set_viewport_size({"width": FRAME_WIDTH, "height": 40})
