"""The first-run setup page under AppTest: an empty store opens it whatever page is asked for,
setup adds the first director and team (with a password in password mode), bad input writes
nothing, and a store with people never shows it again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.access.passwords import verify_password
from planning.config.settings import AuthSettings
from planning.startup.first_run import NewPerson, set_up_team
from planning.store.engine import (
    PLAN,
    bump_version,
    create_store_engine,
    read_engine,
    session_scope,
)
from planning.store.models import Person, Role
from tests.config_support import use_sign_in_mode
from tests.conftest import point_app_at
from tests.page_text import errors
from tests.planning_seed import insert_initiative

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new store file, no demo loaded on start, caches empty."""
    yield point_app_at(tmp_path / "new.db", monkeypatch)
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def password_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_sign_in_mode(tmp_path, monkeypatch, "password")


def team(url: str) -> list[Person]:
    engine = create_store_engine(url)
    with Session(read_engine(engine)) as session:
        found = list(session.scalars(select(Person).order_by(Person.id)))
    engine.dispose()
    return found


def open_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception
    return at


def fill(at: AppTest, name: str, email: str, team_text: str = "", password: str = "") -> AppTest:
    at.text_input(key="setup_name").input(name)
    at.text_input(key="setup_email").input(email)
    if password:
        at.text_input(key="setup_password").input(password)
        at.text_input(key="setup_repeat").input(password)
    at.text_area(key="setup_team_text").input(team_text)
    at.button[-1].click()  # the form's Set up button
    at.run()
    assert not at.exception
    return at


def test_an_empty_store_opens_the_setup_page(empty_store: str) -> None:
    at = open_app()
    assert at.title[0].value == "Set up Quarterdeck"
    assert at.button[0].label == "Load the demo data"
    notes = " ".join(c.value for c in at.caption)
    assert "fiscal year starts in **January**" in notes and "**USD**" in notes
    assert not at.selectbox  # no "Acting as" picker: nobody to act as yet


def test_setup_makes_the_first_director_then_the_app_opens_as_them(empty_store: str) -> None:
    at = fill(
        open_app(),
        "Ada Lovelace",
        "ada@example.com",
        "Grace Hopper, grace@example.com\nAlan Turing, alan@example.com, stakeholder",
    )
    people = team(empty_store)
    assert [(p.name, p.role) for p in people] == [
        ("Ada Lovelace", Role.director),
        ("Grace Hopper", Role.member),
        ("Alan Turing", Role.stakeholder),
    ]
    assert at.title[0].value == "This week"
    acting_as = next(s for s in at.selectbox if s.label == "Acting as")
    assert acting_as.value == people[0].id  # acting as the new director
    assert "Quarterdeck is set up with 3 people." in [t.value for t in at.toast]

    # The empty pages say what comes next and link there.
    at.switch_page("pages/roadmap.py").run()
    assert any("The roadmap is empty: there is no initiative yet" in i.value for i in at.info)
    assert "initiatives" in [link.proto.page for link in at.get("page_link")]
    at.switch_page("pages/impact.py").run()
    assert any("No shipped initiative has an expected lift yet" in i.value for i in at.info)
    assert "initiatives" in [link.proto.page for link in at.get("page_link")]

    # Setup never comes back once the team exists: a new session opens the app itself.
    st.cache_data.clear()
    again = open_app("pages/admin.py")
    assert again.title[0].value == "Admin"
    assert "setup_name" not in [t.key for t in again.text_input]


@pytest.mark.parametrize(
    ("name", "email", "team_text", "reason"),
    [
        ("", "ada@example.com", "", "the director: the name"),
        ("Ada", "ada.example.com", "", "'ada.example.com' is not an email address"),
        ("Ada", "ada@example.com", "Grace only", "team line 1: write name, email and role"),
        ("Ada", "ada@example.com", "Grace, g@example.com, boss", "unknown role 'boss'"),
    ],
)
def test_bad_input_says_why_and_writes_nothing(
    empty_store: str, name: str, email: str, team_text: str, reason: str
) -> None:
    at = fill(open_app(), name, email, team_text)
    assert reason in errors(at)
    assert "Nothing was saved" in errors(at)
    assert team(empty_store) == []
    assert at.title[0].value == "Set up Quarterdeck"


def test_password_mode_sets_the_directors_password(empty_store: str, password_mode: None) -> None:
    at = fill(open_app(), "Ada", "ada@example.com", password="short")
    assert "at least 10 characters" in errors(at)
    assert team(empty_store) == []

    at.text_input(key="setup_password").input("correct horse battery")
    at.text_input(key="setup_repeat").input("correct horse batter")
    at.button[-1].click().run()
    assert "the two passwords differ" in errors(at)
    assert team(empty_store) == []

    at = fill(at, "Ada", "ada@example.com", password="correct horse battery")
    (ada,) = team(empty_store)
    assert ada.role == Role.director
    assert verify_password(password_hash=ada.password_hash, password="correct horse battery")
    assert at.title[0].value == "Sign in to Quarterdeck"  # the next step is signing in


def test_a_store_with_people_never_shows_setup(app_store: str) -> None:
    at = open_app()
    assert at.title[0].value == "This week"
    assert not any(b.label == "Load the demo data" for b in at.button)


def test_the_demo_loads_from_the_setup_page(empty_store: str) -> None:
    at = open_app()
    at.button(key="setup_load_demo").click().run()
    assert not at.exception
    assert len(team(empty_store)) == 7  # the demo's own team
    assert at.title[0].value == "This week"
    assert "The demo data is loaded." in [t.value for t in at.toast]


def test_a_setup_page_left_open_after_someone_set_up_writes_nothing(empty_store: str) -> None:
    at = open_app()
    engine = create_store_engine(empty_store)
    with session_scope(engine) as session:
        set_up_team(
            session=session, director=NewPerson("Ada", "ada@example.com"), settings=AuthSettings()
        )
    engine.dispose()
    at = fill(at, "Mallory", "mallory@example.com")
    assert [p.name for p in team(empty_store)] == ["Ada"]
    assert at.title[0].value == "This week"
    assert "setup_name" not in [t.key for t in at.text_input]


def test_a_new_teams_roadmap_on_a_quarters_first_day_names_no_earlier_quarter(
    empty_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_TODAY", "2027-01-01")
    at = fill(open_app(), "Ada Lovelace", "ada@example.com")
    at.switch_page("pages/roadmap.py").run()
    notes = [i.value for i in at.info]
    assert any(n.startswith("2027-Q1 has no objectives yet") for n in notes), notes
    # A new store has no earlier quarter whose objectives the work could be shown under.
    assert not any("earlier quarters" in n for n in notes), notes


def test_a_new_teams_backlog_counts_its_initiatives_in_words_that_fit(empty_store: str) -> None:
    at = fill(open_app(), "Ada Lovelace", "ada@example.com")
    at.switch_page("pages/planning.py").run()
    # Empty: the note says so, and no "0 open initiatives, 0 ranked" about a table not drawn.
    assert any("The backlog is empty" in i.value for i in at.info)
    assert not any("open initiatives" in c.value for c in at.caption)
    engine = create_store_engine(empty_store)
    with session_scope(engine) as session:
        insert_initiative(session, title="Faster checkout", owner_id=team(empty_store)[0].id)
        bump_version(session, PLAN)
    engine.dispose()
    at.run()
    assert any(c.value.startswith("1 open initiative, 0 ranked by RICE.") for c in at.caption), [
        c.value for c in at.caption
    ]
