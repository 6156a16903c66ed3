"""The team: people, their roles and capacity, time off and passwords.

Every write is a director's (the command line, acting as nobody, may add people and set
passwords, so that an empty store can get its first director), is
validated whole before anything is written, and is recorded in the audit trail. The last active
director can be neither demoted nor deactivated, so the team is never left without one.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from planning import i18n
from planning.access.passwords import (
    end_sessions_of,
    hash_password,
    normalise_email,
    password_problems,
)
from planning.access.permissions import Actor, require_director
from planning.config.settings import AuthSettings
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.audit import (
    record_changed,
    record_created,
    record_deleted,
    record_event,
    snapshot,
)
from planning.store.models import (
    Person,
    PersonCreate,
    PersonRead,
    PersonUpdate,
    Role,
    TimeOff,
    TimeOffRead,
)
from planning.store.versioning import check_and_bump
from planning.validation import InputError, clean_text, is_number

NAME_MAX = 120
TITLE_MAX = 120
EMAIL_MAX = 254
NOTE_MAX = 200
MAX_WEEKLY_HOURS = 168.0
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EDITABLE = ("name", "email", "role", "title", "weekly_hours", "bau_share", "active")


# --- reads -------------------------------------------------------------------------------------


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


def find_active_person(*, session: Session, email: str | None) -> PersonRead | None:
    """The active person with this email, compared without case or outer spaces; else None."""
    key = normalise_email(email)
    if not key:
        return None
    query = select(Person).where(func.lower(Person.email) == key, Person.active == True)  # noqa: E712
    person = session.exec(query).first()
    return PersonRead.model_validate(person) if person else None


def list_time_off(*, session: Session, person_id: int | None = None) -> list[TimeOffRead]:
    """Time off ranges, of one person or of everyone, by start date."""
    query = select(TimeOff)
    if person_id is not None:
        query = query.where(TimeOff.person_id == person_id)
    rows = session.exec(query).all()
    return sorted(
        (TimeOffRead.model_validate(r) for r in rows),
        key=lambda r: (r.start_date, r.end_date, r.id),
    )


def has_password(*, session: Session, person_id: int) -> bool:
    """Whether a person can sign in with a password."""
    person = session.get(Person, person_id)
    return bool(person and person.password_hash)


# --- validation --------------------------------------------------------------------------------


def _day(day: date) -> str:
    """A day in a refusal, as the team writes it (06 Dec 2026; in German 6. Dez. 2026)."""
    return f"{day:%d %b %Y}" if i18n.english_formats() else i18n.date_text(day)


def _field_problems(fields: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Cleaned values of the given person fields, and every problem with them."""
    clean: dict[str, Any] = {}
    problems: list[str] = []
    if "name" in fields:
        clean["name"], found = clean_text(
            fields["name"], what=N_("the name"), max_length=NAME_MAX, required=True
        )
        problems += found
    if "title" in fields:
        clean["title"], found = clean_text(
            fields["title"], what=N_("the title"), max_length=TITLE_MAX, required=False
        )
        problems += found
    if "email" in fields:
        email, found = clean_text(
            fields["email"], what=N_("the email"), max_length=EMAIL_MAX, required=True
        )
        if not found and not _EMAIL.match(email):
            found = [
                _("{email} is not an email address (name@example.com)").format(email=repr(email))
            ]
        problems += found
        clean["email"] = email
    if "role" in fields:
        role = fields["role"]
        if role not in {r.value for r in Role}:
            problems.append(
                _("unknown role {role}; use director, member or stakeholder").format(
                    role=repr(role)
                )
            )
        else:
            clean["role"] = Role(role)
    for name, upper, not_number, out_of_range, shown in (
        (
            "weekly_hours",
            MAX_WEEKLY_HOURS,
            N_("weekly hours must be a number, got {value}"),
            N_("weekly hours must be from 0 to 168, got {value}"),
            lambda value: f"{float(value):g}",
        ),
        (
            "bau_share",
            1.0,
            N_("the BAU share must be a number, got {value}"),
            N_("the BAU share must be from 0 to 1 (0 % to 100 %), got {value}"),
            repr,
        ),
    ):
        if name not in fields:
            continue
        value = fields[name]
        if not is_number(value):
            problems.append(_(not_number).format(value=repr(value)))
        elif not 0 <= float(value) <= upper:
            problems.append(_(out_of_range).format(value=shown(value)))
        else:
            clean[name] = float(value)
    if "active" in fields:
        if not isinstance(fields["active"], bool):
            problems.append(_("active must be yes or no"))
        else:
            clean["active"] = fields["active"]
    return clean, problems


def _email_taken(session: Session, email: str, person_id: int | None) -> bool:
    query = select(Person.id).where(func.lower(Person.email) == normalise_email(email))
    return any(found != person_id for found in session.exec(query).all())


def _other_active_directors(session: Session, person_id: int) -> int:
    query = select(func.count()).where(
        Person.role == Role.director,
        Person.active == True,  # noqa: E712
        Person.id != person_id,
    )
    return int(session.exec(query).one())


def _load(session: Session, person_id: int, *, for_update: bool = False) -> Person:
    person = session.get(Person, person_id, with_for_update=for_update)
    if person is None:
        raise InputError([_("there is no person with id {id}").format(id=person_id)])
    return person


# --- writes ------------------------------------------------------------------------------------


