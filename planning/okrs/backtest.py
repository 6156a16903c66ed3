"""How good the forecasts are: the forecaster replayed on the store's own past quarters, and the
calibration fitted from that replay (issue 23).

For every metric and every kind of metric key result (a running total over the quarter, and a
level over each window: the quarter to date, the last 7 or 28 days), each complete past quarter
is replayed at days 15, 30, 46, 60 and 75: the live forecast function (planning.okrs.maths
``forecast_total`` or ``forecast_level``, exactly as the evaluation calls it) is fed only the
days up to that checkpoint, and its projection is set against what the window really came to at
the quarter's end. Targets are spread around that outcome (``TARGET_STEPS`` times the metric's
spread of quarter outcomes), so each replay yields several stated probabilities, each a hit or a
miss.

Calibration has two parts, both fitted on past quarters only:

- drift: the daily spread misses how far a quarter's level can move, so each (metric, kind)
  gets a factor ``k`` that widens the forecast's standard deviation until its standardized
  errors on past quarters have unit spread (shrunk towards the kind's pooled factor, and never
  below 1: bands only widen);
- a monotone step map (pool-adjacent-violators, interpolated between block centres) from the
  widened probability to the hit rate seen at it.

The score shown is honest: each quarter (from the fifth on) is forecast with a calibration
fitted only on the quarters before it. A metric with fewer than ``MIN_QUARTERS`` past quarters
gets no calibrated number: a range between its raw probability and the one its band twice as
wide would give.

The replay, the fitting and the scores are pure, one module each: ``backtest_replay``
(``replay``), ``backtest_fit`` (``fit_calibration``, ``calibrate``) and ``backtest_score``
(``score``, ``assess``). This module reads the store (``read_histories``) and caches the result per
data version (``forecast_quality``, ``live_calibration``).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from planning.config import AppConfig
from planning.metrics.engine import metric_reads
from planning.metrics.metric_query import MetricRead
from planning.metrics.shapes import metric_shape
from planning.okrs.backtest_fit import Calibration
from planning.okrs.backtest_replay import LEVEL_WINDOWS, TOTAL, Case, MetricHistory, replay
from planning.okrs.backtest_saved import Fitted, as_day, metrics_key, read_saved, save
from planning.okrs.backtest_score import ForecastQuality, assess, live_fit
from planning.okrs.evaluation_reads import (
    data_as_of,
    ratio_denominator,
)
from planning.periods import (
    next_quarter,
    quarter_bounds,
    quarter_of,
    window_bounds,
)
from planning.store.engine import OBSERVATIONS, StoreError, data_versions, read_engine
from planning.store.gate import DATABASE_ERRORS
from planning.store.models_metrics import Observation

# --- the store read and the cache --------------------------------------------------------------


def past_periods(first_day: date, as_of: date, fiscal: int = 1) -> list[str]:
    """Complete quarters from the one holding ``first_day`` up to the one before ``as_of``'s."""
    periods: list[str] = []
    period = quarter_of(first_day, fiscal)
    while True:
        start, last = quarter_bounds(period, fiscal)
        if last > as_of:
            break
        if start >= first_day:  # a quarter the data starts inside is not a whole quarter
            periods.append(period)
        period = next_quarter(period)
    return periods


def read_histories(
    *, session: Session, config: AppConfig, as_of: date
) -> tuple[list[MetricHistory], list[str]]:
    """Every metric's daily values (unfiltered) up to ``as_of`` and each window's value at the
    end of each complete past quarter, in one batched read."""
    metrics = config.metrics
    fiscal = config.settings.fiscal_year_start_month
    ids = sorted(metrics.metrics)
    if not ids:
        return [], []
    first_day = _first_day(session)
    if first_day is None or first_day > as_of:
        return [], []
    periods = [
        p for p in past_periods(first_day, as_of, fiscal) if quarter_bounds(p, fiscal)[1] <= as_of
    ]
    if not periods:
        return [], []
    denominators = sorted({d for m in ids if (d := ratio_denominator(metrics, m))})
    reads = [
        MetricRead(
            metric_ids=tuple(ids),
            start=first_day,
            end=quarter_bounds(periods[-1], fiscal)[1],
            grain="day",
            measure_ids=tuple(denominators),
        )
    ]
    ends: list[tuple[str, str, date, date]] = []
    for period in periods:
        last = quarter_bounds(period, fiscal)[1]
        for window in LEVEL_WINDOWS:
            start, end = window_bounds(window, period, last, fiscal)
            ends.append((period, window, start, end))
            reads.append(MetricRead(metric_ids=tuple(ids), start=start, end=end))
    answers = metric_reads(session=session, config=metrics, reads=reads)
    daily_all = answers[0]
    outcomes: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    for (period, window, _, _), found in zip(ends, answers[1:], strict=True):
        for metric_id in ids:
            value = found.get(metric_id, {}).get(None)
            if value is None:
                continue
            outcomes[metric_id][(period, f"level:{window}")] = value
            if window == "period_to_date":
                outcomes[metric_id][(period, TOTAL)] = value
    histories = []
    for metric_id in ids:
        denominator = ratio_denominator(metrics, metric_id)
        daily = {d: v for d, v in daily_all.get(metric_id, {}).items() if isinstance(d, date)}
        weights = None
        if denominator:
            raw = daily_all.get(f"measure:{denominator}", {})
            weights = {d: v for d, v in raw.items() if isinstance(d, date)}
        histories.append(
            MetricHistory(
                metric_id=metric_id,
                shape=metric_shape(metrics, metric_id),
                daily=daily,
                weights=weights,
                outcomes=outcomes.get(metric_id, {}),
            )
        )
    return histories, periods


