"""Showing numbers as people read them (money with the currency symbol, rates as percentages),
and people's text as text wherever Markdown or HTML is rendered (pages, the weekly digest and
the emails)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from planning import clock, i18n
from planning.i18n import gettext as _

# A space between a figure and the per cent sign after it (53.16 %, 2,5 %).
_SPACE_BEFORE_PERCENT = re.compile(r"(?<=\d) (?=%)")


def unbroken(text: str) -> str:
    """A figure's text with every space made a no-break space, so that HTML keeps the figure
    and its unit on one line ("53.16 %", "+5 pts", "12 signups")."""
    return text.replace(" ", "\u00a0")


def percent_held(text: str) -> str:
    """The text with each per cent sign held to the figure before it by a no-break space, for
    HTML where the line may wrap ("2.32 % → 2.51 %"); other spaces stay breakable."""
    return _SPACE_BEFORE_PERCENT.sub("\u00a0", text)


def format_value(value: float | None, fmt: str, *, currency_symbol: str = "$") -> str:
    """A metric value in its format ('money', 'percent', 'decimal', 'number'); '—' when none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if not i18n.english_formats():
        return _local_value(value, fmt)
    if fmt == "percent":
        return f"{_trimmed(value * 100, 2)} %"
    if fmt == "money":
        sign = "-" if value < 0 else ""
        magnitude = abs(value)
        if magnitude >= 1_000_000:
            return f"{sign}{currency_symbol}{magnitude / 1_000_000:.2f}M"
        if magnitude >= 10_000:
            return f"{sign}{currency_symbol}{magnitude / 1_000:.1f}k"
        return f"{sign}{currency_symbol}{magnitude:,.2f}"
    if fmt == "decimal":
        return _trimmed(value, 2)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.2f}M"
    return f"{value:,.0f}"


def _local_value(value: float, fmt: str) -> str:
    """format_value in a format locale other than English, through Babel (1.234,56 €)."""
    if fmt == "percent":
        return i18n.percent_text(value)
    if fmt == "money":
        if abs(value) >= 1_000_000:
            return i18n.compact_text(value, currency=i18n.team_currency())
        return i18n.currency_text(value, decimals=abs(value) < 10_000)
    if fmt == "decimal":
        return _trimmed(value, 2)
    if abs(value) >= 1_000_000:
        return i18n.compact_text(value)
    return i18n.decimal_text(value, decimals=0)


def _signed(text: str, value: float) -> str:
    return text if text.startswith("-") else ("+" if value >= 0 else "-") + text.lstrip("-")


def format_change(current: float | None, previous: float | None, fmt: str) -> str | None:
    """Change from previous to current: points for percentages, relative % otherwise."""
    if current is None or previous is None or math.isnan(current) or math.isnan(previous):
        return None
    english = i18n.english_formats()
    if fmt == "percent":
        points = (current - previous) * 100
        if english:
            return f"{points:+.2f} pts"
        return _("{points} pts").format(points=_signed(i18n.fixed_text(points, decimals=2), points))
    if previous == 0:
        return None
    change = (current / previous - 1) * 100
    if english:
        return f"{change:+.1f} %"
    return _signed(i18n.fixed_text(change, decimals=1), change) + "\u00a0%"


def format_lift(value: float) -> str:
    """An expected relative lift with its sign and one decimal ('+8.0%'; German '+8,0 %')."""
    if i18n.english_formats():
        return f"{value:+.1%}"
    points = value * 100
    return _signed(i18n.fixed_text(points, decimals=1), points) + "\u00a0%"


def format_whole_percent(value: float) -> str:
    """A share as a whole percentage ('15%'; German '15 %')."""
    if i18n.english_formats():
        return f"{value:.0%}"
    return i18n.percent_text(value, decimals=0)


def format_entered(value: float) -> str:
    """A figure someone entered, as entered but with thousands separated ('140,000', '2.25')."""
    if not i18n.english_formats():
        return i18n.decimal_text(value, decimals=10)
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.10g}"


def format_count(value: int) -> str:
    """A count with thousands separated in the team's format ('12,345'; German '12.345')."""
    if i18n.english_formats():
        return f"{value:,}"
    return i18n.decimal_text(value, decimals=0)


