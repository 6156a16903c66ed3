"""What a metric asks of the store, and the SQL that answers it.

A metric reduces to *components*, each one aggregate of a measure over a window and a filter,
optionally by a grain (a join to calendar_day) or a dimension: its sum, its value on the last day
with data, or the two sums of a weighted average. This module checks a request against
metrics.yaml (unknown measures, filters a component cannot take, a window that ends before it
starts: MetricError) and builds and runs the statements, grouping reads that differ only in one
filter's value into one statement.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    CompoundSelect,
    Date,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
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

from planning.config.metrics import (
    MetricsConfig,
    RatioMetric,
    SimpleMetric,
    SnapshotMetric,
    WeightedAverageMetric,
    expression_names,
)
from planning.i18n import gettext as _
from planning.metrics.rollups import DAILY

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
OBSERVATION = table(
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


@dataclass(frozen=True)
class Component:
    """One aggregate computed in SQL: a measure's sum or last-day value, or a weighted average."""

    kind: Kind
    measure: str
    weight: str = ""

    def measures(self) -> tuple[str, ...]:
        """The measures the component reads: the measure, and its weight for an average."""
        return (self.measure, self.weight) if self.weight else (self.measure,)


ComponentValues = dict[Component, dict[Key, float]]
FloatArray = npt.NDArray[np.float64]


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


# Grouped queries per statement at most (SQLite allows 500 terms in a compound SELECT).
QUERIES_PER_STATEMENT = 200


# --- what a metric needs -----------------------------------------------------------------------


def check_window(start: date, end: date) -> None:
    """Refuse a window that starts after it ends."""
    if start > end:
        raise MetricError(
            _("the window starts ({start}) after it ends ({end})").format(start=start, end=end)
        )


def measure_component(config: MetricsConfig, measure_id: str) -> Component:
    """A base measure's aggregate (its sum or last day's value); unknown measures are refused."""
    measure = config.measures.get(measure_id)
    if measure is None:
        raise MetricError(_("unknown measure {measure}").format(measure=repr(measure_id)))
    return Component(measure.aggregation, measure_id)


def metric_components(
    config: MetricsConfig, metric_id: str, filters: Mapping[str, str] | None
) -> set[Component]:
    """The components a metric needs, after checking that the filters apply to all of them."""
    components: set[Component] = set()
    _collect(config, metric_id, components, ())
    check_filters(config, filters, components, _("metric {metric}").format(metric=repr(metric_id)))
    return components


def _collect(
    config: MetricsConfig, metric_id: str, into: set[Component], trail: tuple[str, ...]
) -> None:
    metric = config.metrics.get(metric_id)
    if metric is None:
        raise MetricError(_("unknown metric {metric}").format(metric=repr(metric_id)))
    if isinstance(metric, SimpleMetric):
        into.add(measure_component(config, metric.measure))
    elif isinstance(metric, SnapshotMetric):
        into.add(Component("last", measure_component(config, metric.measure).measure))
    elif isinstance(metric, RatioMetric):
        into.add(measure_component(config, metric.numerator))
        into.add(measure_component(config, metric.denominator))
    elif isinstance(metric, WeightedAverageMetric):
        measure_component(config, metric.value)
        measure_component(config, metric.weight)
        into.add(Component("wavg", metric.value, metric.weight))
    else:
        for name in parsed_expression(metric_id, metric.expression)[1]:
            if name in config.metrics:
                if name in (*trail, metric_id):
                    raise MetricError(
                        _("metric {metric} refers to itself through {name}").format(
                            metric=repr(metric_id), name=repr(name)
                        )
                    )
                _collect(config, name, into, (*trail, metric_id))
            elif name in config.measures:
                into.add(measure_component(config, name))
            else:
                raise MetricError(
                    _(
                        "metric {metric} refers to {name}, which is neither a measure nor a metric"
                    ).format(metric=repr(metric_id), name=repr(name))
                )


