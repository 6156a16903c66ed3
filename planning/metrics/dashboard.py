"""What the Metrics page shows, composed from the metrics engine: KPI tiles with comparisons,
trends against last year, the checkout funnel, margin by product line and breakdowns.

Comparisons: the previous period is the window of the same length that ends the day before this
one starts; last year is the same window 364 days earlier, so weekdays line up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlmodel import Session

from planning.config.metrics import MetricsConfig
from planning.formatting import format_day
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.engine import measure_totals, metric_breakdown, metric_series, metric_values
from planning.metrics.metric_query import Grain
from planning.periods import previous_quarter, quarter_bounds, quarter_of

YEAR_AGO = timedelta(days=364)

PRESETS = (
    N_("Last 7 days"),
    N_("Last 28 days"),
    N_("Quarter to date"),
    N_("Last quarter"),
    N_("Year to date"),
    N_("Last 365 days"),
)


@dataclass(frozen=True)
class DateWindow:
    """An inclusive range of days."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """Number of days in the window."""
        return (self.end - self.start).days + 1

    def previous(self) -> DateWindow:
        """The window of the same length just before this one."""
        return DateWindow(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_ago(self) -> DateWindow:
        """The same window 364 days earlier (weekday-aligned)."""
        return DateWindow(self.start - YEAR_AGO, self.end - YEAR_AGO)

    def calendar_year_ago(self) -> DateWindow:
        """The same calendar days a year earlier (29 February: the 28th)."""
        return DateWindow(_a_year_earlier(self.start), _a_year_earlier(self.end))


def _a_year_earlier(day: date) -> date:
    """The same day of the calendar a year earlier; 29 February falls on the 28th."""
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


def preset_window(preset: str, *, latest: date, fiscal_start_month: int = 1) -> DateWindow:
    """The window a preset names, ending on the latest day with data; quarters are the team's
    (settings.yaml fiscal_year_start_month), as on Goals."""
    quarter = quarter_of(latest, fiscal_start_month)
    quarter_start = quarter_bounds(quarter, fiscal_start_month)[0]
    if preset == "Last 7 days":
        return DateWindow(latest - timedelta(days=6), latest)
    if preset == "Last 28 days":
        return DateWindow(latest - timedelta(days=27), latest)
    if preset == "Quarter to date":
        return DateWindow(quarter_start, latest)
    if preset == "Last quarter":
        return DateWindow(*quarter_bounds(previous_quarter(quarter), fiscal_start_month))
    if preset == "Year to date":
        return DateWindow(date(latest.year, 1, 1), latest)
    if preset == "Last 365 days":
        return DateWindow(latest - timedelta(days=364), latest)
    raise ValueError(f"unknown window {preset!r}; choose one of {', '.join(PRESETS)}")


def applicable_filters(
    config: MetricsConfig, metric_id: str, filters: Mapping[str, str]
) -> dict[str, str]:
    """The filters a metric can take: those on dimensions all of its measures declare."""
    dims = set(config.metric_dimensions(metric_id))
    return {name: value for name, value in filters.items() if name in dims}


@dataclass(frozen=True)
class KpiTile:
    """One KPI tile: the value in the window and what it compares against."""

    metric_id: str
    label: str
    fmt: str
    higher_is_better: bool
    value: float | None
    previous: float | None
    year_ago: float | None
    daily: tuple[float, ...]
    filtered: bool


def kpi_tiles(
    *,
    session: Session,
    config: MetricsConfig,
    metric_ids: list[str],
    window: DateWindow,
    filters: Mapping[str, str],
) -> list[KpiTile]:
    """KPI tiles for the window, with previous-period and last-year values and a daily trend."""
    groups: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for mid in metric_ids:
        key = tuple(sorted(applicable_filters(config, mid, filters).items()))
        groups.setdefault(key, []).append(mid)
    values: dict[str, dict[str, float | None]] = {"now": {}, "prev": {}, "ly": {}}
    for key, ids in groups.items():
        for name, win in (("now", window), ("prev", window.previous()), ("ly", window.year_ago())):
            values[name].update(
                metric_values(
                    session=session,
                    config=config,
                    metric_ids=ids,
                    start=win.start,
                    end=win.end,
                    filters=dict(key),
                )
            )
    tiles = []
    for mid in metric_ids:
        metric = config.metrics[mid]
        used = applicable_filters(config, mid, filters)
        grain: Grain = "day" if window.days <= 92 else "week"
        daily = _series(session, config, mid, window, grain, used)
        tiles.append(
            KpiTile(
                metric_id=mid,
                label=metric.label,
                fmt=metric.format,
                higher_is_better=metric.higher_is_better,
                value=values["now"][mid],
                previous=values["prev"][mid],
                year_ago=values["ly"][mid],
                daily=tuple(float(v) for v in daily["value"].dropna()),
                filtered=bool(used),
            )
        )
    return tiles


def _series(
    session: Session,
    config: MetricsConfig,
    metric_id: str,
    window: DateWindow,
    grain: Grain,
    filters: Mapping[str, str],
) -> pd.DataFrame:
    return metric_series(
        session=session,
        config=config,
        metric_id=metric_id,
        start=window.start,
        end=window.end,
        grain=grain,
        filters=filters,
    )


def _by_member(
    session: Session,
    config: MetricsConfig,
    metric_id: str,
    window: DateWindow,
    dimension: str,
    filters: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    return metric_breakdown(
        session=session,
        config=config,
        metric_id=metric_id,
        start=window.start,
        end=window.end,
        dimension=dimension,
        filters=filters,
    )


def trend(
    *,
    session: Session,
    config: MetricsConfig,
    metric_id: str,
    window: DateWindow,
    grain: Grain,
    filters: Mapping[str, str],
) -> pd.DataFrame:
    """The metric by period in the window and the same periods a year earlier.

    Columns: period, series ('This period' or 'Last year'), value, held and days (how many of
    the period's days the window holds, of how many: the first and last period may be partial).
    Last year's days and weeks are moved forward 364 days, its months and quarters a calendar
    year, so both lines share the time axis.
    """
    used = applicable_filters(config, metric_id, filters)
    now = _held(_series(session, config, metric_id, window, grain, used), window, grain)
    by_weekday = grain == "day" or grain == "week"
    # Months and quarters are compared with the same calendar days: 364 days back, a window
    # ending on a month's last day (31 Dec, 28 Feb) reached one day into the next month, drawn
    # as a last-year month of its own that this period does not have.
    earlier = window.year_ago() if by_weekday else window.calendar_year_ago()
    ago = _held(_series(session, config, metric_id, earlier, grain, used), earlier, grain)
    if by_weekday:
        ago = ago.assign(period=[p + YEAR_AGO for p in ago["period"]])
    else:
        ago = ago.assign(period=[p.replace(year=p.year + 1) for p in ago["period"]])
    frame = pd.concat(
        [now.assign(series="This period"), ago.assign(series="Last year")], ignore_index=True
    )
    return frame[["period", "series", "value", "held", "days"]]


def period_end(start: date, grain: Grain) -> date:
    """The last day of the day, week (from Monday), month or calendar quarter from `start`."""
    if grain == "day":
        return start
    if grain == "week":
        return start + timedelta(days=6)
    months = 3 if grain == "quarter" else 1
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def held_days(start: date, window: DateWindow, grain: Grain) -> tuple[int, int]:
    """How many days of the period from `start` the window holds, and how many it has."""
    end = period_end(start, grain)
    held = (min(end, window.end) - max(start, window.start)).days + 1
    return max(0, held), (end - start).days + 1


def _held(series: pd.DataFrame, window: DateWindow, grain: Grain) -> pd.DataFrame:
    """The series with how many of each period's days the window holds, and of how many."""
    counts = [held_days(p, window, grain) for p in series["period"]]
    return series.assign(held=[h for h, _d in counts], days=[d for _h, d in counts])


@dataclass(frozen=True)
class PartialPeriod:
    """A first or last period of a trend that the window cuts: it holds fewer days than it has,
    so its value is not comparable with a whole period's (a week of one day is no drop)."""

    start: date
    held: int
    days: int


def partial_periods(frame: pd.DataFrame) -> list[PartialPeriod]:
    """The periods of this period's line (a `trend` frame) that the window cuts, in order."""
    now = frame[(frame["series"] == "This period") & (frame["held"] < frame["days"])]
    return [
        PartialPeriod(start=p, held=int(h), days=int(d))
        for p, h, d in zip(now["period"], now["held"], now["days"], strict=True)
    ]


PARTIAL_PERIOD_WORDS = {
    "week": N_("The week from {day} holds {held} of its {days} days"),
    "month": N_("The month from {day} holds {held} of its {days} days"),
    "quarter": N_("The quarter from {day} holds {held} of its {days} days"),
}


def partial_periods_words(partial: Sequence[PartialPeriod], grain: Grain) -> str:
    """The partial periods in words, e.g. "The week from 30 Nov holds 1 of its 7 days · …";
    "" when every period is whole or for days."""
    if grain == "day":
        return ""
    return " · ".join(
        _(PARTIAL_PERIOD_WORDS[grain]).format(
            day=format_day(p.start, year=False), held=p.held, days=p.days
        )
        for p in partial
    )


def partial_periods_text(partial: Sequence[PartialPeriod], grain: Grain) -> str:
    """What the trend's caption says of its partial periods, e.g. "The week from 30 Nov holds
    1 of its 7 days: …"; "" when every period is whole."""
    parts = partial_periods_words(partial, grain)
    if not parts:
        return ""
    return _(
        "{periods}: drawn as hollow points off the line, so a short period does not read as a "
        "drop or a rise."
    ).format(periods=parts)


def funnel(
    *,
    session: Session,
    config: MetricsConfig,
    window: DateWindow,
    filters: Mapping[str, str],
) -> pd.DataFrame:
    """The configured funnel steps: sessions at each step, rate from the step before, rate from
    the first step."""
    steps = config.funnel
    if not steps:
        return pd.DataFrame(columns=["step", "label", "sessions", "step_rate", "overall_rate"])
    dims = set.intersection(*(set(config.measures[s].dimensions) for s in steps))
    used = {k: v for k, v in filters.items() if k in dims}
    totals = measure_totals(
        session=session,
        config=config,
        measure_ids=steps,
        start=window.start,
        end=window.end,
        filters=used,
    )
    rows = []
    first = totals.get(steps[0])
    previous: float | None = None
    for step in steps:
        count = totals.get(step)
        rows.append(
            {
                "step": step,
                "label": config.measures[step].label,
                "sessions": count,
                "step_rate": _ratio(count, previous),
                "overall_rate": _ratio(count, first),
            }
        )
        previous = count
    return pd.DataFrame(rows)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def breakdown(
    *,
    session: Session,
    config: MetricsConfig,
    metric_id: str,
    dimension: str,
    window: DateWindow,
    filters: Mapping[str, str],
) -> pd.DataFrame:
    """The metric for each value of a dimension in the window (other filters still applied)."""
    used = applicable_filters(config, metric_id, filters)
    used.pop(dimension, None)
    return _by_member(session, config, metric_id, window, dimension, used)


MARGIN_METRICS = {
    "line_net_revenue": "net_revenue",
    "gross_profit": "gross_profit",
    "gross_margin_pct": "gross_margin",
}


def margin_by_product_line(
    *, session: Session, config: MetricsConfig, window: DateWindow
) -> pd.DataFrame:
    """Net revenue, gross profit and gross margin for each product line in the window."""
    parts = [
        _by_member(session, config, metric_id, window, "product_line")
        .rename(columns={"value": column})
        .set_index("member")
        for metric_id, column in MARGIN_METRICS.items()
    ]
    joined = pd.concat(parts, axis=1).rename_axis("product_line").reset_index()
    return joined.sort_values("net_revenue", ascending=False, ignore_index=True)
