"""A reminder's link in headless Chromium against `streamlit run server.py` in password mode:
opening it shows the sign-in form (the link signs nobody in), and once the person it names has
signed in, This week opens with the owed item's form picked."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from planning import clock
from planning.config import default_config
from planning.notify.links import form_url, sign
from planning.notify.secrets import LINK_SECRET_ENV
from planning.reports.this_week import what_i_owe
from planning.store.engine import create_store_engine, session_scope
from planning.store.models import Person, Role
from tests.browser.conftest import Browser
from tests.browser.sign_in_support import PASSWORD, app_server, give_password, heading, settle
from tests.browser.test_sign_in_password import sign_in

SECRET = "browser-link-secret-0123456789"


def test_a_reminder_link_opens_the_form_after_signing_in(
    browser: Browser, demo_store_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "browser.db"
    shutil.copy(demo_store_file, store)
    engine = create_store_engine(f"sqlite:///{store}")
    every = default_config().settings.updates.stale_after_days
    with Session(engine) as session:
        for member in session.exec(select(Person).where(Person.role == Role.member)).scalars():
            owed = what_i_owe(
                session=session, person_id=member.id, today=clock.today(), every_days=every
            )
            if len(owed.updates) >= 2:
                break
        else:
            raise AssertionError("the demo store should have a member owing two updates")
        email, person_id, wanted = member.email, int(member.id), owed.updates[-1]
    with session_scope(engine) as session:
        give_password(session, person_id)
    engine.dispose()
    monkeypatch.setenv(LINK_SECRET_ENV, SECRET)
    token = sign(
        secret=SECRET.encode(),
        person_id=person_id,
        item=f"update:{wanted.initiative_id}",
        expires_at=clock.utcnow() + timedelta(days=7),
    )
    page = browser.page
    with app_server(store=store, tmp_path=tmp_path, mode="password") as server:
        page.goto(form_url(base_url=server.url, token=token))  # type: ignore[attr-defined]
        heading(page, "Sign in to Quarterdeck")  # the link alone signs nobody in
        settle(page)
        sign_in(page, email, PASSWORD)
        heading(page, "This week")
        settle(page)
        picker = page.locator('[data-testid="stSelectbox"]').filter(  # type: ignore[attr-defined]
            has_text="Post an update on"
        )
        assert picker.first.get_by_role("combobox").input_value() == wanted.title
        assert "nudge=" not in page.url  # type: ignore[attr-defined]
        browser.shot("reminder_link_form_picked")
