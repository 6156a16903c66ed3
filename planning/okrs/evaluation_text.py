"""The words of an OKR evaluation: why a key result or objective stands where it does, a key
result's values as people read them, and the rows the command line prints."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from planning import i18n
from planning.formatting import format_count, format_value, format_whole_percent
from planning.i18n import N_, ngettext
from planning.i18n import gettext as _
from planning.okrs.evaluation_results import (
    FILTER_GONE,
    METRIC_GONE,
    NO_DATA_YET,
    KrEvaluation,
    PeriodEvaluation,
)
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
            chance=format_whole_percent(probability)
        )
    if days:
        return _("holds; was {breach}").format(breach=breach_days)
    return _("holds")


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


# --- a reason in the reader's language ---------------------------------------------------------
# A quarter is frozen at its close with its reasons in English: `reason_text` reads each part back
# through the shapes above and writes it in this run's language with the words a live quarter
# uses, figures in the team's format, so a closed quarter's reasons read in German too.

_SAME_WORDS: tuple[str, ...] = (
    NO_DATA_YET,
    NOT_COMPUTABLE,
    N_("the window value is below the threshold"),
    N_("the window value is above the threshold"),
    N_("holds"),
    N_("done"),
    N_("not done by the end"),
    N_("no check-in yet"),
    N_("no check-in with a value yet"),
)
_BEHIND: dict[str, str] = {
    "off track": N_("{title} is off track"),
    "at risk": N_("{title} is at risk"),
}


def _count(text: str) -> str:
    """A count as the reason wrote it (1,234), in the team's format."""
    return format_count(int(text.replace(",", "")))


def _breach(found: re.Match[str]) -> str:
    days = int(found["days"].replace(",", ""))
    if found["was"]:
        words = ngettext(
            "was in breach on {days} day so far", "was in breach on {days} days so far", days
        )
        return words.format(days=format_count(days))
    words = ngettext("in breach on {count} day so far", "in breach on {count} days so far", days)
    return words.format(count=format_count(days))


def _behind(title: str, status: str) -> str:
    return _(_BEHIND[status]).format(title=title)


def _chance(found: re.Match[str]) -> str:
    chance = found["chance"]
    if not i18n.english_formats():
        chance = i18n.percent_text(int(chance.rstrip("%")) / 100, decimals=0)
    return _("holds, but only a {chance} chance it still holds at the end").format(chance=chance)


_METRIC_PROBLEMS = tuple(
    (i18n.sentence_pattern(sentence, {"name": ".+?"}), sentence)
    for sentence in (METRIC_GONE, FILTER_GONE)
)


def _metric_problem(problem: str) -> str:
    """Why a key result's metric cannot be read (kept in English) in this run's language."""
    for shape, sentence in _METRIC_PROBLEMS:
        found = shape.fullmatch(problem)
        if found is not None:
            return _(sentence).format(**found.groupdict())
    return problem


_SHAPES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(?P<was>was )?in breach on (?P<days>[\d,]+) days? so far"), _breach),
    (re.compile(r"holds, but only a (?P<chance>\d+%) chance it still holds at the end"), _chance),
    (
        re.compile(r"(?P<days>[\d,]+) of (?P<needed>[\d,]+) days of data so far"),
        lambda m: _("{days} of {needed} days of data so far").format(
            days=_count(m["days"]), needed=_count(m["needed"])
        ),
    ),
    (
        re.compile(
            r"only (?P<have>[\d,]+) in the denominator, below the (?P<needed>[\d,]+) needed"
        ),
        lambda m: _("only {found} in the denominator, below the {needed} needed").format(
            found=_count(m["have"]), needed=_count(m["needed"])
        ),
    ),
    (
        re.compile(r"owner's confidence (?P<confidence>\d+)/10"),
        lambda m: _("owner's confidence {confidence}/10").format(confidence=m["confidence"]),
    ),
    (
        re.compile(r"(?P<elapsed>[\d,]+) of (?P<total>[\d,]+) days into the quarter"),
        lambda m: _("{days} of {needed} days into the quarter").format(
            days=_count(m["elapsed"]), needed=_count(m["total"])
        ),
    ),
    (
        re.compile(r"cannot be read: (?P<problem>.+)", re.DOTALL),
        lambda m: _("cannot be read: {problem}").format(problem=_metric_problem(m["problem"])),
    ),
    (
        re.compile(r"(?P<title>.+) is (?P<status>off track|at risk)", re.DOTALL),
        lambda m: _behind(m["title"], m["status"]),
    ),
)


def _part_text(part: str) -> str:
    if part in _SAME_WORDS:
        return _(part)
    for shape, words in _SHAPES:
        found = shape.fullmatch(part)
        if found is not None:
            return words(found)
    return part  # not a reason's shape (a title, a problem): as written


def reason_text(reason: str) -> str:
    """A key result's or objective's status reason (as evaluated, in English) in this run's
    language; English reads it unchanged."""
    if not reason or i18n.language() == i18n.SOURCE_LANGUAGE:
        return reason
    return "; ".join(_part_text(part) for part in reason.split("; "))


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
            if kr.kind in ("metric", "guardrail"):
                row.update(metric=kr.metric_id, filters=kr.filters, window=kr.window)
            if kr.kind == "metric":
                row.update(
                    direction=kr.direction,
                    total_target=kr.total_target,
                    start=kr.start,
                    target=kr.target,
                )
            elif kr.kind == "guardrail":
                row.update(
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
