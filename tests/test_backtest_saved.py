"""The forecast calibration kept in the store (issue 22): a process that starts serves the
calibration an earlier one fitted instead of replaying the past quarters before its first page;
observations that moved on since are served the kept one while a new fit is worked out; other
metric definitions, an unreadable row or a store that refuses the write only lose the shortcut."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from planning.config import AppConfig
from planning.okrs import backtest
from planning.okrs.backtest_fit import Calibration, Drift, StepMap
from planning.okrs.backtest_saved import Fitted, metrics_key, read_saved, save
from planning.store.engine import (
    OBSERVATIONS,
    bump_version,
    create_store_engine,
    read_engine,
    session_scope,
)

AS_OF = date(2026, 11, 25)
PAST_END = date(2026, 9, 30)  # the day before the quarter AS_OF is in

FITTED = Calibration(
    drift={("revenue", "total"): Drift(0.125, 1.5, 0.1), ("cvr", "level:last_7d"): Drift()},
    pooled={"total": Drift(-0.2, 2.0 / 3.0, 1e-9)},
    step=StepMap(xs=(0.1, 0.5, 0.9), ys=(0.05, 0.5, 0.97)),
    quarters={"revenue": 7, "cvr": 3},
)


@pytest.fixture
def restart(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Forget what this process worked out, as a freshly started process would: at once, and
    again at each call."""

    def forget() -> None:
        for name in ("_CACHE", "_LATEST", "_FITTED", "_SAVED", "_UNSAVED"):
            monkeypatch.setattr(backtest, name, {})
        for name in ("_RUNNING", "_REFUSED"):
            monkeypatch.setattr(backtest, name, set())

    forget()
    return forget


# Rows no reader can use: not JSON, other shapes, other types, a step map's lists apart.
UNREADABLE = (
    "not json",
    '{"drift": 1}',
    '{"drift": [], "pooled": [], "step": [[], []], "quarters": []}',
    '{"drift": [["m", "total", "a", 1, 1]], "pooled": {}, "step": [[], []], "quarters": {}}',
    '{"drift": [["m", "total", 1, 1]], "pooled": {}, "step": [[], []], "quarters": {}}',
    '{"drift": [], "pooled": {}, "step": [[0.5], []], "quarters": {}}',
    '{"drift": [], "pooled": {"total": [1, 1, true]}, "step": [[], []], "quarters": {}}',
)


def _kept(engine: Engine, config: AppConfig) -> Calibration | None:
    found = read_saved(engine=engine, past_end=PAST_END, key=metrics_key(config))
    return None if found is None else found.calibration


def _calibration(engine: Engine, config: AppConfig) -> Calibration:
    with Session(read_engine(engine)) as session:
        return backtest.live_calibration(session=session, config=config, as_of=AS_OF)


