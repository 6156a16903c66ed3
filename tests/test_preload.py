"""Start-up's settling of the garbage collector (ui/preload.py), which the server and the bench's
cold page process both run after loading the pages' modules."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ui.preload import YOUNG_COLLECTION_THRESHOLD, map_module_files, settle_collector


@pytest.fixture
def collector() -> Iterator[None]:
    """Put the collector back as it was: other tests run in this process."""
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_settling_sets_the_loaded_objects_aside_and_collects_young_objects_less_often(
    collector: None,
) -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    loaded = [object() for _ in range(10)]
    settle_collector()
    assert gc.get_freeze_count() >= len(loaded)
    assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, 10, 10)


def test_settling_never_makes_collections_more_frequent(collector: None) -> None:
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD * 2, 10, 10)
    settle_collector()
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD * 2


def test_start_up_maps_the_loaded_modules_to_their_files_for_streamlits_stack_check() -> None:
    import inspect
    import os

    import altair

    map_module_files()
    # What the first element drawn would otherwise work out on the first visitor's time.
    for module in (altair, pytest, inspect):
        path = os.path.realpath(inspect.getabsfile(module))
        assert inspect.modulesbyfile.get(path) == module.__name__