def check_filters(
    config: MetricsConfig,
    filters: Mapping[str, str] | None,
    components: Iterable[Component],
    subject: str,
) -> None:
    """Refuse filters on unknown dimensions or values, or on a dimension a component's measures
    are not recorded by (`subject` names what was asked in the message)."""
    if not filters:
        return
    needed = sorted({m for c in components for m in c.measures()})
    for name, value in filters.items():
        dimension = config.dimensions.get(name)
        if dimension is None:
            raise MetricError(
                _("cannot filter {subject}: unknown dimension {name}").format(
                    subject=subject, name=repr(name)
                )
            )
        if value not in dimension.values:
            raise MetricError(
                _(
                    "cannot filter {subject}: {value} is not a value of dimension {name} "
                    "(expected one of {values})"
                ).format(
                    subject=subject,
                    value=repr(value),
                    name=repr(name),
                    values=", ".join(dimension.values),
                )
            )
        for measure_id in needed:
            declared = config.measures[measure_id].dimensions
            if name not in declared:
                has = ", ".join(declared) if declared else _("no dimensions")
                raise MetricError(
                    _(
                        "cannot filter {subject} by {name}: its measure {measure} does not "
                        "have that dimension (it has {has})"
                    ).format(subject=subject, name=repr(name), measure=repr(measure_id), has=has)
                )


# --- SQL ---------------------------------------------------------------------------------------


def aggregate(
    session: Session,
    components: set[Component],
    start: date,
    end: date,
    filters: Mapping[str, str] | None,
    *,
    grain: Grain | None = None,
    dimension: str | None = None,
) -> ComponentValues:
    """Every component over the window, per period of the grain or per member of the dimension
    (neither: over the whole window), from one statement."""
    values: ComponentValues = {c: {} for c in components}
    by_identity: dict[tuple[str, str, str], dict[Key, float]] = {
        (c.kind, c.measure, c.weight): found for c, found in values.items()
    }
    group = ReadGroup(start, end, grain, tuple(sorted((filters or {}).items())), dimension)
    for identity, member, run in _grouped_values(session, group, components, None):
        if dimension is not None:  # a breakdown: one value per member
            by_identity[identity].update((member, value) for _, value in run)
        else:
            by_identity[identity].update(run)
    return values


@dataclass(frozen=True)
class ReadGroup:
    """What one statement aggregates over: a window, filters, and the grouping by period (grain)
    and by member (a dimension's value: the filter that tells a batch's reads apart, or the
    dimension of a breakdown)."""

    start: date
    end: date
    grain: Grain | None
    fixed: tuple[tuple[str, str], ...]  # filters every row must match
    dimension: str | None


def read_group(read: MetricRead) -> tuple[ReadGroup, str | None]:
    """A read's group, and its value of the group's dimension."""
    filters = tuple(sorted(read.filters))
    start = read.start - timedelta(days=read.running - 1) if read.running else read.start
    if not filters:
        return ReadGroup(start, read.end, read.grain, (), None), None
    dimension, member = filters[-1]
    return ReadGroup(start, read.end, read.grain, filters[:-1], dimension), member


