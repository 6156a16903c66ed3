"""A test data generator unlike the demo's: daily values whose level drifts by a different random
amount each quarter (none, small or large), with a one-off step change in the middle of one
quarter, for backtesting the forecaster (planning.okrs.backtest) on history it was not tuned on.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from planning.metrics.shapes import MetricShape
from planning.okrs.backtest_replay import LEVEL_WINDOWS, TOTAL, MetricHistory
from planning.periods import quarter_bounds, window_bounds

PERIODS = tuple(f"{year}-Q{q}" for year in (2023, 2024, 2025) for q in (1, 2, 3, 4))
DRIFTS = {"none": 0.0, "small": 0.03, "large": 0.10}  # sd of a quarter's relative level change


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def generate(
    *,
    metric_id: str,
    shape: MetricShape,
    drift: float,
    seed: int,
    level: float = 100.0,
    noise: float = 0.08,
    step_period: str | None = None,
    step: float = 0.0,
) -> MetricHistory:
    """One metric over ``PERIODS``: over each quarter the level moves steadily by N(0, drift)
    relative to the last quarter's end, each day is that level × (1 + N(0, noise)); a ratio
    gets daily denominators around 1000; from the middle of ``step_period`` on, the level is
    ``1 + step`` times higher."""
    rng = random.Random(seed)
    first = quarter_bounds(PERIODS[0])[0]
    last = quarter_bounds(PERIODS[-1])[1]
    daily: dict[date, float] = {}
    weights: dict[date, float] = {}
    current = level
    step_day = None
    if step_period is not None:
        start, end = quarter_bounds(step_period)
        step_day = start + (end - start) / 2
    for period in PERIODS:
        # The quarter's level change happens gradually over the quarter, as after a site change
        # or with a season: the days up to a checkpoint do not show where it ends.
        before, current = current, current * (1.0 + rng.gauss(0.0, drift))
        start, end = quarter_bounds(period)
        days = _days(start, end)
        for i, day in enumerate(days):
            here = before + (current - before) * (i + 1) / len(days)
            moved = here * (1.0 + step if step_day is not None and day >= step_day else 1.0)
            daily[day] = max(0.0, moved * (1.0 + rng.gauss(0.0, noise)))
            weights[day] = 1000.0 * (1.0 + rng.gauss(0.0, 0.1))
    assert first in daily and last in daily
    outcomes: dict[tuple[str, str], float] = {}
    for period in PERIODS:
        end_day = quarter_bounds(period)[1]
        for window in LEVEL_WINDOWS:
            start, end = window_bounds(window, period, end_day)
            days = _days(start, end)
            if shape == MetricShape.additive:
                value = sum(daily[d] for d in days)
            else:
                value = sum(daily[d] * weights[d] for d in days) / sum(weights[d] for d in days)
            outcomes[(period, f"level:{window}")] = value
            if window == "period_to_date" and shape == MetricShape.additive:
                outcomes[(period, TOTAL)] = value
    return MetricHistory(
        metric_id=metric_id,
        shape=shape,
        daily=daily,
        weights=weights if shape == MetricShape.ratio else None,
        outcomes=outcomes,
    )


def shop(drift: float, *, seed: int, metrics: int = 16) -> list[MetricHistory]:
    """A shop's metrics at one drift size: half ratios, half additive; the first one also has a
    one-off step change of +15 % in the middle of a quarter."""
    histories = []
    for i in range(metrics):
        shape = MetricShape.ratio if i % 2 == 0 else MetricShape.additive
        histories.append(
            generate(
                metric_id=f"m{i}",
                shape=shape,
                drift=drift,
                seed=seed * 100 + i,
                level=0.03 if shape == MetricShape.ratio else 5000.0,
                step_period=PERIODS[7] if i == 0 else None,
                step=0.15 if i == 0 else 0.0,
            )
        )
    return histories
