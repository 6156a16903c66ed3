"""Calibration: how well each estimator's expected lifts landed, read from the impact ledger, and
the confidence suggested from it for each open initiative's confidence input.

Rules:

- **Calibration** per estimator (the person who set the expected lift): predictions measured,
  landed (met or beat), missed and inconclusive; hit rate = landed / (landed + missed); mean
  error = mean of expected − realised over every measured prediction (positive: overestimates);
  suggested confidence = (landed + 1) / (landed + missed + 2), the hit rate shrunk toward 0.5 as
  if every estimator started with one landed and one missed prediction.
- **Who gets a suggestion.** An open initiative whose expected lift was set by an estimator with
  at least one landed (met or beat) or missed prediction; inconclusive ones alone say nothing.
- **Which frameworks.** Only one with an input named ``confidence``.
- **The value.** The estimator's suggested confidence (0–1) put on the input's scale with
  confidence_on_scale, rounded to two decimals (0.6 on a 1–10 range is 6.4; on RICE's
  1.0 / 0.8 / 0.5 scale it is 0.5).
- **Only what can be saved and would change.** The initiative's other inputs of the framework
  must be stored already (a framework's inputs are saved as a whole), and the suggested value
  must differ from the stored confidence (a missing one always differs).
- **Applying** goes through planning.work.initiatives.update_initiative one initiative at a time
  in the caller's transaction, so only a director can do it, every change is audited and
  versioned, and a stale suggestion (the initiative changed since it was read) is refused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlmodel import Session

from planning.access.permissions import Actor, require_director
from planning.config import AppConfig
from planning.config.scoring import Framework, ScoringInput
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.impact.ledger import ImpactEntry, impact_ledger
from planning.store.models import Initiative
from planning.validation import InputError, is_number
from planning.work.backlog import BacklogEntry, framework_or_error
from planning.work.initiatives import update_initiative

CONFIDENCE = "confidence"
TOLERANCE = 1e-9


# --- calibration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """How one estimator's expected lifts compare with what was realised."""

    person_id: int | None
    person: str
    predictions: int  # measured: beat, met, missed or inconclusive
    landed: int  # beat or met
    missed: int
    inconclusive: int
    waiting: int  # shipped, not measurable yet
    hit_rate: float | None  # landed / (landed + missed)
    mean_error: float | None  # mean of expected − realised; positive: overestimates
    suggested_confidence: float

    @property
    def tendency(self) -> str:
        """ "overestimates", "underestimates" or "" when the mean error is within one point."""
        if self.mean_error is None or abs(self.mean_error) < 0.01:
            return ""
        return N_("overestimates") if self.mean_error > 0 else N_("underestimates")


def suggested_confidence(landed: int, missed: int) -> float:
    """The hit rate shrunk toward 0.5: (landed + 1) / (landed + missed + 2)."""
    if landed < 0 or missed < 0:
        raise ValueError("counts of predictions cannot be negative")
    return (landed + 1) / (landed + missed + 2)


def calibration(entries: Iterable[ImpactEntry]) -> list[Calibration]:
    """Calibration per estimator, by name."""
    by_person: dict[int | None, list[ImpactEntry]] = defaultdict(list)
    for entry in entries:
        by_person[entry.estimator_id].append(entry)
    out = []
    for person_id, own in by_person.items():
        measured = [e for e in own if e.measured and e.realised_lift is not None]
        landed = sum(1 for e in measured if e.verdict in ("beat", "met"))
        missed = sum(1 for e in measured if e.verdict == "missed")
        errors = [e.expected_lift - float(e.realised_lift or 0.0) for e in measured]
        out.append(
            Calibration(
                person_id=person_id,
                person=own[0].estimator,
                predictions=len(measured),
                landed=landed,
                missed=missed,
                inconclusive=len(measured) - landed - missed,
                waiting=len(own) - len(measured),
                hit_rate=landed / (landed + missed) if landed + missed else None,
                mean_error=sum(errors) / len(errors) if errors else None,
                suggested_confidence=suggested_confidence(landed, missed),
            )
        )
    return sorted(out, key=lambda c: c.person)


def calibration_frame(calibrations: Iterable[Calibration]) -> pd.DataFrame:
    """Calibration as a table, one row per estimator."""
    columns = [
        "person_id",
        "person",
        "predictions",
        "landed",
        "missed",
        "inconclusive",
        "waiting",
        "hit_rate",
        "mean_error",
        "tendency",
        "suggested_confidence",
    ]
    rows = [{**asdict(c), "tendency": c.tendency} for c in calibrations]
    return pd.DataFrame(rows, columns=columns)


def calibration_by_person(
    *, session: Session, config: AppConfig, as_of: date | None = None
) -> dict[int, Calibration]:
    """Each estimator's calibration by person id (for scoring pages: a suggested confidence)."""
    entries = impact_ledger(session=session, config=config, as_of=as_of)
    return {c.person_id: c for c in calibration(entries) if c.person_id is not None}


def confidence_on_scale(value: float, spec: ScoringInput) -> float:
    """A 0–1 confidence as a scoring input's value: a 0–1 input takes it as is (the nearest
    allowed value on a scale), a wider range maps it linearly (0.6 on 1–10 is 6.4)."""
    if not 0 <= value <= 1:
        raise ValueError(f"a confidence is between 0 and 1, not {value}")
    if spec.scale:
        low, high = min(spec.scale), max(spec.scale)
    else:
        assert spec.minimum is not None and spec.maximum is not None
        low, high = spec.minimum, spec.maximum
    target = value if low >= 0 and high <= 1 else low + value * (high - low)
    if spec.scale:
        return min(spec.scale, key=lambda allowed: (abs(allowed - target), -allowed))
    return min(max(target, low), high)


# --- suggested confidence -------------------------------------------------------------------------


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
    require_director(actor, N_("apply suggested confidences"))
    framework = framework_or_error(config, framework_id)
    if CONFIDENCE not in framework.inputs:
        raise InputError(
            [_("{framework} has no confidence input to set").format(framework=_(framework.label))]
        )
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
