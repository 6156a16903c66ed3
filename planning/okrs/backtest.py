"""How good the forecasts are: the forecaster replayed on the store's own past quarters, and the
calibration fitted from that replay (issue 23).

For every metric and every kind of metric key result (a running total over the quarter, and a
level over each window: the quarter to date, the last 7 or 28 days), each complete past quarter
is replayed at days 15, 30, 46, 60 and 75: the live forecast function (planning.okrs.maths
``forecast_total`` or ``forecast_level``, exactly as the evaluation calls it) is fed only the
days up to that checkpoint, and its projection is set against what the window really came to at
the quarter's end. Targets are spread around that outcome (``TARGET_STEPS`` times the metric's
spread of quarter outcomes), so each replay yields several stated probabilities, each a hit or a
miss.

Calibration has two parts, both fitted on past quarters only:

- drift: the daily spread misses how far a quarter's level can move, so each (metric, kind)
  gets a factor ``k`` that widens the forecast's standard deviation until its standardized
  errors on past quarters have unit spread (shrunk towards the kind's pooled factor, and never
  below 1: bands only widen);
- a monotone step map (pool-adjacent-violators, interpolated between block centres) from the
  widened probability to the hit rate seen at it.

The score shown is honest: each quarter (from the fifth on) is forecast with a calibration
fitted only on the quarters before it. A metric with fewer than ``MIN_QUARTERS`` past quarters
gets no calibrated number: a range between its raw probability and the one its band twice as
wide would give.

The replay and the fitting are pure (``replay``, ``fit_calibration``, ``score``); the store read
is ``read_histories``, and ``forecast_quality`` caches both per data version.
"""

from __future__ import annotations

import logging
import math
import threading
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from planning.config import AppConfig
from planning.metrics.engine import metric_reads
from planning.metrics.metric_query import MetricRead
from planning.metrics.shapes import MetricShape, metric_shape
from planning.okrs.evaluation_reads import (
    LAST_YEAR_DAYS,
    RECENT_DAYS,
    data_as_of,
    ratio_denominator,
)
from planning.okrs.maths import Z_80, Forecast, forecast_level, forecast_total
from planning.periods import (
    next_quarter,
    quarter_bounds,
    quarter_of,
    window_bounds,
    window_length,
)
from planning.store.engine import OBSERVATIONS, StoreError, data_versions, read_engine
from planning.store.gate import DATABASE_ERRORS
from planning.store.models import Observation

CHECKPOINTS = (15, 30, 46, 60, 75)  # days into a quarter at which a past quarter is replayed
TARGET_STEPS = (-2.0, -1.0, -0.5, -0.25, 0.25, 0.5, 1.0, 2.0)  # × the metric's outcome spread
MIN_QUARTERS = 4  # past quarters of a metric before its probability is a calibrated number
WIDE = 2.0  # with little history, the range runs to the probability of a band this much wider
SHRINK = 10.0  # cases of pooled weight a (metric, kind)'s drift factor is shrunk with
BINS = 10  # reliability bins of width 0.1
GRID = 1000  # stated probabilities are pooled to this grid before the step map is fitted
TOTAL = "total"  # a running total over the quarter
LEVEL_WINDOWS = ("period_to_date", "trailing_7d", "trailing_28d")
MIN_SPREAD = 0.01  # relative target spread floor, for a metric whose outcomes barely move


def kind_of(*, total_target: bool, window: str) -> str:
    """The backtest kind of a metric key result: ``total`` or ``level:<window>``."""
    return TOTAL if total_target else f"level:{window}"


def _cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


# --- the replay (pure) -------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricHistory:
    """One metric's past as the replay needs it: its shape, its daily values and (for a ratio)
    daily denominators, and what each window really came to at each past quarter's end."""

    metric_id: str
    shape: MetricShape
    daily: Mapping[date, float]
    weights: Mapping[date, float] | None
    outcomes: Mapping[tuple[str, str], float]  # (period, kind) -> the window's value at its end


@dataclass(frozen=True)
class Case:
    """One replayed forecast: what the forecaster projected at a checkpoint, with its spread,
    and what the window came to. ``scale`` is the metric's spread used to place targets."""

    metric_id: str
    kind: str
    period: str
    checkpoint: int
    value: float
    sd: float
    outcome: float
    scale: float
    remaining: float = 0.0  # share of the quarter's days still to come at the checkpoint


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _sd_of(forecast: Forecast) -> float:
    return max(0.0, (forecast.high - forecast.value) / Z_80)


