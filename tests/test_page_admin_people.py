"""Admin's People and Configuration tabs under AppTest on a copy of the demo store: the team
table, adding and editing people (with the domain's refusals shown and nothing written), time
off, passwords in password mode, and the loaded configuration."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.config import default_config
from planning.store.engine import create_store_engine, read_engine
from planning.store.models import Person, Role, TimeOff
from tests.app_pages import open_admin_tab
from tests.config_support import use_sign_in_mode
from tests.page_text import errors

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def people(url: str) -> dict[str, Person]:
    engine: Engine = create_store_engine(url)
    with Session(read_engine(engine)) as session:
        found = {p.email: p for p in session.scalars(select(Person))}
    engine.dispose()
    return found


def time_off(url: str, person_id: int) -> list[tuple[date, date]]:
    engine: Engine = create_store_engine(url)
    with Session(read_engine(engine)) as session:
        rows = session.scalars(select(TimeOff).where(TimeOff.person_id == person_id))
        found = sorted((t.start_date, t.end_date) for t in rows)
    engine.dispose()
    return found


def director(url: str) -> Person:
    return next(p for p in people(url).values() if p.role == Role.director)


def open_people(url: str) -> AppTest:
    return open_admin_tab(director(url).id, "People")


def test_the_team_table_and_the_configuration(app_store: str) -> None:
    at = open_people(app_store)
    labels = [t.label for t in at.tabs]  # the Admin tabs, with People's own tabs among them
    assert [t for t in labels if t not in {"Details", "Time off", "Password"}] == [
        "Data import",
        "API tokens",
        "Import history",
        "Sources",
        "Share links",
        "People",
        "Notifications",
        "Configuration",
    ]
    team = next(d.value for d in at.dataframe if "BAU share" in d.value.columns)
    assert sorted(team["email"]) == sorted(people(app_store))
    assert "password" not in team.columns  # demo mode: no passwords
    assert "Stakeholder" in set(team["role"])
    at.session_state["admin_tab"] = "Configuration"
    at.run()
    assert {m.label: m.value for m in at.metric}["Sign-in mode"] == "demo"
    metrics = next(d.value for d in at.dataframe if "definition" in d.value.columns)
    assert list(metrics["metric"]) == list(default_config().metrics.metrics)
    assert metrics.set_index("metric").loc["conversion_rate", "definition"] == (
        "Σ orders / Σ sessions"
    )


def test_adding_a_person_and_a_refused_one_that_keeps_the_input(app_store: str) -> None:
    at = open_people(app_store)
    at.text_input(key="new_person_name_0").input("Nia Okafor")
    at.text_input(key="new_person_email_0").input("ANA@northwind.example")
    at.button(key="FormSubmitter:admin_add_person_0-Add person").click().run()
    assert "ANA@northwind.example is already someone's email" in errors(at)
    assert "nia" not in " ".join(people(app_store))
    assert at.text_input(key="new_person_name_0").value == "Nia Okafor"  # kept
    at.text_input(key="new_person_email_0").input("nia@northwind.example")
    at.selectbox(key="new_person_role_0").set_value("stakeholder")
    at.button(key="FormSubmitter:admin_add_person_0-Add person").click().run()
    assert not at.exception and not at.error
    added = people(app_store)["nia@northwind.example"]
    assert (added.name, added.role) == ("Nia Okafor", Role.stakeholder)
    assert "Added Nia Okafor to the team." in [s.value for s in at.success]
    assert at.text_input(key="new_person_name_1").value == ""  # the form starts empty again


def test_the_only_director_cannot_demote_themselves(app_store: str) -> None:
    at = open_people(app_store)
    boss = director(app_store)
    key = f"edit_person_{boss.id}_0"
    at.selectbox(key=f"{key}_role").set_value("member")
    at.button(key=f"FormSubmitter:{key}-Save changes").click().run()
    assert f"{boss.name} is the last active director" in errors(at)
    assert people(app_store)[boss.email].role == Role.director
    at.selectbox(key=f"{key}_role").set_value("director")
    at.text_input(key=f"{key}_hours").input("36")
    at.button(key=f"FormSubmitter:{key}-Save changes").click().run()
    assert not at.error
    assert people(app_store)[boss.email].weekly_hours == 36.0


def test_time_off_is_added_and_a_backwards_range_refused(app_store: str) -> None:
    at = open_people(app_store)
    ana = people(app_store)["ana@northwind.example"]
    at.selectbox(key="admin_people_chosen").set_value(ana.id).run()
    key = f"time_off_{ana.id}_0"
    before = time_off(app_store, ana.id)
    at.date_input(key=f"{key}_first").set_value(date(2027, 2, 10))
    at.date_input(key=f"{key}_last").set_value(date(2027, 2, 1))
    at.button(key=f"FormSubmitter:{key}-Add time off").click().run()
    assert "ends (01 Feb 2027) before it starts (10 Feb 2027)" in errors(at)
    assert time_off(app_store, ana.id) == before
    at.date_input(key=f"{key}_last").set_value(date(2027, 2, 12))
    at.button(key=f"FormSubmitter:{key}-Add time off").click().run()
    assert not at.error
    assert (date(2027, 2, 10), date(2027, 2, 12)) in time_off(app_store, ana.id)
    assert "Added 3 days off for Ana Souza." in [s.value for s in at.success]


@pytest.fixture
def password_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sign_in_mode(tmp_path, monkeypatch, "password")


def test_a_director_sets_a_password_in_password_mode(
    app_store: str, password_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.identity
    from planning.access.passwords import attempt_sign_in, hash_password, start_session
    from planning.store.engine import session_scope

    boss = director(app_store)
    engine = create_store_engine(app_store)
    with session_scope(engine) as session:
        record = session.get(Person, boss.id)
        assert record is not None
        record.password_hash = hash_password("the director's secret")
    settings = default_config().settings.auth
    with session_scope(engine) as session:
        code = attempt_sign_in(
            session=session, email=boss.email, password="the director's secret", settings=settings
        ).code
        token = start_session(session=session, code=code or "", settings=settings)
    engine.dispose()
    monkeypatch.setattr(ui.identity, "_session_token", lambda: token)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/admin.py").run()
    at.session_state["admin_tab"] = "People"
    at.run()
    assert not at.exception
    team = next(d.value for d in at.dataframe if "BAU share" in d.value.columns)
    assert team.set_index("email").loc["ana@northwind.example", "password"] == "not set"
    ana = people(app_store)["ana@northwind.example"]
    at.selectbox(key="admin_people_chosen").set_value(ana.id).run()
    key = f"password_{ana.id}_0"
    at.text_input(key=f"{key}_first").input("ana's new password")
    at.text_input(key=f"{key}_again").input("ana's new pasword")
    at.button(key=f"FormSubmitter:{key}-Set password").click().run()
    assert "The two passwords differ" in errors(at)
    assert people(app_store)[ana.email].password_hash is None
    at.text_input(key=f"{key}_again").input("ana's new password")
    at.button(key=f"FormSubmitter:{key}-Set password").click().run()
    assert not at.error
    stored = people(app_store)[ana.email].password_hash
    assert stored is not None and stored.startswith("$argon2id$")
    assert "Password set for Ana Souza." in [s.value for s in at.success]
