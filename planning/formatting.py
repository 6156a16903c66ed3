"""Showing numbers as people read them (money with the currency symbol, rates as percentages),
and people's text as text wherever Markdown is rendered (pages and the weekly digest)."""

from __future__ import annotations

import math
import re


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


# Characters that shape Markdown anywhere in a line: emphasis, code, links and images, raw HTML
# and entities, tables, strikethrough, LaTeX ($), headings, Streamlit's :directives: and emoji.
_INLINE_SPECIALS = re.compile(r"([\\`*_{}\[\]#!|~<>$:&])")
# Characters that matter only where text may start a line: list items (- + 1.), a heading's
# underline (= -) and a link's target (after an escaped ], so harmless, but kept).
_ALL_SPECIALS = re.compile(r"([\\`*_{}\[\]#!|~<>$:&()+\-.=])")
# A dot before a letter, as in www.example.com or a@b.co: escaped so no bare address turns into
# a link; a decimal point (2.5) is left alone.
_DOMAIN_DOT = re.compile(r"\.(?=[^\W\d_])")


def escape_markdown(text: object, *, inline: bool = False) -> str:
    """Text that Markdown shows as typed: every Markdown, emoji-shortcode, LaTeX and HTML
    character backslash-escaped.

    `inline` is for text placed inside a line (a table cell, after a label): line breaks become
    spaces and the characters that only matter at a line's start stay as they are, so a
    Markdown file reads cleanly ("One-page", "+8.0 %").
    """
    if not inline:
        return _ALL_SPECIALS.sub(r"\\\1", str(text))
    flat = _INLINE_SPECIALS.sub(r"\\\1", " ".join(str(text).split()))
    return _DOMAIN_DOT.sub(r"\\.", flat)
