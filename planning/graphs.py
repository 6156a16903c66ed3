"""Directed graphs of ids, as pairs (from, to): finding the loop that one more edge would close.

Used wherever a link between two things of the same kind must never go round in a circle: an
initiative waiting on another (planning.work.dependencies), an objective aligned to a parent
(planning.okrs.alignment).
"""

from __future__ import annotations

from collections.abc import Iterable

Edge = tuple[int, int]  # (from_id, to_id)


def onward(edges: Iterable[Edge]) -> dict[int, list[int]]:
    """Each id's onward neighbours: {from: [to, ...]}."""
    out: dict[int, list[int]] = {}
    for start, end in edges:
        out.setdefault(start, []).append(end)
    return out


def find_loop(edges: Iterable[Edge], start_id: int, end_id: int) -> list[int] | None:
    """The loop that adding the edge start → end would close, as ids from start round to itself
    ([A, B, C, A]: A → B → C → A), the shortest one; or None when it closes none."""
    if start_id == end_id:
        return [start_id, start_id]
    following = onward(edges)
    came_from: dict[int, int] = {end_id: end_id}
    queue = [end_id]
    for node in queue:  # breadth first: the shortest loop is the one named
        for nxt in sorted(following.get(node, ())):
            if nxt in came_from:
                continue
            came_from[nxt] = node
            if nxt == start_id:
                path = [start_id]
                while path[-1] != end_id:
                    path.append(came_from[path[-1]])
                return [start_id, *reversed(path)]
            queue.append(nxt)
    return None
