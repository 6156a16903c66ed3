"""The benchmark of DESIGN.md §7: build a data set at a scale, measure the app against its budgets.

``python -m planning bench --scale small|large --out FILE`` builds, in a temporary folder, a
SQLite store and a configuration folder, then measures in one run:

- the floor: the median warm rerun of a one-line Streamlit page (``st.write``) under AppTest;
- every page of app.py's navigation, as each role that may open it (ui/navigation.py; the
  director at the small scale, all three roles at the large): the median of warm reruns under
  AppTest in one process (the same process as the floor; AppTest there keeps compiled scripts
  between runs and the router as a server does, see bench/apptest.py) and the first
  render on a cold process: a fresh Python process per page and role that, before the clock
  starts, has done only what ``streamlit run server.py``
  does before the first visitor arrives (import Streamlit and server.py, whose HTTP API imports
  pandas, SQLAlchemy and the store's models). The timed first run then imports the rest of the
  app (pages, ui/, charts), opens and checks the store (Alembic), and computes every cached
  read; the one-line floor page's cold run is reported beside it (``floor_cold_ms``);
- evaluating every key result of the current quarter (value, progress, pace, status, forecast),
  the median of several runs each in a fresh read session;
- importing a CSV file of every observation of the data set end to end through
  planning.metrics.importer (read, validate, write) into an empty store, against a bare sqlite3
  ``executemany`` of the same rows into a table with the observation table's own definition;
- syncing the same observations from PostgreSQL with a ``sql`` data source (one wide table and
  one query per group of measures sharing their dimensions) into an empty store, when
  QUARTERDECK_BENCH_POSTGRES_URL names a server (``postgresql+psycopg://user@host/db``);
- syncing a Shopify orders export of 200,000 line items (20,000 at the small scale) with a
  ``shopify_orders_csv`` source from a local file into an empty SQLite store (bench/shopify.py),
  whatever ``--store`` says;
- planning and sending 500 check-in reminders (100 at the small scale) by email to a local SMTP
  server (aiosmtpd in a process of its own; bench/notify_send.py), against a budget of 10 s;
- peak memory: the high-water resident set (``VmHWM``) of the processes that ran the pages.

With ``--store postgresql+psycopg://…`` the same measurements run on PostgreSQL: the data set,
the import's empty store and the bare table each live in a schema unique to the run (dropped at
the end, whatever happens), the import writes through COPY (planning.metrics.observations) and
is compared with a bare COPY of the same rows into a table ``LIKE`` the observation table
(``INCLUDING ALL``: its key and indexes); the sync row, which writes into SQLite, is left out.
``--load N,…`` measures concurrent sessions against the real server instead (bench/load.py).

The large data set widens the shipped metrics.yaml instead of changing it: the bench's own
config folder splits each declared channel into 3 values, each device into 2 and each product
line into 10 (``email`` becomes ``email``, ``email_2``, ``email_3``), and every demo series is
spread over the new combinations with per-day random shares that add up to the demo's values,
so totals and the demo's key results keep their meaning while the store holds about one
million daily observations over three years. Weighted-average values (organic position) are
copied with a little noise instead of split. On top of the demo's team, goals and initiatives
the bench adds people, objectives with key results cloned from the demo's (with filters varied
over the widened dimensions), check-ins, initiatives cloned from the demo's with weekly status
histories, their key-result links and one audit event per record.

This module is part of planning/ and never imports Streamlit at import time: only the child
processes that measure the pages import ``streamlit.testing`` (inside their functions), because
measuring the pages is the point. Page timings are only meaningful on an otherwise idle machine;
other work on the same cores shows up in every number.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planning import clock

if TYPE_CHECKING:
    pass

from bench.data_set import build_data_set, postgres_schemas
from bench.measure import measure_backtest, measure_import, measure_kr_evaluation, measure_sync
from bench.pages import CHILDREN, measure_pages, routed_pages
from bench.scales import (
    BACKTEST_LIMIT_MS,
    BENCH_POSTGRES_ENV,
    FLOOR_FACTOR,
    IMPORT_MIN_ROWS_PER_S,
    IMPORT_MIN_SHARE,
    NOTIFY_LIMIT_S,
    RESULT_MARK,
    SCALES,
    SYNC_MIN_ROWS_PER_S,
    BenchError,
    Scale,
)
from bench.shopify import measure_shopify, shopify_check

# --- the whole run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One measurement against its budget."""

    what: str
    value: str
    budget: str
    ok: bool
    cpu: str = ""  # the same step's CPU time, where measured


