"""The forecast calibration kept in the store (issue 22): a process that starts serves the
calibration an earlier one fitted instead of replaying the past quarters before its first page;
observations that moved on since are served the kept one while a new fit is worked out; other
metric definitions, an unreadable row or a store that refuses the write only lose the shortcut."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from planning.config import AppConfig
from planning.okrs import backtest
from planning.okrs.backtest_fit import Calibration, Drift, StepMap
from planning.okrs.backtest_saved import Fitted, metrics_key, read_saved, save
from planning.store.engine import OBSERVATIONS, bump_version, read_engine, session_scope

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
        monkeypatch.setattr(backtest, "_RUNNING", set())

    forget()
    return forget


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
    with Session(read_engine(engine)) as session:
        found = read_saved(session=session, past_end=PAST_END, key=key)
        other_quarter = read_saved(session=session, past_end=date(2026, 6, 30), key=key)
        other_metrics = read_saved(session=session, past_end=PAST_END, key="0" * 64)
        rows = session.execute(text("SELECT COUNT(*) FROM forecast_calibration")).scalar_one()
    assert found is not None
    assert found.calibration == FITTED and found.fitted == later
    assert other_quarter is None and other_metrics is None
    assert rows == 1


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
    with session_scope(demo_engine) as session:
        session.execute(text("UPDATE forecast_calibration SET calibration = '{\"drift\": 1}'"))
    restart()
    assert _calibration(demo_engine, config) == fitted  # worked out again, and kept again
    with Session(read_engine(demo_engine)) as session:
        kept = read_saved(session=session, past_end=PAST_END, key=metrics_key(config))
    assert kept is not None and kept.calibration == fitted

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
    with Session(read_engine(demo_engine)) as session:
        assert read_saved(session=session, past_end=PAST_END, key=metrics_key(config)) is None
    assert _calibration(demo_engine, config) == fitted
    with Session(read_engine(demo_engine)) as session:
        kept = read_saved(session=session, past_end=PAST_END, key=metrics_key(config))
    assert kept is not None and kept.calibration == fitted


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
