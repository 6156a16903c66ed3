"""What evaluating a quarter's OKRs returns: each key result as it stands, each objective rolled
up, and the quarter, live or as frozen at its close (with their JSON copies and frames)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from typing import Any

import pandas as pd

from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.completeness import PartialDay

NO_DATA_YET = N_("no data yet in this window")  # why a metric key result has no value
# Why a key result's metric can no longer be read (metrics.yaml changed); a closed quarter keeps
# them in English, to be read in the reader's language.
METRIC_GONE = N_("metric {metric} is not in metrics.yaml")
FILTER_GONE = N_("the filter {name} = {value} no longer applies to {metric}")


@dataclass(frozen=True)
class KrEvaluation:
    """One key result as it stands: its definition, values, pace, status and forecast."""

    key_result_id: int
    objective_id: int
    title: str
    kind: str
    owner_id: int
    owner: str
    weight: float
    metric_id: str | None
    metric_label: str
    value_format: str  # number, money, percent or decimal
    filters: dict[str, str]
    direction: str | None
    window: str
    total_target: bool
    start: float | None
    target: float | None
    rule: str | None
    threshold: float | None
    unit: str
    window_start: date | None
    window_end: date | None
    current: float | None
    progress: float | None  # raw: above 1 is overachievement, below 0 is worse than the start
    expected: float | None
    status: str
    status_reason: str
    days_of_data: int
    denominator: float | None
    min_denominator: float | None
    forecast: float | None
    forecast_low: float | None  # 80 % band
    forecast_high: float | None
    probability: float | None
    confidence: int | None  # the last check-in's, 0–10
    confidence_at: datetime | None
    confidence_gap: float | None  # confidence / 10 − probability
    gap_flagged: bool
    met: bool | None  # guardrails
    days_in_breach: int | None
    done: bool | None  # milestones
    suggested_grade: float | None = None  # set once the quarter is closed
    grade: float | None = None
    grade_reason: str = ""
    grade_version: int | None = None
    # How far the probability can be trusted (planning.okrs.backtest): "calibrated" when the
    # metric has enough past quarters to be backtested, "little_history" when it has not; then
    # the probability is only shown as the range probability_low to probability_high.
    probability_basis: str = ""
    probability_low: float | None = None
    probability_high: float | None = None

    @property
    def probability_text(self) -> str:
        """The probability as shown: a percentage, or with little history a range ("40–70 %",
        little history) or "not enough history"; "" without a forecast."""
        if self.probability is None:
            return ""
        if self.probability_basis != "little_history":
            return f"{round(self.probability * 100):.0f} %"
        low, high = self.probability_low, self.probability_high
        if low is None or high is None or round(high * 100) - round(low * 100) < 1:
            return _("not enough history")
        return _("{low}–{high} % (little history)").format(
            low=f"{low * 100:.0f}", high=f"{high * 100:.0f}"
        )

    @property
    def no_progress_reason(self) -> str:
        """Why there is no progress to show (e.g. "no data yet in this window"), shown in place
        of a percentage; "" when there is progress."""
        if self.progress is not None:
            return ""
        return self.status_reason or _(NO_DATA_YET)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready copy (dates and times as ISO text), as frozen at a quarter's close."""
        out = asdict(self)
        for name in ("window_start", "window_end", "confidence_at"):
            value = out[name]
            out[name] = value.isoformat() if value is not None else None
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KrEvaluation:
        """Rebuild an evaluation from its frozen JSON copy."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name in ("window_start", "window_end"):
            if values.get(name):
                values[name] = date.fromisoformat(values[name])
        if values.get("confidence_at"):
            values["confidence_at"] = datetime.fromisoformat(values["confidence_at"])
        values["filters"] = dict(values.get("filters") or {})
        return cls(**values)


@dataclass(frozen=True)
class ParentLink:
    """A parent an objective aligns to, of its own quarter or another."""

    objective_id: int
    title: str
    period: str


@dataclass(frozen=True)
class Contribution:
    """A key result of another objective that counts towards this one, with its weight here."""

    key_result_id: int
    title: str
    objective_id: int  # the key result's own objective
    objective_title: str
    weight: float
    progress: float | None
    expected: float | None
    status: str


@dataclass(frozen=True)
class ObjectiveEvaluation:
    """An objective with its key results, rolled up."""

    objective_id: int
    period: str
    title: str
    description: str
    owner_id: int
    owner: str
    parent_id: int | None
    parent_title: str | None
    weight: float
    progress: float | None  # weighted mean of clamped key result progress
    expected: float | None  # weighted mean of the key results' expected progress
    status: str
    key_results: tuple[KrEvaluation, ...]
    grade: float | None = None  # set once the quarter is closed
    status_reason: str = ""  # the worst key result behind pace, e.g. "Refunds is off track"
    parents: tuple[ParentLink, ...] = ()  # every parent, the first (parent_id) first
    contributions: tuple[Contribution, ...] = ()  # other objectives' key results counted here

    def to_json(self) -> dict[str, Any]:
        """The objective's own fields, JSON-ready (its key results are frozen separately)."""
        out = asdict(self)
        out.pop("key_results")
        return out

    @classmethod
    def links_from_json(
        cls, data: Mapping[str, Any]
    ) -> tuple[tuple[ParentLink, ...], tuple[Contribution, ...]]:
        """The parents and contributions of a frozen objective's JSON (none before they existed)."""
        parents = tuple(ParentLink(**p) for p in data.get("parents") or ())
        contributions = tuple(Contribution(**c) for c in data.get("contributions") or ())
        return parents, contributions


@dataclass(frozen=True)
class PeriodEvaluation:
    """A quarter's objectives and key results, live or as frozen at its close."""

    period: str
    first_day: date
    last_day: date
    as_of: date
    elapsed_days: int
    total_days: int
    objectives: tuple[ObjectiveEvaluation, ...]
    closed: bool = False
    closed_at: datetime | None = None
    closed_by: str | None = None
    close_note: str = ""
    partial_days: tuple[PartialDay, ...] = ()  # days after as_of that do not count yet

    def key_results(self) -> list[KrEvaluation]:
        """Every key result of the quarter, objective by objective."""
        return [kr for objective in self.objectives for kr in objective.key_results]

    def key_result(self, key_result_id: int) -> KrEvaluation | None:
        """One key result of the quarter by id, or None."""
        return next((k for k in self.key_results() if k.key_result_id == key_result_id), None)

    def frame(self) -> pd.DataFrame:
        """One row per key result with its objective's title first."""
        rows = []
        for objective in self.objectives:
            for kr in objective.key_results:
                rows.append({"objective": objective.title, **asdict(kr)})
        columns = ["objective", *(f.name for f in fields(KrEvaluation))]
        return pd.DataFrame(rows, columns=columns)


def key_results_frame(evaluations: Iterable[KrEvaluation]) -> pd.DataFrame:
    """Key result evaluations as a DataFrame, one row each."""
    rows = [asdict(e) for e in evaluations]
    return pd.DataFrame(rows, columns=[f.name for f in fields(KrEvaluation)])