def _cpu(measured: Mapping[str, Any], key: str) -> str:
    value = measured.get(key)
    return "" if value is None else f"{float(value):.0f} ms"


def checks(result: Mapping[str, Any]) -> list[Check]:
    """Every measurement of a result beside its DESIGN.md §7 budget."""
    floor = float(result["floor_ms"])
    scale = SCALES.get(str(result.get("scale")), SCALES["large"])
    cap = scale.warm_limit_ms
    warm_limit = FLOOR_FACTOR * floor if cap is None else min(FLOOR_FACTOR * floor, cap)
    warm_budget = "20 × floor" if cap is None else f"min of 20 × floor, {cap:.0f}"
    cold_limit, kr_limit, memory_limit = (
        scale.cold_limit_ms,
        scale.kr_eval_limit_ms,
        scale.memory_limit_mb,
    )
    found = [
        Check(
            "floor: one-line page, warm rerun",
            f"{floor:.1f} ms",
            "(reference)",
            True,
            cpu=f"{float(result.get('floor_cpu_ms', 0.0)):.1f} ms",
        )
    ]
    for name, page in result["pages"].items():
        for role, measured in page["roles"].items():
            warm = float(measured["warm_median_ms"])
            cold = float(measured["cold_ms"])
            errors = measured.get("errors") or []
            found.append(
                Check(
                    f"{name} ({role}): warm rerun, median",
                    f"{warm:.0f} ms",
                    f"≤ {warm_limit:.0f} ms ({warm_budget})",
                    warm <= warm_limit and not errors,
                    cpu=_cpu(measured, "warm_median_cpu_ms"),
                )
            )
            found.append(
                Check(
                    f"{name} ({role}): cold first render",
                    f"{cold:.0f} ms",
                    f"< {cold_limit:.0f} ms",
                    cold < cold_limit and not errors,
                    cpu=_cpu(measured, "cold_cpu_ms"),
                )
            )
            for error in errors:
                found.append(Check(f"{name} ({role}): page raised", error[:60], "no error", False))
    kr = float(result["kr_eval_ms"])
    found.append(
        Check(
            f"evaluate all {result['counts']['key_results']} key results",
            f"{kr:.0f} ms",
            f"< {kr_limit:.0f} ms",
            kr < kr_limit,
            cpu=_cpu(result, "kr_eval_cpu_ms"),
        )
    )
    if "backtest_ms" in result:
        backtest = float(result["backtest_ms"])
        found.append(
            Check(
                f"forecast backtest ({int(result.get('backtest_forecasts', 0)):,} forecasts)",
                f"{backtest:.0f} ms",
                f"< {BACKTEST_LIMIT_MS:.0f} ms",
                backtest < BACKTEST_LIMIT_MS,
                cpu=_cpu(result, "backtest_cpu_ms"),
            )
        )
    rate = float(result["import_rows_per_s"])
    bare = float(result.get("bare_rows_per_s") or result["sqlite_executemany_rows_per_s"])
    method = str(result.get("bare_method", "executemany"))
    found.append(
        Check(
            "CSV import, rows/s",
            f"{rate:,.0f}",
            f"≥ {IMPORT_MIN_ROWS_PER_S:,.0f}",
            rate >= IMPORT_MIN_ROWS_PER_S,
        )
    )
    found.append(
        Check(
            f"CSV import vs bare {method}",
            f"{rate / bare:.0%} of {bare:,.0f} rows/s",
            f"≥ {IMPORT_MIN_SHARE:.0%}",
            rate >= IMPORT_MIN_SHARE * bare,
        )
    )
    if "sync_rows_per_s" in result:
        synced = float(result["sync_rows_per_s"])
        found.append(
            Check(
                f"sync from PostgreSQL ({int(result['sync_rows']):,} rows), rows/s",
                f"{synced:,.0f}",
                f"≥ {SYNC_MIN_ROWS_PER_S:,.0f}",
                synced >= SYNC_MIN_ROWS_PER_S,
                cpu=f"{float(result.get('sync_cpu_seconds', 0.0)) * 1000:.0f} ms",
            )
        )
    else:
        found.append(
            Check(
                "sync from PostgreSQL, rows/s",
                "not measured",
                f"≥ {SYNC_MIN_ROWS_PER_S:,.0f} "
                + (
                    "(it writes into SQLite)"
                    if result.get("store") == "postgresql"
                    else f"(set {BENCH_POSTGRES_ENV})"
                ),
                True,
            )
        )
    shopify = shopify_check(result)
    if shopify is not None:
        what, value, budget, ok, cpu = shopify
        found.append(Check(what, value, budget, ok, cpu=cpu))
    found.append(notify_check(result))
    if "load" in result:
        from bench.load import load_checks

        found.extend(load_checks(result["load"]))
    memory = float(result["peak_rss_mb"])
    found.append(
        Check(
            "peak memory of the app's processes",
            f"{memory:.0f} MB",
            f"< {memory_limit:.0f} MB",
            memory < memory_limit,
        )
    )
    return found


