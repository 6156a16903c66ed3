"""Suggested confidence from calibration: each open initiative's confidence input set from how
well its lift estimator's past predictions landed (planning.impact.ledger calibration).

Rules:

- **Who gets a suggestion.** An open initiative whose expected lift was set by an estimator with
  at least one landed (met or beat) or missed prediction; inconclusive ones alone say nothing.
- **Which frameworks.** Only one with an input named ``confidence``.
- **The value.** The estimator's suggested confidence (0–1) put on the input's scale with
  impact.confidence_on_scale, rounded to two decimals (0.6 on a 1–10 range is 6.4; on RICE's
  1.0 / 0.8 / 0.5 scale it is 0.5).
- **Only what can be saved and would change.** The initiative's other inputs of the framework
  must be stored already (a framework's inputs are saved as a whole), and the suggested value
  must differ from the stored confidence (a missing one always differs).
- **Applying** goes through initiatives.update_initiative one initiative at a time in the
  caller's transaction, so only a director can do it, every change is audited and versioned,
  and a stale suggestion (the initiative changed since it was read) is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from planning.access.permissions import Actor, require_director
from planning.config import AppConfig
from planning.config.scoring import Framework
from planning.impact.ledger import Calibration, confidence_on_scale
from planning.store.models import Initiative
from planning.validation import InputError, is_number
from planning.work.backlog import BacklogEntry, framework_or_error
from planning.work.initiatives import update_initiative

CONFIDENCE = "confidence"
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Suggestion:
    """A confidence to set on one initiative, from its estimator's calibration."""

    initiative_id: int
    title: str
    estimator: str
    current: float | None  # the stored confidence, None when not scored yet
    suggested: float
    version: int  # the initiative's version the suggestion was read at


def suggested_confidences(
    backlog_rows: Iterable[BacklogEntry],
    calibrations: Mapping[int, Calibration],
    framework: Framework,
    *,
    framework_id: str,
) -> list[Suggestion]:
    """A confidence suggestion for each open initiative whose estimator has a track record."""
    spec = framework.inputs.get(CONFIDENCE)
    if spec is None:
        return []
    others = [name for name in framework.inputs if name != CONFIDENCE]
    out = []
    for row in backlog_rows:
        record = calibrations.get(row.lift_estimator_id) if row.lift_estimator_id else None
        if record is None or record.landed + record.missed == 0:
            continue
        stored = row.scores.get(framework_id) or {}
        if not all(is_number(stored.get(name)) for name in others):
            continue
        suggested = round(confidence_on_scale(record.suggested_confidence, spec), 2)
        raw: Any = stored.get(CONFIDENCE)
        current = float(raw) if is_number(raw) else None
        if current is not None and abs(current - suggested) <= TOLERANCE:
            continue
        out.append(
            Suggestion(
                initiative_id=row.id,
                title=row.title,
                estimator=record.person,
                current=current,
                suggested=suggested,
                version=row.version,
            )
        )
    return out


def apply_suggested_confidences(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    framework_id: str,
    suggestions: Sequence[Suggestion],
) -> int:
    """Set each suggested confidence in the caller's session; the number of initiatives changed.

    Only a director applies them. Any refusal (bad framework, an initiative changed since the
    suggestion was read) raises, and the caller's transaction must roll back.
    """
    require_director(actor, "apply suggested confidences")
    framework = framework_or_error(config, framework_id)
    if CONFIDENCE not in framework.inputs:
        raise InputError([f"{framework.label} has no confidence input to set"])
    changed = 0
    for suggestion in suggestions:
        initiative = session.get(Initiative, suggestion.initiative_id)
        stored = dict((initiative.scores or {}).get(framework_id) or {}) if initiative else {}
        saved = update_initiative(
            session=session,
            actor=actor,
            config=config,
            initiative_id=suggestion.initiative_id,
            expected_version=suggestion.version,
            changes={"scores": {framework_id: {**stored, CONFIDENCE: suggestion.suggested}}},
        )
        changed += saved.version != suggestion.version
    return changed
