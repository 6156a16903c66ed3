"""What the Metrics page composes: comparison windows, filters that apply, funnel, trend, margin."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from planning import i18n
from planning.config import AppConfig
from planning.metrics.dashboard import (
    DateWindow,
    applicable_filters,
    funnel,
    kpi_tiles,
    margin_by_product_line,
    partial_periods,
    partial_periods_text,
    preset_window,
    trend,
)
from planning.metrics.observations import dims_key, upsert_observations


def test_comparison_windows() -> None:
    window = DateWindow(date(2026, 10, 29), date(2026, 11, 25))
    assert window.days == 28
    assert window.previous() == DateWindow(date(2026, 10, 1), date(2026, 10, 28))
    # 364 days back keeps the weekday: Wed 25 Nov 2026 -> Wed 26 Nov 2025
    assert window.year_ago().end == date(2025, 11, 26)
    assert window.year_ago().end.weekday() == window.end.weekday()


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("Last 7 days", date(2026, 11, 19), date(2026, 11, 25)),
        ("Last 28 days", date(2026, 10, 29), date(2026, 11, 25)),
        ("Quarter to date", date(2026, 10, 1), date(2026, 11, 25)),
        ("Last quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("Year to date", date(2026, 1, 1), date(2026, 11, 25)),
        ("Last 365 days", date(2025, 11, 26), date(2026, 11, 25)),
    ],
)
def test_presets(preset: str, start: date, end: date) -> None:
    assert preset_window(preset, latest=date(2026, 11, 25)) == DateWindow(start, end)


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown window 'Last decade'"):
        preset_window("Last decade", latest=date(2026, 11, 25))


def test_filters_apply_only_where_recorded(config: AppConfig) -> None:
    chosen = {"device": "mobile", "channel": "email"}
    assert applicable_filters(config.metrics, "conversion_rate", chosen) == chosen
    assert applicable_filters(config.metrics, "gross_margin_pct", chosen) == {}


def _write(engine: Engine, rows: list[tuple[str, date, dict[str, str], float]]) -> None:
    frame = pd.DataFrame(
        {
            "measure": [r[0] for r in rows],
            "day": [r[1] for r in rows],
            "dims_key": [dims_key(r[2]) for r in rows],
            "value": [r[3] for r in rows],
        }
    )
    with engine.begin() as conn:
        upsert_observations(connection=conn, frame=frame)


MOBILE = {"channel": "email", "device": "mobile"}
DESKTOP = {"channel": "email", "device": "desktop"}


def test_funnel_step_rates(engine: Engine, config: AppConfig) -> None:
    day = date(2026, 11, 2)
    _write(
        engine,
        [
            ("sessions", day, MOBILE, 1000),
            ("product_view_sessions", day, MOBILE, 500),
            ("add_to_cart_sessions", day, MOBILE, 100),
            ("checkout_sessions", day, MOBILE, 50),
            ("orders", day, MOBILE, 20),
            ("sessions", day, DESKTOP, 1000),
            ("product_view_sessions", day, DESKTOP, 500),
            ("add_to_cart_sessions", day, DESKTOP, 100),
            ("checkout_sessions", day, DESKTOP, 50),
            ("orders", day, DESKTOP, 30),
        ],
    )
    with Session(engine) as session:
        steps = funnel(
            session=session, config=config.metrics, window=DateWindow(day, day), filters={}
        )
        mobile = funnel(
            session=session,
            config=config.metrics,
            window=DateWindow(day, day),
            filters={"device": "mobile"},
        )
    assert list(steps["sessions"]) == [2000, 1000, 200, 100, 50]
    assert pd.isna(steps["step_rate"].iloc[0])
    assert list(steps["step_rate"].iloc[1:]) == [0.5, 0.2, 0.5, 0.5]
    assert steps["overall_rate"].iloc[-1] == pytest.approx(0.025)
    assert mobile["sessions"].iloc[-1] == 20


def test_kpi_tiles_compare_previous_period_and_last_year(engine: Engine, config: AppConfig) -> None:
    window = DateWindow(date(2026, 11, 2), date(2026, 11, 8))
    rows = []
    for offset in range(7):
        rows.append(("sessions", window.start + timedelta(days=offset), MOBILE, 100))
        rows.append(("sessions", window.previous().start + timedelta(days=offset), MOBILE, 80))
        rows.append(("sessions", window.year_ago().start + timedelta(days=offset), MOBILE, 50))
    _write(engine, rows)
    with Session(engine) as session:
        (tile,) = kpi_tiles(
            session=session,
            config=config.metrics,
            metric_ids=["sessions"],
            window=window,
            filters={"device": "mobile"},
        )
    assert (tile.value, tile.previous, tile.year_ago) == (700, 560, 350)
    assert tile.daily == (100.0,) * 7
    assert tile.filtered


def _sessions_trend(
    engine: Engine, config: AppConfig, window: DateWindow, grain: str
) -> pd.DataFrame:
    """Sessions by period in the window and last year, unfiltered."""
    with Session(engine) as session:
        return trend(
            session=session,
            config=config.metrics,
            metric_id="sessions",
            window=window,
            grain=grain,  # type: ignore[arg-type]
            filters={},
        )


def test_trend_moves_last_year_onto_this_years_axis(engine: Engine, config: AppConfig) -> None:
    window = DateWindow(date(2026, 11, 2), date(2026, 11, 3))
    _write(
        engine,
        [
            ("sessions", date(2026, 11, 2), MOBILE, 10),
            ("sessions", date(2026, 11, 3), MOBILE, 20),
            ("sessions", date(2025, 11, 3), MOBILE, 7),
        ],
    )
    frame = _sessions_trend(engine, config, window, "day")
    last_year = frame[frame["series"] == "Last year"]
    assert list(last_year["period"]) == [date(2026, 11, 2)]
    assert list(last_year["value"]) == [7]


def test_margin_by_product_line(engine: Engine, config: AppConfig) -> None:
    day = date(2026, 11, 2)
    _write(
        engine,
        [
            ("line_net_revenue", day, {"product_line": "Home"}, 1000),
            ("line_cogs", day, {"product_line": "Home"}, 600),
            ("line_net_revenue", day, {"product_line": "Beauty"}, 400),
            ("line_cogs", day, {"product_line": "Beauty"}, 160),
        ],
    )
    with Session(engine) as session:
        table = margin_by_product_line(
            session=session, config=config.metrics, window=DateWindow(day, day)
        )
    assert list(table["product_line"]) == ["Home", "Beauty"]
    assert list(table["gross_profit"]) == [400, 240]
    assert list(table["gross_margin"]) == pytest.approx([0.4, 0.6])


@pytest.mark.parametrize(
    ("end", "last_year_day"),
    [
        (date(2026, 12, 31), date(2026, 1, 1)),  # the data on 2027-01-01 reaches 31 Dec
        (date(2028, 2, 28), date(2027, 3, 1)),  # the data on the leap day reaches 28 Feb
    ],
)
def test_a_month_trend_to_a_months_last_day_compares_the_same_months_last_year(
    engine: Engine, config: AppConfig, end: date, last_year_day: date
) -> None:
    """Last year's months are last year's calendar months: 364 days back from a month's last day
    is the next month's first day, which showed as a last-year month of one day beyond the end
    of this period's line."""
    start = end.replace(day=1) - timedelta(days=31)
    start = start.replace(day=1)
    rows = [
        ("sessions", start + timedelta(days=n), MOBILE, 10) for n in range((end - start).days + 1)
    ]
    year_before = [
        ("sessions", start.replace(year=start.year - 1) + timedelta(days=n), MOBILE, 5)
        for n in range((last_year_day - start.replace(year=start.year - 1)).days + 1)
    ]
    _write(engine, rows + year_before)
    frame = _sessions_trend(engine, config, DateWindow(start, end), "month")
    this = frame[frame["series"] == "This period"]
    last_year = frame[frame["series"] == "Last year"]
    assert list(last_year["period"]) == list(this["period"])  # the same months, none beyond
    assert list(this["period"])[-1] == end.replace(day=1)


