"""Scoring many initiatives at once: the same results as planning.work.scoring ``score`` row by
row, worked out column by column.

The ranked backlog scores every open initiative (thousands of them) each time it is read.
Most rows have complete, valid inputs, so their checks and formula run here as array
operations; a row with anything to report (a missing, non-numeric, off-scale or out-of-range
input, an unusable effort, no baseline or lift) goes through ``score`` itself, so every message
is the one a single score gives. The array arithmetic follows ``score``'s order of operations,
so each score is the same float, not merely a close one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from planning.config.scoring import EFFORT_INPUT_OF_FORMULA, EffortConversion, EffortStep, Framework
from planning.work.scoring import (
    _TOLERANCE,
    DEFAULT_EFFORT,
    FORMULA_INPUTS,
    ScoreResult,
    score,
)

_PLAIN_NUMBERS = (int, float)  # what stored JSON inputs hold; anything else takes the long way
# The formulas worked out here as arrays (_formula); a framework with any other is scored row by
# row, so a new formula in scoring.py is right before it is fast.
BATCH_FORMULAS = frozenset({"rice", "ice", "wsjf", "weighted", "expected_value"})


def _number(value: Any) -> float | None:
    """`value` as a float when it is a plain int or float (not a bool), else None."""
    return float(value) if type(value) in _PLAIN_NUMBERS else None


def _steps(effort_weeks: np.ndarray, steps: Sequence[EffortStep]) -> np.ndarray:
    """Each effort's configured step value (scoring ``_step`` over an array)."""
    found = np.full(effort_weeks.shape, steps[-1].value, dtype="float64")
    placed = np.zeros(effort_weeks.shape, dtype=bool)
    for step in steps:
        here = ~placed
        if step.up_to_weeks is not None:
            here &= effort_weeks <= step.up_to_weeks + _TOLERANCE
        found[here] = step.value
        placed |= here
    return found


def _close_to_any(values: np.ndarray, allowed: Sequence[float]) -> np.ndarray:
    """math.isclose(value, a, rel_tol=abs_tol=_TOLERANCE) for some allowed a, per value."""
    found = np.zeros(values.shape, dtype=bool)
    for raw in allowed:
        target = float(raw)
        diff = np.abs(target - values)
        found |= (
            (values == target)
            | (diff <= np.abs(_TOLERANCE * target))
            | (diff <= np.abs(_TOLERANCE * values))
            | (diff <= _TOLERANCE)
        )
    return found


def _formula(
    framework: Framework,
    columns: Mapping[str, np.ndarray],
    effort_weeks: np.ndarray,
    baseline: np.ndarray,
    lift: np.ndarray,
    effort: EffortConversion,
) -> tuple[np.ndarray, np.ndarray]:
    """The formula's result per row, and which rows it may not be given (a zero divisor)."""
    usable = np.ones(effort_weeks.shape, dtype=bool)
    if framework.formula == "rice":
        months = np.maximum(effort.rice_minimum_months, effort_weeks * 12 / 52)
        usable = months > 0
        found = columns["reach"] * columns["impact"] * columns["confidence"] / months
    elif framework.formula == "ice":
        found = columns["impact"] * columns["confidence"] * _steps(effort_weeks, effort.ease)
    elif framework.formula == "wsjf":
        size = _steps(effort_weeks, effort.job_size)
        usable = size > 0
        found = (
            columns["business_value"] + columns["time_criticality"] + columns["risk_reduction"]
        ) / size
    elif framework.formula == "weighted":
        found = np.zeros(effort_weeks.shape, dtype="float64")
        for name, weight in framework.weights.items():
            found = found + weight * columns[name]
    else:
        assert framework.formula == "expected_value"  # score_many checks BATCH_FORMULAS first
        usable = effort_weeks > 0
        found = baseline * lift * columns["confidence"] / effort_weeks
    return found, usable