def _first_day(session: Session) -> date | None:
    return as_day(session.execute(select(func.min(Observation.day))).scalar_one_or_none())


_CACHE: dict[tuple[object, ...], ForecastQuality] = {}
# The latest calibration per store and quarter whatever the observations' version: past quarters
# rarely change, so a page serves it while the new version's is worked out in the background.
_LATEST: dict[tuple[object, ...], Calibration] = {}
# A version's replay and live fit, worked out for a page's forecasts before the rest of the
# backtest (the held-out scoring only the quality report reads), which then starts from it.
_FITTED: dict[tuple[object, ...], _Fitted] = {}
# A version's calibration read back from the store (planning.okrs.backtest_saved), fitted there
# by an earlier process on the same observations.
_SAVED: dict[tuple[object, ...], Calibration] = {}
# Fits the store could not take yet (made inside a write transaction, or the store busy with
# another writer), kept by the next read that finds them (_save); and the stores that refused
# such a write for good (read-only, not migrated), not asked again.
_UNSAVED: dict[tuple[object, ...], Calibration] = {}
_REFUSED: set[str] = set()
_RUNNING: set[tuple[object, ...]] = set()
_LOCK = threading.Lock()
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Fitted:
    histories: tuple[MetricHistory, ...]
    periods: tuple[str, ...]
    cases: tuple[Case, ...]
    calibration: Calibration


@dataclass(frozen=True)
class _Keys:
    engine: Engine
    as_of: date
    fresh: tuple[object, ...]
    latest: tuple[object, ...]
    fitted: Fitted
    metrics: str


def _keys(session: Session, config: AppConfig, as_of: date | None) -> _Keys:
    as_of = as_of or data_as_of(session=session, config=config)
    fiscal = config.settings.fiscal_year_start_month
    # Every day of a quarter sees the same past quarters: one backtest serves them all.
    as_of = quarter_bounds(quarter_of(as_of + timedelta(days=1), fiscal), fiscal)[0] - timedelta(
        days=1
    )
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    # Only observations feed the backtest: a check-in or a new goal does not redo it.
    observed = dict(data_versions(engine)).get(OBSERVATIONS, 0)
    # With the first and last day stored: a store rebuilt under the same address and counter
    # (a test database) is not mistaken for the one before.
    # Two statements: SQLite answers a lone MIN or MAX from the day index, not the pair.
    first = session.execute(select(func.min(Observation.day))).scalar_one_or_none()
    last = session.execute(select(func.max(Observation.day))).scalar_one_or_none()
    latest = (str(engine.url), first, as_of, config.metrics.model_dump_json())
    return _Keys(
        engine=engine,
        as_of=as_of,
        fresh=(*latest, observed, last),
        latest=latest,
        fitted=Fitted(observed, as_day(first), as_day(last)),
        metrics=metrics_key(config),
    )


def _save(keys: _Keys, calibration: Calibration) -> None:
    """Keep a fit in the store; one the store cannot take now waits in _UNSAVED for a later read."""
    if not keys.engine.get_execution_options().get("quarterdeck_readonly"):
        # Fitted inside a write transaction (closing or drafting a quarter): on SQLite a second
        # writer would wait on the lock this very thread holds.
        with _LOCK:
            _keep(_UNSAVED, keys.fresh, calibration)
        return
    store = str(keys.engine.url)
    with _LOCK:
        if store in _REFUSED:
            return
    saved = save(
        engine=keys.engine,
        past_end=keys.as_of,
        key=keys.metrics,
        fitted=keys.fitted,
        calibration=calibration,
    )
    with _LOCK:
        if saved == "busy":
            _keep(_UNSAVED, keys.fresh, calibration)
        else:
            _UNSAVED.pop(keys.fresh, None)
        if saved == "failed":
            _REFUSED.add(store)


def _keep(store: dict[tuple[object, ...], Any], key: tuple[object, ...], value: Any) -> None:
    """Keep `value` under `key`, emptying `store` first once it holds more than 8 (under _LOCK)."""
    if len(store) > 8:
        store.clear()
    store[key] = value


def _store(keys: _Keys, found: ForecastQuality) -> None:
    with _LOCK:
        _keep(_CACHE, keys.fresh, found)
        _keep(_LATEST, keys.latest, found.calibration)
        _FITTED.pop(keys.fresh, None)


