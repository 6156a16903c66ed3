"""Which key results an initiative's edit form links it to: the form offers only key results that
can still be linked (not archived); links it cannot show are kept as they are, so saving the form
never drops a link to an archived key result by accident."""

from __future__ import annotations

from collections.abc import Collection, Sequence


def links_after_edit(
    *, stored: Sequence[int], offered: Collection[int], picked: Sequence[int]
) -> list[int] | None:
    """The full new set of linked key results after an edit, or None when nothing changed.

    `stored` are the links the initiative has, `offered` the key results the form could show and
    `picked` those left ticked. Stored links the form could not show (archived key results) are
    always kept. Example: stored [3, 7] where 7 is archived, offered {3, 5}, picked [5] gives
    [5, 7]; picked [3] gives None (no change).
    """
    shown = [k for k in stored if k in offered]
    if sorted(picked) == sorted(shown):
        return None
    hidden = [k for k in stored if k not in offered]
    return [*dict.fromkeys([*picked, *hidden])]
