"""The forecast backtest's replay (pure): each metric's forecaster run again on its own past
quarters at fixed checkpoints, and set against what the window really came to
(planning.okrs.backtest describes the whole method)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from planning.metrics.shapes import MetricShape
from planning.okrs.evaluation_reads import (
    LAST_YEAR_DAYS,
    RECENT_DAYS,
)
from planning.okrs.maths import STANDARD_NORMAL, Z_80, Forecast, forecast_level, forecast_total
from planning.periods import (
    quarter_bounds,
    window_bounds,
    window_length,
)

CHECKPOINTS = (15, 30, 46, 60, 75)  # days into a quarter at which a past quarter is replayed
TARGET_STEPS = (-2.0, -1.0, -0.5, -0.25, 0.25, 0.5, 1.0, 2.0)  # × the metric's outcome spread
MIN_QUARTERS = 4  # past quarters of a metric before its probability is a calibrated number
WIDE = 2.0  # with little history, the range runs to the probability of a band this much wider
SHRINK = 10.0  # cases of pooled weight a (metric, kind)'s drift factor is shrunk with
BINS = 10  # reliability bins of width 0.1
GRID = 1000  # stated probabilities are pooled to this grid before the step map is fitted
TOTAL = "total"  # a running total over the quarter
LEVEL_WINDOWS = ("period_to_date", "trailing_7d", "trailing_28d")
MIN_SPREAD = 0.01  # relative target spread floor, for a metric whose outcomes barely move


def kind_of(*, total_target: bool, window: str) -> str:
    """The backtest kind of a metric key result: ``total`` or ``level:<window>``."""
    return TOTAL if total_target else f"level:{window}"


# --- the replay -------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricHistory:
    """One metric's past as the replay needs it: its shape, its daily values and (for a ratio)
    daily denominators, and what each window really came to at each past quarter's end."""

    metric_id: str
    shape: MetricShape
    daily: Mapping[date, float]
    weights: Mapping[date, float] | None
    outcomes: Mapping[tuple[str, str], float]  # (period, kind) -> the window's value at its end


@dataclass(frozen=True)
class Case:
    """One replayed forecast: what the forecaster projected at a checkpoint, with its spread,
    and what the window came to. ``scale`` is the metric's spread used to place targets."""

    metric_id: str
    kind: str
    period: str
    checkpoint: int
    value: float
    sd: float
    outcome: float
    scale: float
    remaining: float = 0.0  # share of the quarter's days still to come at the checkpoint


class DayValues:
    """A metric's values by day, read a run of days at a time: ``run(start, end)`` is
    ``[by_day.get(d) for each day d from start to end]``, one list slice when every key is a
    plain date (the replay reads thousands of such runs from the same history)."""

    def __init__(self, by_day: Mapping[date, float]) -> None:
        self._by_day = by_day
        self._values: list[float | None] = []
        self._origin: date | None = None
        if by_day and all(type(day) is date for day in by_day):
            self._origin = min(by_day)
            self._values = [None] * ((max(by_day) - self._origin).days + 1)
            for day, value in by_day.items():
                self._values[(day - self._origin).days] = value

    def run(self, start: date, end: date) -> list[float | None]:
        """The value of each day from ``start`` to ``end`` (inclusive), None where there is none."""
        count = (end - start).days + 1
        if count <= 0:
            return []
        if self._origin is None:
            return [self._by_day.get(start + timedelta(days=i)) for i in range(count)]
        first = (start - self._origin).days
        low, high = max(first, 0), min(first + count, len(self._values))
        middle = self._values[low:high] if low < high else []
        before = min(count, max(0, -first))
        return [None] * before + middle + [None] * (count - before - len(middle))


def sd_of(forecast: Forecast) -> float:
    """The standard deviation a forecast's 80 % band stands for."""
    return max(0.0, (forecast.high - forecast.value) / Z_80)