def _compute(session: Session, config: AppConfig, keys: _Keys) -> ForecastQuality:
    with _LOCK:
        fitted = _FITTED.get(keys.fresh)
    fiscal = config.settings.fiscal_year_start_month
    if fitted is None:
        histories, periods = read_histories(session=session, config=config, as_of=keys.as_of)
        found = assess(histories, periods=periods, fiscal=fiscal)
        _save(keys, found.calibration)
    else:
        found = assess(
            fitted.histories,
            periods=fitted.periods,
            fiscal=fiscal,
            cases=fitted.cases,
            calibration=fitted.calibration,
        )
    _store(keys, found)
    return found


def _fit(session: Session, config: AppConfig, keys: _Keys) -> Calibration:
    """Replay and fit the live calibration, keeping both for the rest of the backtest."""
    histories, periods = read_histories(session=session, config=config, as_of=keys.as_of)
    cases = replay(histories, periods=periods, fiscal=config.settings.fiscal_year_start_month)
    fitted = _Fitted(
        histories=tuple(histories),
        periods=tuple(periods),
        cases=tuple(cases),
        calibration=live_fit(cases, histories),
    )
    with _LOCK:
        _keep(_FITTED, keys.fresh, fitted)
        _keep(_LATEST, keys.latest, fitted.calibration)
    _save(keys, fitted.calibration)
    return fitted.calibration


def forecast_quality(
    *, session: Session, config: AppConfig, as_of: date | None = None
) -> ForecastQuality:
    """The store's backtest and live calibration over the complete quarters before ``as_of``'s,
    computed once per version of the observations (the store's data-version counter) and
    quarter, and kept in this process."""
    keys = _keys(session, config, as_of)
    with _LOCK:
        found = _CACHE.get(keys.fresh)
    return found if found is not None else _compute(session, config, keys)


def _refresh(config: AppConfig, keys: _Keys) -> None:
    try:
        with Session(read_engine(keys.engine)) as session:
            _compute(session, config, keys)
    except Exception:  # a background refresh: the page keeps the last backtest, the log says why
        _LOG.exception("the forecast backtest could not be refreshed")
    finally:
        with _LOCK:
            _RUNNING.discard(keys.fresh)


def live_calibration(
    *, session: Session, config: AppConfig, as_of: date | None = None
) -> Calibration:
    """The calibration live forecasts use, off the page's critical path: this version's when it
    is ready, else the latest for the quarter (this process's, or the one kept in the store)
    while this version's is worked out in a background thread; worked out now only when neither
    this process nor the store has one (``warm`` at start-up sees to that before the first
    visitor)."""
    keys = _keys(session, config, as_of)
    with _LOCK:
        known = _LATEST.get(keys.latest) is not None or keys.fresh in _SAVED
    if not known:
        _read_saved(session, keys)
    with _LOCK:
        full = _CACHE.get(keys.fresh)
        fitted = _FITTED.get(keys.fresh)
        found = full.calibration if full is not None else getattr(fitted, "calibration", None)
        found = found if found is not None else _SAVED.get(keys.fresh)
        latest = _LATEST.get(keys.latest)
        start = found is None and latest is not None and keys.fresh not in _RUNNING
        if start:
            _RUNNING.add(keys.fresh)
    if found is not None:
        with _LOCK:
            unsaved = _UNSAVED.get(keys.fresh)
        if unsaved is not None:
            _save(keys, unsaved)
        return found
    if latest is not None:
        if start:
            threading.Thread(target=_refresh, args=(config, keys), daemon=True).start()
        return latest
    # The forecasts need only the fit: the held-out scoring waits for the quality report.
    return _fit(session, config, keys)


def _read_saved(session: Session, keys: _Keys) -> None:
    """Take the calibration kept in the store as this process's latest (and as this version's
    when it was fitted on the same observations)."""
    saved = read_saved(engine=keys.engine, past_end=keys.as_of, key=keys.metrics)
    if saved is None:
        return
    with _LOCK:
        if keys.latest not in _LATEST:
            _keep(_LATEST, keys.latest, saved.calibration)
        if saved.fitted == keys.fitted:
            _keep(_SAVED, keys.fresh, saved.calibration)


def warm(*, engine: Callable[[], Engine], config: Callable[[], AppConfig]) -> threading.Thread:
    """Work out the store's backtest in a background thread (the server calls it at start-up;
    ``engine`` and ``config`` are called there, so a store that cannot open yet stops nothing)."""

    quiet: tuple[type[Exception], ...] = (StoreError, *DATABASE_ERRORS)

    def run() -> None:
        try:
            with Session(read_engine(engine())) as session:
                forecast_quality(session=session, config=config())
        except quiet as exc:
            # The store gate tells people why the store cannot be used; one line here is enough.
            _LOG.warning(
                "the forecast backtest waits for a usable store: %s", exc.__class__.__name__
            )
        except Exception:  # start-up goes on; the first page works it out instead
            _LOG.exception("the forecast backtest could not be worked out at start-up")

    thread = threading.Thread(target=run, name="forecast-backtest", daemon=True)
    thread.start()
    return thread
