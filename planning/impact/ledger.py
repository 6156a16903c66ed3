"""Did it work? The impact ledger: each shipped initiative's expected lift against the lift its
metric actually showed, and how well each estimator's predictions land.

Rules:

- **Who is measured.** Every initiative with a shipped date, a lift metric and an expected lift
  (``lift_pct``, relative: 0.08 is +8 %), whatever its status.
- **Windows.** The post window is the ``impact.post_window_days`` days starting on the ship day
  (the change is live from that day); the pre window is as many days ending the day before. Last
  year's windows are the same days 364 days earlier, so weekdays line up.
- **Where the metric is read.** The filters named with the expected lift (device, channel,
  product line); else the filters of the first linked key result on the same metric; else,
  for each dimension the metric can be filtered by, the one value of it that the initiative's
  title names as a whole word ("Product page enrichment for Home" reads the
  add-to-cart rate of product line Home); else the metric over everything.
- **Window value.** A ratio of sums over the window's days, Σ aᵢ / Σ bᵢ: for a ratio metric the
  numerator over the denominator (exactly the metric engine's window value); for a weighted
  average, or a derived metric that divides by a summed measure (gross margin), the daily value ×
  that weight over the weight; for anything else (sums, snapshots, other derived metrics) the
  average daily value. Days without a value are left out.
- **Realised lift.** ``(post / pre) / (post_ly / pre_ly) − 1``: the change after shipping net of
  the change the same weeks showed a year earlier (difference in differences on the ratio of
  sums). When either of last year's windows has too few days with data, it is the plain
  ``post / pre − 1`` and the entry says it is not seasonally adjusted.
- **Interval.** A percentile bootstrap over days: each of the four windows' days are resampled
  with replacement (``impact.bootstrap_samples`` times, numpy with a fixed seed, so the same data
  always gives the same interval) and the lift recomputed; the interval is the central
  ``impact.interval`` share of those lifts (90 % by default: the 5th to the 95th percentile),
  widened to the point estimate in the rare case it falls outside.
- **Not enough data yet** until the post window's last day has data (the last complete day is on
  or after it; a partial day never counts), or when the pre or post window has data on fewer
  than ``impact.min_coverage`` of its days.
- **Verdict**, reading "better" in the metric's good direction (a lower-is-better metric's
  interval and expectation are mirrored first), with [low, high] the interval and e the expected
  lift: **beat** when low > e; **missed** when high < e; otherwise e lies in the interval and it
  is **met** when low > 0 (surely an improvement, as large as expected is plausible) and
  **inconclusive** when low ≤ 0 (no change is as plausible as the expected one).
- **Calibration** per estimator (the person who set the expected lift): predictions measured,
  landed (met or beat), missed and inconclusive; hit rate = landed / (landed + missed); mean
  error = mean of expected − realised over every measured prediction (positive: overestimates);
  suggested confidence = (landed + 1) / (landed + missed + 2), the hit rate shrunk toward 0.5 as
  if every estimator started with one landed and one missed prediction.
"""

from __future__ import annotations

import ast
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlmodel import Session, col, select

from planning.config import (
    AppConfig,
    DerivedMetric,
    MetricsConfig,
    RatioMetric,
    ScoringInput,
    SimpleMetric,
    WeightedAverageMetric,
)
from planning.metrics.engine import freshness, metric_series_many
from planning.store.models import Initiative, InitiativeKeyResult, KeyResult, Person

LAST_YEAR = timedelta(days=364)
TOLERANCE = 1e-9
SEED = 20_240_909  # fixed, so a ledger read twice gives the same intervals
VERDICTS = ("beat", "met", "missed", "inconclusive", "not_enough_data")
MEASURED = ("beat", "met", "missed", "inconclusive")
VERDICT_LABELS = {
    "beat": "Beat",
    "met": "Met",
    "missed": "Missed",
    "inconclusive": "Inconclusive",
    "not_enough_data": "Not enough data yet",
}

FloatArray = npt.NDArray[np.float64]
Filters = tuple[tuple[str, str], ...]


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


# --- where and how a metric is read ------------------------------------------------------------


