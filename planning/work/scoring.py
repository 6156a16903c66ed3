"""Initiative scoring: the formulas of config/scoring.yaml, ranking and the value/effort matrix.

Everything here is pure: numbers in, numbers out. Reading initiatives and computing a metric's
baseline weekly value belong to the data-access layer, which passes the results in.

Stored shape. Each initiative keeps the inputs of every framework it has been scored with, so
frameworks can be compared side by side (models.Initiative.scores)::

    {"rice": {"reach": 2000, "impact": 2, "confidence": 0.8},
     "ice": {"impact": 8, "confidence": 7},
     "expected_value": {"confidence": 0.5}}

The outer key is the framework id from scoring.yaml, the inner keys are that framework's input
ids. Effort is estimated once, on the initiative, in person-weeks, and each framework's effort
input is derived from it with scoring.yaml's `effort` conversion (effort_input): RICE's
person-months, WSJF's job size, ICE's ease; expected value divides by the person-weeks. The
expected-value framework also uses the expected lift and the baseline weekly value of the linked
metric's money measure. Those are passed to score() as keyword arguments, never stored under
"scores".

Missing inputs are reported, never filled in from the YAML defaults: a default prefills a form,
it is not an estimate anybody made. Keys that are not inputs of the framework (for example a
criterion since removed from scoring.yaml) are ignored.
"""

from __future__ import annotations

import math
import numbers
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from planning.config.scoring import (
    EFFORT_INPUT_OF_FORMULA,
    EffortConversion,
    EffortStep,
    Framework,
    Matrix,
    Quadrants,
    ScoringConfig,
)
from planning.formatting import format_score
from planning.i18n import N_
from planning.i18n import gettext as _

# Input ids each built-in formula reads from the stored scores; its effort input comes from the
# initiative's effort (EFFORT_INPUT_OF_FORMULA). A weighted framework reads its weighted criteria.
FORMULA_INPUTS: dict[str, tuple[str, ...]] = {
    "rice": ("reach", "impact", "confidence"),
    "ice": ("impact", "confidence"),
    "wsjf": ("business_value", "time_criticality", "risk_reduction"),
    "expected_value": ("confidence",),
}
WEEKS_PER_MONTH = 52 / 12
DEFAULT_EFFORT = EffortConversion()

_TOLERANCE = 1e-9

# The reasons an expected-value score is missing that the backlog words its own way (backlog.py).
NO_BASELINE = N_("no baseline weekly value for the linked metric")
NO_LIFT = N_("no expected lift")


@dataclass(frozen=True)
class ScoreResult:
    """One framework's score for one initiative, or no score and the reasons why."""

    framework_id: str
    score: float | None
    problems: tuple[str, ...] = field(default=())

    @property
    def scored(self) -> bool:
        """True when the initiative has a score under this framework."""
        return self.score is not None


@dataclass(frozen=True)
class Ranked:
    """An initiative's place in the ranked backlog; unscored items have no rank."""

    id: int
    score: float | None
    rank: int | None


# --- formulas ----------------------------------------------------------------------------------


def rice(*, reach: float, impact: float, confidence: float, effort_months: float) -> float:
    """RICE = reach × impact × confidence / effort in person-months."""
    if effort_months <= 0:
        raise ValueError("RICE effort must be above 0 person-months")
    return reach * impact * confidence / effort_months


def ice(*, impact: float, confidence: float, ease: float) -> float:
    """ICE = impact × confidence × ease."""
    return impact * confidence * ease


def wsjf(
    *, business_value: float, time_criticality: float, risk_reduction: float, job_size: float
) -> float:
    """WSJF = (business value + time criticality + risk reduction) / job size."""
    if job_size <= 0:
        raise ValueError("WSJF job size must be above 0")
    return (business_value + time_criticality + risk_reduction) / job_size


