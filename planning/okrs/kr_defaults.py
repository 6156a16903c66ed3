"""What a new metric key result starts from: the metric's current value for the chosen filters,
and the direction the metric declares as better."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from planning.config import AppConfig
from planning.config.metrics import MetricsConfig
from planning.metrics.engine import metric_value
from planning.okrs.evaluation_reads import data_as_of
from planning.store.models import Direction

# The current value is the metric's level over the last four weeks of data: long enough to
# smooth out a weekday, short enough to be "now".
CURRENT_DAYS = 28


@dataclass(frozen=True)
class CurrentValue:
    """A metric's level over the last CURRENT_DAYS days of data up to `as_of`."""

    value: float | None
    start: date
    as_of: date


def default_direction(config: MetricsConfig, metric_id: str) -> Direction:
    """Increase for a metric where higher is better, decrease for one where lower is better."""
    metric = config.metrics.get(metric_id)
    if metric is not None and not metric.higher_is_better:
        return Direction.decrease
    return Direction.increase


def current_value(
    *,
    session: Session,
    config: AppConfig,
    metric_id: str,
    filters: Mapping[str, str] | None = None,
    today: date | None = None,
) -> CurrentValue:
    """The metric's current value for the filters over the last complete days (None when there
    is no data for it)."""
    as_of = data_as_of(session=session, config=config, today=today)
    start = as_of - timedelta(days=CURRENT_DAYS - 1)
    value = metric_value(
        session=session,
        config=config.metrics,
        metric_id=metric_id,
        start=start,
        end=as_of,
        filters=dict(filters or {}),
    )
    return CurrentValue(value=value, start=start, as_of=as_of)
