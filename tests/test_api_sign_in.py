"""Password sign-in's HTTP routes (api/sign_in.py): the form's post becomes an HttpOnly session
cookie, a refusal goes back to the form with its reason, sign-out ends the session and clears the
cookie, and only local paths are followed."""

from __future__ import annotations

from sqlalchemy import Engine

from planning.access.passwords import SESSION_COOKIE
from planning.config import AppConfig
from tests.sign_in_routes import (
    EMAIL,
    SAME_ORIGIN,
    add_ana,
    client,
    person_of,
    session_token,
    sign_in_form,
)


def test_the_right_password_becomes_an_httponly_cookie(engine: Engine, config: AppConfig) -> None:
    ana = add_ana(engine)
    browser = client(engine, config)
    reply = sign_in_form(browser, email=f"  {EMAIL.upper()} ", next_path="/roadmap")
    assert reply.status_code == 303 and reply.headers["location"] == "/roadmap"
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for part in ("HttpOnly", "Path=/", "SameSite=lax", f"Max-Age={14 * 86400}"):
        assert part in cookie
    person = person_of(engine, session_token(browser))
    assert person is not None and person.id == ana


def test_a_wrong_password_goes_back_to_the_form_with_the_reason(
    engine: Engine, config: AppConfig
) -> None:
    add_ana(engine)
    browser = client(engine, config)
    reply = sign_in_form(browser, password="not my password")
    assert reply.status_code == 303 and reply.headers["location"] == "/?signin=refused"
    assert "set-cookie" not in reply.headers


def test_repeated_wrong_passwords_are_told_to_wait(engine: Engine, config: AppConfig) -> None:
    add_ana(engine)
    browser = client(engine, config)
    for _ in range(config.settings.auth.max_failed_attempts):
        sign_in_form(browser, password="guess")
    reply = sign_in_form(browser)  # even the right password waits its turn
    assert reply.headers["location"].startswith("/?signin=wait&retry=")
    assert int(reply.headers["location"].rsplit("=", 1)[1]) > 0
    assert "set-cookie" not in reply.headers


def test_sign_out_ends_the_session_and_clears_the_cookie(engine: Engine, config: AppConfig) -> None:
    add_ana(engine)
    browser = client(engine, config)
    sign_in_form(browser)
    token = session_token(browser)
    assert person_of(engine, token) is not None
    reply = browser.post("/session/end", data={"next": "/"}, headers=SAME_ORIGIN)
    assert reply.status_code == 303 and reply.headers["location"] == "/"
    assert f'{SESSION_COOKIE}=""' in reply.headers["set-cookie"]
    assert "Max-Age=0" in reply.headers["set-cookie"]
    assert person_of(engine, token) is None


def test_only_local_paths_are_followed(engine: Engine, config: AppConfig) -> None:
    add_ana(engine)
    browser = client(engine, config)
    for target in ("https://evil.example/", "//evil.example/x"):
        assert sign_in_form(browser, next_path=target).headers["location"] == "/"
        reply = browser.post("/session/end", data={"next": target}, headers=SAME_ORIGIN)
        assert reply.headers["location"] == "/"


def test_the_routes_are_closed_outside_password_mode(engine: Engine, config: AppConfig) -> None:
    add_ana(engine)
    browser = client(engine, config, mode="oidc")
    reply = sign_in_form(browser)
    assert reply.status_code == 404 and "set-cookie" not in reply.headers
    assert browser.post("/session/end", headers=SAME_ORIGIN).status_code == 404
