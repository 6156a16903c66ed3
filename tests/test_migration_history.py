"""Every migration revision does exactly what it did when it was released.

Revisions are history: a store at any revision must upgrade (and downgrade) as it always has, so
a change to a revision file, or to planning/store/migrations/ddl.py that the revisions build on,
must not change what they emit. This replays the revisions one step at a time and compares with
golden files:

- PostgreSQL (tests/golden/migrations_postgresql.txt): the SQL each revision's upgrade and
  downgrade emits in Alembic's offline mode, so no server is needed;
- SQLite (tests/golden/migrations_sqlite.txt): the schema (sqlite_master) of a fresh store file
  after each step up from nothing to the newest revision and back down (what each step changes).

Adding a new revision changes the golden files on purpose. Rewrite them and review the diff (only
the new revision's steps may change):

    QUARTERDECK_REWRITE_GOLDEN=1 .venv/bin/pytest tests/test_migration_history.py
"""

from __future__ import annotations

import difflib
import io
import os
import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import Script, ScriptDirectory
from sqlalchemy import text

from planning.store.engine import MIGRATIONS_DIR, alembic_config, create_store_engine

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
REWRITE_ENV = "QUARTERDECK_REWRITE_GOLDEN"
# A foreign key line of a CREATE TABLE statement: the clause, then the comma that may follow.
FOREIGN_KEY = re.compile(r"\t(?P<clause>(CONSTRAINT \S+ )?FOREIGN KEY.*\))(?P<comma>,? ?)$")


def _revisions() -> list[Script]:
    """The revision scripts, oldest first."""
    return list(reversed(list(ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions())))


class _OfflineBind:
    """The offline connection, except that a read returns no rows: offline there is no data."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> list[Any]:
        self._connection.execute(statement, *args, **kwargs)
        return []


def _postgresql_history() -> str:
    """The SQL of every revision's upgrade, then of every downgrade, as PostgreSQL gets it."""
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql", opts={"as_sql": True, "output_buffer": buffer}
    )
    context.impl.connection = _OfflineBind(context.impl.connection)  # type: ignore[assignment]
    scripts = _revisions()
    steps = [(f"upgrade {s.down_revision} -> {s.revision}", s.module.upgrade) for s in scripts]
    steps += [
        (f"downgrade {s.revision} -> {s.down_revision}", s.module.downgrade)
        for s in reversed(scripts)
    ]
    with Operations.context(context):
        for title, step in steps:
            buffer.write(f"-- {title}\n\n")
            step()
    return buffer.getvalue()


def _foreign_keys_sorted(sql: str) -> str:
    """The SQL with a table's foreign key clauses in name order.

    Alembic's batch mode rebuilds a SQLite table with its foreign keys in an order that changes
    from run to run (it keeps them in a set), so their order is left out of the SQLite record
    (the PostgreSQL record keeps the order each revision creates them in).
    """
    lines = sql.split("\n")
    matches = [(i, m) for i, line in enumerate(lines) if (m := FOREIGN_KEY.match(line))]
    clauses = sorted(m["clause"] for _, m in matches)
    for (i, m), clause in zip(matches, clauses, strict=True):
        lines[i] = f"\t{clause}{m['comma']}"
    return "\n".join(lines)


def _sqlite_schema(connection: Any) -> dict[str, str]:
    """Each schema object of the store ('table x on x', 'index ix on x') -> its SQL."""
    rows = connection.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    return {
        f"{kind} {name} on {table}": _foreign_keys_sorted(f"{sql}")
        for kind, name, table, sql in rows
    }


def _sqlite_history(tmp_path: Path) -> str:
    """What each step up to the newest revision and back changes in a fresh SQLite store's schema:
    the objects it adds (+) or rebuilds (~) with their SQL, and those it drops (-)."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'history.db'}")
    cfg = alembic_config(engine)
    revisions = [s.revision for s in _revisions()]
    steps = [("upgrade", revision) for revision in revisions]
    steps += [("downgrade", revision) for revision in [*reversed(revisions[:-1]), "base"]]
    out = []
    before: dict[str, str] = {}
    try:
        for direction, revision in steps:
            getattr(command, direction)(cfg, revision)
            with engine.connect() as connection:
                after = _sqlite_schema(connection)
            out.append(f"-- {direction} to {revision}\n\n")
            for name in sorted(before.keys() | after.keys()):
                if name not in after:
                    out.append(f"- {name}\n\n")
                elif before.get(name) != after[name]:
                    out.append(f"{'~' if name in before else '+'} {name}:\n{after[name]}\n\n")
            before = after
    finally:
        engine.dispose()
    return "".join(out)


def _check_golden(name: str, actual: str) -> None:
    """Compare with the golden file (trailing blanks of lines aside), or rewrite it if asked."""
    actual = "".join(f"{line.rstrip()}\n" for line in actual.splitlines())
    golden = GOLDEN_DIR / name
    if os.environ.get(REWRITE_ENV):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        return
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"tests/golden/{name}",
                tofile="the revisions now",
                n=2,
            )
        )
        raise AssertionError(
            f"the migrations no longer do what tests/golden/{name} records. A released revision "
            f"must never change; for a new revision rewrite the golden files with "
            f"{REWRITE_ENV}=1 and review the diff.\n{diff[:20000]}"
        )


def test_postgresql_ddl_of_every_revision_is_unchanged() -> None:
    _check_golden("migrations_postgresql.txt", _postgresql_history())


def test_sqlite_schema_after_every_revision_is_unchanged(tmp_path: Path) -> None:
    _check_golden("migrations_sqlite.txt", _sqlite_history(tmp_path))