def test_quarter_presets_take_the_teams_fiscal_quarters() -> None:
    """A fiscal year from February: 1 Jan 2027 lies in the quarter November to January."""
    latest = date(2027, 1, 1)
    assert preset_window("Quarter to date", latest=latest, fiscal_start_month=2) == DateWindow(
        date(2026, 11, 1), latest
    )
    assert preset_window("Last quarter", latest=latest, fiscal_start_month=2) == DateWindow(
        date(2026, 8, 1), date(2026, 10, 31)
    )
    assert preset_window("Quarter to date", latest=latest) == DateWindow(latest, latest)


@pytest.mark.parametrize(
    ("grain", "cut"),
    [
        # Mon 30 Nov – Sun 6 Dec holds only the window's first day; Mon 28 Dec – Sat 2 Jan six.
        ("week", [(date(2026, 11, 30), 1, 7), (date(2026, 12, 28), 6, 7)]),
        ("month", [(date(2026, 12, 1), 26, 31), (date(2027, 1, 1), 2, 31)]),
        ("day", []),
    ],
)
def test_a_trends_periods_cut_by_the_window_are_partial(
    engine: Engine, config: AppConfig, grain: str, cut: list[tuple[date, int, int]]
) -> None:
    """Today pinned 3 Jan 2027, data through 2 Jan: the last 28 days begin on Sun 6 Dec, so the
    week of 30 Nov holds one day of seven; its small sum is not a drop in sessions."""
    window = preset_window("Last 28 days", latest=date(2027, 1, 2))
    days = [window.start + timedelta(days=n) for n in range(window.days)]
    _write(engine, [("sessions", day, MOBILE, 100) for day in days])
    frame = _sessions_trend(engine, config, window, grain)
    assert [(p.start, p.held, p.days) for p in partial_periods(frame)] == cut
    text = partial_periods_text(partial_periods(frame), grain)  # type: ignore[arg-type]
    if grain == "week":
        assert text.startswith("The week from 30 Nov holds 1 of its 7 days · ")
        with i18n.use_locale("de"):
            german = partial_periods_text(partial_periods(frame), "week")
        assert german.startswith("Die Woche ab 30. Nov. enthält 1 ihrer 7 Tage · ")
    else:
        assert (text == "") == (not cut)
