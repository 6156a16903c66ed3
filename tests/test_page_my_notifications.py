"""This week's "My reminders and digests" under AppTest on a copy of the demo store: each person
sets their own channel, pause and opt-out, and sees what they would receive this week."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning import clock
from planning.config import default_config
from planning.notify.preferences import preference_of
from planning.reports.this_week import what_i_owe
from planning.store.engine import create_store_engine
from planning.store.models import Person, Role
from tests.app_pages import submit_form
from tests.page_text import plain

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EVERY = default_config().settings.updates.stale_after_days


def _member_who_owes(url: str) -> Person:
    engine = create_store_engine(url)
    with Session(engine) as session:
        for member in session.exec(select(Person).where(Person.role == Role.member)).scalars():
            owed = what_i_owe(
                session=session, person_id=member.id, today=clock.today(), every_days=EVERY
            )
            if not owed.empty:
                engine.dispose()
                return member
    raise AssertionError("the demo store should have a member who owes something")


def test_a_member_sets_their_own_channel_and_sees_their_reminder(app_store: str) -> None:
    member = _member_who_owes(app_store)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = member.id
    at.run()
    assert not at.exception
    at.toggle(key="tw_notify_preview").set_value(True).run()
    # The reminder email as it arrives, rendered in its frame, under its subject.
    email = "\n".join(f.proto.srcdoc for f in at.get("iframe"))
    subject = " ".join(plain(m.value) for m in at.markdown if "Subject" in m.value)
    assert f"<p>Hello {member.name},</p>" in email and "owed this week" in subject
    form = f"tw_notify_pref_{member.id}"
    [channel] = [s for s in at.selectbox if s.form_id == form]
    channel.set_value("teams")
    submit_form(at, form)
    assert not at.exception
    assert any("notification preferences" in s.value for s in at.success)
    engine = create_store_engine(app_store)
    with Session(engine) as session:
        assert preference_of(session=session, person_id=member.id).channel == "teams"
    engine.dispose()
