"""Unsaved edits in the planning table survive a switch of scoring framework.

Each framework shows its own table (its own inputs and ranking), so switching draws a new editor.
Before it does, the edits made in the table just left are remembered per initiative: edits to the
fields every framework shows (title, owner, status, dates, effort) are laid over the next table,
and edits to one framework's inputs wait for that framework to be shown again. They stay until
saved or discarded.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from planning.work.backlog_edits import FIELD_OF_COLUMN

CARRIED = "backlog_carried_edits"
LAST = "backlog_last_table"
SHARED = tuple(FIELD_OF_COLUMN)
# Columns that are not editable or not an initiative's own value.
_FIXED = {"id", "version", "rank", "score", "health", "quadrant", "problems"}

Edits = dict[int, dict[str, Any]]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, date)):
        return value.item()
    return value


def _same(old: Any, new: Any) -> bool:
    old, new = _plain(old), _plain(new)
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return math.isclose(float(old), float(new), rel_tol=1e-9, abs_tol=1e-9)
    return bool(old == new)


def _diff(source: pd.DataFrame, edited: tuple[pd.DataFrame, ...]) -> tuple[Edits, Edits]:
    """The edited cells by initiative: (shared fields, the framework's own columns); `edited`
    is the table in parts (the rows shown, then those below them)."""
    before = {int(r["id"]): r for r in source.to_dict(orient="records")}
    shared: Edits = {}
    own: Edits = {}
    rows = (row for part in edited for row in part.to_dict(orient="records"))
    for row in rows:
        if _plain(row.get("id")) is None or int(row["id"]) not in before:
            continue
        initiative_id = int(row["id"])
        old = before[initiative_id]
        for column, value in row.items():
            if column in _FIXED or column not in old or _same(old[column], value):
                continue
            target = shared if column in SHARED else own
            target.setdefault(initiative_id, {})[column] = _plain(value)
    return shared, own


def _carried() -> dict[str, Any]:
    found = st.session_state.get(CARRIED)
    if not isinstance(found, dict):
        found = {"shared": {}, "inputs": {}}
        st.session_state[CARRIED] = found
    return found


def remember_on_switch(framework_id: str) -> None:
    """When the framework changed since the last run, keep the edits of the table just left."""
    last = st.session_state.get(LAST)
    if not isinstance(last, tuple) or last[0] == framework_id:
        return
    left, source, *edited = last
    shared, own = _diff(source, tuple(edited))
    carried = _carried()
    carried["shared"] = shared
    carried["inputs"][left] = own
    st.session_state.pop(LAST, None)


def note_table(framework_id: str, source: pd.DataFrame, *edited: pd.DataFrame) -> None:
    """Remember the table as drawn this run, so a switch can keep its edits: `edited` in parts
    (the rows shown, then those below them), joined only if the framework is switched."""
    st.session_state[LAST] = (framework_id, source, *edited)


def carried_for(framework_id: str) -> Edits:
    """The kept edits that apply to this framework's table, by initiative."""
    carried = _carried()
    merged: Edits = {i: dict(cells) for i, cells in carried["shared"].items()}
    for initiative_id, cells in carried["inputs"].get(framework_id, {}).items():
        merged.setdefault(initiative_id, {}).update(cells)
    return merged


def waiting_elsewhere(framework_id: str) -> dict[str, int]:
    """Frameworks other than this one with kept input edits, and how many initiatives each."""
    inputs = _carried()["inputs"]
    return {f: len(edits) for f, edits in inputs.items() if f != framework_id and edits}


def with_carried(source: pd.DataFrame, framework_id: str) -> pd.DataFrame:
    """The table to show: the stored values with the kept edits laid over them."""
    edits = carried_for(framework_id)
    if not edits:
        return source
    shown = source.copy()
    rows = {int(i): n for n, i in enumerate(shown["id"])}
    for initiative_id, cells in edits.items():
        if initiative_id not in rows:
            continue
        for column, value in cells.items():
            if column in shown.columns:
                if value is None and shown[column].dtype.kind == "f":
                    value = math.nan
                shown.at[rows[initiative_id], column] = value
    return shown


def forget(framework_id: str | None = None) -> None:
    """Drop kept edits: after a save, those the framework's table saved; else all of them."""
    st.session_state.pop(LAST, None)
    if framework_id is None:
        st.session_state.pop(CARRIED, None)
        return
    carried = _carried()
    carried["shared"] = {}
    carried["inputs"].pop(framework_id, None)
