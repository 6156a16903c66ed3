"""The team: reading people (writes come with the Admin page)."""

from __future__ import annotations

from sqlmodel import Session, select

from planning.models import Person, PersonRead


def list_people(*, session: Session, include_inactive: bool = False) -> list[PersonRead]:
    """Everyone on the team, directors first, then by name."""
    query = select(Person)
    if not include_inactive:
        query = query.where(Person.active == True)  # noqa: E712  (SQL comparison)
    people = [PersonRead.model_validate(p) for p in session.exec(query).all()]
    order = {"director": 0, "member": 1, "stakeholder": 2}
    return sorted(people, key=lambda p: (order[p.role.value], p.name))


def get_person(*, session: Session, person_id: int) -> PersonRead | None:
    """One person by id, or None."""
    person = session.get(Person, person_id)
    return PersonRead.model_validate(person) if person else None
