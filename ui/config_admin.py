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
from planning.i18n import gettext as _
from ui.tables import show_table


def _definition(metric: object, config: AppConfig) -> str:
    if isinstance(metric, SimpleMetric):
        measure = config.metrics.measures.get(metric.measure)
        if measure is not None and measure.aggregation == "last":
            return _("last value of {measure}").format(measure=metric.measure)
        return _("sum of {measure}").format(measure=metric.measure)
    if isinstance(metric, SnapshotMetric):
        return _("last value of {measure}").format(measure=metric.measure)
    if isinstance(metric, RatioMetric):
        return f"Σ {metric.numerator} / Σ {metric.denominator}"
    if isinstance(metric, WeightedAverageMetric):
        return f"Σ ({metric.value} × {metric.weight}) / Σ {metric.weight}"
    if isinstance(metric, DerivedMetric):
        return metric.expression
    return ""


def configuration_tab(config: AppConfig) -> None:
    """The loaded configuration, file by file."""
    st.subheader(_("Configuration"))
    st.caption(
        _(
            "Loaded from `{directory}` when the server started. To change it, edit the YAML "
            "files there and restart the server; a mistake is reported with the file, key and "
            "reason instead of starting."
        ).format(directory=config.directory or "config/")
    )
    settings = config.settings
    cols = st.columns(4)
    cols[0].metric(_("Sign-in mode"), settings.auth.mode)
    cols[1].metric(_("Currency"), settings.currency)
    cols[2].metric(
        _("Fiscal year starts"),
        _("month {number}").format(number=settings.fiscal_year_start_month),
    )
    cols[3].metric(_("Active scoring framework"), config.scoring.active)

    st.markdown("**settings.yaml**")
    st.json(settings.model_dump(mode="json"), expanded=1)

    st.markdown("**metrics.yaml**")
    show_table(
        pa.Table.from_pylist(
            [
                {
                    _("metric"): mid,
                    _("label"): metric.label,
                    _("type"): metric.type,
                    _("format"): metric.format,
                    _("definition"): _definition(metric, config),
                    _("higher is better"): metric.higher_is_better,
                    _("filterable by"): ", ".join(config.metrics.metric_dimensions(mid)) or "—",
                }
                for mid, metric in config.metrics.metrics.items()
            ]
        )
    )
    show_table(
        pa.Table.from_pylist(
            [
                {
                    _("measure"): mid,
                    _("label"): measure.label,
                    _("unit"): measure.unit,
                    _("aggregation"): measure.aggregation,
                    _("dimensions"): ", ".join(measure.dimensions) or "—",
                }
                for mid, measure in config.metrics.measures.items()
            ]
        )
    )
    show_table(
        pa.Table.from_pylist(
            [
                {_("dimension"): did, _("label"): dim.label, _("values"): ", ".join(dim.values)}
                for did, dim in config.metrics.dimensions.items()
            ]
        )
    )

    st.markdown("**scoring.yaml**")
    show_table(
        pa.Table.from_pylist(
            [
                {
                    _("framework"): fid,
                    _("label"): framework.label,
                    _("formula"): framework.formula,
                    _("inputs"): ", ".join(framework.inputs),
                    _("active"): fid == config.scoring.active,
                }
                for fid, framework in config.scoring.frameworks.items()
            ]
        )
    )
    st.json(config.scoring.model_dump(mode="json"), expanded=False)
