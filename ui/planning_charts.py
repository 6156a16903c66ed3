"""The Weekly planning page's value/effort matrix, built from the cached backlog of
ui/planning_data.py and kept as a Vega-Lite spec (see ui/charts.py), keyed by the store's data
versions and the framework. Clicking a point selects it (the selection parameter "pick")."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planning.i18n import gettext as _
from planning.work.backlog import value_axis_label
from planning.work.initiative_status import status_label
from ui import planning_data as data
from ui.charts import Chart, from_altair, given_rows
from ui.state import Versions, app_config

TTL = 600
ENTRIES = 32
QUADRANT_COLOURS = ["#2e7d32", "#1f5fbf", "#9e9e9e", "#c62828"]


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def matrix(versions: Versions, framework_id: str, language: str = "") -> Chart | None:
    """Scored open initiatives by effort and value, coloured by quadrant, with the median splits
    as dashed lines and the quadrant names in the corners; None when nothing is scored. Its
    words are the reader's (`language`: i18n.locale_key, for the cache)."""
    del language
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
        _(names_of.quick_wins),
        _(names_of.big_bets),
        _(names_of.fill_ins),
        _(names_of.money_pits),
    ]
    value_title = value_axis_label(framework, config.settings.currency_symbol)
    points_data = scored[
        ["id", "rank", "title", "owner", "status", "score", "value", "effort_weeks", "quadrant"]
    ].assign(
        status=scored["status"].map(lambda s: _(status_label(s))),
        quadrant=scored["quadrant"].map(lambda q: _(q) if isinstance(q, str) else q),
    )
    pick = alt.selection_point(name="pick", fields=["id"], on="click")
    low_x, high_x = float(scored["effort_weeks"].min()), float(scored["effort_weeks"].max())
    low_y, high_y = float(scored["value"].min()), float(scored["value"].max())
    # Margins around the extremes keep every point, and the corner names, inside the plot.
    x_scale = alt.Scale(domain=[min(0.0, low_x), high_x * 1.08 or 1.0], nice=False)
    y_span = (high_y - min(0.0, low_y)) or 1.0
    y_scale = alt.Scale(domain=[min(0.0, low_y) - 0.05 * y_span, high_y + 0.1 * y_span], nice=False)
    points = (
        alt.Chart(given_rows())  # drawn from the rows handed to from_altair
        .mark_circle(size=140, opacity=0.85)
        .encode(
            x=alt.X("effort_weeks:Q", title=_("Effort (person-weeks)"), scale=x_scale),
            y=alt.Y("value:Q", title=value_title, scale=y_scale),
            color=alt.Color(
                "quadrant:N",
                title=_("Quadrant"),
                scale=alt.Scale(domain=quadrant_names, range=QUADRANT_COLOURS),
                legend=alt.Legend(orient="top"),
            ),
            opacity=alt.condition(pick, alt.value(0.95), alt.value(0.35)),
            tooltip=[
                alt.Tooltip("title:N", title=_("Initiative")),
                alt.Tooltip("rank:Q", title=_("Rank")),
                alt.Tooltip("owner:N", title=_("Owner")),
                alt.Tooltip("status:N", title=_("Status")),
                alt.Tooltip(
                    "score:Q",
                    title=_("{framework} score").format(framework=_(framework.label)),
                    format=",.2~f",
                ),
                alt.Tooltip("value:Q", title=value_title, format=",.2~f"),
                alt.Tooltip("effort_weeks:Q", title=_("Effort (person-weeks)"), format=",.1f"),
                alt.Tooltip("quadrant:N", title=_("Quadrant")),
            ],
        )
        .add_params(pick)
    )
    splits = pd.DataFrame({"value": [value_split], "effort": [effort_split]})
    value_rule = alt.Chart(splits).mark_rule(strokeDash=[4, 4], color="#888").encode(y="value:Q")
    effort_rule = alt.Chart(splits).mark_rule(strokeDash=[4, 4], color="#888").encode(x="effort:Q")
    # The quadrant names sit in the plot's own corners, clear of the points at the extremes.
    (x_low, x_high), (y_low, y_high) = x_scale.domain, y_scale.domain
    corners = pd.DataFrame(
        {
            "label": quadrant_names,
            "x": [x_low, x_high, x_low, x_high],
            "y": [y_high, y_high, y_low, y_low],
            "align": ["left", "right", "left", "right"],
            "baseline": ["top", "top", "bottom", "bottom"],
        }
    )
    labels = [
        alt.Chart(corners[(corners["align"] == side) & (corners["baseline"] == edge)])
        .mark_text(
            align=side,
            baseline=edge,
            dx=4 if side == "left" else -4,
            fontWeight="bold",
            color="#555",
        )
        .encode(x="x:Q", y="y:Q", text="label:N")
        for side in ("left", "right")
        for edge in ("top", "bottom")
    ]
    layers = alt.layer(points, value_rule, effort_rule, *labels).properties(height=380)
    return from_altair(layers, rows=points_data)