def _weight_measure(config: MetricsConfig, metric_id: str) -> str | None:
    """The summed measure a metric's daily values are weighted by in a window, if any."""
    metric = config.metrics[metric_id]
    if isinstance(metric, RatioMetric):
        return metric.denominator
    if isinstance(metric, WeightedAverageMetric):
        return metric.weight
    if isinstance(metric, DerivedMetric):
        body = ast.parse(metric.expression, mode="eval").body
        if isinstance(body, ast.BinOp) and isinstance(body.op, ast.Div):
            name = body.right.id if isinstance(body.right, ast.Name) else None
            if name is not None and name in config.metrics:
                inner = config.metrics[name]
                name = inner.measure if isinstance(inner, SimpleMetric) else None
            measure = config.measures.get(name) if name is not None else None
            if measure is not None and measure.aggregation == "sum":
                return name
    return None


def title_filters(config: MetricsConfig, metric_id: str, title: str) -> dict[str, str]:
    """Dimension values a title names as whole words, for dimensions the metric can be
    filtered by, where exactly one value of that dimension is named."""
    found: dict[str, str] = {}
    for dimension in config.metric_dimensions(metric_id):
        named = [
            value
            for value in config.dimensions[dimension].values
            if re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", title, re.IGNORECASE)
        ]
        if len(named) == 1:
            found[dimension] = named[0]
    return found


def lift_filters(
    config: MetricsConfig,
    metric_id: str,
    title: str,
    linked: Sequence[tuple[str | None, Mapping[str, str]]],
    declared: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], str]:
    """Where an initiative's lift is read, and why: ("initiative" | "key result" | "title" |
    ""). Filters named with the expected lift come first."""
    if declared:
        return dict(declared), "initiative"
    for kr_metric, filters in linked:
        if kr_metric == metric_id:
            return dict(filters), "key result"
    named = title_filters(config, metric_id, title)
    return (named, "title") if named else ({}, "")


# --- the ledger --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactEntry:
    """One shipped initiative's expected lift against what its metric did."""

    initiative_id: int
    initiative: str
    status: str
    owner_id: int
    owner: str
    estimator_id: int | None
    estimator: str
    metric_id: str
    metric_label: str
    value_format: str
    higher_is_better: bool
    filters: dict[str, str]
    filter_source: str  # "initiative", "key result", "title" or "" (the metric over everything)
    shipped: date
    windows: ImpactWindows
    expected_lift: float
    verdict: str
    reason: str = ""
    realised_lift: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    pre_value: float | None = None
    post_value: float | None = None
    pre_last_year: float | None = None
    post_last_year: float | None = None
    seasonally_adjusted: bool = False
    pre_coverage: float = 0.0
    post_coverage: float = 0.0
    filters_label: str = ""  # the filters as people read them, e.g. "Product line: Home"

    @property
    def measured(self) -> bool:
        """Whether the entry has a realised lift and a verdict."""
        return self.verdict in MEASURED

    @property
    def ready_on(self) -> date:
        """The day whose data completes the post window."""
        return self.windows.post_end

    @property
    def where(self) -> str:
        """The filters as people read them, e.g. "Product line: Home", or "all"."""
        if self.filters_label:
            return self.filters_label
        return (
            " · ".join(
                f"{k.replace('_', ' ').capitalize()}: {v}" for k, v in sorted(self.filters.items())
            )
            or "all"
        )


@dataclass
class _Candidate:
    initiative: Initiative
    metric_id: str
    filters: dict[str, str]
    filter_source: str
    windows: ImpactWindows


def _by_day(frame: pd.DataFrame) -> dict[str, dict[date, float]]:
    days = list(frame["period"])
    return {
        name: {d: float(v) for d, v in zip(days, frame[name].tolist(), strict=True) if v == v}
        for name in frame.columns
        if name != "period"
    }


def _read_daily(
    session: Session,
    config: MetricsConfig,
    spans: Iterable[tuple[date, date]],
    metric_ids: set[str],
    measure_ids: set[str],
    filters: dict[str, str],
) -> dict[str, dict[date, float]]:
    """Daily metric and measure values over each span (one metrics-engine query per span)."""
    out: dict[str, dict[date, float]] = defaultdict(dict)
    for start, end in spans:
        if end < start:
            continue
        frame = metric_series_many(
            session=session,
            config=config,
            metric_ids=sorted(metric_ids),
            start=start,
            end=end,
            filters=filters or None,
            measure_ids=sorted(measure_ids),
        )
        for name, values in _by_day(frame).items():
            out[name].update(values)
    return out


