"""The Weekly planning page's value/effort matrix, built from the cached backlog of
ui/planning_data.py and kept as a Vega-Lite spec (see ui/charts.py), keyed by the store's data
versions and the framework. Clicking a point selects it (the selection parameter "pick")."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from planning.backlog import value_axis_label
from planning.initiatives import status_label
from ui import planning_data as data
from ui.charts import vega_spec
from ui.state import Versions, app_config

TTL = 600
ENTRIES = 32
QUADRANT_COLOURS = ["#2e7d32", "#1f5fbf", "#9e9e9e", "#c62828"]


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def matrix(versions: Versions, framework_id: str) -> dict[str, Any] | None:
    """Scored open initiatives by effort and value, coloured by quadrant, with the median splits
    as dashed lines and the quadrant names in the corners; None when nothing is scored."""
    config = app_config()
    scoring = config.scoring
    framework = scoring.frameworks[framework_id]
    backlog = data.ranked_backlog(versions, framework_id)
    scored = backlog[backlog["score"].notna()]
    value_split = backlog.attrs.get("value_split")
    effort_split = backlog.attrs.get("effort_split")
    if scored.empty or value_split is None or effort_split is None:
        return None
    names_of = scoring.matrix.quadrants
    quadrant_names = [
        names_of.quick_wins,
        names_of.big_bets,
        names_of.fill_ins,
        names_of.money_pits,
    ]
    value_title = value_axis_label(framework, config.settings.currency_symbol)
    points_data = scored[
        ["id", "rank", "title", "owner", "status", "score", "value", "effort_weeks", "quadrant"]
    ].assign(status=scored["status"].map(status_label))
    pick = alt.selection_point(name="pick", fields=["id"], on="click")
    points = (
        alt.Chart(points_data)
        .mark_circle(size=140, opacity=0.85)
        .encode(
            x=alt.X("effort_weeks:Q", title="Effort (person-weeks)"),
            y=alt.Y("value:Q", title=value_title),
            color=alt.Color(
                "quadrant:N",
                title="Quadrant",
                scale=alt.Scale(domain=quadrant_names, range=QUADRANT_COLOURS),
                legend=alt.Legend(orient="top"),
            ),
            opacity=alt.condition(pick, alt.value(0.95), alt.value(0.35)),
            tooltip=[
                alt.Tooltip("title:N", title="Initiative"),
                alt.Tooltip("rank:Q", title="Rank"),
                alt.Tooltip("owner:N", title="Owner"),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("score:Q", title=f"{framework.label} score", format=",.2f"),
                alt.Tooltip("value:Q", title=value_title, format=",.2f"),
                alt.Tooltip("effort_weeks:Q", title="Effort (person-weeks)", format=",.1f"),
                alt.Tooltip("quadrant:N", title="Quadrant"),
            ],
        )
        .add_params(pick)
    )
    splits = pd.DataFrame({"value": [value_split], "effort": [effort_split]})
    value_rule = alt.Chart(splits).mark_rule(strokeDash=[4, 4], color="#888").encode(y="value:Q")
    effort_rule = alt.Chart(splits).mark_rule(strokeDash=[4, 4], color="#888").encode(x="effort:Q")
    low_x, high_x = float(scored["effort_weeks"].min()), float(scored["effort_weeks"].max())
    low_y, high_y = float(scored["value"].min()), float(scored["value"].max())
    corners = pd.DataFrame(
        {
            "label": quadrant_names,
            "x": [low_x, high_x, low_x, high_x],
            "y": [high_y, high_y, low_y, low_y],
            "align": ["left", "right", "left", "right"],
        }
    )
    labels = [
        alt.Chart(corners[corners["align"] == side])
        .mark_text(align=side, baseline="middle", dy=-12, fontWeight="bold", color="#555")  # type: ignore[arg-type]
        .encode(x="x:Q", y="y:Q", text="label:N")
        for side in ("left", "right")
    ]
    return vega_spec(alt.layer(points, value_rule, effort_rule, *labels).properties(height=380))
