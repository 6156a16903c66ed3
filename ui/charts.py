"""Chart helpers shared by pages: a chart is a Vega-Lite spec plus, where it has one, the table
of its rows, made once inside a cached read and drawn on every rerun with st.vega_lite_chart.

Altair charts become specs through Altair's own public conversion, chart.to_dict(validate=False):
validating against the Vega-Lite schema would cost tens of milliseconds per chart, and the specs
are pinned by the tests instead. Their rows come out as JSON records, which st.vega_lite_chart
would turn into a table on every rerun (a few milliseconds per data set). So a chart's largest
data set is handed over as a pyarrow table instead (st.vega_lite_chart's `data`, which takes
anything st.dataframe takes), made once, so a rerun only sends it; the few rows of its other
layers (a rule at zero, a ship day, the quadrant names) are written into those layers. Specs
written out by hand (the Roadmap's lanes, the Goals page's progress bars) take the same route.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from planning import i18n
from ui import arrow

# Altair refuses data sets over 5,000 rows by default; the trends of a long range at day grain
# pass that, and every chart here is drawn from rows the app has already aggregated.
alt.data_transformers.disable_max_rows()


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite spec, and the table of its top-level rows when the spec does not hold them."""

    spec: dict[str, Any]
    rows: pa.Table | None = None


def d3_format(fmt: str) -> str:
    """The Vega-Lite (d3) number format for a metric format; like planning.formatting, no
    padding zeros on an axis or in a tooltip (2.8%, not 2.80%)."""
    return {"percent": ".2~%", "money": "$,.2~f", "decimal": ",.2~f"}.get(fmt, ",.0f")


def rows_table(frame: pd.DataFrame) -> pa.Table:
    """A frame as the table a chart draws from (its index left out)."""
    return arrow.table(frame)


GIVEN_ROWS = "given_rows"


def given_rows() -> Any:
    """The data of an Altair view that draws from the rows handed to from_altair."""
    return alt.NamedData(name=GIVEN_ROWS)


def from_altair(chart: Any, rows: pd.DataFrame | None = None) -> Chart:
    """An Altair chart as a Chart, converted by Altair (unvalidated; see the module's note).

    `rows`, for a chart whose main views draw from `given_rows()`: the table they draw from,
    made straight from the frame; thousands of points then skip Altair's JSON records and the
    frame made again from them."""
    spec: dict[str, Any] = chart.to_dict(validate=False)
    view = spec.get("config", {}).get("view", {})
    for default_size in ("continuousWidth", "continuousHeight"):
        view.pop(default_size, None)  # Altair's default view size; Streamlit sizes the chart
    if "config" in spec and not view:
        spec["config"].pop("view", None)
    if not spec.get("config"):
        spec.pop("config", None)
    if rows is not None:
        return _given_rows(spec, rows)
    return _rows_apart(spec)


def _given_rows(spec: dict[str, Any], rows: pd.DataFrame) -> Chart:
    """The spec with `rows` as its table and each small data set written into the views that
    use it (the shape _rows_apart gives, the main set coming from the frame itself)."""
    datasets = spec.get("datasets") or {}
    apart = {key: value for key, value in spec.items() if key != "datasets"}
    if _named(spec.get("data")) == GIVEN_ROWS:
        apart.pop("data")
    layers = []
    for layer in spec.get("layer", []):
        name = _named(layer.get("data"))
        if name == GIVEN_ROWS:
            layer = {key: value for key, value in layer.items() if key != "data"}
        elif name in datasets:
            layer = {**layer, "data": {"values": datasets[name]}}
        layers.append(layer)
    if layers:
        apart["layer"] = layers
    return Chart(spec=apart, rows=rows_table(rows))


def _named(data: Any) -> str | None:
    """The data set a view's data refers to by name, if that is all it says."""
    if isinstance(data, dict) and set(data) == {"name"}:
        return str(data["name"])
    return None


