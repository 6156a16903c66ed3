"""The chosen quarter (Goals, Roadmap) and scoring framework (Weekly planning) live in the
address's query string, under AppTest on a copy of the demo store: an address opens the view it
names, changing the choice rewrites the address (leaving demo mode's `as` alone), and a value
the page cannot use falls back to the default with a short notice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning import clock
from planning.config import default_config
from planning.periods import next_quarter, previous_quarter, quarter_of
from planning.store.engine import create_store_engine
from planning.store.models import Person, Role
from tests.page_text import plain

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SCORING = default_config().scoring


def director_id(engine: Engine) -> int:
    with Session(engine) as session:
        found = session.scalars(
            select(Person.id).where(Person.role == Role.director).order_by(Person.id)
        ).first()
    assert found is not None
    return int(found)


def open_page(engine: Engine, page: str, query: dict[str, str]) -> AppTest:
    """The page opened on an address carrying `query` (and the person acted as, `as`)."""
    person = director_id(engine)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = person
    at.query_params["as"] = str(person)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception
    return at


def warnings(at: AppTest) -> str:
    return " ".join(plain(w.value) for w in at.warning)


def this_quarter() -> str:
    return quarter_of(clock.today(), default_config().settings.fiscal_year_start_month)


def test_goals_opens_the_quarter_in_the_address_and_writes_a_new_pick_back(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    earlier = previous_quarter(this_quarter())
    at = open_page(engine, "pages/goals.py", {"quarter": earlier})
    assert at.selectbox(key="goals_period").value == earlier
    assert not at.warning

    later = next_quarter(this_quarter())
    at.selectbox(key="goals_period").set_value(later).run()
    assert not at.exception
    assert at.query_params["quarter"] == later
    assert at.query_params["as"] == str(director_id(engine))  # the person acted as stays


def test_goals_falls_back_to_the_current_quarter_on_an_unusable_address(app_store: str) -> None:
    engine = create_store_engine(app_store)
    for raw, notice in (
        ("1999-Q4", "outside the supported years (2000 to 2100)"),
        ("2101-Q1", "outside the supported years (2000 to 2100)"),
        ("Q9", "not a quarter like 2026-Q4"),
    ):
        at = open_page(engine, "pages/goals.py", {"quarter": raw})
        assert at.selectbox(key="goals_period").value == this_quarter()
        assert notice in warnings(at), raw
        assert f"showing {this_quarter()}" in warnings(at)
        assert at.query_params["quarter"] == this_quarter()


def test_the_roadmap_refuses_a_quarter_outside_the_supported_years(app_store: str) -> None:
    engine = create_store_engine(app_store)
    at = open_page(engine, "pages/roadmap.py", {"quarter": "2101-Q1"})
    assert "outside the supported range" in warnings(at)
    assert at.selectbox(key="roadmap_quarter").value == this_quarter()


def test_weekly_planning_ranks_by_the_framework_in_the_address(app_store: str) -> None:
    engine = create_store_engine(app_store)
    assert SCORING.active != "ice"
    at = open_page(engine, "pages/planning.py", {"framework": "ice"})
    assert at.segmented_control(key="planning_framework").value == "ice"
    assert "input.impact" in at.data_editor[0].value.columns  # ICE: ease comes from the effort
    assert "input.business_value" not in at.data_editor[0].value.columns
    assert not at.warning

    at.segmented_control(key="planning_framework").set_value("wsjf").run()
    assert not at.exception
    assert at.query_params["framework"] == "wsjf"
    assert at.query_params["as"] == str(director_id(engine))


def test_weekly_planning_falls_back_to_the_active_framework_on_an_unknown_one(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    at = open_page(engine, "pages/planning.py", {"framework": "moscow"})
    assert at.segmented_control(key="planning_framework").value == SCORING.active
    assert "scoring framework “moscow”" in warnings(at)
    assert at.query_params["framework"] == SCORING.active


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("pages/initiatives.py", {"initiative": "²"}),
        ("pages/initiatives.py", {"initiative": "1" * 5000}),
        ("pages/goals.py", {"present": "1", "slide": "²"}),
        ("pages/goals.py", {"present": "1", "slide": "9" * 5000}),
        ("pages/roadmap.py", {"objective": "²", "owner": "7" * 5000}),
    ],
    ids=[
        "initiative-superscript",
        "initiative-5000-digits",
        "slide-superscript",
        "slide-long",
        "roadmap",
    ],
)
def test_an_id_in_the_address_that_is_no_number_is_ignored(
    app_store: str, page: str, query: dict[str, str]
) -> None:
    # "²" passes str.isdigit but not int(), and 5,000 digits exceed Python's conversion limit:
    # each showed the error page instead of the page.
    open_page(create_store_engine(app_store), page, query)  # no exception


def test_a_notice_repeats_a_long_or_reversing_value_short_and_visible(app_store: str) -> None:
    engine = create_store_engine(app_store)
    # The notice repeated all 10,000 characters, and a U+202E turned the rest of it around.
    at = open_page(engine, "pages/goals.py", {"quarter": "x" * 10_000})
    assert f"The address asks for “{'x' * 40}…”, not a quarter" in warnings(at)
    assert len(warnings(at)) < 200
    at = open_page(engine, "pages/goals.py", {"quarter": "2026\u202e-Q4"})
    assert "The address asks for “2026U+202E-Q4”, not a quarter" in warnings(at)
    assert "\u202e" not in warnings(at)