def replay_forecast(
    history: MetricHistory, *, kind: str, period: str, as_of: date, fiscal: int = 1
) -> Forecast | None:
    """The live forecast of a key result of this kind, made on ``as_of`` from the days up to it
    only (the target is irrelevant to the projection; 0 is passed)."""
    first, last = quarter_bounds(period, fiscal)
    remaining = max(0, (last - as_of).days)
    daily = history.daily
    if kind == TOTAL:
        in_window = [daily.get(d) for d in _days(first, as_of)]
        shift = timedelta(days=LAST_YEAR_DAYS)
        last_year = [daily.get(d - shift) for d in _days(first, last)]
        return forecast_total(
            daily_values=in_window,
            total_days=(last - first).days + 1,
            target=0.0,
            direction="increase",
            last_year_daily=last_year,
        )
    window = kind.split(":", 1)[1]
    start, end = window_bounds(window, period, as_of, fiscal)
    recent = _days(min(start, end - timedelta(days=RECENT_DAYS - 1)), end)
    span = 1 if history.shape == MetricShape.snapshot else window_length(window, period, fiscal)
    weights = None
    if history.weights is not None:
        weights = [history.weights.get(d) for d in recent]
    return forecast_level(
        daily_values=[daily.get(d) for d in recent],
        remaining_days=remaining,
        window_days=span,
        target=0.0,
        direction="increase",
        additive=history.shape == MetricShape.additive,
        daily_weights=weights,
        recent_days=RECENT_DAYS,
    )


def kinds_for(shape: MetricShape) -> tuple[str, ...]:
    """The key result kinds a metric of this shape can carry."""
    levels = tuple(f"level:{w}" for w in LEVEL_WINDOWS)
    return (TOTAL, *levels) if shape == MetricShape.additive else levels


def _spread(outcomes: Sequence[float]) -> float:
    """The metric's relative spread of quarter outcomes (floored), to place targets with."""
    if len(outcomes) < 2:
        return MIN_SPREAD
    mean = sum(outcomes) / len(outcomes)
    if mean == 0:
        return MIN_SPREAD
    sd = math.sqrt(sum((o - mean) ** 2 for o in outcomes) / (len(outcomes) - 1))
    return max(MIN_SPREAD, sd / abs(mean))


def replay(
    histories: Sequence[MetricHistory], *, periods: Sequence[str], fiscal: int = 1
) -> list[Case]:
    """Every past quarter of every metric and kind replayed at every checkpoint."""
    cases: list[Case] = []
    for history in histories:
        for kind in kinds_for(history.shape):
            found = [(p, history.outcomes.get((p, kind))) for p in periods]
            outcomes = [(p, o) for p, o in found if o is not None and math.isfinite(o)]
            spread = _spread([o for _, o in outcomes])
            for period, outcome in outcomes:
                first, last = quarter_bounds(period, fiscal)
                for checkpoint in CHECKPOINTS:
                    as_of = first + timedelta(days=checkpoint - 1)
                    if as_of >= last:
                        continue
                    try:
                        forecast = replay_forecast(
                            history, kind=kind, period=period, as_of=as_of, fiscal=fiscal
                        )
                    except OverflowError:
                        forecast = None
                    if forecast is None or not math.isfinite(forecast.value):
                        continue
                    cases.append(
                        Case(
                            metric_id=history.metric_id,
                            kind=kind,
                            period=period,
                            checkpoint=checkpoint,
                            value=forecast.value,
                            sd=_sd_of(forecast),
                            outcome=outcome,
                            scale=spread * abs(outcome) if outcome else spread,
                            remaining=(last - as_of).days / ((last - first).days + 1),
                        )
                    )
    return cases


def probability_above(*, value: float, sd: float, target: float) -> float:
    """P(end value ≥ target) under a normal projection (a certainty when sd is 0)."""
    if sd <= 0 or not math.isfinite(sd):
        return 1.0 if value >= target else 0.0
    return 1.0 - _cdf((target - value) / sd)


