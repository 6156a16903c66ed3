"""Charts made from Altair (ui/charts.py): a chart handed its rows as a frame is the chart Altair's
own conversion makes of the same rows."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import altair as alt
import pandas as pd

from planning.reports.chart_specs import ledger_chart, ledger_points
from tests.impact_support import impact_entry
from ui.charts import Chart, from_altair, given_rows


def _layers(points: alt.Chart) -> alt.LayerChart:
    """Points picked by a click, a dashed rule and two corner labels, as the matrix draws them."""
    pick = alt.selection_point(name="pick", fields=["id"], on="click")
    dots = points.mark_circle(size=140).encode(
        x="effort_weeks:Q",
        y="value:Q",
        color="quadrant:N",
        tooltip=[alt.Tooltip("title:N"), alt.Tooltip("rank:Q")],
    )
    split = pd.DataFrame({"value": [1.5]})
    rule = alt.Chart(split).mark_rule(strokeDash=[4, 4]).encode(y="value:Q")
    corners = pd.DataFrame({"label": ["Quick wins", "Money pits"], "x": [0.0, 9.0], "y": [9, 0]})
    labels = alt.Chart(corners).mark_text().encode(x="x:Q", y="y:Q", text="label:N")
    return alt.layer(dots.add_params(pick), rule, labels).properties(height=380)


def _spec_text(chart: Chart) -> str:
    # Altair names a view after a hash of its chart, data included; the names are only ids.
    return re.sub(r"view_[0-9a-f]+_", "view_", json.dumps(chart.spec, sort_keys=True))


def test_a_chart_given_its_rows_draws_what_altairs_conversion_of_them_draws() -> None:
    frame = pd.DataFrame(
        {
            "id": range(300),
            "rank": pd.array(range(1, 301), dtype="Int64"),
            "title": [f"Initiative {i} – ü" for i in range(300)],
            "value": [i * 0.1 + 1e-7 for i in range(300)],
            "effort_weeks": [(i % 17) / 3 for i in range(300)],
            "quadrant": [None if i % 50 == 0 else "Quick wins" for i in range(300)],
        }
    )
    through_altair = from_altair(_layers(alt.Chart(frame)))
    given = from_altair(_layers(alt.Chart(given_rows())), rows=frame)
    assert _spec_text(given) == _spec_text(through_altair)
    assert "datasets" not in given.spec and "given_rows" not in _spec_text(given)
    assert given.rows is not None and through_altair.rows is not None
    assert given.rows.to_pylist() == through_altair.rows.to_pylist()


def test_the_impact_ledger_chart_given_its_rows_draws_what_altair_draws_of_them() -> None:
    verdicts = ["beat", "met", "missed", "inconclusive"]
    measured = [
        impact_entry(
            shipped=date(2026, 3, 2) + timedelta(days=i),
            expected=0.05,
            realised=0.01 * i - 0.1,
            verdict=verdicts[i % 4],
            initiative_id=i,
            initiative=f"Checkout tweak {i} – ü",
            half_width=0.03,
        )
        for i in range(40)
    ]
    points = ledger_points(measured)
    through_altair = from_altair(ledger_chart(points))
    given = from_altair(ledger_chart(points, data=given_rows()), rows=points)
    assert _spec_text(given) == _spec_text(through_altair)
    assert "datasets" not in given.spec
    assert given.rows is not None and through_altair.rows is not None
    assert given.rows.to_pylist() == through_altair.rows.to_pylist()
    assert len(given.rows) == 40
