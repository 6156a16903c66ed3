"""First run in a real browser: a server on a new, empty store (no demo) opens the setup page
whatever address is asked; the first director sets up the team, follows This week's next step
to Admin, uploads a small observations CSV in the interchange format (preview, then confirm),
and creates the quarter's first objective with a live conversion-rate key result on Goals, whose
current value the page then shows. Screenshots under artifacts/screenshots/first-run-*."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import cast

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from planning import clock
from planning.config import default_config
from planning.formatting import format_value
from planning.okrs.evaluation import period_goals
from planning.periods import quarter_of
from planning.store.engine import create_store_engine
from planning.store.models import Person, Role
from tests.browser.conftest import Browser, Server, _serve
from tests.browser.sign_in_support import PASSWORD, app_server, heading, nav_links, settle
from tests.browser.test_journeys import WAIT_MS, _open, _pick, _settle, _shot
from tests.browser.test_sign_in_password import sign_in

pytestmark = pytest.mark.browser

DAYS = 28
SESSIONS = 2000  # a day's sessions: enough for conversion rate's minimum denominator
ORDERS = 60  # a day's orders: 3 % of sessions


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[Server]:
    """The app server on a brand-new store file, with no demo loaded on start."""
    new = tmp_path / "new"
    new.mkdir()
    (new / "empty.db").touch()
    yield from _serve(new / "empty.db", tmp_path)


def observations_csv(path: Path) -> Path:
    """Four weeks of sessions and orders (one channel and device) up to the day before today."""
    today = clock.today()
    lines = ["date,measure,value,channel,device,product_line"]
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        lines.append(f"{day},sessions,{SESSIONS},organic,mobile,")
        lines.append(f"{day},orders,{ORDERS},organic,mobile,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_first_director_sets_up_connects_data_and_sets_a_live_goal(
    empty_server: Server, browser: Browser, tmp_path: Path
) -> None:
    page = cast("Page", browser.page)
    engine = create_store_engine(empty_server.database_url)

    # Any address of a new store opens the setup page (no Roadmap, no menu, no picker).
    page.goto(f"{empty_server.url}/admin")
    page.get_by_role("heading", name="Set up Quarterdeck", level=1).wait_for(timeout=WAIT_MS)
    _settle(page)
    expect(page.get_by_role("button", name="Load the demo data")).to_be_visible()
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    page.goto(empty_server.url)
    page.get_by_role("heading", name="Set up Quarterdeck", level=1).wait_for(timeout=WAIT_MS)
    _settle(page)
    _shot(page, "first-run-1-setup")

    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Your email").fill("ada@example.com")
    page.get_by_role("textbox", name="The rest of the team (optional)").fill(
        "Grace Hopper, grace@example.com"
    )
    page.get_by_role("button", name="Set up").click()
    page.get_by_role("heading", name="This week", level=1).wait_for(timeout=WAIT_MS)
    _settle(page)
    with Session(engine) as session:
        team = {p.name: p.role for p in session.exec(select(Person)).all()}
    assert team == {"Ada Lovelace": Role.director, "Grace Hopper": Role.member}
    picker = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Acting as")
    expect(picker).to_have_value("Ada Lovelace · Director")
    expect(page.get_by_text("This store holds no data yet")).to_be_visible()
    _shot(page, "first-run-2-this-week")

    # This week's next step leads to Admin's upload, with a preview before anything is written.
    page.get_by_role("link", name="Connect your data in Admin").click()
    page.get_by_role("heading", name="Admin", level=1).wait_for(timeout=WAIT_MS)
    _settle(page)
    upload = page.get_by_test_id("stFileUploaderDropzoneInput")
    upload.set_input_files(str(observations_csv(tmp_path / "first-weeks.csv")))
    expect(page.get_by_text("Would add")).to_be_visible(timeout=WAIT_MS)
    _settle(page)
    _shot(page, "first-run-3-preview")
    page.get_by_role("button", name="Confirm import").click()
    _settle(page)
    expect(page.get_by_text("Imported", exact=False).first).to_be_visible(timeout=WAIT_MS)

    # The quarter's first objective, with a key result on the live conversion rate.
    _open(page, "Goals", "Goals")
    _shot(page, "first-run-4-goals-empty")
    page.get_by_test_id("stButtonGroup").get_by_text("Add an objective").click()
    _settle(page)
    page.get_by_label("Title").fill("Turn more visits into orders")
    page.get_by_role("button", name="Create objective").click()
    _settle(page)
    page.get_by_test_id("stButtonGroup").get_by_text("Add a key result").click()
    _settle(page)
    _pick(page, page, "Metric", "Conversion rate")
    _settle(page)
    form = page.get_by_test_id("stForm")
    form.get_by_label("Title").fill("Conversion rate to 3.5 %")
    form.get_by_label("Start (%)").fill("2.5")
    form.get_by_label("Target (%)").fill("3.5")
    form.get_by_role("button", name="Create key result").click()
    _settle(page)

    config = default_config()
    period = quarter_of(clock.today(), config.settings.fiscal_year_start_month)
    with Session(engine) as session:
        (kr,) = period_goals(session=session, config=config, period=period).key_results()
    engine.dispose()
    assert kr.current == pytest.approx(ORDERS / SESSIONS)
    shown = format_value(kr.current, "percent")
    current = page.get_by_test_id("stMetric").filter(has_text="Current")
    expect(current).to_contain_text(shown, timeout=WAIT_MS)
    _shot(page, "first-run-5-goals")
    browser.assert_clean()


def test_password_mode_setup_then_sign_in_as_the_first_director(
    browser: Browser, tmp_path: Path
) -> None:
    page = cast("Page", browser.page)
    store = tmp_path / "new.db"
    store.touch()
    with app_server(store=store, tmp_path=tmp_path, mode="password") as server:
        page.goto(server.url)
        heading(page, "Set up Quarterdeck")
        settle(page)
        page.get_by_label("Your name").fill("Ada Lovelace")
        page.get_by_label("Your email").fill("ada@example.com")
        page.get_by_label("Password", exact=True).fill("short")
        page.get_by_label("Repeat the password").fill("short")
        page.get_by_role("button", name="Set up").click()
        expect(page.get_by_text("at least 10 characters")).to_be_visible(timeout=WAIT_MS)
        settle(page)
        browser.shot("first-run-password-refused")

        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat the password").fill(PASSWORD)
        page.get_by_role("button", name="Set up").click()
        heading(page, "Sign in to Quarterdeck")
        settle(page)
        sign_in(page, "ada@example.com", PASSWORD)
        heading(page, "This week")
        settle(page)
        assert "Signed in as Ada Lovelace · Director" in page.inner_text("body")
        assert "Admin" in nav_links(page)
        browser.shot("first-run-password-signed-in")
    browser.assert_clean()
