"""Evaluating a quarter's OKRs against the store: every key result's current value, progress,
expected pace, status, forecast and confidence gap, rolled up to objectives.

Metric and guardrail key results read their values through planning.metrics.engine in one batch
(``metric_reads``, which sends reads differing only in one filter's value as one statement):
key results that share a window and filters share one window read, key results that share
filters share one daily read over the union of their spans (with the daily denominators of
ratios), and running totals get last year's daily values from one more read per filter set.
Each read computes exactly what ``metric_values`` or ``metric_series_many`` would for it alone.
The maths is planning.okrs.maths's.

Rules (DESIGN.md §4), as applied here:

- ``as_of`` is "data through": the last complete day (planning.metrics.engine.freshness: every
series
  of the week before has arrived for it, or ``metrics.complete_after_hours`` have passed since it
  ended), never after today; windows end on it and the pace counts the quarter's days up to it.
  Newer partial days are listed in ``partial_days`` and never read.
- Metric key results: progress by the increase or decrease formula, raw (overachievement kept).
  A running total (an additive metric over the quarter to date, ``total_target``) is paced by
  last year's seasonal shape (the same days 364 days back, so weekdays line up), falling back to
  linear; every other key result is paced linearly over the quarter. ``too_early`` with fewer
  than ``okr.too_early_days`` days of data in the window, or when a ratio's denominator over the
  window is below the metric's ``min_denominator``.
- Forecasts: running totals use ``okr.forecast_total`` (actual so far + run rate × remaining days
  weighted by last year's remaining seasonal share; analytic normal bound from the spread of daily
  values). Everything else uses ``okr.forecast_level`` (the remaining days run at the level of the
  last 14 days, weighted by the daily denominators for a ratio; analytic normal bound); a snapshot
  metric is a window of one day. Derived and weighted-average metrics (gross margin, organic
  position) are projected from their daily values unweighted.
- Guardrails: judged on their window's value, read exactly as a metric key result with the same
  metric, filters and window reads it (not on single days). Met while that value holds (the
  threshold is inclusive), breached while it does not; "days in breach" counts the days of the
  quarter so far on which the window value as of that day was past the threshold (one running
  read per window and filters: ``MetricRead.running``, cumulative sums over the daily
  components). Status: ``too_early`` as a metric key result (no value, too few days, a ratio's
  denominator too small); else off track while breached, on track while held and the forecast
  of the window's value at the quarter's end holds with probability ≥ 0.5 (or there is no
  forecast yet), at risk while held but less likely to hold. The forecast is ``forecast_level``
  starting, over the quarter to date, from the window's value so far; once the quarter is over
  the value is final.
- A metric or guardrail key result with no value in its window (a quarter's first day, a filter
  with no observations) has no progress and says "no data yet in this window".
- Milestones: progress 1 when done, else 0. A done milestone is on track; an open one in a running
  quarter takes its status from the owner's last confidence (7–10 on track, 4–6 at risk, 0–3 off
  track; too early before any check-in) and is off track once the quarter is over.
- Manual key results: the value of the latest check-in that has one; paced linearly; no forecast.
- Confidence gap: the last check-in's confidence (0–10, read as 0–1) against the forecast's
  probability, flagged beyond ``okr.confidence_gap``.
- Objectives: progress is the weighted mean of their key results' progress clamped to [0, 1];
  expected pace is the weighted mean of the same key results' expected progress; status is that
  progress against that pace with a key result's margins (``objective_status``), too early while
  every key result is. The worst key result behind pace is named as the status's reason.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any, cast

import pandas as pd
from sqlmodel import Session, col, select

from planning import clock
from planning.config import AppConfig, MetricsConfig, OkrSettings, RatioMetric
from planning.formatting import format_value
from planning.metrics.completeness import PartialDay
from planning.metrics.completeness import data_through as complete_through
from planning.metrics.engine import ReadValues, metric_reads
from planning.metrics.metric_query import MetricRead
from planning.metrics.shapes import MetricShape, metric_shape
from planning.okrs.maths import (
    Forecast,
    GuardrailResult,
    Status,
    confidence_gap,
    expected_progress,
    forecast_level,
    forecast_total,
    guardrail_check,
    guardrail_status,
    kr_progress,
    kr_status,
    linear_expected,
    milestone_progress,
    objective_grade,
    objective_progress,
    objective_status,
    worst_key_result,
)
from planning.periods import (
    days_in_period,
    elapsed_days,
    parse_quarter,
    quarter_bounds,
    window_bounds,
    window_length,
)
from planning.store.models import (
    CheckIn,
    KeyResult,
    KrGrade,
    KrKind,
    Objective,
    PeriodClose,
    Person,
)

LAST_YEAR_DAYS = 364  # 52 weeks back, so weekdays line up
RECENT_DAYS = 14  # days whose level a forecast carries forward
MILESTONE_ON_TRACK = 7  # owner confidence (0–10) from which an open milestone is on track
MILESTONE_AT_RISK = 4  # ... and from which it is at risk rather than off track
NO_DATA_YET = "no data yet in this window"  # why a metric key result has no value

Filters = tuple[tuple[str, str], ...]


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KrEvaluation:
    """One key result as it stands: its definition, values, pace, status and forecast."""

    key_result_id: int
    objective_id: int
    title: str
    kind: str
    owner_id: int
    owner: str
    weight: float
    metric_id: str | None
    metric_label: str
    value_format: str  # number, money, percent or decimal
    filters: dict[str, str]
    direction: str | None
    window: str
    total_target: bool
    start: float | None
    target: float | None
    rule: str | None
    threshold: float | None
    unit: str
    window_start: date | None
    window_end: date | None
    current: float | None
    progress: float | None  # raw: above 1 is overachievement, below 0 is worse than the start
    expected: float | None
    status: str
    status_reason: str
    days_of_data: int
    denominator: float | None
    min_denominator: float | None
    forecast: float | None
    forecast_low: float | None  # 80 % band
    forecast_high: float | None
    probability: float | None
    confidence: int | None  # the last check-in's, 0–10
    confidence_at: datetime | None
    confidence_gap: float | None  # confidence / 10 − probability
    gap_flagged: bool
    met: bool | None  # guardrails
    days_in_breach: int | None
    done: bool | None  # milestones
    suggested_grade: float | None = None  # set once the quarter is closed
    grade: float | None = None
    grade_reason: str = ""
    grade_version: int | None = None

    @property
    def no_progress_reason(self) -> str:
        """Why there is no progress to show (e.g. "no data yet in this window"), shown in place
        of a percentage; "" when there is progress."""
        if self.progress is not None:
            return ""
        return self.status_reason or NO_DATA_YET

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready copy (dates and times as ISO text), as frozen at a quarter's close."""
        out = asdict(self)
        for name in ("window_start", "window_end", "confidence_at"):
            value = out[name]
            out[name] = value.isoformat() if value is not None else None
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KrEvaluation:
        """Rebuild an evaluation from its frozen JSON copy."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name in ("window_start", "window_end"):
            if values.get(name):
                values[name] = date.fromisoformat(values[name])
        if values.get("confidence_at"):
            values["confidence_at"] = datetime.fromisoformat(values["confidence_at"])
        values["filters"] = dict(values.get("filters") or {})
        return cls(**values)


@dataclass(frozen=True)
class ObjectiveEvaluation:
    """An objective with its key results, rolled up."""

    objective_id: int
    period: str
    title: str
    description: str
    owner_id: int
    owner: str
    parent_id: int | None
    parent_title: str | None
    weight: float
    progress: float | None  # weighted mean of clamped key result progress
    expected: float | None  # weighted mean of the key results' expected progress
    status: str
    key_results: tuple[KrEvaluation, ...]
    grade: float | None = None  # set once the quarter is closed
    status_reason: str = ""  # the worst key result behind pace, e.g. "Refunds is off track"

    def to_json(self) -> dict[str, Any]:
        """The objective's own fields, JSON-ready (its key results are frozen separately)."""
        out = asdict(self)
        out.pop("key_results")
        return out


