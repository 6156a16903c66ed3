"""Undoing the last save of the weekly planning table: the fields it changed come back, audited,
once; refused whole, naming what changed and who changed it, when an initiative moved since."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.store.engine import read_engine, session_scope
from planning.store.models import StatusUpdate
from planning.validation import InputError
from planning.work.backlog_edits import RowEdit, apply_backlog_edits
from planning.work.planning_undo import last_planning_save, undo_last_planning_save
from tests.planning_seed import (
    Team,
    add_initiative,
    edit_initiative,
    initiative_row,
    seed_team,
    store_state,
)


def _saved(engine: Engine, config: AppConfig) -> tuple[Team, int, int, int]:
    """Two initiatives and one save that starts the first and moves the second's target date;
    returns (team, first, second, save id)."""
    team = seed_team(engine)
    first = add_initiative(engine, title="Faster search", owner_id=team.ana.id, status="planned")
    second = add_initiative(
        engine,
        title="Gift cards",
        owner_id=team.ben.id,
        status="planned",
        target_date=date(2026, 12, 4),
    )
    edits = [
        RowEdit(
            initiative_id=first,
            title="Faster search",
            expected_version=1,
            changes={"status": "in_progress", "effort_weeks": 3.0},
        ),
        RowEdit(
            initiative_id=second,
            title="Gift cards",
            expected_version=1,
            changes={"target_date": date(2026, 12, 18)},
        ),
    ]
    with session_scope(engine) as session:
        apply_backlog_edits(session=session, actor=team.director, config=config, edits=edits)
        save = last_planning_save(session=session)
    assert save is not None and save.titles == ("Faster search", "Gift cards")
    return team, first, second, save.id


def _fields(engine: Engine, initiative_id: int) -> tuple[str, float, date | None]:
    row = initiative_row(engine, initiative_id)
    return row.status.value, row.effort_weeks, row.target_date


def test_undo_puts_back_what_the_last_save_changed(engine: Engine, config: AppConfig) -> None:
    team, first, second, save_id = _saved(engine, config)
    assert _fields(engine, first) == ("in_progress", 3.0, None)
    with session_scope(engine) as session:
        undone = undo_last_planning_save(session=session, actor=team.director, save_id=save_id)
    assert undone == ["Faster search", "Gift cards"]
    assert _fields(engine, first) == ("planned", 1.0, None)
    assert _fields(engine, second) == ("planned", 1.0, date(2026, 12, 4))
    with Session(read_engine(engine)) as session:
        notes = [u.note for u in session.exec(select(StatusUpdate).order_by(col(StatusUpdate.id)))]
        assert last_planning_save(session=session).undone  # type: ignore[union-attr]
    assert notes[-1] == (
        "Status changed from In progress to Planned by Dora Director "
        "(undoing a save of the planning table)."
    )
    with pytest.raises(InputError, match="undone already"), session_scope(engine) as session:
        undo_last_planning_save(session=session, actor=team.director, save_id=save_id)


def test_undo_is_refused_when_something_changed_since(engine: Engine, config: AppConfig) -> None:
    team, _, second, save_id = _saved(engine, config)
    edit_initiative(engine, config, team.ben, second, 2, target_date=date(2026, 12, 24))
    before = store_state(engine)
    with pytest.raises(InputError) as refused, session_scope(engine) as session:
        undo_last_planning_save(session=session, actor=team.director, save_id=save_id)
    assert list(refused.value.problems) == [
        "nothing was undone",
        "“Gift cards” changed since the save (target date by Ben Member)",
    ]
    assert store_state(engine) == before
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        undo_last_planning_save(session=session, actor=team.ana, save_id=save_id)
