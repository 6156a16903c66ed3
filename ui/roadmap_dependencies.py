"""Dependencies on the Roadmap's timeline (ui/roadmap_chart.py draws them, ui/roadmap_data.py
hands the rows over): on a dependent's row, "waits on #12 Title" just left of its bar; when it
starts before what it waits on ends, the text turns red with a ⚑ and a red tick marks the day the
blocker ends, inside the dependent's bar."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd

from planning.palette import RED
from planning.work.dependencies import Work, late_pairs

GREY = "#555555"
COLUMNS = ("waits_on", "waits_full", "waits_late", "blocker_end")


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _row_work(row: Mapping[str, Any]) -> Work:
    return Work(
        id=int(row["id"]),
        title=str(row["title"]),
        status=str(row["status"]),
        start=row["start_date"] if isinstance(row["start_date"], date) else None,
        end=row["end_date"] if isinstance(row["end_date"], date) else None,
    )


def with_waits(items: pd.DataFrame, waits: Mapping[int, Sequence[Work]]) -> pd.DataFrame:
    """Roadmap rows with what each waits on: a short text, the full list, whether it starts
    before a blocker ends, and the day the last unfinished blocker ends."""
    short: list[str | None] = []
    full: list[str | None] = []
    late: list[bool] = []
    ends: list[date | None] = []
    for row in items.to_dict(orient="records"):
        blockers = list(waits.get(int(row["id"]), ()))
        if not blockers:
            short.append(None)
            full.append(None)
            late.append(False)
            ends.append(None)
            continue
        dependent = _row_work(row)
        work = {dependent.id: dependent, **{b.id: b for b in blockers}}
        found = late_pairs(work, [(b.id, dependent.id) for b in blockers])
        first = found[0].blocker if found else blockers[-1]
        more = f" +{len(blockers) - 1}" if len(blockers) > 1 else ""
        mark = "⚑ " if found else ""
        short.append(f"{mark}waits on {first.label}{more}")
        full.append("; ".join(f"{b.label} (ends {_day(b.end) or 'undated'})" for b in blockers))
        late.append(bool(found))
        ends.append(found[0].blocker.end if found else None)
    out = items.copy()
    out["waits_on"], out["waits_full"], out["waits_late"], out["blocker_end"] = (
        short,
        full,
        late,
        ends,
    )
    return out


def fields(items: pd.DataFrame) -> dict[str, list[Any]]:
    """The chart's extra columns (empty when the rows carry no dependencies)."""
    if "waits_on" not in items:
        return {}
    return {
        "waits_on": list(items["waits_on"]),
        "waits_full": list(items["waits_full"]),
        "waits_late": [bool(v) for v in items["waits_late"]],
        "blocker_end": [_day(v) for v in items["blocker_end"]],
    }


def tooltip(items: pd.DataFrame) -> list[dict[str, Any]]:
    """The tooltip entry naming what a row waits on."""
    if "waits_on" not in items:
        return []
    return [{"field": "waits_full", "type": "nominal", "title": "Waits on"}]


def layers(items: pd.DataFrame, y: dict[str, Any], tip: list[dict[str, Any]]) -> list[Any]:
    """The text left of each dependent's bar and the red tick of a late one."""
    if "waits_on" not in items or not items["waits_on"].notna().any():
        return []
    text = {
        "transform": [{"filter": "datum.waits_on != null"}],
        "mark": {"type": "text", "align": "right", "dx": -6, "fontSize": 10, "limit": 220},
        "encoding": {
            "x": {"field": "start", "type": "temporal"},
            "y": y,
            "text": {"field": "waits_on", "type": "nominal"},
            "color": {"condition": {"test": "datum.waits_late", "value": RED}, "value": GREY},
            "tooltip": tip,
        },
    }
    tick = {
        "transform": [{"filter": "datum.waits_late && datum.blocker_end != null"}],
        "mark": {"type": "tick", "color": RED, "thickness": 3, "size": 22},
        "encoding": {
            "x": {"field": "blocker_end", "type": "temporal"},
            "y": y,
            "tooltip": tip,
        },
    }
    return [text, tick]


def lane_text(items: pd.DataFrame) -> str | None:
    """A lane's dependencies in words, for under its timeline (None when it has none)."""
    if "waits_on" not in items:
        return None
    parts = []
    for title, full, late in zip(
        items["title"], items["waits_full"], items["waits_late"], strict=True
    ):
        if full is None:
            continue
        flag = " ⚑ starts before what it waits on ends" if late else ""
        parts.append(f"{title} waits on {full}{flag}")
    return "; ".join(parts) if parts else None
