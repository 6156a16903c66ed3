"""Opening the app under AppTest as one person, on one page, for the page tests, and the demo
store's goals they (and the API tests) look for."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.store.engine import create_store_engine, read_engine
from planning.store.models import Direction, KeyResult, KrKind, Objective, Person, PersonRead, Role

APP = str(Path(__file__).resolve().parent.parent / "app.py")
# The demo quarter's objectives, in the order the Goals page lists them.
DEMO_OBJECTIVES = [
    "Make checkout effortless on every device",
    "Grow profitable basket size",
    "Win discovery through SEO and content",
    "Grow profitable online revenue",
]


def people(store: Engine | str, role: Role) -> list[PersonRead]:
    """The store's people with this role, in the order they were added (a store given by its URL
    is opened for the read and closed again)."""
    engine = create_store_engine(store) if isinstance(store, str) else store
    try:
        with Session(read_engine(engine)) as session:
            found = session.scalars(select(Person).where(Person.role == role).order_by(Person.id))
            return [PersonRead.model_validate(p) for p in found]
    finally:
        if isinstance(store, str):
            engine.dispose()


def first_active(store: Engine | str, role: Role) -> PersonRead:
    """The store's first active person with this role."""
    return next(p for p in people(store, role) if p.active)


def open_as(
    person_id: int | None,
    page: str,
    *,
    state: Mapping[str, object] | None = None,
    query: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> AppTest:
    """The app run as this person (demo picker; None leaves the picker's first choice), then
    switched to the page (a script path), with the given session state and query parameters set
    first; no exception on the way."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if person_id is not None:
        at.session_state["demo_person_id"] = person_id
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception
    return at


def open_admin_tab(person_id: int, tab: str) -> AppTest:
    """Admin as this person, then one of its tabs opened as a click on it does (only the open
    tab runs); no exception on the way."""
    at = open_as(person_id, "pages/admin.py")
    at.session_state["admin_tab"] = tab
    at.run()
    assert not at.exception
    return at


def submit_form(at: AppTest, form: str) -> AppTest:
    """Click the one submit button of the form `form` and run the page again."""
    [button] = [b for b in at.button if b.form_id == form]
    return button.click().run()


def table_edits(rows: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """A data editor's state holding unsaved edits to these rows only (row position -> column ->
    new value), as a page reads it from the session state."""
    return {"edited_rows": dict(rows), "added_rows": [], "deleted_rows": []}


def click(at: AppTest, label: str) -> AppTest:
    """Click the one button labelled `label` and run the page again."""
    [button] = [b for b in at.button if b.label == label]
    return button.click().run()


def next_year_conversion_kr(session: Session, owner: int) -> KeyResult:
    """Add the 2027-Q1 objective "Start the year well" (the quarter after the demo's) owned by
    `owner`, and return its key result "Conversion up in Q1" (2.4 % to 2.7 %), not yet added."""
    objective = Objective(period="2027-Q1", title="Start the year well", owner_id=owner)
    session.add(objective)
    session.flush()
    return KeyResult(
        objective_id=objective.id,
        title="Conversion up in Q1",
        owner_id=owner,
        kind=KrKind.metric,
        metric_id="conversion_rate",
        direction=Direction.increase,
        start_value=0.024,
        target_value=0.027,
    )
