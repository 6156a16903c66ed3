"""Chart helpers shared by pages: a chart is a Vega-Lite spec plus, where it has one, the table
of its rows, made once inside a cached read and drawn on every rerun with st.vega_lite_chart.

Altair charts become specs through Altair's own public conversion, chart.to_dict(validate=False):
validating against the Vega-Lite schema would cost tens of milliseconds per chart, and the specs
are pinned by the tests instead. Their rows then sit in the spec as JSON records, which
st.vega_lite_chart turns into a table on every rerun; a chart drawn from one data set hands that
set over as a pyarrow table instead (st.vega_lite_chart's `data`, which takes anything
st.dataframe takes), made once, so a rerun only sends it. Specs written out by hand (the
Roadmap's lanes, the Goals page's progress bars) take the same route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

# Altair refuses data sets over 5,000 rows by default; the trends of a long range at day grain
# pass that, and every chart here is drawn from rows the app has already aggregated.
alt.data_transformers.disable_max_rows()


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite spec, and the table of its top-level rows when the spec does not hold them."""

    spec: dict[str, Any]
    rows: pa.Table | None = None


def d3_format(fmt: str) -> str:
    """The Vega-Lite (d3) number format for a metric format."""
    return {"percent": ".2%", "money": "$,.2f", "decimal": ",.2f"}.get(fmt, ",.0f")


def rows_table(frame: pd.DataFrame) -> pa.Table:
    """A frame as the table a chart draws from (its index left out)."""
    return pa.Table.from_pandas(frame, preserve_index=False)


def from_altair(chart: Any) -> Chart:
    """An Altair chart as a Chart, converted by Altair (unvalidated; see the module's note)."""
    spec: dict[str, Any] = chart.to_dict(validate=False)
    view = spec.get("config", {}).get("view", {})
    for default_size in ("continuousWidth", "continuousHeight"):
        view.pop(default_size, None)  # Altair's default view size; Streamlit sizes the chart
    if "config" in spec and not view:
        spec["config"].pop("view", None)
    if not spec.get("config"):
        spec.pop("config", None)
    datasets = spec.get("datasets") or {}
    data = spec.get("data")
    if len(datasets) == 1 and isinstance(data, dict) and set(data) == {"name"}:
        ((name, records),) = datasets.items()
        if data["name"] == name and isinstance(records, list):
            # Every layer draws from this one set: hand it over as a table, made once.
            rest = {k: v for k, v in spec.items() if k not in ("data", "datasets")}
            return Chart(spec=rest, rows=rows_table(pd.DataFrame.from_records(records)))
    return Chart(spec=spec)


def draw(chart: Chart, **options: Any) -> Any:
    """Draw a chart across the page's width (options go to st.vega_lite_chart)."""
    return st.vega_lite_chart(chart.rows, spec=chart.spec, width="stretch", **options)
