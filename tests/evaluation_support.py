"""Evaluation records built by hand for tests of what reads them (this week, charts, digest)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from planning.okrs.evaluation_results import KrEvaluation


def kr_eval(**overrides: Any) -> KrEvaluation:
    """A key result evaluation with every field empty but the ones given."""
    values: dict[str, Any] = {f.name: None for f in fields(KrEvaluation)}
    values.update(
        key_result_id=1,
        objective_id=1,
        title="KR",
        kind="metric",
        owner_id=1,
        owner="Maya",
        weight=1.0,
        metric_label="",
        value_format="number",
        filters={},
        window="period_to_date",
        total_target=False,
        unit="",
        status="on_track",
        status_reason="",
        days_of_data=30,
        gap_flagged=False,
    )
    values.update(overrides)
    return KrEvaluation(**values)
