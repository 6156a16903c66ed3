"""Rolling key results up to their objective (DESIGN.md §4); planning.okrs.evaluation_rules
evaluates each key result.

An objective's progress is the weighted mean of its key results' progress clamped to [0, 1] (its
own key results with their own weights, and key results of other objectives contributing to it
with the contribution's weight, planning.okrs.alignment); its expected pace is the weighted mean
of the same key results' expected progress; its status is that progress against that pace with a
key result's margins (``objective_status``), too early while every key result is. The worst key
result behind pace is named as the status's reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from planning.config.settings import OkrSettings
from planning.okrs.evaluation_results import (
    Contribution,
    KrEvaluation,
    ObjectiveEvaluation,
    ParentLink,
)
from planning.okrs.evaluation_text import objective_reason
from planning.okrs.maths import objective_progress, objective_status, worst_key_result


def roll_up_objective(
    *,
    objective_id: int,
    period: str,
    title: str,
    description: str,
    owner_id: int,
    owner: str,
    parent_id: int | None,
    parent_title: str | None,
    weight: float,
    key_results: Sequence[KrEvaluation],
    okr: OkrSettings,
    contributions: Sequence[Contribution] = (),
    parents: Sequence[ParentLink] = (),
) -> ObjectiveEvaluation:
    """An objective's progress (weighted mean, clamped), pace, status and its reason, over its own
    key results (their own weights) and those of other objectives contributing to it (with the
    contribution's weight)."""
    counts: list[KrEvaluation | Contribution] = [*key_results, *contributions]
    progress = objective_progress([(kr.progress, kr.weight) for kr in counts])
    # The pace is taken over the key results the progress counts, so the two compare like for like.
    counted = [kr for kr in counts if kr.progress is not None and math.isfinite(kr.progress)]
    paced = [(kr.expected, kr.weight) for kr in counted or counts if kr.expected is not None]
    expected = objective_progress(paced) if paced else None
    status = objective_status(
        progress=progress, expected=expected, statuses=[kr.status for kr in counts], okr=okr
    )
    reason = objective_reason(worst_key_result((kr.title, kr.status) for kr in counts))
    return ObjectiveEvaluation(
        objective_id=objective_id,
        period=period,
        title=title,
        description=description,
        owner_id=owner_id,
        owner=owner,
        parent_id=parent_id,
        parent_title=parent_title,
        weight=weight,
        progress=progress,
        expected=expected,
        status=status.value,
        key_results=tuple(key_results),
        status_reason=reason,
        parents=tuple(parents),
        contributions=tuple(contributions),
    )
