"""Password sign-in's HTTP steps (api/sign_in.py): a one-time code becomes an HttpOnly session
cookie once, sign-out ends the session and clears the cookie, and only local paths are followed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from api.routes import ApiContext
from api.sign_in import sign_in_routes
from planning.auth import SESSION_COOKIE, attempt_sign_in, hash_password, person_for_session
from planning.config import AppConfig, AuthSettings
from planning.models import Person, Role
from planning.store import read_engine, session_scope

PASSWORD = "a long enough secret"


def with_mode(config: AppConfig, mode: str) -> AppConfig:
    settings = config.settings.model_copy(update={"auth": AuthSettings(mode=mode)})
    return config.model_copy(update={"settings": settings})


def client(engine: Engine, config: AppConfig) -> TestClient:
    app = Starlette(routes=sign_in_routes(ApiContext(config=config, engine=engine)))
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def ana(engine: Engine) -> Iterator[int]:
    with session_scope(engine) as session:
        person = Person(
            name="Ana", email="ana@x.test", role=Role.member, password_hash=hash_password(PASSWORD)
        )
        session.add(person)
        session.flush()
        person_id = int(person.id or 0)
    yield person_id


def code_for(engine: Engine, email: str) -> str:
    with session_scope(engine) as session:
        outcome = attempt_sign_in(
            session=session, email=email, password=PASSWORD, settings=AuthSettings()
        )
    assert outcome.code is not None
    return outcome.code


def test_a_code_becomes_an_httponly_cookie_once(
    engine: Engine, config: AppConfig, ana: int
) -> None:
    browser = client(engine, with_mode(config, "password"))
    code = code_for(engine, "ana@x.test")
    reply = browser.get("/session/start", params={"code": code, "next": "/"})
    assert reply.status_code == 303 and reply.headers["location"] == "/"
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for part in ("HttpOnly", "Path=/", "SameSite=lax", f"Max-Age={14 * 86400}"):
        assert part in cookie
    token = reply.cookies[SESSION_COOKIE]
    with Session(read_engine(engine)) as session:
        person = person_for_session(session=session, token=token)
    assert person is not None and person.id == ana
    again = client(engine, with_mode(config, "password")).get(
        "/session/start", params={"code": code, "next": "/"}
    )
    assert again.status_code == 303 and again.headers["location"] == "/?signin=expired"
    assert "set-cookie" not in again.headers


def test_sign_out_ends_the_session_and_clears_the_cookie(
    engine: Engine, config: AppConfig, ana: int
) -> None:
    browser = client(engine, with_mode(config, "password"))
    browser.get("/session/start", params={"code": code_for(engine, "ana@x.test"), "next": "/"})
    token = browser.cookies[SESSION_COOKIE]
    reply = browser.get("/session/end", params={"next": "/"})
    assert reply.status_code == 303 and reply.headers["location"] == "/"
    assert f'{SESSION_COOKIE}=""' in reply.headers["set-cookie"]
    assert "Max-Age=0" in reply.headers["set-cookie"]
    with Session(read_engine(engine)) as session:
        assert person_for_session(session=session, token=token) is None


def test_only_local_paths_are_followed(engine: Engine, config: AppConfig, ana: int) -> None:
    browser = client(engine, with_mode(config, "password"))
    for target in ("https://evil.example/", "//evil.example/x"):
        reply = browser.get(
            "/session/start", params={"code": code_for(engine, "ana@x.test"), "next": target}
        )
        assert reply.headers["location"] == "/"
        assert browser.get("/session/end", params={"next": target}).headers["location"] == "/"


def test_the_routes_are_closed_outside_password_mode(
    engine: Engine, config: AppConfig, ana: int
) -> None:
    browser = client(engine, with_mode(config, "oidc"))
    reply = browser.get("/session/start", params={"code": code_for(engine, "ana@x.test")})
    assert reply.status_code == 404 and "set-cookie" not in reply.headers
    assert browser.get("/session/end").status_code == 404
