"""Importing an OKR file: a clean plan (planning.okrs.file_reading) creates or updates a
quarter's objectives and key results through the audited goal writes. Objectives are matched by
(period, title) and key results by (objective, title); a match is updated in place (and restored
if it was archived), anything else is created, and what the file does not mention is left
alone. Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from planning.access.permissions import Actor, require_director
from planning.config.metrics import MetricsConfig
from planning.i18n import N_
from planning.okrs.alignment import set_kr_contributions, set_objective_parents
from planning.okrs.alignment_reads import contributions, parents_of
from planning.okrs.file_format import KR_FIELDS
from planning.okrs.file_reading import ObjectiveDraft, read_okr_file
from planning.okrs.goals import (
    create_key_result,
    create_objective,
    update_key_result,
    update_objective,
)
from planning.store.models import (
    KeyResult,
    KeyResultCreate,
    KeyResultUpdate,
    Objective,
    ObjectiveCreate,
    ObjectiveUpdate,
)


@dataclass
class OkrImportResult:
    """What an import did."""

    period: str
    objectives_created: int = 0
    objectives_updated: int = 0
    objectives_unchanged: int = 0
    key_results_created: int = 0
    key_results_updated: int = 0
    key_results_unchanged: int = 0
    links_changed: int = 0  # objectives whose parents, key results whose contributions changed

    @property
    def changed(self) -> bool:
        """Whether the import wrote anything."""
        return bool(
            self.objectives_created
            + self.objectives_updated
            + self.key_results_created
            + self.key_results_updated
            + self.links_changed
        )


def import_okr_file(
    *, session: Session, actor: Actor, config: MetricsConfig, text: str
) -> OkrImportResult:
    """Create or update a quarter's objectives and key results from an OKR file (directors only).

    The file is validated whole first; OkrFileError lists every problem and nothing is written.
    """
    require_director(actor, N_("import OKRs"))
    plan = read_okr_file(session=session, config=config, text=text)
    result = OkrImportResult(period=plan.period)
    stored: dict[str, Objective] = {
        o.title: o
        for o in session.exec(select(Objective).where(Objective.period == plan.period)).all()
    }
    ids: dict[str, int] = {}
    created: set[str] = set()
    for draft in plan.objectives:  # first every objective exists, so parents can point at it
        existing = stored.get(draft.title)
        if existing is not None and existing.id is not None:
            ids[draft.title] = existing.id
            continue
        record = create_objective(
            session=session,
            actor=actor,
            objective=ObjectiveCreate(
                period=plan.period,
                title=draft.title,
                description=draft.description,
                owner_id=draft.owner_id,
                weight=draft.weight,
            ),
        )
        ids[draft.title] = record.id
        created.add(draft.title)
        result.objectives_created += 1
    for draft in plan.objectives:
        objective = session.get(Objective, ids[draft.title])
        assert objective is not None
        wanted: dict[str, Any] = {
            "owner_id": draft.owner_id,
            "weight": draft.weight,
            "description": draft.description,
            "archived": False,
        }
        changes = {k: v for k, v in wanted.items() if getattr(objective, k) != v}
        if changes:
            update_objective(
                session=session,
                actor=actor,
                objective_id=ids[draft.title],
                expected_version=objective.version,
                changes=ObjectiveUpdate(**changes),
            )
        if draft.title not in created:
            if changes:
                result.objectives_updated += 1
            else:
                result.objectives_unchanged += 1
    for draft in plan.objectives:
        _import_parents(session, actor, plan.period, draft, ids, result)
    for draft in plan.objectives:
        _import_key_results(session, actor, config, ids[draft.title], draft, result)
    for draft in plan.objectives:
        _import_contributions(session, actor, ids, draft, result)
    return result


def _import_parents(
    session: Session,
    actor: Actor,
    period: str,
    draft: ObjectiveDraft,
    ids: dict[str, int],
    result: OkrImportResult,
) -> None:
    """Give an objective of the file exactly the parents it names, when they differ."""
    objective_id = ids[draft.title]
    wanted = [_parent_id(session, period, p, ids) for p in draft.parents]
    parent_ids = [p for p in wanted if p is not None]
    if (
        parents_of(session=session, objective_ids=[objective_id]).get(objective_id, [])
        == parent_ids
    ):
        return
    set_objective_parents(
        session=session, actor=actor, objective_id=objective_id, parent_ids=parent_ids
    )
    result.links_changed += 1


def _import_contributions(
    session: Session,
    actor: Actor,
    ids: dict[str, int],
    draft: ObjectiveDraft,
    result: OkrImportResult,
) -> None:
    """Make each key result of the file count towards exactly the objectives it names."""
    stored = {
        kr.title: kr.id
        for kr in session.exec(
            select(KeyResult).where(KeyResult.objective_id == ids[draft.title])
        ).all()
    }
    for kr in draft.key_results:
        kr_id = stored.get(kr.title)
        assert kr_id is not None, "key results are written before their contributions"
        wanted = [
            (_objective_in(session, draft, ids, title), weight)
            for title, weight in kr.contributes_to
        ]
        now = [
            (c.objective_id, c.weight)
            for c in contributions(session=session, key_result_ids=[kr_id])
        ]
        if sorted(now) == sorted(wanted):
            continue
        set_kr_contributions(
            session=session, actor=actor, key_result_id=kr_id, contributions=wanted
        )
        result.links_changed += 1


def _objective_in(session: Session, draft: ObjectiveDraft, ids: dict[str, int], title: str) -> int:
    if title in ids:
        return ids[title]
    objective = session.get(Objective, ids[draft.title])
    assert objective is not None
    found = session.exec(
        select(Objective.id).where(Objective.period == objective.period, Objective.title == title)
    ).first()
    assert found is not None, "the file was checked against the store"
    return found


def _parent_id(
    session: Session, period: str, parent: tuple[str, str] | None, ids: dict[str, int]
) -> int | None:
    if parent is None:
        return None
    parent_period, title = parent
    if parent_period == period and title in ids:
        return ids[title]
    found = session.exec(
        select(Objective.id).where(Objective.period == parent_period, Objective.title == title)
    ).first()
    return found


def _import_key_results(
    session: Session,
    actor: Actor,
    config: MetricsConfig,
    objective_id: int,
    draft: ObjectiveDraft,
    result: OkrImportResult,
) -> None:
    existing = {
        kr.title: kr
        for kr in session.exec(
            select(KeyResult).where(KeyResult.objective_id == objective_id)
        ).all()
    }
    for kr in draft.key_results:
        stored = existing.get(kr.title)
        if stored is None:
            create_key_result(
                session=session,
                actor=actor,
                key_result=KeyResultCreate(objective_id=objective_id, **kr.fields),
                config=config,
            )
            result.key_results_created += 1
            continue
        changes: dict[str, Any] = {}
        for _, name in KR_FIELDS:
            if getattr(stored, name) != kr.fields[name]:
                changes[name] = kr.fields[name]
        if stored.archived:
            changes["archived"] = False
        if not changes:
            result.key_results_unchanged += 1
            continue
        assert stored.id is not None
        update_key_result(
            session=session,
            actor=actor,
            key_result_id=stored.id,
            expected_version=stored.version,
            changes=KeyResultUpdate(**changes),
            config=config,
        )
        result.key_results_updated += 1
