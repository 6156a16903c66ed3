"""A reminder's link under AppTest on a copy of the demo store: This week opens with the owed
item's form picked for the person it was made for, and for anyone else, an expired or an altered
link, the page opens as usual with a short notice (the link signs nobody in and writes nothing)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning import clock
from planning.config import default_config
from planning.notify.links import sign
from planning.notify.secrets import LINK_SECRET_ENV
from planning.reports.this_week import what_i_owe
from planning.store.engine import create_store_engine
from planning.store.models import AuditEvent, Person, Role
from tests.page_text import plain

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SECRET = "page-test-link-secret-0123456789"
EVERY = default_config().settings.updates.stale_after_days


@pytest.fixture
def store(app_store: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(LINK_SECRET_ENV, SECRET)
    monkeypatch.setenv("QUARTERDECK_SECRETS_FILE", "/nonexistent/secrets.toml")
    return app_store


def _member_owing_two(url: str) -> tuple[int, list[int], int]:
    """A member owing two or more status updates, their ids, and another member's id."""
    engine = create_store_engine(url)
    with Session(engine) as session:
        members = session.exec(select(Person).where(Person.role == Role.member)).scalars().all()
        for member in members:
            owed = what_i_owe(
                session=session, person_id=member.id, today=clock.today(), every_days=EVERY
            )
            if len(owed.updates) >= 2:
                other = next(m.id for m in members if m.id != member.id)
                engine.dispose()
                return member.id, [u.initiative_id for u in owed.updates], other
    raise AssertionError("the demo store should have a member owing two status updates")


def _open(person_id: int, token: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = person_id
    at.query_params["as"] = str(person_id)
    at.query_params["nudge"] = token
    at.switch_page("pages/this_week.py").run()
    assert not at.exception
    return at


def _token(person_id: int, item: str, days: int = 7) -> str:
    return sign(
        secret=SECRET.encode(),
        person_id=person_id,
        item=item,
        expires_at=clock.utcnow() + timedelta(days=days),
    )


def _audit_events(url: str) -> int:
    engine = create_store_engine(url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(AuditEvent)).one()[0]
    engine.dispose()
    return int(count)


def test_the_link_picks_the_owed_items_form(store: str) -> None:
    member, updates, _ = _member_owing_two(store)
    events = _audit_events(store)
    wanted = updates[-1]  # not the one picked by default
    at = _open(member, _token(member, f"update:{wanted}"))
    assert at.selectbox(key="tw_update_pick").value == wanted
    assert "nudge" not in at.query_params  # read once; a reload shows the page as usual
    assert _audit_events(store) == events  # following a link writes nothing


@pytest.mark.parametrize("case", ["someone else", "expired", "altered"])
def test_a_link_that_is_not_this_persons_picks_nothing(store: str, case: str) -> None:
    member, updates, other = _member_owing_two(store)
    wanted = updates[-1]
    token = _token(member, f"update:{wanted}", days=-1 if case == "expired" else 7)
    if case == "altered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    at = _open(other if case == "someone else" else member, token)
    shown = " ".join(plain(w.value) for w in at.warning)
    expected = {
        "someone else": "made for someone else",
        "expired": "expired",
        "altered": "not one Quarterdeck made",
    }[case]
    assert expected in shown
    if case != "someone else":
        assert at.selectbox(key="tw_update_pick").value == updates[0]
