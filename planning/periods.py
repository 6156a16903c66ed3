"""Periods: quarter ids, ISO weeks and the date windows key results are measured over.

Quarter ids look like ``2026-Q4``. With ``fiscal_start_month`` 1 (the default) quarters are
calendar quarters. With another start month the fiscal year begins on the first of that month and
is named by the calendar year in which it ends: with start month 2, fiscal 2026 runs from
1 February 2025 to 31 January 2026, so ``2026-Q1`` is February–April 2025 and ``2026-Q4`` is
November 2025–January 2026. With start month 4, ``2026-Q1`` is April–June 2025.

All bounds are inclusive dates. ``as_of`` is the latest complete day of data: windows end on it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from planning.i18n import gettext as _

WINDOWS = ("period_to_date", "trailing_7d", "trailing_28d")
_TRAILING_DAYS = {"trailing_7d": 7, "trailing_28d": 28}

# The years a quarter or week may fall in: every entry point (API, CLI, pages, files) parses
# periods here, so a far-off year is refused with one message instead of failing deep inside.
FIRST_YEAR = 2000
LAST_YEAR = 2100
YEAR_RANGE = f"{FIRST_YEAR} to {LAST_YEAR}"


def year_range_text() -> str:
    """The supported years as a reader says them ("2000 to 2100", "2000 bis 2100")."""
    return _("{first} to {last}").format(first=FIRST_YEAR, last=LAST_YEAR)


class PeriodOutOfRange(ValueError):
    """A well-formed quarter or week id whose year is outside FIRST_YEAR to LAST_YEAR."""


_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
_QUARTER_LOOSE_RE = re.compile(r"^(\d+)-Q(\d+)$")
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_WEEK_LOOSE_RE = re.compile(r"^(\d+)-W(\d+)$")


def _check_start_month(fiscal_start_month: int) -> None:
    if not 1 <= fiscal_start_month <= 12:
        raise ValueError(f"fiscal start month must be 1 to 12, got {fiscal_start_month!r}")


def parse_quarter(period: str) -> tuple[int, int]:
    """Split a quarter id like "2026-Q4" into (fiscal year, quarter number 1–4)."""
    text = period.strip().upper() if isinstance(period, str) else period
    if isinstance(text, str):
        match = _QUARTER_RE.match(text)
        if match and int(match.group(1)) >= 1:
            year = int(match.group(1))
            if not FIRST_YEAR <= year <= LAST_YEAR:
                raise PeriodOutOfRange(_out_of_range(period))
            return year, int(match.group(2))
    raise ValueError(
        _("{period} is not a quarter: {problem}").format(
            period=repr(period), problem=_quarter_problem(text)
        )
    )


def _out_of_range(period: object) -> str:
    return _("{period} is outside the supported range: the year must be {years}").format(
        period=repr(period), years=year_range_text()
    )


def _quarter_problem(text: object) -> str:
    example = _("write it as YEAR-Qn, e.g. 2026-Q4")
    if not isinstance(text, str):
        return _("expected text, {example}").format(example=example)
    loose = _QUARTER_LOOSE_RE.match(text)
    if loose is None:
        return example
    if len(loose.group(1)) != 4 or int(loose.group(1)) < 1:
        return _("the year must have four digits, {example}").format(example=example)
    return _("the quarter must be Q1, Q2, Q3 or Q4, {example}").format(example=example)


def format_quarter(fiscal_year: int, quarter: int) -> str:
    """The quarter id for a fiscal year and quarter number, e.g. (2026, 4) -> "2026-Q4"."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter number must be 1 to 4, got {quarter!r}")
    if not FIRST_YEAR <= fiscal_year <= LAST_YEAR:
        raise ValueError(f"fiscal year must be {YEAR_RANGE}, got {fiscal_year!r}")
    return f"{fiscal_year:04d}-Q{quarter}"


