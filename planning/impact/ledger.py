"""Did it work? The impact ledger: each shipped initiative's expected lift against the lift its
metric actually showed, and how well each estimator's predictions land.

Rules:

- **Who is measured.** Every initiative with a shipped date, a lift metric and an expected lift
  (``lift_pct``, relative: 0.08 is +8 %), whatever its status.
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
- **Not enough data yet** until the post window's last day has data (the last complete day is on
  or after it; a partial day never counts), or when the pre or post window has data on fewer
  than ``impact.min_coverage`` of its days.
- **Calibration** per estimator is read from the ledger in `calibration`; the estimate itself
  (windows, realised lift, interval, verdict) in `lift_estimate`; the ledger as tables and text
  in `ledger_views`.
"""

from __future__ import annotations

import ast
import functools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from planning.config import AppConfig
from planning.config.metrics import (
    DerivedMetric,
    MetricsConfig,
    RatioMetric,
    SimpleMetric,
    WeightedAverageMetric,
)
from planning.i18n import N_
from planning.impact.lift_estimate import (
    MEASURED,
    DailyParts,
    ImpactWindows,
    daily_parts,
    estimate_lift,
    impact_windows,
    verdict,
)
from planning.metrics.completeness import data_through
from planning.metrics.engine import metric_series_many
from planning.store.models import Initiative, InitiativeKeyResult, KeyResult, Person

Filters = tuple[tuple[str, str], ...]


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


@functools.lru_cache(maxsize=4096)
def _whole_word(value: str) -> re.Pattern[str]:
    """A dimension value as a case-blind whole word, compiled once: re's own cache of 512
    patterns is too small for a catalogue of many product lines and channels."""
    return re.compile(rf"(?<![\w-]){re.escape(value)}(?![\w-])", re.IGNORECASE)


def _folded(text: str) -> str:
    """Text folded so that a value `_whole_word` finds in a title is always a substring of the
    folded title: a cheap test that skips the pattern for values the title cannot name (re's
    case-blind match also pairs the dotless ı with i, which casefold keeps apart)."""
    return text.casefold().replace("ı", "i")


@functools.lru_cache(maxsize=256)
def _folded_values(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """A dimension's values, each with its folded text, worked out once per dimension."""
    return tuple((value, _folded(value)) for value in values)


def title_filters(config: MetricsConfig, metric_id: str, title: str) -> dict[str, str]:
    """Dimension values a title names as whole words, for dimensions the metric can be
    filtered by, where exactly one value of that dimension is named."""
    found: dict[str, str] = {}
    folded = _folded(title)
    for dimension in config.metric_dimensions(metric_id):
        named = [
            value
            for value, folded_value in _folded_values(tuple(config.dimensions[dimension].values))
            if folded_value in folded and _whole_word(value).search(title)
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


# Why an entry has no realised lift yet, or no seasonal adjustment: written in English (the
# ledger is read once for every language), shown in the reader's by ledger_views.reason_text.
UNKNOWN_METRIC = N_("unknown metric {metric} in metrics.yaml")
NO_OBSERVATIONS = N_("the store holds no observations yet")
WINDOW_OPEN = N_(
    "the {days}-day post window completes with the data of {end}; data runs through {through}"
)
TOO_FEW_BEFORE = N_(
    "data on {count} of the {days} days before shipping; at least {share} are needed"
)
TOO_FEW_AFTER = N_("data on {count} of the {days} days after shipping; at least {share} are needed")
NOT_ADJUSTED = N_("last year's windows lack data: not seasonally adjusted")
REASON_DAY = "%d %b %Y"


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


def latest_complete_day(session: Session, config: AppConfig) -> date | None:
    """The last complete day: impact never reads a partial day."""
    hours = config.settings.metrics.complete_after_hours
    return data_through(session=session, complete_after_hours=hours)[0]


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
    latest = latest_complete_day(session, config)
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
        return _replace(entry, reason=UNKNOWN_METRIC.format(metric=repr(entry.metric_id)))
    if as_of is None:
        return _replace(entry, reason=NO_OBSERVATIONS)
    if windows.post_end > as_of:
        return _replace(
            entry,
            reason=WINDOW_OPEN.format(
                days=windows.days,
                end=f"{windows.post_end:{REASON_DAY}}",
                through=f"{as_of:{REASON_DAY}}",
            ),
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
    for sentence, parts in ((TOO_FEW_BEFORE, pre), (TOO_FEW_AFTER, post)):
        if parts.coverage < min_coverage or not parts.value:
            return {
                "reason": sentence.format(
                    count=len(parts.numerator), days=parts.window_days, share=f"{min_coverage:.0%}"
                ),
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
        "reason": "" if usable else NOT_ADJUSTED,
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