@dataclass(frozen=True)
class PeriodEvaluation:
    """A quarter's objectives and key results, live or as frozen at its close."""

    period: str
    first_day: date
    last_day: date
    as_of: date
    elapsed_days: int
    total_days: int
    objectives: tuple[ObjectiveEvaluation, ...]
    closed: bool = False
    closed_at: datetime | None = None
    closed_by: str | None = None
    close_note: str = ""
    partial_days: tuple[PartialDay, ...] = ()  # days after as_of that do not count yet

    def key_results(self) -> list[KrEvaluation]:
        """Every key result of the quarter, objective by objective."""
        return [kr for objective in self.objectives for kr in objective.key_results]

    def key_result(self, key_result_id: int) -> KrEvaluation | None:
        """One key result of the quarter by id, or None."""
        return next((k for k in self.key_results() if k.key_result_id == key_result_id), None)

    def frame(self) -> pd.DataFrame:
        """One row per key result with its objective's title first."""
        rows = []
        for objective in self.objectives:
            for kr in objective.key_results:
                rows.append({"objective": objective.title, **asdict(kr)})
        columns = ["objective", *(f.name for f in fields(KrEvaluation))]
        return pd.DataFrame(rows, columns=columns)


# --- reading the store -------------------------------------------------------------------------


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
class _LastCheckIn:
    confidence: int | None = None
    at: datetime | None = None
    value: float | None = None


