"""Chart helpers shared by pages."""

from __future__ import annotations


def d3_format(fmt: str) -> str:
    """The Vega-Lite (d3) number format for a metric format."""
    return {"percent": ".2%", "money": "$,.2f", "decimal": ",.2f"}.get(fmt, ",.0f")
