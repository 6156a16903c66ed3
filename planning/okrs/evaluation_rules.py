"""The rules that turn one key result's values into its progress, pace, status, forecast and
confidence gap (DESIGN.md §4); planning.okrs.evaluation_rollup rolls key results up to their
objective. The maths is planning.okrs.maths's; the values come from
planning.okrs.evaluation_reads; the words of each status's reason from
planning.okrs.evaluation_text.

- Metric key results: progress by the increase or decrease formula, raw (overachievement kept).
  A running total (an additive metric over the quarter to date, ``total_target``) is paced by
  last year's seasonal shape (the same days 364 days back, so weekdays line up), falling back to
  linear; every other key result is paced linearly over the quarter up to ``as_of``.
  ``too_early`` with fewer than ``okr.too_early_days`` days of data in the window, or when a
  ratio's denominator over the window is below the metric's ``min_denominator``.
- Forecasts: running totals use ``okr.forecast_total`` (actual so far + run rate × remaining days
  weighted by last year's remaining seasonal share; analytic normal bound from the spread of daily
  values). Everything else uses ``okr.forecast_level`` (the remaining days run at the level of the
  last 14 days, weighted by the daily denominators for a ratio; analytic normal bound); a snapshot
  metric is a window of one day. Derived and weighted-average metrics (gross margin, organic
  position) are projected from their daily values unweighted.
- Guardrails: judged on their window's value, read exactly as a metric key result with the same
  metric, filters and window reads it (not on single days). Met while that value holds (the
  threshold is inclusive), breached while it does not; "days in breach" counts the days of the
  quarter so far on which the window value as of that day was past the threshold. Status:
  ``too_early`` as a metric key result (no value, too few days, a ratio's denominator too small);
  else off track while breached, on track while held and the forecast of the window's value at
  the quarter's end holds with probability ≥ 0.5 (or there is no forecast yet), at risk while
  held but less likely to hold. The forecast is ``forecast_level`` starting, over the quarter to
  date, from the window's value so far; once the quarter is over the value is final.
- A metric or guardrail key result with no value in its window (a quarter's first day, a filter
  with no observations) has no progress and says "no data yet in this window".
- Milestones: progress 1 when done, else 0. A done milestone is on track; an open one in a running
  quarter takes its status from the owner's last confidence (7–10 on track, 4–6 at risk, 0–3 off
  track; too early before any check-in) and is off track once the quarter is over.
- Manual key results: the value of the latest check-in that has one; paced linearly; no forecast.
- Confidence gap: the last check-in's confidence (0–10, read as 0–1) against the forecast's
  probability, flagged beyond ``okr.confidence_gap``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any

from planning.config import AppConfig
from planning.config.metrics import RatioMetric
from planning.i18n import gettext as _
from planning.metrics.shapes import MetricShape, metric_shape
from planning.okrs.backtest_fit import Calibration, calibrate
from planning.okrs.backtest_replay import kind_of
from planning.okrs.evaluation_reads import (
    LAST_YEAR_DAYS,
    RECENT_DAYS,
    Filters,
    LastCheckIn,
    MetricProblems,
    QuarterReads,
    day_range,
    filters_key,
    ratio_denominator,
)
from planning.okrs.evaluation_results import NO_DATA_YET, KrEvaluation
from planning.okrs.evaluation_text import (
    NOT_COMPUTABLE,
    guardrail_reason,
    manual_reason,
    metric_reason,
    milestone_reason,
)
from planning.okrs.goal_reads import flushed_id
from planning.okrs.maths import (
    Forecast,
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
)
from planning.periods import window_bounds, window_length
from planning.store.models import KeyResult, KrKind

MILESTONE_ON_TRACK = 7  # owner confidence (0–10) from which an open milestone is on track
MILESTONE_AT_RISK = 4  # ... and from which it is at risk rather than off track


@dataclass(frozen=True)
class EvaluationContext:
    """A quarter being evaluated: its days, the reads done for it and what they cost to work out
    again, shared by every key result."""

    config: AppConfig
    period: str
    first: date
    last: date
    as_of: date
    elapsed: int
    total: int
    reads: QuarterReads
    problems: MetricProblems
    # Days of the quarter on the calendar up to today: a manual key result's check-ins wait for
    # no data, so its day count and its pace are the calendar's (day 1 on the quarter's first day).
    calendar_elapsed: int
    # Worked out once per evaluation rather than once per key result:
    _days: dict[tuple[date, date], list[date]] = field(default_factory=dict)
    _shapes: dict[str, MetricShape] = field(default_factory=dict)
    _bounds: dict[str, tuple[date, date]] = field(default_factory=dict)
    _lengths: dict[str, int] = field(default_factory=dict)
    _views: dict[tuple[Filters, str, date, date], _DailyView] = field(default_factory=dict)
    # The store's backtest calibration (planning.okrs.backtest); None leaves forecasts raw.
    calibration: Calibration | None = None

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
    context: EvaluationContext, key: Filters, metric_id: str, start: date, end: date
) -> _DailyView:
    metrics = context.config.metrics
    daily_all = context.reads.daily.get(key, {})
    daily = daily_all.get(metric_id, {})
    window_days = context.days(start, end)
    in_window = tuple(daily.get(d) for d in window_days)
    recent_days = context.days(min(start, end - timedelta(days=RECENT_DAYS - 1)), end)
    denominator_id = ratio_denominator(metrics, metric_id)
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


def _base(kr: KeyResult, context: EvaluationContext, owner: str) -> dict[str, Any]:
    metrics = context.config.metrics
    metric = metrics.metrics.get(kr.metric_id) if kr.metric_id else None
    return {
        "key_result_id": flushed_id(kr.id),
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


def evaluate_kr(
    kr: KeyResult, context: EvaluationContext, owner: str, check_in: LastCheckIn
) -> KrEvaluation:
    """One key result as it stands on the context's day, by the rules of its kind."""
    values = _base(kr, context, owner)
    values["confidence"] = check_in.confidence
    values["confidence_at"] = check_in.at
    if kr.kind in (KrKind.metric, KrKind.guardrail):
        try:
            values.update(_metric_values(kr, context))
        except OverflowError:  # extreme stored values: no value, never a failed page
            values["status_reason"] = _(NOT_COMPUTABLE)
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