def _last_check_ins(session: Session, kr_ids: Sequence[int]) -> dict[int, _LastCheckIn]:
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
        kr_id: _LastCheckIn(confidence=confidence, at=at, value=values.get(kr_id))
        for kr_id, (confidence, at) in latest.items()
    }


def _filters_key(filters: Mapping[str, str] | None) -> Filters:
    return tuple(sorted((filters or {}).items()))


def _metric_problem(config: MetricsConfig, kr: KeyResult) -> str | None:
    """Why a stored key result's metric can no longer be read (metrics.yaml changed), if so."""
    if not kr.metric_id or kr.metric_id not in config.metrics:
        return f"metric {kr.metric_id!r} is not in metrics.yaml"
    allowed = config.metric_dimensions(kr.metric_id)
    for name, value in (kr.filters or {}).items():
        dimension = config.dimensions.get(name)
        if name not in allowed or dimension is None or value not in dimension.values:
            return f"the filter {name} = {value} no longer applies to {kr.metric_id}"
    return None


class _Problems:
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


def _denominator(config: MetricsConfig, metric_id: str) -> str | None:
    metric = config.metrics[metric_id]
    return metric.denominator if isinstance(metric, RatioMetric) else None


@dataclass
class _Reads:
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


def _read_metrics(
    session: Session,
    config: AppConfig,
    krs: Sequence[KeyResult],
    period: str,
    as_of: date,
    problems: _Problems,
) -> _Reads:
    """Every metric read of the quarter in one ``metric_reads`` call: one window read per
    (window, filters), one daily read per filters and one last-year read per filters."""
    metrics = config.metrics
    fiscal = config.settings.fiscal_year_start_month
    first, last = quarter_bounds(period, fiscal)
    reads = _Reads()
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
        key = _filters_key(kr.filters)
        window = kr.window.value
        if window not in bounds:
            bounds[window] = window_bounds(window, period, as_of, fiscal)
        start, end = bounds[window]
        by_window[(start, end, key)].add(kr.metric_id)
        daily_ids[key].add(kr.metric_id)
        denominator = _denominator(metrics, kr.metric_id)
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


# --- evaluation --------------------------------------------------------------------------------


def evaluate_period(
    *,
    session: Session,
    config: AppConfig,
    period: str,
    as_of: date | None = None,
    today: date | None = None,
) -> PeriodEvaluation:
    """Evaluate every active key result of a quarter live from the store and roll them up."""
    year, quarter = parse_quarter(period)
    period = f"{year:04d}-Q{quarter}"
    fiscal = config.settings.fiscal_year_start_month
    first, last = quarter_bounds(period, fiscal)
    partial: tuple[PartialDay, ...] = ()
    if as_of is None:
        as_of, partial = data_through(session=session, config=config, today=today)
    objectives = session.exec(
        select(Objective)
        .where(Objective.period == period, Objective.archived == False)  # noqa: E712
        .order_by(col(Objective.id))
    ).all()
    objective_ids = [o.id for o in objectives if o.id is not None]
    krs = (
        session.exec(
            select(KeyResult)
            .where(
                col(KeyResult.objective_id).in_(objective_ids),
                KeyResult.archived == False,  # noqa: E712
            )
            .order_by(col(KeyResult.id))
        ).all()
        if objective_ids
        else []
    )
    names = {pid: name for pid, name in session.exec(select(Person.id, Person.name)).all()}
    parent_ids = {o.parent_id for o in objectives if o.parent_id is not None}
    parents = (
        dict(
            session.exec(
                select(Objective.id, Objective.title).where(col(Objective.id).in_(parent_ids))
            ).all()
        )
        if parent_ids
        else {}
    )
    check_ins = _last_check_ins(session, [kr.id for kr in krs if kr.id is not None])
    problems = _Problems(config.metrics)
    reads = _read_metrics(session, config, krs, period, as_of, problems)
    context = _Context(
        config=config,
        period=period,
        first=first,
        last=last,
        as_of=as_of,
        elapsed=elapsed_days(period, as_of, fiscal),
        total=days_in_period(period, fiscal),
        reads=reads,
        problems=problems,
    )
    by_objective: dict[int, list[KrEvaluation]] = defaultdict(list)
    for kr in krs:
        evaluation = _evaluate_kr(
            kr, context, names.get(kr.owner_id, "?"), check_ins.get(_pk(kr.id), _LastCheckIn())
        )
        by_objective[kr.objective_id].append(evaluation)
    rolled = tuple(
        roll_up_objective(
            objective_id=_pk(o.id),
            period=o.period,
            title=o.title,
            description=o.description,
            owner_id=o.owner_id,
            owner=names.get(o.owner_id, "?"),
            parent_id=o.parent_id,
            parent_title=parents.get(o.parent_id) if o.parent_id is not None else None,
            weight=o.weight,
            key_results=by_objective.get(_pk(o.id), []),
            okr=config.settings.okr,
        )
        for o in objectives
    )
    return PeriodEvaluation(
        period=period,
        first_day=first,
        last_day=last,
        as_of=as_of,
        elapsed_days=context.elapsed,
        total_days=context.total,
        objectives=rolled,
        partial_days=partial,
    )


