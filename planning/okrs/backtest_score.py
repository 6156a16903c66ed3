"""The forecast backtest's scores (pure): Brier and reliability bins, each past quarter forecast
with a calibration fitted only on the quarters before it, and the whole assessment of a store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from planning.okrs.backtest_fit import Calibration, CaseTable, fit_calibration, fit_table
from planning.okrs.backtest_replay import BINS, MIN_QUARTERS, Case, MetricHistory, replay

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
    found = CaseTable(cases)
    ordered = sorted(periods)
    position = {p: i for i, p in enumerate(ordered)}
    at = np.array([position.get(c.period, -1) for c in found.cases], dtype=int)
    raw: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    calibrated: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for i in range(MIN_QUARTERS, len(ordered)):
        rows = np.flatnonzero(at == i)
        if not len(rows):
            continue
        fitted = fit_table(found.subset(np.flatnonzero((at >= 0) & (at < i))))
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


def live_fit(cases: Sequence[Case], histories: Sequence[MetricHistory]) -> Calibration:
    """The live calibration: fitted on every replayed case, each metric's quarters counted."""
    seen: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        seen[case.metric_id].add(case.period)
    return fit_calibration(cases, quarters={h.metric_id: len(seen[h.metric_id]) for h in histories})


def assess(
    histories: Sequence[MetricHistory],
    *,
    periods: Sequence[str],
    fiscal: int = 1,
    cases: Sequence[Case] | None = None,
    calibration: Calibration | None = None,
) -> ForecastQuality:
    """Replay (unless `cases` holds the replay already), score on held-out quarters, and fit
    the live calibration on all of them (unless `calibration` is that fit already)."""
    if cases is None:
        cases = replay(histories, periods=periods, fiscal=fiscal)
    out = held_out(cases, periods=periods)
    return ForecastQuality(
        raw=score(out.all_raw()),
        calibrated=score(out.all_calibrated()),
        by_kind={kind: score(pairs) for kind, pairs in sorted(out.calibrated.items())},
        calibration=calibration if calibration is not None else live_fit(cases, histories),
        periods=tuple(sorted(periods)),
        cases=len(cases),
    )
