"""OKR maths: key result progress, expected pace, status, forecast, confidence gap and grading.

Pure functions over plain numbers (DESIGN.md §4); reading values from the store is done elsewhere.
Daily series are chronological lists with one entry per day; ``None`` marks a day without data.

Comparisons at a configured boundary (status margins, the confidence gap) allow a tolerance of
1e-9 so that float noise such as ``0.8 - 0.5 == 0.30000000000000004`` never moves a key result
across a boundary that the user sees as exactly met.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from statistics import NormalDist

from planning.config.settings import OkrSettings

EPSILON = 1e-9
STANDARD_NORMAL = NormalDist()
# Two-sided 80 % band of a normal distribution: mean ± 1.2816 standard deviations.
Z_80 = STANDARD_NORMAL.inv_cdf(0.9)
DIRECTIONS = ("increase", "decrease")
GUARDRAIL_RULES = ("stay_above", "stay_below")
# A holding guardrail is on track while the forecast gives it at least this chance of still
# holding at its window's end, at risk below it.
GUARDRAIL_HOLD = 0.5


class Status(StrEnum):
    """Where a key result or objective stands against its expected pace."""

    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"
    too_early = "too_early"


# Worst first; too_early is not on this scale (see worst_status).
_SEVERITY = (Status.off_track, Status.at_risk, Status.on_track)


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'increase' or 'decrease', got {direction!r}")


def _check_finite(**values: float) -> None:
    for name, value in values.items():
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")


def _known(values: Iterable[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


# --- progress ----------------------------------------------------------------------------------


def clamp01(value: float) -> float:
    """Clamp a figure to [0, 1], as roll-ups and grades use progress."""
    return min(1.0, max(0.0, value))


def kr_progress(*, direction: str, start: float, target: float, current: float) -> float:
    """Raw progress from start to target (1.0 = target reached; may be above 1 or below 0)."""
    _check_direction(direction)
    _check_finite(start=start, target=target, current=current)
    if start == target:
        # No distance to travel: done once the value is at or beyond the target.
        reached = current >= target if direction == "increase" else current <= target
        return 1.0 if reached else 0.0
    if direction == "increase":
        return (current - start) / (target - start)
    return (start - current) / (start - target)


def milestone_progress(done: bool) -> float:
    """A milestone is all or nothing: 1.0 when done, else 0.0."""
    return 1.0 if done else 0.0


@dataclass(frozen=True)
class GuardrailResult:
    """A guardrail judged on its window's value: met while that value holds (None before the
    window has any value), and on how many days the window value as of that day was breached."""

    met: bool | None
    days_in_breach: int
    days_checked: int

    @property
    def progress(self) -> float | None:
        """1.0 while the guardrail holds, 0.0 while breached, None without a value yet."""
        return None if self.met is None else float(self.met)


def holds(*, rule: str, threshold: float, value: float) -> bool:
    """Whether a value is on the right side of a guardrail's inclusive threshold."""
    if rule not in GUARDRAIL_RULES:
        raise ValueError(f"guardrail rule must be 'stay_above' or 'stay_below', got {rule!r}")
    # Float noise (a window value rebuilt from running sums) must not breach a value on the line.
    slack = EPSILON * max(1.0, abs(threshold))
    return value >= threshold - slack if rule == "stay_above" else value <= threshold + slack


def guardrail_check(
    *,
    rule: str,
    threshold: float,
    current: float | None,
    running_values: Sequence[float | None] = (),
) -> GuardrailResult:
    """Judge a guardrail on its window's value: met while ``current`` (the window's value now)
    is on the right side of the inclusive threshold. ``running_values`` holds, per day so far,
    the window's value as of that day (None where it had none); the days in breach are the days
    on which it was on the wrong side, however single days moved inside the window."""
    _check_finite(threshold=threshold)
    values = _known(running_values)
    breaches = sum(1 for v in values if not holds(rule=rule, threshold=threshold, value=v))
    met = None
    if current is not None and math.isfinite(current):
        met = holds(rule=rule, threshold=threshold, value=current)
    return GuardrailResult(met=met, days_in_breach=breaches, days_checked=len(values))


# --- expected progress (pace) ------------------------------------------------------------------


def linear_expected(elapsed_days: int, total_days: int) -> float:
    """Share of the window's days gone by: elapsed / total, kept within [0, 1]."""
    if total_days <= 0:
        raise ValueError(f"a window needs at least one day, got {total_days!r}")
    return clamp01(elapsed_days / total_days)


