"""The store reads behind a quarter's OKR evaluation: the day evaluations run up to, the last
check-ins, and every metric value the key results need, batched.

Metric and guardrail key results read their values through planning.metrics.engine in one batch
(``metric_reads``, which sends reads differing only in one filter's value as one statement):
key results that share a window and filters share one window read, key results that share
filters share one daily read over the union of their spans (with the daily denominators of
ratios), running totals get last year's daily values from one more read per filter set, and
guardrails get one running read per window and filters (``MetricRead.running``, the window value
as of each day so far). Each read computes exactly what ``metric_values`` or
``metric_series_many`` would for it alone.

``as_of`` is "data through": the last complete day (planning.metrics.engine.freshness: every
series of the week before has arrived for it, or ``metrics.complete_after_hours`` have passed
since it ended), never after today. Newer partial days are listed apart and never read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast

import pandas as pd
from sqlmodel import Session, col, select

from planning import clock
from planning.config import AppConfig
from planning.config.metrics import MetricsConfig, RatioMetric
from planning.i18n import gettext as _
from planning.metrics.completeness import PartialDay
from planning.metrics.completeness import data_through as complete_through
from planning.metrics.engine import ReadValues, metric_reads
from planning.metrics.metric_query import MetricRead
from planning.okrs.evaluation_results import FILTER_GONE, METRIC_GONE
from planning.periods import quarter_bounds, window_bounds, window_length
from planning.store.models import CheckIn, KeyResult, KrKind

LAST_YEAR_DAYS = 364  # 52 weeks back, so weekdays line up
RECENT_DAYS = 14  # days whose level a forecast carries forward

Filters = tuple[tuple[str, str], ...]


def data_through(
    *, session: Session, config: AppConfig, today: date | None = None
) -> tuple[date, tuple[PartialDay, ...]]:
    """The day evaluations run up to, the last complete day and never after today (yesterday when
    the store holds no observations), with the partial days after it."""
    today = today or clock.today()
    through, partial = complete_through(
        session=session, complete_after_hours=config.settings.metrics.complete_after_hours
    )
    if through is None:
        return today - timedelta(days=1), ()
    return min(through, today), tuple(p for p in partial if p.day <= today)


def data_as_of(*, session: Session, config: AppConfig, today: date | None = None) -> date:
    """The day evaluations run up to: the last complete day, never after today (yesterday when
    the store holds no observations)."""
    return data_through(session=session, config=config, today=today)[0]


@dataclass(frozen=True)
class LastCheckIn:
    """A key result's latest check-in: its confidence and time, and the latest value posted."""

    confidence: int | None = None
    at: datetime | None = None
    value: float | None = None


def last_check_ins(*, session: Session, kr_ids: Sequence[int]) -> dict[int, LastCheckIn]:
    """Per key result: the latest check-in's confidence, and the latest value posted."""
    if not kr_ids:
        return {}
    rows = session.exec(
        select(CheckIn.key_result_id, CheckIn.confidence, CheckIn.created_at, CheckIn.value)
        .where(col(CheckIn.key_result_id).in_(kr_ids))
        .order_by(col(CheckIn.created_at), col(CheckIn.id))
    ).all()
    latest: dict[int, tuple[int, datetime]] = {}
    values: dict[int, float] = {}
    for kr_id, confidence, at, value in rows:  # oldest first: the last one of each stays
        latest[kr_id] = (confidence, at)
        if value is not None:
            values[kr_id] = value
    return {
        kr_id: LastCheckIn(confidence=confidence, at=at, value=values.get(kr_id))
        for kr_id, (confidence, at) in latest.items()
    }


def filters_key(filters: Mapping[str, str] | None) -> Filters:
    """Filters as a hashable key, in name order."""
    return tuple(sorted((filters or {}).items()))


def _metric_problem(config: MetricsConfig, kr: KeyResult) -> str | None:
    """Why a stored key result's metric can no longer be read (metrics.yaml changed), if so."""
    if not kr.metric_id or kr.metric_id not in config.metrics:
        return _(METRIC_GONE).format(metric=repr(kr.metric_id))
    allowed = config.metric_dimensions(kr.metric_id)
    for name, value in (kr.filters or {}).items():
        dimension = config.dimensions.get(name)
        if name not in allowed or dimension is None or value not in dimension.values:
            return _(FILTER_GONE).format(name=name, value=value, metric=kr.metric_id)
    return None


class MetricProblems:
    """``_metric_problem`` per metric and filters, worked out once per evaluation."""

    def __init__(self, config: MetricsConfig) -> None:
        self._config = config
        self._found: dict[tuple[str | None, tuple[tuple[str, str], ...]], str | None] = {}

    def of(self, kr: KeyResult) -> str | None:
        """Why the key result's metric can no longer be read, if so."""
        key = (kr.metric_id, tuple((kr.filters or {}).items()))
        if key not in self._found:
            self._found[key] = _metric_problem(self._config, kr)
        return self._found[key]


def ratio_denominator(config: MetricsConfig, metric_id: str) -> str | None:
    """The denominator measure of a ratio metric, None for any other metric."""
    metric = config.metrics[metric_id]
    return metric.denominator if isinstance(metric, RatioMetric) else None


