"""Writes that tests make to a store the way people make them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlmodel import select

from planning.store.engine import session_scope
from planning.store.models import Initiative, InitiativeStatus, Person, PersonRead
from planning.work.initiative_input import NewStatusUpdate
from planning.work.status_updates import post_status_update


def post_a_late_update(
    engine: Engine, *, today: date | None = None, note_only: bool = False
) -> None:
    """The owner of the first initiative in progress posts that it is at risk (a write to the
    work, as an owner makes one during the Monday review); `note_only`: posts a note and leaves
    its status, health and % complete as they stand."""
    with session_scope(engine) as session:
        work = session.exec(
            select(Initiative).where(Initiative.status == InitiativeStatus.in_progress)
        ).first()
        assert work is not None and work.id is not None
        owner = PersonRead.model_validate(session.get(Person, work.owner_id))
        post_status_update(
            session=session,
            actor=owner,
            initiative_id=work.id,
            update=NewStatusUpdate(
                status="in_progress",
                health=work.health.value if note_only else "at_risk",
                percent_complete=work.percent_complete,
                note="Supplier is late; one week behind.",
            ),
            today=today,
        )