def replay_forecast(
    history: MetricHistory,
    *,
    kind: str,
    period: str,
    as_of: date,
    fiscal: int = 1,
    days: tuple[DayValues, DayValues | None] | None = None,
) -> Forecast | None:
    """The live forecast of a key result of this kind, made on ``as_of`` from the days up to it
    only (the target is irrelevant to the projection; 0 is passed). ``days`` are the history's
    daily values and weights as DayValues, when the caller replays it many times."""
    first, last = quarter_bounds(period, fiscal)
    remaining = max(0, (last - as_of).days)
    if days is None:
        weights_by_day = None if history.weights is None else DayValues(history.weights)
        days = (DayValues(history.daily), weights_by_day)
    daily, weights_of = days
    if kind == TOTAL:
        shift = timedelta(days=LAST_YEAR_DAYS)
        return forecast_total(
            daily_values=daily.run(first, as_of),
            total_days=(last - first).days + 1,
            target=0.0,
            direction="increase",
            last_year_daily=daily.run(first - shift, last - shift),
        )
    window = kind.split(":", 1)[1]
    start, end = window_bounds(window, period, as_of, fiscal)
    recent_start = min(start, end - timedelta(days=RECENT_DAYS - 1))
    span = 1 if history.shape == MetricShape.snapshot else window_length(window, period, fiscal)
    weights = None
    if weights_of is not None:
        weights = weights_of.run(recent_start, end)
    return forecast_level(
        daily_values=daily.run(recent_start, end),
        remaining_days=remaining,
        window_days=span,
        target=0.0,
        direction="increase",
        additive=history.shape == MetricShape.additive,
        daily_weights=weights,
        recent_days=RECENT_DAYS,
    )


def kinds_for(shape: MetricShape) -> tuple[str, ...]:
    """The key result kinds a metric of this shape can carry."""
    levels = tuple(f"level:{w}" for w in LEVEL_WINDOWS)
    return (TOTAL, *levels) if shape == MetricShape.additive else levels


def _spread(outcomes: Sequence[float]) -> float:
    """The metric's relative spread of quarter outcomes (floored), to place targets with."""
    if len(outcomes) < 2:
        return MIN_SPREAD
    mean = sum(outcomes) / len(outcomes)
    if mean == 0:
        return MIN_SPREAD
    sd = math.sqrt(sum((o - mean) ** 2 for o in outcomes) / (len(outcomes) - 1))
    return max(MIN_SPREAD, sd / abs(mean))


def replay(
    histories: Sequence[MetricHistory], *, periods: Sequence[str], fiscal: int = 1
) -> list[Case]:
    """Every past quarter of every metric and kind replayed at every checkpoint."""
    cases: list[Case] = []
    for history in histories:
        days = (
            DayValues(history.daily),
            None if history.weights is None else DayValues(history.weights),
        )
        for kind in kinds_for(history.shape):
            found = [(p, history.outcomes.get((p, kind))) for p in periods]
            outcomes = [(p, o) for p, o in found if o is not None and math.isfinite(o)]
            spread = _spread([o for _, o in outcomes])
            for period, outcome in outcomes:
                first, last = quarter_bounds(period, fiscal)
                for checkpoint in CHECKPOINTS:
                    as_of = first + timedelta(days=checkpoint - 1)
                    if as_of >= last:
                        continue
                    try:
                        forecast = replay_forecast(
                            history,
                            kind=kind,
                            period=period,
                            as_of=as_of,
                            fiscal=fiscal,
                            days=days,
                        )
                    except OverflowError:
                        forecast = None
                    if forecast is None or not math.isfinite(forecast.value):
                        continue
                    cases.append(
                        Case(
                            metric_id=history.metric_id,
                            kind=kind,
                            period=period,
                            checkpoint=checkpoint,
                            value=forecast.value,
                            sd=sd_of(forecast),
                            outcome=outcome,
                            scale=spread * abs(outcome) if outcome else spread,
                            remaining=(last - as_of).days / ((last - first).days + 1),
                        )
                    )
    return cases


def probability_above(*, value: float, sd: float, target: float) -> float:
    """P(end value ≥ target) under a normal projection (a certainty when sd is 0)."""
    if sd <= 0 or not math.isfinite(sd):
        return 1.0 if value >= target else 0.0
    return 1.0 - STANDARD_NORMAL.cdf((target - value) / sd)


def targets(case: Case) -> list[tuple[float, bool]]:
    """The targets a case is scored against, each with whether the outcome reached it."""
    return [
        (target, case.outcome >= target)
        for target in (case.outcome + step * case.scale for step in TARGET_STEPS)
    ]


# --- calibration (pure) ------------------------------------------------------------------------
