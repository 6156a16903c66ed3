"""The metrics engine: metric values, series and breakdowns computed in SQL from observations.

Every metric reduces to a few *components*, each aggregated in the database over a window, a
filter and optionally a grain or a dimension: the sum of a measure, its value on the last day with
data (a snapshot), or the two sums of a weighted average (value × weight and weight). Ratios and
derived expressions are computed from those aggregates, never from daily values, so a quarter's
conversion rate is SUM(orders) / SUM(sessions) over the quarter. A component without data or a
zero denominator gives no value (NaN in frames, None in scalars), never 0.

Grains come from a join to calendar_day, so weeks start on Monday and quarters are calendar
quarters; the first and last period of a window hold only the days inside the window.

``metric_reads`` answers many reads (windows, filter sets, grains) in a few statements: reads
that differ only in the value of one filter are answered by one statement that groups by that
dimension, each component summed over the same rows as for a read alone, so batching changes how
often the database is asked, never what it computes.

The components and their SQL are in `metric_query`, the arithmetic over them in `metric_maths`,
and how complete the data is ("data through", partial days) in `completeness`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from planning.config.metrics import (
    MetricsConfig,
    RatioMetric,
    SimpleMetric,
    SnapshotMetric,
    WeightedAverageMetric,
)
from planning.i18n import gettext as _
from planning.metrics.metric_maths import (
    divide_arrays,
    evaluate,
    evaluate_many,
    finite_or_nan,
    optional_value,
    value_of,
)
from planning.metrics.metric_query import (
    GRAINS,
    Component,
    ComponentValues,
    FloatArray,
    Grain,
    Key,
    MetricError,
    MetricRead,
    ReadGroup,
    aggregate,
    check_filters,
    check_window,
    day_of,
    keys_of,
    measure_component,
    metric_components,
    object_column,
    read_group,
    read_group_values,
)

# --- public API --------------------------------------------------------------------------------


def metric_series(
    *,
    session: Session,
    config: MetricsConfig,
    metric_id: str,
    start: date,
    end: date,
    grain: Grain = "day",
    filters: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A metric per day, week, month or quarter of [start, end]: columns period and value."""
    check_window(start, end)
    if grain not in GRAINS:
        raise MetricError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")
    components = metric_components(config, metric_id, filters)
    values = aggregate(session, components, start, end, filters, grain=grain)
    periods: list[Key] = sorted((k for k in keys_of(values) if isinstance(k, date)), key=day_of)
    return pd.DataFrame(
        {
            "period": object_column(periods),
            "value": evaluate_many(config, metric_id, values, periods),
        }
    )


def metric_series_many(
    *,
    session: Session,
    config: MetricsConfig,
    metric_ids: Sequence[str],
    start: date,
    end: date,
    grain: Grain = "day",
    filters: Mapping[str, str] | None = None,
    measure_ids: Sequence[str] = (),
) -> pd.DataFrame:
    """Several metrics, and optionally base measures, per period from one database query.

    Columns: period, one per metric id, then one per measure id named ``measure:<id>`` (the
    measure by its own aggregation). A period appears when any of them has data in it; a value
    is NaN where that metric or measure has none.
    """
    check_window(start, end)
    if grain not in GRAINS:
        raise MetricError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")
    components = _metrics_components(config, metric_ids, filters)
    measures = _measures_components(config, measure_ids, filters)
    values = aggregate(
        session, components | set(measures.values()), start, end, filters, grain=grain
    )
    periods: list[Key] = sorted((k for k in keys_of(values) if isinstance(k, date)), key=day_of)
    columns: dict[str, Any] = {"period": object_column(periods)}
    for metric_id in dict.fromkeys(metric_ids):
        columns[metric_id] = evaluate_many(config, metric_id, values, periods)
    for measure_id, component in measures.items():
        found = values.get(component, {})
        columns[f"measure:{measure_id}"] = finite_or_nan(
            np.array([found.get(k, math.nan) for k in periods], dtype=np.float64)
        )
    return pd.DataFrame(columns)


def metric_value(
    *,
    session: Session,
    config: MetricsConfig,
    metric_id: str,
    start: date,
    end: date,
    filters: Mapping[str, str] | None = None,
) -> float | None:
    """A metric over the whole window [start, end], or None when it has no value."""
    values = metric_values(
        session=session,
        config=config,
        metric_ids=[metric_id],
        start=start,
        end=end,
        filters=filters,
    )
    return values[metric_id]


def metric_values(
    *,
    session: Session,
    config: MetricsConfig,
    metric_ids: Sequence[str],
    start: date,
    end: date,
    filters: Mapping[str, str] | None = None,
) -> dict[str, float | None]:
    """Several metrics over the whole window from one database query; None where no value."""
    check_window(start, end)
    components = _metrics_components(config, metric_ids, filters)
    values = aggregate(session, components, start, end, filters)
    return {mid: optional_value(evaluate(config, mid, values, None)) for mid in metric_ids}