def format_day(day: date, *, weekday: bool = False, year: bool = True) -> str:
    """A day as the team reads it: in English '06 Dec 2026' ('Sun 06 Dec 2026' with the
    weekday, '06 Dec' without the year); in German '6. Dez. 2026'."""
    if not i18n.english_formats():
        return i18n.date_text(day, weekday=weekday, year=year)
    pattern = ("%a " if weekday else "") + "%d %b" + (" %Y" if year else "")
    return day.strftime(pattern)


def format_span_start(first: date, last: date, *, weekday: bool = False) -> str:
    """The first day of a span that ends on `last`, its year written only when it is not last's
    ('Mon 28 Dec 2026' before 'Sun 03 Jan 2027', but '07 Dec' before '13 Dec 2026')."""
    return format_day(first, weekday=weekday, year=first.year != last.year)


def format_moment(value: datetime) -> str:
    """A stored moment to the minute in the team's date format (06 Dec 2026 14:05)."""
    return f"{format_day(value.date())} {value:%H:%M}"


def format_local_moment(value: datetime) -> str:
    """A stored moment in the team's time zone, to the minute and labelled with the zone
    (06 Dec 2026 15:05 CET), so no reader takes a UTC clock for their own."""
    local = clock.local(value)
    return f"{format_moment(local)} {local:%Z}"


def format_elapsed(moment: datetime | None, now: datetime) -> str:
    """How long before `now` a moment was, as a reader says it: 'just now', '12 min ago',
    '5 h ago', '3 days ago', or 'never' for no moment."""
    if moment is None:
        return _("never")
    # In UTC: two moments of one zone subtract by their wall clocks, an hour off across a change.
    seconds = (now.astimezone(UTC) - moment.astimezone(UTC)).total_seconds()
    if seconds < 90:
        return _("just now")
    if seconds < 5400:
        return _("{count} min ago").format(count=f"{seconds / 60:.0f}")
    if seconds < 129600:
        return _("{count} h ago").format(count=f"{seconds / 3600:.0f}")
    days = round(seconds / 86400)
    return i18n.ngettext("{count} day ago", "{count} days ago", days).format(count=days)


def _trimmed(value: float, decimals: int) -> str:
    """Thousands separated, at most `decimals` decimals, no trailing zeros ('2.5', '1,200')."""
    if not i18n.english_formats():
        return "0" if value == 0 else i18n.decimal_text(value, decimals=decimals)
    text = f"{value:,.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def score_decimals(value: float) -> int:
    """How many decimals a score of this size is read with: none from 100 up, one from 1, two
    below 1 (960,917 · 48.5 · 9.6 · 0.45)."""
    magnitude = abs(value)
    if magnitude >= 100:
        return 0
    return 1 if magnitude >= 1 else 2


def round_score(value: float | None) -> float | None:
    """A score rounded to what `format_score` shows, for tables that keep it a number to sort."""
    if value is None or math.isnan(value):
        return None
    return round(value, score_decimals(value))


def format_score(value: float | None) -> str:
    """A score or other plain figure as people read it, its decimals by its size, thousands
    separated, no trailing zeros ('960,917', '48.5', '9.6', '0.45')."""
    if value is None or math.isnan(value):
        return "—"
    return _trimmed(value, score_decimals(value))


# Characters that shape Markdown anywhere in a line: emphasis, code, links and images, raw HTML
# and entities, tables, strikethrough, LaTeX ($), headings, Streamlit's :directives: and emoji.
_INLINE_SPECIALS = re.compile(r"([\\`*_{}\[\]#!|~<>$:&])")
# Characters that matter only where text may start a line: list items (- + 1.), a heading's
# underline (= -) and a link's target (after an escaped ], so harmless, but kept).
_ALL_SPECIALS = re.compile(r"([\\`*_{}\[\]#!|~<>$:&()+\-.=])")
# A dot before a letter, as in www.example.com or a@b.co: escaped so no bare address turns into
# a link; a decimal point (2.5) is left alone.
_DOMAIN_DOT = re.compile(r"\.(?=[^\W\d_])")
# Line breaks and other breaking white space; the no-break, narrow no-break and figure spaces
# that hold a figure to its unit, and the figure and punctuation spaces that align it, are kept.
_BREAKING_SPACE = re.compile(r"[^\S\u00a0\u202f\u2007\u2008]+")


