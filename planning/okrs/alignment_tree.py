"""A quarter's alignment as a tree a person reads top-down: each objective under every parent it
aligns to in the quarter, and under each objective the key results of other objectives that count
towards it, with their weights. Pure: built from an evaluated quarter, no store reads.

Objectives whose parents are all in other quarters (or that have none) are the tree's roots; such
a parent is named on the objective's line. An objective with two parents in the quarter appears
under both, its second appearance saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from planning.okrs.evaluation_results import ObjectiveEvaluation, PeriodEvaluation


@dataclass(frozen=True)
class TreeLine:
    """One line of the tree: an objective, or a key result contributing to the one above."""

    depth: int
    kind: str  # "objective" or "contribution"
    title: str
    status: str
    progress: float | None
    owner: str = ""
    weight: float | None = None  # a contribution's weight
    source: str = ""  # a contribution: the key result's own objective
    elsewhere: tuple[str, ...] = ()  # parents in other quarters, as "title (quarter)"
    also_under: tuple[str, ...] = ()  # the objective's other parents in the quarter


def alignment_tree(evaluation: PeriodEvaluation) -> list[TreeLine]:
    """The quarter's objectives as an indented tree, parents first, in the quarter's order."""
    objectives = {o.objective_id: o for o in evaluation.objectives}
    children: dict[int, list[int]] = {}
    for o in evaluation.objectives:
        for parent in o.parents:
            if parent.objective_id in objectives:
                children.setdefault(parent.objective_id, []).append(o.objective_id)
    roots = [
        o.objective_id
        for o in evaluation.objectives
        if not any(p.objective_id in objectives for p in o.parents)
    ]
    lines: list[TreeLine] = []

    def visit(oid: int, depth: int, under: int | None, trail: frozenset[int]) -> None:
        objective = objectives[oid]
        lines.append(_objective_line(objective, depth, under, objectives))
        for c in objective.contributions:
            lines.append(
                TreeLine(
                    depth=depth + 1,
                    kind="contribution",
                    title=c.title,
                    status=c.status,
                    progress=c.progress,
                    weight=c.weight,
                    source=c.objective_title,
                )
            )
        for child in children.get(oid, []):
            if child not in trail:  # loops are refused when written; never follow one
                visit(child, depth + 1, oid, trail | {child})

    for root in roots:
        visit(root, 0, None, frozenset({root}))
    return lines


def _objective_line(
    objective: ObjectiveEvaluation,
    depth: int,
    under: int | None,
    objectives: dict[int, ObjectiveEvaluation],
) -> TreeLine:
    elsewhere = tuple(
        f"{p.title} ({p.period})" for p in objective.parents if p.objective_id not in objectives
    )
    also = tuple(
        objectives[p.objective_id].title
        for p in objective.parents
        if p.objective_id in objectives and p.objective_id != under
    )
    return TreeLine(
        depth=depth,
        kind="objective",
        title=objective.title,
        status=objective.status,
        progress=objective.progress,
        owner=objective.owner,
        elsewhere=elsewhere,
        also_under=also,
    )
