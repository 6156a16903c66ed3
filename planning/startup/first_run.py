"""First-run setup: an empty store gets its first director and team from the browser.

Setup runs once: it is refused as soon as anyone is on the team (active or not), so nobody can
use it later to add a director to a store that has one. Everything is validated before anything
is written, the people are added in the caller's transaction, and the setup is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, text
from sqlmodel import Session, select

from planning.access.passwords import normalise_email, password_problems
from planning.access.people import create_person, person_problems, set_password
from planning.config.settings import AuthSettings
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.audit import record_event
from planning.store.models import Person, PersonCreate, PersonRead, Role
from planning.validation import InputError

_LOCK_KEY = 0x51_44_53_55  # PostgreSQL advisory lock: two setups at once run one after the other
ALREADY_SET_UP = N_(
    "this store is already set up: people are on the team, so setup cannot run again"
)


@dataclass(frozen=True)
class NewPerson:
    """Someone to add to the team at setup."""

    name: str
    email: str
    role: str = Role.member.value


def parse_team(text: str) -> tuple[list[NewPerson], list[str]]:
    """The people in a text of lines "Name, email, role" (role optional, member by default),
    and every line that cannot be read; blank lines are skipped."""
    people: list[NewPerson] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(",")]
        if len(parts) not in (2, 3):
            problems.append(
                _(
                    "team line {number}: write name, email and role separated by commas "
                    "(e.g. Grace Hopper, grace@example.com, member)"
                ).format(number=number)
            )
            continue
        role = parts[2].lower() if len(parts) == 3 and parts[2] else Role.member.value
        people.append(NewPerson(parts[0], parts[1], role))
    return people, problems


def needs_setup(*, session: Session) -> bool:
    """Whether the store has nobody on the team yet (not even an inactive person)."""
    return int(session.exec(select(func.count()).select_from(Person)).one()) == 0


def _problems(
    director: NewPerson, team: Sequence[NewPerson], password: str | None, settings: AuthSettings
) -> list[str]:
    first = _("the director: {problem}")
    problems = [first.format(problem=p) for p in person_problems(**vars(director))]
    if settings.mode == "password":
        problems += [
            first.format(problem=p)
            for p in password_problems(password, min_length=settings.min_password_length)
        ]
    seen = {normalise_email(director.email)}
    for number, person in enumerate(team, start=1):
        row = _("team row {number}: {problem}")
        problems += [row.format(number=number, problem=p) for p in person_problems(**vars(person))]
        email = normalise_email(person.email)
        if email and email in seen:
            taken = _("{email} is already someone else's email").format(email=person.email.strip())
            problems.append(row.format(number=number, problem=taken))
        seen.add(email)
    return problems


def set_up_team(
    *,
    session: Session,
    director: NewPerson,
    team: Sequence[NewPerson] = (),
    password: str | None = None,
    settings: AuthSettings,
) -> list[PersonRead]:
    """Add the first director (with a password in password mode) and the rest of the team.

    Refused with InputError, writing nothing, when anyone is on the team already or any input
    is bad; returns the people added, the director first.
    """
    connection = session.connection()  # SQLite: BEGIN IMMEDIATE already serialises writers
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    if not needs_setup(session=session):
        raise InputError([_(ALREADY_SET_UP)])
    director = NewPerson(director.name, director.email, Role.director.value)
    problems = _problems(director, team, password, settings)
    if problems:
        raise InputError(problems)
    added = [
        create_person(session=session, actor=None, person=PersonCreate(**vars(person)))
        for person in (director, *team)
    ]
    first = added[0]
    if settings.mode == "password" and password is not None:
        first = set_password(
            session=session, actor=None, person_id=first.id, password=password, settings=settings
        )
        added[0] = first
    record_event(
        session=session,
        actor=first,
        entity="store",
        entity_id=None,
        action="set_up",
        after={"director": first.email, "people": len(added)},
    )
    return added