def _parts(
    config: MetricsConfig,
    metric_id: str,
    daily: Mapping[str, Mapping[date, float]],
    start: date,
    end: date,
) -> DailyParts:
    """A window's daily (value × weight, weight) pairs from the values read."""
    weight = _weight_measure(config, metric_id)
    values = daily.get(metric_id, {})
    weights = daily.get(f"measure:{weight}", {}) if weight else {}
    a: list[float] = []
    b: list[float] = []
    day = start
    while day <= end:
        value = values.get(day)
        w = weights.get(day) if weight else 1.0
        if value is not None and w is not None and math.isfinite(value) and w > 0:
            a.append(value * w)
            b.append(w)
        day += timedelta(days=1)
    return daily_parts(a, b, window_days=(end - start).days + 1)


def _spans(windows: Sequence[ImpactWindows], as_of: date) -> list[tuple[date, date]]:
    """The date spans to read: this year's and last year's windows, each merged, up to as_of."""
    if not windows:
        return []
    this_year = (min(w.pre_start for w in windows), min(max(w.post_end for w in windows), as_of))
    ly = [w.last_year() for w in windows]
    last_year = (min(w.pre_start for w in ly), min(max(w.post_end for w in ly), as_of))
    if last_year[1] >= this_year[0] - timedelta(days=1):  # overlapping: read once
        return [(last_year[0], this_year[1])]
    return [last_year, this_year]


def _latest_day(session: Session, config: AppConfig) -> date | None:
    """The last complete day: impact never reads a partial day."""
    hours = config.settings.metrics.complete_after_hours
    return freshness(session=session, complete_after_hours=hours).latest_day


def _candidates(
    session: Session, config: AppConfig, initiative_ids: Sequence[int] | None
) -> list[_Candidate]:
    query = select(Initiative).where(
        col(Initiative.shipped_date).is_not(None),
        col(Initiative.lift_metric).is_not(None),
        col(Initiative.lift_pct).is_not(None),
    )
    if initiative_ids is not None:
        query = query.where(col(Initiative.id).in_(list(initiative_ids)))
    initiatives = list(
        session.exec(query.order_by(col(Initiative.shipped_date), col(Initiative.id)))
    )
    links: dict[int, list[tuple[str | None, dict[str, str]]]] = defaultdict(list)
    if initiatives:
        rows = session.exec(
            select(InitiativeKeyResult.initiative_id, KeyResult.metric_id, KeyResult.filters)
            .join(KeyResult, col(KeyResult.id) == col(InitiativeKeyResult.key_result_id))
            .where(col(InitiativeKeyResult.initiative_id).in_([i.id for i in initiatives]))
            .order_by(col(KeyResult.id))
        ).all()
        for initiative_id, kr_metric, kr_filters in rows:
            links[int(initiative_id)].append((kr_metric, dict(kr_filters or {})))
    post_days = config.settings.impact.post_window_days
    out: list[_Candidate] = []
    for initiative in initiatives:
        assert initiative.shipped_date is not None and initiative.lift_metric is not None
        metric_id = initiative.lift_metric
        filters: dict[str, str] = {}
        source = ""
        if metric_id in config.metrics.metrics:
            filters, source = lift_filters(
                config.metrics,
                metric_id,
                initiative.title,
                links[int(initiative.id or 0)],
                initiative.lift_filters,
            )
        out.append(
            _Candidate(
                initiative,
                metric_id,
                filters,
                source,
                impact_windows(initiative.shipped_date, post_days),
            )
        )
    return out