def escape_markdown(text: object, *, inline: bool = False) -> str:
    """Text that Markdown shows as typed: every Markdown, emoji-shortcode, LaTeX and HTML
    character backslash-escaped.

    `inline` is for text placed inside a line (a table cell, after a label): line breaks become
    spaces and the characters that only matter at a line's start stay as they are, so a
    Markdown file reads cleanly ("One-page", "+8.0 %").
    """
    if not inline:
        return _ALL_SPECIALS.sub(r"\\\1", str(text))
    flat = _INLINE_SPECIALS.sub(r"\\\1", _BREAKING_SPACE.sub(" ", str(text)).strip(" "))
    return _DOMAIN_DOT.sub(r"\\.", flat)


# What chat text may not carry as typed (Slack's mrkdwn through Apprise's Markdown conversion,
# and Teams' Adaptive Cards): < and > (mentions, links, Teams' <at>), [ ] (a Markdown link), * and
# ` (emphasis and code wherever they stand), and a backslash that would escape one of them.
_CHAT_SPECIALS = re.compile(r"([<>\[\]*`]|\\(?=[\\<>\[\]*`_~]))")
# _ and ~ format only at a word's edge: "a_b_c" stays as typed, "_word_" and "~word~" do not.
_CHAT_EDGE_MARKS = re.compile(r"(?<![^\W_])[_~]|[_~](?![^\W_])")
# A word joiner (invisible, no line break) inside "://" and a domain's dots, so no typed address
# is linked by the chat client; a decimal point (5.5) is left alone.
_CHAT_ADDRESS = re.compile(r"(?<=:)(?=//)|(?<=\.)(?=[^\W\d_])")
WORD_JOINER = "\u2060"


def escape_chat(text: object) -> str:
    """Typed text for a chat message's Markdown (Slack, Teams via Apprise), on one line: shown
    as typed, never a mention, a link or formatting, with a backslash only where the chat would
    otherwise format ("Checkout v2: faster" arrives as typed, "<!channel>" as text)."""
    flat = " ".join(str(text).split())
    escaped = _CHAT_EDGE_MARKS.sub(r"\\\g<0>", _CHAT_SPECIALS.sub(r"\\\1", flat))
    return _CHAT_ADDRESS.sub(WORD_JOINER, escaped)


FIGURE_SPACE = "\u2007"  # as wide as a digit
PUNCTUATION_SPACE = "\u2008"  # as wide as a decimal point
NO_FIGURE = "—"


def aligned_figures(values: Sequence[float | None], fmt: Callable[[float], str]) -> list[str]:
    """A table column of figures as text: each formatted by `fmt`, padded with figure and
    punctuation spaces so the decimal points line up, a dash where there is none.

    A browser grid sorts a text column by comparing its strings; with every figure padded to
    one width, and spaces collating before punctuation and punctuation before digits, that
    comparison orders the column by number (the dashes first), as a number column would."""
    texts = [None if v is None or math.isnan(v) else fmt(v) for v in values]
    mark = "." if i18n.english_formats() else i18n.decimal_symbol()
    parts = [t.partition(mark) for t in texts if t is not None]
    if not parts:
        return [NO_FIGURE for _ in texts]
    left = max(len(whole) for whole, _, _ in parts)
    right = max(len(decimals) for _, _, decimals in parts)
    width = left + (1 + right if right else 0)
    shown = []
    for text in texts:
        if text is None:
            shown.append(FIGURE_SPACE * (width - 1) + NO_FIGURE)
            continue
        whole, point, decimals = text.partition(mark)
        padded = FIGURE_SPACE * (left - len(whole)) + whole
        if right:
            padded += (
                (point or PUNCTUATION_SPACE) + decimals + FIGURE_SPACE * (right - len(decimals))
            )
        shown.append(padded)
    return shown


def html_templates(package: str, *, keep_trailing_newline: bool = False) -> Environment:
    """The Jinja templates in `package`'s templates/ folder, every value autoescaped (for any
    template name) and every missing value an error."""
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )
