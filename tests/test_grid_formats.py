"""The data grids' number formats follow the team's locale, not the browser's: what a cell shows
under each format (as the grid's printf writes it), for a German and an English team."""

from __future__ import annotations

import pandas as pd

from planning import i18n
from planning.formatting import format_score
from tests.shown_text import collation_key, displayed_cell
from ui import grid_formats


def shown(value: float, fmt: str) -> str:
    """A number cell as the browser displays it under this format."""
    return displayed_cell(value, {"type_config": {"type": "number", "format": fmt}})


def test_a_german_team_reads_its_grids_numbers_german_in_any_browser() -> None:
    i18n.use_team_locale("de", currency="EUR")
    assert shown(150_000, grid_formats.whole_format()) == "150.000"
    assert shown(1_360, grid_formats.whole_format()) == "1.360"
    # Reach, entered whole: grouped; a column holding decimals is left to the browser's own
    # format (printf writes only a decimal point).
    assert shown(150_000, grid_formats.number_format([150_000.0, 90_000.0, None])) == "150.000"
    assert grid_formats.number_format([0.8, 0.5]) == "localized"
    assert grid_formats.decimal_format("%.1f") == "localized"
    assert shown(70, grid_formats.whole_percent("%d%%")) == "70\u00a0%"
    # Read-only decimals are written as text, aligned so the grid's text sort orders them.
    texts = grid_formats.figures([0.5, 12.25, None], format_score)
    assert [t.strip("\u2007\u2008") for t in texts] == ["0,5", "12,2", "—"]
    assert sorted(texts[:2], key=collation_key) == texts[:2]  # as the browser orders text


def test_an_english_team_reads_its_grids_numbers_as_before() -> None:
    assert shown(150_000, grid_formats.whole_format()) == "150,000"
    assert shown(0.81, grid_formats.number_format([0.81, 2.0])) == "0.81"
    assert shown(150_000, grid_formats.number_format([150_000.0])) == "150,000"
    assert grid_formats.decimal_format("%.1f") == "%.1f"
    assert grid_formats.whole_percent("%d%%") == "%d%%"
    assert grid_formats.figures([0.5, 12.25], format_score) == [0.5, 12.25]


def test_a_table_column_reads_as_its_values_do() -> None:
    # The planning table hands its input columns over whole (a float column, gaps as NaN).
    i18n.use_team_locale("de", currency="EUR")
    reach = pd.Series([150_000.0, float("nan"), 90_000.0])
    assert shown(150_000, grid_formats.number_format(reach)) == "150.000"
    assert grid_formats.number_format(pd.Series([0.8, float("nan")])) == "localized"
    # An endless value is not a whole number, as in a list.
    endless = [1.0, float("inf")]
    assert grid_formats.number_format(pd.Series(endless)) == grid_formats.number_format(endless)
