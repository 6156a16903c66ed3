"""Chart helpers shared by pages.

Building an Altair chart and converting it (Altair validates the whole spec against the Vega-Lite
schema) costs tens of milliseconds, which st.altair_chart spends on every rerun. Pages therefore
build their charts inside cached reads and keep only the result of vega_spec(), which they draw
with st.vega_lite_chart(spec=...): a rerun then only sends the spec.
"""

from __future__ import annotations

from typing import Any


def d3_format(fmt: str) -> str:
    """The Vega-Lite (d3) number format for a metric format."""
    return {"percent": ".2%", "money": "$,.2f", "decimal": ",.2f"}.get(fmt, ",.0f")


def vega_spec(chart: Any) -> dict[str, Any]:
    """An Altair chart as the spec st.altair_chart would send: validated once, its data held as
    Arrow datasets, ready for st.vega_lite_chart(spec=...)."""
    # Streamlit's own conversion (the one st.altair_chart runs), so a cached spec draws exactly
    # like the chart would; the Streamlit version is pinned in requirements.txt.
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    return dict(_convert_altair_to_vega_lite_spec(chart))
