"""Quarter ids, fiscal quarters, ISO weeks and key result windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from planning import i18n
from planning.periods import (
    PeriodOutOfRange,
    days_in_period,
    elapsed_days,
    format_quarter,
    iso_week,
    next_quarter,
    parse_iso_week,
    parse_quarter,
    previous_quarter,
    quarter_bounds,
    quarter_of,
    week_bounds,
    window_bounds,
    window_length,
)


# Fiscal years are named by the year they end: with a February start, fiscal 2026 runs
# 1 Feb 2025 – 31 Jan 2026; with an April start, 1 Apr 2025 – 31 Mar 2026. `fiscal` is the
# fiscal start month passed, none for the default calendar year.
@pytest.mark.parametrize(
    ("period", "fiscal", "bounds"),
    [
        pytest.param("2026-Q4", (), (date(2026, 10, 1), date(2026, 12, 31)), id="calendar Q4"),
        pytest.param("2026-Q1", (), (date(2026, 1, 1), date(2026, 3, 31)), id="calendar Q1"),
        pytest.param("2026-Q1", (2,), (date(2025, 2, 1), date(2025, 4, 30)), id="February Q1"),
        pytest.param("2026-Q4", (2,), (date(2025, 11, 1), date(2026, 1, 31)), id="February Q4"),
        pytest.param("2026-Q1", (4,), (date(2025, 4, 1), date(2025, 6, 30)), id="April Q1"),
        pytest.param("2026-Q4", (4,), (date(2026, 1, 1), date(2026, 3, 31)), id="April Q4"),
    ],
)
def test_quarter_bounds_calendar_and_fiscal(
    period: str, fiscal: tuple[int, ...], bounds: tuple[date, date]
) -> None:
    assert quarter_bounds(period, *fiscal) == bounds


@pytest.mark.parametrize(
    ("day", "fiscal", "period"),
    [
        pytest.param(date(2026, 11, 26), (), "2026-Q4", id="calendar November"),
        pytest.param(date(2026, 3, 31), (), "2026-Q1", id="calendar end of March"),
        pytest.param(date(2026, 4, 1), (), "2026-Q2", id="calendar 1 April"),
        pytest.param(date(2026, 1, 31), (2,), "2026-Q4", id="February start: last day of 2026"),
        pytest.param(date(2026, 2, 1), (2,), "2027-Q1", id="February start: first day of 2027"),
        pytest.param(date(2025, 2, 1), (2,), "2026-Q1", id="February start: first day of 2026"),
        pytest.param(date(2026, 3, 31), (4,), "2026-Q4", id="April start: last day of 2026"),
        pytest.param(date(2026, 4, 1), (4,), "2027-Q1", id="April start: first day of 2027"),
        pytest.param(date(2025, 8, 15), (4,), "2026-Q2", id="April start: August"),
    ],
)
def test_quarter_of_calendar_and_fiscal_days(
    day: date, fiscal: tuple[int, ...], period: str
) -> None:
    assert quarter_of(day, *fiscal) == period


@pytest.mark.parametrize(
    ("period", "fiscal", "days"),
    [
        pytest.param("2026-Q4", (), 92, id="calendar Q4"),
        pytest.param("2026-Q1", (), 90, id="calendar Q1"),
        pytest.param("2024-Q1", (), 91, id="calendar Q1 of a leap year"),
        pytest.param("2026-Q4", (2,), 92, id="February Q4"),
    ],
)
def test_days_in_period_calendar_and_fiscal(
    period: str, fiscal: tuple[int, ...], days: int
) -> None:
    assert days_in_period(period, *fiscal) == days


@pytest.mark.parametrize("start_month", range(1, 13))
def test_quarters_tile_the_calendar_for_every_start_month(start_month: int) -> None:
    day = date(2023, 1, 1)
    while day <= date(2027, 12, 31):
        period = quarter_of(day, start_month)
        first, last = quarter_bounds(period, start_month)
        assert first <= day <= last
        assert first.day == 1
        assert (first.month - start_month) % 3 == 0
        following = quarter_bounds(next_quarter(period), start_month)[0]
        assert following == last + timedelta(days=1)
        day += timedelta(days=17)


def test_previous_and_next_quarter_cross_year_ends() -> None:
    assert previous_quarter("2026-Q1") == "2025-Q4"
    assert previous_quarter("2026-Q3") == "2026-Q2"
    assert next_quarter("2026-Q4") == "2027-Q1"
    assert next_quarter("2026-Q2") == "2026-Q3"


def test_parse_and_format_quarter() -> None:
    assert parse_quarter("2026-Q4") == (2026, 4)
    assert parse_quarter(" 2026-q4 ") == (2026, 4)
    assert format_quarter(2026, 4) == "2026-Q4"
    with pytest.raises(ValueError, match="1 to 4"):
        format_quarter(2026, 5)


@pytest.mark.parametrize(
    ("read", "bad", "hint"),
    [
        (quarter_bounds, "2026-Q5", "Q1, Q2, Q3 or Q4"),
        (quarter_bounds, "2026-Q0", "Q1, Q2, Q3 or Q4"),
        (quarter_bounds, "26-Q1", "four digits"),
        (quarter_bounds, "2026W48", "e.g. 2026-Q4"),
        (quarter_bounds, "Q4 2026", "e.g. 2026-Q4"),
        (quarter_bounds, "", "e.g. 2026-Q4"),
        (week_bounds, "2026W48", "e.g. 2026-W48"),
        (week_bounds, "2026-W8", "two digits"),
        (week_bounds, "26-W48", "four digits"),
        (week_bounds, "2025-W53", "2025 has weeks 01 to 52"),
        (week_bounds, "2026-W00", "2026 has weeks 01 to 53"),
        (week_bounds, "2026-Q4", "e.g. 2026-W48"),
    ],
)
def test_bad_quarter_ids_and_iso_weeks_name_the_text_and_the_fix(
    read: Callable[[str], object], bad: str, hint: str
) -> None:
    with pytest.raises(ValueError) as info:
        read(bad)
    message = str(info.value)
    assert repr(bad) in message
    assert hint in message


def test_bad_fiscal_start_month_is_refused() -> None:
    with pytest.raises(ValueError, match="fiscal start month must be 1 to 12, got 13"):
        quarter_bounds("2026-Q1", 13)
    with pytest.raises(ValueError, match="got 0"):
        quarter_of(date(2026, 1, 1), 0)


def test_elapsed_days_counts_today_and_stays_within_the_quarter() -> None:
    assert elapsed_days("2026-Q4", date(2026, 11, 14)) == 45  # day 45 of 92
    assert elapsed_days("2026-Q4", date(2026, 10, 1)) == 1
    assert elapsed_days("2026-Q4", date(2026, 9, 30)) == 0
    assert elapsed_days("2026-Q4", date(2027, 2, 1)) == 92
    assert elapsed_days("2026-Q4", date(2025, 11, 30), 2) == 30


def test_iso_weeks() -> None:
    assert iso_week(date(2026, 11, 26)) == "2026-W48"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"  # a Friday still in ISO 2026
    assert iso_week(date(2024, 12, 30)) == "2025-W01"  # a Monday already in ISO 2025
    assert week_bounds("2026-W48") == (date(2026, 11, 23), date(2026, 11, 29))
    assert week_bounds("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))
    assert parse_iso_week("2026-w48") == (2026, 48)


def test_iso_week_round_trips_for_every_day() -> None:
    day = date(2024, 12, 20)
    while day <= date(2027, 1, 10):
        monday, sunday = week_bounds(iso_week(day))
        assert monday <= day <= sunday
        assert monday.weekday() == 0 and sunday.weekday() == 6
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("window", "as_of", "start", "end"),
    [
        ("period_to_date", date(2026, 11, 14), date(2026, 10, 1), date(2026, 11, 14)),
        # After the quarter, period to date is the whole quarter.
        ("period_to_date", date(2027, 1, 20), date(2026, 10, 1), date(2026, 12, 31)),
        ("trailing_7d", date(2026, 11, 14), date(2026, 11, 8), date(2026, 11, 14)),
        # Early in the quarter a trailing window reaches back into the previous one.
        ("trailing_28d", date(2026, 10, 3), date(2026, 9, 6), date(2026, 10, 3)),
        # After the quarter, the window is the quarter's last 7 days.
        ("trailing_7d", date(2027, 1, 10), date(2026, 12, 25), date(2026, 12, 31)),
    ],
)
def test_windows_end_on_as_of_or_the_quarter_end(
    window: str, as_of: date, start: date, end: date
) -> None:
    assert window_bounds(window, "2026-Q4", as_of) == (start, end)


def test_period_to_date_before_the_quarter_is_an_empty_window() -> None:
    start, end = window_bounds("period_to_date", "2026-Q4", date(2026, 9, 15))
    assert end < start


def test_window_lengths_and_unknown_windows() -> None:
    assert window_length("period_to_date", "2026-Q4") == 92
    assert window_length("trailing_7d", "2026-Q4") == 7
    assert window_length("trailing_28d", "2026-Q4") == 28
    with pytest.raises(ValueError, match="unknown window 'trailing_30d'"):
        window_bounds("trailing_30d", "2026-Q4", date(2026, 11, 1))
    with pytest.raises(ValueError, match="unknown window 'weekly'"):
        window_length("weekly", "2026-Q4")


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "'1999-Q1' is outside the supported range: the year must be 2000 to 2100"),
        (
            "de",
            "'1999-Q1' liegt außerhalb des unterstützten Bereichs: das Jahr muss im Bereich "
            "2000 bis 2100 liegen",
        ),
    ],
)
def test_a_quarter_outside_the_supported_years_is_named_in_the_readers_words(
    language: str, message: str
) -> None:
    with i18n.use_locale(language), pytest.raises(PeriodOutOfRange) as refused:
        parse_quarter("1999-Q1")
    assert str(refused.value) == message
