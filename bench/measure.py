"""The benchmark's measurements in its own process: the forecast backtest, key-result evaluation,
the import against a bare insert or COPY, and the sync from PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


from bench.data_set import _Lap, _lap, interchange_csv, interchange_frame
from bench.scales import BACKTEST_RUNS, KR_EVAL_RUNS, BenchError

# --- measurements in this process --------------------------------------------------------------


def measure_backtest(*, url: str, config_dir: Path) -> dict[str, Any]:
    """The forecast backtest (planning.okrs.backtest) from scratch: its store read and the
    replay, scoring and fitting, the median of a few runs past its cache."""
    from sqlmodel import Session

    from planning.config import load_config
    from planning.okrs.backtest import read_histories
    from planning.okrs.backtest_score import assess
    from planning.okrs.evaluation_reads import data_as_of
    from planning.store.engine import create_store_engine, read_engine

    config = load_config(config_dir)
    engine = create_store_engine(url)
    laps: list[_Lap] = []
    forecasts = 0
    try:
        for _ in range(BACKTEST_RUNS):
            with _lap() as lap, Session(read_engine(engine)) as session:
                as_of = data_as_of(session=session, config=config)
                histories, periods = read_histories(session=session, config=config, as_of=as_of)
                quality = assess(
                    histories, periods=periods, fiscal=config.settings.fiscal_year_start_month
                )
            laps.append(lap)
            forecasts = quality.calibrated.n
    finally:
        engine.dispose()
    return {
        "backtest_ms": statistics.median(lap.wall_ms for lap in laps),
        "backtest_cpu_ms": statistics.median(lap.cpu_ms for lap in laps),
        "backtest_forecasts": forecasts,
    }


def measure_kr_evaluation(*, url: str, config_dir: Path, period: str) -> dict[str, Any]:
    """Evaluate every key result of the period several times; each run in a fresh session."""
    from sqlmodel import Session

    from planning.config import load_config
    from planning.okrs.evaluation import evaluate_period
    from planning.store.engine import create_store_engine, read_engine

    config = load_config(config_dir)
    engine = create_store_engine(url)
    try:
        laps: list[_Lap] = []
        evaluated = 0
        for _ in range(KR_EVAL_RUNS):
            with _lap() as lap, Session(read_engine(engine)) as session:
                evaluation = evaluate_period(session=session, config=config, period=period)
            laps.append(lap)
            evaluated = sum(len(o.key_results) for o in evaluation.objectives)
    finally:
        engine.dispose()
    return {
        "kr_eval_ms": statistics.median(lap.wall_ms for lap in laps),
        "kr_eval_cpu_ms": statistics.median(lap.cpu_ms for lap in laps),
        "kr_eval_first_ms": laps[0].wall_ms,
        "key_results_evaluated": evaluated,
    }


def measure_import(
    *,
    frame: pd.DataFrame,
    config_dir: Path,
    directory: Path,
    log: Callable[[str], None],
    postgres: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Import every observation as one CSV file into an empty store, and write the same rows
    into an identical bare table in the same run: by executemany on SQLite, by COPY in a schema
    of its own when `postgres` (postgres_schemas' factory) is given."""
    from planning.config import load_config
    from planning.metrics.importer import import_observations
    from planning.store.engine import create_store_engine, migrate

    config = load_config(config_dir)
    data = interchange_csv(frame=frame, config=config.metrics)
    path = directory / "import.db"
    target = postgres("import") if postgres else f"sqlite:///{path}"
    engine = create_store_engine(target)
    try:
        migrate(engine)
        start = time.perf_counter()
        result = import_observations(
            engine=engine,
            actor=None,
            data=data,
            filename="bench.csv",
            source="cli",
            config=config.metrics,
        )
        seconds = time.perf_counter() - start
    finally:
        engine.dispose()
    if result.problems:
        raise BenchError(f"the bench CSV was refused: {result.problems[0]}")
    rows = result.added
    log(f"  import of {rows:,} rows ({len(data) / 1e6:.0f} MB of CSV): {seconds:.1f} s")
    if postgres:
        method, bare = "COPY", bare_copy(source=target, target=postgres("bare"))
    else:
        method, bare = "executemany", bare_executemany(store=path, directory=directory)
    log(f"  bare {method} of the same rows: {bare['seconds']:.1f} s")
    bare_rate = rows / bare["seconds"]
    return {
        "import_rows": rows,
        "import_seconds": seconds,
        "import_rows_per_s": rows / seconds,
        "bare_method": method,
        "bare_rows_per_s": bare_rate,
        # SQLite runs also report it as sqlite_executemany_rows_per_s (read by run.py, README).
        **({} if postgres else {"sqlite_executemany_rows_per_s": bare_rate}),
        "csv_megabytes": len(data) / 1e6,
    }


def bare_copy(*, source: str, target: str) -> dict[str, float]:
    """COPY the observation rows of the store at `source` into a table with the same definition
    (LIKE ... INCLUDING ALL: key and indexes) in the schema `target` uses, rows in key order as
    the import sends them; times the COPY and the commit."""
    from sqlalchemy import text

    from planning.store.engine import create_store_engine

    engine = create_store_engine(source)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT series_id, day, value FROM observation ORDER BY series_id, day")
            ).all()
            source_schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    finally:
        engine.dispose()
    lines = "".join(f"{s}\t{d.isoformat()}\t{v!r}\n" for s, d, v in rows)
    engine = create_store_engine(target)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                f'CREATE TABLE observation (LIKE "{source_schema}".observation INCLUDING ALL)'
            )
        raw = engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            start = time.perf_counter()
            statement = "COPY observation (series_id, day, value) FROM STDIN"
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                copy.write(lines.encode("utf-8"))
            driver.commit()
            seconds = time.perf_counter() - start
        finally:
            raw.close()
    finally:
        engine.dispose()
    return {"rows": float(len(rows)), "seconds": seconds}


