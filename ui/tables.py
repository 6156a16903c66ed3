"""How the pages show a table: a read-only one across the page without the index, and the
columns several tables share."""

from __future__ import annotations

from typing import Any

import streamlit as st

from planning.i18n import gettext as _
from planning.work.initiative_input import EFFORT_MAX_WEEKS
from ui import grid_formats

# Rows taller than this let a cell's text wrap onto more lines instead of being cut.
WRAPPING_ROW_HEIGHT = 72


def show_table(rows: Any, columns: dict[str, Any] | None = None, *, wrap: bool = False) -> None:
    """A read-only table across the page, without the index, its columns labelled; `wrap` gives
    rows room for three lines, so long text wraps rather than being cut at the column's edge."""
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config=columns,
        row_height=WRAPPING_ROW_HEIGHT if wrap else None,
    )


def percent_bar(label: str, english: str) -> Any:
    """A column of whole percentages (0 to 100) drawn as a bar, its figure written as
    grid_formats.whole_percent writes `english`."""
    return st.column_config.ProgressColumn(
        label,
        min_value=0,
        max_value=100,
        format=grid_formats.whole_percent(english),
        width=110,
    )


def effort_column() -> Any:
    """An editable column of an initiative's effort in person-weeks, in half-week steps."""
    return st.column_config.NumberColumn(
        _("Effort (person-weeks)"),
        min_value=0.0,
        max_value=EFFORT_MAX_WEEKS,
        step=0.5,
        format=grid_formats.decimal_format("%.1f"),
    )
