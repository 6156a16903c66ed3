"""Demo mode in headless Chromium: choosing a stakeholder in "Acting as" lands on the Roadmap,
and the choice survives a reload of the browser, on that page and after moving to another."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from planning.store.engine import create_store_engine
from planning.store.models import Person, Role
from tests.browser.conftest import Browser, Server
from tests.browser.sign_in_support import heading, settle
from ui.identity import ROLE_LABELS

pytestmark = pytest.mark.browser


def first_stakeholder(server: Server) -> Person:
    engine = create_store_engine(server.database_url)
    with Session(engine) as session:
        person = session.exec(
            select(Person).where(Person.role == Role.stakeholder).order_by(Person.id)  # type: ignore[arg-type]
        ).first()
    engine.dispose()
    assert person is not None
    return person


def test_acting_as_a_stakeholder_lands_on_the_roadmap_and_survives_a_reload(
    server: Server, browser: Browser
) -> None:
    page = browser.page
    stakeholder = first_stakeholder(server)
    label = f"{stakeholder.name} · {ROLE_LABELS['stakeholder']}"
    page.goto(server.url)  # type: ignore[attr-defined]
    heading(page, "This week")
    settle(page)
    picker = page.locator('[data-testid="stSidebar"]').get_by_role(  # type: ignore[attr-defined]
        "combobox", name="Acting as"
    )
    picker.click()
    page.get_by_role("option", name=label, exact=True).click()  # type: ignore[attr-defined]
    heading(page, "Roadmap")
    settle(page)
    expect(picker).to_have_value(label)
    assert f"as={stakeholder.id}" in page.url  # type: ignore[attr-defined]

    page.reload()  # type: ignore[attr-defined]
    heading(page, "Roadmap")
    settle(page)
    expect(picker).to_have_value(label)

    page.locator('[data-testid="stSidebarNav"]').get_by_text("Goals").click()  # type: ignore[attr-defined]
    heading(page, "Goals")
    settle(page)
    page.reload()  # type: ignore[attr-defined]
    heading(page, "Goals")
    settle(page)
    expect(picker).to_have_value(label)
    browser.shot("demo_acting_as_after_reload")
    browser.assert_clean()
