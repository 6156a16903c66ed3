"""Bulk edit on Initiatives: one write sets owner, status, health, target date or a linked key
result on every selected initiative; refused whole, with every reason, when any row or value is
not allowed (worked examples on the seeded team)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    AuditEvent,
    Initiative,
    InitiativeKeyResult,
    PersonRead,
    StatusUpdate,
)
from planning.work.bulk_edit import (
    BulkChanges,
    BulkEditDenied,
    BulkEditError,
    bulk_edit_initiatives,
)
from tests.planning_seed import Team, add_initiative, seed_team, store_state

DAY = date(2026, 11, 26)


def _three(engine: Engine) -> tuple[Team, list[int]]:
    team = seed_team(engine)
    ids = [
        add_initiative(
            engine,
            title="Ana planned",
            owner_id=team.ana.id,
            status="planned",
            start_date=date(2026, 11, 2),
        ),
        add_initiative(engine, title="Ana running", owner_id=team.ana.id, status="in_progress"),
        add_initiative(engine, title="Ben idea", owner_id=team.ben.id, status="idea"),
    ]
    return team, ids


def _bulk(
    engine: Engine, config: AppConfig, actor: PersonRead, ids: list[int], **fields: Any
) -> Any:
    """Bulk-edit the initiatives `ids` as `actor` in one transaction; `today` may be given."""
    extra = {"today": fields.pop("today")} if "today" in fields else {}
    extra |= {"initiative_ids": ids, "changes": BulkChanges(**fields)}
    with session_scope(engine) as session:
        return bulk_edit_initiatives(session=session, actor=actor, config=config, **extra)


def _rows(engine: Engine, ids: list[int]) -> list[Initiative]:
    with Session(read_engine(engine)) as session:
        return [session.get(Initiative, i) for i in ids]  # type: ignore[misc]


def test_a_director_sets_five_fields_on_three_initiatives_in_one_write(
    engine: Engine, config: AppConfig
) -> None:
    team, ids = _three(engine)
    saved = _bulk(
        engine,
        config,
        team.director,
        ids,
        owner_id=team.ben.id,
        status="in_progress",
        health="at_risk",
        target_date=date(2026, 12, 18),
        key_result_id=team.kr_aov,
        today=DAY,
    )
    assert [s.id for s in saved] == ids
    for row in _rows(engine, ids):
        assert (row.owner_id, row.status.value, row.health.value, row.target_date) == (
            team.ben.id,
            "in_progress",
            "at_risk",
            date(2026, 12, 18),
        )
    with Session(read_engine(engine)) as session:
        links = session.exec(select(InitiativeKeyResult)).all()
        assert (
            sorted(link.initiative_id for link in links if link.key_result_id == team.kr_aov) == ids
        )
        notes = [u.note for u in session.exec(select(StatusUpdate).order_by(col(StatusUpdate.id)))]
        [bulk] = session.exec(select(AuditEvent).where(AuditEvent.action == "bulk_edit")).all()
    # The one already in progress gets only the health note; the other two a status note too.
    assert len(notes) == 5
    assert notes[-1].startswith("Health changed from On track to At risk by Dora Director")
    assert "bulk edit of 3 initiatives" in notes[-1]
    assert bulk.after == {
        "initiatives": ids,
        "changes": {
            "owner_id": team.ben.id,
            "status": "in_progress",
            "health": "at_risk",
            "target_date": "2026-12-18",
            "key_result_id": team.kr_aov,
        },
    }


def test_one_row_not_allowed_refuses_the_whole_edit_with_every_reason(
    engine: Engine, config: AppConfig
) -> None:
    team, ids = _three(engine)
    before = store_state(engine)
    with pytest.raises(BulkEditDenied) as refused:
        _bulk(
            engine,
            config,
            team.ana,
            [*ids, 999],
            status="idea",
            target_date=date(2026, 10, 1),
            key_result_id=team.kr_archived,
            today=DAY,
        )
    assert list(refused.value.problems) == [
        "only a director can set the status of initiatives",
        "key result “Old KR” is archived and cannot be linked",
        "“Ana planned”: only a director can move an initiative from Planned to Idea",
        "“Ana planned”: target date 2026-10-01 is before its start 2026-11-02",
        "“Ana running”: an initiative cannot move from In progress to Idea; from In progress it "
        "can move to Planned, Blocked, Done, Dropped",
        "“Ben idea” is owned by Ben Member; only its owner or a director can change it",
        "initiative 999 does not exist",
    ]
    assert store_state(engine) == before
    # Values alone wrong (no permission at stake): the same list, as bad input.
    wrong = {"health": "great", "target_date": date(2026, 10, 1)}
    with pytest.raises(BulkEditError) as bad:
        _bulk(engine, config, team.director, ids[:2], **wrong, today=DAY)
    assert list(bad.value.problems) == [
        "unknown health 'great'; use one of on_track, at_risk, off_track",
        "“Ana planned”: target date 2026-10-01 is before its start 2026-11-02",
    ]
    assert store_state(engine) == before


def test_a_member_changes_their_own_and_a_stakeholder_nothing(
    engine: Engine, config: AppConfig
) -> None:
    team, ids = _three(engine)
    slipping = {"health": "off_track", "target_date": date(2027, 1, 15)}
    _bulk(engine, config, team.ana, ids[:2], **slipping, today=DAY)
    assert [(r.health.value, r.target_date) for r in _rows(engine, ids)] == [
        ("off_track", date(2027, 1, 15)),
        ("off_track", date(2027, 1, 15)),
        ("on_track", None),
    ]
    # Nothing chosen, and a stakeholder, are refused.
    with pytest.raises(BulkEditError, match="choose at least one field"):
        _bulk(engine, config, team.director, ids)
    with pytest.raises(PermissionDenied, match="Only team members and directors"):
        _bulk(engine, config, team.sue, ids, health="at_risk")
