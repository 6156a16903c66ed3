"""Saving an initiative's edit form keeps its links to archived key results (the form cannot show
them), changes the others as ticked, and reports no change when nothing was ticked or unticked."""

from __future__ import annotations

from planning.work.initiative_links import links_after_edit


def test_a_link_to_an_archived_key_result_survives_an_edit() -> None:
    # Linked to 3 and to 7 (archived, so not offered); the form offers 3 and 5.
    assert links_after_edit(stored=[3, 7], offered={3, 5}, picked=[5]) == [5, 7]
    assert links_after_edit(stored=[3, 7], offered={3, 5}, picked=[]) == [7]
    assert links_after_edit(stored=[3, 7], offered={3, 5}, picked=[3, 5]) == [3, 5, 7]


def test_the_same_ticks_are_no_change() -> None:
    assert links_after_edit(stored=[3, 7], offered={3, 5}, picked=[3]) is None
    assert links_after_edit(stored=[], offered={3, 5}, picked=[]) is None
