"""The daily totals per measure (observation_daily) always equal the sums of the observations
they stand for, whatever sequence of imports, re-imports (changed values of stored rows) and
source syncs wrote them; and unfiltered metric reads, which sum the totals, give the numbers the
observations give."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlmodel import Session

from planning.config import AppConfig, default_config
from planning.metrics.engine import metric_reads
from planning.metrics.importer import write_observations
from planning.metrics.metric_query import MetricRead
from planning.metrics.observations import dims_key
from planning.metrics.rollups import rebuild_daily_totals
from planning.sources.config import load_sources
from planning.sources.runs import OK, run_source
from planning.store.engine import create_store_engine, migrate
from tests.conftest import BACKENDS, fresh_store
from tests.sources_support import config_dir, stored

FIRST = date(2026, 11, 1)
SUM_MEASURE = "sessions"  # summed; dimensions channel and device
LAST_MEASURE = "content_required_attributes"  # its last day's value; dimension product_line


@pytest.fixture(scope="module", params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated store per backend for the whole module; each example empties it first."""
    yield from fresh_store(request, request.param, tmp_path_factory.mktemp("rollups"))


@pytest.fixture(scope="module")
def app_config() -> AppConfig:
    return default_config()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sync")


# One observation: (measure, day offset, first dimension's value, second's, value). Values are
# multiples of 0.25 well inside a double's exact integers, so every order of summing them gives
# the same number and the totals can be compared exactly.
ROW = st.one_of(
    st.tuples(
        st.just(SUM_MEASURE),
        st.integers(0, 8),
        st.sampled_from(["email", "organic"]),
        st.sampled_from(["mobile", "desktop"]),
        st.integers(0, 4000).map(lambda n: n / 4),
    ),
    st.tuples(
        st.just(LAST_MEASURE),
        st.integers(0, 8),
        st.sampled_from(["Apparel", "Footwear"]),
        st.just(""),
        st.integers(0, 400).map(lambda n: n / 4),
    ),
)
STEP = st.tuples(st.sampled_from(["import", "sync"]), st.lists(ROW, min_size=1, max_size=12))


def _frame(rows: list[tuple[str, int, str, str, float]]) -> pd.DataFrame:
    """The rows as a validated import's frame, the last of repeated keys winning."""
    kept: dict[tuple[str, int, str], float] = {}
    for measure, offset, first, second, value in rows:
        dims = (
            {"channel": first, "device": second}
            if measure == SUM_MEASURE
            else {"product_line": first}
        )
        kept[(measure, offset, dims_key(dims))] = value
    return pd.DataFrame(
        [
            {"measure": m, "day": FIRST + timedelta(days=o), "dims_key": k, "value": v}
            for (m, o, k), v in kept.items()
        ]
    )


def _sync(engine: Engine, config: AppConfig, folder: Path, frame: pd.DataFrame) -> None:
    """Write the rows as an interchange CSV file and run a csv_url source reading it."""
    dims = frame["dims_key"].map(lambda k: dict(p.split("=") for p in k.split("|")))
    table = pd.DataFrame(
        {
            "date": frame["day"].astype(str),
            "measure": frame["measure"],
            "value": frame["value"],
            "channel": dims.map(lambda d: d.get("channel", "")),
            "device": dims.map(lambda d: d.get("device", "")),
            "product_line": dims.map(lambda d: d.get("product_line", "")),
        }
    )
    path = folder / "feed.csv"
    table.to_csv(path, index=False)
    body = f"sources:\n  feed:\n    kind: csv_url\n    settings:\n      path: {path}\n"
    source = load_sources(config_dir(folder, body), config.metrics).get("feed")
    assert source is not None
    outcome = run_source(engine=engine, config=config, source=source, trigger="command")
    assert outcome.status == OK, outcome.error


def _import(
    engine: Engine, rows: list[tuple[str, int, str, str, float]], filename: str = "t.csv"
) -> None:
    """Write the rows as the command line's import of a file does."""
    write_observations(
        engine=engine, actor=None, frame=_frame(rows), checksum="", filename=filename, source="cli"
    )


