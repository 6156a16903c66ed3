"""A migrated store of its own for a test or a module, beside the suite's `engine` fixture."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select

from planning.store.engine import create_store_engine, migrate, session_scope
from planning.store.models import Initiative, InitiativeStatus, Person, PersonRead
from planning.work.initiative_input import NewStatusUpdate
from planning.work.status_updates import post_status_update
from tests.conftest import _drop_postgres_schema, _postgres_engine


@contextmanager
def migrated_store(backend: str, sqlite_file: Path) -> Iterator[Engine]:
    """A freshly migrated, empty store: a SQLite file, or a PostgreSQL schema of its own that is
    dropped afterwards."""
    if backend == "sqlite":
        eng = create_store_engine(f"sqlite:///{sqlite_file}")
        try:
            migrate(eng)
            yield eng
        finally:
            eng.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    eng = _postgres_engine(schema)
    try:
        migrate(eng)
        yield eng
    finally:
        eng.dispose()
        _drop_postgres_schema(schema)


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
