"""The main pages each role's navigation offers, for the tests that walk every page a role sees."""

from __future__ import annotations

from planning.store.models import Role

ROLE_PAGES: dict[Role, tuple[str, ...]] = {
    Role.director: (
        "this_week",
        "goals",
        "planning",
        "initiatives",
        "roadmap",
        "metrics",
        "impact",
        "admin",
    ),
    Role.member: ("this_week", "goals", "initiatives", "roadmap", "metrics", "impact"),
    Role.stakeholder: ("this_week", "goals", "roadmap", "metrics"),
}
