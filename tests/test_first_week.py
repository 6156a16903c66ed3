"""A team's first week on a new store without the demo (first-run setup, then its own data):
half a day of data for today, the only data the store holds, is shown as partial and changes no
number until the day is over."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import Session

from planning.config import CONFIG_DIR_ENV, default_config
from planning.config.settings import AuthSettings
from planning.metrics.completeness import freshness
from planning.metrics.importer import import_observations
from planning.startup.first_run import NewPerson, set_up_team
from planning.store.engine import create_store_engine, session_scope
from tests.config_support import config_copy
from tests.conftest import point_app_at
from tests.test_page_setup import open_app

TODAY = date(2026, 12, 7)
# Monday 7 December, half past noon: the morning's rows are in, the day is not over.
NOON = "2026-12-07T12:30:00+00:00"
MORNING = (
    b"date,measure,value,channel,device,product_line\n"
    b"2026-12-07,sessions,1100,organic,mobile,\n"
    b"2026-12-07,sessions,700,paid_search,desktop,\n"
    b"2026-12-07,orders,30,organic,mobile,\n"
    b"2026-12-07,orders,21,paid_search,desktop,\n"
)


@pytest.fixture
def first_week(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new store set up by its first director, holding only this morning's rows."""
    yield from _new_team(tmp_path, monkeypatch, NOON, rows=MORNING)


def test_half_of_today_on_a_new_store_is_partial(first_week: str) -> None:
    engine = create_store_engine(first_week)
    with Session(engine) as session:
        fresh = freshness(session=session, complete_after_hours=24)
    engine.dispose()
    assert fresh.observed_day == TODAY
    assert fresh.latest_day == date(2026, 12, 6)
    assert [p.day for p in fresh.partial_days] == [TODAY]


def test_metrics_page_shows_this_morning_as_partial(first_week: str) -> None:
    at = open_app("pages/metrics.py")
    caption = at.caption[0].value
    assert "Data through **Sun 06 Dec 2026** · 07 Dec partial (the day is not over)" in caption
    # No tile reads half a day as a day: 1,800 sessions is the morning, not Monday.
    assert "1,800" not in [m.value for m in at.metric]


def test_the_morning_counts_once_the_cut_off_passes(
    first_week: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_TODAY", "2026-12-09T00:10:00+00:00")
    engine = create_store_engine(first_week)
    with Session(engine) as session:
        fresh = freshness(session=session, complete_after_hours=24)
    engine.dispose()
    assert (fresh.latest_day, fresh.partial_days) == (TODAY, ())


@pytest.fixture
def no_data_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new store set up by its first director, before any data is imported."""
    yield from _new_team(tmp_path, monkeypatch, NOON)


def _new_team(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str, rows: bytes | None = None
) -> Iterator[str]:
    """The app on a new store that Dana, its first director, set up on `when`, holding `rows`
    (an interchange CSV) if given; yields the store's URL."""
    monkeypatch.setenv("QUARTERDECK_TODAY", when)
    url = point_app_at(tmp_path / "new.db", monkeypatch)
    open_app()  # creates the store and opens the setup page
    engine = create_store_engine(url)
    with session_scope(engine) as session:
        set_up_team(
            session=session, director=NewPerson("Dana", "dana@example.com"), settings=AuthSettings()
        )
    if rows is not None:
        result = import_observations(
            engine=engine,
            actor=None,
            data=rows,
            filename="morning.csv",
            source="cli",
            config=default_config().metrics,
        )
        assert not result.problems
    engine.dispose()
    yield url
    st.cache_resource.clear()
    st.cache_data.clear()


def test_goals_on_a_store_without_data_names_no_data_through_day(no_data_yet: str) -> None:
    at = open_app("pages/goals.py")
    banner = next(c.value for c in at.caption if " of 92" in c.value)
    assert "no data yet" in banner
    assert "data through" not in banner  # not "data through Sun 06 Dec 2026": there is none


@pytest.mark.parametrize(
    ("today", "banner"),
    [
        # A quarter's first day: no "data through 31 Dec 2026" on a store that holds no data.
        ("2027-01-01", "01 Jan – 31 Mar 2027 · no data yet · day 1 of 90"),
        # Monday 7 December is the quarter's 68th day on the calendar.
        ("2026-12-07", "01 Oct – 31 Dec 2026 · no data yet · day 68 of 92"),
        ("2027-03-31", "01 Jan – 31 Mar 2027 · no data yet · day 90 of 90"),
    ],
)
def test_goals_without_data_counts_the_quarters_days_on_the_calendar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, today: str, banner: str
) -> None:
    for _url in _new_team(tmp_path, monkeypatch, today):
        at = open_app("pages/goals.py")
        assert any(c.value.startswith(banner + " · ") for c in at.caption), banner


def test_a_fiscal_quarter_across_new_year_names_both_years_on_goals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fiscal years from November: on 1 January 2027 the quarter runs November to January.
    config = config_copy(tmp_path / "config", fiscal_year_start_month=11)
    monkeypatch.setenv(CONFIG_DIR_ENV, str(config))
    for _url in _new_team(tmp_path, monkeypatch, "2027-01-01"):
        at = open_app("pages/goals.py")
        banner = "01 Nov 2026 – 31 Jan 2027 · no data yet · day 62 of 92 · "
        assert any(c.value.startswith(banner) for c in at.caption), [c.value for c in at.caption]