def create_person(*, session: Session, actor: Actor | None, person: PersonCreate) -> PersonRead:
    """Add someone to the team (directors; `actor` None is the command line, which sets up the
    first director); the email must not be anyone else's."""
    if actor is not None:
        require_director(actor, N_("add people to the team"))
    fields = {name: getattr(person, name) for name in _EDITABLE}
    clean, problems = _field_problems(fields)
    if "email" in clean and not problems and _email_taken(session, clean["email"], None):
        problems.append(_("{email} is already someone's email").format(email=clean["email"]))
    if problems:
        raise InputError(problems)
    record = Person(**clean)
    record_created(session=session, actor=actor, entity="person", record=record)
    return PersonRead.model_validate(record)


def update_person(
    *,
    session: Session,
    actor: Actor,
    person_id: int,
    expected_version: int,
    changes: PersonUpdate,
) -> PersonRead:
    """Change someone's name, email, role, title, capacity or active flag (directors only).

    Deactivating someone ends their open sign-ins. The last active director stays one.
    """
    require_director(actor, N_("change people's details"))
    record = _load(session, person_id, for_update=True)
    given = changes.model_dump(exclude_unset=True)
    unknown = sorted(set(given) - set(_EDITABLE))
    if unknown:
        raise InputError(
            [_("{field} cannot be changed here").format(field=repr(name)) for name in unknown]
        )
    clean, problems = _field_problems(given)
    if "email" in clean and _email_taken(session, clean["email"], person_id):
        problems.append(_("{email} is already someone's email").format(email=clean["email"]))
    stays_director = clean.get("role", record.role) == Role.director
    stays_active = clean.get("active", record.active)
    was_leading = record.role == Role.director and record.active
    leaves = was_leading and not (stays_director and stays_active)
    if leaves and _other_active_directors(session, person_id) == 0:
        problems.append(
            _(
                "{name} is the last active director: make someone else a director first, so "
                "the team is never left without one"
            ).format(name=record.name)
        )
    if problems:
        raise InputError(problems)
    before = snapshot(record)
    what = _("The details of {name}").format(name=record.name)
    check_and_bump(record, expected_version=expected_version, what=what)
    for name, value in clean.items():
        setattr(record, name, value)
    record_changed(
        session=session, actor=actor, entity="person", record=record, action="update", before=before
    )
    if record.active is False and record.id is not None:
        end_sessions_of(session=session, person_id=record.id)
    return PersonRead.model_validate(record)


def add_time_off(
    *,
    session: Session,
    actor: Actor,
    person_id: int,
    start_date: date,
    end_date: date,
    note: str = "",
) -> TimeOffRead:
    """Give someone days off, first and last day included (directors only; no overlaps)."""
    require_director(actor, N_("record time off"))
    _load(session, person_id)
    problems: list[str] = []
    for value, what in (
        (start_date, N_("the start date must be a date, got {value}")),
        (end_date, N_("the end date must be a date, got {value}")),
    ):
        if not isinstance(value, date):
            problems.append(_(what).format(value=repr(value)))
    text, found = clean_text(
        note, what=N_("the note"), max_length=NOTE_MAX, required=False, multiline=True
    )
    problems += found
    if not problems and end_date < start_date:
        problems.append(
            _("the time off ends ({end}) before it starts ({start})").format(
                end=_day(end_date), start=_day(start_date)
            )
        )
    if not problems:
        for other in list_time_off(session=session, person_id=person_id):
            if other.start_date <= end_date and start_date <= other.end_date:
                problems.append(
                    _("it overlaps time off already recorded from {first} to {last}").format(
                        first=_day(other.start_date), last=_day(other.end_date)
                    )
                )
    if problems:
        raise InputError(problems)
    row = TimeOff(person_id=person_id, start_date=start_date, end_date=end_date, note=text)
    record_created(session=session, actor=actor, entity="time_off", record=row)
    return TimeOffRead.model_validate(row)


def remove_time_off(*, session: Session, actor: Actor, time_off_id: int) -> TimeOffRead:
    """Delete a time off range (directors only)."""
    require_director(actor, N_("remove time off"))
    row = session.get(TimeOff, time_off_id, with_for_update=True)
    if row is None:
        raise InputError([_("there is no time off with id {id}").format(id=time_off_id)])
    removed = TimeOffRead.model_validate(row)
    record_deleted(session=session, actor=actor, entity="time_off", record=row)
    return removed


def set_password(
    *,
    session: Session,
    actor: Actor | None,
    person_id: int,
    password: str,
    settings: AuthSettings,
) -> PersonRead:
    """Set or reset someone's password (directors; `actor` None is the command line).

    Only the Argon2 hash is stored, and every open sign-in of that person ends.
    """
    if actor is not None:
        require_director(actor, N_("set passwords"))
    record = _load(session, person_id, for_update=True)
    problems = password_problems(password, min_length=settings.min_password_length)
    if problems:
        raise InputError(problems)
    had_password = record.password_hash is not None
    record.password_hash = hash_password(password)
    session.add(record)
    session.flush()
    end_sessions_of(session=session, person_id=person_id)
    record_event(
        session=session,
        actor=actor,
        entity="person",
        entity_id=record.id,
        action="reset_password" if had_password else "set_password",
        before={"has_password": had_password},
        after={"has_password": True},
    )
    return PersonRead.model_validate(record)


def person_problems(*, name: object, email: object, role: object) -> list[str]:
    """Every problem with a new person's name, email and role, without writing anything."""
    return _field_problems({"name": name, "email": email, "role": role})[1]