def _drop_non_finite(values: dict[str, Any]) -> None:
    """Make every non-finite figure (inf, nan from extreme data) None, saying why."""
    dropped = [
        name
        for name, value in values.items()
        if isinstance(value, float) and not math.isfinite(value)
    ]
    for name in dropped:
        values[name] = None
    if dropped and _(NOT_COMPUTABLE) not in values["status_reason"]:
        values["status_reason"] = "; ".join(
            filter(None, [values["status_reason"], _(NOT_COMPUTABLE)])
        )


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


def _calibrated(
    forecast: Forecast | None,
    context: EvaluationContext,
    kr: KeyResult,
    target: float,
    direction: str,
) -> tuple[Forecast | None, dict[str, Any]]:
    """The forecast through the store's backtest calibration, with the fields saying how far its
    probability can be trusted. The status and the confidence gap read the probability (raw with
    little history); pages show the range instead."""
    if forecast is None or context.remaining == 0:
        return forecast, {}
    assert kr.metric_id is not None
    found = calibrate(
        forecast,
        calibration=context.calibration,
        metric_id=kr.metric_id,
        kind=kind_of(total_target=bool(kr.total_target), window=kr.window.value),
        target=target,
        direction=direction,
        remaining=context.remaining / context.total,
    )
    return found.forecast, {
        "probability_basis": found.basis,
        "probability_low": found.low,
        "probability_high": found.high,
    }


