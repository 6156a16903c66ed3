"""API tokens: created by a director or at the command line, stored as a digest only, scoped,
revocable once, audited; and `python -m planning token create|list|revoke`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from planning import clock
from planning.access.api_tokens import (
    READ_OKRS,
    WRITE_OBSERVATIONS,
    TokenError,
    authenticate,
    create_token,
    has_scope,
    list_tokens,
    note_use,
    revoke_token,
    stale_use,
)
from planning.access.permissions import PermissionDenied
from planning.cli.main import main
from planning.clock import TODAY_ENV
from planning.store.engine import create_store_engine, migrate, session_scope
from planning.store.models import AuditEvent, Person, PersonRead, Role, utcnow
from planning.store.models_access import ApiToken
from tests.cli_support import point_cli_at

Output = Callable[[], tuple[str, str]]


def add_person(engine: Engine, name: str, role: Role) -> PersonRead:
    with session_scope(engine) as session:
        person = Person(name=name, email=f"{name.lower()}@example.com", role=role)
        session.add(person)
        session.flush()
        return PersonRead.model_validate(person)


def test_director_creates_a_token_stored_only_as_its_digest(engine: Engine) -> None:
    maya = add_person(engine, "Maya", Role.director)
    with session_scope(engine) as session:
        created = create_token(
            session=session,
            actor=maya,
            name="  nightly   etl ",
            scopes=[READ_OKRS, WRITE_OBSERVATIONS, READ_OKRS],
        )
    assert created.secret.startswith("qd_") and len(created.secret) > 40
    assert created.token.name == "nightly etl"
    assert created.token.scopes == (WRITE_OBSERVATIONS, READ_OKRS)
    assert created.token.created_by_name == "Maya"
    with Session(engine) as session:
        stored = session.exec(select(ApiToken)).one()
        event = session.exec(select(AuditEvent).where(AuditEvent.entity == "api_token")).one()
        assert stored.token_hash == hashlib.sha256(created.secret.encode()).hexdigest()
        assert created.secret not in json.dumps(event.after)
        assert "token_hash" not in (event.after or {})
        assert (event.action, event.actor_id) == ("create", maya.id)
        found = authenticate(session=session, secret=created.secret)
        assert found is not None and has_scope(found, READ_OKRS)
        assert authenticate(session=session, secret=created.secret + "x") is None
        assert authenticate(session=session, secret="not-even-prefixed") is None


@pytest.mark.parametrize("role", [Role.member, Role.stakeholder])
def test_only_directors_create_or_revoke(engine: Engine, role: Role) -> None:
    someone = add_person(engine, "Sam", role)
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        create_token(session=session, actor=someone, name="mine", scopes=[READ_OKRS])
    with session_scope(engine) as session:
        token_id = create_token(
            session=session, actor=None, name="cli", scopes=[READ_OKRS]
        ).token.id
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        revoke_token(session=session, actor=someone, token_id=token_id)
    with Session(engine) as session:
        assert [t.name for t in list_tokens(session=session)] == ["cli"]
        assert list_tokens(session=session)[0].active


@pytest.mark.parametrize(
    ("name", "scopes", "message"),
    [
        ("", [READ_OKRS], "give the token a name"),
        ("x" * 81, [READ_OKRS], "keep it to 80"),
        ("bell\x07", [READ_OKRS], "control characters"),
        ("etl", [], "at least one scope"),
        ("etl", ["write:okrs", READ_OKRS], "unknown scope 'write:okrs'"),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(
    engine: Engine, name: str, scopes: list[str], message: str
) -> None:
    with pytest.raises(TokenError, match=message), session_scope(engine) as session:
        create_token(session=session, actor=None, name=name, scopes=scopes)
    with Session(engine) as session:
        assert session.exec(select(ApiToken)).all() == []
        assert session.exec(select(AuditEvent)).all() == []


def test_revoked_tokens_stop_working_and_cannot_be_revoked_twice(engine: Engine) -> None:
    with session_scope(engine) as session:
        created = create_token(session=session, actor=None, name="etl", scopes=[READ_OKRS])
    with session_scope(engine) as session:
        revoked = revoke_token(session=session, actor=None, token_id=created.token.id)
    assert not revoked.active
    with Session(engine) as session:
        assert authenticate(session=session, secret=created.secret) is None
    with pytest.raises(TokenError, match="already revoked"), session_scope(engine) as session:
        revoke_token(session=session, actor=None, token_id=created.token.id)
    with (
        pytest.raises(TokenError, match="no API token with id 99"),
        session_scope(engine) as session,
    ):
        revoke_token(session=session, actor=None, token_id=99)


def test_revoking_twice_names_the_first_revocation_in_the_teams_time(
    engine: Engine, team_zone: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The message gave the UTC clock without saying so: 09:00 for a Berlin director's 10:00.
    clock.use_time_zone("Europe/Berlin")
    monkeypatch.setenv(TODAY_ENV, "2026-11-26T09:00:00+00:00")
    with session_scope(engine) as session:
        created = create_token(session=session, actor=None, name="etl", scopes=[READ_OKRS])
        revoke_token(session=session, actor=None, token_id=created.token.id)
    with pytest.raises(TokenError) as excinfo, session_scope(engine) as session:
        revoke_token(session=session, actor=None, token_id=created.token.id)
    assert str(excinfo.value) == (
        f"API token {created.token.id} (etl) was already revoked on 26 Nov 2026 10:00 CET"
    )


def test_last_use_is_noted_at_most_once_a_minute(engine: Engine) -> None:
    with session_scope(engine) as session:
        token_id = create_token(
            session=session, actor=None, name="etl", scopes=[READ_OKRS]
        ).token.id
    now = utcnow()
    with session_scope(engine) as session:
        assert note_use(session=session, token_id=token_id, now=now)
    with session_scope(engine) as session:
        assert not note_use(session=session, token_id=token_id, now=now + timedelta(seconds=30))
        token = session.get(ApiToken, token_id)
        assert token is not None
        assert not stale_use(token, now + timedelta(seconds=30))
        assert stale_use(token, now + timedelta(seconds=61))
    with session_scope(engine) as session:
        assert note_use(session=session, token_id=token_id, now=now + timedelta(seconds=61))


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    engine = create_store_engine(point_cli_at(tmp_path / "cli.db", monkeypatch))
    migrate(engine)
    return engine


def test_cli_create_prints_the_token_alone_once(store: Engine, output: Output) -> None:
    assert main(["token", "create", "--name", "etl", "--scope", "write:observations"]) == 0
    out, err = output()
    secret = out.strip()
    assert out == secret + "\n" and secret.startswith("qd_")
    assert "not shown again" in err
    with Session(store) as session:
        token = authenticate(session=session, secret=secret)
        assert token is not None and token.created_by is None
    assert main(["token", "list"]) == 0
    out, _ = output()
    assert secret not in out
    assert "etl" in out and "command line" in out and "active" in out


def test_cli_as_a_director_and_refusals(store: Engine, output: Output) -> None:
    add_person(store, "Maya", Role.director)
    add_person(store, "Sam", Role.member)
    assert main(["token", "create", "--name", "r", "--scope", "read:okrs,write:observations",
                 "--as", "MAYA@example.com"]) == 0  # fmt: skip
    output()
    assert (
        main(["token", "create", "--name", "s", "--scope", "read:okrs", "--as", "sam@example.com"])
        == 1
    )
    assert "Only a director can create API tokens" in output()[1]
    assert main(["token", "create", "--name", "x", "--scope", "read"]) == 1
    assert "unknown scope 'read'" in output()[1]
    assert main(["token", "create", "--scope", "read:okrs"]) == 2
    assert "needs --name" in output()[1]
    assert main(["token", "revoke"]) == 2
    assert main(["token", "revoke", "7"]) == 1
    assert "no API token with id 7" in output()[1]
    assert main(["token", "list", "--format", "json"]) == 0
    listed = json.loads(output()[0])
    assert [(t["name"], t["scopes"], t["created_by"]) for t in listed] == [
        ("r", ["write:observations", "read:okrs"], "Maya")
    ]
    assert main(["token", "revoke", str(listed[0]["id"])]) == 0
    assert "revoked API token" in output()[0]
    assert main(["token", "list", "--format", "json"]) == 0
    assert json.loads(output()[0])[0]["revoked_at"] is not None


def test_cli_help_names_the_actions_and_scopes(store: Engine, output: Output) -> None:
    assert main(["token", "--help"]) == 0
    out, _ = output()
    for word in (
        "create",
        "list",
        "revoke",
        "--name",
        "--scope",
        "write:observations",
        "read:okrs",
    ):
        assert word in out
