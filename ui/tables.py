"""How the pages show a table: a read-only one across the page without the index, and the
columns several tables share.

A grid of several columns cannot fit a phone: it scrolled sideways inside its frame and cut its
longest cells. So a read-only table of up to STACKED_ROWS_MAX rows is also written as stacked
rows, one card a row (the first column as its title, then each other column's label and value),
and the page's width picks one: the grid from 641 px up, the stacked rows below. A grid the
page draws itself (one with row selection, an editable one) gets its phone cards from
`phone_cards`, with the columns a phone reader needs; cards that would run long can sit folded
behind a line that says how many there are.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from planning import i18n
from planning.formatting import format_count, format_day, format_moment, percent_held
from planning.i18n import gettext as _
from planning.work.initiative_input import EFFORT_MAX_WEEKS
from ui import grid_formats

# Rows taller than this let a cell's text wrap onto more lines instead of being cut.
WRAPPING_ROW_HEIGHT = 72
# A longer table stays a grid on a phone too (scrolled inside its frame): cards would run on.
STACKED_ROWS_MAX = 50
# Streamlit's own phone layout starts below 640 px; the grid shows from there up, the stacked
# rows below it. The grid's element is hidden through the one that follows it (the cards).
_STACKED_STYLE = """<style>
.qd-stack { display: none; }
@media (max-width: 640px) {
  [data-testid="stElementContainer"]:has(+ [data-testid="stElementContainer"] .qd-stack) {
    display: none;
  }
  .qd-stack { display: flex; flex-direction: column; gap: 0.5rem; }
}
@media (min-width: 641px) {
  [data-testid="stElementContainer"]:has(.qd-stack) { display: none; }
}
.qd-card { border: 1px solid rgba(128, 128, 128, 0.35); border-radius: 0.5rem;
  padding: 0.5rem 0.75rem; font-size: 0.9rem; line-height: 1.45; }
.qd-card-title { font-weight: 600; overflow-wrap: anywhere; }
.qd-card dl { margin: 0.25rem 0 0; padding: 0; display: grid;
  grid-template-columns: minmax(5rem, max-content) 1fr; gap: 0.1rem 0.75rem; }
.qd-card dt { margin: 0; padding: 0; font-weight: 400; opacity: 0.72; overflow-wrap: anywhere; }
.qd-card dd { margin: 0; padding: 0; overflow-wrap: anywhere; }
.qd-card-line { opacity: 0.8; overflow-wrap: anywhere; }
.qd-stack-note { font-size: 0.85rem; opacity: 0.72; margin: 0; }
.qd-fold > summary { cursor: pointer; padding: 0.25rem 0; font-size: 0.9rem; }
.qd-fold[open] > summary { margin-bottom: 0.5rem; }
.qd-fold > .qd-card + .qd-card { margin-top: 0.5rem; }
</style>"""


# Below 641 px a Markdown table wider than the screen scrolls inside its own frame; the
# container is found by its key (Streamlit writes it as the class st-key-KEY).
_SCROLLING_MARKDOWN_TABLES = """<style>
@media (max-width: 640px) {
  .st-key-%s [data-testid="stMarkdownContainer"] table { display: block; overflow-x: auto; }
}
</style>"""


# The two containers `by_width` makes: the first shows from 641 px up, the second below.
_BY_WIDTH = """<style>
@media (max-width: 640px) { .st-key-%(key)s-wide { display: none; } }
@media (min-width: 641px) { .st-key-%(key)s-narrow { display: none; } }
</style>"""


def by_width(key: str) -> tuple[DeltaGenerator, DeltaGenerator]:
    """Two containers keyed from `key`: what goes in the first shows from 641 px up, what goes in
    the second on a phone (below 641 px), for words that speak of a grid only one of them sees."""
    st.html(_BY_WIDTH % {"key": key})
    return st.container(key=f"{key}-wide"), st.container(key=f"{key}-narrow")


def markdown_tables_scroll(key: str) -> None:
    """On a phone, let each Markdown table in the container keyed `key` scroll sideways inside
    its own frame, so the page itself never does; from 641 px up nothing changes."""
    st.html(_SCROLLING_MARKDOWN_TABLES % key)


def show_table(
    rows: Any, columns: dict[str, Any] | None = None, *, wrap: bool = False, fold: str = ""
) -> None:
    """A read-only table across the page, without the index, its columns labelled; `wrap` gives
    rows room for three lines, so long text wraps rather than being cut at the column's edge;
    `fold` names a line the phone's cards stay folded behind until a tap opens them."""
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config=columns,
        row_height=WRAPPING_ROW_HEIGHT if wrap else None,
    )
    records = _records(rows)
    if records and len(records) <= STACKED_ROWS_MAX:
        phone_cards(stacked_rows(records, columns or {}, fold=fold))


