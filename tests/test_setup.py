"""First-run setup (planning/startup/first_run.py): the first director and team of an empty store,
once, validated whole before anything is written, audited; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from planning.access.passwords import attempt_sign_in
from planning.config.settings import AuthSettings
from planning.startup.first_run import (
    ALREADY_SET_UP,
    NewPerson,
    needs_setup,
    parse_team,
    set_up_team,
)
from planning.store.engine import read_engine, session_scope
from planning.store.models import AuditEvent, Person, Role
from planning.validation import InputError

DEMO = AuthSettings()
PASSWORD = AuthSettings(mode="password")
ADA = NewPerson("Ada Lovelace", "ada@example.com")


def everyone(engine: Engine) -> list[Person]:
    with Session(read_engine(engine)) as session:
        return list(session.scalars(select(Person).order_by(Person.id)))


def audit(engine: Engine) -> list[AuditEvent]:
    with Session(read_engine(engine)) as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def refusal(engine: Engine, **kwargs: object) -> str:
    with pytest.raises(InputError) as caught, session_scope(engine) as session:
        set_up_team(session=session, **kwargs)  # type: ignore[arg-type]
    return "; ".join(caught.value.problems)


def test_setup_adds_the_director_and_the_team_then_never_runs_again(engine: Engine) -> None:
    with Session(read_engine(engine)) as session:
        assert needs_setup(session=session)
    team = [
        NewPerson("Grace Hopper", "grace@example.com", "member"),
        NewPerson("Linus", "l@x.io", "stakeholder"),
    ]
    with session_scope(engine) as session:
        added = set_up_team(session=session, director=ADA, team=team, settings=DEMO)
    assert [(p.name, p.role) for p in added] == [
        ("Ada Lovelace", Role.director),
        ("Grace Hopper", Role.member),
        ("Linus", Role.stakeholder),
    ]
    assert len(everyone(engine)) == 3
    events = audit(engine)
    assert [e.action for e in events] == ["create", "create", "create", "set_up"]
    assert events[-1].actor_id == added[0].id
    with Session(read_engine(engine)) as session:
        assert not needs_setup(session=session)

    again = refusal(engine, director=NewPerson("Mallory", "m@example.com"), settings=DEMO)
    assert "already set up" in again
    assert len(everyone(engine)) == 3


def test_the_director_is_a_director_whatever_role_was_given(engine: Engine) -> None:
    with session_scope(engine) as session:
        added = set_up_team(
            session=session,
            director=NewPerson("Ada", "ada@example.com", "stakeholder"),
            settings=DEMO,
        )
    assert added[0].role == Role.director


def test_password_mode_sets_the_directors_password(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_up_team(
            session=session, director=ADA, password="correct horse battery", settings=PASSWORD
        )
    with session_scope(engine) as session:
        outcome = attempt_sign_in(
            session=session,
            email="ADA@example.com",
            password="correct horse battery",
            settings=PASSWORD,
        )
    assert outcome.person is not None and outcome.person.email == "ada@example.com"
    assert "set_password" in [e.action for e in audit(engine)]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"director": NewPerson("  ", "ada@example.com")}, "the director: the name"),
        ({"director": NewPerson("Ada", "not-an-email")}, "not an email address"),
        (
            {"director": ADA, "team": [NewPerson("Grace", "ADA@example.com")]},
            "team row 1: ADA@example.com is already someone else's email",
        ),
        (
            {"director": ADA, "team": [NewPerson("Grace", "g@example.com", "boss")]},
            "team row 1: unknown role 'boss'",
        ),
        ({"director": ADA, "password": "short", "settings": PASSWORD}, "at least 10 characters"),
        ({"director": ADA, "password": None, "settings": PASSWORD}, "must be text"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    engine: Engine, kwargs: dict[str, object], reason: str
) -> None:
    problems = refusal(engine, **{"settings": DEMO, **kwargs})
    assert reason in problems
    assert everyone(engine) == []
    assert audit(engine) == []


def test_team_lines_are_read_with_member_as_the_default_role() -> None:
    people, problems = parse_team(
        "Grace Hopper, grace@example.com, Stakeholder\n\n  Linus , l@x.io\nno commas here\n"
    )
    assert people == [
        NewPerson("Grace Hopper", "grace@example.com", "stakeholder"),
        NewPerson("Linus", "l@x.io", "member"),
    ]
    assert problems == [
        "team line 4: write name, email and role separated by commas "
        "(e.g. Grace Hopper, grace@example.com, member)"
    ]


def test_two_setups_at_once_make_one_team(engine: Engine) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def set_up(name: str) -> None:
        barrier.wait()
        try:
            with session_scope(engine) as session:
                set_up_team(
                    session=session, director=NewPerson(name, f"{name}@x.io"), settings=DEMO
                )
        except InputError as exc:
            outcomes.append("; ".join(exc.problems))
        else:
            outcomes.append("set up")

    threads = [threading.Thread(target=set_up, args=(n,)) for n in ("ada", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["set up", ALREADY_SET_UP]
    assert len(everyone(engine)) == 1