def run_source_on_new_store(*, config: Any, source: Any, path: Path) -> tuple[Any, float, float]:
    """Run one data source into a new SQLite store at `path`, deleted afterwards: the run's
    outcome, its wall-clock seconds and its CPU seconds."""
    from planning.sources.runs import run_source
    from planning.store.engine import create_store_engine, migrate

    engine = create_store_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
        start, cpu = time.perf_counter(), time.process_time()
        outcome = run_source(engine=engine, config=config, source=source, trigger="command")
        return outcome, time.perf_counter() - start, time.process_time() - cpu
    finally:
        engine.dispose()
        path.unlink(missing_ok=True)


def measure_sync(
    *,
    frame: pd.DataFrame,
    config_dir: Path,
    directory: Path,
    postgres_url: str,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Put the observations in PostgreSQL as wide tables (one per group of measures with the same
    dimensions), then time one run of a `sql` source reading them into an empty SQLite store."""
    import uuid

    from sqlalchemy import create_engine, text

    from planning.config import load_config
    from planning.sources.config import load_sources

    config = load_config(config_dir)
    long = interchange_frame(frame=frame, config=config.metrics)
    groups: dict[tuple[str, ...], list[str]] = {}
    for measure in long["measure"].unique():
        dims = tuple(sorted(config.metrics.measures[str(measure)].dimensions))
        groups.setdefault(dims, []).append(str(measure))
    schema = f"bench_sync_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    source_url = (
        f"{postgres_url}{'&' if '?' in postgres_url else '?'}options=-csearch_path%3D{schema}"
    )
    queries = []
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        loading = create_engine(source_url)
        with loading.begin() as connection:
            for number, (dims, measures) in enumerate(groups.items()):
                part = long[long["measure"].isin(measures)]
                wide = part.pivot_table(
                    index=["date", *dims], columns="measure", values="value", aggfunc="first"
                ).reset_index()
                columns = ["date", *dims, *measures]
                wide = wide.reindex(columns=columns)
                table = f"g{number}"
                definition = ", ".join(
                    [
                        "date DATE",
                        *(f"{d} TEXT" for d in dims),
                        *(f"{m} DOUBLE PRECISION" for m in measures),
                    ]
                )
                connection.exec_driver_sql(f"CREATE TABLE {table} ({definition})")
                raw = connection.connection.dbapi_connection
                assert raw is not None
                with raw.cursor().copy(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
                ) as copy:
                    copy.write(wide.to_csv(index=False, header=False).encode("utf-8"))
                queries.append(
                    "        - sql: SELECT * FROM " + table + "\n"
                    "          date: date\n"
                    f"          dimensions: [{', '.join(dims)}]\n"
                    f"          measures: [{', '.join(measures)}]\n"
                )
        loading.dispose()
        sync_dir = directory / "sync-config"
        shutil.copytree(config_dir, sync_dir, dirs_exist_ok=True)
        (sync_dir / "sources.yaml").write_text(
            "sources:\n  bench:\n    kind: sql\n    settings:\n"
            "      url_secret: QUARTERDECK_BENCH_SOURCE_URL\n      queries:\n" + "".join(queries),
            encoding="utf-8",
        )
        os.environ["QUARTERDECK_BENCH_SOURCE_URL"] = source_url
        source = load_sources(sync_dir, config.metrics).get("bench")
        outcome, seconds, cpu = run_source_on_new_store(
            config=config, source=source, path=directory / "sync.db"
        )
    finally:
        os.environ.pop("QUARTERDECK_BENCH_SOURCE_URL", None)
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    if not outcome.ok:
        raise BenchError(f"the bench sync failed: {outcome.error}")
    log(f"  sync of {outcome.rows:,} rows from PostgreSQL: {seconds:.1f} s ({cpu:.1f} s CPU)")
    return {
        "sync_rows": outcome.rows,
        "sync_seconds": seconds,
        "sync_cpu_seconds": cpu,
        "sync_rows_per_s": outcome.rows / seconds,
    }


def bare_executemany(*, store: Path, directory: Path) -> dict[str, float]:
    """executemany the store's observation rows into a new file with the same table definition
    (and indexes) and the pragmas the import writes with (WAL, synchronous NORMAL, the bulk page
    cache), rows in key order as the import sends them; times the executemany and the commit."""
    from planning.metrics.observations import BULK_CACHE_KIB

    source = sqlite3.connect(store)
    try:
        ddl = [
            sql
            for (sql,) in source.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'observation' AND sql IS NOT NULL "
                "ORDER BY type DESC"  # the table before its indexes
            )
        ]
        rows = source.execute(
            "SELECT series_id, day, value FROM observation ORDER BY series_id, day"
        ).fetchall()
    finally:
        source.close()
    target_path = directory / "bare.db"
    target_path.unlink(missing_ok=True)
    target = sqlite3.connect(target_path, isolation_level=None)
    try:
        target.execute("PRAGMA journal_mode=WAL")
        target.execute("PRAGMA synchronous=NORMAL")
        target.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        for sql in ddl:
            target.execute(sql)
        start = time.perf_counter()
        target.execute("BEGIN")
        target.executemany("INSERT INTO observation (series_id, day, value) VALUES (?, ?, ?)", rows)
        target.execute("COMMIT")
        seconds = time.perf_counter() - start
    finally:
        target.close()
    return {"rows": float(len(rows)), "seconds": seconds}
