"""A key result's track for its chart: the actual path, the expected pace, the target, the
forecast band and the ship dates of the initiatives that should move it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

import pandas as pd
from sqlmodel import Session, col, select

from planning import clock
from planning.config import AppConfig
from planning.i18n import N_
from planning.metrics.engine import metric_reads, metric_series_many
from planning.metrics.metric_query import MetricRead
from planning.metrics.shapes import MetricShape, metric_shape
from planning.okrs.evaluation_reads import LAST_YEAR_DAYS, day_range, values_by_day
from planning.okrs.evaluation_results import KrEvaluation
from planning.okrs.maths import expected_path
from planning.periods import quarter_bounds, window_length
from planning.store.models import CheckIn, Initiative, InitiativeKeyResult


@dataclass(frozen=True)
class KrTrack:
    """What a key result's chart draws, in the metric's units.

    ``path``: one row per day of the quarter with ``actual`` (the window's value as of that day:
    the running total for a total target), ``expected`` (where the value should be on pace) and
    ``target``.
    ``band``: from as_of to the quarter's end, the forecast and its 80 % band widening from the
    current value. ``ships``: linked initiatives' ship dates (planned ones when not shipped yet).
    """

    path: pd.DataFrame
    band: pd.DataFrame
    ships: pd.DataFrame
    actual_label: str


def kr_track(
    *,
    session: Session,
    config: AppConfig,
    evaluation: KrEvaluation,
    period: str,
    as_of: date,
) -> KrTrack:
    """The daily path, pace line, target, forecast band and ship dates of one key result."""
    fiscal = config.settings.fiscal_year_start_month
    first, last = quarter_bounds(period, fiscal)
    days = day_range(first, last)
    actual, label = _actual_path(session, config, evaluation, period, first, min(as_of, last))
    expected = _expected_values(session, config, evaluation, period, days)
    target = evaluation.threshold if evaluation.kind == "guardrail" else evaluation.target
    path = pd.DataFrame(
        {
            "day": days,
            "actual": [actual.get(d, math.nan) for d in days],
            "expected": expected,
            "target": [target if target is not None else math.nan] * len(days),
        }
    )
    band = _band(evaluation, as_of, last)
    return KrTrack(
        path=path,
        band=band,
        ships=ship_dates(
            session=session, key_result_id=evaluation.key_result_id, first=first, last=last
        ),
        actual_label=label,
    )


def _actual_path(
    session: Session,
    config: AppConfig,
    kr: KrEvaluation,
    period: str,
    first: date,
    end: date,
) -> tuple[dict[date, float], str]:
    metrics = config.metrics
    if kr.kind == "manual":
        rows = session.exec(
            select(CheckIn.created_at, CheckIn.value)
            .where(CheckIn.key_result_id == kr.key_result_id, col(CheckIn.value).is_not(None))
            .order_by(col(CheckIn.created_at))
        ).all()
        values = {clock.day_of(at): float(v) for at, v in rows if v is not None}
        return {day: v for day, v in values.items() if day >= first}, N_("Checked-in value")
    if kr.kind not in ("metric", "guardrail") or not kr.metric_id or end < first:
        return {}, N_("Actual")
    if kr.metric_id not in metrics.metrics:
        return {}, N_("Actual")
    shape = metric_shape(metrics, kr.metric_id)
    trailing = kr.window != "period_to_date"
    # The window's value as of each day, read as the key result reads it on that day: what a
    # guardrail is judged on, and what a metric key result's current value was then.
    read = MetricRead(
        metric_ids=(kr.metric_id,),
        start=first,
        end=end,
        filters=tuple(sorted(kr.filters.items())),
        grain="day",
        running=window_length(kr.window, period, config.settings.fiscal_year_start_month)
        if trailing
        else 0,
    )
    (found,) = metric_reads(session=session, config=metrics, reads=[read])
    path = {cast(date, d): v for d, v in found.get(kr.metric_id, {}).items()}
    if shape == MetricShape.additive:
        return path, N_("Actual (window total)") if trailing else N_("Actual (running total)")
    return path, N_("Actual") if shape == MetricShape.snapshot else N_("Actual (window value)")


def _expected_values(
    session: Session,
    config: AppConfig,
    kr: KrEvaluation,
    period: str,
    days: Sequence[date],
) -> list[float]:
    if kr.kind not in ("metric", "manual") or kr.start is None or kr.target is None:
        return [math.nan] * len(days)
    shares: list[float]
    if kr.total_target and kr.metric_id in config.metrics.metrics:
        shift = timedelta(days=LAST_YEAR_DAYS)
        frame = metric_series_many(
            session=session,
            config=config.metrics,
            metric_ids=[kr.metric_id],
            start=days[0] - shift,
            end=days[-1] - shift,
            filters=kr.filters,
        )
        last_year = values_by_day(frame).get(kr.metric_id, {})
        shares = expected_path(
            total_days=len(days), last_year_daily=[last_year.get(d - shift) for d in days]
        )
    else:
        shares = expected_path(total_days=len(days))
    return [kr.start + share * (kr.target - kr.start) for share in shares]


def _band(kr: KrEvaluation, as_of: date, last: date) -> pd.DataFrame:
    columns = ["day", "forecast", "low", "high"]
    if (
        kr.forecast is None
        or kr.forecast_low is None
        or kr.forecast_high is None
        or kr.current is None
        or as_of >= last
    ):
        return pd.DataFrame(columns=columns)
    total = (last - as_of).days
    rows = []
    for i in range(total + 1):
        share = i / total
        rows.append(
            {
                "day": as_of + timedelta(days=i),
                "forecast": kr.current + share * (kr.forecast - kr.current),
                "low": kr.current + share * (kr.forecast_low - kr.current),
                "high": kr.current + share * (kr.forecast_high - kr.current),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def ship_dates(*, session: Session, key_result_id: int, first: date, last: date) -> pd.DataFrame:
    """The ship dates (planned ones when not shipped yet) of the initiatives linked to a key
    result that fall between first and last: day, initiative, kind."""
    rows = session.exec(
        select(Initiative.title, col(Initiative.shipped_date), col(Initiative.target_date))
        .join(InitiativeKeyResult, col(InitiativeKeyResult.initiative_id) == col(Initiative.id))
        .where(InitiativeKeyResult.key_result_id == key_result_id)
    ).all()
    marks = []
    for title, shipped, target in rows:
        day, kind = (shipped, "shipped") if shipped is not None else (target, "planned")
        if day is not None and first <= day <= last:
            marks.append({"day": day, "initiative": title, "kind": kind})
    return pd.DataFrame(marks, columns=["day", "initiative", "kind"])
