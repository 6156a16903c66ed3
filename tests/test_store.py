"""The store: migrations produce exactly the models' schema; SQLite runs safely configured."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlmodel import Session, SQLModel

from planning.store.engine import (
    OBSERVATIONS,
    PLAN,
    WORK,
    alembic_config,
    bump_plan,
    bump_version,
    create_store_engine,
    data_versions,
    is_empty,
    migrate,
    session_scope,
)
from planning.store.models import Person, Role, StoreState
from tests.concurrency_support import second_writer_waits


def schema_drift(engine: Engine) -> list[Any]:
    """Where the store's schema differs from the models (empty when they agree)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def old_store(tmp_path: Path, revision: str, *inserts: str) -> tuple[Engine, Config]:
    """A SQLite store migrated only up to `revision`, holding the rows the INSERTs add; with the
    alembic configuration to move it on or back."""
    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config(engine)
    command.upgrade(cfg, revision)
    with engine.begin() as conn:
        for insert in inserts:
            conn.execute(text(insert))
    return engine, cfg


def test_migrated_schema_equals_models(engine: Engine) -> None:
    assert schema_drift(engine) == []


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_migrate_twice_is_harmless(engine: Engine) -> None:
    migrate(engine)
    with engine.connect() as conn:
        days = conn.execute(text("SELECT COUNT(*) FROM calendar_day")).scalar_one()
    assert days == (date(2040, 12, 31) - date(2015, 1, 1)).days + 1


def test_calendar_maps_days_to_grains(engine: Engine) -> None:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT week_start, month_start, quarter_start FROM calendar_day WHERE day = :d"),
            {"d": date(2026, 11, 26)},
        ).one()
    as_dates = [v if isinstance(v, date) else date.fromisoformat(v) for v in row]
    assert as_dates == [date(2026, 11, 23), date(2026, 11, 1), date(2026, 10, 1)]


def test_sqlite_pragmas(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_sqlite_enforces_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        try:
            conn.execute(
                text(
                    "INSERT INTO time_off (person_id, start_date, end_date, note) "
                    "VALUES (999, '2026-01-01', '2026-01-02', '')"
                )
            )
            conn.commit()
            raised = False
        except Exception:
            raised = True
    assert raised


def test_session_scope_rolls_back_on_error(engine: Engine) -> None:
    try:
        with session_scope(engine) as session:
            session.add(Person(name="Ana", email="ana@example.com", role=Role.member))
            session.flush()
            raise RuntimeError("user pressed cancel")
    except RuntimeError:
        pass
    assert is_empty(engine)


def test_data_versions_advance_on_writes(engine: Engine) -> None:
    assert data_versions(engine) == ()
    with session_scope(engine) as session:
        bump_version(session, OBSERVATIONS)
    with session_scope(engine) as session:
        bump_version(session, OBSERVATIONS)
        bump_version(session, PLAN)
    assert dict(data_versions(engine)) == {OBSERVATIONS: 2, PLAN: 1}


def test_two_writers_at_once_both_advance_every_counter(engine: Engine) -> None:
    """A second writer reads the counters while the first holds them: both writes still count,
    so a page cached under the first write's counters sees the second."""
    with session_scope(engine) as session:
        bump_plan(session, (WORK,))
    before = dict(data_versions(engine))

    def second() -> None:
        with session_scope(engine) as session:
            session.execute(select(StoreState)).all()  # reads the counters the first one holds
            bump_plan(session, (WORK,))

    error = second_writer_waits(
        engine, first=lambda session: bump_plan(session, (WORK,)), second=second
    )
    assert error is None
    after = dict(data_versions(engine))
    assert after[PLAN] == before[PLAN] + 2
    assert after[WORK] == before[WORK] + 2


def test_two_first_writers_of_a_fresh_store_both_count(engine: Engine) -> None:
    """The counters of a fresh store do not exist yet: two writers that add the same one at once
    both succeed (on PostgreSQL the second used to fail on the first one's new row)."""

    def second() -> None:
        with session_scope(engine) as session:
            bump_plan(session, (WORK,))

    error = second_writer_waits(
        engine, first=lambda session: bump_plan(session, (WORK,)), second=second
    )
    assert error is None
    assert dict(data_versions(engine)) == {PLAN: 2, WORK: 2}


def test_database_url_selects_store(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "nested" / "chosen.db"
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", f"sqlite:///{target}")
    engine = create_store_engine()
    migrate(engine)
    with Session(engine) as session:
        session.add(Person(name="Ana", email="ana@example.com"))
        session.commit()
    engine.dispose()
    assert target.exists()


def _observation_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text("SELECT series_id, day, value FROM observation ORDER BY series_id, day")
            )
        ]


def _observation_ddl(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'observation'")
            ).scalar_one()
        )


def test_observations_move_to_a_without_rowid_table_and_back_unchanged(tmp_path: Path) -> None:
    engine, cfg = old_store(
        tmp_path,
        "0004",
        "INSERT INTO series (id, measure, dims_key) VALUES (1, 'orders', ''), (2, 'sessions', '')",
    )
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO observation (series_id, day, value) VALUES (:s, :d, :v)"),
            [
                {"s": s, "d": date(2026, 1, d), "v": s * 100 + d + 0.25}
                for d in (3, 1, 2)
                for s in (2, 1)
            ],
        )
    before = _observation_rows(engine)
    assert "WITHOUT ROWID" not in _observation_ddl(engine)

    migrate(engine)
    assert "WITHOUT ROWID" in _observation_ddl(engine)
    assert _observation_rows(engine) == before
    with engine.connect() as conn:
        index = conn.execute(text("PRAGMA index_list(observation)")).all()
        assert "ix_observation_day" in {row[1] for row in index}
    assert schema_drift(engine) == []

    command.downgrade(cfg, "0004")
    assert "WITHOUT ROWID" not in _observation_ddl(engine)
    assert _observation_rows(engine) == before
    engine.dispose()


def test_the_app_says_when_a_newer_version_has_migrated_the_store(app_store: str) -> None:
    from streamlit.testing.v1 import AppTest

    from planning.store.engine import PROJECT_DIR

    engine = create_store_engine(app_store)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=60).run()

    assert not at.exception
    [error] = at.error
    assert error.value.startswith(
        "Quarterdeck cannot open its store: the store's schema is at revision 9999, which this "
        "version of Quarterdeck does not know"
    )


def test_decisions_and_initiatives_keep_their_rows_through_the_later_migrations(
    tmp_path: Path,
) -> None:
    engine, cfg = old_store(
        tmp_path,
        "0005",
        "INSERT INTO person (id, name, email, role, title, weekly_hours, bau_share, "
        "active, version, created_at) VALUES (1, 'Dora', 'dora@x.test', 'director', "
        "'', 40, 0.3, 1, 1, '2026-01-01 00:00:00')",
        "INSERT INTO initiative (id, title, description, owner_id, status, health, "
        "effort_weeks, percent_complete, scores, version, created_at, updated_at) "
        "VALUES (1, 'Wallets', '', 1, 'idea', 'on_track', 1.0, 0, '{}', 1, "
        "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        "INSERT INTO decision (id, decided_on, text, initiative_id, author_id, "
        "created_at) VALUES (1, '2026-01-02', 'Ship wallets', 1, 1, "
        "'2026-01-02 09:00:00')",
    )
    migrate(engine)
    with engine.connect() as conn:
        decision = conn.execute(
            text("SELECT text, version, withdrawn_at, withdrawn_by FROM decision")
        ).one()
        lift_filters = conn.execute(text("SELECT lift_filters FROM initiative")).scalar_one()
    assert schema_drift(engine) == []
    assert tuple(decision) == ("Ship wallets", 1, None, None)
    assert lift_filters == "{}"
    command.downgrade(cfg, "0005")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT text FROM decision")).scalar_one() == "Ship wallets"
    engine.dispose()
