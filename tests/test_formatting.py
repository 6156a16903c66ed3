"""Numbers are shown the way an ecommerce team reads them."""

import math

from planning.formatting import format_change, format_score, format_value


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
    assert format_score(1.236) == "1.24"
    assert format_score(None) == "—"