def targets(case: Case) -> list[tuple[float, bool]]:
    """The targets a case is scored against, each with whether the outcome reached it."""
    return [
        (target, case.outcome >= target)
        for target in (case.outcome + step * case.scale for step in TARGET_STEPS)
    ]


# --- calibration (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class StepMap:
    """A monotone map from stated probability to hit rate: block centres ``xs`` and their hit
    rates ``ys`` (non-decreasing), linear between centres and flat beyond the ends."""

    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()

    def __call__(self, p: float) -> float:
        """The calibrated probability for a stated one (unchanged by an empty map)."""
        if not self.xs:
            return p
        if p <= self.xs[0]:
            return self.ys[0]
        if p >= self.xs[-1]:
            return self.ys[-1]
        i = bisect_right(self.xs, p)
        x0, x1, y0, y1 = self.xs[i - 1], self.xs[i], self.ys[i - 1], self.ys[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (p - x0) / (x1 - x0)

    def many(self, stated: np.ndarray) -> np.ndarray:
        """The map applied to an array of stated probabilities."""
        if not self.xs:
            return stated
        return np.interp(stated, np.array(self.xs), np.array(self.ys))


def fit_step_map(pairs: Sequence[tuple[float, bool]]) -> StepMap:
    """Pool adjacent violators: the non-decreasing hit rate closest (least squares) to the
    outcomes ordered by stated probability, as a ``StepMap`` through each block's centre."""
    if not pairs:
        return StepMap()
    stated = np.array([p for p, _ in pairs], dtype=float)
    hits = np.array([h for _, h in pairs], dtype=float)
    return _fit_arrays(stated, hits)


def _fit_arrays(stated: np.ndarray, hits: np.ndarray) -> StepMap:
    # Forecasts are pooled on a grid of GRID steps first: the same fit to within 1/GRID, in a
    # loop over at most GRID + 1 points instead of every forecast.
    cells = np.rint(np.clip(stated, 0.0, 1.0) * GRID).astype(int)
    count = np.bincount(cells, minlength=GRID + 1)
    sum_p = np.bincount(cells, weights=stated, minlength=GRID + 1)
    sum_h = np.bincount(cells, weights=hits, minlength=GRID + 1)
    blocks: list[list[float]] = []  # each: [sum of stated, sum of hits, count]
    for i in np.flatnonzero(count):
        blocks.append([float(sum_p[i]), float(sum_h[i]), float(count[i])])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            last = blocks.pop()
            blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
    return StepMap(
        xs=tuple(b[0] / b[2] for b in blocks),
        ys=tuple(b[1] / b[2] for b in blocks),
    )


@dataclass(frozen=True)
class Drift:
    """How a (metric, kind)'s forecasts erred on past quarters, in raw standard deviations:
    the outcome landed ``bias`` of them above the projection on average, and its squared
    error was ``noise`` times the stated variance plus ``drift`` times the square of the
    level still to move (the projection × the share of the quarter to come, over the stated
    standard deviation): the quarter-level change the daily spread cannot see."""

    bias: float = 0.0
    noise: float = 1.0
    drift: float = 0.0

    def spread(self, *, sd: float, value: float, remaining: float) -> float:
        """The widened standard deviation of a projection."""
        moving = remaining * abs(value)
        return math.sqrt(self.noise * sd * sd + self.drift * moving * moving)


@dataclass(frozen=True)
class Calibration:
    """What the backtest fitted: the drift per (metric, kind) and per kind (for a metric or kind
    without its own), the step map, and how many past quarters each metric has."""

    drift: Mapping[tuple[str, str], Drift] = field(default_factory=dict)
    pooled: Mapping[str, Drift] = field(default_factory=dict)
    step: StepMap = field(default_factory=StepMap)
    quarters: Mapping[str, int] = field(default_factory=dict)

    def of(self, metric_id: str, kind: str) -> Drift:
        """The drift fitted for this metric and kind (the kind's pooled one, else none)."""
        found = self.drift.get((metric_id, kind))
        return found if found is not None else self.pooled.get(kind, Drift())


class _Cases:
    """Cases as arrays (one row per case, one column per target), for fitting and scoring."""

    def __init__(self, cases: Sequence[Case]) -> None:
        self.cases = list(cases)
        self.keys = [(c.metric_id, c.kind) for c in self.cases]
        self.value = np.array([c.value for c in self.cases], dtype=float)
        self.sd = np.array([c.sd for c in self.cases], dtype=float)
        self.outcome = np.array([c.outcome for c in self.cases], dtype=float)
        self.remaining = np.array([c.remaining for c in self.cases], dtype=float)
        scale = np.array([c.scale for c in self.cases], dtype=float)
        steps = np.array(TARGET_STEPS, dtype=float)
        self.targets = self.outcome[:, None] + steps[None, :] * scale[:, None]
        self.hits = self.outcome[:, None] >= self.targets

    def subset(self, rows: np.ndarray) -> _Cases:
        """The cases at the given row indices."""
        return _Cases([self.cases[i] for i in rows])

    def above(self, calibration: Calibration | None = None) -> np.ndarray:
        """P(end ≥ target) for every case and target, raw or through the drift fitted."""
        if calibration is None:
            return _above(self.value, self.sd, self.targets)
        drifts = [calibration.of(m, k) for m, k in self.keys]
        value = self.value + np.array([d.bias for d in drifts]) * self.sd
        sd = np.array(
            [
                d.spread(sd=float(s), value=float(v), remaining=float(r))
                for d, s, v, r in zip(drifts, self.sd, self.value, self.remaining, strict=True)
            ]
        )
        return _above(value, sd, self.targets)


_ERF = np.frompyfunc(math.erf, 1, 1)


def _above(value: np.ndarray, sd: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The vectorised ``probability_above``: the same numbers, row by row."""
    spread = sd[:, None]
    certain = (value[:, None] >= targets).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (targets - value[:, None]) / np.where(spread > 0, spread, 1.0) / math.sqrt(2.0)
    normal = 1.0 - 0.5 * (1.0 + _ERF(x).astype(float))
    return np.where((spread > 0) & np.isfinite(spread), normal, certain)


def _trend(z: np.ndarray, quarters: np.ndarray) -> float:
    """The mean standardized error, kept only when the quarters agree on it: forecasts within a
    quarter err together, so it is tested on the quarters' means (|t| ≥ 2 over at least three
    quarters), else none."""
    labels = np.unique(quarters)
    if len(labels) < 3:
        return 0.0
    means = np.array([z[quarters == q].mean() for q in labels])
    spread = float(means.std(ddof=1))
    centre = float(means.mean())
    if spread == 0:
        return centre
    return centre if abs(centre) / (spread / math.sqrt(len(means))) >= 2.0 else 0.0


def _solve(z: np.ndarray, u: np.ndarray, quarters: np.ndarray) -> Drift:
    """Bias, noise and drift from standardized errors ``z`` and squared moving levels ``u``:
    (z − bias)² ≈ noise + drift × u by least squares, with noise ≥ 1 and drift ≥ 0."""
    if len(z) < 2:
        return Drift()
    bias = _trend(z, quarters)
    y = (z - bias) ** 2
    u_mean, y_mean = float(u.mean()), float(y.mean())
    spread = float(((u - u_mean) ** 2).sum())
    drift = float(((u - u_mean) * (y - y_mean)).sum()) / spread if spread > 0 else 0.0
    drift = max(0.0, drift)
    noise = y_mean - drift * u_mean
    if noise < 1.0:
        # Never narrower than the daily spread: noise held at 1, drift refitted through it.
        noise = 1.0
        drift = max(0.0, float(((y - 1.0) * u).sum()) / float((u * u).sum())) if u.any() else 0.0
    return Drift(bias=bias, noise=noise, drift=drift)


def _drifts(found: _Cases) -> tuple[dict[tuple[str, str], Drift], dict[str, Drift]]:
    ok = (found.sd > 0) & np.isfinite(found.sd)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(ok, (found.outcome - found.value) / np.where(ok, found.sd, 1.0), 0.0)
        u = np.where(ok, (found.remaining * found.value / np.where(ok, found.sd, 1.0)) ** 2, 0.0)
    quarters = np.array([c.period for c in found.cases])
    rows: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, key in enumerate(found.keys):
        if ok[i] and math.isfinite(z[i]) and math.isfinite(u[i]):
            rows[key].append(i)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for (_, kind), found_rows in rows.items():
        by_kind[kind].extend(found_rows)
    pooled = {kind: _solve(z[r], u[r], quarters[r]) for kind, r in by_kind.items()}
    drift: dict[tuple[str, str], Drift] = {}
    for key, r in rows.items():
        own = _solve(z[r], u[r], quarters[r])
        prior = pooled[key[1]]
        weight = len(r) / (len(r) + SHRINK)  # shrunk towards the kind's pooled fit
        drift[key] = Drift(
            # A metric too short or noisy to show a trend alone takes its kind's, if any.
            bias=own.bias if own.bias else prior.bias,
            noise=max(1.0, weight * own.noise + (1 - weight) * prior.noise),
            drift=max(0.0, weight * own.drift + (1 - weight) * prior.drift),
        )
    return drift, pooled


def _fit(found: _Cases, quarters: Mapping[str, int] | None = None) -> Calibration:
    drift, pooled = _drifts(found)
    widened = Calibration(drift=drift, pooled=pooled)
    stated = found.above(widened)
    step = (
        _fit_arrays(stated.ravel(), found.hits.ravel().astype(float)) if found.cases else StepMap()
    )
    return Calibration(drift=drift, pooled=pooled, step=step, quarters=quarters or {})


def fit_calibration(
    cases: Sequence[Case], *, quarters: Mapping[str, int] | None = None
) -> Calibration:
    """Bias, noise and drift per (metric, kind) from the cases' standardized errors, then the
    step map from the widened probabilities against their outcomes."""
    return _fit(_Cases(cases), quarters)


# --- scores (pure) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReliabilityBin:
    """Forecasts whose stated probability fell in [low, high): their mean, hit rate and count."""

    low: float
    high: float
    stated: float
    hit_rate: float
    n: int


@dataclass(frozen=True)
class Score:
    """A set of forecasts scored: Brier, the Brier of always saying the base rate, the bins."""

    brier: float | None
    base_rate_brier: float | None
    base_rate: float | None
    n: int
    bins: tuple[ReliabilityBin, ...]


def brier(pairs: Sequence[tuple[float, bool]]) -> float | None:
    """Mean squared difference between stated probability and outcome (1 hit, 0 miss)."""
    if not pairs:
        return None
    return sum((p - float(hit)) ** 2 for p, hit in pairs) / len(pairs)


def reliability(
    pairs: Sequence[tuple[float, bool]], bins: int = BINS
) -> tuple[ReliabilityBin, ...]:
    """Stated probabilities in equal bins: each bin's mean stated, hit rate and count."""
    grouped: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    for p, hit in pairs:
        grouped[min(bins - 1, max(0, int(p * bins)))].append((p, hit))
    return tuple(
        ReliabilityBin(
            low=i / bins,
            high=(i + 1) / bins,
            stated=sum(p for p, _ in grouped[i]) / len(grouped[i]),
            hit_rate=sum(1 for _, h in grouped[i] if h) / len(grouped[i]),
            n=len(grouped[i]),
        )
        for i in sorted(grouped)
    )


def score(pairs: Sequence[tuple[float, bool]]) -> Score:
    """Brier, base-rate Brier and reliability bins of (stated probability, hit) pairs."""
    if not pairs:
        return Score(brier=None, base_rate_brier=None, base_rate=None, n=0, bins=())
    rate = sum(1 for _, h in pairs if h) / len(pairs)
    return Score(
        brier=brier(pairs),
        base_rate_brier=brier([(rate, h) for _, h in pairs]),
        base_rate=rate,
        n=len(pairs),
        bins=reliability(pairs),
    )


def bins_within(found: Score, *, tolerance: float = 0.10, min_n: int = 20) -> bool:
    """Whether each bin with at least ``min_n`` forecasts hits within ``tolerance`` of its mean."""
    return all(abs(b.hit_rate - b.stated) <= tolerance for b in found.bins if b.n >= min_n)


@dataclass(frozen=True)
class HeldOut:
    """Forecasts of quarters not used to fit the calibration they were made with, per kind."""

    raw: dict[str, list[tuple[float, bool]]]
    calibrated: dict[str, list[tuple[float, bool]]]

    def all_raw(self) -> list[tuple[float, bool]]:
        """Every kind's raw pairs."""
        return [pair for pairs in self.raw.values() for pair in pairs]

    def all_calibrated(self) -> list[tuple[float, bool]]:
        """Every kind's calibrated pairs."""
        return [pair for pairs in self.calibrated.values() for pair in pairs]


def held_out(cases: Sequence[Case], *, periods: Sequence[str]) -> HeldOut:
    """Each quarter from the ``MIN_QUARTERS + 1``-th on, forecast raw and with a calibration
    fitted only on the quarters before it."""
    found = _Cases(cases)
    ordered = sorted(periods)
    position = {p: i for i, p in enumerate(ordered)}
    at = np.array([position.get(c.period, -1) for c in found.cases], dtype=int)
    raw: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    calibrated: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for i in range(MIN_QUARTERS, len(ordered)):
        rows = np.flatnonzero(at == i)
        if not len(rows):
            continue
        fitted = _fit(found.subset(np.flatnonzero((at >= 0) & (at < i))))
        test = found.subset(rows)
        plain = test.above()
        mapped = fitted.step.many(test.above(fitted).ravel()).reshape(plain.shape)
        for j, case in enumerate(test.cases):
            hits = test.hits[j].tolist()
            raw[case.kind].extend(zip(plain[j].tolist(), hits, strict=True))
            calibrated[case.kind].extend(zip(mapped[j].tolist(), hits, strict=True))
    return HeldOut(raw=dict(raw), calibrated=dict(calibrated))


@dataclass(frozen=True)
class ForecastQuality:
    """The backtest of a store: the held-out scores before and after calibration, per kind, and
    the calibration fitted on every past quarter (what live forecasts use)."""

    raw: Score
    calibrated: Score
    by_kind: Mapping[str, Score]
    calibration: Calibration
    periods: tuple[str, ...]
    cases: int


def assess(
    histories: Sequence[MetricHistory], *, periods: Sequence[str], fiscal: int = 1
) -> ForecastQuality:
    """Replay, score on held-out quarters, and fit the live calibration on all of them."""
    cases = replay(histories, periods=periods, fiscal=fiscal)
    seen: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        seen[case.metric_id].add(case.period)
    out = held_out(cases, periods=periods)
    return ForecastQuality(
        raw=score(out.all_raw()),
        calibrated=score(out.all_calibrated()),
        by_kind={kind: score(pairs) for kind, pairs in sorted(out.calibrated.items())},
        calibration=fit_calibration(
            cases, quarters={h.metric_id: len(seen[h.metric_id]) for h in histories}
        ),
        periods=tuple(sorted(periods)),
        cases=len(cases),
    )


# --- live use ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibratedForecast:
    """A live forecast after calibration: the widened band, the probability (None with little
    history), and the range shown instead of a number with little history."""

    forecast: Forecast
    probability: float | None
    low: float | None
    high: float | None
    basis: str  # "calibrated" or "little_history"


def calibrate(
    raw: Forecast,
    *,
    calibration: Calibration | None,
    metric_id: str,
    kind: str,
    target: float,
    direction: str,
    remaining: float,
) -> CalibratedForecast:
    """A live forecast through the calibration: with at least ``MIN_QUARTERS`` past quarters of
    the metric, the projection moved by its past bias, a band widened by its past noise and
    drift (``remaining`` is the share of the quarter still to come) and a calibrated
    probability; else the raw band and a range from the raw probability to the one of a band
    ``WIDE`` times as wide."""
    sd = _sd_of(raw)
    history = calibration.quarters.get(metric_id, 0) if calibration else 0

    def chance(value: float, spread: float, mapped: StepMap) -> float:
        above = probability_above(value=value, sd=spread, target=target)
        # The map is fitted on "at least" targets; "at most" is the mirrored question.
        return mapped(above) if direction == "increase" else 1.0 - mapped(above)

    if calibration is None or history < MIN_QUARTERS or sd <= 0:
        plain = StepMap()
        ends = sorted((chance(raw.value, sd, plain), chance(raw.value, sd * WIDE, plain)))
        return CalibratedForecast(
            forecast=raw, probability=None, low=ends[0], high=ends[1], basis="little_history"
        )
    drift = calibration.of(metric_id, kind)
    value = raw.value + drift.bias * sd
    wide = drift.spread(sd=sd, value=raw.value, remaining=remaining)
    probability = chance(value, wide, calibration.step)
    forecast = Forecast(
        value=value, probability=probability, low=value - Z_80 * wide, high=value + Z_80 * wide
    )
    return CalibratedForecast(
        forecast=forecast, probability=probability, low=None, high=None, basis="calibrated"
    )


# --- the store read and the cache --------------------------------------------------------------


def past_periods(first_day: date, as_of: date, fiscal: int = 1) -> list[str]:
    """Complete quarters from the one holding ``first_day`` up to the one before ``as_of``'s."""
    periods: list[str] = []
    period = quarter_of(first_day, fiscal)
    while True:
        start, last = quarter_bounds(period, fiscal)
        if last > as_of:
            break
        if start >= first_day:  # a quarter the data starts inside is not a whole quarter
            periods.append(period)
        period = next_quarter(period)
    return periods


def read_histories(
    *, session: Session, config: AppConfig, as_of: date
) -> tuple[list[MetricHistory], list[str]]:
    """Every metric's daily values (unfiltered) up to ``as_of`` and each window's value at the
    end of each complete past quarter, in one batched read."""
    metrics = config.metrics
    fiscal = config.settings.fiscal_year_start_month
    ids = sorted(metrics.metrics)
    if not ids:
        return [], []
    first_day = _first_day(session)
    if first_day is None or first_day > as_of:
        return [], []
    periods = [
        p for p in past_periods(first_day, as_of, fiscal) if quarter_bounds(p, fiscal)[1] <= as_of
    ]
    if not periods:
        return [], []
    denominators = sorted({d for m in ids if (d := ratio_denominator(metrics, m))})
    reads = [
        MetricRead(
            metric_ids=tuple(ids),
            start=first_day,
            end=quarter_bounds(periods[-1], fiscal)[1],
            grain="day",
            measure_ids=tuple(denominators),
        )
    ]
    ends: list[tuple[str, str, date, date]] = []
    for period in periods:
        last = quarter_bounds(period, fiscal)[1]
        for window in LEVEL_WINDOWS:
            start, end = window_bounds(window, period, last, fiscal)
            ends.append((period, window, start, end))
            reads.append(MetricRead(metric_ids=tuple(ids), start=start, end=end))
    answers = metric_reads(session=session, config=metrics, reads=reads)
    daily_all = answers[0]
    outcomes: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    for (period, window, _, _), found in zip(ends, answers[1:], strict=True):
        for metric_id in ids:
            value = found.get(metric_id, {}).get(None)
            if value is None:
                continue
            outcomes[metric_id][(period, f"level:{window}")] = value
            if window == "period_to_date":
                outcomes[metric_id][(period, TOTAL)] = value
    histories = []
    for metric_id in ids:
        denominator = ratio_denominator(metrics, metric_id)
        daily = {d: v for d, v in daily_all.get(metric_id, {}).items() if isinstance(d, date)}
        weights = None
        if denominator:
            raw = daily_all.get(f"measure:{denominator}", {})
            weights = {d: v for d, v in raw.items() if isinstance(d, date)}
        histories.append(
            MetricHistory(
                metric_id=metric_id,
                shape=metric_shape(metrics, metric_id),
                daily=daily,
                weights=weights,
                outcomes=outcomes.get(metric_id, {}),
            )
        )
    return histories, periods


def _first_day(session: Session) -> date | None:
    found = session.execute(select(func.min(Observation.day))).scalar_one_or_none()
    if found is None:
        return None
    return found if isinstance(found, date) else date.fromisoformat(str(found)[:10])


_CACHE: dict[tuple[object, ...], ForecastQuality] = {}
# The latest backtest per store and quarter whatever the observations' version: past quarters
# rarely change, so a page serves it while the new version's is worked out in the background.
_LATEST: dict[tuple[object, ...], ForecastQuality] = {}
_RUNNING: set[tuple[object, ...]] = set()
_LOCK = threading.Lock()
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Keys:
    engine: Engine
    as_of: date
    fresh: tuple[object, ...]
    latest: tuple[object, ...]


def _keys(session: Session, config: AppConfig, as_of: date | None) -> _Keys:
    as_of = as_of or data_as_of(session=session, config=config)
    fiscal = config.settings.fiscal_year_start_month
    # Every day of a quarter sees the same past quarters: one backtest serves them all.
    as_of = quarter_bounds(quarter_of(as_of + timedelta(days=1), fiscal), fiscal)[0] - timedelta(
        days=1
    )
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    # Only observations feed the backtest: a check-in or a new goal does not redo it.
    observed = dict(data_versions(engine)).get(OBSERVATIONS, 0)
    # With the first and last day stored: a store rebuilt under the same address and counter
    # (a test database) is not mistaken for the one before.
    # Two statements: SQLite answers a lone MIN or MAX from the day index, not the pair.
    first = session.execute(select(func.min(Observation.day))).scalar_one_or_none()
    last = session.execute(select(func.max(Observation.day))).scalar_one_or_none()
    latest = (str(engine.url), first, as_of, config.metrics.model_dump_json())
    return _Keys(engine=engine, as_of=as_of, fresh=(*latest, observed, last), latest=latest)


def _store(keys: _Keys, found: ForecastQuality) -> None:
    with _LOCK:
        if len(_CACHE) > 8:
            _CACHE.clear()
        if len(_LATEST) > 8:
            _LATEST.clear()
        _CACHE[keys.fresh] = found
        _LATEST[keys.latest] = found


def _compute(session: Session, config: AppConfig, keys: _Keys) -> ForecastQuality:
    histories, periods = read_histories(session=session, config=config, as_of=keys.as_of)
    found = assess(histories, periods=periods, fiscal=config.settings.fiscal_year_start_month)
    _store(keys, found)
    return found


def forecast_quality(
    *, session: Session, config: AppConfig, as_of: date | None = None
) -> ForecastQuality:
    """The store's backtest and live calibration over the complete quarters before ``as_of``'s,
    computed once per version of the observations (the store's data-version counter) and
    quarter, and kept in this process."""
    keys = _keys(session, config, as_of)
    with _LOCK:
        found = _CACHE.get(keys.fresh)
    return found if found is not None else _compute(session, config, keys)


def _refresh(config: AppConfig, keys: _Keys) -> None:
    try:
        with Session(read_engine(keys.engine)) as session:
            _compute(session, config, keys)
    except Exception:  # a background refresh: the page keeps the last backtest, the log says why
        _LOG.exception("the forecast backtest could not be refreshed")
    finally:
        with _LOCK:
            _RUNNING.discard(keys.fresh)


def live_calibration(
    *, session: Session, config: AppConfig, as_of: date | None = None
) -> Calibration:
    """The calibration live forecasts use, off the page's critical path: this version's when it
    is ready, else the store's latest for the quarter while this version's is worked out in a
    background thread; worked out now only when this process has none at all (``warm`` at
    start-up sees to that before the first visitor)."""
    keys = _keys(session, config, as_of)
    with _LOCK:
        found = _CACHE.get(keys.fresh)
        latest = _LATEST.get(keys.latest)
        start = found is None and latest is not None and keys.fresh not in _RUNNING
        if start:
            _RUNNING.add(keys.fresh)
    if found is not None:
        return found.calibration
    if latest is not None:
        if start:
            threading.Thread(target=_refresh, args=(config, keys), daemon=True).start()
        return latest.calibration
    return _compute(session, config, keys).calibration


def warm(*, engine: Callable[[], Engine], config: Callable[[], AppConfig]) -> threading.Thread:
    """Work out the store's backtest in a background thread (the server calls it at start-up;
    ``engine`` and ``config`` are called there, so a store that cannot open yet stops nothing)."""

    quiet: tuple[type[Exception], ...] = (StoreError, *DATABASE_ERRORS)

    def run() -> None:
        try:
            with Session(read_engine(engine())) as session:
                forecast_quality(session=session, config=config())
        except quiet as exc:
            # The store gate tells people why the store cannot be used; one line here is enough.
            _LOG.warning(
                "the forecast backtest waits for a usable store: %s", exc.__class__.__name__
            )
        except Exception:  # start-up goes on; the first page works it out instead
            _LOG.exception("the forecast backtest could not be worked out at start-up")

    thread = threading.Thread(target=run, name="forecast-backtest", daemon=True)
    thread.start()
    return thread
