"""The words of an OKR evaluation: why a key result or objective stands where it does, a key
result's values as people read them, and the rows the command line prints."""

from __future__ import annotations

import math
from typing import Any

from planning import i18n
from planning.formatting import format_count, format_value
from planning.i18n import N_, ngettext
from planning.i18n import gettext as _
from planning.okrs.evaluation_results import NO_DATA_YET, KrEvaluation, PeriodEvaluation
from planning.okrs.maths import GuardrailResult, Status

NOT_COMPUTABLE = N_("no value: the data hold numbers too large to compute with")


def guardrail_reason(
    rule: str | None,
    result: GuardrailResult,
    status: Status,
    probability: float | None,
    days_of_data: int,
    too_early_days: int,
    denominator: float | None,
    min_denominator: float,
) -> str:
    """Why a guardrail stands where it does, in the words the Goals page shows."""
    if result.met is None:
        return _(NO_DATA_YET)
    days = result.days_in_breach
    breach_days = ngettext(
        "in breach on {count} day so far", "in breach on {count} days so far", days
    ).format(count=days)
    above = rule == "stay_above"
    past = (
        _("the window value is below the threshold")
        if above
        else _("the window value is above the threshold")
    )
    if status == Status.too_early:
        early = metric_reason(
            status, days_of_data, too_early_days, denominator, min_denominator, 0.0
        )
        return early + ("" if result.met else f"; {past}")
    if not result.met:
        return f"{past}; {breach_days}"
    if status == Status.at_risk and probability is not None:
        return _("holds, but only a {chance} chance it still holds at the end").format(
            chance=_whole_percent(probability)
        )
    if days:
        return _("holds; was {breach}").format(breach=breach_days)
    return _("holds")


def _whole_percent(value: float) -> str:
    """A chance as a whole percentage: '15%' in English as always, '15 %' in German."""
    if i18n.english_formats():
        return f"{value:.0%}"
    return i18n.percent_text(value, decimals=0)


def _amount(value: float) -> str:
    """A denominator as a whole number, thousands separated in the team's format."""
    return format_count(round(value))


def metric_reason(
    status: Status,
    days_of_data: int,
    too_early_days: int,
    denominator: float | None,
    min_denominator: float,
    current: float | None,
) -> str:
    """Why a metric key result has no status yet ("" once it has one)."""
    if status != Status.too_early:
        return ""
    if current is None:
        return _(NO_DATA_YET)
    if days_of_data < too_early_days:
        return _("{days} of {needed} days of data so far").format(
            days=days_of_data, needed=too_early_days
        )
    if denominator is not None and denominator < min_denominator:
        return _("only {found} in the denominator, below the {needed} needed").format(
            found=_amount(denominator), needed=_amount(min_denominator)
        )
    return ""


def milestone_reason(*, done: bool, over: bool, confidence: int | None) -> str:
    """Why a milestone stands where it does: done, not done by the quarter's end, or its owner's
    last confidence (none yet)."""
    if done:
        return _("done")
    if over:
        return _("not done by the end")
    if confidence is None:
        return _("no check-in yet")
    return _("owner's confidence {confidence}/10").format(confidence=confidence)


def manual_reason(*, status: Status | None, elapsed: int, too_early_days: int) -> str:
    """Why a manual key result has no status yet: no value checked in (status None), or too few
    days into the quarter; "" once it has one."""
    if status is None:
        return _("no check-in with a value yet")
    if status == Status.too_early:
        return _("{days} of {needed} days into the quarter").format(
            days=elapsed, needed=too_early_days
        )
    return ""


def objective_reason(worst: tuple[str, str] | None) -> str:
    """Why an objective stands where it does: its worst key result behind pace, e.g. "Refunds is
    off track"; "" when none is."""
    if worst is None:
        return ""
    title, status = worst
    if status == "off_track":
        return _("{title} is off track").format(title=title)
    if status == "at_risk":
        return _("{title} is at risk").format(title=title)
    return _("{title} is {status}").format(title=title, status=status.replace("_", " "))


def format_kr_value(kr: KrEvaluation, value: float | None, *, currency_symbol: str = "$") -> str:
    """A key result's value as people read it: the metric's format, or the manual unit."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kr.kind == "manual" or not kr.metric_id:
        if not i18n.english_formats():
            return f"{i18n.decimal_text(float(f'{value:.6g}'), decimals=6)} {kr.unit}".rstrip()
        return f"{value:,.6g} {kr.unit}".rstrip()
    return format_value(value, kr.value_format, currency_symbol=currency_symbol)


def report_rows(evaluation: PeriodEvaluation) -> list[dict[str, Any]]:
    """One JSON-ready mapping per key result, objective by objective (what the CLI prints)."""
    rows: list[dict[str, Any]] = []
    for objective in evaluation.objectives:
        for kr in objective.key_results:
            row: dict[str, Any] = {
                "objective": objective.title,
                "key_result": kr.title,
                "key_result_id": kr.key_result_id,
                "kind": kr.kind,
                "owner": kr.owner,
                "weight": kr.weight,
                "current": kr.current,
                "progress": kr.progress,
                "expected": kr.expected,
                "status": kr.status,
                "status_reason": kr.status_reason,
                "forecast": kr.forecast,
                "forecast_low": kr.forecast_low,
                "forecast_high": kr.forecast_high,
                "probability": kr.probability,
                "confidence": kr.confidence,
                "confidence_gap": kr.confidence_gap,
                "gap_flagged": kr.gap_flagged,
            }
            if kr.kind == "metric":
                row.update(
                    metric=kr.metric_id,
                    filters=kr.filters,
                    window=kr.window,
                    direction=kr.direction,
                    total_target=kr.total_target,
                    start=kr.start,
                    target=kr.target,
                )
            elif kr.kind == "guardrail":
                row.update(
                    metric=kr.metric_id,
                    filters=kr.filters,
                    window=kr.window,
                    rule=kr.rule,
                    threshold=kr.threshold,
                    start=None,
                    target=kr.threshold,
                    met=kr.met,
                    days_in_breach=kr.days_in_breach,
                )
            elif kr.kind == "manual":
                row.update(direction=kr.direction, start=kr.start, target=kr.target, unit=kr.unit)
            else:
                row["done"] = kr.done
            if evaluation.closed:
                row.update(
                    grade=kr.grade,
                    suggested_grade=kr.suggested_grade,
                    grade_reason=kr.grade_reason,
                )
            rows.append(row)
    return rows
