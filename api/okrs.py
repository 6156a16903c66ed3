"""The OKR evaluation of a quarter, and the dependencies between initiatives, as the API returns
them: plain JSON, numbers or null."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from planning.okrs.backtest_score import ForecastQuality
from planning.okrs.evaluation_results import KrEvaluation, ObjectiveEvaluation, PeriodEvaluation
from planning.work.dependencies import LateDependent, Work

# API field name -> KrEvaluation attribute, in the order a reader meets them.
KEY_RESULT_FIELDS: dict[str, str] = {
    "id": "key_result_id",
    "title": "title",
    "kind": "kind",
    "owner": "owner",
    "weight": "weight",
    "metric": "metric_id",
    "metric_label": "metric_label",
    "filters": "filters",
    "direction": "direction",
    "window": "window",
    "window_start": "window_start",
    "window_end": "window_end",
    "total_target": "total_target",
    "start": "start",
    "target": "target",
    "rule": "rule",
    "threshold": "threshold",
    "unit": "unit",
    "current": "current",
    "progress": "progress",
    "expected": "expected",
    "status": "status",
    "status_reason": "status_reason",
    "forecast": "forecast",
    "forecast_low": "forecast_low",
    "forecast_high": "forecast_high",
    "probability": "probability",
    "probability_basis": "probability_basis",
    "probability_low": "probability_low",
    "probability_high": "probability_high",
    "confidence": "confidence",
    "confidence_gap": "confidence_gap",
    "gap_flagged": "gap_flagged",
    "met": "met",
    "days_in_breach": "days_in_breach",
    "done": "done",
    "grade": "grade",
}


def _plain(value: Any) -> Any:
    """A value JSON can carry: dates as ISO text, non-finite numbers as null."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def key_result_json(kr: KrEvaluation) -> dict[str, Any]:
    """One key result's definition and evaluation; with little history the probability is only
    given as its range (never a confident number)."""
    found = {name: _plain(getattr(kr, attribute)) for name, attribute in KEY_RESULT_FIELDS.items()}
    if kr.probability_basis == "little_history":
        found["probability"] = None
    return found


def quality_json(quality: ForecastQuality) -> dict[str, Any]:
    """The forecast backtest as the API returns it."""
    score = quality.calibrated
    return {
        "periods": list(quality.periods),
        "forecasts": score.n,
        "brier": _plain(score.brier),
        "base_rate_brier": _plain(score.base_rate_brier),
        "raw_brier": _plain(quality.raw.brier),
        "bins": [
            {
                "low": b.low,
                "high": b.high,
                "stated": b.stated,
                "hit_rate": b.hit_rate,
                "forecasts": b.n,
            }
            for b in score.bins
        ],
        "by_kind": [
            {
                "kind": kind,
                "forecasts": s.n,
                "brier": _plain(s.brier),
                "base_rate_brier": _plain(s.base_rate_brier),
            }
            for kind, s in quality.by_kind.items()
        ],
    }


def objective_json(objective: ObjectiveEvaluation) -> dict[str, Any]:
    """One objective, rolled up, with its key results."""
    return {
        "id": objective.objective_id,
        "title": objective.title,
        "description": objective.description,
        "owner": objective.owner,
        "parent_id": objective.parent_id,
        "weight": _plain(objective.weight),
        "progress": _plain(objective.progress),
        "expected": _plain(objective.expected),
        "status": objective.status,
        "status_reason": objective.status_reason,
        "grade": _plain(objective.grade),
        "key_results": [key_result_json(kr) for kr in objective.key_results],
        "parents": [
            {"id": p.objective_id, "title": p.title, "period": p.period} for p in objective.parents
        ],
        "contributions": [
            {
                "key_result_id": c.key_result_id,
                "title": c.title,
                "objective_id": c.objective_id,
                "weight": c.weight,
                "progress": _plain(c.progress),
                "status": c.status,
            }
            for c in objective.contributions
        ],
    }


def period_json(evaluation: PeriodEvaluation) -> dict[str, Any]:
    """A quarter's evaluation: its days, whether it is closed, and every objective."""
    return {
        "period": evaluation.period,
        "first_day": evaluation.first_day.isoformat(),
        "last_day": evaluation.last_day.isoformat(),
        "as_of": evaluation.as_of.isoformat(),
        "elapsed_days": evaluation.elapsed_days,
        "total_days": evaluation.total_days,
        "closed": evaluation.closed,
        "closed_at": _plain(evaluation.closed_at),
        "objectives": [objective_json(o) for o in evaluation.objectives],
    }


def _work_json(work: Work) -> dict[str, Any]:
    return {
        "id": work.id,
        "title": work.title,
        "status": work.status,
        "start": _plain(work.start),
        "end": _plain(work.end),
    }


def dependencies_json(
    edges: Sequence[tuple[int, int]], work: Mapping[int, Work], late: Sequence[LateDependent]
) -> dict[str, Any]:
    """Every dependency between initiatives, blocker first, with the late ones flagged."""
    flagged = {(pair.blocker.id, pair.dependent.id) for pair in late}
    return {
        "dependencies": [
            {
                "blocker": _work_json(work[blocker]),
                "blocked": _work_json(work[blocked]),
                "late": (blocker, blocked) in flagged,
            }
            for blocker, blocked in sorted(edges)
            if blocker in work and blocked in work
        ]
    }
