"""Signing a visitor out from another site (cross-site request forgery): /session/end ends a
session only on a POST from the app's own pages, never on a GET (an image or a link elsewhere)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from planning.config import AppConfig
from tests.sign_in_routes import HOST, add_ana, client, person_of, session_token, sign_in_form


def signed_in(engine: Engine, config: AppConfig) -> TestClient:
    add_ana(engine)
    browser = client(engine, config)
    sign_in_form(browser)
    assert person_of(engine, session_token(browser)) is not None
    return browser


def test_a_get_does_not_sign_out(engine: Engine, config: AppConfig) -> None:
    browser = signed_in(engine, config)
    token = session_token(browser)
    reply = browser.get("/session/end", params={"next": "/"})
    assert reply.status_code == 405
    assert "set-cookie" not in reply.headers
    assert person_of(engine, token) is not None


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"referer": "https://evil.example/page"},
        {"origin": f"http://{HOST}.evil.example"},
        {},
    ],
    ids=["other-origin", "null-origin", "other-referer", "look-alike-host", "no-origin"],
)
def test_a_post_from_another_site_does_not_sign_out(
    engine: Engine, config: AppConfig, headers: dict[str, str]
) -> None:
    browser = signed_in(engine, config)
    token = session_token(browser)
    reply = browser.post("/session/end", data={"next": "/"}, headers=headers)
    assert reply.status_code == 403
    assert "set-cookie" not in reply.headers
    assert person_of(engine, token) is not None


def test_a_post_from_the_apps_own_page_signs_out(engine: Engine, config: AppConfig) -> None:
    browser = signed_in(engine, config)
    token = session_token(browser)
    reply = browser.post(
        "/session/end", data={"next": "/"}, headers={"referer": f"http://{HOST}/goals"}
    )
    assert reply.status_code == 303
    assert person_of(engine, token) is None