def score_many(
    framework_id: str,
    framework: Framework,
    scores: Sequence[Mapping[str, Any]],
    *,
    effort_weeks: Sequence[float | None],
    baseline_weekly_value: Sequence[float | None] | None = None,
    lift_pct: Sequence[float | None] | None = None,
    effort: EffortConversion = DEFAULT_EFFORT,
) -> list[ScoreResult]:
    """``score`` for each initiative (its stored `scores`, effort, and for expected value its
    baseline and lift, at the same position), in the same order, with the same results."""
    count = len(scores)
    baselines = baseline_weekly_value if baseline_weekly_value is not None else [None] * count
    lifts = lift_pct if lift_pct is not None else [None] * count

    def one(index: int) -> ScoreResult:
        return score(
            framework_id,
            framework,
            scores[index],
            effort_weeks=effort_weeks[index],
            baseline_weekly_value=baselines[index],
            lift_pct=lifts[index],
            effort=effort,
        )

    names = list(framework.inputs)
    needed = FORMULA_INPUTS.get(framework.formula, ())
    if (
        framework.formula not in BATCH_FORMULAS
        or not names
        or any(name not in framework.inputs for name in needed)
    ):
        return [one(i) for i in range(count)]  # a framework score() refuses whole, or no input
    expected = framework.formula == "expected_value"
    effort_needed = expected or framework.formula in EFFORT_INPUT_OF_FORMULA

    # Pick the rows that may take the quick way: every input a plain number, the effort (and
    # for expected value the baseline and lift) too; the rest are scored one by one.
    rows: list[int] = []
    values: list[list[float]] = []
    efforts: list[float] = []
    bases: list[float] = []
    gains: list[float] = []
    for index in range(count):
        inputs = scores[index].get(framework_id)
        if not isinstance(inputs, dict) or not inputs:
            continue
        row = [_number(inputs.get(name)) for name in names]
        if None in row:
            continue
        weeks = _number(effort_weeks[index])
        if weeks is None and (effort_needed or effort_weeks[index] is not None):
            continue
        base = gain = 0.0
        if expected:
            found_base, found_gain = _number(baselines[index]), _number(lifts[index])
            if found_base is None or found_gain is None:
                continue
            base, gain = found_base, found_gain
        rows.append(index)
        values.append(row)  # type: ignore[arg-type]  # None was ruled out above
        efforts.append(np.nan if weeks is None else weeks)
        bases.append(base)
        gains.append(gain)

    results: list[ScoreResult | None] = [None] * count
    if rows:
        matrix = np.array(values, dtype="float64").reshape(len(rows), len(names))
        weeks_array = np.array(efforts, dtype="float64")
        base_array = np.array(bases, dtype="float64")
        lift_array = np.array(gains, dtype="float64")
        valid = np.isfinite(matrix).all(axis=1)
        columns: dict[str, np.ndarray] = {}
        for position, name in enumerate(names):
            column = matrix[:, position]
            columns[name] = column
            spec = framework.inputs[name]
            if spec.scale is not None:
                valid &= _close_to_any(column, spec.scale)
            # Bounds apply to a value on the scale too, as validate_inputs checks them after it.
            if spec.minimum is not None:
                valid &= column >= spec.minimum
            if spec.maximum is not None:
                valid &= column <= spec.maximum
        if effort_needed:
            valid &= np.isfinite(weeks_array)
            valid &= weeks_array > 0 if expected else weeks_array >= 0
        if expected:
            valid &= np.isfinite(base_array) & np.isfinite(lift_array)
        # A row with no effort (a weighted framework) is scored alike; nan stands in for it.
        with np.errstate(all="ignore"):
            found, usable = _formula(
                framework, columns, weeks_array, base_array, lift_array, effort
            )
        valid &= usable
        for position in np.flatnonzero(valid).tolist():
            results[rows[position]] = ScoreResult(framework_id, float(found[position]))
    return [found if found is not None else one(i) for i, found in enumerate(results)]
