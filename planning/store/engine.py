"""The store: engine creation, migrations at start-up, short sessions and data-version counters.

`QUARTERDECK_DATABASE_URL` selects the store (`sqlite:///path` or `postgresql+psycopg://...`);
without it the app uses SQLite at data/quarterdeck.db.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

import planning.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from planning.store.models import StoreState, utcnow
from planning.store.models_metrics import CalendarDay

DATABASE_URL_ENV = "QUARTERDECK_DATABASE_URL"
PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_DIR / "data" / "quarterdeck.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Counters in store_state: observations change with imports, plan with every other write. Each
# write to the plan also advances the counter of the area it touched, so a cached read can be
# keyed by the areas it depends on alone (ui.state.depends_on) and outlive writes elsewhere.
OBSERVATIONS = "observations"
PLAN = "plan"
OKRS = "okrs"  # objectives, key results, check-ins, grades, quarter closes
WORK = "work"  # initiatives and their status updates, dependencies, decisions, the weekly plan
PEOPLE = "people"  # people, time off, API tokens, share links, notification preferences
# A status update that changes nothing but its note (the initiative's status, health and
# % complete stay): the Roadmap and Goals draw nothing of it, so it leaves them cached.
STATUS_NOTES = "status_notes"
# What the state of the goals and the work is: every area but status notes.
STATE_AREAS = (OBSERVATIONS, OKRS, WORK, PEOPLE)
AREAS = (*STATE_AREAS, STATUS_NOTES)

CALENDAR_FIRST = date(2015, 1, 1)
CALENDAR_LAST = date(2040, 12, 31)


def database_url() -> str:
    """The configured database URL, or the default SQLite file."""
    return os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL (`sqlite:///path`, or `sqlite:///file:path?mode=ro&uri=true`);
    None for an in-memory store."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.query.get("uri") == "true" and database.startswith("file:"):
        database = database.removeprefix("file:").partition("?")[0]
        if database.startswith("///"):  # file:///path: a local file's empty host
            database = database[2:]
    if not database or database == ":memory:" or parsed.query.get("mode") == "memory":
        return None
    return Path(database)


def create_store_engine(url: str | None = None, *, busy_timeout_ms: int = 15000) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys on every connection.

    PostgreSQL gets a connection timeout (unless the URL sets one), so a server that does not
    answer is reported after seconds instead of holding a page for minutes.
    """
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db_path = sqlite_file(parsed)
        if db_path is not None:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so that transactions are explicit and whole.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the lock up front (IMMEDIATE) so concurrent writers wait on the busy
            # timeout instead of failing with "database is locked" when a read lock upgrades.
            # Read-only work (see read_engine) starts deferred and never blocks a writer in WAL.
            options = conn.get_execution_options()
            if options.get("quarterdeck_readonly"):
                conn.exec_driver_sql("BEGIN")
            elif options.get("quarterdeck_nowait"):
                # Derived data (see nowait_engine): another writer's lock fails the write now.
                raw = conn.connection.dbapi_connection
                raw.execute("PRAGMA busy_timeout=0")
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                finally:
                    raw.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def read_engine(engine: Engine) -> Engine:
    """The same engine and pool, marked for read-only work (deferred transactions on SQLite)."""
    return engine.execution_options(quarterdeck_readonly=True)


def nowait_engine(engine: Engine) -> Engine:
    """The same engine and pool for writes of derived data, which would rather fail at once than
    wait for another writer's lock (on SQLite; on PostgreSQL the writer sets a lock timeout)."""
    return engine.execution_options(quarterdeck_readonly=False, quarterdeck_nowait=True)


def alembic_config(engine: Engine | None = None) -> AlembicConfig:
    """An Alembic configuration pointing at planning/migrations (and the engine, if given)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = engine.url.render_as_string(hide_password=False) if engine else database_url()
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


class StoreError(RuntimeError):
    """The store cannot be used by this version of Quarterdeck (said in one sentence)."""


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration and make sure the calendar is filled.

    Raises StoreError for a store that a newer version of Quarterdeck has already migrated.
    """
    cfg = alembic_config(engine)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    known = {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"the store's schema is at revision {current}, which this version of Quarterdeck "
            "does not know: a newer version has upgraded it. Run that version, or restore an "
            "export into a new store"
        )
    command.upgrade(cfg, "head")
    fill_calendar(engine)


def fill_calendar(engine: Engine, first: date = CALENDAR_FIRST, last: date = CALENDAR_LAST) -> None:
    """Fill calendar_day for every day in [first, last] that is not there yet."""
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(CalendarDay)).one()  # type: ignore[call-overload]
        expected = (last - first).days + 1
        if count and count[0] >= expected:
            return
        session.execute(text("DELETE FROM calendar_day"))
        rows = []
        day = first
        while day <= last:
            q_month = 3 * ((day.month - 1) // 3) + 1
            rows.append(
                {
                    "day": day,
                    "week_start": day - timedelta(days=day.weekday()),
                    "month_start": day.replace(day=1),
                    "quarter_start": date(day.year, q_month, 1),
                    "year": day.year,
                }
            )
            day += timedelta(days=1)
        session.execute(CalendarDay.__table__.insert(), rows)  # type: ignore[attr-defined]
        session.commit()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One short session for one user action: commit on success, roll back on any error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def bump_version(session: Session, key: str) -> None:
    """Advance a data-version counter inside the caller's transaction.

    The counter is added to in SQL (value + 1), not read and written back: on PostgreSQL a
    second writer that read the counter before the first committed would otherwise write the
    same number, and a page cached under it would never see the second write. A counter not yet
    in the store is added by the same statement (an upsert), so two first writers of an area at
    once both count instead of the second failing on the first one's new row.
    """
    now = utcnow()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = StoreState.__table__  # type: ignore[attr-defined]
    session.execute(
        dialect.insert(table)
        .values(key=key, value=1, changed_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.key], set_={"value": table.c.value + 1, "changed_at": now}
        )
    )


def bump_plan(session: Session, areas: tuple[str, ...] = AREAS) -> None:
    """Advance the plan counter and those of the areas a write touched (every area unless told),
    inside the caller's transaction."""
    bump_version(session, PLAN)
    for area in areas:
        bump_version(session, area)


def data_versions(engine: Engine) -> tuple[tuple[str, int], ...]:
    """All data-version counters: one cheap query, compared by pages to decide to re-read."""
    with read_engine(engine).connect() as conn:
        rows = conn.execute(text("SELECT key, value FROM store_state ORDER BY key")).all()
    return tuple((str(k), int(v)) for k, v in rows)


def is_empty(engine: Engine) -> bool:
    """Whether the store holds no people and no observations yet."""
    with read_engine(engine).connect() as conn:
        people = conn.execute(text("SELECT COUNT(*) FROM person")).scalar_one()
        series = conn.execute(text("SELECT COUNT(*) FROM series")).scalar_one()
    return people == 0 and series == 0
