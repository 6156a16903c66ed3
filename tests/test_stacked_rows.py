"""A read-only table's stacked rows, the phone's reading of it (ui/tables.py): each row a card
titled by its first column, the other columns labelled as the grid labels them, values written
in the team's formats, empty cells and hidden columns left out, text escaped."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pyarrow as pa
import streamlit as st

from planning import i18n
from ui.tables import stacked_rows


def _cards(html: str) -> list[str]:
    """Each card as its words: title, then label and value pairs, separated by " | "."""
    found = re.findall(r'<div class="qd-card">(.*?)</div>(?:<dl>(.*?)</dl>)?</div>', html)
    return [
        " | ".join(re.findall(r">([^<>]+)<", f"<x>{title}</x>{facts}")) for title, facts in found
    ]


def test_each_row_reads_as_a_card_with_the_grids_labels_and_the_teams_formats() -> None:
    rows = pa.Table.from_pylist(
        [
            {
                "initiative": "Checkout <redesign> & more",
                "owner": "Ana",
                "days": 16,
                "percent": 45.0,
                "effort": 2.5,
                "target": date(2027, 1, 11),
                "shipped": "2026-09-22",
                "bar": 45,
                "code": "in_progress",
                "note": None,
            },
        ]
    )
    columns = {
        "initiative": st.column_config.TextColumn("Initiative"),
        "owner": "Owner",
        "days": st.column_config.NumberColumn("Days blocked", format="%d"),
        "percent": st.column_config.NumberColumn("Complete", format="%d %%"),
        "effort": st.column_config.NumberColumn("Effort", format="%.1f"),
        "target": st.column_config.DateColumn("Target"),
        "shipped": st.column_config.DateColumn("Shipped"),
        # A bar without its figure: nothing to write on a card.
        "bar": st.column_config.ProgressColumn("Progress", min_value=0, max_value=100, format=" "),
        "code": None,
        "note": "Latest note",
    }
    html = stacked_rows(rows.to_pylist(), columns)
    assert _cards(html) == [
        "Checkout &lt;redesign&gt; &amp; more | Owner | Ana | Days blocked | 16 | "
        "Complete | 45\u00a0% | Effort | 2.5 | Target | 11 Jan 2027 | "
        "Shipped | 22 Sep 2026"
    ]

    i18n.use_team_locale("de", currency="EUR")
    german = stacked_rows(pd.DataFrame(rows.to_pylist()).to_dict("records"), columns)
    assert "<dd>2,5</dd>" in german
    assert "<dd>11. Jan. 2027</dd>" in german


def test_a_tick_box_a_share_and_an_unformatted_decimal_read_as_the_grid_writes_them() -> None:
    frame = pd.DataFrame(
        [
            {"person": "Ana", "active": True, "hit": 0.75, "value": 0.0345, "stored": 0.0312},
            {"person": "Li", "active": False, "hit": 1.0, "value": 2.5, "stored": None},
        ]
    )
    columns = {
        "active": st.column_config.CheckboxColumn("Active"),
        "hit": st.column_config.NumberColumn("Hit rate", format="percent"),
    }
    cards = _cards(stacked_rows(frame.to_dict("records"), columns))
    assert cards == [
        "Ana | Active | yes | Hit rate | 75\u00a0% | value | 0.0345 | stored | 0.0312",
        "Li | Active | no | Hit rate | 100\u00a0% | value | 2.5",
    ]

    i18n.set_language("de")
    try:
        german = _cards(stacked_rows(frame.to_dict("records"), columns))
    finally:
        i18n.set_language(None)
    assert german[1].startswith("Li | Active | nein | ")


def test_a_missing_moment_in_a_frame_is_an_empty_cell() -> None:
    frame = pd.DataFrame({"update": ["Checkout", "Search"]})
    frame["when"] = pd.to_datetime(["2026-12-07 09:30", None])
    cards = _cards(stacked_rows(frame.to_dict("records"), {"when": "When"}))
    assert cards == ["Checkout | When | 07 Dec 2026 09:30", "Search"]


def test_compact_cards_write_the_values_on_one_line_and_hold_a_percent_to_its_figure() -> None:
    """The Initiatives list and the ranked backlog on a phone: the title, then the values alone
    between dots (a label per value made a card four lines tall); a "%" in a value's text never
    wraps away from its figure ("2.32 % → 2.51 %" wrapped before the "%")."""
    records = [
        {"title": "Guest checkout", "owner": "Priya", "status": "In progress", "done": 70},
        {"title": "Search", "owner": "Ana", "status": "", "done": None},
        {"title": "KR", "owner": "2.32 % → 2.51 %", "status": "Idea", "done": 0},
    ]
    columns = {"done": st.column_config.NumberColumn("Done", format="%d%%")}
    html = stacked_rows(records, columns, compact=True)
    lines = re.findall(r'<div class="qd-card-line">(.*?)</div>', html)
    assert lines == [
        "Priya · In progress · 70\u00a0%",
        "Ana",
        "2.32\u00a0% → 2.51\u00a0% · Idea · 0\u00a0%",
    ]
    assert "<dl>" not in html


def test_folded_cards_sit_behind_a_line_that_a_tap_opens_and_a_note_stands_above_them() -> None:
    records = [{"key_result": "Conversion <up>", "status": "On track"}]
    html = stacked_rows(records, {}, fold="1 key result", note="Pick one <below>")
    assert re.fullmatch(
        r'<div class="qd-stack"><p class="qd-stack-note">Pick one &lt;below&gt;</p>'
        r'<details class="qd-fold"><summary>1 key result</summary>'
        r'<div class="qd-card">.*</div></details></div>',
        html,
    )
    assert "Conversion &lt;up&gt;" in html
    assert "<details" not in stacked_rows(records, {})