def _rollup(engine: Engine) -> dict[tuple[str, str], tuple[float, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT measure, day, total, rows FROM observation_daily")
        ).all()
    return {(m, str(d)[:10]): (float(t), int(n)) for m, d, t, n in rows}


def _raw(engine: Engine) -> dict[tuple[str, str], tuple[float, int]]:
    sums: dict[tuple[str, str], tuple[float, int]] = {}
    for (measure, _, day), value in stored(engine).items():
        total, count = sums.get((measure, day), (0.0, 0))
        sums[(measure, day)] = (total + value, count + 1)
    return sums


def _empty(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in ("observation", "observation_daily", "source_run"):
            connection.execute(text(f"DELETE FROM {table}"))


@settings(
    max_examples=int(os.environ.get("QUARTERDECK_ROLLUP_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=4))
def test_daily_totals_equal_the_raw_sums_after_any_imports_and_syncs(
    store: Engine,
    app_config: AppConfig,
    folder: Path,
    steps: list[tuple[str, list[tuple[str, int, str, str, float]]]],
) -> None:
    _empty(store)
    for kind, rows in steps:
        if kind == "import":
            _import(store, rows)
        else:
            _sync(store, app_config, folder, _frame(rows))
        # After every step, not only the last: a later write must not hide a stale total.
        assert _rollup(store) == _raw(store)


def test_unfiltered_reads_give_the_observations_numbers(
    store: Engine, app_config: AppConfig
) -> None:
    """Sums per day, per week and over the window, and a last-day measure, read through the
    totals, against the same numbers worked out from the observations by hand."""
    _empty(store)
    rows = [
        (SUM_MEASURE, 0, "email", "mobile", 10.0),
        (SUM_MEASURE, 0, "organic", "desktop", 5.5),
        (SUM_MEASURE, 3, "email", "mobile", 7.0),
        (SUM_MEASURE, 8, "organic", "mobile", 2.25),
        (LAST_MEASURE, 1, "Apparel", "", 40.0),
        (LAST_MEASURE, 1, "Footwear", "", 30.0),
        (LAST_MEASURE, 5, "Apparel", "", 42.0),
        (LAST_MEASURE, 5, "Footwear", "", 31.0),
    ]
    _import(store, rows)
    end = FIRST + timedelta(days=8)
    measures = (SUM_MEASURE, LAST_MEASURE)
    with Session(store) as session:
        whole, daily, weekly, filtered = metric_reads(
            session=session,
            config=app_config.metrics,
            reads=[
                MetricRead(metric_ids=(), start=FIRST, end=end, measure_ids=measures),
                MetricRead(metric_ids=(), start=FIRST, end=end, grain="day", measure_ids=measures),
                MetricRead(metric_ids=(), start=FIRST, end=end, grain="week", measure_ids=measures),
                MetricRead(
                    metric_ids=(),
                    start=FIRST,
                    end=end,
                    filters=(("channel", "email"),),
                    measure_ids=(SUM_MEASURE,),
                ),
            ],
        )
    # Sessions: 10 + 5.5 + 7 + 2.25 over the window; the attributes on their last day, the 6th:
    # 42 + 31.
    assert whole == {"measure:sessions": {None: 24.75}, f"measure:{LAST_MEASURE}": {None: 73.0}}
    assert daily["measure:sessions"] == {
        FIRST: 15.5,
        FIRST + timedelta(days=3): 7.0,
        FIRST + timedelta(days=8): 2.25,
    }
    assert daily[f"measure:{LAST_MEASURE}"] == {
        FIRST + timedelta(days=1): 70.0,
        FIRST + timedelta(days=5): 73.0,
    }
    # 2026-11-01 is a Sunday: its week began on 26 October; the 4th is in the week of the 2nd
    # and the 9th (a Monday) starts a week.
    assert weekly["measure:sessions"] == {
        date(2026, 10, 26): 15.5,
        date(2026, 11, 2): 7.0,
        date(2026, 11, 9): 2.25,
    }
    assert weekly[f"measure:{LAST_MEASURE}"] == {date(2026, 11, 2): 73.0}
    # A filtered read still sums the observations: email's 10 and 7.
    assert filtered == {"measure:sessions": {None: 17.0}}


def test_a_rebuild_sums_every_total_again(store: Engine) -> None:
    """A rebuild (as the migration does for an upgraded store) puts right a total changed behind
    the importer's back."""
    _empty(store)
    rows = [(SUM_MEASURE, 2, "email", "mobile", 4.0), (SUM_MEASURE, 2, "organic", "mobile", 1.0)]
    _import(store, rows)
    with store.begin() as connection:
        connection.execute(text("UPDATE observation_daily SET total = 99"))
    with store.begin() as connection:
        assert rebuild_daily_totals(connection=connection) == 1
    assert _rollup(store) == {(SUM_MEASURE, "2026-11-03"): (5.0, 2)}


def test_an_upgraded_store_gets_the_totals_of_the_observations_it_holds(tmp_path: Path) -> None:
    """The migration that adds the rollup fills it from the observations already stored."""
    from alembic import command

    from planning.store.engine import alembic_config

    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0016")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO series (id, measure, dims_key) VALUES "
                "(1, 'orders', 'channel=email'), (2, 'orders', 'channel=organic'), "
                "(3, 'sessions', '')"
            )
        )
        connection.execute(
            text("INSERT INTO observation (series_id, day, value) VALUES (:s, :d, :v)"),
            [
                {"s": 1, "d": date(2026, 1, 1), "v": 3.0},
                {"s": 2, "d": date(2026, 1, 1), "v": 4.5},
                {"s": 3, "d": date(2026, 1, 2), "v": 100.0},
            ],
        )
    migrate(engine)
    assert _rollup(engine) == {
        ("orders", "2026-01-01"): (7.5, 2),
        ("sessions", "2026-01-02"): (100.0, 1),
    }
    engine.dispose()


def test_the_rebuild_command_sums_the_totals_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m planning rebuild-totals` puts right a total changed outside Quarterdeck."""
    from tests.cli_support import point_cli_at, run_cli

    point_cli_at(tmp_path / "cli.db", monkeypatch)
    engine = create_store_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    migrate(engine)
    rows = [(SUM_MEASURE, 0, "email", "mobile", 2.0), (SUM_MEASURE, 1, "email", "mobile", 3.0)]
    _import(engine, rows)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM observation_daily WHERE day = '2026-11-02'"))
    code, out, err = run_cli(capsys, "rebuild-totals")
    assert (code, err) == (0, "")
    assert out.startswith("summed 2 daily totals again in ")
    assert _rollup(engine) == {
        (SUM_MEASURE, "2026-11-01"): (2.0, 1),
        (SUM_MEASURE, "2026-11-02"): (3.0, 1),
    }
    engine.dispose()


def test_imports_of_the_same_days_at_once_leave_right_totals(store: Engine) -> None:
    """Four imports of other series on the same days, started together: every one is written
    and each day's total holds all four (on PostgreSQL the writers take turns)."""
    import threading

    _empty(store)
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def write(channel: str, device: str) -> None:
        rows = [(SUM_MEASURE, day, channel, device, float(day + 1)) for day in range(5)]
        try:
            barrier.wait(timeout=10)
            _import(store, rows, filename=f"{channel}-{device}.csv")
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [
        threading.Thread(target=write, args=(channel, device))
        for channel in ("email", "organic")
        for device in ("mobile", "desktop")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    # Each day's four series hold day + 1 each.
    assert _rollup(store) == {
        (SUM_MEASURE, (FIRST + timedelta(days=day)).isoformat()): (4.0 * (day + 1), 4)
        for day in range(5)
    }
    assert _rollup(store) == _raw(store)