def impact_ledger(
    *,
    session: Session,
    config: AppConfig,
    as_of: date | None = None,
    initiative_ids: Sequence[int] | None = None,
) -> list[ImpactEntry]:
    """Every shipped initiative with an expected lift, measured with data up to `as_of`
    (default: the last complete day), oldest ship date first."""
    latest = _latest_day(session, config)
    as_of = latest if as_of is None or (latest is not None and latest < as_of) else as_of
    candidates = _candidates(session, config, initiative_ids)
    people = {int(p.id): p.name for p in session.exec(select(Person)) if p.id is not None}
    impact = config.settings.impact
    # One pair of reads per filter set for every candidate whose post window is complete.
    groups: dict[Filters, list[_Candidate]] = defaultdict(list)
    for candidate in candidates:
        known = candidate.metric_id in config.metrics.metrics
        if known and as_of is not None and candidate.windows.post_end <= as_of:
            groups[tuple(sorted(candidate.filters.items()))].append(candidate)
    daily: dict[Filters, dict[str, dict[date, float]]] = {}
    for key, members in groups.items():
        assert as_of is not None
        metric_ids = {c.metric_id for c in members}
        weights = {w for m in metric_ids if (w := _weight_measure(config.metrics, m))}
        daily[key] = _read_daily(
            session,
            config.metrics,
            _spans([c.windows for c in members], as_of),
            metric_ids,
            weights,
            dict(key),
        )
    entries = []
    measured: dict[Any, dict[str, Any]] = {}
    for candidate in candidates:
        initiative = candidate.initiative
        metric = config.metrics.metrics.get(candidate.metric_id)
        base = ImpactEntry(
            initiative_id=int(initiative.id or 0),
            initiative=initiative.title,
            status=initiative.status.value,
            owner_id=initiative.owner_id,
            owner=people.get(initiative.owner_id, f"#{initiative.owner_id}"),
            estimator_id=initiative.lift_estimator_id,
            estimator=(
                people.get(initiative.lift_estimator_id, f"#{initiative.lift_estimator_id}")
                if initiative.lift_estimator_id is not None
                else "nobody recorded"
            ),
            metric_id=candidate.metric_id,
            metric_label=metric.label if metric else candidate.metric_id,
            value_format=metric.format if metric else "number",
            higher_is_better=metric.higher_is_better if metric else True,
            filters=candidate.filters,
            filters_label=config.metrics.filters_text(candidate.filters),
            filter_source=candidate.filter_source,
            shipped=candidate.windows.post_start,
            windows=candidate.windows,
            expected_lift=float(initiative.lift_pct or 0.0),
            verdict="not_enough_data",
        )
        key = tuple(sorted(candidate.filters.items()))
        entries.append(_measure(base, config, daily.get(key), as_of, impact.min_coverage, measured))
    return entries


def _measure(
    entry: ImpactEntry,
    config: AppConfig,
    daily: Mapping[str, Mapping[date, float]] | None,
    as_of: date | None,
    min_coverage: float,
    measured: dict[Any, dict[str, Any]],
) -> ImpactEntry:
    """The entry measured from the daily values, or with the reason it cannot be yet.

    `measured` holds the measurements made so far in this ledger by (metric, filters, windows):
    initiatives shipped on the same day on the same metric and segment share their numbers,
    which are the same by construction (the bootstrap is seeded), so each is computed once.
    """
    windows = entry.windows
    if entry.metric_id not in config.metrics.metrics:
        return _replace(entry, reason=f"unknown metric {entry.metric_id!r} in metrics.yaml")
    if as_of is None:
        return _replace(entry, reason="the store holds no observations yet")
    if windows.post_end > as_of:
        return _replace(
            entry,
            reason=f"the {windows.days}-day post window completes with the data of "
            f"{windows.post_end:%d %b %Y}; data runs through {as_of:%d %b %Y}",
        )
    assert daily is not None
    key = (entry.metric_id, tuple(sorted(entry.filters.items())), windows)
    if key not in measured:
        measured[key] = _measurement(config, entry.metric_id, daily, windows, min_coverage)
    found = measured[key]
    if "realised_lift" not in found:
        return _replace(entry, **found)
    return _replace(
        entry,
        verdict=verdict(
            expected=entry.expected_lift,
            ci_low=found["ci_low"],
            ci_high=found["ci_high"],
            higher_is_better=entry.higher_is_better,
        ),
        **found,
    )


def _measurement(
    config: AppConfig,
    metric_id: str,
    daily: Mapping[str, Mapping[date, float]],
    windows: ImpactWindows,
    min_coverage: float,
) -> dict[str, Any]:
    """A metric's realised lift over one set of windows, as ImpactEntry fields; without
    `realised_lift` (and with the reason) when the windows lack data."""
    metrics = config.metrics
    pre = _parts(metrics, metric_id, daily, windows.pre_start, windows.pre_end)
    post = _parts(metrics, metric_id, daily, windows.post_start, windows.post_end)
    coverage = {"pre_coverage": pre.coverage, "post_coverage": post.coverage}
    for name, parts in (("before shipping", pre), ("after shipping", post)):
        if parts.coverage < min_coverage or not parts.value:
            return {
                "reason": f"data on {len(parts.numerator)} of the {parts.window_days} days "
                f"{name}; at least {min_coverage:.0%} are needed",
                **coverage,
            }
    ly = windows.last_year()
    pre_ly = _parts(metrics, metric_id, daily, ly.pre_start, ly.pre_end)
    post_ly = _parts(metrics, metric_id, daily, ly.post_start, ly.post_end)
    usable = all(p.coverage >= min_coverage and p.value for p in (pre_ly, post_ly))
    impact = config.settings.impact
    estimate = estimate_lift(
        pre=pre,
        post=post,
        pre_last_year=pre_ly if usable else None,
        post_last_year=post_ly if usable else None,
        samples=impact.bootstrap_samples,
        interval=impact.interval,
    )
    return {
        "reason": "" if usable else "last year's windows lack data: not seasonally adjusted",
        "realised_lift": estimate.realised,
        "ci_low": estimate.ci_low,
        "ci_high": estimate.ci_high,
        "pre_value": estimate.pre,
        "post_value": estimate.post,
        "pre_last_year": estimate.pre_last_year,
        "post_last_year": estimate.post_last_year,
        "seasonally_adjusted": estimate.seasonally_adjusted,
        **coverage,
    }


