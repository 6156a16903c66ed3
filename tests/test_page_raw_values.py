"""No raw value reaches a reader: every page, every tab, every lazily drawn expander and every
picked detail, for a director, a member and a stakeholder, on the demo store, shows no `None` or
`nan`, no snake_case code, no number with padded or overlong decimals, no ISO timestamp and no
Python repr, in its text, its widgets, its charts or its tables' displayed cells."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.config import default_config
from planning.store.models import Initiative, KeyResult, Person
from tests.role_pages import ROLE_PAGES
from tests.shown_text import Leak, Shown, raw_values, shown_texts
from ui.goals_shape import SHAPE_TASKS

APP = str(Path(__file__).resolve().parent.parent / "app.py")
ROLES = {
    "director": "maya@northwind.example",
    "member": "priya@northwind.example",
    "stakeholder": "helen@northwind.example",
}
PAGES = {role.value: pages for role, pages in ROLE_PAGES.items()}

# Where a page draws part of itself only once a tab is open, an expander is opened or a detail is
# picked: each state the walk visits, as the session state a click sets.
LAZY: dict[str, list[dict[str, object]]] = {
    "admin": [
        {"admin_tab": tab}
        for tab in (
            "Data import",
            "API tokens",
            "Import history",
            "Share links",
            "People",
            "Configuration",
        )
    ],
    # the Ledger last: its ship-date detail is picked with the Ledger open
    "impact": [{"impact_tab": tab} for tab in ("Calibration", "Digest", "Ledger")],
    "planning": [
        {
            "planning_calibration": True,
            "planning_decision": True,
            "planning_decision_change": True,
            "planning_dependency_open": True,
        }
    ],
}
# Pickers whose every option the walk opens in turn (the option is a detail the page draws).
PICKERS: dict[str, list[str]] = {
    "goals": ["goals_kr", "goals_task", "goals_period"],
    "initiatives": ["initiative_pick"],
    "impact": ["impact_initiative"],
    "planning": ["planning_framework"],
}

# The values behind the segmented controls' options (a selectbox is picked by position).
BUTTON_VALUES: dict[str, list[object]] = {
    "planning_framework": list(default_config().scoring.frameworks),
    "goals_task": list(SHAPE_TASKS),
    "goals_period": [f"{year}-Q{q}" for year in (2025, 2026, 2027) for q in (1, 2, 3, 4)],
}

# Text that matches a raw-value pattern and is what its reader should see: (page, state the walk
# is in, where on the page, kind) as regular expressions, and why it is legitimate.
ALLOWED: list[tuple[str, str, str, str, str]] = [
    (
        "admin",
        r"'admin_tab': 'Configuration'",
        r".*",
        r"snake_case code|padded decimals",
        "The Configuration tab shows config/*.yaml for the director who edits those files: its "
        "keys (metric and measure ids, framework inputs) and values as written there.",
    ),
    (
        "admin",
        r"as opened|'admin_tab': 'Data import'",  # the tab open first
        r"dataframe\[(measure|dimensions)\]",
        r"snake_case code",
        "The import file's columns: a file to import must name each measure and dimension by "
        "this id, so the sample lists the ids themselves.",
    ),
    (
        "planning",
        r".*",
        r"dataframe\[(Start|Target|Lift metric|Expected lift %)\]",
        r"None/nan",
        "The backlog editor's empty input cells (an idea with no dates or expected lift yet): "
        "the grid draws its faded 'None' placeholder in an empty editable cell, and the cell "
        "must stay a date or number for the director to fill in.",
    ),
    (
        "goals",
        r".*",
        r"markdown\.body|dataframe\[(Brier score|Base rate)\]|html\.body",
        r"padded decimals",
        "Brier scores under 'How good are these forecasts?': a score between 0 and 1 read at "
        "three decimals, where calibrated and raw forecasts differ (0.099 against 0.100), in the "
        "table and in its cards on a phone (html.body).",
    ),
]


def allowed(page: str, state: str, leak: Leak) -> bool:
    """Whether the match is on the allow-list."""
    return any(
        page == on_page
        and re.search(in_state, state)
        and re.fullmatch(where, leak.shown.where)
        and re.fullmatch(kinds, leak.kind)
        for on_page, in_state, where, kinds, _ in ALLOWED
    )


def person_id(engine: Engine, email: str) -> int:
    with Session(engine) as session:
        return int(session.execute(select(Person.id).where(Person.email == email)).scalar_one())


def _widget(at: AppTest, key: str) -> Any:
    for kind in ("selectbox", "button_group"):
        for widget in at.get(kind):
            if getattr(widget, "key", None) == key:
                return widget
    return None


def _choices(at: AppTest, key: str, engine: Engine) -> list[Any]:
    """The values behind the options of the picker with this key, in the order shown."""
    widget = _widget(at, key)
    if widget is None:
        return []
    by_label: dict[str, Any] = {}
    for value in _candidates(key, engine):
        try:
            by_label.setdefault(str(widget.format_func(value)), value)
        except (KeyError, IndexError):
            continue  # not one of this picker's options
    return [by_label[label] for label in widget.options if label in by_label]


def _candidates(key: str, engine: Engine) -> list[Any]:
    if key in BUTTON_VALUES:
        return BUTTON_VALUES[key]
    model = {"goals_kr": KeyResult, "initiative_pick": Initiative, "impact_initiative": Initiative}
    with Session(engine) as session:
        return list(session.execute(select(model[key].id)).scalars())


def visits(engine: Engine, role: str, page: str) -> Iterator[tuple[str, AppTest]]:
    """Each state of the page the walk looks at, with a name for it."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["demo_person_id"] = person_id(engine, ROLES[role])
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, (role, page, at.exception)
    yield "as opened", at
    for state in LAZY.get(page, []):
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        assert not at.exception, (role, page, state, at.exception)
        yield str(state), at
    for key in PICKERS.get(page, []):
        for value in _choices(at, key, engine):
            widget = _widget(at, key)
            if widget is None:
                break
            widget.set_value(value).run()
            assert not at.exception, (role, page, key, value, at.exception)
            yield f"{key}={value}", at


@pytest.mark.parametrize("role", list(ROLES))
def test_no_page_shows_a_raw_value(app_engine: Engine, role: str) -> None:
    found: dict[tuple[str, str], list[Leak]] = {}
    texts = 0
    states: dict[str, int] = {}
    for page in PAGES[role]:
        for state, at in visits(app_engine, role, page):
            states[page] = states.get(page, 0) + 1
            shown: list[Shown] = shown_texts(at)
            texts += len(shown)
            for leak in raw_values(shown):
                if not allowed(page, state, leak):
                    found.setdefault((page, leak.kind), []).append(leak)
    assert texts > 1000  # the walk read the pages
    # every key result's detail on Goals, every initiative's for those who open Initiatives
    assert states["goals"] > 10 and states.get("initiatives", 20) >= 20, states
    assert states.get("impact", 9) > 4, states
    lines = []
    for (page, kind), leaks in sorted(found.items()):
        matches = sorted({leak.match for leak in leaks})
        lines.append(f"{page} · {kind}: {', '.join(map(repr, matches[:8]))}")
        for leak in leaks[:3]:
            lines.append(f"    {leak.shown.where}: {leak.shown.text[:150]!r}")
    report = "\n".join(lines)
    assert not found, f"raw values shown to a {role}:\n{report}"