def notify_check(result: Mapping[str, Any]) -> Check:
    """The reminders row: planning and sending them all by email, wall time against the budget
    (CPU time of this process beside it; the SMTP server runs in a process of its own)."""
    people = int(result.get("notify_people", SCALES["large"].reminders))
    what = f"{people:,} reminders by email (plan and send)"
    if "notify_seconds" not in result:
        why = result.get("notify_skipped", "not run")
        return Check(what, "not measured", f"< {NOTIFY_LIMIT_S:.0f} s ({why})", True)
    seconds = float(result["notify_seconds"])
    delivered = int(result.get("notify_received", 0)) == people == int(result["notify_sent"])
    return Check(
        what,
        f"{seconds:.1f} s" + ("" if delivered else f" ({result['notify_sent']} sent)"),
        f"< {NOTIFY_LIMIT_S:.0f} s, every email received",
        seconds < NOTIFY_LIMIT_S and delivered,
        cpu=f"{float(result['notify_cpu_seconds']) * 1000:.0f} ms",
    )


def measure_notify(*, people: int, directory: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """The reminders row's figures, or why it was not measured (no aiosmtpd to receive them)."""
    import importlib.util

    if importlib.util.find_spec("aiosmtpd") is None:
        log("  reminders not measured: aiosmtpd (requirements-dev.txt) is not installed")
        return {"notify_skipped": "aiosmtpd is not installed"}
    from bench.notify_send import measure_notify_send

    found = measure_notify_send(people=people, directory=directory / "notify")
    log(
        f"  {found['notify_sent']} reminders sent: {found['notify_seconds']:.1f} s "
        f"({found['notify_cpu_seconds']:.1f} s CPU)"
    )
    return found


def render_table(found: Sequence[Check]) -> str:
    """The checks as a Markdown table (also readable on a terminal)."""
    lines = ["| measurement | value | CPU time | budget | |", "|---|---:|---:|---|---|"]
    for check in found:
        mark = "pass" if check.ok else "FAIL"
        lines.append(f"| {check.what} | {check.value} | {check.cpu} | {check.budget} | {mark} |")
    return "\n".join(lines)


def run_benchmark(
    *,
    scale: Scale,
    out: Path | None = None,
    runs: int | None = None,
    today: date | None = None,
    keep: Path | None = None,
    store: str | None = None,
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> dict[str, Any]:
    """Build the scale's data set in a temporary folder (or `keep`), measure everything, write
    the JSON to `out` and return it. With `store` (a postgresql+psycopg:// URL) the stores are
    schemas of their own on that server, dropped at the end, and the import is compared with a
    bare COPY."""
    if store is not None and not store.startswith("postgresql"):
        raise BenchError(f"--store takes a postgresql+psycopg:// URL, not {store!r}")
    with ExitStack() as stack:
        schemas = stack.enter_context(postgres_schemas(store)) if store else None
        return _run_benchmark(
            scale=scale, out=out, runs=runs, today=today, keep=keep, schemas=schemas, log=log
        )


def _run_benchmark(
    *,
    scale: Scale,
    out: Path | None,
    runs: int | None,
    today: date | None,
    keep: Path | None,
    schemas: Callable[[str], str] | None,
    log: Callable[[str], None],
) -> dict[str, Any]:
    today = today or clock.today()
    runs = runs or scale.warm_runs
    pages = routed_pages()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="quarterdeck-bench-") as scratch:
        directory = keep or Path(scratch)
        if (directory / "bench.db").exists():
            raise BenchError(f"{directory} already holds a bench store; give --keep a new folder")
        directory.mkdir(parents=True, exist_ok=True)
        where = "a PostgreSQL schema" if schemas else str(directory)
        log(f"building the {scale.name} data set in {where}")
        data = build_data_set(
            directory=directory,
            scale=scale,
            today=today,
            log=log,
            url=schemas("store") if schemas else None,
        )
        log("evaluating key results…")
        kr = measure_kr_evaluation(url=data.url, config_dir=data.config_dir, period=data.period)
        log("backtesting the forecasts…")
        kr.update(measure_backtest(url=data.url, config_dir=data.config_dir))
        log("importing a CSV file…")
        imported = measure_import(
            frame=data.observations,
            config_dir=data.config_dir,
            directory=directory,
            log=log,
            postgres=schemas,
        )
        (directory / "import.db").unlink(missing_ok=True)
        (directory / "bare.db").unlink(missing_ok=True)
        synced: dict[str, Any] = {}
        postgres_url = os.environ.get(BENCH_POSTGRES_ENV)
        if schemas:
            log("sync from PostgreSQL not measured: it writes into a SQLite store")
        elif postgres_url:
            log("syncing from PostgreSQL…")
            synced = measure_sync(
                frame=data.observations,
                config_dir=data.config_dir,
                directory=directory,
                postgres_url=postgres_url,
                log=log,
            )
        else:
            log(f"sync from PostgreSQL not measured: {BENCH_POSTGRES_ENV} is not set")
        log("syncing a Shopify orders export…")
        synced.update(
            measure_shopify(
                config_dir=data.config_dir,
                directory=directory,
                lines=scale.shopify_lines,
                log=log,
            )
        )
        log("sending reminders by email…")
        notified = measure_notify(people=scale.reminders, directory=directory, log=log)
        log("measuring the pages…")
        measured = measure_pages(
            data=data, scale=scale, runs=runs, directory=directory, pages=pages, log=log
        )
    result: dict[str, Any] = {
        "scale": scale.name,
        "store": "postgresql" if schemas else "sqlite",
        "postgres_schemas": list(getattr(schemas, "made", [])),
        "measured_at": clock.wall_time().astimezone().isoformat(timespec="seconds"),
        "today": today.isoformat(),
        "warm_runs": runs,
        "cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "counts": data.counts,
        "floor_ms": measured["floor_ms"],
        "floor_cpu_ms": measured["floor_cpu_ms"],
        "floor_cold_ms": measured["floor_cold_ms"],
        "pages": measured["pages"],
        **kr,
        **imported,
        **synced,
        **notified,
        "peak_rss_mb": measured["peak_rss_mb"],
        "page_process_rss_mb": measured["page_process_rss_mb"],
        "seconds": time.perf_counter() - began,
    }
    found = checks(result)
    result["budgets_met"] = all(c.ok for c in found)
    result["failed"] = [c.what for c in found if not c.ok]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _child_main(argv: Sequence[str]) -> int:
    kind, params = argv[0], json.loads(argv[1])
    result = CHILDREN[kind](params)
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
