"""Share links: created by directors (token shown once, stored hashed, audited), listed, revoked;
a token resolves to valid, expired, revoked or unknown (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from planning import clock, i18n
from planning.access.permissions import PermissionDenied
from planning.access.secret_links import token_digest
from planning.access.share_links import (
    LinkState,
    create_share_link,
    list_share_links,
    note_use,
    resolve,
    revoke_share_link,
    share_url,
)
from planning.store.engine import read_engine, session_scope
from planning.store.models import AuditEvent, Person, PersonRead, Role
from planning.store.models_access import ShareLink
from planning.validation import InputError

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def people(engine: Engine) -> dict[str, PersonRead]:
    with session_scope(engine) as session:
        rows = {
            "director": Person(name="Maya", email="maya@x.test", role=Role.director),
            "member": Person(name="Tom", email="tom@x.test", role=Role.member),
            "stakeholder": Person(name="Helen", email="helen@x.test", role=Role.stakeholder),
        }
        session.add_all(rows.values())
        session.flush()
        return {k: PersonRead.model_validate(p) for k, p in rows.items()}


def create(engine: Engine, actor: PersonRead, label: str = "Board", days: int = 30) -> str:
    with session_scope(engine) as session:
        return create_share_link(
            session=session, actor=actor, label=label, valid_days=days, now=NOW
        ).token


def state_of(engine: Engine, token: str | None, now: datetime = NOW) -> LinkState:
    with Session(read_engine(engine)) as session:
        return resolve(session=session, token=token, now=now).state


def counts(engine: Engine) -> tuple[int, int]:
    with Session(read_engine(engine)) as session:
        links = session.execute(select(func.count()).select_from(ShareLink)).scalar_one()
        events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return int(links), int(events)


def test_share_url_puts_the_token_in_the_query_string() -> None:
    assert share_url(base_url="http://localhost:8501/", token="abc") == (
        "http://localhost:8501/?share=abc"
    )
    assert share_url(base_url="https://qd.example.com/app", token="a-b_c") == (
        "https://qd.example.com/app/?share=a-b_c"
    )
    # Whatever query or fragment the base had is replaced.
    assert share_url(base_url="https://qd.example.com/?x=1#top", token="t") == (
        "https://qd.example.com/?share=t"
    )


def test_a_director_creates_a_link_whose_token_is_only_stored_hashed(engine: Engine) -> None:
    team = people(engine)
    with session_scope(engine) as session:
        created = create_share_link(
            session=session, actor=team["director"], label="  Board   pack ", valid_days=14, now=NOW
        )
    token, link = created.token, created.link
    assert len(token) >= 32
    assert (link.label, link.created_by_name) == ("Board pack", "Maya")
    assert link.expires_at == NOW + timedelta(days=14)
    with Session(read_engine(engine)) as session:
        stored = session.exec(select(ShareLink)).scalars().one()
        event = session.exec(select(AuditEvent)).scalars().one()
    assert stored.token_hash == token_digest(token) != token
    assert token not in str(event.after) and "token_hash" not in (event.after or {})
    assert (event.entity, event.action, event.actor_id) == (
        "share_link",
        "create",
        team["director"].id,
    )
    # Two links never share a token.
    assert create(engine, team["director"]) != token


def test_tokens_resolve_to_valid_expired_revoked_or_unknown(engine: Engine) -> None:
    team = people(engine)
    token = create(engine, team["director"], days=1)
    assert state_of(engine, token) == LinkState.valid
    assert state_of(engine, token, NOW + timedelta(hours=23, minutes=59)) == LinkState.valid
    assert state_of(engine, token, NOW + timedelta(days=1)) == LinkState.expired
    assert state_of(engine, token + "x") == LinkState.unknown
    assert state_of(engine, "") == LinkState.unknown
    assert state_of(engine, None) == LinkState.unknown
    assert state_of(engine, "x" * 5000) == LinkState.unknown
    with Session(read_engine(engine)) as session:
        resolved = resolve(session=session, token=token, now=NOW)
    assert resolved.link is not None and resolved.link.label == "Board"

    with Session(read_engine(engine)) as session:
        link_id = list_share_links(session=session)[0].id
    with session_scope(engine) as session:
        revoked = revoke_share_link(
            session=session, actor=team["director"], link_id=link_id, now=NOW + timedelta(hours=1)
        )
    assert revoked.revoked_at == NOW + timedelta(hours=1)
    assert state_of(engine, token, NOW + timedelta(hours=2)) == LinkState.revoked
    # Revoked wins over expired: the visitor is told the link was withdrawn.
    assert state_of(engine, token, NOW + timedelta(days=5)) == LinkState.revoked


def test_bad_labels_and_expiries_are_refused_and_write_nothing(engine: Engine) -> None:
    team = people(engine)
    before = counts(engine)
    cases = [
        ("", 30, "give the link a label"),
        ("   ", 30, "give the link a label"),
        ("x" * 121, 30, "keep it to 120"),
        ("Board\x07", 30, "control characters"),
        ("Board", 0, "valid for 1 to 365 days, not 0"),
        ("Board", 366, "valid for 1 to 365 days, not 366"),
        ("Board", 1.5, "whole number of days"),
        ("Board", "30", "whole number of days"),
    ]
    for label, days, message in cases:
        with pytest.raises(InputError) as refused, session_scope(engine) as session:
            create_share_link(
                session=session,
                actor=team["director"],
                label=label,
                valid_days=days,  # type: ignore[arg-type]
                now=NOW,
            )
        assert any(message in p for p in refused.value.problems), (label, days)
    with pytest.raises(InputError) as both, session_scope(engine) as session:
        create_share_link(session=session, actor=team["director"], label="", valid_days=0)
    assert len(both.value.problems) == 2  # every problem at once
    assert counts(engine) == before


@pytest.mark.parametrize("role", ["member", "stakeholder"])
def test_only_directors_create_and_revoke(engine: Engine, role: str) -> None:
    team = people(engine)
    token = create(engine, team["director"])
    before = counts(engine)
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        create_share_link(session=session, actor=team[role], label="Mine")
    with Session(read_engine(engine)) as session:
        link_id = list_share_links(session=session)[0].id
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        revoke_share_link(session=session, actor=team[role], link_id=link_id)
    assert counts(engine) == before
    assert state_of(engine, token) == LinkState.valid


def revoked_link(engine: Engine, director: PersonRead) -> int:
    """A link the director created and revoked at NOW; its id."""
    create(engine, director)
    with Session(read_engine(engine)) as session:
        link_id = list_share_links(session=session)[0].id
    with session_scope(engine) as session:
        revoke_share_link(session=session, actor=director, link_id=link_id, now=NOW)
    return link_id


def test_revoking_twice_or_an_unknown_link_is_refused(engine: Engine) -> None:
    team = people(engine)
    link_id = revoked_link(engine, team["director"])
    before = counts(engine)
    with pytest.raises(InputError, match="already revoked"), session_scope(engine) as session:
        revoke_share_link(session=session, actor=team["director"], link_id=link_id)
    with (
        pytest.raises(InputError, match="no share link with id 999"),
        session_scope(engine) as session,
    ):
        revoke_share_link(session=session, actor=team["director"], link_id=999)
    assert counts(engine) == before


def test_revoking_twice_names_the_first_revocation_in_the_teams_time(
    engine: Engine, team_zone: None
) -> None:
    # The message gave the UTC clock without saying so: 09:00 for a Berlin director's 10:00.
    clock.use_time_zone("Europe/Berlin")
    team = people(engine)
    link_id = revoked_link(engine, team["director"])
    for language, expected in (
        ("en", "was already revoked on 26 Nov 2026 10:00 CET"),
        ("de", "wurde bereits am 26. Nov. 2026 10:00 CET widerrufen"),
    ):
        with (
            i18n.use_locale(language),
            pytest.raises(InputError) as excinfo,
            session_scope(engine) as session,
        ):
            revoke_share_link(session=session, actor=team["director"], link_id=link_id)
        assert expected in excinfo.value.problems[0]
        assert "UTC" not in excinfo.value.problems[0]


def test_links_are_listed_newest_first_with_their_state(engine: Engine) -> None:
    team = people(engine)
    create(engine, team["director"], label="Board", days=1)
    create(engine, team["director"], label="Investors", days=60)
    with Session(read_engine(engine)) as session:
        links = list_share_links(session=session)
    assert [link.label for link in links] == ["Investors", "Board"]
    later = NOW + timedelta(days=2)
    assert [link.state(later) for link in links] == [LinkState.valid, LinkState.expired]


def test_last_use_is_noted_at_most_once_a_minute(engine: Engine) -> None:
    team = people(engine)
    create(engine, team["director"])
    with Session(read_engine(engine)) as session:
        link_id = list_share_links(session=session)[0].id
    _, events = counts(engine)
    for moment, written in (
        (NOW, True),
        (NOW + timedelta(seconds=30), False),
        (NOW + timedelta(minutes=1), True),
    ):
        with session_scope(engine) as session:
            assert note_use(session=session, link_id=link_id, now=moment) is written
    with Session(read_engine(engine)) as session:
        assert list_share_links(session=session)[0].last_used_at == NOW + timedelta(minutes=1)
        assert note_use(session=session, link_id=999) is False
    assert counts(engine)[1] == events  # bookkeeping, not an audited change
