"""The baseline behind an expected lift: the weekly gross profit a metric's improvement acts on.

The expected-value framework scores an initiative by expected weekly gross profit gain per
person-week, where gain = baseline × expected relative lift × confidence. The baseline is the
weekly gross profit carried by the lift metric's money measure, read from the store:

1. The money measure. A metric built on a money measure acts on that measure: AOV and revenue
   per session on net revenue, email revenue per recipient on email revenue, gross margin and
   gross profit on product-line net revenue (the first money measure in its definition). Any
   other metric acts on the money measure recorded by the same dimensions as its own first
   measure, the revenue those measures produce: sessions, orders, conversion and funnel rates
   (by channel and device) on net revenue; units per order and product-line funnel rates (by
   product line) on product-line net revenue. Revenue = sessions × conversion × AOV, so a
   relative lift in one factor, others held, is the same relative lift in that revenue. When
   several money measures share those dimensions, the first declared in metrics.yaml is used.
   A metric with no such measure (on-time publishing, organic CTR by device) has no baseline, and
   an initiative lifting it gets no expected-value score: say which revenue it moves instead.
2. Weekly value = the measure's total over the last 28 days of data (ending on the latest day
   observed) × 7 / 28. Four whole weeks, so each weekday counts four times.
3. Weekly gross profit = weekly value × gross margin, the gross_margin_pct metric over the same
   28 days. Without margin data there is no baseline: a revenue figure would not be comparable
   with the gross profit of the other initiatives.
4. Direction: the lift is an improvement. For a metric where lower is better (cart abandonment) a
   negative relative change is the improvement, so its sign is flipped before it is applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from planning.config.metrics import MetricsConfig
from planning.config.settings import MetricSettings
from planning.metrics.completeness import data_through
from planning.metrics.engine import measure_totals, metric_value

WINDOW_DAYS = 28
MARGIN_METRIC = "gross_margin_pct"


@dataclass(frozen=True)
class Baseline:
    """A lift metric's weekly gross profit baseline, how it was found, or why there is none."""

    metric_id: str
    weekly_gross_profit: float | None
    money_measure: str | None = None
    weekly_money: float | None = None
    gross_margin: float | None = None
    start: date | None = None
    end: date | None = None
    problem: str | None = None


def money_measure(config: MetricsConfig, metric_id: str) -> str | None:
    """The money measure a lift on this metric acts on (rule 1 of the module), or None."""
    if metric_id not in config.metrics:
        return None
    own = config.metric_measures(metric_id)
    for measure_id in own:
        if config.measures[measure_id].unit == "money":
            return measure_id
    if not own:
        return None
    grain = set(config.measures[own[0]].dimensions)
    for measure_id, measure in config.measures.items():
        if measure.unit == "money" and set(measure.dimensions) == grain:
            return measure_id
    return None


def weekly_value(total: float, days: int) -> float:
    """A total over `days` days expressed per week: total × 7 / days."""
    if days <= 0:
        raise ValueError("a window needs at least one day")
    return total * 7 / days


def weekly_gross_profit(*, money_total: float, days: int, gross_margin: float) -> float:
    """Weekly gross profit from a money total over a window and the gross margin."""
    return weekly_value(money_total, days) * gross_margin


def improvement(lift_pct: float, *, higher_is_better: bool) -> float:
    """The relative lift as an improvement: a fall counts as the gain when lower is better."""
    return lift_pct if higher_is_better else -lift_pct


def baseline_window(latest_day: date) -> tuple[date, date]:
    """The 28 days ending on the latest day with data."""
    return latest_day - timedelta(days=WINDOW_DAYS - 1), latest_day


def baselines(
    *,
    session: Session,
    config: MetricsConfig,
    metric_ids: Iterable[str],
    as_of: date | None = None,
    complete_after_hours: float = MetricSettings().complete_after_hours,
) -> dict[str, Baseline]:
    """The weekly gross profit baseline for each lift metric, from the 28 days up to `as_of`
    (default: the last complete day)."""
    wanted = sorted(set(metric_ids))
    if not wanted:
        return {}
    end = as_of or data_through(session=session, complete_after_hours=complete_after_hours)[0]
    if end is None:
        return {m: Baseline(m, None, problem="the store holds no metric data yet") for m in wanted}
    start, end = baseline_window(end)
    measures = {m: money_measure(config, m) for m in wanted}
    needed = sorted({m for m in measures.values() if m is not None})
    totals = (
        measure_totals(session=session, config=config, measure_ids=needed, start=start, end=end)
        if needed
        else {}
    )
    margin = (
        metric_value(session=session, config=config, metric_id=MARGIN_METRIC, start=start, end=end)
        if MARGIN_METRIC in config.metrics
        else None
    )
    out: dict[str, Baseline] = {}
    for metric_id in wanted:
        measure = measures[metric_id]
        if metric_id not in config.metrics:
            out[metric_id] = Baseline(metric_id, None, problem=f"unknown metric {metric_id!r}")
            continue
        if measure is None:
            out[metric_id] = Baseline(
                metric_id,
                None,
                problem=f"{config.metrics[metric_id].label} is not tied to a revenue measure",
            )
            continue
        total = totals.get(measure)
        if total is None:
            out[metric_id] = Baseline(
                metric_id,
                None,
                money_measure=measure,
                start=start,
                end=end,
                problem=f"no {config.measures[measure].label.lower()} in the last 28 days",
            )
            continue
        if margin is None:
            out[metric_id] = Baseline(
                metric_id,
                None,
                money_measure=measure,
                weekly_money=weekly_value(total, WINDOW_DAYS),
                start=start,
                end=end,
                problem="no gross margin data in the last 28 days",
            )
            continue
        out[metric_id] = Baseline(
            metric_id,
            weekly_gross_profit(money_total=total, days=WINDOW_DAYS, gross_margin=margin),
            money_measure=measure,
            weekly_money=weekly_value(total, WINDOW_DAYS),
            gross_margin=margin,
            start=start,
            end=end,
        )
    return out