def _usable_last_year(last_year_daily: Sequence[float | None] | None, total_days: int) -> bool:
    """Last year's shape is used only when every day of its window is known and the total > 0."""
    if not last_year_daily or len(last_year_daily) != total_days:
        return False
    if any(v is None or not math.isfinite(v) for v in last_year_daily):
        return False
    return sum(_known(last_year_daily)) > 0


def expected_progress(
    *,
    elapsed_days: int,
    total_days: int,
    last_year_daily: Sequence[float | None] | None = None,
) -> float:
    """Expected share of the target by now: last year's seasonal share, else linear.

    ``last_year_daily`` holds last year's values for the same window, aligned on weekday
    (364 days back), one per day of the window. It is used only when it covers the whole window
    with no missing day and a positive total; otherwise the pace is linear.
    """
    if total_days <= 0:
        raise ValueError(f"a window needs at least one day, got {total_days!r}")
    if not _usable_last_year(last_year_daily, total_days):
        return linear_expected(elapsed_days, total_days)
    shape = _known(last_year_daily or [])
    reached = sum(shape[: max(0, min(elapsed_days, total_days))])
    return clamp01(reached / sum(shape))


def expected_path(
    *, total_days: int, last_year_daily: Sequence[float | None] | None = None
) -> list[float]:
    """Expected progress at the end of each day of the window, for drawing the pace line."""
    if total_days <= 0:
        raise ValueError(f"a window needs at least one day, got {total_days!r}")
    if not _usable_last_year(last_year_daily, total_days):
        return [day / total_days for day in range(1, total_days + 1)]
    shape = _known(last_year_daily or [])
    total = sum(shape)
    path: list[float] = []
    reached = 0.0
    for value in shape:
        reached += value
        path.append(clamp01(reached / total))
    return path


# --- status ------------------------------------------------------------------------------------


def kr_status(
    *,
    progress: float | None,
    expected: float,
    days_of_data: int,
    okr: OkrSettings,
    denominator: float | None = None,
    min_denominator: float = 0.0,
) -> Status:
    """Status from progress against pace, or too_early while there is too little to judge.

    too_early: fewer than ``okr.too_early_days`` days of data, no current value, or (for a ratio
    metric) a window denominator below ``min_denominator``. Both margins are inclusive.
    """
    if progress is None or not math.isfinite(progress) or days_of_data < okr.too_early_days:
        return Status.too_early
    if denominator is not None and denominator < min_denominator:
        return Status.too_early
    if progress >= expected - okr.on_track_margin - EPSILON:
        return Status.on_track
    if progress >= expected - okr.at_risk_margin - EPSILON:
        return Status.at_risk
    return Status.off_track


def guardrail_status(
    *,
    result: GuardrailResult,
    probability: float | None,
    days_of_data: int,
    okr: OkrSettings,
    denominator: float | None = None,
    min_denominator: float = 0.0,
) -> Status:
    """A guardrail's status from its window value: off track while breached; while it holds,
    on track when the forecast gives it at least an even chance (``GUARDRAIL_HOLD``) of
    still holding at the window's end (or gives no chance yet), at risk below that. too_early
    as a metric key result is: no value, too few days, or a ratio's denominator too small."""
    if result.met is None or days_of_data < okr.too_early_days:
        return Status.too_early
    if denominator is not None and denominator < min_denominator:
        return Status.too_early
    if not result.met:
        return Status.off_track
    if probability is not None and probability < GUARDRAIL_HOLD - EPSILON:
        return Status.at_risk
    return Status.on_track


def worst_status(statuses: Iterable[str]) -> Status:
    """An objective's status: the worst of its key results' statuses.

    Severity is off_track, then at_risk, then on_track. Key results that are too early to judge
    are left out, so an objective is too_early only when all of its key results are (or it has
    none).
    """
    judged = {Status(s) for s in statuses}
    for status in _SEVERITY:
        if status in judged:
            return status
    return Status.too_early


def objective_status(
    *, progress: float | None, expected: float | None, statuses: Iterable[str], okr: OkrSettings
) -> Status:
    """An objective's status: its weighted progress against its weighted expected pace.

    The same margins as a key result's (``kr_status``), so the status always agrees with the
    progress and expected figures shown beside it. too_early while every key result is too early
    to judge (or there are none) or nothing has a value yet. Without a pace to weigh progress
    against (milestones have none), a key result behind pace sets it: the reason names that key
    result ("Launch is at risk"), so the status does not say too early beside it.
    """
    worst = worst_status(statuses)
    if worst == Status.too_early:
        return Status.too_early
    if progress is None or expected is None:
        return worst if worst in (Status.off_track, Status.at_risk) else Status.too_early
    return kr_status(progress=progress, expected=expected, days_of_data=okr.too_early_days, okr=okr)


