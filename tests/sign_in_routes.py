"""What the tests of the sign-in routes (api/sign_in.py) share: a Starlette app serving only
those routes on a store with one member, Ana, and a browser-like client of it."""

from __future__ import annotations

from httpx import Response
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from api.context import ApiContext
from api.sign_in import sign_in_routes
from planning.access.passwords import SESSION_COOKIE, hash_password, person_for_session
from planning.config import AppConfig
from planning.config.settings import AuthSettings
from planning.store.engine import read_engine, session_scope
from planning.store.models import Person, PersonRead, Role

PASSWORD = "a long enough secret"
EMAIL = "ana@x.test"
HOST = "testserver"  # what TestClient sends as Host
SAME_ORIGIN = {"origin": f"http://{HOST}"}


def with_mode(config: AppConfig, mode: str) -> AppConfig:
    """The configuration with auth.mode set."""
    settings = config.settings.model_copy(update={"auth": AuthSettings(mode=mode)})
    return config.model_copy(update={"settings": settings})


def client(engine: Engine, config: AppConfig, mode: str = "password") -> TestClient:
    """A client of the sign-in routes that, like a browser, keeps cookies but shows redirects."""
    context = ApiContext(config=with_mode(config, mode), engine=engine)
    app = Starlette(routes=sign_in_routes(context))
    return TestClient(app, follow_redirects=False)


def add_ana(engine: Engine) -> int:
    """Ana, an active member with a password; her id."""
    with session_scope(engine) as session:
        person = Person(
            name="Ana", email=EMAIL, role=Role.member, password_hash=hash_password(PASSWORD)
        )
        session.add(person)
        session.flush()
        return int(person.id or 0)


def sign_in_form(
    browser: TestClient,
    *,
    email: str = EMAIL,
    password: str = PASSWORD,
    next_path: str = "/",
    headers: dict[str, str] | None = None,
) -> Response:
    """Post the sign-in form as the app's page does (same origin unless headers say else)."""
    return browser.post(
        "/session/sign-in",
        data={"email": email, "password": password, "next": next_path},
        headers=SAME_ORIGIN if headers is None else headers,
    )


def person_of(engine: Engine, token: str | None) -> PersonRead | None:
    """Whom a session token signs in, if anyone."""
    with Session(read_engine(engine)) as session:
        return person_for_session(session=session, token=token)


def session_token(browser: TestClient) -> str | None:
    """The session cookie this client holds."""
    return browser.cookies.get(SESSION_COOKIE)
