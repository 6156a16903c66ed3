"""Opening the app under AppTest as one person, on one page, for the page tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
# The demo quarter's objectives, in the order the Goals page lists them.
DEMO_OBJECTIVES = [
    "Make checkout effortless on every device",
    "Grow profitable basket size",
    "Win discovery through SEO and content",
    "Grow profitable online revenue",
]


def open_as(
    person_id: int,
    page: str,
    *,
    state: Mapping[str, object] | None = None,
    query: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> AppTest:
    """The app run as this person (demo picker), then switched to the page (a script path), with
    the given session state and query parameters set first; no exception on the way."""
    at = AppTest.from_file(APP, default_timeout=timeout)
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