def _no_replay(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    replays: list[object] = []

    def counted(**kwargs: object) -> object:
        replays.append(kwargs)
        raise AssertionError("the past quarters were replayed again")

    monkeypatch.setattr(backtest, "read_histories", counted)
    return replays


def _threads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    started: list[object] = []

    class Recorded:
        def __init__(self, *, target: object, args: tuple[object, ...], daemon: bool) -> None:
            started.append(args)

        def start(self) -> None:
            pass

    monkeypatch.setattr(backtest.threading, "Thread", Recorded)
    return started


def test_a_calibration_reads_back_from_json_equal() -> None:
    assert Calibration.from_json(FITTED.to_json()) == FITTED
    assert Calibration.from_json(Calibration().to_json()) == Calibration()


def test_the_store_keeps_one_calibration_per_quarter_and_metric_definitions(
    engine: Engine, config: AppConfig
) -> None:
    key = metrics_key(config)
    first = Fitted(3, date(2023, 1, 1), date(2026, 11, 25))
    later = Fitted(4, date(2023, 1, 1), date(2026, 11, 26))
    save(engine=engine, past_end=PAST_END, key=key, fitted=first, calibration=Calibration())
    save(engine=engine, past_end=PAST_END, key=key, fitted=later, calibration=FITTED)
    found = read_saved(engine=engine, past_end=PAST_END, key=key)
    other_quarter = read_saved(engine=engine, past_end=date(2026, 6, 30), key=key)
    other_metrics = read_saved(engine=engine, past_end=PAST_END, key="0" * 64)
    with Session(read_engine(engine)) as session:
        rows = session.execute(text("SELECT COUNT(*) FROM forecast_calibration")).scalar_one()
    assert found is not None
    assert found.calibration == FITTED and found.fitted == later
    assert other_quarter is None and other_metrics is None
    assert rows == 1


def test_a_fit_on_older_observations_never_replaces_a_newer_kept_one(
    engine: Engine, config: AppConfig
) -> None:
    key = metrics_key(config)
    newer = Fitted(5, date(2023, 1, 1), date(2026, 11, 26))
    older = Fitted(4, date(2023, 1, 1), date(2026, 11, 25))
    save(engine=engine, past_end=PAST_END, key=key, fitted=newer, calibration=FITTED)
    # A slower process that started its fit before the last import finishes after the fit on it.
    assert (
        save(engine=engine, past_end=PAST_END, key=key, fitted=older, calibration=Calibration())
        == "kept"
    )
    found = read_saved(engine=engine, past_end=PAST_END, key=key)
    assert found is not None
    assert found.calibration == FITTED and found.fitted == newer


@pytest.mark.parametrize("imported", [False, True], ids=["same observations", "an import since"])
def test_a_new_process_serves_the_kept_calibration_without_replaying(
    demo_engine: Engine,
    config: AppConfig,
    restart: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    imported: bool,
) -> None:
    fitted = _calibration(demo_engine, config)
    assert fitted.drift, "the demo's past quarters fit a calibration"
    if imported:
        with session_scope(demo_engine) as session:
            bump_version(session, OBSERVATIONS)
    restart()
    replays = _no_replay(monkeypatch)
    started = _threads(monkeypatch)
    assert _calibration(demo_engine, config) == fitted
    assert replays == []
    # Fitted on other observations, the kept one serves while one refresh runs in the background.
    assert len(started) == (1 if imported else 0)


def test_other_metric_definitions_or_an_unreadable_row_are_fitted_anew(
    demo_engine: Engine,
    config: AppConfig,
    restart: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fitted = _calibration(demo_engine, config)
    for unreadable in UNREADABLE:
        with session_scope(demo_engine) as session:
            session.execute(
                text("UPDATE forecast_calibration SET calibration = :c"), {"c": unreadable}
            )
        restart()
        assert _calibration(demo_engine, config) == fitted  # worked out again, and kept again
    kept = _kept(demo_engine, config)
    assert kept == fitted

    renamed = config.metrics.model_copy(deep=True)
    first_id = sorted(renamed.metrics)[0]
    renamed.metrics[first_id] = renamed.metrics[first_id].model_copy(update={"label": "Renamed"})
    other = config.model_copy(update={"metrics": renamed})
    assert metrics_key(other) != metrics_key(config)
    restart()
    replays = _no_replay(monkeypatch)
    with pytest.raises(AssertionError, match="replayed again"):
        _calibration(demo_engine, other)
    assert len(replays) == 1


def test_a_fit_made_inside_a_write_transaction_is_kept_by_the_next_read(
    demo_engine: Engine,
    config: AppConfig,
    restart: Callable[[], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Closing or drafting a quarter evaluates it inside its own write transaction: on SQLite a
    # second writer there would wait on the lock the same thread holds.
    with session_scope(demo_engine) as session:
        fitted = backtest.live_calibration(session=session, config=config, as_of=AS_OF)
    assert "not kept" not in caplog.text
    assert _kept(demo_engine, config) is None
    assert _calibration(demo_engine, config) == fitted
    kept = _kept(demo_engine, config)
    assert kept == fitted


def test_a_store_that_refuses_the_write_still_serves_the_forecasts(
    demo_engine: Engine,
    config: AppConfig,
    restart: Callable[[], None],
) -> None:
    with session_scope(demo_engine) as session:
        session.execute(text("DROP TABLE forecast_calibration"))
    fitted = _calibration(demo_engine, config)
    assert fitted.drift


def test_pages_are_served_the_latest_backtest_while_a_new_one_is_worked_out(
    sqlite_engine: Engine, config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _calibration(sqlite_engine, config)
    started = _threads(monkeypatch)
    with session_scope(sqlite_engine) as session:
        bump_version(session, OBSERVATIONS)  # an import: a new version of the observations
    served = _calibration(sqlite_engine, config)
    again = _calibration(sqlite_engine, config)
    # The page got the process's latest at once; one refresh was started for the new version.
    assert served is first and again is first
    assert len(started) == 1


@pytest.mark.parametrize("document", UNREADABLE)
def test_any_other_document_is_refused_as_a_calibration(document: str) -> None:
    with pytest.raises(ValueError):
        Calibration.from_json(document)


def test_a_page_does_not_wait_for_another_writer_to_keep_the_fit(
    demo_store_file: Path, tmp_path: Path, config: AppConfig, restart: Callable[[], None]
) -> None:
    copy = tmp_path / "busy.db"
    shutil.copy(demo_store_file, copy)
    # A busy timeout far longer than the wait below: a page that waited for the lock would hang.
    engine = create_store_engine(f"sqlite:///{copy}", busy_timeout_ms=120_000)
    importing = sqlite3.connect(copy, isolation_level=None)
    importing.execute("BEGIN IMMEDIATE")  # another writer, an import say, holds the store
    try:
        answers: list[Calibration] = []
        page = threading.Thread(target=lambda: answers.append(_calibration(engine, config)))
        page.start()
        page.join(timeout=60)
        assert not page.is_alive(), "the page waited for the other writer"
        assert answers and answers[0].drift
    finally:
        importing.execute("ROLLBACK")
        importing.close()
    assert _kept(engine, config) is None  # not kept while the store was busy…
    assert _calibration(engine, config) == answers[0]
    assert _kept(engine, config) == answers[0]  # …and kept by the next read
    engine.dispose()
