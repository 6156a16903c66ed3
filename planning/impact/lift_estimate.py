"""The lift estimator behind the impact ledger, pure: the windows around a ship date, the realised
lift with its bootstrap interval, and the verdict against the expected lift.

Rules:

- **Windows.** The post window is the ``impact.post_window_days`` days starting on the ship day
  (the change is live from that day); the pre window is as many days ending the day before. Last
  year's windows are the same days 364 days earlier, so weekdays line up.
- **Realised lift.** ``(post / pre) / (post_ly / pre_ly) − 1``: the change after shipping net of
  the change the same weeks showed a year earlier (difference in differences on the ratio of
  sums). When either of last year's windows has too few days with data, it is the plain
  ``post / pre − 1`` and the entry says it is not seasonally adjusted.
- **Interval.** A percentile bootstrap over days: each of the four windows' days are resampled
  with replacement (``impact.bootstrap_samples`` times, numpy with a fixed seed, so the same data
  always gives the same interval) and the lift recomputed; the interval is the central
  ``impact.interval`` share of those lifts (90 % by default: the 5th to the 95th percentile),
  widened to the point estimate in the rare case it falls outside.
- **Verdict**, reading "better" in the metric's good direction (a lower-is-better metric's
  interval and expectation are mirrored first), with [low, high] the interval and e the expected
  lift: **beat** when low > e; **missed** when high < e; otherwise e lies in the interval and it
  is **met** when low > 0 (surely an improvement, as large as expected is plausible) and
  **inconclusive** when low ≤ 0 (no change is as plausible as the expected one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from planning.i18n import N_

LAST_YEAR = timedelta(days=364)
TOLERANCE = 1e-9
SEED = 20_240_909  # fixed, so a ledger read twice gives the same intervals
VERDICTS = ("beat", "met", "missed", "inconclusive", "not_enough_data")
MEASURED = ("beat", "met", "missed", "inconclusive")
FloatArray = npt.NDArray[np.float64]
VERDICT_LABELS = {
    "beat": N_("Beat"),
    "met": N_("Met"),
    "missed": N_("Missed"),
    "inconclusive": N_("Inconclusive"),
    "not_enough_data": N_("Not enough data yet"),
}


# --- windows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactWindows:
    """The pre and post windows around a ship day (inclusive days)."""

    pre_start: date
    pre_end: date
    post_start: date
    post_end: date

    def last_year(self) -> ImpactWindows:
        """The same windows 364 days earlier."""
        return ImpactWindows(
            self.pre_start - LAST_YEAR,
            self.pre_end - LAST_YEAR,
            self.post_start - LAST_YEAR,
            self.post_end - LAST_YEAR,
        )

    @property
    def days(self) -> int:
        """Days in each window."""
        return (self.post_end - self.post_start).days + 1


def impact_windows(shipped: date, post_window_days: int) -> ImpactWindows:
    """Post window: `post_window_days` days from the ship day on; pre window: as many before."""
    if post_window_days < 1:
        raise ValueError(f"the post window must be at least one day, not {post_window_days}")
    length = timedelta(days=post_window_days)
    return ImpactWindows(
        pre_start=shipped - length,
        pre_end=shipped - timedelta(days=1),
        post_start=shipped,
        post_end=shipped + length - timedelta(days=1),
    )


# --- the maths (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyParts:
    """A window's days: the parts aᵢ and bᵢ whose sums' ratio is the window's value."""

    numerator: FloatArray
    denominator: FloatArray
    window_days: int

    @property
    def coverage(self) -> float:
        """Share of the window's days that have data."""
        return len(self.numerator) / self.window_days if self.window_days else 0.0

    @property
    def value(self) -> float | None:
        """Σ a / Σ b, or None without data or with a zero denominator."""
        return _ratio(float(self.numerator.sum()), float(self.denominator.sum()))