def roll_up_objective(
    *,
    objective_id: int,
    period: str,
    title: str,
    description: str,
    owner_id: int,
    owner: str,
    parent_id: int | None,
    parent_title: str | None,
    weight: float,
    key_results: Sequence[KrEvaluation],
    okr: OkrSettings,
) -> ObjectiveEvaluation:
    """An objective's progress (weighted mean, clamped), pace, status and its reason."""
    progress = objective_progress([(kr.progress, kr.weight) for kr in key_results])
    # The pace is taken over the key results the progress counts, so the two compare like for like.
    counted = [kr for kr in key_results if kr.progress is not None and math.isfinite(kr.progress)]
    paced = [(kr.expected, kr.weight) for kr in counted or key_results if kr.expected is not None]
    expected = objective_progress(paced) if paced else None
    status = objective_status(
        progress=progress, expected=expected, statuses=[kr.status for kr in key_results], okr=okr
    )
    worst = worst_key_result((kr.title, kr.status) for kr in key_results)
    reason = f"{worst[0]} is {worst[1].replace('_', ' ')}" if worst else ""
    return ObjectiveEvaluation(
        objective_id=objective_id,
        period=period,
        title=title,
        description=description,
        owner_id=owner_id,
        owner=owner,
        parent_id=parent_id,
        parent_title=parent_title,
        weight=weight,
        progress=progress,
        expected=expected,
        status=status.value,
        key_results=tuple(key_results),
        status_reason=reason,
    )


def _pk(value: int | None) -> int:
    assert value is not None
    return value


@dataclass(frozen=True)
class _Context:
    config: AppConfig
    period: str
    first: date
    last: date
    as_of: date
    elapsed: int
    total: int
    reads: _Reads
    problems: _Problems
    # Worked out once per evaluation rather than once per key result:
    _days: dict[tuple[date, date], list[date]] = field(default_factory=dict)
    _shapes: dict[str, MetricShape] = field(default_factory=dict)
    _bounds: dict[str, tuple[date, date]] = field(default_factory=dict)
    _lengths: dict[str, int] = field(default_factory=dict)
    _views: dict[tuple[Filters, str, date, date], _DailyView] = field(default_factory=dict)

    @property
    def remaining(self) -> int:
        """Days of the quarter after as_of."""
        return max(0, (self.last - max(self.as_of, self.first)).days)

    def days(self, start: date, end: date) -> list[date]:
        """day_range(start, end), shared: callers must not change it."""
        found = self._days.get((start, end))
        if found is None:
            found = self._days[(start, end)] = day_range(start, end)
        return found

    def daily_view(self, key: Filters, metric_id: str, start: date, end: date) -> _DailyView:
        """A metric's daily values under the filters as a window sees them, shared by the key
        results with the same metric, filters and window."""
        found = self._views.get((key, metric_id, start, end))
        if found is None:
            found = self._views[(key, metric_id, start, end)] = _daily_view(
                self, key, metric_id, start, end
            )
        return found

    def shape(self, metric_id: str) -> MetricShape:
        """The metric's shape (see planning.metrics.shapes)."""
        found = self._shapes.get(metric_id)
        if found is None:
            found = self._shapes[metric_id] = metric_shape(self.config.metrics, metric_id)
        return found

    def bounds(self, window: str) -> tuple[date, date]:
        """The window's (start, end) as of the context's day."""
        found = self._bounds.get(window)
        if found is None:
            fiscal = self.config.settings.fiscal_year_start_month
            found = window_bounds(window, self.period, self.as_of, fiscal)
            self._bounds[window] = found
        return found

    def length(self, window: str) -> int:
        """The window's length once complete, as ``window_length(window, period)``."""
        found = self._lengths.get(window)
        if found is None:
            fiscal = self.config.settings.fiscal_year_start_month
            found = self._lengths[window] = window_length(window, self.period, fiscal)
        return found


@dataclass(frozen=True)
class _DailyView:
    """A metric's daily values as one window sees them (None where a day has no value)."""

    window_days: list[date]
    in_window: tuple[float | None, ...]  # one per day of the window
    days_of_data: int
    series: tuple[float | None, ...]  # one per recent day: the window, or its last RECENT_DAYS
    weights: tuple[float | None, ...] | None  # a ratio's daily denominators on those days
    denominator: float | None  # a ratio's denominator over the window


