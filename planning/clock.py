"""The one clock: what day and moment it is for Quarterdeck.

Every page, the CLI, the API and the domain ask this module for "today" and "now"; nothing else
in the product reads the system clock (tests/test_clock.py fails if a new call appears). Days are
counted in the team's time zone (settings.yaml `time_zone`, UTC by default). Timestamps are stored
in UTC.

The clock can be pinned, for a demo, a screenshot or a test:
- `QUARTERDECK_TODAY=2026-12-31` pins the day; the time of day still runs, so records written one
  after another keep their order;
- `QUARTERDECK_TODAY=2026-12-31T23:30:00+00:00` (an ISO moment) starts the clock there and lets it
  run on from that moment;
- `pin(...)` does the same from code (the CLI's `--today`), and wins over the variable.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TODAY_ENV = "QUARTERDECK_TODAY"

_zone: tzinfo = UTC
_pinned: str | None = None
# A pinned moment runs on from its first read: (the text pinned, that moment, monotonic start)
_anchor: tuple[str, datetime, float] | None = None


class ClockError(ValueError):
    """A pinned day or moment that is not a date or an ISO moment."""


def use_time_zone(name: str) -> None:
    """Count days in this IANA time zone (settings.yaml `time_zone`)."""
    global _zone
    try:
        _zone = UTC if name.upper() == "UTC" else ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ClockError(f"{name!r} is not a known time zone") from exc


def time_zone() -> tzinfo:
    """The time zone days are counted in."""
    return _zone


def pin(value: str | date | datetime | None) -> None:
    """Pin the clock to a day or a moment (None unpins it and the variable applies again)."""
    global _pinned, _anchor
    if value is None:
        _pinned = None
    else:
        text = value.isoformat() if isinstance(value, date) else value
        parse_pinned(text)  # refuse a bad value now, not at the first read
        _pinned = text
    _anchor = None


def parse_pinned(text: str) -> date | datetime:
    """A pinned value as a day (YYYY-MM-DD) or an aware moment; raise ClockError otherwise."""
    text = text.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ClockError(
            f"{text!r} is not a day (YYYY-MM-DD) or an ISO moment (YYYY-MM-DDTHH:MM[:SS][+HH:MM])"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=_zone)


def _pinned_text() -> str | None:
    if _pinned is not None:
        return _pinned
    value = os.environ.get(TODAY_ENV, "").strip()
    return value or None


def is_pinned() -> bool:
    """Whether the clock is pinned (by pin() or QUARTERDECK_TODAY)."""
    return _pinned_text() is not None


def now() -> datetime:
    """The current moment, timezone-aware, in the team's time zone."""
    global _anchor
    real = datetime.now(_zone)
    text = _pinned_text()
    if text is None:
        return real
    value = parse_pinned(text)
    if isinstance(value, datetime):
        if _anchor is None or _anchor[0] != text:
            _anchor = (text, value, time.monotonic())
        return (_anchor[1] + timedelta(seconds=time.monotonic() - _anchor[2])).astimezone(_zone)
    return datetime.combine(value, real.timetz())


def today() -> date:
    """Today, in the team's time zone."""
    text = _pinned_text()
    if text is not None:
        value = parse_pinned(text)
        if not isinstance(value, datetime):
            return value
    return now().date()


def utcnow() -> datetime:
    """The current moment in UTC, for stored timestamps."""
    return now().astimezone(UTC)


def local(moment: datetime) -> datetime:
    """A stored moment in the team's time zone (a naive one is taken as UTC, as stored)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(_zone)


def day_of(moment: datetime) -> date:
    """The team's day a stored moment falls on (an update at 18:00 in Los Angeles is that day,
    though it is already the next in UTC)."""
    return local(moment).date()


def wall_time() -> datetime:
    """The real moment, never pinned: for measurements (the benchmark's "measured at")."""
    return datetime.now(UTC)
