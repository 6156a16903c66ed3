"""Password sign-in in headless Chromium against `streamlit run server.py`: a wrong password is
refused, the right one lands on the role's page, the sign-in survives a reload (HttpOnly
cookie), other pages' addresses lead home, and signing out ends it. The form and the sign-out
button are plain HTML forms posting to the server's own routes (api/sign_in.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from planning.store.engine import create_store_engine, session_scope
from planning.store.models import Person
from tests.browser.conftest import Browser
from tests.browser.sign_in_support import (
    PASSWORD,
    app_server,
    give_password,
    heading,
    headings,
    nav_links,
    settle,
)

MEMBER = "ana@northwind.example"  # Ana Souza, a member in the demo team
STAKEHOLDER = "helen@northwind.example"  # Helen Carter, a stakeholder


def store_with_passwords(demo_store_file: Path, tmp_path: Path) -> Path:
    store = tmp_path / "browser.db"
    shutil.copy(demo_store_file, store)
    engine = create_store_engine(f"sqlite:///{store}")
    with session_scope(engine) as session:
        for person in session.query(Person).filter(Person.email.in_([MEMBER, STAKEHOLDER])):
            give_password(session, int(person.id or 0))
    engine.dispose()
    return store


def sign_in(page: object, email: str, password: str) -> None:
    """Type the email and password into the sign-in form and post it.

    The form is drawn by a script run; on a loaded machine a run that was still finishing can
    redraw it after the typing, leaving empty required fields that the browser will not post.
    So the fields are checked to hold what was typed, and typed again if a redraw emptied them,
    before the one click that posts the form.
    """
    email_field = page.get_by_label("Email", exact=True)  # type: ignore[attr-defined]
    password_field = page.get_by_label("Password", exact=True)  # type: ignore[attr-defined]
    for _ in range(3):
        email_field.fill(email)
        password_field.fill(password)
        page.wait_for_timeout(300)  # type: ignore[attr-defined]
        if email_field.input_value() == email and password_field.input_value() == password:
            break
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]


def test_password_sign_in_reload_and_sign_out(
    browser: Browser, demo_store_file: Path, tmp_path: Path
) -> None:
    store = store_with_passwords(demo_store_file, tmp_path)
    page = browser.page
    with app_server(store=store, tmp_path=tmp_path, mode="password") as server:
        page.goto(server.url)  # type: ignore[attr-defined]
        heading(page, "Sign in to Quarterdeck")
        settle(page)
        assert nav_links(page) == []
        browser.shot("sign_in_password_form")

        sign_in(page, MEMBER, "not my password")
        alert = page.get_by_text("That email and password do not match an active account.")  # type: ignore[attr-defined]
        alert.wait_for(timeout=30_000)
        browser.shot("sign_in_password_wrong")

        sign_in(page, MEMBER, PASSWORD)
        heading(page, "This week")
        settle(page)
        assert "Ana Souza" in page.inner_text("body")  # type: ignore[attr-defined]
        cookies = {c["name"]: c for c in page.context.cookies()}  # type: ignore[attr-defined]
        assert cookies["quarterdeck_session"]["httpOnly"] is True
        assert "Admin" not in nav_links(page) and "Weekly planning" not in nav_links(page)
        browser.shot("sign_in_password_member_this_week")

        page.reload()  # type: ignore[attr-defined]
        heading(page, "This week")
        settle(page)
        assert "Signed in as Ana Souza" in page.inner_text("body")  # type: ignore[attr-defined]

        page.goto(f"{server.url}/admin")  # type: ignore[attr-defined]
        heading(page, "This week")
        settle(page)
        assert "Admin is for directors" not in page.inner_text("body")  # type: ignore[attr-defined]

        page.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
        heading(page, "Sign in to Quarterdeck")
        settle(page)
        page.reload()  # type: ignore[attr-defined]
        heading(page, "Sign in to Quarterdeck")
        settle(page)
        browser.shot("sign_in_password_signed_out")

        sign_in(page, STAKEHOLDER, PASSWORD)
        heading(page, "This week")
        settle(page)
        assert nav_links(page) == ["This week", "Goals", "Roadmap", "Metrics"]
        page.goto(f"{server.url}/planning")  # type: ignore[attr-defined]
        heading(page, "Roadmap")
        settle(page)
        assert "Weekly planning" not in headings(page)
        browser.shot("sign_in_password_stakeholder_roadmap")
        browser.assert_clean()
