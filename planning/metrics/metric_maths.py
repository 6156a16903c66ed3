"""Evaluating metrics from their aggregated components: ratios as the quotient of two sums, derived
metrics as a small arithmetic expression over other metrics (parsed once, only + - * / and
numbers allowed), computed element-wise over arrays of periods or dimension values. A missing
component or a zero denominator gives NaN, never 0.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence

import numpy as np

from planning.config.metrics import (
    DerivedMetric,
    MetricsConfig,
    RatioMetric,
    SimpleMetric,
    SnapshotMetric,
    WeightedAverageMetric,
)
from planning.metrics.metric_query import (
    Component,
    ComponentValues,
    FloatArray,
    Key,
    MetricError,
    measure_component,
    parsed_expression,
)

# --- evaluation --------------------------------------------------------------------------------


def value_of(values: ComponentValues, component: Component, key: Key) -> float:
    """A component's value for one key, NaN when it has none."""
    return values.get(component, {}).get(key, math.nan)


def optional_value(value: float) -> float | None:
    """A value for a scalar answer: None when it is missing (NaN) or infinite."""
    return value if math.isfinite(value) else None


def finite_or_nan(values: FloatArray) -> FloatArray:
    """The values with every non-finite one (an overflow to inf, inf − inf) made NaN: no value."""
    finite = np.isfinite(values)
    if finite.all():
        return values
    return np.where(finite, values, math.nan)


def evaluate(config: MetricsConfig, metric_id: str, values: ComponentValues, key: Key) -> float:
    """A metric's value for one group from the aggregated components; NaN when it has none."""
    return float(evaluate_many(config, metric_id, values, [key])[0])


def evaluate_many(
    config: MetricsConfig, metric_id: str, values: ComponentValues, keys: Sequence[Key]
) -> FloatArray:
    """A metric's value for each group, in the order of `keys`; NaN where it has none."""
    metric = config.metrics[metric_id]

    def column(component: Component) -> FloatArray:
        found = values.get(component, {})
        return np.fromiter(
            (found.get(k, math.nan) for k in keys), dtype=np.float64, count=len(keys)
        )

    if isinstance(metric, SimpleMetric):
        return finite_or_nan(column(measure_component(config, metric.measure)))
    if isinstance(metric, SnapshotMetric):
        return finite_or_nan(column(Component("last", metric.measure)))
    if isinstance(metric, RatioMetric):
        return divide_arrays(
            column(measure_component(config, metric.numerator)),
            column(measure_component(config, metric.denominator)),
        )
    if isinstance(metric, WeightedAverageMetric):
        return finite_or_nan(column(Component("wavg", metric.value, metric.weight)))
    assert isinstance(metric, DerivedMetric)

    def lookup(name: str) -> FloatArray:
        if name in config.metrics:
            return evaluate_many(config, name, values, keys)
        return column(measure_component(config, name))

    with np.errstate(over="ignore", invalid="ignore"):
        result = _arithmetic(parsed_expression(metric_id, metric.expression)[0].body, lookup)
    return finite_or_nan(np.broadcast_to(result, (len(keys),)).astype(np.float64))


def divide_arrays(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Element-wise division where a zero or missing denominator, or a quotient too large to
    hold (a tiny denominator), gives NaN."""
    out = np.full(numerator.shape, math.nan)
    usable = (denominator != 0) & ~np.isnan(denominator) & ~np.isnan(numerator)
    with np.errstate(over="ignore", invalid="ignore"):
        np.divide(numerator, denominator, out=out, where=usable)
    return finite_or_nan(out)


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
            return divide_arrays(
                np.broadcast_to(np.asarray(left, dtype=np.float64), shape),
                np.broadcast_to(np.asarray(right, dtype=np.float64), shape),
            )
    raise MetricError(f"unsupported expression element {ast.dump(node)}")