def _rows_apart(spec: dict[str, Any]) -> Chart:
    """The spec with its largest data set handed over as the chart's table (every view that drew
    from it now inherits it) and any other, small set written into the views that use it.

    Specs of another shape (nested layers, data by URL) keep their data as JSON records.
    """
    datasets = spec.get("datasets") or {}
    if not datasets or not all(isinstance(rows, list) for rows in datasets.values()):
        return Chart(spec=spec)
    main = max(datasets, key=lambda name: len(datasets[name]))
    if "data" in spec and _named(spec["data"]) != main:
        return Chart(spec=spec)
    apart = {key: value for key, value in spec.items() if key not in ("data", "datasets")}
    if "layer" in spec:
        layers = []
        for layer in spec["layer"]:
            if "layer" in layer or ("data" in layer and _named(layer["data"]) not in datasets):
                return Chart(spec=spec)
            name = _named(layer.get("data"))
            if name is None and "data" not in spec:
                return Chart(spec=spec)
            if name == main:
                layer = {key: value for key, value in layer.items() if key != "data"}
            elif name is not None:
                layer = {**layer, "data": {"values": datasets[name]}}
            layers.append(layer)
        apart["layer"] = layers
    elif "data" not in spec:
        return Chart(spec=spec)
    return Chart(spec=apart, rows=rows_table(pd.DataFrame.from_records(datasets[main])))


def accessible(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec as screen readers should meet it: one description for the whole chart (its title,
    unless it has its own), and its marks and axes out of the accessibility tree.

    Vega would otherwise announce every bar and point as an image without a name (axe-core's
    svg-img-alt); the numbers a chart draws are in the table or caption beside it.
    """
    title = spec.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    if isinstance(text, list):
        text = " ".join(str(part) for part in text)
    config = spec.get("config", {})
    described = {
        **spec,
        "config": {**config, "aria": False, "mark": {**config.get("mark", {}), "aria": False}},
    }
    if "description" not in spec and text:
        described["description"] = str(text)
    return described


# A chart on a phone is about 330 px wide. A legend above or below it laid its entries in one row
# that ran off the screen, and a category axis's labels (up to 320 px of names) left the marks a
# sliver. Below NARROW px a legend wraps onto two columns (one each when several legends share
# the row) and the labels take at most 40 % of the width (cut with "…"; the table beside the
# chart names them whole).
NARROW = 520
_WIDTH = "containerSize()[0]"
_NOT_SPECS = frozenset({"data", "datasets", "config", "scale"})


def narrow_fit(spec: Any) -> Any:
    """The spec with its top and bottom legends and its axis labels fitted to a narrow chart
    (see NARROW); a wide chart draws as before."""
    columns = 2 if len(set(_row_legends(spec)) - {""}) == 1 else 1
    return _fitted(spec, {"expr": f"{_WIDTH} < {NARROW} ? {columns} : 0"})


def _row_legends(spec: Any) -> Iterator[str]:
    """The fields whose legend sits above or below the chart and leaves its columns to Vega-Lite
    (a field drawn by several layers has one legend)."""
    if isinstance(spec, list):
        for part in spec:
            yield from _row_legends(part)
    elif isinstance(spec, dict):
        legend = spec.get("legend")
        if isinstance(legend, dict) and legend.get("orient") in ("top", "bottom"):
            yield str(spec.get("field")) if "columns" not in legend else ""
        for key, value in spec.items():
            if key not in _NOT_SPECS:
                yield from _row_legends(value)


def _fitted(spec: Any, columns: dict[str, str]) -> Any:
    if isinstance(spec, list):
        return [_fitted(part, columns) for part in spec]
    if not isinstance(spec, dict):
        return spec
    fitted = {
        key: value if key in _NOT_SPECS else _fitted(value, columns) for key, value in spec.items()
    }
    legend, axis = spec.get("legend"), spec.get("axis")
    if isinstance(legend, dict) and legend.get("orient") in ("top", "bottom"):
        fitted["legend"] = {"columns": columns, **legend}
    if isinstance(axis, dict) and isinstance(axis.get("labelLimit"), int | float):
        limit = axis["labelLimit"]
        narrow = f"min({limit}, {_WIDTH} * 0.4)"
        fitted["axis"] = {
            **axis,
            "labelLimit": {"expr": f"{_WIDTH} < {NARROW} ? {narrow} : {limit}"},
        }
    return fitted


def draw(chart: Chart, **options: Any) -> Any:
    """Draw a chart across the page's width (options go to st.vega_lite_chart)."""
    spec = accessible(narrow_fit(chart.spec))
    local = i18n.vega_locale()  # the team's number and date formats (None: Vega's English)
    if local is not None:
        config = spec.get("config", {})
        # A time axis's labels in the team's order too (26. Nov., not Nov 26), where the chart
        # does not set its own format.
        dates = {**config.get("axisTemporal", {}), "format": i18n.vega_date_axis()}
        spec = {**spec, "config": {**config, "locale": local, "axisTemporal": dates}}
    return st.vega_lite_chart(chart.rows, spec=spec, width="stretch", **options)
