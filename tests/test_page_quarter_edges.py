"""Every page for every role on the days at a quarter's and a year's edge, under AppTest with the
clock pinned: a quarter's first day (no goals and no data for it yet), the last ISO week of 2026
(week 53) and a leap day. And the director's draft of a new quarter from the Goals page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.store.engine import create_store_engine
from planning.store.models import Objective, Role
from tests.app_pages import APP, open_as, people
from tests.conftest import use_app_store
from tests.page_text import plain, text_elements
from tests.role_pages import ROLE_PAGES

# The day the clock shows -> the day the demo store was loaded as of. A quarter's first day uses
# a store from the day before: last quarter's goals and data, nothing yet for the new quarter.
DAYS = {
    date(2027, 1, 1): date(2026, 12, 31),
    date(2026, 10, 1): date(2026, 9, 30),
    date(2026, 12, 31): date(2026, 12, 31),
    date(2028, 2, 29): date(2028, 2, 29),
}
FIRST_DAYS = {date(2027, 1, 1): ("2027-Q1", "2026-Q4"), date(2026, 10, 1): ("2026-Q4", "2026-Q3")}
PAGES = ROLE_PAGES
TITLES = {
    "this_week": "This week",
    "goals": "Goals",
    "planning": "Weekly planning",
    "initiatives": "Initiatives",
    "roadmap": "Roadmap",
    "metrics": "Metrics",
    "impact": "Impact",
    "admin": "Admin",
}


def open_store(
    demo_store_as_of: Callable[[date], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    day: date,
) -> str:
    monkeypatch.setenv("QUARTERDECK_TODAY", day.isoformat())
    return use_app_store(demo_store_as_of(DAYS[day]), tmp_path / "app.db", monkeypatch)


def visit(at: AppTest, page: str) -> str:
    """Open a page and return all its text, after checking it rendered without an error."""
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, (page, [e.value for e in at.exception])
    assert [t.value for t in at.title] == [TITLES[page]], page
    assert not at.error, (page, [e.value for e in at.error])
    return "\n".join(plain(t) for t in text_elements(at))


@pytest.mark.parametrize("role", list(PAGES), ids=lambda r: r.value)
@pytest.mark.parametrize("day", list(DAYS), ids=str)
def test_every_page_reads_right_on_the_edge_days(
    demo_store_as_of: Callable[[date], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    day: date,
    role: Role,
) -> None:
    url = open_store(demo_store_as_of, tmp_path, monkeypatch, day)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = people(url, role)[0].id
    at.run()
    texts = {page: visit(at, page) for page in PAGES[role]}

    if day in FIRST_DAYS:
        new, old = FIRST_DAYS[day]
        if role == Role.director:
            assert f"{new} has no objectives yet. Draft the quarter on Goals" in texts["this_week"]
            assert "is on track" not in texts["this_week"]
            at.switch_page("pages/this_week.py").run()
            tiles = {m.label: m.value for m in at.metric}
            assert tiles["Key results off track"] == tiles["Key results at risk"] == "—"
        else:
            assert f"The director has not set {new}'s goals yet." in texts["this_week"]
        at.switch_page("pages/goals.py").run()
        buttons = [b.label for b in at.button]
        if role == Role.director:
            assert f"No objectives for {new} yet. Draft the quarter" in texts["goals"]
            assert f"Preview the copy of {old}'s unfinished goals" in buttons
        else:
            assert (
                f"The director has not set {new}'s goals yet. {old} is still there"
                in (texts["goals"])
            )
            assert f"Show {old}" in buttons
            assert not any(label.startswith("Preview the copy") for label in buttons)
        assert f"{new} began on" in texts["goals"] and "no data for it yet" in texts["goals"]
        assert f"{new} has no objectives yet: the director has not set" in texts["roadmap"]
        assert "linked to in earlier quarters" in texts["roadmap"]  # {old}'s objectives
        assert f"No data for {new} yet" in texts["metrics"]
        still = f"initiatives still link to {old}'s key results"
        if "initiatives" in texts:
            assert still in texts["initiatives"]
        if role == Role.director:
            assert f"{new} has no objectives yet: {still}" in texts["planning"]
    else:
        for page, text in texts.items():
            assert "has not set" not in text, page
            assert "No data for" not in text, page
    if day == date(2026, 12, 31):
        assert "Thursday 31 December 2026 · week 2026-W53 · 2026-Q4" in texts["this_week"]
        if role == Role.director:
            assert (
                "2026-W53 (the live backlog) against the plan committed for 2026-W52"
                in (texts["planning"])
            )
    if day == date(2027, 1, 1):
        assert "Friday 01 January 2027 · week 2026-W53 · 2027-Q1" in texts["this_week"]
    if day == date(2028, 2, 29):
        assert "Tuesday 29 February 2028 · week 2028-W09 · 2028-Q1" in texts["this_week"]
        assert "of 91 ·" in texts["goals"]  # 2028-Q1 has a 29 February


def test_a_director_drafts_the_new_quarter_from_goals_after_a_preview(
    demo_store_as_of: Callable[[date], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = open_store(demo_store_as_of, tmp_path, monkeypatch, date(2027, 1, 1))
    engine = create_store_engine(url)

    def objectives(period: str) -> int:
        with Session(engine) as session:
            return int(
                session.execute(
                    select(func.count()).select_from(Objective).where(Objective.period == period)
                ).scalar()
            )

    at = open_as(people(url, Role.director)[0].id, "pages/goals.py")
    at.button(key="draft_preview").click().run()
    assert not at.exception
    # The preview: a table of what will be created, and nothing written yet.
    [preview] = at.dataframe
    titles = set(preview.value["objective"])
    assert titles and objectives("2027-Q1") == 0
    assert "Checkout completion up" in set(preview.value["key result"])
    assert any("kept: no data for 2027-Q1 yet" in v for v in preview.value["start from"])
    confirm = at.button(key="draft_confirm")
    assert confirm.label == f"Create these {len(titles)} objectives in 2027-Q1"
    confirm.click().run()
    assert not at.exception
    assert objectives("2027-Q1") == len(titles)
    assert at.success[0].value.startswith("2027-Q1 drafted from 2026-Q4")
    # The quarter now has its goals: no draft offered, so no second copy.
    assert not [b for b in at.button if b.key in ("draft_preview", "draft_confirm")]
    text = "\n".join(plain(t) for t in text_elements(at))
    assert all(title in text for title in titles)
    engine.dispose()


def test_a_member_on_the_first_day_opens_last_quarter_in_one_click(
    demo_store_as_of: Callable[[date], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = open_store(demo_store_as_of, tmp_path, monkeypatch, date(2027, 1, 1))
    at = open_as(people(url, Role.member)[0].id, "pages/goals.py")
    at.button(key="empty_show_last").click().run()
    assert not at.exception
    assert at.selectbox(key="goals_period").value == "2026-Q4"
    text = "\n".join(plain(t) for t in text_elements(at))
    assert "Make checkout effortless on every device" in text
    assert "has not set" not in text
