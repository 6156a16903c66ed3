"""Charts made from Altair (ui/charts.py): a chart handed its rows as a frame is the chart Altair's
own conversion makes of the same rows; a spec written out by hand draws what Altair would."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import altair as alt
import pandas as pd

from planning.reports.chart_specs import (
    MATRIX_COLOURS,
    MatrixWords,
    ledger_chart,
    ledger_points,
    matrix_spec,
    progress_spec,
)
from tests.evaluation_support import kr_eval
from tests.impact_support import impact_entry
from ui.charts import NARROW, Chart, from_altair, given_rows, narrow_fit, rows_table


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


def _matrix_through_altair(points: pd.DataFrame, words: MatrixWords, splits: pd.DataFrame) -> Chart:
    """The value/effort matrix as Altair builds it (the way the page built it before its spec
    was written out): the reference the written spec must match."""
    pick = alt.selection_point(name="pick", fields=["id"], on="click")
    low_x, high_x = float(points["effort_weeks"].min()), float(points["effort_weeks"].max())
    low_y, high_y = float(points["value"].min()), float(points["value"].max())
    x_scale = alt.Scale(domain=[min(0.0, low_x), high_x * 1.08 or 1.0], nice=False)
    y_span = (high_y - min(0.0, low_y)) or 1.0
    y_scale = alt.Scale(domain=[min(0.0, low_y) - 0.05 * y_span, high_y + 0.1 * y_span], nice=False)
    dots = (
        alt.Chart(given_rows())
        .mark_circle(size=140, opacity=0.85)
        .encode(
            x=alt.X("effort_weeks:Q", title=words.effort, scale=x_scale),
            y=alt.Y("value:Q", title=words.value, scale=y_scale),
            color=alt.Color(
                "quadrant:N",
                title=words.quadrant,
                scale=alt.Scale(domain=list(words.quadrants), range=list(MATRIX_COLOURS)),
                legend=alt.Legend(orient="top", columns=2),
            ),
            opacity=alt.condition(pick, alt.value(0.95), alt.value(0.35)),
            tooltip=[
                alt.Tooltip("title:N", title=words.initiative),
                alt.Tooltip("rank:Q", title=words.rank),
                alt.Tooltip("owner:N", title=words.owner),
                alt.Tooltip("status:N", title=words.status),
                alt.Tooltip("score:Q", title=words.score, format=",.2~f"),
                alt.Tooltip("value:Q", title=words.value, format=",.2~f"),
                alt.Tooltip("effort_weeks:Q", title=words.effort, format=",.1f"),
                alt.Tooltip("quadrant:N", title=words.quadrant),
            ],
        )
        .add_params(pick)
    )
    dashed = {"strokeDash": [4, 4], "color": "#888"}
    value_rule = alt.Chart(splits).mark_rule(**dashed).encode(y="value:Q")
    effort_rule = alt.Chart(splits).mark_rule(**dashed).encode(x="effort:Q")
    (x_low, x_high), (y_low, y_high) = x_scale.domain, y_scale.domain
    corners = pd.DataFrame(
        {
            "label": list(words.quadrants),
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
    layers = alt.layer(dots, value_rule, effort_rule, *labels).properties(height=380)
    return from_altair(layers, rows=points)


def test_the_value_effort_matrix_written_out_draws_what_altair_draws() -> None:
    points = pd.DataFrame(
        {
            "id": range(40),
            "rank": range(1, 41),
            "title": [f"Initiative {i} – ü" for i in range(40)],
            "owner": ["Ana Souza", "Tom Okafor"] * 20,
            "status": ["In progress", "Planned"] * 20,
            "score": [i * 12.5 for i in range(40)],
            "value": [i * 1500.0 - 2000 for i in range(40)],
            "effort_weeks": [(i % 9) / 2 + 0.5 for i in range(40)],
            "quadrant": ["Schnelle Erfolge", "Große Wetten", "Lückenfüller", "Geldgruben"] * 10,
        }
    )
    words = MatrixWords(
        quadrants=("Schnelle Erfolge", "Große Wetten", "Lückenfüller", "Geldgruben"),
        value="Reichweite × Wirkung × Zuversicht",
        effort="Aufwand (Personenwochen)",
        score="RICE-Wert",
        initiative="Initiative",
        rank="Rang",
        owner="Verantwortlich",
        status="Status",
        quadrant="Quadrant",
    )
    written = matrix_spec(points, value_split=27000.0, effort_split=2.5, words=words)
    splits = pd.DataFrame({"value": [27000.0], "effort": [2.5]})
    reference = _matrix_through_altair(points, words, splits)
    # The written spec names its points' view itself, and gives no Vega-Lite minor version.
    names = re.compile(r'"view_0"|"points"|"https://vega.github.io/schema/[^"]+"')
    assert names.sub("X", _spec_text(Chart(spec=written.spec))) == names.sub(
        "X", _spec_text(reference)
    )
    assert written.spec["params"][0]["views"] == ["points"]
    # Two quadrant names a row: in one row a phone cut the third ("Lüc…") and lost the fourth.
    assert written.spec["layer"][0]["encoding"]["color"]["legend"]["columns"] == 2
    assert written.spec["layer"][0]["name"] == "points"
    assert reference.rows is not None
    assert rows_table(written.rows).to_pylist() == reference.rows.to_pylist()


def test_a_key_result_without_progress_is_labelled_with_a_dash_beside_its_bar() -> None:
    """On a quarter's first day the reason ("no data yet in this window") beside a bar ran past
    a phone's plot; the label is a dash and the reason stays in the bar's tooltip."""
    chart = progress_spec(
        [
            kr_eval(key_result_id=1, title="Conversion up", status="too_early"),
            kr_eval(key_result_id=2, title="Orders up", status="on_track", progress=0.42),
        ]
    )
    assert chart.rows is not None
    rows = chart.rows.to_dict("records")
    label = chart.spec["layer"][1]["encoding"]["text"]["field"]
    assert {r["key result"]: r[label] for r in rows} == {"Conversion up": "—", "Orders up": "42 %"}
    tooltip = chart.spec["layer"][0]["encoding"]["tooltip"]
    shown = [t["field"] for t in tooltip]
    assert "progress" in shown and rows[0]["progress"] == "no data yet in this window"


def test_a_narrow_chart_wraps_its_top_legend_and_shortens_its_category_labels() -> None:
    spec = {
        "layer": [
            {
                "encoding": {
                    "y": {"field": "initiative", "axis": {"labelLimit": 320}},
                    "color": {"field": "verdict", "legend": {"orient": "top"}},
                    "shape": {"field": "kind", "legend": {"orient": "top", "columns": 3}},
                    "size": {"field": "n", "legend": {"orient": "right"}},
                },
                "data": {"values": [{"legend": {"orient": "top"}}]},
            }
        ]
    }
    encoding = narrow_fit(spec)["layer"][0]["encoding"]
    width = "containerSize()[0]"
    assert encoding["color"]["legend"] == {
        "orient": "top",
        "columns": {"expr": f"{width} < {NARROW} ? 2 : 0"},
    }
    # Two legends side by side above a narrow chart take one column each.
    spec["layer"][0]["encoding"]["opacity"] = {"field": "year", "legend": {"orient": "top"}}
    both = narrow_fit(spec)["layer"][0]["encoding"]
    assert both["color"]["legend"]["columns"] == {"expr": f"{width} < {NARROW} ? 1 : 0"}
    assert encoding["y"]["axis"]["labelLimit"] == {
        "expr": f"{width} < {NARROW} ? min(320, {width} * 0.4) : 320"
    }
    # A legend that chose its columns, a legend at the side and the rows themselves stay.
    assert encoding["shape"]["legend"] == {"orient": "top", "columns": 3}
    assert encoding["size"]["legend"] == {"orient": "right"}
    assert both["opacity"]["legend"]["columns"] == both["color"]["legend"]["columns"]
    assert narrow_fit(spec)["layer"][0]["data"] == spec["layer"][0]["data"]
