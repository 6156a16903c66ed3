"""Closing a quarter, then carrying its unfinished goals and open initiatives into the next one
(planning/okrs/quarter_draft.py on a closed quarter): the open initiatives' links move from the
copied key results to their copies, audited on each initiative, with their history kept; done and
dropped work stays where it was. The demo store is loaded as of 31 Dec 2026 (2026-Q4 goals)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from planning.config import default_config
from planning.okrs.goal_rules import GoalError
from planning.okrs.quarter_close import close_quarter
from planning.store.engine import session_scope
from planning.store.models import (
    AuditEvent,
    Initiative,
    InitiativeKeyResult,
    InitiativeStatus,
    KeyResult,
    KrGrade,
    Objective,
    Role,
    StatusUpdate,
)
from tests.okr_seed import NEW, OLD, draft_next_quarter, first_with_role


def links(engine: Engine) -> dict[int, set[int]]:
    with Session(engine) as session:
        found: dict[int, set[int]] = {}
        for initiative_id, kr_id in session.execute(
            select(InitiativeKeyResult.initiative_id, InitiativeKeyResult.key_result_id)
        ).all():
            found.setdefault(int(initiative_id), set()).add(int(kr_id))
        return found


def table(engine: Engine, *columns: object) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        return [tuple(r) for r in session.execute(select(*columns)).all()]  # type: ignore[call-overload]


def test_closing_then_carrying_moves_open_initiatives_to_the_copied_key_results(
    new_quarter_engine: Engine,
) -> None:
    with session_scope(new_quarter_engine) as session:
        close_quarter(
            session=session,
            actor=first_with_role(session, Role.director),
            config=default_config(),
            period=OLD,
        )
    grades = table(new_quarter_engine, KrGrade.key_result_id, KrGrade.grade)
    updates = table(
        new_quarter_engine, StatusUpdate.id, StatusUpdate.initiative_id, StatusUpdate.note
    )
    with Session(new_quarter_engine) as session:
        statuses = {
            int(i.id): i.status for i in session.execute(select(Initiative)).scalars() if i.id
        }
        versions = {int(i.id): i.version for i in session.execute(select(Initiative)).scalars()}
    before = links(new_quarter_engine)

    preview = draft_next_quarter(new_quarter_engine, preview=True)
    assert preview.moves_links
    copied = {kr.source_id: kr for o in preview.objectives for kr in o.key_results}
    carried = {i for kr in copied.values() for i in kr.initiative_ids}
    assert preview.initiative_count == len(carried) > 0
    # Exactly the open initiatives linked to a copied key result are carried; done and dropped
    # work linked to one stays behind.
    closed = (InitiativeStatus.done, InitiativeStatus.dropped)
    expected = {i for i, krs in before.items() if krs & set(copied) and statuses[i] not in closed}
    assert carried == expected
    left_behind = {i for i, krs in before.items() if krs & set(copied)} - carried
    assert left_behind  # the demo quarter has shipped work on unfinished key results
    assert links(new_quarter_engine) == before  # the preview writes nothing
    rows = preview.rows()
    assert any(row["initiatives"] for row in rows)

    audit = table(new_quarter_engine, func.count(AuditEvent.id))[0][0]
    written = draft_next_quarter(new_quarter_engine, preview=False, previewed=preview)
    assert written.written and written.moves_links
    after = links(new_quarter_engine)
    with Session(new_quarter_engine) as session:
        copies = {
            int(k.id): k
            for k in session.execute(
                select(KeyResult)
                .join(Objective, Objective.id == KeyResult.objective_id)
                .where(Objective.period == NEW)
            ).scalars()
        }
        moved_events = session.execute(
            select(AuditEvent).where(
                AuditEvent.entity == "initiative", AuditEvent.action == "carry_forward"
            )
        ).scalars()
        moved_events = list(moved_events)
        new_versions = {int(i.id): i.version for i in session.execute(select(Initiative)).scalars()}
    copy_of = {}
    for kr_id, kr in copies.items():
        [source] = [s for s, d in copied.items() if d.title == kr.title and s not in copy_of]
        copy_of[source] = kr_id
    for initiative in carried:
        old_copied = before[initiative] & set(copied)
        # The links to the copied key results moved to their copies; other links stayed.
        assert after[initiative] == (before[initiative] - old_copied) | {
            copy_of[k] for k in old_copied
        }
        assert new_versions[initiative] == versions[initiative] + 1
    for initiative in left_behind:
        assert after[initiative] == before[initiative]
    # Each move is audited on its initiative, with the links before and after.
    assert {e.entity_id for e in moved_events} == carried
    for event in moved_events:
        assert set(event.before["key_result_ids"]) == before[event.entity_id]
        assert set(event.after["key_result_ids"]) == after[event.entity_id]
    created = len(preview.objectives) + preview.key_result_count
    assert (
        table(new_quarter_engine, func.count(AuditEvent.id))[0][0]
        == audit + created + len(carried) + 1
    )
    # The closed quarter's grades and the initiatives' history are untouched.
    assert table(new_quarter_engine, KrGrade.key_result_id, KrGrade.grade) == grades
    assert (
        table(new_quarter_engine, StatusUpdate.id, StatusUpdate.initiative_id, StatusUpdate.note)
        == updates
    )

    # A second confirmation moves and copies nothing more.
    with pytest.raises(GoalError, match="already has objectives"):
        draft_next_quarter(new_quarter_engine, preview=False, previewed=preview)
    assert links(new_quarter_engine) == after


def test_drafting_from_a_running_quarter_links_the_copies_and_keeps_the_old_links(
    new_quarter_engine: Engine,
) -> None:
    before = links(new_quarter_engine)
    preview = draft_next_quarter(new_quarter_engine, preview=True)
    assert not preview.moves_links and preview.initiative_count > 0
    draft_next_quarter(new_quarter_engine, preview=False, previewed=preview)
    after = links(new_quarter_engine)
    for initiative, krs in before.items():
        assert krs <= after[initiative]  # nothing taken from the running quarter
    carried = {i for o in preview.objectives for kr in o.key_results for i in kr.initiative_ids}
    assert all(len(after[i]) > len(before[i]) for i in carried)
    with Session(new_quarter_engine) as session:
        moved = session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "carry_forward")
        ).scalar()
    assert moved == 0
