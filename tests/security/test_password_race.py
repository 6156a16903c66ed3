"""Wrong passwords tried at the same instant: the slowdown holds under concurrency (issue 15.5).

Sixteen threads, each in its own transaction, try wrong passwords for one account at once. The
count of recent failures, the password check and the recorded failure are one step, so no more
than max_failed_attempts passwords are checked before the slowdown refuses the rest unchecked;
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

import planning.access.passwords as auth
from planning.access.passwords import REFUSED, SignInOutcome, attempt_sign_in, hash_password
from planning.config.settings import AuthSettings
from planning.store.engine import read_engine, session_scope
from planning.store.models import Person, Role
from planning.store.models_access import SignInAttempt

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TRIES = 16
EMAIL = "director@example.com"


def _director(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(
            Person(
                name="Director",
                email=EMAIL,
                role=Role.director,
                password_hash=hash_password("the real password"),
            )
        )


def _race(
    engine: Engine, settings: AuthSettings, monkeypatch: pytest.MonkeyPatch, *, client: str | None
) -> tuple[int, list[SignInOutcome]]:
    """Start TRIES wrong-password tries at once; how many passwords were checked, and answers."""
    checked = 0
    count_lock = threading.Lock()
    real_verify = auth.verify_password

    def counting_verify(*, password_hash: str | None, password: str) -> bool:
        nonlocal checked
        with count_lock:
            checked += 1
        return real_verify(password_hash=password_hash, password=password)

    monkeypatch.setattr(auth, "verify_password", counting_verify)
    start = threading.Barrier(TRIES)
    outcomes: list[SignInOutcome] = []
    errors: list[BaseException] = []

    def one_try(n: int) -> None:
        try:
            start.wait(timeout=30)
            with session_scope(engine) as session:
                outcome = attempt_sign_in(
                    session=session,
                    email=EMAIL,
                    password=f"guess number {n}",
                    settings=settings,
                    now=T0,
                    client=client,
                )
            with count_lock:
                outcomes.append(outcome)
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=one_try, args=(n,)) for n in range(TRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(outcomes) == TRIES
    return checked, outcomes


@pytest.mark.parametrize("client", [None, "203.0.113.7"])
def test_sixteen_concurrent_wrong_passwords_check_at_most_the_limit(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, client: str | None
) -> None:
    settings = AuthSettings()  # 5 wrong passwords, then 30 s
    _director(engine)
    checked, outcomes = _race(engine, settings, monkeypatch, client=client)

    assert checked == settings.max_failed_attempts
    refused_unchecked = [o for o in outcomes if o.message.startswith("Too many wrong passwords")]
    assert len(refused_unchecked) == TRIES - settings.max_failed_attempts
    assert all(o.retry_after == 30 for o in refused_unchecked)
    assert sum(o.message == REFUSED for o in outcomes) == settings.max_failed_attempts
    with Session(read_engine(engine)) as session:
        recorded = session.execute(
            select(func.count()).where(SignInAttempt.email == EMAIL)
        ).scalar_one()
    assert recorded == settings.max_failed_attempts


def test_the_account_ceiling_also_holds_under_concurrency(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failures already recorded from many clients: concurrent tries from a new client stop at
    the account's ceiling, not at the new client's own limit."""
    settings = AuthSettings(max_failed_attempts=5, account_max_failed_attempts=8)
    _director(engine)
    with session_scope(engine) as session:
        for n in range(5):
            session.add(SignInAttempt(email=EMAIL, at=T0, client=f"198.51.100.{n}"))
    checked, _ = _race(engine, settings, monkeypatch, client="203.0.113.7")
    assert checked == 3  # 5 earlier + 3 = the ceiling of 8
