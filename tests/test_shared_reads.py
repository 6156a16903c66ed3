"""A shared read (ui.state.shared_read) hands every page the one cached result without unpickling
it; a page that changes what it got must not change what the next page reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import streamlit as st

from planning.store.models import PersonRead, Role
from ui.state import shared_read


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_a_page_that_edits_a_frame_leaves_the_next_read_unchanged() -> None:
    calls: list[int] = []

    @shared_read(ttl=60, max_entries=4)
    def backlog(version: int) -> pd.DataFrame:
        calls.append(version)
        return pd.DataFrame({"title": ["Checkout", "Search"], "score": [8.0, 5.0]})

    first = backlog(1)
    first.loc[0, "title"] = "<script>changed</script>"
    first["score"] = first["score"] * 10
    first["extra"] = "added by a page"
    first.sort_values("score", ascending=True, inplace=True)
    first.drop(index=1, inplace=True)
    with pytest.raises(ValueError, match="read-only"):
        first["score"].to_numpy()[0] = -1.0  # the data itself refuses writes

    again = backlog(1)
    assert calls == [1]  # the second read came from the cache, not the store
    assert again.to_dict(orient="list") == {"title": ["Checkout", "Search"], "score": [8.0, 5.0]}


def test_arrays_refuse_writes_and_models_are_copies() -> None:
    @shared_read(ttl=60, max_entries=4)
    def read(version: int) -> tuple[np.ndarray, PersonRead]:
        person = PersonRead(id=1, version=1, name="Ana", email="ana@example.com", role=Role.member)
        return np.array([1.0, 2.0]), person

    numbers, person = read(1)
    with pytest.raises(ValueError, match="read-only"):
        numbers[0] = 99.0
    person.name = "Mallory"
    numbers, person = read(1)
    assert numbers.tolist() == [1.0, 2.0] and person.name == "Ana"


def test_a_read_that_returns_a_list_is_refused() -> None:
    @shared_read(ttl=60, max_entries=4)
    def entries(version: int) -> list[str]:
        return ["a", "b"]

    with pytest.raises(TypeError, match="return a tuple"):
        entries(1)


@dataclass(frozen=True)
class Entry:
    title: str
    lift: float


def test_thousands_of_records_pass_as_they_are_and_a_frame_among_them_is_still_a_copy() -> None:
    @shared_read(ttl=60, max_entries=4)
    def ledger(version: int) -> tuple[Entry, ...]:
        return tuple(Entry(title=f"Initiative {i}", lift=i / 100) for i in range(5_000))

    @shared_read(ttl=60, max_entries=4)
    def mixed(version: int) -> tuple[Entry, pd.DataFrame]:
        return Entry(title="Checkout", lift=0.1), pd.DataFrame({"score": [8.0]})

    assert ledger(1) is ledger(1)  # nothing to protect: the cached tuple itself, not rebuilt
    entry, frame = mixed(1)
    frame.loc[0, "score"] = -1.0
    assert mixed(1)[1]["score"].tolist() == [8.0] and mixed(1)[0] is entry