def _daily_view(
    context: _Context, key: Filters, metric_id: str, start: date, end: date
) -> _DailyView:
    metrics = context.config.metrics
    daily_all = context.reads.daily.get(key, {})
    daily = daily_all.get(metric_id, {})
    window_days = context.days(start, end)
    in_window = tuple(daily.get(d) for d in window_days)
    recent_days = context.days(min(start, end - timedelta(days=RECENT_DAYS - 1)), end)
    denominator_id = _denominator(metrics, metric_id)
    if not denominator_id:
        weights, denominator = None, None
    else:
        weights_by_day = daily_all.get(f"measure:{denominator_id}", {})
        weights = tuple(weights_by_day.get(d) for d in recent_days)
        aggregation = metrics.measures[denominator_id].aggregation
        denominator = _window_total(weights_by_day, window_days, aggregation)
    return _DailyView(
        window_days=window_days,
        in_window=in_window,
        days_of_data=len(in_window) - in_window.count(None),
        series=tuple(daily.get(d) for d in recent_days),
        weights=weights,
        denominator=denominator,
    )


def day_range(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _base(kr: KeyResult, context: _Context, owner: str) -> dict[str, Any]:
    metrics = context.config.metrics
    metric = metrics.metrics.get(kr.metric_id) if kr.metric_id else None
    return {
        "key_result_id": _pk(kr.id),
        "objective_id": kr.objective_id,
        "title": kr.title,
        "kind": kr.kind.value,
        "owner_id": kr.owner_id,
        "owner": owner,
        "weight": kr.weight,
        "metric_id": kr.metric_id,
        "metric_label": metric.label if metric else (kr.metric_id or ""),
        "value_format": metric.format if metric else "number",
        "filters": dict(kr.filters or {}),
        "direction": kr.direction.value if kr.direction else None,
        "window": kr.window.value,
        "total_target": kr.total_target,
        "start": kr.start_value,
        "target": kr.target_value,
        "rule": kr.guardrail_rule.value if kr.guardrail_rule else None,
        "threshold": kr.threshold,
        "unit": kr.unit,
        "window_start": None,
        "window_end": None,
        "current": None,
        "progress": None,
        "expected": None,
        "status": Status.too_early.value,
        "status_reason": "",
        "days_of_data": 0,
        "denominator": None,
        "min_denominator": None,
        "forecast": None,
        "forecast_low": None,
        "forecast_high": None,
        "probability": None,
        "confidence": None,
        "confidence_at": None,
        "confidence_gap": None,
        "gap_flagged": False,
        "met": None,
        "days_in_breach": None,
        "done": None,
    }


def _evaluate_kr(
    kr: KeyResult, context: _Context, owner: str, check_in: _LastCheckIn
) -> KrEvaluation:
    values = _base(kr, context, owner)
    values["confidence"] = check_in.confidence
    values["confidence_at"] = check_in.at
    if kr.kind in (KrKind.metric, KrKind.guardrail):
        try:
            values.update(_metric_values(kr, context))
        except OverflowError:  # extreme stored values: no value, never a failed page
            values["status_reason"] = NOT_COMPUTABLE
    elif kr.kind == KrKind.milestone:
        values.update(_milestone_values(kr, context, check_in))
    else:
        values.update(_manual_values(kr, context, check_in))
    _drop_non_finite(values)
    probability = values["probability"]
    if check_in.confidence is not None and probability is not None:
        gap = confidence_gap(
            confidence=check_in.confidence,
            probability=probability,
            threshold=context.config.settings.okr.confidence_gap,
        )
        values["confidence_gap"] = gap.difference
        values["gap_flagged"] = gap.flagged
    return KrEvaluation(**values)


NOT_COMPUTABLE = "no value: the data hold numbers too large to compute with"


def _drop_non_finite(values: dict[str, Any]) -> None:
    """Make every non-finite figure (inf, nan from extreme data) None, saying why."""
    dropped = [
        name
        for name, value in values.items()
        if isinstance(value, float) and not math.isfinite(value)
    ]
    for name in dropped:
        values[name] = None
    if dropped and NOT_COMPUTABLE not in values["status_reason"]:
        values["status_reason"] = "; ".join(filter(None, [values["status_reason"], NOT_COMPUTABLE]))


def _window_total(
    daily: Mapping[date, float], days: Sequence[date], aggregation: str
) -> float | None:
    known = [daily[d] for d in days if d in daily]
    if not known:
        return None
    return known[-1] if aggregation == "last" else sum(known)


def _forecast_fields(forecast: Forecast | None) -> dict[str, Any]:
    if forecast is None:
        return {}
    return {
        "forecast": forecast.value,
        "forecast_low": forecast.low,
        "forecast_high": forecast.high,
        "probability": forecast.probability,
    }


def _metric_values(kr: KeyResult, context: _Context) -> dict[str, Any]:
    metrics = context.config.metrics
    okr = context.config.settings.okr
    problem = context.problems.of(kr)
    if problem:
        return {"status_reason": f"cannot be read: {problem}"}
    if context.as_of < context.first:
        return {"status_reason": NO_DATA_YET}
    assert kr.metric_id is not None
    key = _filters_key(kr.filters)
    start, end = context.bounds(kr.window.value)
    current = context.reads.window_values.get((start, end, key), {}).get(kr.metric_id)
    view = context.daily_view(key, kr.metric_id, start, end)
    in_window, days_of_data = view.in_window, view.days_of_data
    series, weights = view.series, view.weights
    out: dict[str, Any] = {
        "window_start": start,
        "window_end": end,
        "current": current,
        "days_of_data": days_of_data,
    }
    shape = context.shape(kr.metric_id)
    denominator_id = _denominator(metrics, kr.metric_id)
    min_denominator = 0.0
    if denominator_id:
        metric = metrics.metrics[kr.metric_id]
        assert isinstance(metric, RatioMetric)
        min_denominator = metric.min_denominator
        out["denominator"] = view.denominator
        out["min_denominator"] = min_denominator
    span = 1 if shape == MetricShape.snapshot else context.length(kr.window.value)

    if kr.kind == KrKind.guardrail:
        assert kr.guardrail_rule is not None and kr.threshold is not None
        rule = kr.guardrail_rule.value
        running = context.reads.running.get((kr.window.value, key), {}).get(kr.metric_id, {})
        result = guardrail_check(
            rule=rule,
            threshold=kr.threshold,
            current=current,
            running_values=[running.get(d) for d in context.days(context.first, end)],
        )
        direction = "increase" if rule == "stay_above" else "decrease"
        projection = forecast_level(
            daily_values=series,
            remaining_days=context.remaining,
            window_days=span,
            target=kr.threshold,
            direction=direction,
            additive=shape == MetricShape.additive,
            daily_weights=weights,
            recent_days=RECENT_DAYS,
            # Over the quarter to date every day so far stays in the window: its value so far
            # is known exactly, whatever the metric's shape.
            known_value=current if kr.window.value == "period_to_date" else None,
        )
        if result.met is not None and context.remaining == 0:
            # The window is complete: its value is final.
            projection = (
                Forecast(value=current, probability=float(result.met), low=current, high=current)
                if current is not None
                else projection
            )
        probability = projection.probability if projection is not None else None
        denominator = out.get("denominator")
        status = guardrail_status(
            result=result,
            probability=probability,
            days_of_data=days_of_data,
            okr=okr,
            denominator=denominator if denominator_id else None,
            min_denominator=min_denominator,
        )
        out.update(_forecast_fields(projection))
        out["met"] = result.met
        out["days_in_breach"] = result.days_in_breach if result.met is not None else None
        out["progress"] = result.progress
        out["status"] = status.value
        out["status_reason"] = _guardrail_reason(
            kr,
            result,
            status,
            probability,
            days_of_data,
            okr.too_early_days,
            denominator,
            min_denominator,
        )
        return out

    assert kr.direction is not None and kr.start_value is not None
    assert kr.target_value is not None
    direction = kr.direction.value
    progress = (
        kr_progress(
            direction=direction, start=kr.start_value, target=kr.target_value, current=current
        )
        if current is not None
        else None
    )
    forecast: Forecast | None
    if kr.total_target:
        last_year = context.reads.last_year.get(key, {}).get(kr.metric_id, {})
        shift = timedelta(days=LAST_YEAR_DAYS)
        last_year_daily = [
            last_year.get(d - shift) for d in context.days(context.first, context.last)
        ]
        expected = expected_progress(
            elapsed_days=context.elapsed,
            total_days=context.total,
            last_year_daily=last_year_daily,
        )
        forecast = forecast_total(
            daily_values=in_window,
            total_days=context.total,
            target=kr.target_value,
            direction=direction,
            last_year_daily=last_year_daily,
        )
    else:
        expected = linear_expected(context.elapsed, context.total)
        forecast = forecast_level(
            daily_values=series,
            remaining_days=context.remaining,
            window_days=span,
            target=kr.target_value,
            direction=direction,
            additive=shape == MetricShape.additive,
            daily_weights=weights,
            recent_days=RECENT_DAYS,
        )
    denominator = out.get("denominator")
    status = kr_status(
        progress=progress,
        expected=expected,
        days_of_data=days_of_data,
        okr=okr,
        denominator=denominator if denominator_id else None,
        min_denominator=min_denominator,
    )
    out.update(
        {
            "progress": progress,
            "expected": expected,
            "status": status.value,
            "status_reason": _metric_reason(
                status, days_of_data, okr.too_early_days, denominator, min_denominator, current
            ),
        }
    )
    out.update(_forecast_fields(forecast))
    return out


def _guardrail_reason(
    kr: KeyResult,
    result: GuardrailResult,
    status: Status,
    probability: float | None,
    days_of_data: int,
    too_early_days: int,
    denominator: float | None,
    min_denominator: float,
) -> str:
    """Why a guardrail stands where it does, in the words the Goals page shows."""
    if result.met is None:
        return NO_DATA_YET
    days = result.days_in_breach
    breach_days = f"in breach on {days} day{'s' if days != 1 else ''} so far"
    above = kr.guardrail_rule is not None and kr.guardrail_rule.value == "stay_above"
    past = f"the window value is {'below' if above else 'above'} the threshold"
    if status == Status.too_early:
        early = _metric_reason(
            status, days_of_data, too_early_days, denominator, min_denominator, 0.0
        )
        return early + ("" if result.met else f"; {past}")
    if not result.met:
        return f"{past}; {breach_days}"
    if status == Status.at_risk and probability is not None:
        return f"holds, but only a {probability:.0%} chance it still holds at the end"
    return "holds" + (f"; was {breach_days}" if days else "")


def _metric_reason(
    status: Status,
    days_of_data: int,
    too_early_days: int,
    denominator: float | None,
    min_denominator: float,
    current: float | None,
) -> str:
    if status != Status.too_early:
        return ""
    if current is None:
        return NO_DATA_YET
    if days_of_data < too_early_days:
        return f"{days_of_data} of {too_early_days} days of data so far"
    if denominator is not None and denominator < min_denominator:
        return (
            f"only {denominator:,.0f} in the denominator, below the {min_denominator:,.0f} needed"
        )
    return ""


def _milestone_values(kr: KeyResult, context: _Context, check_in: _LastCheckIn) -> dict[str, Any]:
    out: dict[str, Any] = {"done": kr.done, "progress": milestone_progress(kr.done)}
    if kr.done:
        out.update({"status": Status.on_track.value, "status_reason": "done", "probability": 1.0})
    elif context.as_of >= context.last:
        out.update({"status": Status.off_track.value, "status_reason": "not done by the end"})
    elif check_in.confidence is None:
        out["status_reason"] = "no check-in yet"
    elif check_in.confidence >= MILESTONE_ON_TRACK:
        out.update(
            {
                "status": Status.on_track.value,
                "status_reason": f"owner's confidence {check_in.confidence}/10",
            }
        )
    elif check_in.confidence >= MILESTONE_AT_RISK:
        out.update(
            {
                "status": Status.at_risk.value,
                "status_reason": f"owner's confidence {check_in.confidence}/10",
            }
        )
    else:
        out.update(
            {
                "status": Status.off_track.value,
                "status_reason": f"owner's confidence {check_in.confidence}/10",
            }
        )
    return out


def _manual_values(kr: KeyResult, context: _Context, check_in: _LastCheckIn) -> dict[str, Any]:
    okr = context.config.settings.okr
    expected = linear_expected(context.elapsed, context.total)
    current = check_in.value
    out: dict[str, Any] = {"expected": expected, "current": current}
    if current is None or kr.direction is None or kr.start_value is None:
        out["status_reason"] = "no check-in with a value yet"
        return out
    assert kr.target_value is not None
    progress = kr_progress(
        direction=kr.direction.value, start=kr.start_value, target=kr.target_value, current=current
    )
    status = kr_status(progress=progress, expected=expected, days_of_data=context.elapsed, okr=okr)
    out.update(
        {
            "progress": progress,
            "status": status.value,
            "days_of_data": context.elapsed,
            "status_reason": (
                f"{context.elapsed} of {okr.too_early_days} days into the quarter"
                if status == Status.too_early
                else ""
            ),
        }
    )
    return out


# --- frozen quarters ---------------------------------------------------------------------------


def frozen_period(
    *, session: Session, period: str, fiscal_start_month: int = 1
) -> PeriodEvaluation | None:
    """A closed quarter exactly as it was evaluated and graded at its close, or None."""
    close = session.exec(select(PeriodClose).where(PeriodClose.period == period)).first()
    if close is None:
        return None
    grades = session.exec(
        select(KrGrade)
        .where(KrGrade.period_close_id == close.id)
        .order_by(col(KrGrade.key_result_id))
    ).all()
    by_objective: dict[int, list[KrEvaluation]] = defaultdict(list)
    for grade in grades:
        kr = KrEvaluation.from_json(grade.evaluation)
        by_objective[grade.objective_id].append(
            replace(
                kr,
                suggested_grade=grade.suggested,
                grade=grade.grade,
                grade_reason=grade.reason,
                grade_version=grade.version,
            )
        )
    objectives = []
    for data in close.objectives:
        krs = by_objective.get(int(data["objective_id"]), [])
        known = {f.name for f in fields(ObjectiveEvaluation)} - {"key_results", "grade"}
        objective = ObjectiveEvaluation(
            **{k: v for k, v in data.items() if k in known},
            key_results=tuple(krs),
            grade=objective_grade([(kr.grade or 0.0, kr.weight) for kr in krs]) if krs else None,
        )
        objectives.append(objective)
    closer = session.get(Person, close.closed_by)
    first, last = quarter_bounds(period, fiscal_start_month)
    as_of = close.as_of
    return PeriodEvaluation(
        period=period,
        first_day=first,
        last_day=last,
        as_of=as_of,
        elapsed_days=elapsed_days(period, as_of, fiscal_start_month),
        total_days=days_in_period(period, fiscal_start_month),
        objectives=tuple(objectives),
        closed=True,
        closed_at=close.closed_at,
        closed_by=closer.name if closer else None,
        close_note=close.note,
    )


def period_goals(
    *,
    session: Session,
    config: AppConfig,
    period: str,
    as_of: date | None = None,
    today: date | None = None,
) -> PeriodEvaluation:
    """A quarter's goals: the frozen snapshot once it is closed, else evaluated live."""
    year, quarter = parse_quarter(period)
    period = f"{year:04d}-Q{quarter}"
    frozen = frozen_period(
        session=session,
        period=period,
        fiscal_start_month=config.settings.fiscal_year_start_month,
    )
    if frozen is not None:
        return frozen
    return evaluate_period(session=session, config=config, period=period, as_of=as_of, today=today)


def key_results_frame(evaluations: Iterable[KrEvaluation]) -> pd.DataFrame:
    """Key result evaluations as a DataFrame, one row each."""
    rows = [asdict(e) for e in evaluations]
    return pd.DataFrame(rows, columns=[f.name for f in fields(KrEvaluation)])


# --- reporting ---------------------------------------------------------------------------------


def format_kr_value(kr: KrEvaluation, value: float | None, *, currency_symbol: str = "$") -> str:
    """A key result's value as people read it: the metric's format, or the manual unit."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kr.kind == "manual" or not kr.metric_id:
        return f"{value:,.6g} {kr.unit}".rstrip()
    return format_value(value, kr.value_format, currency_symbol=currency_symbol)


def report_rows(evaluation: PeriodEvaluation) -> list[dict[str, Any]]:
    """One JSON-ready mapping per key result, objective by objective (what the CLI prints)."""
    rows: list[dict[str, Any]] = []
    for objective in evaluation.objectives:
        for kr in objective.key_results:
            row: dict[str, Any] = {
                "objective": objective.title,
                "key_result": kr.title,
                "key_result_id": kr.key_result_id,
                "kind": kr.kind,
                "owner": kr.owner,
                "weight": kr.weight,
                "current": kr.current,
                "progress": kr.progress,
                "expected": kr.expected,
                "status": kr.status,
                "status_reason": kr.status_reason,
                "forecast": kr.forecast,
                "forecast_low": kr.forecast_low,
                "forecast_high": kr.forecast_high,
                "probability": kr.probability,
                "confidence": kr.confidence,
                "confidence_gap": kr.confidence_gap,
                "gap_flagged": kr.gap_flagged,
            }
            if kr.kind == "metric":
                row.update(
                    metric=kr.metric_id,
                    filters=kr.filters,
                    window=kr.window,
                    direction=kr.direction,
                    total_target=kr.total_target,
                    start=kr.start,
                    target=kr.target,
                )
            elif kr.kind == "guardrail":
                row.update(
                    metric=kr.metric_id,
                    filters=kr.filters,
                    window=kr.window,
                    rule=kr.rule,
                    threshold=kr.threshold,
                    start=None,
                    target=kr.threshold,
                    met=kr.met,
                    days_in_breach=kr.days_in_breach,
                )
            elif kr.kind == "manual":
                row.update(direction=kr.direction, start=kr.start, target=kr.target, unit=kr.unit)
            else:
                row["done"] = kr.done
            if evaluation.closed:
                row.update(
                    grade=kr.grade,
                    suggested_grade=kr.suggested_grade,
                    grade_reason=kr.grade_reason,
                )
            rows.append(row)
    return rows