def _month_start(month_index: int) -> date:
    """First day of a month counted as year * 12 + (month - 1)."""
    return date(month_index // 12, month_index % 12 + 1, 1)


def quarter_bounds(period: str, fiscal_start_month: int = 1) -> tuple[date, date]:
    """First and last day (inclusive) of a quarter id under the given fiscal start month."""
    _check_start_month(fiscal_start_month)
    fiscal_year, quarter = parse_quarter(period)
    start_year = fiscal_year if fiscal_start_month == 1 else fiscal_year - 1
    first_month = start_year * 12 + (fiscal_start_month - 1) + 3 * (quarter - 1)
    try:
        first = _month_start(first_month)
        last = _month_start(first_month + 3) - timedelta(days=1)
    except (ValueError, OverflowError):
        raise ValueError(f"{period!r} is outside the supported range of dates") from None
    return first, last


def quarter_of(day: date, fiscal_start_month: int = 1) -> str:
    """The quarter id that contains a day under the given fiscal start month."""
    _check_start_month(fiscal_start_month)
    fiscal_year = day.year
    if fiscal_start_month > 1 and day.month >= fiscal_start_month:
        fiscal_year += 1
    quarter = (day.month - fiscal_start_month) % 12 // 3 + 1
    return format_quarter(fiscal_year, quarter)


def previous_quarter(period: str) -> str:
    """The quarter id before this one, e.g. "2026-Q1" -> "2025-Q4"."""
    fiscal_year, quarter = parse_quarter(period)
    if quarter == 1:
        return format_quarter(fiscal_year - 1, 4)
    return format_quarter(fiscal_year, quarter - 1)


def next_quarter(period: str) -> str:
    """The quarter id after this one, e.g. "2026-Q4" -> "2027-Q1"."""
    fiscal_year, quarter = parse_quarter(period)
    if quarter == 4:
        return format_quarter(fiscal_year + 1, 1)
    return format_quarter(fiscal_year, quarter + 1)


def days_in_period(period: str, fiscal_start_month: int = 1) -> int:
    """Number of days in a quarter, both ends included."""
    first, last = quarter_bounds(period, fiscal_start_month)
    return (last - first).days + 1


def elapsed_days(period: str, today: date, fiscal_start_month: int = 1) -> int:
    """Days of the quarter up to and including today: 0 before it starts, all days after it ends."""
    first, last = quarter_bounds(period, fiscal_start_month)
    if today < first:
        return 0
    return (min(today, last) - first).days + 1


def iso_week(day: date) -> str:
    """The ISO week id of a day, e.g. 2026-11-26 -> "2026-W48"."""
    year, week, _weekday = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def parse_iso_week(text: str) -> tuple[int, int]:
    """Split an ISO week id like "2026-W48" into (ISO year, week number)."""
    cleaned = text.strip().upper() if isinstance(text, str) else text
    example = _("write it as YEAR-Www, e.g. 2026-W48")
    if not isinstance(cleaned, str):
        reason = _("expected text, {example}").format(example=example)
        raise ValueError(_not_a_week(text, reason))
    match = _WEEK_RE.match(cleaned)
    if match is None:
        loose = _WEEK_LOOSE_RE.match(cleaned)
        if loose and len(loose.group(1)) != 4:
            reason = _("the year must have four digits, {example}").format(example=example)
        elif loose:
            reason = _("the week must have two digits, {example}").format(example=example)
        else:
            reason = example
        raise ValueError(_not_a_week(text, reason))
    year, week = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodOutOfRange(_out_of_range(text))
    weeks_in_year = date(year, 12, 28).isocalendar()[1]
    if not 1 <= week <= weeks_in_year:
        reason = _("{year} has weeks 01 to {last}").format(year=year, last=f"{weeks_in_year:02d}")
        raise ValueError(_not_a_week(text, reason))
    return year, week


def _not_a_week(text: object, reason: str) -> str:
    return _("{text} is not an ISO week: {reason}").format(text=repr(text), reason=reason)


def week_bounds(week_id: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week id."""
    year, week = parse_iso_week(week_id)
    try:
        monday = date.fromisocalendar(year, week, 1)
        sunday = monday + timedelta(days=6)
    except (ValueError, OverflowError):
        raise ValueError(f"{week_id!r} is outside the supported range of dates") from None
    return monday, sunday


def window_length(window: str, period: str, fiscal_start_month: int = 1) -> int:
    """Days a key result's window spans once complete: the whole quarter, 7 or 28."""
    if window == "period_to_date":
        return days_in_period(period, fiscal_start_month)
    if window in _TRAILING_DAYS:
        return _TRAILING_DAYS[window]
    raise ValueError(f"unknown window {window!r}: use one of {', '.join(WINDOWS)}")


def window_bounds(
    window: str, period: str, as_of: date, fiscal_start_month: int = 1
) -> tuple[date, date]:
    """Inclusive (start, end) of a key result's window in a quarter, as of a day of data.

    The window ends on ``as_of``, or on the quarter's last day once the quarter is over.
    ``period_to_date`` starts on the quarter's first day; the window is empty (end before start)
    when ``as_of`` is before the quarter. Trailing windows cover the 7 or 28 days up to the end
    and may reach back before the quarter, since they measure a recent level, not a total.
    """
    first, last = quarter_bounds(period, fiscal_start_month)
    end = min(as_of, last)
    if window == "period_to_date":
        return first, end
    if window in _TRAILING_DAYS:
        return end - timedelta(days=_TRAILING_DAYS[window] - 1), end
    raise ValueError(f"unknown window {window!r}: use one of {', '.join(WINDOWS)}")
