"""scoring.yaml: the scoring frameworks, the active one, how an initiative's effort becomes each
framework's effort input, and the value/effort matrix."""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import Field, model_validator

from planning.config.base import Identifier, Strict
from planning.i18n import N_

# The product's own words in the shipped scoring.yaml, for the catalogue: pages show a framework's
# name, description and input labels through gettext, so these read in the person's language
# while a team's own wording (not in the catalogue) stays as written. Acronyms (RICE, ICE, WSJF)
# are names and stay.
SHIPPED_WORDS = (
    N_("Ecommerce weighted"),
    N_("Expected value"),
    N_(
        "Reach × Impact × Confidence / Effort (person-months: the initiative's person-weeks × "
        "12 / 52, at least 0.5)."
    ),
    N_("Impact × Confidence × Ease, each 1–10; Ease comes from the effort (see effort)."),
    N_(
        "(Business value + Time criticality + Risk reduction) / Job size; the job size comes "
        "from the effort (see effort)."
    ),
    N_("Weighted sum of criteria scored 1–5."),
    N_(
        "Expected weekly gross profit gain per person-week: baseline weekly value of the linked "
        "metric's money measure × expected relative lift × confidence / effort."
    ),
    N_("Reach (customers per quarter)"),
    N_("Impact"),
    N_("Confidence"),
    N_("Business value"),
    N_("Time criticality"),
    N_("Risk reduction"),
    N_("Revenue impact"),
    N_("Customer experience"),
    N_("Strategic fit"),
    N_("Ease"),
)


class ScoringInput(Strict):
    """One input of a scoring framework and the values it accepts."""

    label: str
    scale: list[float] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: float | None = None
    help: str = ""

    @model_validator(mode="after")
    def _has_bounds(self) -> ScoringInput:
        if self.scale is None and (self.minimum is None or self.maximum is None):
            raise ValueError("give either a scale (list of allowed values) or minimum and maximum")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is above maximum")
        return self


class Framework(Strict):
    """A scoring framework: a built-in formula, or a weighted sum of named criteria."""

    label: str
    formula: Literal["rice", "ice", "wsjf", "weighted", "expected_value"]
    description: str = ""
    inputs: dict[Identifier, ScoringInput] = {}
    weights: dict[Identifier, float] = {}

    @model_validator(mode="after")
    def _weights(self) -> Framework:
        if self.formula == "weighted":
            if not self.weights:
                raise ValueError("a weighted framework needs weights for its criteria")
            missing = [k for k in self.weights if k not in self.inputs]
            if missing:
                raise ValueError(f"weights name criteria that are not inputs: {missing}")
            total = sum(self.weights.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"weights must sum to 1, they sum to {total:g}")
        return self


class Quadrants(Strict):
    quick_wins: str = N_("Quick wins")
    big_bets: str = N_("Big bets")
    fill_ins: str = N_("Fill-ins")
    money_pits: str = N_("Money pits")


class Matrix(Strict):
    value_split: float | None = None
    effort_split: float | None = None
    quadrants: Quadrants = Quadrants()


# WSJF's job size and ICE's ease are derived from the initiative's effort, not entered.
WSJF_STEPS: tuple[float, ...] = (1, 2, 3, 5, 8, 13, 20)
EASE_RANGE: tuple[float, float] = (1, 10)
# The input each built-in formula takes from the initiative's effort in person-weeks.
EFFORT_INPUT_OF_FORMULA: dict[str, str] = {
    "rice": "effort_months",
    "ice": "ease",
    "wsjf": "job_size",
}


class EffortStep(Strict):
    """Efforts up to and including `up_to_weeks` person-weeks (no limit when left out) map to
    `value`."""

    up_to_weeks: float | None = Field(default=None, ge=0)
    value: float


def _steps(*bounded: tuple[float, float], then: float) -> list[EffortStep]:
    """A default effort scale: (up_to_weeks, value) steps, then one value for any larger effort."""
    return [*(EffortStep(up_to_weeks=w, value=v) for w, v in bounded), EffortStep(value=then)]


def _check_steps(steps: list[EffortStep], name: str) -> None:
    limits = [s.up_to_weeks for s in steps]
    if not steps or limits[-1] is not None:
        raise ValueError(f"{name}: the last step needs no up_to_weeks (it takes any larger effort)")
    bounded = [limit for limit in limits[:-1] if limit is not None]
    if len(bounded) != len(steps) - 1:
        raise ValueError(f"{name}: only the last step may leave out up_to_weeks")
    if any(b <= a for a, b in itertools.pairwise(bounded)):
        raise ValueError(f"{name}: up_to_weeks must rise from one step to the next")


class EffortConversion(Strict):
    """How the initiative's one effort (person-weeks) becomes each framework's effort input."""

    rice_minimum_months: float = Field(default=0.5, gt=0)
    job_size: list[EffortStep] = _steps((1, 1), (2, 2), (4, 3), (8, 5), (13, 8), (26, 13), then=20)
    ease: list[EffortStep] = _steps(
        (1, 10), (2, 9), (3, 8), (4, 7), (6, 6), (8, 5), (13, 4), (26, 3), (52, 2), then=1
    )

    @model_validator(mode="after")
    def _scales(self) -> EffortConversion:
        _check_steps(self.job_size, "job_size")
        _check_steps(self.ease, "ease")
        sizes = [s.value for s in self.job_size]
        off = [f"{v:g}" for v in sizes if v not in WSJF_STEPS]
        if off:
            steps = ", ".join(f"{v:g}" for v in WSJF_STEPS)
            raise ValueError(f"job_size: {', '.join(off)} is not one of {steps}")
        if sizes != sorted(sizes):
            raise ValueError("job_size: a larger effort cannot have a smaller job size")
        low, high = EASE_RANGE
        eases = [s.value for s in self.ease]
        off = [f"{v:g}" for v in eases if not low <= v <= high]
        if off:
            raise ValueError(f"ease: {', '.join(off)} is outside {low:g}–{high:g}")
        if eases != sorted(eases, reverse=True):
            raise ValueError("ease: a larger effort cannot be easier")
        return self


class ScoringConfig(Strict):
    """scoring.yaml: frameworks, the active one, the effort conversion and the matrix."""

    active: Identifier
    frameworks: dict[Identifier, Framework] = Field(min_length=1)
    effort: EffortConversion = EffortConversion()
    matrix: Matrix = Matrix()

    @model_validator(mode="after")
    def _active_exists(self) -> ScoringConfig:
        if self.active not in self.frameworks:
            raise ValueError(f"active framework {self.active!r} is not among the frameworks")
        for framework_id, framework in self.frameworks.items():
            derived = EFFORT_INPUT_OF_FORMULA.get(framework.formula)
            if derived is not None and derived in framework.inputs:
                raise ValueError(
                    f"frameworks.{framework_id}.inputs.{derived}: {framework.label} takes it from "
                    "the initiative's effort in person-weeks (see effort:); remove this input"
                )
        return self