# Per read: {metric id, or "measure:<id>": {period start, or None for the window: value}}.
ReadValues = dict[str, dict[Key, float]]


def metric_reads(
    *, session: Session, config: MetricsConfig, reads: Sequence[MetricRead]
) -> list[ReadValues]:
    """Several reads in a few database statements, one result per read, in order.

    Each read gets exactly the aggregates ``metric_series_many`` (with a grain) or
    ``metric_values`` (without) give it alone: reads that differ only in the value of one filter
    share one statement that groups the same sums by that value, per component. Values that are
    missing (no data, zero denominator) are left out.
    """
    wanted: list[tuple[set[Component], dict[str, Component]]] = []
    groups: dict[ReadGroup, dict[str | None, list[int]]] = {}
    for index, read in enumerate(reads):
        check_window(read.start, read.end)
        if read.grain is not None and read.grain not in GRAINS:
            raise MetricError(f"unknown grain {read.grain!r}; use one of {', '.join(GRAINS)}")
        filters = dict(read.filters)
        components = _metrics_components(config, read.metric_ids, filters)
        measures = _measures_components(config, read.measure_ids, filters)
        if read.running is not None:
            if read.grain != "day" or read.running < 0:
                raise MetricError("a running read needs the day grain and a window of 0 or more")
            # A weighted average runs on each day's average weighted by that day's total weight.
            components |= {
                measure_component(config, c.weight) for c in components if c.kind == "wavg"
            }
        wanted.append((components | set(measures.values()), measures))
        group, member = read_group(read)
        groups.setdefault(group, {}).setdefault(member, []).append(index)

    values: list[ComponentValues] = [{c: {} for c in components} for components, _ in wanted]
    for group, members in groups.items():
        read_group_values(session, group, members, values)

    results: list[ReadValues] = []
    for read, found, (_all, measures) in zip(reads, values, wanted, strict=True):
        out: ReadValues = {}
        periods: list[Key] | None = None
        if read.running is not None:
            found, periods = _running_values(config, found, read.start, read.end, read.running)
        for metric_id in dict.fromkeys(read.metric_ids):
            direct = _direct_values(config, metric_id, found)
            if direct is not None:
                out[metric_id] = direct
                continue
            if periods is None:
                periods = [None] if read.grain is None else sorted(keys_of(found), key=day_of)
            column = evaluate_many(config, metric_id, found, periods).tolist()
            out[metric_id] = {k: v for k, v in zip(periods, column, strict=True) if v == v}
        for measure_id, component in measures.items():
            out[f"measure:{measure_id}"] = _known_values(found.get(component, {}))
        results.append(out)
    return results


def _metrics_components(
    config: MetricsConfig, metric_ids: Sequence[str], filters: Mapping[str, str] | None
) -> set[Component]:
    """The components the metrics need together, each metric's filters checked."""
    components: set[Component] = set()
    for metric_id in metric_ids:
        components |= metric_components(config, metric_id, filters)
    return components


def _measures_components(
    config: MetricsConfig, measure_ids: Sequence[str], filters: Mapping[str, str] | None
) -> dict[str, Component]:
    """Each base measure's component (by its own aggregation), its filters checked."""
    measures: dict[str, Component] = {}
    for measure_id in measure_ids:
        measures[measure_id] = measure_component(config, measure_id)
        subject = _("measure {measure}").format(measure=repr(measure_id))
        check_filters(config, filters, [measures[measure_id]], subject)
    return measures


def _running_values(
    config: MetricsConfig, daily: ComponentValues, start: date, end: date, span: int
) -> tuple[ComponentValues, list[Key]]:
    """Each component as a window read ending on each day of [start, end] would aggregate it,
    from its daily values in one pass of cumulative sums: the ``span`` days up to the day (every
    day since ``start`` when 0). A window without data leaves the day out."""
    first = start - timedelta(days=span - 1) if span else start
    count = (end - first).days + 1
    days: list[Key] = [first + timedelta(days=i) for i in range(count)]
    shown = slice((start - first).days, count)
    out: ComponentValues = {}
    for component, by_day in daily.items():
        raw = np.fromiter((by_day.get(d, math.nan) for d in days), dtype=np.float64, count=count)
        present = ~np.isnan(raw)
        seen = _window_sums(present.astype(np.float64), span)
        if component.kind == "wavg":
            weights_by_day = daily.get(measure_component(config, component.weight), {})
            weight = np.fromiter(
                (weights_by_day.get(d, 0.0) for d in days), dtype=np.float64, count=count
            )
            weight = np.where(present, np.nan_to_num(weight), 0.0)
            totals = _window_sums(np.where(present, raw, 0.0) * weight, span)
            weights = _window_sums(weight, span)
            running = divide_arrays(totals, weights)
        elif component.kind == "last":
            running = _last_known(raw, span)
        else:
            running = _window_sums(np.nan_to_num(raw), span)
        running = np.where(seen > 0, running, math.nan)[shown]
        out[component] = {
            d: float(v) for d, v in zip(days[shown], running.tolist(), strict=True) if v == v
        }
    return out, days[shown]