def read_group_values(
    session: Session,
    group: ReadGroup,
    members: Mapping[str | None, Sequence[int]],
    values: Sequence[ComponentValues],
) -> None:
    """Aggregate every component the group's reads need, for just the members that need it,
    and store each value in the reads it belongs to."""
    needed: dict[Component, set[str]] = {}
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
    group: ReadGroup,
    components: Iterable[Component],
    members: Mapping[Component, Sequence[str]] | None,
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
    for first in range(0, len(ordered), QUERIES_PER_STATEMENT):
        chunk = tuple(ordered[first : first + QUERIES_PER_STATEMENT])
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
                        day = days[key] = as_date(key)
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
    components: tuple[Component, ...], scope: _GroupScope, grain: Grain | None
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

    def select(self, j: int, component: Component, grain: Grain | None) -> Select[Any]:
        """The j-th component's grouped query."""
        if component.kind == "wavg":
            return self._weighted(j, component.measure, component.weight, grain)
        if not self.filter_names and not self.by_member:
            # Over every series: the measure's daily totals (planning.metrics.rollups) hold the
            # same sums in a row per day.
            return _daily_total(component.kind, component.measure, grain)
        if component.kind == "last" and grain != "day":
            return self._last(j, component.measure, grain)
        # A sum; or a day's last value, as a day's group has no other day.
        return self._sum(j, component.kind, component.measure, grain)

    def _sum(self, j: int, kind: Kind, measure: str, grain: Grain | None) -> Select[Any]:
        s, o = _SERIES.alias("s"), OBSERVATION.alias("o")
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
        s, o = _SERIES.alias("s"), OBSERVATION.alias("o")
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
        s, o = _SERIES.alias("s"), OBSERVATION.alias("o")
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
        s, o = _SERIES.alias("s"), OBSERVATION.alias("o")
        sw, w = _SERIES.alias("sw"), OBSERVATION.alias("w")
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


def _daily_total(kind: Kind, measure: str, grain: Grain | None) -> Select[Any]:
    """A measure's sum, or its total on each group's last day with data, over every series, from
    the daily totals: the same columns as the grouped queries on observations."""
    d = DAILY.alias("d")
    in_window = [
        d.c.measure == literal(measure, String),
        d.c.day >= bindparam("start", type_=Date),
        d.c.day <= bindparam("end", type_=Date),
    ]
    joined: Any = d
    groups: list[ColumnElement[Any]] = []
    if grain == "day":
        groups.append(d.c.day)
    elif grain is not None:
        cal = _CALENDAR.alias("c")
        joined = d.join(cal, cal.c.day == d.c.day)
        groups.append(cal.c[f"{grain}_start"])
    if kind == "last" and grain != "day":
        last = (
            select(
                *(g.label(f"g{i}") for i, g in enumerate(groups)), func.max(d.c.day).label("day")
            )
            .select_from(joined)
            .where(*in_window)
            .group_by(*groups)
            .subquery("l")
        )
        on = [last.c.day == d.c.day, *(last.c[f"g{i}"] == g for i, g in enumerate(groups))]
        joined = joined.join(last, and_(*on))
    key = groups[-1] if grain is not None else cast(null(), Date)
    return (
        select(
            literal(kind).label("kind"),
            literal(measure, String).label("measure"),
            literal("").label("weight"),
            cast(null(), String).label("member"),
            key.label("key"),
            func.sum(d.c.total).label("total"),
            cast(null(), Float).label("weight_total"),
        )
        .select_from(joined)
        .where(*in_window)
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


def as_date(value: Any) -> date:
    """A day as the database returns it (date, datetime or ISO text) as a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def day_of(key: Key) -> date:
    """A period key that is a date (the start of a period of a grain)."""
    assert isinstance(key, date)
    return key


def object_column(items: Sequence[Key]) -> npt.NDArray[np.object_]:
    """A column of Python objects (dates or texts) as pandas keeps them."""
    column = np.empty(len(items), dtype=object)
    column[:] = items
    return column


def keys_of(values: ComponentValues) -> set[Key]:
    """Every period or dimension value any component has a value for."""
    return {key for by_key in values.values() for key in by_key}


@lru_cache(maxsize=512)
def _parse_expression(expression: str) -> tuple[ast.Expression, tuple[str, ...]]:
    names = expression_names(expression)  # refuses anything but numbers, names and + - * /
    return ast.parse(expression, mode="eval"), tuple(names)


def parsed_expression(metric_id: str, expression: str) -> tuple[ast.Expression, tuple[str, ...]]:
    """A derived metric's checked expression and the names it uses; MetricError if it is not one."""
    try:
        return _parse_expression(expression)
    except ValueError as exc:
        raise MetricError(f"metric {metric_id!r}: {exc}") from None
