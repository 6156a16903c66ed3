"""Reading alignment: every objective's parents (its first, ``parent_id``, then the further ones of
``objective_alignment``), the key results contributing to objectives other than their own, and the
loop a new parent would close. Set-based: one query per kind of link, whatever the quarter's size.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from planning.graphs import Edge, find_loop
from planning.i18n import gettext as _
from planning.store.models import Objective
from planning.store.models_alignment import KrContribution, ObjectiveAlignment


@dataclass(frozen=True)
class ContributionLink:
    """A key result counting towards an objective other than its own, with a weight."""

    key_result_id: int
    objective_id: int
    weight: float


def alignment_edges(*, session: Session) -> list[Edge]:
    """Every (objective, parent) pair in the store, first parents and further ones alike."""
    firsts = session.exec(
        select(Objective.id, Objective.parent_id).where(col(Objective.parent_id).is_not(None))
    ).all()
    more = session.exec(select(ObjectiveAlignment.objective_id, ObjectiveAlignment.parent_id)).all()
    return [(int(o), int(p)) for o, p in firsts if o is not None and p is not None] + [
        (int(o), int(p)) for o, p in more
    ]


def parents_of(*, session: Session, objective_ids: Collection[int]) -> dict[int, list[int]]:
    """Each objective's parents, its first parent first then the others in the order added."""
    if not objective_ids:
        return {}
    out: dict[int, list[int]] = {}
    ids = list(objective_ids)
    for oid, parent in session.exec(
        select(Objective.id, Objective.parent_id).where(col(Objective.id).in_(ids))
    ).all():
        if oid is not None and parent is not None:
            out.setdefault(oid, []).append(parent)
    for oid, parent in session.exec(
        select(ObjectiveAlignment.objective_id, ObjectiveAlignment.parent_id)
        .where(col(ObjectiveAlignment.objective_id).in_(ids))
        .order_by(col(ObjectiveAlignment.id))
    ).all():
        out.setdefault(oid, []).append(parent)
    return out


def contributions(
    *,
    session: Session,
    key_result_ids: Collection[int] | None = None,
    objective_ids: Collection[int] | None = None,
) -> list[ContributionLink]:
    """Contributions of the given key results, or to the given objectives (all when neither)."""
    query = select(KrContribution).order_by(col(KrContribution.id))
    if key_result_ids is not None:
        if not key_result_ids:
            return []
        query = query.where(col(KrContribution.key_result_id).in_(list(key_result_ids)))
    if objective_ids is not None:
        if not objective_ids:
            return []
        query = query.where(col(KrContribution.objective_id).in_(list(objective_ids)))
    return [
        ContributionLink(
            key_result_id=c.key_result_id, objective_id=c.objective_id, weight=c.weight
        )
        for c in session.exec(query).all()
    ]


def objective_titles(*, session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Objectives' titles by id, in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.exec(select(Objective.id, Objective.title).where(col(Objective.id).in_(wanted)))
    return {int(i): t for i, t in rows.all() if i is not None}


def loop_text(loop: Sequence[int], titles: Mapping[int, str]) -> str:
    """A loop of objective ids as a reader says it: "A aligns to B aligns to A"."""
    return (" " + _("aligns to") + " ").join(
        _("“{title}”").format(title=titles[i] if i in titles else _("objective {id}").format(id=i))
        for i in loop
    )


def alignment_loops(*, session: Session, objective_id: int, parent_ids: Sequence[int]) -> list[str]:
    """The loops that giving an objective exactly these parents would close, each named."""
    graph = [e for e in alignment_edges(session=session) if e[0] != objective_id]
    loops: list[list[int]] = []
    for parent in parent_ids:
        loop = find_loop(graph, objective_id, parent)
        if loop is not None:
            loops.append(loop)
            continue
        graph.append((objective_id, parent))
    titles = objective_titles(session=session, ids={i for loop in loops for i in loop})
    return [
        _("The alignment would loop: {loop}.").format(loop=loop_text(loop, titles))
        for loop in loops
    ]
