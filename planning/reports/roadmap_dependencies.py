"""Dependencies on the Roadmap's timeline (planning/reports/chart_specs.py draws them,
ui/roadmap_data.py hands the rows over): on a dependent's row, "waits on Title, ends 10 Jan"
under its bar (the full list, with ids and end dates, in its tooltip and under the lane); when it
starts before what it waits on ends, the text turns red with a ⚑ and a red tick on its row marks
the day that work ends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd

from planning import i18n
from planning.i18n import gettext as _
from planning.palette import RED
from planning.work.dependencies import Work, late_pairs

GREY = "#555555"
COLUMNS = ("waits_on", "waits_full", "waits_late", "blocker_end")


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _text_day(value: date | None, *, year: bool = True) -> str:
    """A day as the lanes write it: "16 Sep 2026" in English, the team's format otherwise."""
    if value is None:
        return _("undated")
    if i18n.english_formats():
        return f"{value.day} {value:%b %Y}" if year else f"{value.day} {value:%b}"
    return i18n.date_text(value, year=year)


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
    last_days: list[date | None] = []
    columns = ("id", "title", "status", "start_date", "end_date")
    for values in zip(*(items[c] for c in columns), strict=True):
        row = dict(zip(columns, values, strict=True))
        blockers = list(waits.get(int(row["id"]), ()))
        if not blockers:
            short.append(None)
            full.append(None)
            late.append(False)
            last_days.append(None)
            continue
        dependent = _row_work(row)
        work = {dependent.id: dependent, **{b.id: b for b in blockers}}
        found = late_pairs(work, [(b.id, dependent.id) for b in blockers])
        first = found[0].blocker if found else blockers[-1]
        more = f" +{len(blockers) - 1}" if len(blockers) > 1 else ""
        mark = "⚑ " if found else ""
        ends = _(", ends {day}").format(day=_text_day(first.end, year=False)) if first.end else ""
        short.append(mark + _("waits on {title}").format(title=first.title) + ends + more)
        full.append(
            "; ".join(
                _("{work} (ends {day})").format(work=b.label, day=_text_day(b.end))
                for b in blockers
            )
        )
        late.append(bool(found))
        last_days.append(found[0].blocker.end if found else None)
    out = items.copy()
    out["waits_on"], out["waits_full"], out["waits_late"], out["blocker_end"] = (
        short,
        full,
        late,
        last_days,
    )
    return out


def fields(items: pd.DataFrame) -> dict[str, list[Any]]:
    """The chart's extra columns (empty when the rows carry no dependencies)."""
    if "waits_on" not in items:
        return {}
    return {
        "waits_on": [v if isinstance(v, str) else None for v in items["waits_on"]],
        "waits_full": [v if isinstance(v, str) else None for v in items["waits_full"]],
        "waits_late": [bool(v) for v in items["waits_late"]],
        "blocker_end": [_day(v) for v in items["blocker_end"]],
    }


def tooltip(items: pd.DataFrame) -> list[dict[str, Any]]:
    """The tooltip entry naming what a row waits on."""
    if "waits_on" not in items:
        return []
    return [{"field": "waits_full", "type": "nominal", "title": _("Waits on")}]


def layers(items: pd.DataFrame, y: dict[str, Any], tip: list[dict[str, Any]]) -> list[Any]:
    """The text left of each dependent's bar and the red tick of a late one."""
    if "waits_on" not in items or not any(isinstance(v, str) for v in items["waits_on"]):
        return []
    text = {
        "transform": [{"filter": "datum.waits_on != null"}],
        # Under the bar, in the taller row such a lane gets (row_height), from the bar's start
        # rightwards; clipped at the plot's edge, the tooltip and the lane's caption carry it all.
        "mark": {
            "type": "text",
            "align": "left",
            "baseline": "top",
            "dy": 10,
            "fontSize": 10,
            "clip": True,
        },
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


def row_height(items: pd.DataFrame, usual: int) -> int:
    """A lane's row height: taller when a row carries a "waits on" line under its bar."""
    if "waits_on" in items and any(isinstance(v, str) for v in items["waits_on"]):
        return usual + 14
    return usual


def lane_text(items: pd.DataFrame) -> str | None:
    """A lane's dependencies in words, for under its timeline (None when it has none)."""
    if "waits_on" not in items:
        return None
    parts = []
    for title, full, late in zip(
        items["title"], items["waits_full"], items["waits_late"], strict=True
    ):
        if not isinstance(full, str):
            continue
        flag = " ⚑ " + _("starts before what it waits on ends") if late else ""
        parts.append(_("{title} waits on {work}").format(title=title, work=full) + flag)
    return "; ".join(parts) if parts else None
