"""Numbers are shown the way an ecommerce team reads them."""

import math

from planning.formatting import (
    format_change,
    format_entered,
    format_score,
    format_value,
    round_score,
)


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