def _window_sums(values: FloatArray, span: int) -> FloatArray:
    """Per position, the sum of the ``span`` values up to it (all of them when span is 0)."""
    sums = np.cumsum(values)
    if span and len(sums) > span:
        sums[span:] = sums[span:] - sums[:-span]
    return sums


def _last_known(values: FloatArray, span: int) -> FloatArray:
    """Per position, the last value that is not NaN among the ``span`` up to it (all when 0)."""
    positions = np.where(~np.isnan(values), np.arange(len(values)), -1)
    latest = np.maximum.accumulate(positions) if len(values) else positions
    out = np.where(latest >= 0, values[np.maximum(latest, 0)], math.nan)
    if span:
        out = np.where(np.arange(len(values)) - latest < span, out, math.nan)
    return out


def _known_values(values: dict[Key, float]) -> dict[Key, float]:
    # A sum that overflowed (inf) is no value, like a missing one.
    return {k: v for k, v in values.items() if math.isfinite(v)}


def _direct_values(
    config: MetricsConfig, metric_id: str, values: ComponentValues
) -> dict[Key, float] | None:
    """A metric's value per group straight from its components when it is one of them or a
    ratio of two (what evaluate_many gives, without arrays); None for a derived metric."""
    metric = config.metrics[metric_id]
    if isinstance(metric, SimpleMetric):
        return _known_values(values.get(measure_component(config, metric.measure), {}))
    if isinstance(metric, SnapshotMetric):
        return _known_values(values.get(Component("last", metric.measure), {}))
    if isinstance(metric, WeightedAverageMetric):
        return _known_values(values.get(Component("wavg", metric.value, metric.weight), {}))
    if isinstance(metric, RatioMetric):
        numerators = values.get(measure_component(config, metric.numerator), {})
        denominators = values.get(measure_component(config, metric.denominator), {})
        out: dict[Key, float] = {}
        for key, numerator in numerators.items():
            denominator = denominators.get(key, math.nan)
            # As divide_arrays: no value where either part is missing or the denominator is 0.
            if denominator != 0 and denominator == denominator and numerator == numerator:
                quotient = numerator / denominator
                if math.isfinite(quotient):  # a tiny denominator can overflow: no value
                    out[key] = quotient
        return out
    return None


def metric_breakdown(
    *,
    session: Session,
    config: MetricsConfig,
    metric_id: str,
    start: date,
    end: date,
    dimension: str,
    filters: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A metric over the window for each value of a dimension: columns member and value."""
    check_window(start, end)
    components = metric_components(config, metric_id, filters)
    if dimension not in config.dimensions:
        raise MetricError(f"unknown dimension {dimension!r}")
    for component in sorted(components, key=lambda c: (c.measure, c.weight)):
        for measure_id in component.measures():
            if dimension not in config.measures[measure_id].dimensions:
                raise MetricError(
                    f"metric {metric_id!r} cannot be broken down by {dimension!r}: its measure "
                    f"{measure_id!r} does not have that dimension"
                )
    values = aggregate(session, components, start, end, filters, dimension=dimension)
    declared = config.dimensions[dimension].values
    order = {value: i for i, value in enumerate(declared)}
    names = sorted((str(k) for k in keys_of(values)), key=lambda m: (order.get(m, len(order)), m))
    members: list[Key] = list(names)
    return pd.DataFrame(
        {
            "member": object_column(members),
            "value": evaluate_many(config, metric_id, values, members),
        }
    )


def measure_totals(
    *,
    session: Session,
    config: MetricsConfig,
    measure_ids: Sequence[str],
    start: date,
    end: date,
    filters: Mapping[str, str] | None = None,
) -> dict[str, float | None]:
    """Base measures over the window, each by its own aggregation; None where no data."""
    check_window(start, end)
    wanted = _measures_components(config, measure_ids, filters)
    values = aggregate(session, set(wanted.values()), start, end, filters)
    return {mid: optional_value(value_of(values, comp, None)) for mid, comp in wanted.items()}


def ratio_parts(
    *,
    session: Session,
    config: MetricsConfig,
    metric_id: str,
    start: date,
    end: date,
    filters: Mapping[str, str] | None = None,
) -> tuple[float | None, float | None]:
    """Numerator and denominator totals of a ratio metric over the window; None where no data."""
    check_window(start, end)
    metric = config.metrics.get(metric_id)
    if metric is None:
        raise MetricError(f"unknown metric {metric_id!r}")
    if not isinstance(metric, RatioMetric):
        raise MetricError(f"metric {metric_id!r} is a {metric.type} metric, not a ratio")
    components = metric_components(config, metric_id, filters)
    values = aggregate(session, components, start, end, filters)
    numerator = measure_component(config, metric.numerator)
    denominator = measure_component(config, metric.denominator)
    return (
        optional_value(value_of(values, numerator, None)),
        optional_value(value_of(values, denominator, None)),
    )
