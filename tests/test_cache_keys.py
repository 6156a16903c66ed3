"""Cached reads are keyed by the data versions they depend on (ui.state.depends_on), so a write
makes exactly the reads it affects fresh: after an owner's status update the thirty people at the
Monday review get the quarter's goals and the Metrics tiles from the cache, while the roadmap's
initiatives are read again (unless the update was a note alone, which the roadmap does not
draw). Counted by how often the planning functions under the reads run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, select

from planning.metrics import dashboard
from planning.okrs import evaluation
from planning.okrs.goals import post_check_in
from planning.store.engine import (
    OBSERVATIONS,
    OKRS,
    PEOPLE,
    STATE_AREAS,
    STATUS_NOTES,
    WORK,
    create_store_engine,
    data_versions,
    session_scope,
)
from planning.store.models import (
    KeyResult,
    KrKind,
    Person,
    PersonRead,
)
from planning.work import roadmap
from planning.work.roadmap import RoadmapFilters
from tests.conftest import DEMO_TODAY
from tests.store_support import post_a_late_update
from ui import data, goals_data, roadmap_data
from ui.state import narrow

PERIOD = "2026-Q4"
WINDOW = (date(2026, 11, 1), date(2026, 11, 25))


@pytest.fixture
def counted(app_store: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Counter[str]]]:
    """The demo store under the app's cached reads, with the planning reads under them counted."""
    calls: Counter[str] = Counter()

    def counting(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return func(*args, **kwargs)

        return call

    monkeypatch.setattr(evaluation, "period_goals", counting("goals", evaluation.period_goals))
    monkeypatch.setattr(dashboard, "kpi_tiles", counting("metrics", dashboard.kpi_tiles))
    monkeypatch.setattr(roadmap, "roadmap_items", counting("initiatives", roadmap.roadmap_items))
    yield app_store, calls


def _read_all(url: str) -> None:
    """What a page run reads: the store's versions, then the goals, tiles and roadmap."""
    engine = create_store_engine(url)
    current = data_versions(engine)
    engine.dispose()
    goals_data.period_goals(current, PERIOD, DEMO_TODAY)
    data.kpi_tiles(current, ("net_revenue", "orders"), *WINDOW, ())
    roadmap_data.items(current, RoadmapFilters(quarter=PERIOD), DEMO_TODAY)


def test_a_status_update_reads_the_initiatives_again_and_nothing_else(
    counted: tuple[str, Counter[str]],
) -> None:
    url, calls = counted
    _read_all(url)
    _read_all(url)  # a second visitor, nothing written: all from the cache
    assert calls == {"goals": 1, "metrics": 1, "initiatives": 1}

    engine = create_store_engine(url)
    post_a_late_update(engine, today=DEMO_TODAY)
    _read_all(url)
    _read_all(url)
    assert calls == {"goals": 1, "metrics": 1, "initiatives": 2}

    # A check-in changes the goals: they are evaluated again; the tiles still are not.
    with Session(engine) as session:
        kr = session.exec(select(KeyResult).where(KeyResult.kind == KrKind.metric)).first()
        assert kr is not None and kr.id is not None
        kr_owner = PersonRead.model_validate(session.get(Person, kr.owner_id))
    with session_scope(engine) as session:
        post_check_in(
            session=session, actor=kr_owner, key_result_id=kr.id, confidence=6, note="Steady."
        )
    engine.dispose()
    _read_all(url)
    assert calls == {"goals": 2, "metrics": 1, "initiatives": 3}


def test_a_status_note_alone_leaves_the_roadmap_and_goals_cached(
    counted: tuple[str, Counter[str]],
) -> None:
    url, calls = counted
    _read_all(url)
    engine = create_store_engine(url)
    before = data_versions(engine)
    post_a_late_update(engine, today=DEMO_TODAY, note_only=True)
    after = data_versions(engine)
    engine.dispose()
    _read_all(url)
    # Nothing the Roadmap or Goals draw changed: both stay cached, and their open pages, which
    # watch those areas alone (live_refresh(STATE_AREAS)), do not run again.
    assert calls == {"goals": 1, "metrics": 1, "initiatives": 1}
    assert narrow(after, STATE_AREAS) == narrow(before, STATE_AREAS)
    # Every page keyed by the whole of the data versions (This week's owed updates and notes,
    # the initiative's history) reads afresh.
    assert dict(after)[STATUS_NOTES] == dict(before).get(STATUS_NOTES, 0) + 1
    assert after != before


def test_versions_narrowed_to_areas_keep_only_those_and_refuse_a_wider_read() -> None:
    full = (("observations", 4), ("plan", 9), ("work", 3))
    narrowed = narrow(full, (OKRS, OBSERVATIONS))
    # An area no write has touched yet counts as 0; the plan counter is left out.
    assert dict(narrowed) == {"~narrowed": 0, "observations": 4, "okrs": 0}
    assert tuple(narrow(narrowed, (OBSERVATIONS,))) == (("~narrowed", 0), ("observations", 4))
    with pytest.raises(ValueError, match="also depends on work, people"):
        narrow(narrowed, (OKRS, WORK, PEOPLE))
