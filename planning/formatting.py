"""Showing numbers as people read them: money with the currency symbol, rates as percentages."""

from __future__ import annotations

import math


def format_value(value: float | None, fmt: str, *, currency_symbol: str = "$") -> str:
    """A metric value in its format ('money', 'percent', 'decimal', 'number'); '—' when none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if fmt == "percent":
        return f"{value * 100:.2f} %"
    if fmt == "money":
        sign = "-" if value < 0 else ""
        magnitude = abs(value)
        if magnitude >= 1_000_000:
            return f"{sign}{currency_symbol}{magnitude / 1_000_000:.2f}M"
        if magnitude >= 10_000:
            return f"{sign}{currency_symbol}{magnitude / 1_000:.1f}k"
        return f"{sign}{currency_symbol}{magnitude:,.2f}"
    if fmt == "decimal":
        return f"{value:,.2f}"
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.2f}M"
    return f"{value:,.0f}"


def format_change(current: float | None, previous: float | None, fmt: str) -> str | None:
    """Change from previous to current: points for percentages, relative % otherwise."""
    if current is None or previous is None or math.isnan(current) or math.isnan(previous):
        return None
    if fmt == "percent":
        return f"{(current - previous) * 100:+.2f} pts"
    if previous == 0:
        return None
    return f"{(current / previous - 1) * 100:+.1f} %"


def format_score(value: float | None) -> str:
    """A score or other plain figure: thousands separated, no trailing zeros ('480,000', '2.5')."""
    if value is None or math.isnan(value):
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
