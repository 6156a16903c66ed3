"""A migrated store of its own for a test or a module, beside the suite's `engine` fixture."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from planning.store.engine import create_store_engine, migrate
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