@dataclass
class QuarterReads:
    """What the batched reads returned, keyed for the per-key-result evaluation."""

    window_values: dict[tuple[date, date, Filters], dict[str, float | None]] = field(
        default_factory=dict
    )
    daily: dict[Filters, dict[str, dict[date, float]]] = field(default_factory=dict)
    last_year: dict[Filters, dict[str, dict[date, float]]] = field(default_factory=dict)
    # Guardrails: per (window, filters), each metric's window value as of each day so far.
    running: dict[tuple[str, Filters], dict[str, dict[date, float]]] = field(default_factory=dict)


def values_by_day(frame: pd.DataFrame) -> dict[str, dict[date, float]]:
    """Each value column of a per-day frame as {day: value}, days without a value left out."""
    days = list(frame["period"])
    out: dict[str, dict[date, float]] = {}
    for name in frame.columns:
        if name == "period":
            continue
        out[name] = {d: float(v) for d, v in zip(days, frame[name].tolist(), strict=True) if v == v}
    return out


def read_quarter_metrics(
    *,
    session: Session,
    config: AppConfig,
    krs: Sequence[KeyResult],
    period: str,
    as_of: date,
    problems: MetricProblems,
) -> QuarterReads:
    """Every metric read of the quarter in one ``metric_reads`` call: one window read per
    (window, filters), one daily read per filters, one last-year read per filters with a running
    total and one running read per guardrail window and filters."""
    metrics = config.metrics
    fiscal = config.settings.fiscal_year_start_month
    first, last = quarter_bounds(period, fiscal)
    reads = QuarterReads()
    if as_of < first:
        return reads
    by_window: dict[tuple[date, date, Filters], set[str]] = defaultdict(set)
    daily_ids: dict[Filters, set[str]] = defaultdict(set)
    daily_measures: dict[Filters, set[str]] = defaultdict(set)
    daily_span: dict[Filters, tuple[date, date]] = {}
    totals: dict[Filters, set[str]] = defaultdict(set)
    running: dict[tuple[str, Filters], set[str]] = defaultdict(set)
    bounds: dict[str, tuple[date, date]] = {}
    for kr in krs:
        if kr.kind not in (KrKind.metric, KrKind.guardrail) or problems.of(kr):
            continue
        assert kr.metric_id is not None
        key = filters_key(kr.filters)
        window = kr.window.value
        if window not in bounds:
            bounds[window] = window_bounds(window, period, as_of, fiscal)
        start, end = bounds[window]
        by_window[(start, end, key)].add(kr.metric_id)
        daily_ids[key].add(kr.metric_id)
        denominator = ratio_denominator(metrics, kr.metric_id)
        if denominator:
            daily_measures[key].add(denominator)
        span_start = min(start, end - timedelta(days=RECENT_DAYS - 1))
        if key in daily_span:
            old_start, old_end = daily_span[key]
            daily_span[key] = (min(old_start, span_start), max(old_end, end))
        else:
            daily_span[key] = (span_start, end)
        if kr.total_target and kr.kind == KrKind.metric:
            totals[key].add(kr.metric_id)
        if kr.kind == KrKind.guardrail:
            running[(window, key)].add(kr.metric_id)
    ly_start = first - timedelta(days=LAST_YEAR_DAYS)
    ly_end = last - timedelta(days=LAST_YEAR_DAYS)
    requests = [
        MetricRead(metric_ids=tuple(sorted(ids)), start=start, end=end, filters=key)
        for (start, end, key), ids in by_window.items()
    ]
    requests += [
        MetricRead(
            metric_ids=tuple(sorted(ids)),
            start=daily_span[key][0],
            end=daily_span[key][1],
            filters=key,
            grain="day",
            measure_ids=tuple(sorted(daily_measures[key])),
        )
        for key, ids in daily_ids.items()
    ]
    requests += [
        MetricRead(
            metric_ids=tuple(sorted(ids)), start=ly_start, end=ly_end, filters=key, grain="day"
        )
        for key, ids in totals.items()
    ]
    end = min(as_of, last)
    requests += [
        MetricRead(
            metric_ids=tuple(sorted(ids)),
            start=first,
            end=end,
            filters=key,
            grain="day",
            running=0 if window == "period_to_date" else window_length(window, period, fiscal),
        )
        for (window, key), ids in running.items()
    ]
    answers = iter(metric_reads(session=session, config=metrics, reads=requests))
    for (start, end, key), ids in by_window.items():
        found = next(answers)
        reads.window_values[(start, end, key)] = {
            metric_id: found[metric_id].get(None) for metric_id in sorted(ids)
        }
    for key in daily_ids:
        reads.daily[key] = _by_day(next(answers))
    for key in totals:
        reads.last_year[key] = _by_day(next(answers))
    for window_key in running:
        reads.running[window_key] = _by_day(next(answers))
    return reads


def _by_day(found: ReadValues) -> dict[str, dict[date, float]]:
    """A daily read's values, whose keys are all days."""
    return cast(dict[str, dict[date, float]], found)


def day_range(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
