"""Password sign-in (planning/access/passwords.py): Argon2 hashes, the slowdown after wrong
passwords, one-time codes and sessions that expire and end; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from planning.access.passwords import (
    CODE_SECONDS,
    REFUSED,
    SignInOutcome,
    attempt_sign_in,
    end_session,
    end_sessions_of,
    hash_password,
    password_problems,
    person_for_session,
    retry_delay,
    safe_next,
    start_session,
    verify_password,
)
from planning.config.settings import AuthSettings
from planning.store.engine import read_engine, session_scope
from planning.store.models import Person, PersonRead, Role
from planning.store.models_access import SignInAttempt, SignInSession

SETTINGS = AuthSettings()  # 5 failures in 15 minutes, then 30 s doubling up to 900 s
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def add_person(
    engine: Engine,
    email: str,
    *,
    password: str | None = PASSWORD,
    active: bool = True,
    role: Role = Role.member,
) -> PersonRead:
    with session_scope(engine) as session:
        person = Person(
            name=email.split("@")[0].title(),
            email=email,
            role=role,
            active=active,
            password_hash=hash_password(password) if password else None,
        )
        session.add(person)
        session.flush()
        return PersonRead.model_validate(person)


def attempt(engine: Engine, email: str, password: str, at: datetime) -> SignInOutcome:
    with session_scope(engine) as session:
        return attempt_sign_in(
            session=session, email=email, password=password, settings=SETTINGS, now=at
        )


def exchange(engine: Engine, code: str | None, at: datetime) -> str | None:
    with session_scope(engine) as session:
        return start_session(session=session, code=code or "", settings=SETTINGS, now=at)


def who(engine: Engine, token: str | None, at: datetime) -> PersonRead | None:
    with Session(read_engine(engine)) as session:
        return person_for_session(session=session, token=token, now=at)


def failures(engine: Engine, email: str) -> int:
    with Session(read_engine(engine)) as session:
        query = select(func.count()).where(SignInAttempt.email == email)
        return int(session.execute(query).scalar_one())


def sign_in(engine: Engine, email: str, at: datetime = T0) -> str:
    outcome = attempt(engine, email, PASSWORD, at)
    assert outcome.ok, outcome.message
    token = exchange(engine, outcome.code, at)
    assert token is not None
    return token


# --- hashes ------------------------------------------------------------------------------------


def test_a_password_is_stored_only_as_a_salted_argon2_hash() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and PASSWORD not in first
    assert first != second  # salted
    assert verify_password(password_hash=first, password=PASSWORD)
    assert verify_password(password_hash=second, password=PASSWORD)
    assert not verify_password(password_hash=first, password=PASSWORD + "!")
    assert not verify_password(password_hash=None, password=PASSWORD)
    assert not verify_password(password_hash="not-a-hash", password=PASSWORD)


def test_new_passwords_must_be_long_enough_and_not_blank() -> None:
    assert password_problems("short", min_length=10) == [
        "the password must be at least 10 characters long"
    ]
    assert password_problems(" " * 12, min_length=10) == ["the password cannot be only spaces"]
    assert password_problems("x" * 2000, min_length=10) == [
        "the password must be at most 1,024 characters long"
    ]
    assert password_problems(None, min_length=10) == ["the password must be text"]
    assert password_problems(PASSWORD, min_length=10) == []


def test_retry_delay_worked_example() -> None:
    # 5 failures allowed, then 30 s doubling with each further failure, capped at 900 s.
    assert [retry_delay(failures=n, settings=SETTINGS) for n in (0, 4, 5, 6, 7, 9, 10, 50)] == [
        0,
        0,
        30,
        60,
        120,
        480,
        900,
        900,
    ]


def test_after_sign_in_only_local_paths_are_followed() -> None:
    assert safe_next("/") == "/" and safe_next("/base/") == "/base/"
    for outside in ("https://evil.example/", "//evil.example/", "evil", None, "/\\evil"):
        assert safe_next(outside) == "/"


# --- attempts ----------------------------------------------------------------------------------


def test_right_password_gives_a_code_whatever_the_email_case(engine: Engine) -> None:
    ana = add_person(engine, "ana@x.test")
    outcome = attempt(engine, "  ANA@X.test ", PASSWORD, T0)
    assert outcome.ok and outcome.person is not None and outcome.person.id == ana.id
    assert outcome.code and outcome.message == ""


def test_every_kind_of_refusal_reads_the_same_and_counts(engine: Engine) -> None:
    add_person(engine, "ana@x.test")
    add_person(engine, "gus@x.test", active=False)
    add_person(engine, "nopw@x.test", password=None)
    cases = [
        ("ana@x.test", "wrong password"),  # wrong password
        ("nobody@x.test", PASSWORD),  # unknown email
        ("gus@x.test", PASSWORD),  # inactive person
        ("nopw@x.test", PASSWORD),  # no password set
    ]
    for email, password in cases:
        outcome = attempt(engine, email, password, T0)
        assert not outcome.ok and outcome.code is None
        assert outcome.message == REFUSED
        assert failures(engine, email) == 1
    with Session(read_engine(engine)) as session:
        assert session.execute(select(func.count()).select_from(SignInSession)).scalar_one() == 0


def test_repeated_wrong_passwords_are_slowed_down(engine: Engine) -> None:
    add_person(engine, "ana@x.test")
    for i in range(5):
        assert attempt(engine, "ana@x.test", "guess", T0 + timedelta(seconds=i)).message == REFUSED
    last = T0 + timedelta(seconds=4)
    # Within 30 s of the fifth failure even the right password is refused, unchecked.
    early = attempt(engine, "ana@x.test", PASSWORD, last + timedelta(seconds=10))
    assert not early.ok and "Too many wrong passwords" in early.message
    assert early.retry_after == 20 and "20 seconds" in early.message
    assert failures(engine, "ana@x.test") == 5  # a refused try does not extend the wait
    # Another wrong password after the wait doubles the next one to 60 s.
    assert attempt(engine, "ana@x.test", "guess", last + timedelta(seconds=30)).message == REFUSED
    sixth = last + timedelta(seconds=30)
    assert attempt(engine, "ana@x.test", PASSWORD, sixth + timedelta(seconds=59)).retry_after == 1
    # The right password after the wait works and forgets the failures.
    assert attempt(engine, "ana@x.test", PASSWORD, sixth + timedelta(seconds=60)).ok
    assert failures(engine, "ana@x.test") == 0


def test_the_slowdown_is_per_email_and_forgets_old_failures(engine: Engine) -> None:
    add_person(engine, "ana@x.test")
    add_person(engine, "ben@x.test")
    for i in range(5):
        attempt(engine, "ana@x.test", "guess", T0 + timedelta(seconds=i))
    assert attempt(engine, "ben@x.test", PASSWORD, T0 + timedelta(seconds=5)).ok
    # Failures older than the 15-minute window no longer count.
    later = T0 + timedelta(minutes=16)
    for i in range(4):
        attempt(engine, "ana@x.test", "guess", later + timedelta(seconds=i))
    assert attempt(engine, "ana@x.test", PASSWORD, later + timedelta(seconds=5)).ok


# --- sessions ----------------------------------------------------------------------------------


def test_a_code_opens_one_session_once_and_only_briefly(engine: Engine) -> None:
    ana = add_person(engine, "ana@x.test")
    code = attempt(engine, "ana@x.test", PASSWORD, T0).code
    assert code is not None
    assert who(engine, code, T0) is None  # a code is not a session token
    token = exchange(engine, code, T0 + timedelta(seconds=5))
    assert token is not None and token != code
    assert exchange(engine, code, T0 + timedelta(seconds=6)) is None  # used once
    person = who(engine, token, T0 + timedelta(seconds=6))
    assert person is not None and person.id == ana.id
    late = attempt(engine, "ana@x.test", PASSWORD, T0).code
    assert exchange(engine, late, T0 + timedelta(seconds=CODE_SECONDS + 1)) is None
    assert exchange(engine, "made-up", T0) is None


def test_a_session_lasts_its_days_and_ends_on_sign_out(engine: Engine) -> None:
    add_person(engine, "ana@x.test")
    token = sign_in(engine, "ana@x.test")
    assert who(engine, token, T0 + timedelta(days=13, hours=23)) is not None
    assert who(engine, token, T0 + timedelta(days=14)) is None  # session_days = 14
    token = sign_in(engine, "ana@x.test")
    with session_scope(engine) as session:
        assert end_session(session=session, token=token, now=T0 + timedelta(hours=1))
    assert who(engine, token, T0 + timedelta(hours=2)) is None
    with session_scope(engine) as session:
        assert not end_session(session=session, token=token)  # already ended
    with Session(read_engine(engine)) as session:
        hashes = list(session.scalars(select(SignInSession.token_hash)))
    assert token not in hashes and all(len(h) == 64 for h in hashes)


def test_deactivation_and_ending_all_sessions_sign_a_person_out(engine: Engine) -> None:
    ana = add_person(engine, "ana@x.test")
    first, second = sign_in(engine, "ana@x.test"), sign_in(engine, "ana@x.test")
    with session_scope(engine) as session:
        assert end_sessions_of(session=session, person_id=ana.id, now=T0) == 2
    assert who(engine, first, T0) is None and who(engine, second, T0) is None
    token = sign_in(engine, "ana@x.test")
    with session_scope(engine) as session:
        record = session.get(Person, ana.id)
        assert record is not None
        record.active = False
    assert who(engine, token, T0) is None


@pytest.mark.parametrize("token", [None, "", "x" * 500])
def test_odd_tokens_open_nothing(engine: Engine, token: str | None) -> None:
    assert who(engine, token, T0) is None