def weighted(values: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Weighted sum Σ weight × value over the weighted criteria; each criterion needs a value."""
    missing = [name for name in weights if name not in values]
    if missing:
        raise ValueError(f"no value for criteria: {', '.join(missing)}")
    return sum(weight * values[name] for name, weight in weights.items())


def expected_value(
    *, baseline_weekly_value: float, lift_pct: float, confidence: float, effort_weeks: float
) -> float:
    """Expected weekly gain (baseline × relative lift × confidence) per person-week of effort."""
    if effort_weeks <= 0:
        raise ValueError("effort must be above 0 person-weeks")
    return baseline_weekly_value * lift_pct * confidence / effort_weeks


# --- effort conversion -------------------------------------------------------------------------


def rice_effort_months(effort_weeks: float, conversion: EffortConversion = DEFAULT_EFFORT) -> float:
    """RICE effort in person-months: person-weeks / (52 / 12), at least the configured minimum."""
    return max(conversion.rice_minimum_months, effort_weeks * 12 / 52)


def _step(effort_weeks: float, steps: list[EffortStep]) -> float:
    for step in steps:
        if step.up_to_weeks is None or effort_weeks <= step.up_to_weeks + _TOLERANCE:
            return step.value
    return steps[-1].value


def wsjf_job_size(effort_weeks: float, conversion: EffortConversion = DEFAULT_EFFORT) -> float:
    """WSJF job size: the configured step (1, 2, 3, 5, 8, 13, 20) the person-weeks fall in."""
    return _step(effort_weeks, conversion.job_size)


def ice_ease(effort_weeks: float, conversion: EffortConversion = DEFAULT_EFFORT) -> float:
    """ICE ease (1–10): the configured step the person-weeks fall in."""
    return _step(effort_weeks, conversion.ease)


def effort_input(
    formula: str, effort_weeks: float, conversion: EffortConversion = DEFAULT_EFFORT
) -> tuple[str, float] | None:
    """The effort input a formula derives from the person-weeks, as (input id, value)."""
    if formula == "rice":
        return "effort_months", rice_effort_months(effort_weeks, conversion)
    if formula == "wsjf":
        return "job_size", wsjf_job_size(effort_weeks, conversion)
    if formula == "ice":
        return "ease", ice_ease(effort_weeks, conversion)
    return None


def effort_input_text(
    formula: str, effort_weeks: float, conversion: EffortConversion = DEFAULT_EFFORT
) -> str:
    """The derived effort input as a person reads it, e.g. 'effort 3 person-months'; '' if none."""
    derived = effort_input(formula, effort_weeks, conversion)
    if derived is None:
        return ""
    name, value = derived
    if name == "effort_months":
        return _("effort {value} person-months").format(value=format_score(value))
    if name == "job_size":
        return _("job size {value}").format(value=_fmt(value))
    return _("ease {value}").format(value=_fmt(value))


# --- validation and scoring --------------------------------------------------------------------


def _fmt(number: float) -> str:
    """A number as a person would write it: 2 not 2.0, 0.25 not 2.5e-01."""
    if float(number).is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.6g}"


def _is_number(value: Any) -> bool:
    if type(value) is float or type(value) is int:  # the usual case, without the ABC check
        return math.isfinite(value)
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def validate_inputs(framework: Framework, inputs: Mapping[str, Any]) -> list[str]:
    """One clear message per missing, non-numeric, off-scale or out-of-range input."""
    problems: list[str] = []
    for input_id, spec in framework.inputs.items():
        name = _(spec.label)
        if input_id not in inputs or inputs[input_id] is None:
            problems.append(_("{name} is missing").format(name=name))
            continue
        raw = inputs[input_id]
        if not _is_number(raw):
            problems.append(_("{name} {value} is not a number").format(name=name, value=repr(raw)))
            continue
        value = float(raw)
        if spec.scale is not None and not any(
            math.isclose(value, allowed, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)
            for allowed in spec.scale
        ):
            allowed_text = ", ".join(_fmt(allowed) for allowed in spec.scale)
            problems.append(
                _("{name} {value} is not one of {allowed}").format(
                    name=name, value=_fmt(value), allowed=allowed_text
                )
            )
            continue
        if spec.minimum is not None and value < spec.minimum:
            problems.append(
                _("{name} {value} is below the minimum {minimum}").format(
                    name=name, value=_fmt(value), minimum=_fmt(spec.minimum)
                )
            )
        elif spec.maximum is not None and value > spec.maximum:
            problems.append(
                _("{name} {value} is above the maximum {maximum}").format(
                    name=name, value=_fmt(value), maximum=_fmt(spec.maximum)
                )
            )
    return problems


def _missing_formula_inputs(framework_id: str, framework: Framework) -> list[str]:
    needed = FORMULA_INPUTS.get(framework.formula, ())
    return [
        f"scoring.yaml: frameworks.{framework_id} uses the {framework.formula} formula "
        f"but has no input {name!r}"
        for name in needed
        if name not in framework.inputs
    ]


def _expected_value_problems(
    effort_weeks: float | None, baseline_weekly_value: float | None, lift_pct: float | None
) -> list[str]:
    problems: list[str] = []
    if baseline_weekly_value is None:
        problems.append(_(NO_BASELINE))
    elif not _is_number(baseline_weekly_value):
        problems.append(
            _("baseline weekly value {value} is not a number").format(
                value=repr(baseline_weekly_value)
            )
        )
    if lift_pct is None:
        problems.append(_(NO_LIFT))
    elif not _is_number(lift_pct):
        problems.append(_("expected lift {value} is not a number").format(value=repr(lift_pct)))
    problems += _effort_problems(effort_weeks, divides=True)
    return problems


def _effort_problems(effort_weeks: float | None, *, divides: bool = False) -> list[str]:
    """What is wrong with the effort; `divides`: the formula divides by it, so 0 is wrong too."""
    if effort_weeks is None:
        return [_("no effort estimate in person-weeks")]
    if not _is_number(effort_weeks):
        return [_("effort {value} is not a number").format(value=repr(effort_weeks))]
    if divides and effort_weeks <= 0:
        return [
            _("effort {value} person-weeks leaves nothing to divide by").format(
                value=_fmt(effort_weeks)
            )
        ]
    if effort_weeks < 0:
        return [_("effort {value} person-weeks is below 0").format(value=_fmt(effort_weeks))]
    return []


def score(
    framework_id: str,
    framework: Framework,
    scores: Mapping[str, Any],
    *,
    effort_weeks: float | None = None,
    baseline_weekly_value: float | None = None,
    lift_pct: float | None = None,
    effort: EffortConversion = DEFAULT_EFFORT,
) -> ScoreResult:
    """Score an initiative's stored `scores` ({framework_id: {input: value}}) under one framework.

    effort_weeks (the initiative's one effort) gives RICE, WSJF and ICE their effort input through
    the `effort` conversion and divides expected value; baseline_weekly_value and lift_pct are
    read only by the expected-value formula.
    """
    problems = _missing_formula_inputs(framework_id, framework)
    if problems:
        return ScoreResult(framework_id, None, tuple(problems))
    inputs = scores.get(framework_id)
    if not inputs:
        return ScoreResult(framework_id, None, (f"not scored with {framework.label} yet",))
    if not isinstance(inputs, Mapping):
        return ScoreResult(
            framework_id, None, (f"{framework.label} inputs are not a set of named values",)
        )
    problems = validate_inputs(framework, inputs)
    if framework.formula == "expected_value":
        problems += _expected_value_problems(effort_weeks, baseline_weekly_value, lift_pct)
    elif framework.formula in EFFORT_INPUT_OF_FORMULA:
        problems += _effort_problems(effort_weeks)
    if problems:
        return ScoreResult(framework_id, None, tuple(problems))

    values = {name: float(inputs[name]) for name in framework.inputs}
    if effort_weeks is not None:
        derived = effort_input(framework.formula, float(effort_weeks), effort)
        if derived is not None:
            values[derived[0]] = derived[1]
    try:
        result = _apply(framework, values, effort_weeks, baseline_weekly_value, lift_pct)
    except ValueError as exc:
        return ScoreResult(framework_id, None, (str(exc),))
    return ScoreResult(framework_id, result)


# The built-in formulas that take an effort input (EFFORT_INPUT_OF_FORMULA), by formula id.
_EFFORT_FORMULAS: dict[str, Callable[..., float]] = {"rice": rice, "ice": ice, "wsjf": wsjf}


def _apply(
    framework: Framework,
    values: dict[str, float],
    effort_weeks: float | None,
    baseline_weekly_value: float | None,
    lift_pct: float | None,
) -> float:
    if framework.formula in _EFFORT_FORMULAS:
        # Each takes its stored inputs and its effort input, by the names the formula declares.
        names = (*FORMULA_INPUTS[framework.formula], EFFORT_INPUT_OF_FORMULA[framework.formula])
        return _EFFORT_FORMULAS[framework.formula](**{name: values[name] for name in names})
    if framework.formula == "weighted":
        return weighted(values, framework.weights)
    # expected_value: _expected_value_problems has already refused missing arguments.
    assert effort_weeks is not None and baseline_weekly_value is not None and lift_pct is not None
    return expected_value(
        baseline_weekly_value=float(baseline_weekly_value),
        lift_pct=float(lift_pct),
        confidence=values["confidence"],
        effort_weeks=float(effort_weeks),
    )


def score_all(
    config: ScoringConfig,
    scores: Mapping[str, Any],
    *,
    effort_weeks: float | None = None,
    baseline_weekly_value: float | None = None,
    lift_pct: float | None = None,
) -> dict[str, ScoreResult]:
    """An initiative's result under every framework in scoring.yaml, to compare them."""
    return {
        framework_id: score(
            framework_id,
            framework,
            scores,
            effort_weeks=effort_weeks,
            baseline_weekly_value=baseline_weekly_value,
            lift_pct=lift_pct,
            effort=config.effort,
        )
        for framework_id, framework in config.frameworks.items()
    }


# --- ranking -----------------------------------------------------------------------------------


def rank(items: Mapping[int, float | None]) -> list[Ranked]:
    """Rank initiative ids by score, highest first; equal scores by id; unscored last, unranked."""
    scored: list[tuple[int, float]] = []
    unscored: list[int] = []
    for item_id, value in items.items():
        if value is not None and _is_number(value):
            scored.append((item_id, float(value)))
        else:
            unscored.append(item_id)
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    ranked = [
        Ranked(id=item_id, score=value, rank=position)
        for position, (item_id, value) in enumerate(scored, start=1)
    ]
    ranked += [Ranked(id=item_id, score=None, rank=None) for item_id in sorted(unscored)]
    return ranked


# --- value/effort matrix -----------------------------------------------------------------------


def matrix_splits(
    values: Iterable[float | None], efforts: Iterable[float | None], matrix_config: Matrix
) -> tuple[float | None, float | None]:
    """The value and effort splits: configured ones, else the medians (None with no data)."""

    def split(configured: float | None, numbers_: Iterable[float | None]) -> float | None:
        if configured is not None:
            return configured
        present = [float(n) for n in numbers_ if n is not None and _is_number(n)]
        return statistics.median(present) if present else None

    return split(matrix_config.value_split, values), split(matrix_config.effort_split, efforts)


def quadrant(
    value: float, effort: float, value_split: float, effort_split: float, names: Quadrants
) -> str:
    """The quadrant name for a point; a value or effort equal to its split counts as high."""
    high_value = value >= value_split
    high_effort = effort >= effort_split
    if high_value:
        return names.big_bets if high_effort else names.quick_wins
    return names.money_pits if high_effort else names.fill_ins
