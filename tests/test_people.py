"""The team's writes (planning/access/people.py): validation that writes nothing, optimistic
versions,
the last active director, time off, passwords, and the audit trail; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from planning import i18n
from planning.access.passwords import attempt_sign_in, person_for_session, start_session
from planning.access.people import (
    add_time_off,
    create_person,
    find_active_person,
    get_person,
    list_time_off,
    remove_time_off,
    set_password,
    update_person,
)
from planning.config.settings import AuthSettings
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    AuditEvent,
    Person,
    PersonCreate,
    PersonRead,
    PersonUpdate,
    Role,
    TimeOff,
)
from planning.store.versioning import ConflictError
from planning.validation import InputError
from tests.planning_seed import Team, seed_team

SETTINGS = AuthSettings()


@pytest.fixture
def team(engine: Engine) -> Team:
    return seed_team(engine)


def rows(engine: Engine) -> dict[str, Any]:
    with Session(read_engine(engine)) as session:
        return {
            "people": [p.model_dump() for p in session.scalars(select(Person).order_by(Person.id))],
            "time_off": [t.model_dump() for t in session.scalars(select(TimeOff))],
            "audit": len(session.scalars(select(AuditEvent)).all()),
        }


def events(engine: Engine, entity: str) -> list[AuditEvent]:
    with Session(read_engine(engine)) as session:
        query = select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.id)
        return list(session.scalars(query))


def draft(**fields: Any) -> PersonCreate:
    base: dict[str, Any] = {
        "name": "Nia New",
        "email": "nia@x.test",
        "role": "member",
        "title": "Analyst",
        "weekly_hours": 32.0,
        "bau_share": 0.2,
        "active": True,
    }
    return PersonCreate.model_construct(**{**base, **fields})


def refused(engine: Engine, call: Any, *reasons: str) -> None:
    before = rows(engine)
    with pytest.raises(InputError) as caught, session_scope(engine) as session:
        call(session)
    text = "; ".join(caught.value.problems)
    for reason in reasons:
        assert reason in text
    assert rows(engine) == before


def test_a_director_adds_a_person_and_it_is_audited(engine: Engine, team: Team) -> None:
    with session_scope(engine) as session:
        nia = create_person(session=session, actor=team.director, person=draft())
    assert (nia.name, nia.email, nia.role, nia.weekly_hours, nia.bau_share) == (
        "Nia New",
        "nia@x.test",
        Role.member,
        32.0,
        0.2,
    )
    [event] = events(engine, "person")
    assert event.action == "create" and event.actor_id == team.director.id
    assert event.after is not None and event.after["email"] == "nia@x.test"
    assert "password_hash" not in event.after


def test_bad_people_are_refused_with_every_reason(engine: Engine, team: Team) -> None:
    def add(**fields: Any) -> Any:
        return lambda s: create_person(session=s, actor=team.director, person=draft(**fields))

    refused(
        engine,
        add(name="  ", email="not an email", role="boss", weekly_hours=200, bau_share=1.5),
        "the name is required",
        "'not an email' is not an email address",
        "unknown role 'boss'",
        "weekly hours must be from 0 to 168, got 200",
        "the BAU share must be from 0 to 1",
    )
    refused(engine, add(email="ANA@x.test"), "ANA@x.test is already someone's email")
    refused(engine, add(weekly_hours=-1), "weekly hours must be from 0 to 168")


def test_edits_check_the_version_and_the_email(engine: Engine, team: Team) -> None:
    with session_scope(engine) as session:
        part_time = {"weekly_hours": 20, "title": "Part-time analyst"}
        ben = edit_person(team.director, team.ben.id, team.ben.version, **part_time)(session)
    assert ben.weekly_hours == 20 and ben.version == team.ben.version + 1
    before = rows(engine)
    stale = pytest.raises(ConflictError, match="changed by someone else")
    with stale, session_scope(engine) as session:
        # team.ben.version is what the first edit started from: stale now.
        edit_person(team.director, team.ben.id, team.ben.version, weekly_hours=30)(session)
    assert rows(engine) == before
    german = pytest.raises(ConflictError, match=r"^Der Eintrag von Ben Member wurde von jemand")
    with i18n.use_locale("de"), german, session_scope(engine) as session:
        edit_person(team.director, team.ben.id, team.ben.version, weekly_hours=30)(session)
    assert rows(engine) == before
    refused(
        engine,
        edit_person(team.director, team.ben.id, ben.version, email="Ana@X.test"),
        "already someone's email",
    )
    [update] = [e for e in events(engine, "person") if e.action == "update"]
    assert update.before is not None and update.after is not None
    assert (update.before["weekly_hours"], update.after["weekly_hours"]) == (40.0, 20.0)


def test_the_last_active_director_can_be_neither_demoted_nor_deactivated(
    engine: Engine, team: Team
) -> None:
    dora_id, dora_version = team.director.id, team.director.version
    for change in ({"role": Role.member}, {"active": False}):
        refused(
            engine,
            edit_person(team.director, dora_id, dora_version, **change),
            "Dora Director is the last active director",
        )
    # With a second director, the first may step down.
    with session_scope(engine) as session:
        edit_person(team.director, team.ana.id, team.ana.version, role=Role.director)(session)
        dora = edit_person(team.director, dora_id, dora_version, role=Role.member)(session)
    assert dora.role == Role.member


def test_deactivating_someone_signs_them_out(engine: Engine, team: Team) -> None:
    with session_scope(engine) as session:
        new_password(team.director, team.ben.id, "a long secret")(session)
    with session_scope(engine) as session:
        outcome = attempt_sign_in(
            session=session, email="ben@x.test", password="a long secret", settings=SETTINGS
        )
        token = start_session(session=session, code=outcome.code or "", settings=SETTINGS)
    with session_scope(engine) as session:
        edit_person(team.director, team.ben.id, team.ben.version, active=False)(session)
        edit_person(team.director, team.ben.id, team.ben.version + 1, active=True)(session)
    with Session(read_engine(engine)) as session:
        assert person_for_session(session=session, token=token) is None
        assert find_active_person(session=session, email=" BEN@x.test") is not None


def test_time_off_is_added_checked_and_removed(engine: Engine, team: Team) -> None:
    def add(first: date, last: date, note: str = "") -> Any:
        return lambda s: add_time_off(
            session=s,
            actor=team.director,
            person_id=team.ana.id,
            start_date=first,
            end_date=last,
            note=note,
        )

    with session_scope(engine) as session:
        leave = add(date(2026, 12, 21), date(2026, 12, 31), "Holidays")(session)
    assert (leave.start_date, leave.end_date, leave.note) == (
        date(2026, 12, 21),
        date(2026, 12, 31),
        "Holidays",
    )
    refused(engine, add(date(2026, 12, 5), date(2026, 12, 1)), "ends (01 Dec 2026) before it")
    refused(
        engine,
        add(date(2026, 12, 30), date(2027, 1, 3)),
        "overlaps time off already recorded from 21 Dec 2026 to 31 Dec 2026",
    )
    with session_scope(engine) as session:
        one_day = add(date(2027, 1, 4), date(2027, 1, 4))(session)  # a single day is fine
        remove_time_off(session=session, actor=team.director, time_off_id=leave.id)
    with Session(read_engine(engine)) as session:
        assert [t.id for t in list_time_off(session=session, person_id=team.ana.id)] == [one_day.id]
    assert [e.action for e in events(engine, "time_off")] == ["create", "create", "delete"]
    refused(
        engine,
        lambda s: remove_time_off(session=s, actor=team.director, time_off_id=leave.id),
        f"there is no time off with id {leave.id}",
    )


def edit_person(actor: PersonRead, person_id: int, version: int, **changes: Any) -> Any:
    """The write that changes a person, as `actor` who saw `version`, to run in a session."""
    changed = PersonUpdate(**changes)
    return lambda s: update_person(
        session=s, actor=actor, person_id=person_id, expected_version=version, changes=changed
    )


def new_password(actor: PersonRead, person_id: int, password: str) -> Any:
    """The write that sets a person's password, to run in a session."""
    return lambda s: set_password(
        session=s, actor=actor, person_id=person_id, password=password, settings=SETTINGS
    )


def test_setting_a_password_stores_only_its_hash_and_is_audited(engine: Engine, team: Team) -> None:
    refused(
        engine,
        new_password(team.director, team.ana.id, "short"),
        "at least 10 characters",
    )
    for _ in range(2):
        with session_scope(engine) as session:
            new_password(team.director, team.ana.id, "ana's new secret")(session)
    with Session(read_engine(engine)) as session:
        stored = session.get(Person, team.ana.id)
        assert stored is not None and stored.password_hash is not None
        assert "secret" not in stored.password_hash
        assert stored.password_hash.startswith("$argon2id$")
    actions = [e.action for e in events(engine, "person")]
    assert actions == ["set_password", "reset_password"]
    assert all("secret" not in str(e.before) + str(e.after) for e in events(engine, "person"))


def test_the_command_line_may_add_the_first_director(engine: Engine) -> None:
    with session_scope(engine) as session:
        boss = create_person(
            session=session, actor=None, person=draft(role="director", email="boss@x.test")
        )
    with Session(read_engine(engine)) as session:
        found = get_person(session=session, person_id=boss.id)
    assert isinstance(found, PersonRead) and found.role == Role.director
    [event] = events(engine, "person")
    assert event.actor_id is None
