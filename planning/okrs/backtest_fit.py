"""The forecast backtest's calibration (pure): the drift fitted per (metric, kind) from replayed
cases, the monotone step map from stated probability to hit rate, and a live forecast put through
both."""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, field, fields
from typing import Any

import numpy as np

from planning.okrs.backtest_replay import (
    GRID,
    MIN_QUARTERS,
    SHRINK,
    TARGET_STEPS,
    WIDE,
    Case,
    probability_above,
    sd_of,
)
from planning.okrs.maths import STANDARD_NORMAL, Z_80, Forecast


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

    def to_json(self) -> str:
        """The calibration as JSON text; ``from_json`` reads it back equal (floats exactly)."""
        return json.dumps(
            {
                "drift": [[m, k, *astuple(d)] for (m, k), d in sorted(self.drift.items())],
                "pooled": {k: astuple(d) for k, d in sorted(self.pooled.items())},
                "step": [self.step.xs, self.step.ys],
                "quarters": dict(sorted(self.quarters.items())),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        """A calibration written by ``to_json``; ValueError for any other document."""
        try:
            found = json.loads(text)
            xs, ys = (_numbers(v) for v in found["step"])
            if len(xs) != len(ys):
                raise ValueError("the step map's two lists differ in length")
            return cls(
                drift={(_name(m), _name(k)): _drift(values) for m, k, *values in found["drift"]},
                pooled={_name(k): _drift(v) for k, v in _mapping(found["pooled"]).items()},
                step=StepMap(xs=xs, ys=ys),
                quarters={_name(m): int(n) for m, n in _mapping(found["quarters"]).items()},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a calibration: {exc}") from None


def _mapping(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"not a mapping: {value!r}")
    return value


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"not a name: {value!r}")
    return value


def _numbers(values: object) -> tuple[float, ...]:
    if not isinstance(values, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    ):
        raise ValueError(f"not a list of numbers: {values!r}")
    return tuple(float(v) for v in values)


def _drift(values: object) -> Drift:
    numbers = _numbers(values)
    if len(numbers) != len(fields(Drift)):
        raise ValueError(f"not a drift: {values!r}")
    return Drift(*numbers)


class CaseTable:
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

    def subset(self, rows: np.ndarray) -> CaseTable:
        """The cases at the given row indices."""
        return CaseTable([self.cases[i] for i in rows])

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


_CDF = np.frompyfunc(STANDARD_NORMAL.cdf, 1, 1)


def _above(value: np.ndarray, sd: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The vectorised ``probability_above``: the same numbers, row by row."""
    spread = sd[:, None]
    certain = (value[:, None] >= targets).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (targets - value[:, None]) / np.where(spread > 0, spread, 1.0)
    normal = 1.0 - _CDF(x).astype(float)
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


def _drifts(found: CaseTable) -> tuple[dict[tuple[str, str], Drift], dict[str, Drift]]:
    ok = (found.sd > 0) & np.isfinite(found.sd)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
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


def fit_table(found: CaseTable, quarters: Mapping[str, int] | None = None) -> Calibration:
    """The drift and the step map fitted on a table of cases."""
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
    return fit_table(CaseTable(cases), quarters)


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
    sd = sd_of(raw)
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
