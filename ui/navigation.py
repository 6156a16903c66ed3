"""Which pages each role sees, and where a page the role may not open leads instead.

| page            | director | member | stakeholder       |
|-----------------|----------|--------|-------------------|
| This week       | landing  | landing| landing (summary) |
| Goals           | yes      | yes    | yes               |
| Weekly planning | yes      |        |                   |
| Initiatives     | yes      | yes    |                   |
| Roadmap         | yes      | yes    | yes               |
| Metrics         | yes      | yes    | yes               |
| Impact          | yes      | yes    |                   |
| Admin           | yes      |        |                   |

This week is everyone's landing page, so every page keeps one address for every role (a
filtered /roadmap link reads the same for whoever opens it). app.py gives every page to
st.navigation, each with page_access(person)(file): a page outside the role's set is hidden from
the menu, and open_page() sends a visit to its URL to the role's fallback page (This week; the
Roadmap for stakeholders), so the page's own script never runs for that role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from planning.store.models import PersonRead, Role
from ui.page_errors import run_guarded

THIS_WEEK = "pages/this_week.py"
GOALS = "pages/goals.py"
PLANNING = "pages/planning.py"
INITIATIVES = "pages/initiatives.py"
ROADMAP = "pages/roadmap.py"
METRICS = "pages/metrics.py"
IMPACT = "pages/impact.py"
ADMIN = "pages/admin.py"

PAGES_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.director: frozenset(
        {THIS_WEEK, GOALS, PLANNING, INITIATIVES, ROADMAP, METRICS, IMPACT, ADMIN}
    ),
    Role.member: frozenset({THIS_WEEK, GOALS, INITIATIVES, ROADMAP, METRICS, IMPACT}),
    Role.stakeholder: frozenset({THIS_WEEK, GOALS, ROADMAP, METRICS}),
}
LANDING = THIS_WEEK
FALLBACK: dict[Role, str] = {
    Role.director: THIS_WEEK,
    Role.member: THIS_WEEK,
    Role.stakeholder: ROADMAP,
}


ALL_PAGES = (THIS_WEEK, GOALS, PLANNING, INITIATIVES, ROADMAP, METRICS, IMPACT, ADMIN)


def hold_address() -> None:
    """Register every page, unshown, in a run that stops before the router's own navigation (a
    store that cannot be opened): the page in the address stays the session's page, so the
    rerun that follows the store's return opens it rather than the first page."""
    st.navigation([st.Page(path) for path in ALL_PAGES], position="hidden")


def role_of(person: PersonRead | None) -> Role:
    """The role whose pages are shown: nobody signed in (an empty team) reads as a stakeholder."""
    if person is None or not person.active:
        return Role.stakeholder
    return person.role


def page_access(person: PersonRead | None) -> Callable[[str], dict[str, Any]]:
    """For a page file, the st.Page options for this person: default (landing) and visibility."""
    role = role_of(person)
    allowed = PAGES_BY_ROLE[role]

    def access(path: str) -> dict[str, Any]:
        return {
            "default": path == LANDING,
            "visibility": "visible" if path in allowed else "hidden",
        }

    return access


def open_page(page: st.Page, person: PersonRead | None, *, switched: bool = False) -> None:
    """Run the page st.navigation chose, or the role's fallback page if the role may not open it.

    switched: the run follows a change of person (demo mode's picker); a stakeholder then lands
    on the Roadmap, the page made for them, wherever the previous person was. An unexpected error
    on the page shows a message with an error id (ui.page_errors).
    """
    role = role_of(person)
    if page.visibility == "hidden" or (
        switched and role == Role.stakeholder and page.url_path != _url_path(ROADMAP)
    ):
        st.switch_page(FALLBACK[role])
    run_guarded(page.run, where=page.url_path or "/")


def _url_path(path: str) -> str:
    return path.removeprefix("pages/").removesuffix(".py")
