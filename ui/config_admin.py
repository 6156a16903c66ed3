"""Admin's "Configuration" tab: the settings, metrics and scoring frameworks this server loaded
from config/, read-only (they are changed by editing the YAML files and restarting)."""

from __future__ import annotations

import pyarrow as pa
import streamlit as st

from planning.config import AppConfig
from planning.config.metrics import (
    DerivedMetric,
    RatioMetric,
    SimpleMetric,
    SnapshotMetric,
    WeightedAverageMetric,
)


def _definition(metric: object, config: AppConfig) -> str:
    if isinstance(metric, SimpleMetric):
        measure = config.metrics.measures.get(metric.measure)
        how = "last value" if measure is not None and measure.aggregation == "last" else "sum"
        return f"{how} of {metric.measure}"
    if isinstance(metric, SnapshotMetric):
        return f"last value of {metric.measure}"
    if isinstance(metric, RatioMetric):
        return f"Σ {metric.numerator} / Σ {metric.denominator}"
    if isinstance(metric, WeightedAverageMetric):
        return f"Σ ({metric.value} × {metric.weight}) / Σ {metric.weight}"
    if isinstance(metric, DerivedMetric):
        return metric.expression
    return ""


def configuration_tab(config: AppConfig) -> None:
    """The loaded configuration, file by file."""
    st.subheader("Configuration")
    st.caption(
        f"Loaded from `{config.directory or 'config/'}` when the server started. To change it, "
        "edit the YAML files there and restart the server; a mistake is reported with the file, "
        "key and reason instead of starting."
    )
    settings = config.settings
    cols = st.columns(4)
    cols[0].metric("Sign-in mode", settings.auth.mode)
    cols[1].metric("Currency", settings.currency)
    cols[2].metric("Fiscal year starts", f"month {settings.fiscal_year_start_month}")
    cols[3].metric("Active scoring framework", config.scoring.active)

    st.markdown("**settings.yaml**")
    st.json(settings.model_dump(mode="json"), expanded=1)

    st.markdown("**metrics.yaml**")
    st.dataframe(
        pa.Table.from_pylist(
            [
                {
                    "metric": mid,
                    "label": metric.label,
                    "type": metric.type,
                    "format": metric.format,
                    "definition": _definition(metric, config),
                    "higher is better": metric.higher_is_better,
                    "filterable by": ", ".join(config.metrics.metric_dimensions(mid)) or "—",
                }
                for mid, metric in config.metrics.metrics.items()
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.dataframe(
        pa.Table.from_pylist(
            [
                {
                    "measure": mid,
                    "label": measure.label,
                    "unit": measure.unit,
                    "aggregation": measure.aggregation,
                    "dimensions": ", ".join(measure.dimensions) or "—",
                }
                for mid, measure in config.metrics.measures.items()
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.dataframe(
        pa.Table.from_pylist(
            [
                {"dimension": did, "label": dim.label, "values": ", ".join(dim.values)}
                for did, dim in config.metrics.dimensions.items()
            ]
        ),
        hide_index=True,
        width="stretch",
    )

    st.markdown("**scoring.yaml**")
    st.dataframe(
        pa.Table.from_pylist(
            [
                {
                    "framework": fid,
                    "label": framework.label,
                    "formula": framework.formula,
                    "inputs": ", ".join(framework.inputs),
                    "active": fid == config.scoring.active,
                }
                for fid, framework in config.scoring.frameworks.items()
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    st.json(config.scoring.model_dump(mode="json"), expanded=False)
