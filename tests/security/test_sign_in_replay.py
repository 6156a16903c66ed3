"""Replaying a sign-in into another browser: nothing that signs a person in ever travels in an
address, and a one-time code made by a correct password cannot be exchanged by anyone outside
the request that checked the password."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from planning.access.passwords import SESSION_COOKIE, attempt_sign_in
from planning.config import AppConfig
from planning.config.settings import AuthSettings
from planning.store.engine import session_scope
from tests.sign_in_routes import (
    EMAIL,
    PASSWORD,
    SAME_ORIGIN,
    add_ana,
    client,
    person_of,
    session_token,
    sign_in_form,
)


def one_time_code(engine: Engine) -> str:
    """A code as a correct password yields it (the old flow sent it through the browser)."""
    with session_scope(engine) as session:
        outcome = attempt_sign_in(
            session=session, email=EMAIL, password=PASSWORD, settings=AuthSettings()
        )
    assert outcome.code is not None
    return outcome.code


def test_a_one_time_code_opens_nothing_from_another_browser(
    engine: Engine, config: AppConfig
) -> None:
    add_ana(engine)
    code = one_time_code(engine)
    other = client(engine, config)
    for path in (f"/session/start?code={code}&next=/", f"/session/sign-in?code={code}"):
        for reply in (other.get(path), other.post(path, headers=SAME_ORIGIN)):
            assert reply.status_code in (303, 404, 405)
            assert "set-cookie" not in reply.headers
    assert session_token(other) is None


def test_a_sign_in_leaves_nothing_to_replay_in_the_address(
    engine: Engine, config: AppConfig
) -> None:
    add_ana(engine)
    browser = client(engine, config)
    reply = sign_in_form(browser, next_path="/goals")
    assert reply.status_code == 303
    assert reply.headers["location"] == "/goals"  # no code, no token
    token = session_token(browser)
    assert token and token not in reply.headers["location"]
    assert "HttpOnly" in reply.headers["set-cookie"]
    # The address it went to, opened in another browser, signs nobody in there.
    other = client(engine, config)
    other.get(reply.headers["location"])
    assert session_token(other) is None
    assert person_of(engine, token) is not None


def test_a_sign_in_posted_from_another_site_is_refused(engine: Engine, config: AppConfig) -> None:
    add_ana(engine)
    browser = client(engine, config)
    for headers in ({"origin": "https://evil.example"}, {"referer": "https://evil.example/x"}, {}):
        reply = sign_in_form(browser, headers=headers)
        assert reply.status_code == 403 and "set-cookie" not in reply.headers
    assert browser.cookies.get(SESSION_COOKIE) is None


def test_no_row_is_left_behind_by_a_sign_in(engine: Engine, config: AppConfig) -> None:
    """The code a sign-in makes is spent in the same request: no open code row remains."""
    from sqlmodel import col, select

    from planning.store.models_access import SignInSession

    add_ana(engine)
    sign_in_form(client(engine, config))
    with Session(engine) as session:
        open_rows = session.exec(
            select(SignInSession).where(col(SignInSession.ended_at).is_(None))
        ).all()
    assert len(open_rows) == 1  # the session itself; its one-time code is already spent
