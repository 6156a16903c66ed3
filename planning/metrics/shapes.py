"""How a metric behaves over the days of a window, which decides how a key result on it is
paced and forecast.

- ``additive``: the window's value is the sum of its days (net revenue, sessions, and derived
  metrics that only add or subtract such sums, like gross profit); over the quarter to date it is a
  running total, so a target on it is a total for the quarter.
- ``ratio``: SUM(numerator) / SUM(denominator) over the window (conversion rate, AOV).
- ``snapshot``: the value on the window's last day with data (content completeness).
- ``level``: any other average over the window (a weighted average such as organic position,
  or a derived ratio such as gross margin).
"""

from __future__ import annotations

import ast
from enum import StrEnum

from planning.config.metrics import (
    DerivedMetric,
    MetricsConfig,
    RatioMetric,
    SimpleMetric,
    SnapshotMetric,
)


class MetricShape(StrEnum):
    """How a metric's window value relates to its daily values."""

    additive = "additive"
    ratio = "ratio"
    snapshot = "snapshot"
    level = "level"


def metric_shape(config: MetricsConfig, metric_id: str) -> MetricShape:
    """Classify a metric from metrics.yaml (KeyError for an unknown metric)."""
    metric = config.metrics[metric_id]
    if isinstance(metric, RatioMetric):
        return MetricShape.ratio
    if isinstance(metric, SnapshotMetric):
        return MetricShape.snapshot
    if isinstance(metric, SimpleMetric):
        aggregation = config.measures[metric.measure].aggregation
        return MetricShape.additive if aggregation == "sum" else MetricShape.snapshot
    if isinstance(metric, DerivedMetric):
        measures = config.metric_measures(metric_id)
        if measures and all(config.measures[m].aggregation == "last" for m in measures):
            return MetricShape.snapshot
        tree = ast.parse(metric.expression, mode="eval")
        if _sums_only(config, tree.body):
            return MetricShape.additive
    return MetricShape.level


def _sums_only(config: MetricsConfig, node: ast.expr) -> bool:
    """Whether an expression is a sum or difference of additive parts (scaled by constants)."""
    if isinstance(node, ast.Name):
        if node.id in config.metrics:
            return metric_shape(config, node.id) == MetricShape.additive
        measure = config.measures.get(node.id)
        return measure is not None and measure.aggregation == "sum"
    if isinstance(node, ast.UnaryOp):
        return _sums_only(config, node.operand)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add | ast.Sub):
            return _sums_only(config, node.left) and _sums_only(config, node.right)
        if isinstance(node.op, ast.Mult):
            left_const = isinstance(node.left, ast.Constant)
            right_const = isinstance(node.right, ast.Constant)
            return (left_const and _sums_only(config, node.right)) or (
                right_const and _sums_only(config, node.left)
            )
        if isinstance(node.op, ast.Div):
            return isinstance(node.right, ast.Constant) and _sums_only(config, node.left)
    return False


def is_total(config: MetricsConfig, metric_id: str, window: str) -> bool:
    """Whether a metric over a window is a running total (additive over the quarter to date)."""
    return window == "period_to_date" and metric_shape(config, metric_id) == MetricShape.additive