def _metric_values(kr: KeyResult, context: EvaluationContext) -> dict[str, Any]:
    metrics = context.config.metrics
    okr = context.config.settings.okr
    problem = context.problems.of(kr)
    if problem:
        return {"status_reason": _("cannot be read: {problem}").format(problem=problem)}
    if context.as_of < context.first:
        return {"status_reason": _(NO_DATA_YET)}
    assert kr.metric_id is not None
    key = filters_key(kr.filters)
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
    denominator_id = ratio_denominator(metrics, kr.metric_id)
    min_denominator = 0.0
    if denominator_id:
        metric = metrics.metrics[kr.metric_id]
        assert isinstance(metric, RatioMetric)
        min_denominator = metric.min_denominator
        out["denominator"] = view.denominator
        out["min_denominator"] = min_denominator
    span = 1 if shape == MetricShape.snapshot else context.length(kr.window.value)
    # Guardrails and level key results project the window's recent level alike; only the target
    # (and, over the quarter to date, a known value) differ.
    level = partial(
        forecast_level,
        daily_values=series,
        remaining_days=context.remaining,
        window_days=span,
        additive=shape == MetricShape.additive,
        daily_weights=weights,
        recent_days=RECENT_DAYS,
    )

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
        projection = level(
            target=kr.threshold,
            direction=direction,
            # Over the quarter to date every day so far stays in the window: its value so far
            # is known exactly, whatever the metric's shape.
            known_value=current if kr.window.value == "period_to_date" else None,
        )
        projection, trust = _calibrated(projection, context, kr, kr.threshold, direction)
        out.update(trust)
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
        out["status_reason"] = guardrail_reason(
            rule,
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
        forecast = level(target=kr.target_value, direction=direction)
    forecast, trust = _calibrated(forecast, context, kr, kr.target_value, direction)
    out.update(trust)
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
            "status_reason": metric_reason(
                status, days_of_data, okr.too_early_days, denominator, min_denominator, current
            ),
        }
    )
    out.update(_forecast_fields(forecast))
    return out


def _milestone_values(
    kr: KeyResult, context: EvaluationContext, check_in: LastCheckIn
) -> dict[str, Any]:
    # A milestone is due by the quarter's end on the calendar, whatever day the metric data stops.
    over = context.calendar_elapsed >= context.total
    confidence = check_in.confidence
    if kr.done:
        status = Status.on_track
    elif over:
        status = Status.off_track
    elif confidence is None:
        status = Status.too_early
    elif confidence >= MILESTONE_ON_TRACK:
        status = Status.on_track
    elif confidence >= MILESTONE_AT_RISK:
        status = Status.at_risk
    else:
        status = Status.off_track
    out: dict[str, Any] = {
        "done": kr.done,
        "progress": milestone_progress(kr.done),
        "status": status.value,
        "status_reason": milestone_reason(done=kr.done, over=over, confidence=confidence),
    }
    if kr.done:
        out["probability"] = 1.0
    return out


def _manual_values(
    kr: KeyResult, context: EvaluationContext, check_in: LastCheckIn
) -> dict[str, Any]:
    okr = context.config.settings.okr
    # Its pace follows the calendar like its day count: stale metric data does not slow it.
    expected = linear_expected(context.calendar_elapsed, context.total)
    current = check_in.value
    out: dict[str, Any] = {"expected": expected, "current": current}
    if current is None or kr.direction is None or kr.start_value is None:
        out["status_reason"] = manual_reason(status=None, elapsed=0, too_early_days=0)
        return out
    assert kr.target_value is not None
    progress = kr_progress(
        direction=kr.direction.value, start=kr.start_value, target=kr.target_value, current=current
    )
    days = context.calendar_elapsed
    status = kr_status(progress=progress, expected=expected, days_of_data=days, okr=okr)
    out.update(
        {
            "progress": progress,
            "status": status.value,
            "days_of_data": days,
            "status_reason": manual_reason(
                status=status, elapsed=days, too_early_days=okr.too_early_days
            ),
        }
    )
    return out