def _replace(entry: ImpactEntry, **changes: Any) -> ImpactEntry:
    values = {name: getattr(entry, name) for name in entry.__dataclass_fields__}
    values.update(changes)
    return ImpactEntry(**values)


LEDGER_COLUMNS = [
    "initiative_id",
    "initiative",
    "status",
    "owner",
    "estimator",
    "metric",
    "metric_id",
    "where",
    "shipped",
    "ready_on",
    "expected_lift",
    "realised_lift",
    "ci_low",
    "ci_high",
    "verdict",
    "seasonally_adjusted",
    "reason",
]


def ledger_frame(entries: Iterable[ImpactEntry]) -> pd.DataFrame:
    """The ledger as a table, one row per initiative (lifts as fractions: 0.08 is +8 %)."""
    rows = [
        {
            "initiative_id": e.initiative_id,
            "initiative": e.initiative,
            "status": e.status,
            "owner": e.owner,
            "estimator": e.estimator,
            "metric": e.metric_label,
            "metric_id": e.metric_id,
            "where": e.where,
            "shipped": e.shipped,
            "ready_on": e.ready_on,
            "expected_lift": e.expected_lift,
            "realised_lift": e.realised_lift,
            "ci_low": e.ci_low,
            "ci_high": e.ci_high,
            "verdict": e.verdict,
            "seasonally_adjusted": e.seasonally_adjusted,
            "reason": e.reason,
        }
        for e in entries
    ]
    return pd.DataFrame(rows, columns=LEDGER_COLUMNS).astype(
        {c: "float64" for c in ("expected_lift", "realised_lift", "ci_low", "ci_high")}
    )


def ledger_rows(entries: Iterable[ImpactEntry]) -> list[dict[str, Any]]:
    """JSON-ready rows: initiative, metric, expected and realised lift, interval, verdict."""
    return [
        {
            "initiative_id": e.initiative_id,
            "initiative": e.initiative,
            "metric": e.metric_id,
            "filters": e.filters,
            "shipped": e.shipped.isoformat(),
            "ready_on": e.ready_on.isoformat(),
            "estimator": e.estimator,
            "expected_lift": e.expected_lift,
            "realised_lift": e.realised_lift,
            "ci_low": e.ci_low,
            "ci_high": e.ci_high,
            "verdict": e.verdict,
            "seasonally_adjusted": e.seasonally_adjusted,
            "reason": e.reason,
        }
        for e in entries
    ]


def lift_text(value: float | None) -> str:
    """A relative lift as signed percent text: 0.081 -> "+8.1 %"; None -> "—"."""
    if value is None or math.isnan(value):
        return "—"
    return f"{value * 100:+.1f} %"


def points_text(value: float | None) -> str:
    """A difference of two lifts in percentage points: 0.012 -> "+1.2 pts"; None -> "—"."""
    if value is None or math.isnan(value):
        return "—"
    return f"{value * 100:+.1f} pts"


def interval_text(low: float | None, high: float | None) -> str:
    """An interval as percent text: "+5.2 % to +10.9 %"."""
    if low is None or high is None:
        return "—"
    return f"{lift_text(low)} to {lift_text(high)}"