def daily_parts(
    numerator: Sequence[float], denominator: Sequence[float], *, window_days: int | None = None
) -> DailyParts:
    """DailyParts from two equal-length sequences (window length defaults to their length)."""
    a = np.asarray(numerator, dtype=np.float64)
    b = np.asarray(denominator, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("numerator and denominator need one value per day each")
    return DailyParts(a, b, len(a) if window_days is None else window_days)


def _ratio(numerator: float, denominator: float) -> float | None:
    if denominator == 0 or math.isnan(numerator) or math.isnan(denominator):
        return None
    return numerator / denominator


@dataclass(frozen=True)
class LiftEstimate:
    """A realised lift, its bootstrap interval and the four window values behind it."""

    realised: float
    ci_low: float
    ci_high: float
    pre: float
    post: float
    pre_last_year: float | None
    post_last_year: float | None
    seasonally_adjusted: bool


def _resampled(parts: DailyParts, rng: np.random.Generator, samples: int) -> FloatArray:
    """The window's value in each bootstrap sample of its days."""
    n = len(parts.numerator)
    picks = rng.integers(0, n, size=(samples, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        values: FloatArray = parts.numerator[picks].sum(axis=1) / parts.denominator[picks].sum(
            axis=1
        )
    return values


def estimate_lift(
    *,
    pre: DailyParts,
    post: DailyParts,
    pre_last_year: DailyParts | None = None,
    post_last_year: DailyParts | None = None,
    samples: int = 1000,
    interval: float = 0.90,
    seed: int = SEED,
) -> LiftEstimate:
    """Realised lift (post/pre)/(post_ly/pre_ly) − 1 with a percentile bootstrap interval over
    days; plain post/pre − 1 when last year's windows are not both given."""
    if not 0 < interval < 1:
        raise ValueError(f"the interval must be between 0 and 1, not {interval}")
    if samples < 1:
        raise ValueError(f"the bootstrap needs at least one sample, not {samples}")
    pre_value, post_value = pre.value, post.value
    if pre_value is None or post_value is None or pre_value == 0:
        raise ValueError("the pre and post windows need data and a non-zero pre value")
    adjusted = pre_last_year is not None and post_last_year is not None
    factor = 1.0
    pre_ly_value = post_ly_value = None
    if adjusted:
        assert pre_last_year is not None and post_last_year is not None
        pre_ly_value, post_ly_value = pre_last_year.value, post_last_year.value
        if not pre_ly_value or not post_ly_value:
            raise ValueError("last year's windows need data and non-zero values")
        factor = post_ly_value / pre_ly_value
    realised = post_value / pre_value / factor - 1
    rng = np.random.default_rng(seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        lifts = _resampled(post, rng, samples) / _resampled(pre, rng, samples)
        if adjusted:
            assert pre_last_year is not None and post_last_year is not None
            lifts = lifts / (
                _resampled(post_last_year, rng, samples) / _resampled(pre_last_year, rng, samples)
            )
    lifts = lifts[np.isfinite(lifts)] - 1
    tail = (1 - interval) / 2
    if len(lifts):
        low, high = (float(q) for q in np.quantile(lifts, [tail, 1 - tail]))
    else:
        low = high = realised
    return LiftEstimate(
        realised=realised,
        ci_low=min(low, realised),
        ci_high=max(high, realised),
        pre=pre_value,
        post=post_value,
        pre_last_year=pre_ly_value,
        post_last_year=post_ly_value,
        seasonally_adjusted=adjusted,
    )


def verdict(
    *, expected: float, ci_low: float, ci_high: float, higher_is_better: bool = True
) -> str:
    """beat, met, missed or inconclusive for an expected lift against a realised interval."""
    if ci_low > ci_high:
        raise ValueError(f"the interval's low end {ci_low} is above its high end {ci_high}")
    if not higher_is_better:  # mirror, so that larger is better below
        expected, ci_low, ci_high = -expected, -ci_high, -ci_low
    # Lifts come out of floating-point division: equal within TOLERANCE counts as equal.
    if ci_low > expected + TOLERANCE:
        return "beat"
    if ci_high < expected - TOLERANCE:
        return "missed"
    return "met" if ci_low > TOLERANCE else "inconclusive"
