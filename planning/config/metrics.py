"""metrics.yaml: dimensions, base measures and the metrics computed from them, with the
cross-references pydantic cannot check alone (``MetricsConfig.check_references``)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from planning.config.base import Identifier, Strict
from planning.i18n import pgettext


class Dimension(Strict):
    label: str
    values: list[str] = Field(min_length=1)
    value_labels: dict[str, str] = {}  # how a value is shown, e.g. paid_search: Paid search

    def value_label(self, value: str) -> str:
        """A value as people read it: its declared label, else title-cased ("Paid Search")."""
        return self.value_labels.get(value) or value.replace("_", " ").title()


# The plausible range of one day's value of a measure unless metrics.yaml says otherwise: wide
# enough for any real shop, narrow enough that sums over years stay far from float overflow.
DEFAULT_MAX_VALUE = 1e12
DEFAULT_MIN_VALUE = -1e12
# No declared bound may go past this: a quarter of days at the bound must still add up.
VALUE_BOUND_LIMIT = 1e15


class Measure(Strict):
    """A base measure stored by day and by its declared dimensions."""

    label: str
    unit: Literal["count", "money", "ratio", "position", "percent"] = "count"
    aggregation: Literal["sum", "last"] = "sum"
    dimensions: list[Identifier] = []
    description: str = ""
    min_value: float = DEFAULT_MIN_VALUE
    max_value: float = DEFAULT_MAX_VALUE

    @model_validator(mode="after")
    def _plausible_range(self) -> Measure:
        for name in ("min_value", "max_value"):
            bound = getattr(self, name)
            if not -VALUE_BOUND_LIMIT <= bound <= VALUE_BOUND_LIMIT:  # also refuses nan
                raise ValueError(
                    f"{name} must be a number from {-VALUE_BOUND_LIMIT:g} to "
                    f"{VALUE_BOUND_LIMIT:g}, got {bound!r}"
                )
        if self.min_value >= self.max_value:
            raise ValueError(
                f"min_value ({self.min_value:g}) must be below max_value ({self.max_value:g})"
            )
        return self


MetricFormat = Literal["number", "money", "percent", "decimal"]


class MetricBase(Strict):
    label: str
    format: MetricFormat = "number"
    description: str = ""
    higher_is_better: bool = True


class SimpleMetric(MetricBase):
    """A base measure aggregated by its own aggregation (sum or last)."""

    type: Literal["simple"]
    measure: Identifier


class SnapshotMetric(MetricBase):
    """The last value of a measure in the window."""

    type: Literal["snapshot"]
    measure: Identifier


class RatioMetric(MetricBase):
    """SUM(numerator) / SUM(denominator) over the whole window and filter."""

    type: Literal["ratio"]
    numerator: Identifier
    denominator: Identifier
    min_denominator: Annotated[float, Field(ge=0)] = 0.0


class WeightedAverageMetric(MetricBase):
    """SUM(value × weight) / SUM(weight), paired by day and dimensions."""

    type: Literal["weighted_average"]
    value: Identifier
    weight: Identifier


class DerivedMetric(MetricBase):
    """An arithmetic expression over measures and metrics, evaluated after aggregation."""

    type: Literal["derived"]
    expression: str


Metric = Annotated[
    SimpleMetric | SnapshotMetric | RatioMetric | WeightedAverageMetric | DerivedMetric,
    Field(discriminator="type"),
]

_ALLOWED_EXPR_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.USub,
    ast.UAdd,
    ast.Constant,
    ast.Name,
    ast.Load,
)


def expression_names(expression: str) -> list[str]:
    """Names an arithmetic expression refers to; ValueError if it is not plain arithmetic."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"expression {expression!r} is not valid arithmetic") from exc
    names: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_EXPR_NODES):
            raise ValueError(
                f"expression {expression!r} may only use numbers, names, + - * / and brackets"
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise ValueError(f"expression {expression!r} has a constant that is not a number")
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
    return names


class MetricsConfig(Strict):
    """metrics.yaml: dimensions, base measures and the metrics computed from them."""

    dimensions: dict[Identifier, Dimension] = {}
    measures: dict[Identifier, Measure] = Field(min_length=1)
    metrics: dict[Identifier, Metric] = {}
    kpi_tiles: list[Identifier] = []
    funnel: list[Identifier] = []

    def metric_measures(self, metric_id: str) -> list[str]:
        """Every base measure a metric is computed from, derived metrics followed through."""
        metric = self.metrics[metric_id]
        if isinstance(metric, DerivedMetric):
            found: list[str] = []
            for name in expression_names(metric.expression):
                parts = [name] if name in self.measures else self.metric_measures(name)
                found.extend(p for p in parts if p not in found)
            return found
        return [ref for _, ref in _measure_refs(metric)]

    def filters_text(self, filters: Mapping[str, str]) -> str:
        """Filters as people read them, e.g. "Channel: Paid search · Device: Mobile"; "all"
        (in the reader's language) when there is none."""
        parts = []
        for name, value in sorted(filters.items()):
            dimension = self.dimensions.get(name)
            if dimension is None:
                parts.append(f"{name.replace('_', ' ').capitalize()}: {value}")
            else:
                parts.append(f"{dimension.label}: {dimension.value_label(value)}")
        # No filter: the metric as a whole ("all" in English, "gesamt" in German).
        return " · ".join(parts) or pgettext("filters", "all")

    def metric_dimensions(self, metric_id: str) -> list[str]:
        """Dimensions every measure of a metric declares: the ones it can be filtered by."""
        measures = self.metric_measures(metric_id)
        shared = set(self.measures[measures[0]].dimensions)
        for measure in measures[1:]:
            shared &= set(self.measures[measure].dimensions)
        return [d for d in self.dimensions if d in shared]

    def check_references(self) -> list[tuple[str, str]]:
        """Cross-references that pydantic cannot check alone: (key, reason) for each problem."""
        problems: list[tuple[str, str]] = []
        for mid, measure in self.measures.items():
            for i, dim in enumerate(measure.dimensions):
                if dim not in self.dimensions:
                    problems.append(
                        (f"measures.{mid}.dimensions.{i}", f"unknown dimension {dim!r}")
                    )
        for mid, metric in self.metrics.items():
            same_measure = isinstance(metric, SimpleMetric) and metric.measure == mid
            if mid in self.measures and not same_measure:
                problems.append(
                    (f"metrics.{mid}", "only a simple metric of that measure may share its id")
                )
        for mid, metric in self.metrics.items():
            for field, ref in _measure_refs(metric):
                if ref not in self.measures:
                    problems.append((f"metrics.{mid}.{field}", f"unknown measure {ref!r}"))
            if isinstance(metric, WeightedAverageMetric):
                value, weight = self.measures.get(metric.value), self.measures.get(metric.weight)
                if value and weight and sorted(value.dimensions) != sorted(weight.dimensions):
                    problems.append(
                        (
                            f"metrics.{mid}.weight",
                            "value and weight measures must declare the same dimensions",
                        )
                    )
            if isinstance(metric, DerivedMetric):
                try:
                    names = expression_names(metric.expression)
                except ValueError as exc:
                    problems.append((f"metrics.{mid}.expression", str(exc)))
                    continue
                for name in names:
                    if name == mid:
                        problems.append((f"metrics.{mid}.expression", "refers to itself"))
                    elif name not in self.measures and name not in self.metrics:
                        problems.append(
                            (
                                f"metrics.{mid}.expression",
                                f"unknown measure or metric {name!r}",
                            )
                        )
        problems.extend(self._derived_cycles())
        for i, tile in enumerate(self.kpi_tiles):
            if tile not in self.metrics:
                problems.append((f"kpi_tiles.{i}", f"unknown metric {tile!r}"))
        for i, step in enumerate(self.funnel):
            if step not in self.measures:
                problems.append((f"funnel.{i}", f"unknown measure {step!r}"))
        return problems

    def _derived_cycles(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []

        def visit(mid: str, path: tuple[str, ...]) -> None:
            metric = self.metrics.get(mid)
            if not isinstance(metric, DerivedMetric):
                return
            try:
                names = expression_names(metric.expression)
            except ValueError:
                return
            for name in names:
                if name in path:
                    problems.append(
                        (
                            f"metrics.{path[0]}.expression",
                            "circular reference: " + " -> ".join((*path, name)),
                        )
                    )
                    return
                visit(name, (*path, name))

        for mid in self.metrics:
            if not any(p[0] == f"metrics.{mid}.expression" for p in problems):
                visit(mid, (mid,))
        return problems


def _measure_refs(metric: Any) -> list[tuple[str, str]]:
    if isinstance(metric, SimpleMetric | SnapshotMetric):
        return [("measure", metric.measure)]
    if isinstance(metric, RatioMetric):
        return [("numerator", metric.numerator), ("denominator", metric.denominator)]
    if isinstance(metric, WeightedAverageMetric):
        return [("value", metric.value), ("weight", metric.weight)]
    return []