def worst_key_result(items: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The first (title, status) pair of the worst status behind pace, or None when none is."""
    listed = list(items)
    for status in _SEVERITY[:2]:
        for title, found in listed:
            if Status(found) == status:
                return title, found
    return None


# --- forecast ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    """Projected value at the window's end, the chance of reaching the target, and an 80 % band."""

    value: float
    probability: float
    low: float
    high: float


def _forecast(value: float, sd: float, target: float, direction: str) -> Forecast | None:
    # Extreme data can overflow the projection or its spread (inf, or nan from inf − inf): that
    # is no forecast, not a forecast of infinity.
    if not (math.isfinite(value) and math.isfinite(sd)):
        return None
    if sd <= 0:
        reached = value >= target if direction == "increase" else value <= target
        return Forecast(value=value, probability=1.0 if reached else 0.0, low=value, high=value)
    below = STANDARD_NORMAL.cdf((target - value) / sd)  # P(end value < target)
    probability = 1.0 - below if direction == "increase" else below
    return Forecast(
        value=value, probability=probability, low=value - Z_80 * sd, high=value + Z_80 * sd
    )


def _sample_sd(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    # Products rather than ** 2: a float power that overflows raises, a product gives inf.
    return math.sqrt(sum((v - mean) * (v - mean) for v in values) / (len(values) - 1))


def forecast_total(
    *,
    daily_values: Sequence[float | None],
    total_days: int,
    target: float,
    direction: str,
    last_year_daily: Sequence[float | None] | None = None,
) -> Forecast | None:
    """Forecast the window total of an additive metric (e.g. revenue this quarter).

    ``daily_values`` are this window's days so far. Projected total = actual so far + run rate ×
    remaining days, where the run rate is the mean day so far and each remaining day is weighted
    by last year's value for it relative to last year's mean over the elapsed days (so the
    projection follows the seasonal shape; with no usable last year every weight is 1).

    Uncertainty is analytic, with days treated as independent with the standard deviation s of
    the days so far: variance = s² × (Σw² + (Σw)² / n), future-day noise plus the error of a run
    rate estimated from n days. The probability and the 80 % band come from a normal
    distribution. Returns None with fewer than two days of data.
    """
    _check_direction(direction)
    _check_finite(target=target)
    elapsed = len(daily_values)
    if elapsed > total_days:
        raise ValueError(f"{elapsed} days of data do not fit in a window of {total_days} days")
    known = _known(daily_values)
    if len(known) < 2:
        return None
    actual = sum(known)
    run_rate = actual / len(known)
    remaining = total_days - elapsed
    weights = [1.0] * remaining
    if remaining and _usable_last_year(last_year_daily, total_days):
        shape = _known(last_year_daily or [])
        base = sum(shape[:elapsed]) / elapsed
        if base > 0:
            weights = [v / base for v in shape[elapsed:]]
    projected = actual + run_rate * sum(weights)
    sd = _sample_sd(known)
    variance = sd * sd * (sum(w * w for w in weights) + sum(weights) * sum(weights) / len(known))
    return _forecast(projected, math.sqrt(variance), target, direction)


def forecast_level(
    *,
    daily_values: Sequence[float | None],
    remaining_days: int,
    window_days: int,
    target: float,
    direction: str,
    additive: bool = False,
    daily_weights: Sequence[float | None] | None = None,
    recent_days: int = 14,
    known_value: float | None = None,
) -> Forecast | None:
    """Forecast a rate or level at the window's end (conversion, AOV, a trailing-7-day figure).

    Days still to come are assumed to run at the recent level: the mean of the last
    ``recent_days`` daily values, weighted by ``daily_weights`` when given (pass the daily
    denominators of a ratio so the level is SUM(numerator) / SUM(denominator)). The window at its
    end holds its last ``window_days`` days: known days still inside it plus the projected ones.
    Its value is their sum when ``additive``, else their weighted mean (projected days carry the
    recent mean weight). A snapshot metric is a window of one day. ``known_value``, when given,
    is the exact value of the known days that stay in the window (the window's value so far when
    all of them stay) and replaces their weighted mean, for a metric whose value over several
    days is not a weighted mean of its daily values (gross margin).

    Uncertainty: with s the standard deviation of the recent daily values, the mean of p projected
    days has variance s² × (1/p + 1/n) for n recent days; it enters the window value scaled by
    the projected days' share of the window. Returns None with fewer than two recent days.
    """
    _check_direction(direction)
    _check_finite(target=target)
    if window_days < 1:
        raise ValueError(f"a window needs at least one day, got {window_days!r}")
    if remaining_days < 0:
        raise ValueError(f"remaining days cannot be negative, got {remaining_days!r}")
    if recent_days < 2:
        raise ValueError(f"recent_days must be at least 2, got {recent_days!r}")
    weights_in = list(daily_weights) if daily_weights is not None else [1.0] * len(daily_values)
    if len(weights_in) != len(daily_values):
        raise ValueError("daily_weights must have one entry per daily value")
    pairs = [
        (v, w if w is not None else 0.0)
        for v, w in zip(daily_values, weights_in, strict=True)
        if v is not None and math.isfinite(v)
    ]
    recent = [(v, w) for v, w in pairs[-recent_days:] if w > 0]
    if len(recent) < 2:
        return None
    recent_weight = sum(w for _, w in recent)
    level = sum(v * w for v, w in recent) / recent_weight
    mean_weight = recent_weight / len(recent)
    sd_days = _sample_sd([v for v, _ in recent])

    projected_days = min(remaining_days, window_days)
    known_slots = window_days - projected_days
    tail = list(zip(daily_values, weights_in, strict=True))[-known_slots:] if known_slots else []
    known = [(v, w or 0.0) for v, w in tail if v is not None and math.isfinite(v)]
    sd_mean = sd_days * math.sqrt(1 / projected_days + 1 / len(recent)) if projected_days else 0.0

    if additive:
        value = sum(v for v, _ in known) + level * projected_days
        return _forecast(value, sd_mean * projected_days, target, direction)
    known_weight = sum(w for _, w in known)
    future_weight = mean_weight * projected_days
    total_weight = known_weight + future_weight
    if total_weight <= 0:
        return None
    known_total = (
        known_value * known_weight
        if known_value is not None and math.isfinite(known_value)
        else sum(v * w for v, w in known)
    )
    value = (known_total + level * future_weight) / total_weight
    return _forecast(value, sd_mean * future_weight / total_weight, target, direction)


# --- confidence --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfidenceGap:
    """Owner confidence (read as 0–1) minus forecast probability; positive = owner more sure."""

    difference: float
    flagged: bool


def confidence_gap(*, confidence: float, probability: float, threshold: float) -> ConfidenceGap:
    """Compare an owner's 0–10 confidence with the forecast; flag a gap larger than threshold."""
    _check_finite(confidence=confidence, probability=probability, threshold=threshold)
    if not 0 <= confidence <= 10:
        raise ValueError(f"confidence must be between 0 and 10, got {confidence!r}")
    if not 0 <= probability <= 1:
        raise ValueError(f"probability must be between 0 and 1, got {probability!r}")
    difference = confidence / 10 - probability
    return ConfidenceGap(difference=difference, flagged=abs(difference) > threshold + EPSILON)


# --- grading and roll-ups ----------------------------------------------------------------------


def suggested_grade(progress: float) -> float:
    """Suggested key result grade: progress clamped to [0, 1], rounded half up to 0.1."""
    _check_finite(progress=progress)
    # Settle float noise first ((2.295 − 2.1) / 0.3 is 0.6499999999999998) so 0.65 rounds to 0.7.
    settled = Decimal(repr(clamp01(progress))).quantize(Decimal("1e-9"))
    return float(settled.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _weighted_mean(items: Sequence[tuple[float, float]]) -> float | None:
    if not items:
        return None
    for _, weight in items:
        _check_finite(weight=weight)
        if weight < 0:
            raise ValueError(f"weights cannot be negative, got {weight!r}")
    total = sum(weight for _, weight in items)
    if total <= 0:
        # Every weight is zero: the director has not weighted these, so each counts equally.
        return sum(value for value, _ in items) / len(items)
    return sum(value * weight for value, weight in items) / total


def objective_progress(items: Sequence[tuple[float | None, float]]) -> float | None:
    """Weighted mean of (progress, weight) pairs with progress clamped to [0, 1].

    Key results without a value yet (None) are left out; None when none has a value. When every
    weight is zero the key results count equally.
    """
    known = [(clamp01(p), w) for p, w in items if p is not None and math.isfinite(p)]
    return _weighted_mean(known)


def objective_grade(items: Sequence[tuple[float, float]]) -> float | None:
    """Weighted mean of (grade, weight) pairs; grades are 0–1; equal weights when all are zero."""
    for grade, _ in items:
        _check_finite(grade=grade)
        if not 0 <= grade <= 1:
            raise ValueError(f"a grade must be between 0.0 and 1.0, got {grade!r}")
    return _weighted_mean(items)