def phone_cards(cards: str) -> None:
    """The grid drawn just before shown below 641 px as `cards` (stacked_rows' HTML) instead,
    the grid hidden there."""
    st.html(_STACKED_STYLE + cards)


def _records(rows: Any) -> list[dict[str, Any]] | None:
    """The table's rows as dictionaries (an Arrow table, a data frame or a list of them), or
    None for anything else."""
    if hasattr(rows, "to_pylist"):
        return list(rows.to_pylist())
    if hasattr(rows, "to_dict"):
        return list(rows.to_dict("records"))
    if isinstance(rows, list) and all(isinstance(row, Mapping) for row in rows):
        return [dict(row) for row in rows]
    return None


def stacked_rows(
    records: list[dict[str, Any]],
    columns: Mapping[str, Any],
    *,
    compact: bool = False,
    note: str = "",
    fold: str = "",
) -> str:
    """The rows as HTML cards for a phone: the first shown column as each card's title, then the
    other columns' labels (as `columns` names them) with their values, or with `compact` the
    values alone on one line between dots; empty cells are left out. `note` is a line above the
    cards; `fold` a line they stay folded behind, opened by a tap."""
    shown = [(name, label) for name in records[0] if (label := _label(name, columns)) is not None]
    cards = []
    for record in records:
        texts = [(label, _cell_text(record.get(name), columns.get(name))) for name, label in shown]
        title, *facts = texts
        if compact:
            line = " · ".join(html.escape(text) for _label_text, text in facts if text)
            lines = f'<div class="qd-card-line">{line}</div>' if line else ""
        else:
            rows = "".join(
                f"<dt>{html.escape(label)}</dt><dd>{html.escape(text)}</dd>"
                for label, text in facts
                if text
            )
            lines = f"<dl>{rows}</dl>" if rows else ""
        cards.append(
            f'<div class="qd-card"><div class="qd-card-title">{html.escape(title[1])}</div>'
            + lines
            + "</div>"
        )
    body = "".join(cards)
    if fold:
        body = f'<details class="qd-fold"><summary>{html.escape(fold)}</summary>{body}</details>'
    if note:
        body = f'<p class="qd-stack-note">{html.escape(note)}</p>' + body
    return '<div class="qd-stack">' + body + "</div>"


def _label(name: str, columns: Mapping[str, Any]) -> str | None:
    """A column's heading as the grid shows it, or None for a hidden column."""
    if name not in columns:
        return name
    config = columns[name]
    if config is None or (isinstance(config, Mapping) and config.get("hidden")):
        return None
    if isinstance(config, str):
        return config
    return str(config.get("label") or name)


def _cell_text(value: Any, config: Any) -> str:
    """A cell as the grid writes it, in the team's formats: "" for an empty cell."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    kind, form = "", ""
    if isinstance(config, Mapping):
        kind = str((config.get("type_config") or {}).get("type") or "")
        form = str((config.get("type_config") or {}).get("format") or "")
    if form and not form.strip():
        return ""  # a bar drawn without its figure (the figure is in a column of its own)
    if isinstance(value, str) and kind in ("date", "datetime"):
        value = _iso_moment(value, kind)  # the grid reads an ISO day as a date column's day
    if isinstance(value, datetime):
        return format_moment(value)
    if isinstance(value, date):
        return format_day(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")  # the grid's tick box, in words
    if not isinstance(value, int | float):
        return percent_held(str(value))
    if form == "percent":  # Streamlit's preset: a share (0.75) written as 75 %
        return i18n.percent_text(value)
    decimals = re.search(r"\.(\d)f", form)
    if decimals is not None:
        text = i18n.fixed_text(value, decimals=int(decimals.group(1)))
    elif float(value).is_integer():
        text = format_count(int(value))
    else:
        # Without a printf format the grid writes the number as it is (the browser's
        # "localized" to three decimals): rounding to two could show a change as no change.
        text = i18n.decimal_text(value, decimals=3 if form == "localized" else 6)
    return text + ("\u00a0%" if "%%" in form else "")


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


def _iso_moment(text: str, kind: str) -> date | str:
    """An ISO day (or moment, for a datetime column) as one, or the text as it is."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment if kind == "datetime" else moment.date()
