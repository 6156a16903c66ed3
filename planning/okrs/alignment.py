"""Alignment with more than one parent, and key results that count towards several objectives.

Rules (README "Goals: OKRs on live metrics", Alignment):

- An objective aligns to any number of parent objectives, of its own quarter or another (a team
  objective of a quarter under a company objective of the year's first quarter, say). Its first
  parent is ``objective.parent_id`` (the one quarter drafting carries forward); the others are
  rows of ``objective_alignment``. An objective cannot be its own parent, name a parent twice, or
  close a loop: "“A” aligns to “B” aligns to “A”" is refused with the loop named.
- A key result counts towards its own objective with its own weight (1 unless set), and may also
  count towards other objectives of the same quarter, each with a contribution weight above 0 and
  at most ``MAX_WEIGHT``. Those objectives' progress and status then take it in with that weight
  (planning.okrs.evaluation_rollup ``roll_up_objective``).
- Only directors change alignment; every change is audited; bad input (unknown objective or key
  result, itself, a loop, a weight out of range, the same link twice, a closed or archived
  objective) is refused with every reason and nothing is written.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from planning.access.permissions import Actor, require_director
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.okrs.alignment_reads import alignment_loops, parents_of
from planning.okrs.goal_reads import objectives_by_id
from planning.okrs.goal_rules import GoalError, goal_for_update, refuse_if_closed
from planning.store.audit import (
    record_changed,
    record_created,
    record_deleted,
    snapshot,
)
from planning.store.models import KeyResult, Objective
from planning.store.models_alignment import KrContribution, ObjectiveAlignment

MAX_WEIGHT = 10.0  # a contribution's weight: above 0 and at most this
ALIGNMENT = "objective_alignment"
CONTRIBUTION = "kr_contribution"


@dataclass(frozen=True)
class AlignmentChange:
    """What a save of alignment links changed."""

    added: int
    removed: int
    changed: int = 0


def _label(objective: Objective) -> str:
    return f"“{objective.title}” ({objective.period})"


def set_objective_parents(
    *, session: Session, actor: Actor, objective_id: int, parent_ids: Sequence[int]
) -> AlignmentChange:
    """Make an objective align to exactly these parents, the first one first (directors only)."""
    require_director(actor, N_("change how objectives align"))
    objective = goal_for_update(session, Objective, objective_id)
    refuse_if_closed(session, objective.period)
    wanted = [int(p) for p in parent_ids]
    problems: list[str] = []
    if objective_id in wanted:
        problems.append(_("An objective cannot be its own parent."))
    repeated = sorted({p for p in wanted if wanted.count(p) > 1})
    problems += [_("Parent objective {id} is named more than once.").format(id=p) for p in repeated]
    found = objectives_by_id(session=session, ids=wanted)
    for pid in dict.fromkeys(wanted):
        parent = found.get(pid)
        if parent is None:
            problems.append(_("The parent objective {id} does not exist.").format(id=pid))
        elif parent.archived and pid not in _current(session, objective):
            problems.append(
                _("{objective} is archived; it cannot take new objectives.").format(
                    objective=_label(parent)
                )
            )
    if problems:
        raise GoalError(problems)
    problems = alignment_loops(session=session, objective_id=objective_id, parent_ids=wanted)
    if problems:
        raise GoalError(problems)
    first = wanted[0] if wanted else None
    changed = 0
    if objective.parent_id != first:
        before = snapshot(objective)
        objective.parent_id = first
        objective.version += 1
        _save(session, actor, "objective", objective, before)
        changed = 1
    rows = {
        r.parent_id: r
        for r in session.exec(
            select(ObjectiveAlignment).where(ObjectiveAlignment.objective_id == objective_id)
        ).all()
    }
    further = set(wanted[1:])
    removed = [r for pid, r in rows.items() if pid not in further]
    for row in removed:
        _delete(session, actor, ALIGNMENT, row)
    added = [pid for pid in wanted[1:] if pid not in rows]
    for pid in added:
        link = ObjectiveAlignment(objective_id=objective_id, parent_id=pid, created_by=actor.id)
        record_created(session=session, actor=actor, entity=ALIGNMENT, record=link)
    return AlignmentChange(added=len(added), removed=len(removed), changed=changed)


def _current(session: Session, objective: Objective) -> list[int]:
    assert objective.id is not None
    return parents_of(session=session, objective_ids=[objective.id]).get(objective.id, [])


def _save(
    session: Session,
    actor: Actor,
    entity: str,
    row: Objective | KrContribution,
    before: dict[str, Any] | None,
) -> None:
    record_changed(
        session=session, actor=actor, entity=entity, record=row, action="update", before=before
    )


def _delete(
    session: Session, actor: Actor, entity: str, row: KrContribution | ObjectiveAlignment
) -> None:
    record_deleted(session=session, actor=actor, entity=entity, record=row)


def weight_problem(weight: object, where: str) -> str | None:
    """Why a contribution weight cannot be used, if so: a number above 0 and at most MAX_WEIGHT."""
    number = isinstance(weight, int | float) and not isinstance(weight, bool)
    if not number or not math.isfinite(float(weight)):  # type: ignore[arg-type]
        return _("{where}: the weight must be a number, got {value}.").format(
            where=where, value=repr(weight)
        )
    if not 0 < float(weight) <= MAX_WEIGHT:  # type: ignore[arg-type]
        return _("{where}: the weight must be above 0 and at most {most}, got {value}.").format(
            where=where, most=f"{MAX_WEIGHT:g}", value=f"{weight:g}"
        )
    return None


def set_kr_contributions(
    *,
    session: Session,
    actor: Actor,
    key_result_id: int,
    contributions: Sequence[tuple[int, float]],
) -> AlignmentChange:
    """Make a key result count towards exactly these other objectives, as (objective id, weight)
    pairs, besides its own (directors only)."""
    require_director(actor, N_("change which objectives a key result counts towards"))
    kr = goal_for_update(session, KeyResult, key_result_id)
    own = session.get(Objective, kr.objective_id)
    assert own is not None
    refuse_if_closed(session, own.period)
    problems: list[str] = []
    if kr.archived and contributions:
        problems.append(
            _("Key result “{title}” is archived; restore it first.").format(title=kr.title)
        )
    ids = [int(oid) for oid, _weight in contributions]
    found = objectives_by_id(session=session, ids=ids)
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    problems += [_("Objective {id} is named more than once.").format(id=i) for i in repeated]
    for oid, weight in contributions:
        target = found.get(int(oid))
        if target is None:
            problems.append(_("Objective {id} does not exist.").format(id=oid))
            continue
        where = _("Towards {objective}").format(objective=_label(target))
        if target.id == kr.objective_id:
            problems.append(
                _("{where}: it is the key result's own objective, where it counts already.").format(
                    where=where
                )
            )
        elif target.period != own.period:
            problems.append(
                _(
                    "{where}: a key result counts only towards objectives of its own quarter "
                    "({quarter})."
                ).format(where=where, quarter=own.period)
            )
        elif target.archived:
            problems.append(_("{where}: that objective is archived.").format(where=where))
        problem = weight_problem(weight, where)
        if problem:
            problems.append(problem)
    if problems:
        raise GoalError(problems)
    wanted = {int(oid): float(w) for oid, w in contributions}
    rows = {
        r.objective_id: r
        for r in session.exec(
            select(KrContribution).where(KrContribution.key_result_id == key_result_id)
        ).all()
    }
    removed = [r for oid, r in rows.items() if oid not in wanted]
    for row in removed:
        _delete(session, actor, CONTRIBUTION, row)
    changed = 0
    for oid, weight in wanted.items():
        kept = rows.get(oid)
        if kept is None:
            continue
        if kept.weight != weight:
            before = snapshot(kept)
            kept.weight = weight
            _save(session, actor, CONTRIBUTION, kept, before)
            changed += 1
    added = [oid for oid in wanted if oid not in rows]
    for oid in added:
        link = KrContribution(
            key_result_id=key_result_id, objective_id=oid, weight=wanted[oid], created_by=actor.id
        )
        record_created(session=session, actor=actor, entity=CONTRIBUTION, record=link)
    return AlignmentChange(added=len(added), removed=len(removed), changed=changed)
