"""The Roadmap's timeline, drawn one swimlane (objective) at a time as charts (ui/charts.py)
that pages cache.

A bar runs from an initiative's start to its target date (to its shipped date once done) and is
coloured by health; a thin dark bar inside it shows % complete; done work is paler with a diamond
on its ship day; the dashed red rule is today. Every lane shares one time axis. Dates are drawn on
a UTC scale so that no browser time zone shifts them by a day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from planning.palette import DONE_OPACITY, HEALTH_COLOURS, RED
from planning.work.initiatives import HEALTH_LABELS, status_label
from ui import roadmap_dependencies as waits
from ui.charts import Chart, rows_table

TODAY_COLOR = RED
ROW_HEIGHT = 30


def time_domain(items: pd.DataFrame, today: date) -> tuple[date, date]:
    """The days every lane shows: all bars and today, with room on the right for labels."""
    days = [today]
    for column in ("start_date", "end_date"):
        days += [d for d in items[column] if isinstance(d, date)]
    first, last = min(days), max(days)
    room = max(7, (last - first).days // 8)
    return first - timedelta(days=3), last + timedelta(days=room)


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _text_day(value: Any) -> str:
    return value.strftime("%d %b %Y") if isinstance(value, date) else "—"


def _field(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"field": name, "type": kind, **extra}


def lane_spec(items: pd.DataFrame, *, domain: tuple[date, date], today: date) -> Chart:
    """One swimlane's timeline as a Vega-Lite spec (items: roadmap rows that have dates).

    The spec is written out rather than built with Altair: a lane costs well under a
    millisecond this way against tens with Altair's validation, which a page with six lanes
    would pay on its first render.
    """
    done = items["status"] == "done"
    data = pd.DataFrame(
        {
            "row": [f"{t}\u2002#{i}" for t, i in zip(items["title"], items["id"], strict=True)],
            "title": items["title"],
            "owner": items["owner"],
            "status": items["status"],
            "status_label": items["status"].map(status_label),
            "health": items["health"].map(lambda h: HEALTH_LABELS.get(h, h)),
            "percent": items["percent_complete"].astype(int),
            "start": items["start_date"].map(_day),
            "end": items["end_date"].map(_day),
            "progress": items["progress_date"].map(_day),
            "shipped": items["shipped_date"].map(_day),
            "start_text": items["start_date"].map(_text_day),
            "target_text": items["target_date"].map(_text_day),
            "shipped_text": items["shipped_date"].map(_text_day),
            "label": [
                "shipped" if is_done else f"{int(p)} %"
                for is_done, p in zip(done, items["percent_complete"], strict=True)
            ],
            **waits.fields(items),
        }
    )
    x_scale = {"type": "utc", "domain": [domain[0].isoformat(), domain[1].isoformat()]}
    y = _field(
        "row",
        "nominal",
        sort=list(data["row"]),
        title=None,
        axis={"labelLimit": 320, "labelExpr": "split(datum.label, '\u2002#')[0]"},
    )
    tooltip = [
        _field("title", "nominal", title="Initiative"),
        _field("owner", "nominal", title="Owner"),
        _field("status_label", "nominal", title="Status"),
        _field("health", "nominal", title="Health"),
        _field("percent", "quantitative", title="% complete"),
        _field("start_text", "nominal", title="Start"),
        _field("target_text", "nominal", title="Target"),
        _field("shipped_text", "nominal", title="Shipped"),
        *waits.tooltip(items),
    ]
    # Every layer but today's rule draws from the lane's rows (handed over as a table).
    bars = {
        "mark": {"type": "bar", "size": 18, "cornerRadius": 3},
        "encoding": {
            "x": _field(
                "start",
                "temporal",
                scale=x_scale,
                title=None,
                axis={"format": "%d %b", "grid": True},
            ),
            "x2": {"field": "end"},
            "y": y,
            "color": _field(
                "health",
                "nominal",
                legend=None,
                scale={
                    "domain": [HEALTH_LABELS[h] for h in HEALTH_COLOURS],
                    "range": list(HEALTH_COLOURS.values()),
                },
            ),
            "opacity": {
                "condition": {"test": "datum.status == 'done'", "value": DONE_OPACITY},
                "value": 0.95,
            },
            "tooltip": tooltip,
        },
    }
    progress = {
        "transform": [{"filter": "datum.status != 'done' && datum.percent > 0"}],
        "mark": {"type": "bar", "size": 6, "color": "#1f1f1f", "opacity": 0.6},
        "encoding": {
            "x": _field("start", "temporal"),
            "x2": {"field": "progress"},
            "y": y,
            "tooltip": tooltip,
        },
    }
    shipped = {
        "transform": [{"filter": "datum.shipped != null"}],
        "mark": {
            "type": "point",
            "shape": "diamond",
            "filled": True,
            "size": 120,
            "color": "#1f1f1f",
            "opacity": 1,
        },
        "encoding": {"x": _field("shipped", "temporal"), "y": y, "tooltip": tooltip},
    }
    labels = {
        "mark": {"type": "text", "align": "left", "dx": 8, "fontSize": 11, "color": "#333333"},
        "encoding": {"x": _field("end", "temporal"), "y": y, "text": _field("label", "nominal")},
    }
    rule = {
        "data": {"values": [{"today": today.isoformat()}]},
        "mark": {"type": "rule", "color": TODAY_COLOR, "strokeDash": [5, 3], "size": 2},
        "encoding": {"x": _field("today", "temporal", scale=x_scale)},
    }
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "layer": [bars, progress, shipped, labels, *waits.layers(items, y, tooltip), rule],
        # A fixed step per row keeps bars and labels apart however few rows a lane has.
        "height": {"step": waits.row_height(items, ROW_HEIGHT)},
    }
    return Chart(spec=spec, rows=rows_table(data))