def impact_chart_frame(
    *, session: Session, config: AppConfig, entry: ImpactEntry, margin_days: int = 14
) -> pd.DataFrame:
    """The metric's daily values around the ship date, with last year's shifted onto the same
    days: columns day, series ("This year" | "Last year"), value."""
    windows = entry.windows
    start = windows.pre_start - timedelta(days=margin_days)
    end = windows.post_end + timedelta(days=margin_days)
    latest = _latest_day(session, config)
    if latest is not None:
        end = min(end, latest)
    columns = ["day", "series", "value"]
    if entry.metric_id not in config.metrics.metrics or latest is None or end < start:
        return pd.DataFrame(columns=columns)
    frames = []
    for label, shift in (("This year", timedelta(0)), ("Last year", LAST_YEAR)):
        frame = metric_series_many(
            session=session,
            config=config.metrics,
            metric_ids=[entry.metric_id],
            start=start - shift,
            end=end - shift,
            filters=entry.filters or None,
        )
        frames.append(
            pd.DataFrame(
                {
                    "day": [d + shift for d in frame["period"]],
                    "series": label,
                    "value": frame[entry.metric_id].astype("float64"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[columns]


# --- calibration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """How one estimator's expected lifts compare with what was realised."""

    person_id: int | None
    person: str
    predictions: int  # measured: beat, met, missed or inconclusive
    landed: int  # beat or met
    missed: int
    inconclusive: int
    waiting: int  # shipped, not measurable yet
    hit_rate: float | None  # landed / (landed + missed)
    mean_error: float | None  # mean of expected − realised; positive: overestimates
    suggested_confidence: float

    @property
    def tendency(self) -> str:
        """ "overestimates", "underestimates" or "" when the mean error is within one point."""
        if self.mean_error is None or abs(self.mean_error) < 0.01:
            return ""
        return "overestimates" if self.mean_error > 0 else "underestimates"


def suggested_confidence(landed: int, missed: int) -> float:
    """The hit rate shrunk toward 0.5: (landed + 1) / (landed + missed + 2)."""
    if landed < 0 or missed < 0:
        raise ValueError("counts of predictions cannot be negative")
    return (landed + 1) / (landed + missed + 2)


def calibration(entries: Iterable[ImpactEntry]) -> list[Calibration]:
    """Calibration per estimator, by name."""
    by_person: dict[int | None, list[ImpactEntry]] = defaultdict(list)
    for entry in entries:
        by_person[entry.estimator_id].append(entry)
    out = []
    for person_id, own in by_person.items():
        measured = [e for e in own if e.measured and e.realised_lift is not None]
        landed = sum(1 for e in measured if e.verdict in ("beat", "met"))
        missed = sum(1 for e in measured if e.verdict == "missed")
        errors = [e.expected_lift - float(e.realised_lift or 0.0) for e in measured]
        out.append(
            Calibration(
                person_id=person_id,
                person=own[0].estimator,
                predictions=len(measured),
                landed=landed,
                missed=missed,
                inconclusive=len(measured) - landed - missed,
                waiting=len(own) - len(measured),
                hit_rate=landed / (landed + missed) if landed + missed else None,
                mean_error=sum(errors) / len(errors) if errors else None,
                suggested_confidence=suggested_confidence(landed, missed),
            )
        )
    return sorted(out, key=lambda c: c.person)


def calibration_frame(calibrations: Iterable[Calibration]) -> pd.DataFrame:
    """Calibration as a table, one row per estimator."""
    columns = [
        "person_id",
        "person",
        "predictions",
        "landed",
        "missed",
        "inconclusive",
        "waiting",
        "hit_rate",
        "mean_error",
        "tendency",
        "suggested_confidence",
    ]
    rows = [{**asdict(c), "tendency": c.tendency} for c in calibrations]
    return pd.DataFrame(rows, columns=columns)


def calibration_by_person(
    *, session: Session, config: AppConfig, as_of: date | None = None
) -> dict[int, Calibration]:
    """Each estimator's calibration by person id (for scoring pages: a suggested confidence)."""
    entries = impact_ledger(session=session, config=config, as_of=as_of)
    return {c.person_id: c for c in calibration(entries) if c.person_id is not None}


def confidence_on_scale(value: float, spec: ScoringInput) -> float:
    """A 0–1 confidence as a scoring input's value: a 0–1 input takes it as is (the nearest
    allowed value on a scale), a wider range maps it linearly (0.6 on 1–10 is 6.4)."""
    if not 0 <= value <= 1:
        raise ValueError(f"a confidence is between 0 and 1, not {value}")
    if spec.scale:
        low, high = min(spec.scale), max(spec.scale)
    else:
        assert spec.minimum is not None and spec.maximum is not None
        low, high = spec.minimum, spec.maximum
    target = value if low >= 0 and high <= 1 else low + value * (high - low)
    if spec.scale:
        return min(spec.scale, key=lambda allowed: (abs(allowed - target), -allowed))
    return min(max(target, low), high)
