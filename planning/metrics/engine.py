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
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache, reduce
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import (
    CompoundSelect,
    Date,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    null,
    select,
    table,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from planning import clock
from planning.config.metrics import (
    DerivedMetric,
    MetricsConfig,
    RatioMetric,
    SimpleMetric,
    SnapshotMetric,
    WeightedAverageMetric,
    expression_names,
)
from planning.store.models import ImportBatch

Grain = Literal["day", "week", "month", "quarter"]
GRAINS: tuple[str, ...] = get_args(Grain)

_SERIES = table(
    "series", column("id", Integer), column("measure", String), column("dims_key", String)
)
_SERIES_DIMENSION = table(
    "series_dimension",
    column("series_id", Integer),
    column("name", String),
    column("value", String),
)
_OBSERVATION = table(
    "observation", column("series_id", Integer), column("day", Date), column("value", Float)
)
_CALENDAR = table(
    "calendar_day",
    column("day", Date),
    column("week_start", Date),
    column("month_start", Date),
    column("quarter_start", Date),
)

Kind = Literal["sum", "last", "wavg"]
# A group of an aggregate: None for the whole window, a period start date, or a dimension value.
Key = date | str | None


class MetricError(ValueError):
    """A metric request that cannot be answered; the message names the culprit."""


# A series is expected on a day when it was present on at least EXPECTED_ON of the LOOKBACK_DAYS
# days before it ("most of the last week").
LOOKBACK_DAYS = 7
EXPECTED_ON = 4
# At most this many days after the last cut-off day are checked (one statement covers them).
MAX_OPEN_DAYS = 14


@dataclass(frozen=True)
class PartialDay:
    """A day after "data through" that does not count yet: how many expected series it has."""

    day: date
    present: int  # expected series with a value on the day
    expected: int  # series present on most of the week before it


@dataclass(frozen=True)
class Freshness:
    """How current the store is: the last complete day ("data through"), the newer partial days,
    the newest observed day, the last finished import and the observation count."""

    latest_day: date | None  # the last complete day: everything reads up to here
    last_import_at: datetime | None
    observation_rows: int
    partial_days: tuple[PartialDay, ...] = ()
    observed_day: date | None = None  # the newest day with any observation


@dataclass(frozen=True)
class _Component:
    """One aggregate computed in SQL: a measure's sum or last-day value, or a weighted average."""

    kind: Kind
    measure: str
    weight: str = ""

    def measures(self) -> tuple[str, ...]:
        return (self.measure, self.weight) if self.weight else (self.measure,)


_Values = dict[_Component, dict[Key, float]]
FloatArray = npt.NDArray[np.float64]


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
    _check_window(start, end)
    if grain not in GRAINS:
        raise MetricError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")
    components = _metric_components(config, metric_id, filters)
    values = _aggregate(session, components, start, end, filters, grain=grain)
    periods: list[Key] = sorted((k for k in _keys(values) if isinstance(k, date)), key=_day_of)
    return pd.DataFrame(
        {
            "period": _objects(periods),
            "value": _evaluate_many(config, metric_id, values, periods),
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
    _check_window(start, end)
    if grain not in GRAINS:
        raise MetricError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")
    components: set[_Component] = set()
    for metric_id in metric_ids:
        components |= _metric_components(config, metric_id, filters)
    measures: dict[str, _Component] = {}
    for measure_id in measure_ids:
        measures[measure_id] = _measure_component(config, measure_id)
        _check_filters(config, filters, [measures[measure_id]], f"measure {measure_id!r}")
    values = _aggregate(
        session, components | set(measures.values()), start, end, filters, grain=grain
    )
    periods: list[Key] = sorted((k for k in _keys(values) if isinstance(k, date)), key=_day_of)
    columns: dict[str, Any] = {"period": _objects(periods)}
    for metric_id in dict.fromkeys(metric_ids):
        columns[metric_id] = _evaluate_many(config, metric_id, values, periods)
    for measure_id, component in measures.items():
        found = values.get(component, {})
        columns[f"measure:{measure_id}"] = _finite_or_nan(
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
    _check_window(start, end)
    components: set[_Component] = set()
    for metric_id in metric_ids:
        components |= _metric_components(config, metric_id, filters)
    values = _aggregate(session, components, start, end, filters)
    return {mid: _optional(_evaluate(config, mid, values, None)) for mid in metric_ids}


@dataclass(frozen=True)
class MetricRead:
    """One read for ``metric_reads``: metrics, and optionally base measures, over [start, end]
    under one filter set, per period of a grain or (grain None) over the whole window."""

    metric_ids: tuple[str, ...]
    start: date
    end: date
    filters: tuple[tuple[str, str], ...] = ()
    grain: Grain | None = None
    measure_ids: tuple[str, ...] = ()
    # With grain "day": each day's value is the metric over the window ending that day, as a
    # whole-window read of it would give: the ``running`` days up to it (data from before
    # ``start`` feeding the first days), or every day since ``start`` when 0.
    running: int | None = None


# Per read: {metric id, or "measure:<id>": {period start, or None for the window: value}}.
ReadValues = dict[str, dict[Key, float]]

# Grouped queries per statement at most (SQLite allows 500 terms in a compound SELECT).
_QUERIES_PER_STATEMENT = 200


def metric_reads(
    *, session: Session, config: MetricsConfig, reads: Sequence[MetricRead]
) -> list[ReadValues]:
    """Several reads in a few database statements, one result per read, in order.

    Each read gets exactly the aggregates ``metric_series_many`` (with a grain) or
    ``metric_values`` (without) give it alone: reads that differ only in the value of one filter
    share one statement that groups the same sums by that value, per component. Values that are
    missing (no data, zero denominator) are left out.
    """
    wanted: list[tuple[set[_Component], dict[str, _Component]]] = []
    groups: dict[_ReadGroup, dict[str | None, list[int]]] = {}
    for index, read in enumerate(reads):
        _check_window(read.start, read.end)
        if read.grain is not None and read.grain not in GRAINS:
            raise MetricError(f"unknown grain {read.grain!r}; use one of {', '.join(GRAINS)}")
        filters = dict(read.filters)
        components: set[_Component] = set()
        for metric_id in read.metric_ids:
            components |= _metric_components(config, metric_id, filters)
        measures: dict[str, _Component] = {}
        for measure_id in read.measure_ids:
            measures[measure_id] = _measure_component(config, measure_id)
            _check_filters(config, filters, [measures[measure_id]], f"measure {measure_id!r}")
        if read.running is not None:
            if read.grain != "day" or read.running < 0:
                raise MetricError("a running read needs the day grain and a window of 0 or more")
            # A weighted average runs on each day's average weighted by that day's total weight.
            components |= {
                _measure_component(config, c.weight) for c in components if c.kind == "wavg"
            }
        wanted.append((components | set(measures.values()), measures))
        group, member = _read_group(read)
        groups.setdefault(group, {}).setdefault(member, []).append(index)

    values: list[_Values] = [{c: {} for c in components} for components, _ in wanted]
    for group, members in groups.items():
        _read_group_values(session, group, members, values)

    results: list[ReadValues] = []
    for read, found, (_, measures) in zip(reads, values, wanted, strict=True):
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
                periods = [None] if read.grain is None else sorted(_keys(found), key=_day_of)
            column = _evaluate_many(config, metric_id, found, periods).tolist()
            out[metric_id] = {k: v for k, v in zip(periods, column, strict=True) if v == v}
        for measure_id, component in measures.items():
            out[f"measure:{measure_id}"] = _known_values(found.get(component, {}))
        results.append(out)
    return results


def _running_values(
    config: MetricsConfig, daily: _Values, start: date, end: date, span: int
) -> tuple[_Values, list[Key]]:
    """Each component as a window read ending on each day of [start, end] would aggregate it,
    from its daily values in one pass of cumulative sums: the ``span`` days up to the day (every
    day since ``start`` when 0). A window without data leaves the day out."""
    first = start - timedelta(days=span - 1) if span else start
    count = (end - first).days + 1
    days: list[Key] = [first + timedelta(days=i) for i in range(count)]
    shown = slice((start - first).days, count)
    out: _Values = {}
    for component, by_day in daily.items():
        raw = np.fromiter((by_day.get(d, math.nan) for d in days), dtype=np.float64, count=count)
        present = ~np.isnan(raw)
        seen = _window_sums(present.astype(np.float64), span)
        if component.kind == "wavg":
            weights_by_day = daily.get(_measure_component(config, component.weight), {})
            weight = np.fromiter(
                (weights_by_day.get(d, 0.0) for d in days), dtype=np.float64, count=count
            )
            weight = np.where(present, np.nan_to_num(weight), 0.0)
            totals = _window_sums(np.where(present, raw, 0.0) * weight, span)
            weights = _window_sums(weight, span)
            running = _divide_arrays(totals, weights)
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
    config: MetricsConfig, metric_id: str, values: _Values
) -> dict[Key, float] | None:
    """A metric's value per group straight from its components when it is one of them or a
    ratio of two (what _evaluate_many gives, without arrays); None for a derived metric."""
    metric = config.metrics[metric_id]
    if isinstance(metric, SimpleMetric):
        return _known_values(values.get(_measure_component(config, metric.measure), {}))
    if isinstance(metric, SnapshotMetric):
        return _known_values(values.get(_Component("last", metric.measure), {}))
    if isinstance(metric, WeightedAverageMetric):
        return _known_values(values.get(_Component("wavg", metric.value, metric.weight), {}))
    if isinstance(metric, RatioMetric):
        numerators = values.get(_measure_component(config, metric.numerator), {})
        denominators = values.get(_measure_component(config, metric.denominator), {})
        out: dict[Key, float] = {}
        for key, numerator in numerators.items():
            denominator = denominators.get(key, math.nan)
            # As _divide_arrays: no value where either part is missing or the denominator is 0.
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
    _check_window(start, end)
    components = _metric_components(config, metric_id, filters)
    if dimension not in config.dimensions:
        raise MetricError(f"unknown dimension {dimension!r}")
    for component in sorted(components, key=lambda c: (c.measure, c.weight)):
        for measure_id in component.measures():
            if dimension not in config.measures[measure_id].dimensions:
                raise MetricError(
                    f"metric {metric_id!r} cannot be broken down by {dimension!r}: its measure "
                    f"{measure_id!r} does not have that dimension"
                )
    values = _aggregate(session, components, start, end, filters, dimension=dimension)
    declared = config.dimensions[dimension].values
    order = {value: i for i, value in enumerate(declared)}
    names = sorted((str(k) for k in _keys(values)), key=lambda m: (order.get(m, len(order)), m))
    members: list[Key] = list(names)
    return pd.DataFrame(
        {
            "member": _objects(members),
            "value": _evaluate_many(config, metric_id, values, members),
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
    _check_window(start, end)
    wanted: dict[str, _Component] = {}
    for measure_id in measure_ids:
        wanted[measure_id] = _measure_component(config, measure_id)
        _check_filters(config, filters, [wanted[measure_id]], f"measure {measure_id!r}")
    values = _aggregate(session, set(wanted.values()), start, end, filters)
    return {mid: _optional(_value_of(values, comp, None)) for mid, comp in wanted.items()}


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
    _check_window(start, end)
    metric = config.metrics.get(metric_id)
    if metric is None:
        raise MetricError(f"unknown metric {metric_id!r}")
    if not isinstance(metric, RatioMetric):
        raise MetricError(f"metric {metric_id!r} is a {metric.type} metric, not a ratio")
    components = _metric_components(config, metric_id, filters)
    values = _aggregate(session, components, start, end, filters)
    numerator = _measure_component(config, metric.numerator)
    denominator = _measure_component(config, metric.denominator)
    return (
        _optional(_value_of(values, numerator, None)),
        _optional(_value_of(values, denominator, None)),
    )


def freshness(*, session: Session, complete_after_hours: float) -> Freshness:
    """The last complete day and the partial days after it (see `data_through`), the last
    finished import and the number of observations."""
    latest = select(func.max(_OBSERVATION.c.day)).scalar_subquery()
    rows = select(func.count()).select_from(_OBSERVATION).scalar_subquery()
    last_import = select(func.max(col(ImportBatch.finished_at))).scalar_subquery()
    latest_day, count, last_import_at = session.execute(select(latest, rows, last_import)).one()
    observed = _as_date(latest_day) if latest_day is not None else None
    through: date | None = observed
    partial: tuple[PartialDay, ...] = ()
    if observed is not None:
        through, partial = _complete_through(session, observed, complete_after_hours)
    return Freshness(
        latest_day=through,
        last_import_at=last_import_at,
        observation_rows=int(count or 0),
        partial_days=partial,
        observed_day=observed,
    )


def data_through(
    *, session: Session, complete_after_hours: float
) -> tuple[date | None, tuple[PartialDay, ...]]:
    """The last complete day (None for an empty store) and the partial days after it.

    A day is complete when every series present on at least EXPECTED_ON of the LOOKBACK_DAYS days
    before it has a value on it, or once `complete_after_hours` have passed since the day ended
    (in the team's time zone). "Data through" is the day before the first day that is not
    complete; only days whose cut-off has not passed are checked, in one aggregated statement over
    them and the week before them.
    """
    value = session.execute(select(func.max(_OBSERVATION.c.day))).scalar_one_or_none()
    if value is None:
        return None, ()
    return _complete_through(session, _as_date(value), complete_after_hours)


def partial_days_text(partial: Sequence[PartialDay]) -> str:
    """The partial days as shown after "data through", e.g. "25 Nov partial (3 of 412 series)"."""
    return ", ".join(
        f"{p.day:%d %b} partial ({p.present:,} of {p.expected:,} series)" for p in partial
    )


def last_cut_off_day(complete_after_hours: float) -> date:
    """The latest day whose cut-off has passed: it counts whatever has arrived for it."""
    moment = clock.now() - timedelta(hours=complete_after_hours)
    return moment.date() - timedelta(days=1)


def _complete_through(
    session: Session, observed: date, complete_after_hours: float
) -> tuple[date, tuple[PartialDay, ...]]:
    """The last complete day up to `observed`, and the days after it that have observations."""
    open_from = last_cut_off_day(complete_after_hours) + timedelta(days=1)
    if observed < open_from:
        return observed, ()
    # Days past the cap (future-dated rows far ahead) are left partial without a check.
    candidates = [
        open_from + timedelta(days=i)
        for i in range(min((observed - open_from).days + 1, MAX_OPEN_DAYS))
    ]
    counts = _expected_and_present(session, candidates)
    through = observed
    for day in candidates:
        expected, present, _ = counts[day]
        if present < expected:
            through = day - timedelta(days=1)
            break
    else:
        if candidates[-1] >= observed:
            return observed, ()
        through = candidates[-1]
    partial = tuple(
        PartialDay(day, present, expected)
        for day, (expected, present, any_rows) in counts.items()
        if day > through and any_rows
    )
    return through, partial


def _expected_and_present(session: Session, days: list[date]) -> dict[date, tuple[int, int, bool]]:
    """For each day: how many series were present on at least EXPECTED_ON of the LOOKBACK_DAYS
    days before it, how many of those it has, and whether it has any row. One statement: a
    presence flag per series and day, summed over the series."""
    start = days[0] - timedelta(days=LOOKBACK_DAYS)
    span = [start + timedelta(days=i) for i in range((days[-1] - start).days + 1)]
    day_col = _OBSERVATION.c.day
    flags = (
        select(
            *(
                func.max(case((day_col == day, 1), else_=0)).label(f"p{i}")
                for i, day in enumerate(span)
            )
        )
        .where(day_col >= start, day_col <= days[-1])
        .group_by(_OBSERVATION.c.series_id)
        .subquery()
    )
    columns: list[ColumnElement[Any]] = []
    for j in range(len(days)):
        k = LOOKBACK_DAYS + j
        recent = reduce(operator.add, (flags.c[f"p{i}"] for i in range(k - LOOKBACK_DAYS, k)))
        expected = recent >= EXPECTED_ON
        columns += [
            func.sum(case((expected, 1), else_=0)),
            func.sum(case((and_(expected, flags.c[f"p{k}"] == 1), 1), else_=0)),
            func.max(flags.c[f"p{k}"]),
        ]
    row = session.execute(select(*columns)).one()
    return {
        day: (int(row[3 * j] or 0), int(row[3 * j + 1] or 0), bool(row[3 * j + 2]))
        for j, day in enumerate(days)
    }


# --- what a metric needs -----------------------------------------------------------------------


def _check_window(start: date, end: date) -> None:
    if start > end:
        raise MetricError(f"the window starts ({start}) after it ends ({end})")


def _measure_component(config: MetricsConfig, measure_id: str) -> _Component:
    measure = config.measures.get(measure_id)
    if measure is None:
        raise MetricError(f"unknown measure {measure_id!r}")
    return _Component(measure.aggregation, measure_id)


def _metric_components(
    config: MetricsConfig, metric_id: str, filters: Mapping[str, str] | None
) -> set[_Component]:
    """The components a metric needs, after checking that the filters apply to all of them."""
    components: set[_Component] = set()
    _collect(config, metric_id, components, ())
    _check_filters(config, filters, components, f"metric {metric_id!r}")
    return components


def _collect(
    config: MetricsConfig, metric_id: str, into: set[_Component], trail: tuple[str, ...]
) -> None:
    metric = config.metrics.get(metric_id)
    if metric is None:
        raise MetricError(f"unknown metric {metric_id!r}")
    if isinstance(metric, SimpleMetric):
        into.add(_measure_component(config, metric.measure))
    elif isinstance(metric, SnapshotMetric):
        into.add(_Component("last", _measure_component(config, metric.measure).measure))
    elif isinstance(metric, RatioMetric):
        into.add(_measure_component(config, metric.numerator))
        into.add(_measure_component(config, metric.denominator))
    elif isinstance(metric, WeightedAverageMetric):
        _measure_component(config, metric.value)
        _measure_component(config, metric.weight)
        into.add(_Component("wavg", metric.value, metric.weight))
    else:
        for name in _parsed(metric_id, metric.expression)[1]:
            if name in config.metrics:
                if name in (*trail, metric_id):
                    raise MetricError(f"metric {metric_id!r} refers to itself through {name!r}")
                _collect(config, name, into, (*trail, metric_id))
            elif name in config.measures:
                into.add(_measure_component(config, name))
            else:
                raise MetricError(
                    f"metric {metric_id!r} refers to {name!r}, which is neither a measure nor "
                    "a metric"
                )


def _check_filters(
    config: MetricsConfig,
    filters: Mapping[str, str] | None,
    components: Iterable[_Component],
    subject: str,
) -> None:
    if not filters:
        return
    needed = sorted({m for c in components for m in c.measures()})
    for name, value in filters.items():
        dimension = config.dimensions.get(name)
        if dimension is None:
            raise MetricError(f"cannot filter {subject}: unknown dimension {name!r}")
        if value not in dimension.values:
            raise MetricError(
                f"cannot filter {subject}: {value!r} is not a value of dimension {name!r} "
                f"(expected one of {', '.join(dimension.values)})"
            )
        for measure_id in needed:
            declared = config.measures[measure_id].dimensions
            if name not in declared:
                has = ", ".join(declared) if declared else "no dimensions"
                raise MetricError(
                    f"cannot filter {subject} by {name!r}: its measure {measure_id!r} does not "
                    f"have that dimension (it has {has})"
                )


# --- SQL ---------------------------------------------------------------------------------------


def _aggregate(
    session: Session,
    components: set[_Component],
    start: date,
    end: date,
    filters: Mapping[str, str] | None,
    *,
    grain: Grain | None = None,
    dimension: str | None = None,
) -> _Values:
    """Every component over the window, per period of the grain or per member of the dimension
    (neither: over the whole window), from one statement."""
    values: _Values = {c: {} for c in components}
    by_identity: dict[tuple[str, str, str], dict[Key, float]] = {
        (c.kind, c.measure, c.weight): found for c, found in values.items()
    }
    group = _ReadGroup(start, end, grain, tuple(sorted((filters or {}).items())), dimension)
    for identity, member, run in _grouped_values(session, group, components, None):
        if dimension is not None:  # a breakdown: one value per member
            by_identity[identity].update((member, value) for _, value in run)
        else:
            by_identity[identity].update(run)
    return values


@dataclass(frozen=True)
class _ReadGroup:
    """What one statement aggregates over: a window, filters, and the grouping by period (grain)
    and by member (a dimension's value: the filter that tells a batch's reads apart, or the
    dimension of a breakdown)."""

    start: date
    end: date
    grain: Grain | None
    fixed: tuple[tuple[str, str], ...]  # filters every row must match
    dimension: str | None


def _read_group(read: MetricRead) -> tuple[_ReadGroup, str | None]:
    """A read's group, and its value of the group's dimension."""
    filters = tuple(sorted(read.filters))
    start = read.start - timedelta(days=read.running - 1) if read.running else read.start
    if not filters:
        return _ReadGroup(start, read.end, read.grain, (), None), None
    dimension, member = filters[-1]
    return _ReadGroup(start, read.end, read.grain, filters[:-1], dimension), member


def _read_group_values(
    session: Session,
    group: _ReadGroup,
    members: Mapping[str | None, Sequence[int]],
    values: Sequence[_Values],
) -> None:
    """Aggregate every component the group's reads need, for just the members that need it,
    and store each value in the reads it belongs to."""
    needed: dict[_Component, set[str]] = {}
    targets: dict[tuple[str | None, str, str, str], list[dict[Key, float]]] = {}
    for member, indices in members.items():
        for index in indices:
            for component, found in values[index].items():
                wanted_by = needed.setdefault(component, set())
                if member is not None:
                    wanted_by.add(member)
                target = (member, component.kind, component.measure, component.weight)
                targets.setdefault(target, []).append(found)
    listed = {c: sorted(m) for c, m in needed.items()} if group.dimension is not None else None
    for (kind, measure, weight), member, run in _grouped_values(session, group, needed, listed):
        for found in targets.get((member, kind, measure, weight), ()):
            found.update(run)


def _grouped_values(
    session: Session,
    group: _ReadGroup,
    components: Iterable[_Component],
    members: Mapping[_Component, Sequence[str]] | None,
) -> Iterator[tuple[tuple[str, str, str], str | None, list[tuple[Key, float]]]]:
    """Each component's aggregates per member and period of the group, in runs of one component
    and member: ((kind, measure, weight), member or None, [(period start or None, value), ...]).
    With ``members``, each component only for the members listed for it; without, for every
    member of the group's dimension."""
    ordered = sorted(components, key=lambda c: (c.kind, c.measure, c.weight))
    params: dict[str, Any] = {"start": group.start, "end": group.end}
    params.update((f"filter_{i}", value) for i, (_, value) in enumerate(group.fixed))
    if group.dimension is not None:
        params["dimension"] = group.dimension
    filter_names = tuple(name for name, _ in group.fixed)
    scope = _GroupScope(filter_names, group.dimension is not None, members is not None)
    days: dict[Any, date] = {}
    identity: tuple[str, str, str] = ("", "", "")
    current: str | None = None
    run: list[tuple[Key, float]] = []
    for first in range(0, len(ordered), _QUERIES_PER_STATEMENT):
        chunk = tuple(ordered[first : first + _QUERIES_PER_STATEMENT])
        statement = _group_statement(chunk, scope, group.grain)
        if members is not None:
            params.update((f"members_{j}", members[c]) for j, c in enumerate(chunk))
        # A few hundred rows at a time: holding them all at once sets the garbage collector off.
        for part in session.execute(statement, params).partitions(500):
            for kind, measure, weight, member, key, total, weight_total in part:
                if total is None:
                    continue  # an ungrouped aggregate over no rows
                if group.grain is not None:
                    day = days.get(key)
                    if day is None:
                        day = days[key] = _as_date(key)
                    key = day
                if kind == "wavg":
                    value = float(total) / float(weight_total) if weight_total else math.nan
                else:
                    value = float(total)
                if (
                    member != current
                    or measure != identity[1]
                    or kind != identity[0]
                    or weight != identity[2]
                ):
                    if run:
                        yield identity, current, run
                    identity, current, run = (kind, measure, weight), member, []
                run.append((key, value))
    if run:
        yield identity, current, run


@lru_cache(maxsize=1024)
def _group_statement(
    components: tuple[_Component, ...], scope: _GroupScope, grain: Grain | None
) -> Select[Any] | CompoundSelect[Any]:
    """One grouped query per component, joined by UNION ALL, built once and reused: the window,
    filter values, dimension and member lists are its parameters (start, end, filter_<i>,
    dimension, members_<j> for the j-th component)."""
    selects = [scope.select(j, component, grain) for j, component in enumerate(components)]
    return selects[0] if len(selects) == 1 else union_all(*selects)


@dataclass(frozen=True)
class _GroupScope:
    """Builds the grouped query of one component (one measure, or one pair for a weighted
    average): over the window's rows that match the filters, per member (a value of the
    dimension; with ``listed``, only the members listed for the component) and per period.
    Columns: kind, measure, weight, member, key (the period), total, weight_total."""

    filter_names: tuple[str, ...]
    by_member: bool
    listed: bool

    def _from(
        self, series: Any, obs: Any, j: int, grain: Grain | None
    ) -> tuple[Any, list[ColumnElement[Any]], list[ColumnElement[bool]]]:
        """Joins, group columns ([member], [period]) and conditions for the j-th component."""
        joined = series.join(obs, obs.c.series_id == series.c.id)
        groups: list[ColumnElement[Any]] = []
        conditions = _window_and_filters(series, obs, self.filter_names)
        if self.by_member:
            bd = _SERIES_DIMENSION.alias("bd")
            on = and_(bd.c.series_id == series.c.id, bd.c.name == bindparam("dimension"))
            joined = joined.join(bd, on)
            groups.append(bd.c.value)
            if self.listed:
                conditions.append(bd.c.value.in_(bindparam(f"members_{j}", expanding=True)))
        if grain == "day":
            groups.append(obs.c.day)
        elif grain is not None:
            cal = _CALENDAR.alias("c")
            joined = joined.join(cal, cal.c.day == obs.c.day)
            groups.append(cal.c[f"{grain}_start"])
        return joined, groups, conditions

    def _member_and_key(
        self, groups: list[ColumnElement[Any]], grain: Grain | None
    ) -> list[ColumnElement[Any]]:
        # Typed NULLs: PostgreSQL would resolve two untyped ones of a UNION as text.
        member = groups[0] if self.by_member else cast(null(), String)
        key = groups[-1] if grain is not None else cast(null(), Date)
        return [member.label("member"), key.label("key")]

    def select(self, j: int, component: _Component, grain: Grain | None) -> Select[Any]:
        """The j-th component's grouped query."""
        if component.kind == "wavg":
            return self._weighted(j, component.measure, component.weight, grain)
        if component.kind == "last" and grain != "day":
            return self._last(j, component.measure, grain)
        # A sum; or a day's last value, as a day's group has no other day.
        return self._sum(j, component.kind, component.measure, grain)

    def _sum(self, j: int, kind: Kind, measure: str, grain: Grain | None) -> Select[Any]:
        s, o = _SERIES.alias("s"), _OBSERVATION.alias("o")
        joined, groups, conditions = self._from(s, o, j, grain)
        return (
            select(
                literal(kind).label("kind"),
                literal(measure, String).label("measure"),
                literal("").label("weight"),
                *self._member_and_key(groups, grain),
                func.sum(o.c.value).label("total"),
                cast(null(), Float).label("weight_total"),
            )
            .select_from(joined)
            .where(s.c.measure == literal(measure, String), *conditions)
            .group_by(*groups)
        )

    def _last(self, j: int, measure: str, grain: Grain | None) -> Select[Any]:
        """The values on each group's last day with data (found from the index alone)."""
        s, o = _SERIES.alias("s"), _OBSERVATION.alias("o")
        joined, groups, conditions = self._from(s, o, j, grain)
        last = (
            select(
                *(g.label(f"g{i}") for i, g in enumerate(groups)), func.max(o.c.day).label("day")
            )
            .select_from(joined)
            .where(s.c.measure == literal(measure, String), *conditions)
            .group_by(*groups)
            .subquery("l")
        )
        s, o = _SERIES.alias("s"), _OBSERVATION.alias("o")
        joined, groups, conditions = self._from(s, o, j, grain)
        on = [last.c.day == o.c.day, *(last.c[f"g{i}"] == g for i, g in enumerate(groups))]
        return (
            select(
                literal("last").label("kind"),
                literal(measure, String).label("measure"),
                literal("").label("weight"),
                *self._member_and_key(groups, grain),
                func.sum(o.c.value).label("total"),
                cast(null(), Float).label("weight_total"),
            )
            .select_from(joined.join(last, and_(*on)))
            .where(s.c.measure == literal(measure, String), *conditions)
            .group_by(*groups)
        )

    def _weighted(self, j: int, value: str, weight: str, grain: Grain | None) -> Select[Any]:
        """SUM(value × weight) and SUM(weight), pairing observations by day and series dims."""
        s, o = _SERIES.alias("s"), _OBSERVATION.alias("o")
        sw, w = _SERIES.alias("sw"), _OBSERVATION.alias("w")
        joined, groups, conditions = self._from(s, o, j, grain)
        joined = joined.join(sw, and_(sw.c.measure == weight, sw.c.dims_key == s.c.dims_key))
        joined = joined.join(w, and_(w.c.series_id == sw.c.id, w.c.day == o.c.day))
        return (
            select(
                literal("wavg").label("kind"),
                literal(value).label("measure"),
                literal(weight).label("weight"),
                *self._member_and_key(groups, grain),
                func.sum(o.c.value * w.c.value).label("total"),
                func.sum(w.c.value).label("weight_total"),
            )
            .select_from(joined)
            .where(s.c.measure == value, *conditions)
            .group_by(*groups)
        )


def _window_and_filters(
    series: Any, obs: Any, filter_names: tuple[str, ...]
) -> list[ColumnElement[bool]]:
    """Observations in [start, end] of series matching every filter (parameters start, end and
    filter_<i>)."""
    conditions = [
        obs.c.day >= bindparam("start", type_=Date),
        obs.c.day <= bindparam("end", type_=Date),
    ]
    for i, name in enumerate(filter_names):
        matching = select(_SERIES_DIMENSION.c.series_id).where(
            _SERIES_DIMENSION.c.name == name,
            _SERIES_DIMENSION.c.value == bindparam(f"filter_{i}", type_=String),
        )
        conditions.append(series.c.id.in_(matching))
    return conditions


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _day_of(key: Key) -> date:
    assert isinstance(key, date)
    return key


def _objects(items: Sequence[Key]) -> npt.NDArray[np.object_]:
    """A column of Python objects (dates or texts) as pandas keeps them."""
    column = np.empty(len(items), dtype=object)
    column[:] = items
    return column


def _keys(values: _Values) -> set[Key]:
    return {key for by_key in values.values() for key in by_key}


# --- evaluation --------------------------------------------------------------------------------


def _value_of(values: _Values, component: _Component, key: Key) -> float:
    return values.get(component, {}).get(key, math.nan)


def _optional(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _finite_or_nan(values: FloatArray) -> FloatArray:
    """The values with every non-finite one (an overflow to inf, inf − inf) made NaN: no value."""
    finite = np.isfinite(values)
    if finite.all():
        return values
    return np.where(finite, values, math.nan)


def _evaluate(config: MetricsConfig, metric_id: str, values: _Values, key: Key) -> float:
    """A metric's value for one group from the aggregated components; NaN when it has none."""
    return float(_evaluate_many(config, metric_id, values, [key])[0])


def _evaluate_many(
    config: MetricsConfig, metric_id: str, values: _Values, keys: Sequence[Key]
) -> FloatArray:
    """A metric's value for each group, in the order of `keys`; NaN where it has none."""
    metric = config.metrics[metric_id]

    def column(component: _Component) -> FloatArray:
        found = values.get(component, {})
        return np.fromiter(
            (found.get(k, math.nan) for k in keys), dtype=np.float64, count=len(keys)
        )

    if isinstance(metric, SimpleMetric):
        return _finite_or_nan(column(_measure_component(config, metric.measure)))
    if isinstance(metric, SnapshotMetric):
        return _finite_or_nan(column(_Component("last", metric.measure)))
    if isinstance(metric, RatioMetric):
        return _divide_arrays(
            column(_measure_component(config, metric.numerator)),
            column(_measure_component(config, metric.denominator)),
        )
    if isinstance(metric, WeightedAverageMetric):
        return _finite_or_nan(column(_Component("wavg", metric.value, metric.weight)))
    assert isinstance(metric, DerivedMetric)

    def lookup(name: str) -> FloatArray:
        if name in config.metrics:
            return _evaluate_many(config, name, values, keys)
        return column(_measure_component(config, name))

    with np.errstate(over="ignore", invalid="ignore"):
        result = _arithmetic(_parsed(metric_id, metric.expression)[0].body, lookup)
    return _finite_or_nan(np.broadcast_to(result, (len(keys),)).astype(np.float64))


def _divide_arrays(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Element-wise division where a zero or missing denominator, or a quotient too large to
    hold (a tiny denominator), gives NaN."""
    out = np.full(numerator.shape, math.nan)
    usable = (denominator != 0) & ~np.isnan(denominator) & ~np.isnan(numerator)
    with np.errstate(over="ignore", invalid="ignore"):
        np.divide(numerator, denominator, out=out, where=usable)
    return _finite_or_nan(out)


@lru_cache(maxsize=512)
def _parsed_expression(expression: str) -> tuple[ast.Expression, tuple[str, ...]]:
    names = expression_names(expression)  # refuses anything but numbers, names and + - * /
    return ast.parse(expression, mode="eval"), tuple(names)


def _parsed(metric_id: str, expression: str) -> tuple[ast.Expression, tuple[str, ...]]:
    try:
        return _parsed_expression(expression)
    except ValueError as exc:
        raise MetricError(f"metric {metric_id!r}: {exc}") from None


def _arithmetic(node: ast.expr, lookup: Callable[[str], FloatArray]) -> FloatArray | float:
    """Evaluate a checked arithmetic expression over arrays; division by zero gives NaN."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return lookup(node.id)
    if isinstance(node, ast.UnaryOp):
        operand = _arithmetic(node.operand, lookup)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _arithmetic(node.left, lookup), _arithmetic(node.right, lookup)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            shape = np.broadcast(left, right).shape
            return _divide_arrays(
                np.broadcast_to(np.asarray(left, dtype=np.float64), shape),
                np.broadcast_to(np.asarray(right, dtype=np.float64), shape),
            )
    raise MetricError(f"unsupported expression element {ast.dump(node)}")
