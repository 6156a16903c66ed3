"""Numbers are shown the way an ecommerce team reads them, and people's text as they typed it
wherever Markdown is rendered."""

import html
import math
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from markdown_it import MarkdownIt

from planning import formatting, i18n
from planning.formatting import (
    escape_markdown,
    format_change,
    format_entered,
    format_score,
    format_value,
    percent_held,
    round_score,
)
from planning.reports import digest_render
from ui import text

MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
TRICKS = [
    "**bold** _em_ `code` ~~gone~~ # heading",
    "[click](https://evil.example) ![img](https://evil.example/i.png) <https://evil.example>",
    '<script>alert(1)</script> "><img src=x onerror=alert(1)> &amp; &#60;b&#62;',
    "- a list\n1. numbered\n+ plus\n> quote\n=====\n---\n    indented code",
    ":red[red] :material/home: :smile: $x^2$ {{ 7*7 }} | a | b | \\ back\\slash",
    "One-page checkout (PIM/DAM) costs +8.0 % = 2.5 www.evil.example a@b.example",
]


def test_formats() -> None:
    assert format_value(0.011818, "percent") == "1.18 %"
    assert format_value(95.456, "money") == "$95.46"
    assert format_value(52_300, "money", currency_symbol="€") == "€52.3k"
    assert format_value(21_400_000, "money") == "$21.40M"
    assert format_value(22_014.4, "number") == "22,014"
    assert format_value(1.634, "decimal") == "1.63"
    assert format_value(None, "money") == "—"
    assert format_value(math.nan, "percent") == "—"


def test_changes() -> None:
    assert format_change(0.024, 0.021, "percent") == "+0.30 pts"
    assert format_change(110.0, 100.0, "money") == "+10.0 %"
    assert format_change(90.0, 100.0, "number") == "-10.0 %"
    assert format_change(5.0, 0.0, "number") is None
    assert format_change(None, 1.0, "number") is None


def test_a_score_reads_without_padded_decimals() -> None:
    assert format_score(480_000.0) == "480,000"
    assert format_score(2.5) == "2.5"
    assert format_score(None) == "—"


def _rendered_text(markdown: str) -> tuple[str, set[str]]:
    """What a Markdown renderer shows (as text) and the elements it made."""
    out = MARKDOWN.render(markdown)
    tags = set(re.findall(r"<([a-z0-9]+)", out))
    return html.unescape(re.sub(r"<[^>]+>", "", out)), tags


@pytest.mark.parametrize("typed", TRICKS)
def test_escaped_text_renders_as_typed(typed: str) -> None:
    shown, tags = _rendered_text(escape_markdown(typed))
    assert tags <= {"p"}  # no list, heading, quote, code, link, image, emphasis or HTML
    assert shown.split() == typed.split()  # line breaks may fold; every character stays

    inline, tags = _rendered_text("| a |\n|---|\n| " + escape_markdown(typed, inline=True) + " |")
    assert tags <= {"table", "thead", "tbody", "tr", "th", "td"}  # one cell, nothing in it
    assert inline.split()[1:] == typed.split()


def test_pages_and_the_digest_share_one_escaper() -> None:
    assert text.escape_markdown is formatting.escape_markdown
    assert digest_render.escape_markdown is formatting.escape_markdown
    # Inside a line a table cell stays readable as a file: only what could act there is escaped.
    assert escape_markdown("One-page (PIM) +8.0 % www.x.io", inline=True) == (
        "One-page (PIM) +8.0 % www\\.x\\.io"
    )


def test_a_score_has_the_decimals_its_size_needs() -> None:
    assert format_score(960_916.667) == "960,917"
    assert format_score(309_523.81) == "309,524"
    assert format_score(48.55) == "48.5"
    assert format_score(9.63) == "9.6"
    assert format_score(1.236) == "1.2"
    assert format_score(0.456) == "0.46"
    # a table keeps the score a number (it sorts by it), rounded to what is shown
    assert round_score(960_916.667) == 960_917
    assert round_score(4.667) == 4.7
    assert round_score(None) is None


def test_percentages_and_decimals_drop_padding_zeros() -> None:
    assert format_value(0.42, "percent") == "42 %"
    assert format_value(0.382, "percent") == "38.2 %"
    assert format_value(2.0, "decimal") == "2"
    assert format_value(1_234.5, "decimal") == "1,234.5"


def test_an_entered_figure_keeps_its_digits_and_groups_its_thousands() -> None:
    assert format_entered(140_000.0) == "140,000"
    assert format_entered(2.25) == "2.25"
    assert format_entered(0.8) == "0.8"
    assert format_entered(1_234.5) == "1,234.5"


@pytest.mark.parametrize(
    ("seconds", "english", "german"),
    [
        (30, "just now", "gerade eben"),
        (12 * 60, "12 min ago", "vor 12 Min."),
        (5 * 3600, "5 h ago", "vor 5 Std."),
        (3 * 86400, "3 days ago", "vor 3 Tagen"),
    ],
)
def test_the_last_import_reads_as_time_ago_in_the_readers_language(
    seconds: int, english: str, german: str
) -> None:
    """The Metrics caption's 'last import …' counts real time since the import, in each language."""
    now = datetime(2027, 3, 28, 12, 0, tzinfo=UTC)
    with i18n.use_locale("en"):
        assert formatting.format_elapsed(now - timedelta(seconds=seconds), now) == english
        assert formatting.format_elapsed(None, now) == "never"
    with i18n.use_locale("de"):
        assert formatting.format_elapsed(now - timedelta(seconds=seconds), now) == german


def test_time_ago_across_the_spring_clock_change_counts_real_minutes() -> None:
    """An import two minutes before Berlin's clocks jump reads '2 min ago', not an hour more."""
    berlin = ZoneInfo("Europe/Berlin")
    imported = datetime(2027, 3, 28, 1, 59, tzinfo=berlin)
    now = datetime(2027, 3, 28, 3, 1, tzinfo=berlin)
    with i18n.use_locale("en"):
        assert formatting.format_elapsed(imported, now) == "2 min ago"


@pytest.mark.parametrize(
    ("share", "english", "german"),
    [(0.15, "15%", "15\u00a0%"), (0.625, "62%", "62\u00a0%"), (1.0, "100%", "100\u00a0%")],
)
def test_a_share_reads_as_a_whole_percentage_in_each_language(
    share: float, english: str, german: str
) -> None:
    """A chance, a hit rate or a BAU share: '15%' in English, '15 %' (no-break space) in German."""
    with i18n.use_locale("en"):
        assert formatting.format_whole_percent(share) == english
    with i18n.use_locale("de"):
        assert formatting.format_whole_percent(share) == german


def test_a_table_cell_keeps_the_no_break_space_that_holds_a_figure_to_its_unit() -> None:
    """A German percentage ("53,16 %", Babel's no-break space) lost it in the Impact page's
    digest preview and wrapped its "%" onto a line of its own; line breaks still flatten."""
    assert (
        escape_markdown("53,16\u00a0% \n\t bis 60\u00a0%", inline=True)
        == "53,16\u00a0% bis 60\u00a0%"
    )
    assert escape_markdown("\u2007\u20089.6", inline=True) == "\u2007\u20089.6"


def test_per_cent_signs_are_held_to_their_figures_and_other_spaces_stay() -> None:
    assert percent_held("2.32 % → 2.51 % of 3 %") == "2.32\u00a0% → 2.51\u00a0% of 3\u00a0%"
    assert percent_held("100 % sure, 5 pts") == "100\u00a0% sure, 5 pts"
