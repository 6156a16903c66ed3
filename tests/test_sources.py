"""Data sources (config/sources.yaml): loading and its mistakes, the sql kind against the
machine's PostgreSQL, MariaDB and a DuckDB file, csv_url against a local HTTP server, runs that
fail safely and loudly, secrets that never reach the store or the logs, and the lock that keeps
one runner per source across processes."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, text

from planning import clock
from planning.config import AppConfig, ConfigError, default_config
from planning.sources.config import Source, load_sources
from planning.sources.runs import BUSY, FAILED, OK, run_source, source_lock
from planning.store.engine import create_store_engine, migrate
from tests.postgres_support import postgres_schema
from tests.sources_support import (
    PG_SOURCE_BASE,
    config_dir,
    mariadb_table,
    postgres_source,
    serve_files,
    stored,
)

ROOT = Path(__file__).resolve().parent.parent


def sql_yaml(
    secret: str,
    sql: str = "SELECT day, channel, device, sessions, orders FROM daily",
    extra: str = "",
) -> str:
    return f"""
sources:
  warehouse:
    kind: sql
    schedule: every 1h
    freshness: 26h
    settings:
      url_secret: {secret}
      lookback_days: 2{extra}
      queries:
        - sql: {sql}
          date: day
          dimensions: [channel, device]
          measures: [sessions, orders]
"""


def warehouse(tmp_path: Path, config: AppConfig, sources_yaml: str) -> Source:
    """The warehouse source as this sources.yaml configures it."""
    return load_sources(config_dir(tmp_path, sources_yaml), config.metrics).get("warehouse")


DAILY_ROWS = [
    ("2026-11-20", "email", "mobile", 100, 3),
    ("2026-11-21", "email", "mobile", 110, None),
    ("2026-11-21", "organic", "desktop", 50, 2),
    ("2026-11-22", "organic", "desktop", 70, 4),
]


def fill_daily(engine: Engine, table: str = "daily", rows: list[tuple] | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE {table} (day DATE, channel VARCHAR(20), device VARCHAR(20), "
                "sessions INTEGER, orders NUMERIC(12, 2))"
            )
        )
        for row in rows or DAILY_ROWS:
            connection.execute(
                text(f"INSERT INTO {table} VALUES (:d, :c, :v, :s, :o)"),
                {
                    "d": date.fromisoformat(row[0]),
                    "c": row[1],
                    "v": row[2],
                    "s": row[3],
                    "o": row[4],
                },
            )


def runs(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text("SELECT source, status, rows, error FROM source_run ORDER BY id")
            ).all()
        ]


@pytest.fixture
def config() -> AppConfig:
    return default_config()


@pytest.fixture
def store(sqlite_engine: Engine) -> Engine:
    """The SQLite store the sources write to, the file tmp_path / "store.db"."""
    return sqlite_engine


@pytest.fixture
def pg_source(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    with postgres_source() as (url, engine):
        fill_daily(engine)
        monkeypatch.setenv("WAREHOUSE_URL", url)
        yield engine


# --- sources.yaml ------------------------------------------------------------------------------


def test_no_file_means_no_sources(tmp_path: Path, config: AppConfig) -> None:
    assert load_sources(config_dir(tmp_path, None), config.metrics).sources == {}


@pytest.mark.parametrize(
    ("body", "key", "reason"),
    [
        ("sources: [\n", "line", "not valid YAML"),
        ("sources:\n  w:\n    kind: ftp\n", "sources.w.kind", "unknown kind 'ftp'"),
        ("sources:\n  Bad-Name:\n    kind: sql\n", "sources.Bad-Name", "pattern"),
        (sql_yaml("warehouse url"), "sources.warehouse.settings.url_secret", "not a secret name"),
        (sql_yaml("W", extra="\n      password: hunter2"), "settings.password", "unknown key"),
        (
            sql_yaml("W").replace("every 1h", "sometimes"),
            "sources.warehouse.schedule",
            "not a schedule",
        ),
        (sql_yaml("W").replace("every 1h", "61 * * * *"), "schedule", "not a valid cron line"),
        (sql_yaml("W").replace("26h", "soon"), "sources.warehouse.freshness", "not a duration"),
        (
            sql_yaml("W").replace("[sessions, orders]", "[sessions, ordres]"),
            "queries.0.measures.ordres",
            "unknown measure 'ordres'",
        ),
        (
            sql_yaml("W").replace("[sessions, orders]", "[units]"),
            "queries.0.measures.units",
            "units has product_line in metrics.yaml but this query gives channel, device",
        ),
        (
            sql_yaml("W").replace("      queries:", "      queries: []\n      old:"),
            "settings.queries",
            "at least 1 item",
        ),
    ],
)
def test_a_mistake_in_sources_yaml_names_file_key_and_reason(
    tmp_path: Path, config: AppConfig, body: str, key: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_sources(config_dir(tmp_path, body), config.metrics)
    assert caught.value.file.endswith("sources.yaml")
    assert key in caught.value.key
    assert reason in caught.value.reason


def test_schedules_and_freshness_are_read(tmp_path: Path, config: AppConfig) -> None:
    body = (
        sql_yaml("W") + "  sheet:\n    kind: csv_url\n    schedule: '0 6 * * *'\n"
        "    freshness: 2d\n    settings:\n      url: https://example.com/x.csv\n"
    )
    sources = load_sources(config_dir(tmp_path, body), config.metrics)
    assert sources.get("warehouse").schedule.interval == timedelta(hours=1)
    assert sources.get("sheet").schedule.cron == "0 6 * * *"
    assert sources.get("sheet").freshness == timedelta(days=2)
    assert sources.get("warehouse").measures() == ["sessions", "orders"]


# --- sql ---------------------------------------------------------------------------------------


def test_postgres_source_writes_once_and_a_rerun_changes_nothing(
    tmp_path: Path, config: AppConfig, store: Engine, pg_source: Engine
) -> None:
    source = warehouse(tmp_path, config, sql_yaml("WAREHOUSE_URL"))
    first = run_source(engine=store, config=config, source=source, trigger="command")
    assert first.status == OK, first.error
    # 4 sessions + 3 orders (the NULL order count is no observation)
    assert (first.rows, first.added, first.through) == (7, 7, date(2026, 11, 22))
    values = stored(store)
    assert values[("sessions", "channel=email|device=mobile", "2026-11-21")] == 110
    assert values[("orders", "channel=organic|device=desktop", "2026-11-22")] == 4
    with store.connect() as connection:
        batch = connection.execute(text("SELECT source, filename FROM import_batch")).one()
    assert tuple(batch) == ("source:warehouse", "warehouse")

    again = run_source(engine=store, config=config, source=source, trigger="command")
    assert (again.status, again.added, again.updated) == (OK, 0, 0)
    assert again.since == date(2026, 11, 20)  # the last day synced minus two days of look-back
    assert stored(store) == values


def test_late_data_inside_the_look_back_is_updated_and_older_days_are_not_reread(
    tmp_path: Path, config: AppConfig, store: Engine, pg_source: Engine
) -> None:
    source = warehouse(tmp_path, config, sql_yaml("WAREHOUSE_URL"))
    assert run_source(engine=store, config=config, source=source, trigger="command").ok
    with pg_source.begin() as connection:
        connection.execute(text("UPDATE daily SET sessions = 999 WHERE day = '2026-11-21'"))
        connection.execute(text("UPDATE daily SET sessions = 5 WHERE day = '2026-11-19'"))
        connection.execute(
            text("INSERT INTO daily VALUES ('2026-11-23', 'email', 'mobile', 120, 6)")
        )
    later = run_source(engine=store, config=config, source=source, trigger="command")
    assert later.ok and later.updated == 2 and later.added == 2
    values = stored(store)
    assert values[("sessions", "channel=email|device=mobile", "2026-11-21")] == 999
    assert values[("orders", "channel=email|device=mobile", "2026-11-23")] == 6
    assert ("sessions", "channel=email|device=mobile", "2026-11-19") not in values


def test_mariadb_source(
    tmp_path: Path, config: AppConfig, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mariadb_table() as (url, table, engine):
        fill_daily(engine, table)
        monkeypatch.setenv("SHOP_DB", url)
        body = sql_yaml(
            "SHOP_DB", sql=f"SELECT day, channel, device, sessions, orders FROM {table}"
        )
        source = warehouse(tmp_path, config, body)
        first = run_source(engine=store, config=config, source=source, trigger="command")
        assert first.status == OK, first.error
        assert first.added == 7
        again = run_source(engine=store, config=config, source=source, trigger="command")
        assert (again.added, again.updated, again.unchanged) == (0, 0, 7)


def test_duckdb_file_source(
    tmp_path: Path, config: AppConfig, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"duckdb:///{tmp_path / 'shop.duckdb'}"
    engine = create_engine(url)
    fill_daily(engine)
    engine.dispose()
    monkeypatch.setenv("DUCK_URL", url)
    source = warehouse(tmp_path, config, sql_yaml("DUCK_URL"))
    outcome = run_source(engine=store, config=config, source=source, trigger="command")
    assert outcome.status == OK, outcome.error
    assert outcome.added == 7
    assert stored(store)[("sessions", "channel=organic|device=desktop", "2026-11-22")] == 70


def test_a_query_can_place_the_window_itself(
    tmp_path: Path, config: AppConfig, store: Engine, pg_source: Engine
) -> None:
    body = sql_yaml(
        "WAREHOUSE_URL",
        sql="SELECT day, channel, device, sessions, orders FROM daily WHERE day >= :since",
        extra="\n      first_day: 2026-11-21",
    )
    source = warehouse(tmp_path, config, body)
    outcome = run_source(engine=store, config=config, source=source, trigger="command")
    assert outcome.ok, outcome.error
    assert min(day for _, _, day in stored(store)) == "2026-11-21"


# --- failures ----------------------------------------------------------------------------------


def test_failures_write_nothing_keep_the_data_and_are_recorded(
    tmp_path: Path,
    config: AppConfig,
    store: Engine,
    pg_source: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = config_dir(tmp_path, sql_yaml("WAREHOUSE_URL"))
    source = load_sources(folder, config.metrics).get("warehouse")
    assert run_source(engine=store, config=config, source=source, trigger="command").ok
    before = stored(store)

    # a changed column
    with pg_source.begin() as connection:
        connection.execute(text("ALTER TABLE daily RENAME COLUMN sessions TO visits"))
    renamed = run_source(engine=store, config=config, source=source, trigger="command")
    assert renamed.status == FAILED and "sessions" in renamed.error
    with pg_source.begin() as connection:
        connection.execute(text("ALTER TABLE daily RENAME COLUMN visits TO sessions"))

    # a malformed row among good ones: a channel metrics.yaml does not declare
    with pg_source.begin() as connection:
        connection.execute(text("UPDATE daily SET sessions = 1 WHERE day = '2026-11-22'"))
        connection.execute(
            text("INSERT INTO daily VALUES ('2026-11-22', 'telepathy', 'mobile', 3, 1)")
        )
    malformed = run_source(engine=store, config=config, source=source, trigger="command")
    assert malformed.status == FAILED
    assert "2026-11-22 sessions, channel: 'telepathy' is not a declared channel value" in (
        malformed.error
    )

    # an unreachable database
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/test")
    unreachable = run_source(engine=store, config=config, source=source, trigger="command")
    assert unreachable.status == FAILED and "refused" in unreachable.error

    # a secret that is not set
    monkeypatch.delenv("WAREHOUSE_URL")
    monkeypatch.setenv("QUARTERDECK_SECRETS_FILE", str(tmp_path / "none.toml"))
    unset = run_source(engine=store, config=config, source=source, trigger="command")
    assert unset.status == FAILED
    assert "secret WAREHOUSE_URL is not set" in unset.error

    assert stored(store) == before
    assert [r[1] for r in runs(store)] == [OK, FAILED, FAILED, FAILED, FAILED]
    with store.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM import_batch")).scalar_one() == 1


def test_a_bad_query_is_recorded_with_the_databases_reason(
    tmp_path: Path, config: AppConfig, store: Engine, pg_source: Engine
) -> None:
    body = sql_yaml("WAREHOUSE_URL", sql="SELEC day FROM daily")
    source = warehouse(tmp_path, config, body)
    outcome = run_source(engine=store, config=config, source=source, trigger="command")
    assert outcome.status == FAILED
    assert "syntax error" in outcome.error
    assert runs(store)[-1][:3] == ("warehouse", FAILED, 0)


def test_a_failed_sql_run_reads_in_german_and_writes_nothing(
    tmp_path: Path, config: AppConfig, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planning import i18n

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    engine = create_engine(url)
    fill_daily(engine, rows=[*DAILY_ROWS, ("2026-11-22", "telepathy", "mobile", 3, 1)])
    engine.dispose()
    monkeypatch.setenv("SHOP_URL", url)
    monkeypatch.setenv("NOT_A_URL", "a warehouse somewhere")
    monkeypatch.delenv("UNSET_URL", raising=False)
    monkeypatch.setenv("QUARTERDECK_SECRETS_FILE", str(tmp_path / "none.toml"))
    renamed = "SELECT day, channel, device, sessions AS visits, orders FROM daily"
    bodies = {
        "renamed": sql_yaml("SHOP_URL", sql=renamed),
        "malformed": sql_yaml("SHOP_URL"),
        "not a url": sql_yaml("NOT_A_URL"),
        "unset": sql_yaml("UNSET_URL"),
    }
    errors = {}
    i18n.use_team_locale("de")
    with i18n.use_locale("de"):
        for case, body in bodies.items():
            folder = tmp_path / case.replace(" ", "_")
            folder.mkdir()
            source = load_sources(config_dir(folder, body), config.metrics).get("warehouse")
            outcome = run_source(engine=store, config=config, source=source, trigger="command")
            assert outcome.status == FAILED
            errors[case] = outcome.error
    assert errors["renamed"] == (
        "Abfrage 1 lieferte die Spalten day, channel, device, visits, orders; ihre "
        "Messgrößenspalte 'sessions' ist nicht darunter"
    )
    assert errors["malformed"].startswith(
        "2 fehlerhafte Zeilen, nichts geschrieben: 2026-11-22 sessions, channel: 'telepathy' ist "
        "kein deklarierter Wert von channel"
    )
    assert errors["not a url"] == "die Datenbank-URL im Geheimnis ist keine SQLAlchemy-URL"
    assert errors["unset"] == (
        "das Geheimnis UNSET_URL ist nicht gesetzt: setzen Sie die Umgebungsvariable UNSET_URL "
        f'oder fügen Sie UNSET_URL = "…" zu {tmp_path / "none.toml"} hinzu'
    )
    assert stored(store) == {}
    assert [r[3] for r in runs(store)] == list(errors.values())


def test_a_secret_never_reaches_the_store_or_the_logs(
    tmp_path: Path,
    config: AppConfig,
    store: Engine,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    password = f"pw-{uuid.uuid4().hex}"
    # A user that does not exist with a password: the server refuses, naming the user.
    monkeypatch.setenv(
        "WAREHOUSE_URL",
        f"postgresql+psycopg://nobody_{uuid.uuid4().hex[:6]}:{password}@127.0.0.1:5432/test",
    )
    # and a secrets.toml holding a second secret, used through a dotted name
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'[sources]\nsheet_url = "http://127.0.0.1:1/{password}.csv"\n', encoding="utf-8"
    )
    monkeypatch.setenv("QUARTERDECK_SECRETS_FILE", str(secrets))
    body = sql_yaml("WAREHOUSE_URL") + (
        "  sheet:\n    kind: csv_url\n    settings:\n      url_secret: sources.sheet_url\n"
    )
    folder = config_dir(tmp_path, body)
    sources = load_sources(folder, config.metrics)
    caplog.set_level(logging.DEBUG)
    for name in ("warehouse", "sheet"):
        outcome = run_source(
            engine=store, config=config, source=sources.get(name), trigger="command"
        )
        assert outcome.status == FAILED
        assert password not in outcome.error
    from planning.sources.schedule import run_job

    run_job(lambda: store, config, sources.get("warehouse"))
    store.dispose()
    dump = (tmp_path / "store.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("store.db-*")
    )
    assert password.encode() not in dump
    assert password not in caplog.text
    out = capsys.readouterr()
    assert password not in out.out + out.err
    errors = [r[3] for r in runs(store)]
    assert "password authentication failed" in errors[0] or "does not exist" in errors[0]
    assert "the URL in secret sources.sheet_url cannot be reached" in errors[1]


# --- csv_url -----------------------------------------------------------------------------------


@pytest.fixture
def http_files() -> Iterator[tuple[str, dict[str, bytes]]]:
    with serve_files() as served:
        yield served


CSV = (
    "date,measure,value,channel,device\n"
    "2026-11-24,sessions,1200,email,mobile\n"
    "2026-11-24,orders,38,email,mobile\n"
)


def csv_yaml(url: str) -> str:
    return f"sources:\n  sheet:\n    kind: csv_url\n    settings:\n      url: {url}\n"


@pytest.fixture
def daily_csv_source(
    tmp_path: Path, config: AppConfig, http_files: tuple[str, dict[str, bytes]]
) -> Source:
    """The "sheet" source: a CSV at a URL, serving the CSV of the day."""
    base, files = http_files
    files["/daily.csv"] = CSV.encode()
    source = load_sources(config_dir(tmp_path, csv_yaml(f"{base}/daily.csv")), config.metrics)
    return source.get("sheet")


def test_csv_url_reads_a_csv_and_an_xlsx(
    tmp_path: Path, config: AppConfig, store: Engine, http_files: tuple[str, dict[str, bytes]]
) -> None:
    base, files = http_files
    files["/daily.csv"] = CSV.encode()
    frame = pd.read_csv(io.StringIO(CSV.replace("2026-11-24", "2026-11-25")))
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    files["/daily.xlsx"] = buffer.getvalue()
    body = csv_yaml(f"{base}/daily.csv") + (
        f"  book:\n    kind: csv_url\n    settings:\n      url: {base}/daily.xlsx\n"
    )
    sources = load_sources(config_dir(tmp_path, body), config.metrics)
    for name in ("sheet", "book"):
        outcome = run_source(
            engine=store, config=config, source=sources.get(name), trigger="command"
        )
        assert outcome.status == OK, outcome.error
        assert outcome.added == 2
    values = stored(store)
    assert values[("sessions", "channel=email|device=mobile", "2026-11-24")] == 1200
    assert values[("orders", "channel=email|device=mobile", "2026-11-25")] == 38
    again = run_source(engine=store, config=config, source=sources.get("sheet"), trigger="command")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.parametrize(
    ("content", "path", "expected"),
    [
        ("day,measure,value\n2026-11-24,sessions,1\n", "/f.csv", "missing required column"),
        (CSV + "2026-11-24,sessions,many,email,desktop\n", "/f.csv", "line 4, column value"),
        (CSV, "/missing.csv", "answered 404"),
    ],
)
def test_csv_url_failures_write_nothing(
    tmp_path: Path,
    config: AppConfig,
    store: Engine,
    http_files: tuple[str, dict[str, bytes]],
    content: str,
    path: str,
    expected: str,
) -> None:
    base, files = http_files
    files["/f.csv"] = content.encode()
    source = load_sources(config_dir(tmp_path, csv_yaml(f"{base}{path}")), config.metrics).get(
        "sheet"
    )
    outcome = run_source(engine=store, config=config, source=source, trigger="command")
    assert outcome.status == FAILED
    assert expected in outcome.error
    assert stored(store) == {}


def test_csv_url_refuses_other_schemes(tmp_path: Path, config: AppConfig) -> None:
    with pytest.raises(ConfigError, match="not an http:// or https:// URL"):
        load_sources(config_dir(tmp_path, csv_yaml("file:///etc/passwd")), config.metrics)


# --- locks -------------------------------------------------------------------------------------


def test_sqlite_lock_lets_one_runner_in_and_takes_over_a_dead_holder(
    config: AppConfig, store: Engine, daily_csv_source: Source
) -> None:
    source = daily_csv_source
    with source_lock(store, "sheet") as held:
        assert held
        busy = run_source(engine=store, config=config, source=source, trigger="command")
        assert busy.status == BUSY
    assert runs(store) == []  # a busy run records nothing
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    import socket

    with store.begin() as connection:
        connection.execute(
            text("INSERT INTO source_lock (source, holder, acquired_at) VALUES ('sheet', :h, :t)"),
            {"h": f"{socket.gethostname()}:{dead}:x", "t": clock.utcnow()},
        )
    assert run_source(engine=store, config=config, source=source, trigger="command").ok


SLOW_SQL = (
    "SELECT day, channel, device, sessions, orders FROM daily "
    "WHERE (SELECT pg_sleep(3)) IS NOT NULL"
)


def test_two_processes_on_postgres_run_a_source_once(tmp_path: Path, pg_source: Engine) -> None:
    """Two `python -m planning sync` processes on one PostgreSQL store: one runs the source,
    the other is told it is busy; one run and one batch are recorded."""
    folder = config_dir(tmp_path, sql_yaml("WAREHOUSE_URL", sql=SLOW_SQL))
    with postgres_schema(PG_SOURCE_BASE, "store") as (store_url, _):
        migrate(create_store_engine(store_url))
        env = {
            **os.environ,
            "QUARTERDECK_CONFIG_DIR": str(folder),
            "QUARTERDECK_DATABASE_URL": store_url,
        }
        command = [sys.executable, "-m", "planning", "sync", "warehouse"]
        # Both start at once; the query sleeps 3 s, so their runs overlap.
        processes = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        answers = [p.communicate(timeout=120) for p in processes]
        assert [p.returncode for p in processes] == [0, 0], answers
        said = sorted(out for out, _ in answers)
        assert "skipped, another process is running this source" in said[1]
        assert "warehouse: 7 rows" in said[0]
        engine = create_store_engine(store_url)
        assert [r[1] for r in runs(engine)] == [OK]
        with engine.connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM import_batch")).scalar_one() == 1
        engine.dispose()


@pytest.mark.parametrize(
    ("team", "reader", "said"),
    [
        ("en", "de", "the run was cut off before it finished; nothing was written"),
        ("de", "en", "der Lauf wurde abgebrochen, bevor er fertig war; nichts wurde geschrieben"),
    ],
)
def test_a_run_cut_off_is_marked_interrupted_by_the_next(
    config: AppConfig, store: Engine, daily_csv_source: Source, team: str, reader: str, said: str
) -> None:
    from planning import i18n

    source = daily_csv_source
    with store.begin() as connection:  # a process died mid-run, leaving its run open
        connection.execute(
            text(
                "INSERT INTO source_run (source, trigger, started_at, status, rows, rows_added, "
                "rows_updated, measures, error) VALUES ('sheet', 'schedule', :t, 'running', 0, 0, "
                "0, '', '')"
            ),
            {"t": clock.utcnow()},
        )
    # Kept in the team's language, whoever starts the run that finds it (every director and the
    # health check read the run record).
    i18n.use_team_locale(team)
    with i18n.use_locale(reader):
        assert run_source(engine=store, config=config, source=source, trigger="command").ok
    assert [r[1] for r in runs(store)] == ["interrupted", OK]
    assert runs(store)[0][3] == said


def test_an_unreadable_secrets_file_is_named_without_its_content(
    tmp_path: Path, config: AppConfig, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "secrets.toml"
    broken.write_text('WAREHOUSE_URL = "postgresql://u:hunter2hunter2@h/db\n', encoding="utf-8")
    monkeypatch.setenv("QUARTERDECK_SECRETS_FILE", str(broken))
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    source = warehouse(tmp_path, config, sql_yaml("WAREHOUSE_URL"))
    outcome = run_source(engine=store, config=config, source=source, trigger="command")
    assert outcome.status == FAILED
    assert f"{broken} cannot be read as TOML" in outcome.error
    assert "hunter2" not in outcome.error


def test_a_new_kind_is_one_registry_entry(
    tmp_path: Path, config: AppConfig, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """How the file parsers plug in: a settings model extending FileLocation and a pure
    parse(bytes, settings, context) -> interchange DataFrame, wrapped by file_kind."""
    from planning.sources.files import FileLocation
    from planning.sources.kinds import KINDS, file_kind

    class WideSettings(FileLocation):
        channel: str

    def parse(data: bytes, settings: WideSettings, context: object) -> pd.DataFrame:
        wide = pd.read_csv(io.BytesIO(data))
        long = wide.melt(id_vars=["day"], var_name="measure", value_name="value")
        return long.rename(columns={"day": "date"}).assign(
            channel=settings.channel, device="desktop"
        )

    monkeypatch.setitem(KINDS, "wide_file", file_kind(WideSettings, parse, "Wide file"))
    export = tmp_path / "export.csv"
    export.write_text("day,sessions,orders\n2026-11-24,500,9\n", encoding="utf-8")
    body = (
        "sources:\n  wide:\n    kind: wide_file\n    settings:\n"
        f"      path: {export}\n      channel: affiliate\n"
    )
    source = load_sources(config_dir(tmp_path, body), config.metrics).get("wide")
    outcome = run_source(engine=store, config=config, source=source, trigger="command")
    assert outcome.status == OK, outcome.error
    assert stored(store)[("orders", "channel=affiliate|device=desktop", "2026-11-24")] == 9
