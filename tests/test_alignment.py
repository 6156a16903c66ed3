"""Alignment with more than one parent and key results counting towards several objectives:
the director's writes (every bad input refused with its reason, nothing written), the loop named,
and the weighted roll-up (a worked example)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, select

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.okrs.alignment import set_kr_contributions, set_objective_parents
from planning.okrs.alignment_reads import contributions, parents_of
from planning.okrs.evaluation import evaluate_period
from planning.okrs.file_format import export_okr_file
from planning.okrs.file_import import import_okr_file
from planning.okrs.goal_rules import GoalError
from planning.okrs.goals import create_key_result, create_objective, post_check_in
from planning.okrs.quarter_close import close_quarter
from planning.store.engine import create_store_engine, migrate, read_engine, session_scope
from planning.store.models import Direction, KeyResultCreate, KrKind, Objective, ObjectiveCreate
from planning.store.models_alignment import KrContribution, ObjectiveAlignment
from tests.okr_seed import Team, audit_count, make_team, snapshot_rows

PERIOD = "2026-Q4"
AS_OF = date(2026, 10, 10)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Team]]:
    """One migrated store for the module: each test adds objectives of its own."""
    path: Path = tmp_path_factory.mktemp("alignment") / "store.db"
    engine = create_store_engine(f"sqlite:///{path}")
    migrate(engine)
    yield engine, make_team(engine)
    engine.dispose()


def objective(store: tuple[Engine, Team], title: str, period: str = PERIOD) -> int:
    engine, team = store
    with session_scope(engine) as session:
        made = create_objective(
            session=session,
            actor=team.director,
            objective=ObjectiveCreate(period=period, title=title, owner_id=team.priya.id),
        )
    return made.id


def manual_kr(
    store: tuple[Engine, Team], config: AppConfig, oid: int, title: str, value: float, **extra: Any
) -> int:
    """A manual key result from 0 to 100 whose owner checked in ``value``."""
    engine, team = store
    with session_scope(engine) as session:
        kr = create_key_result(
            session=session,
            actor=team.director,
            key_result=KeyResultCreate(
                objective_id=oid,
                title=title,
                owner_id=team.priya.id,
                kind=KrKind.manual,
                direction=Direction.increase,
                start_value=0.0,
                target_value=100.0,
                **extra,
            ),
            config=config.metrics,
        )
        post_check_in(
            session=session,
            actor=team.priya,
            key_result_id=kr.id,
            confidence=7,
            note="ok",
            value=value,
        )
    return kr.id


def parents(store: tuple[Engine, Team], oid: int, parent_ids: list[int]) -> None:
    engine, team = store
    with session_scope(engine) as session:
        set_objective_parents(
            session=session, actor=team.director, objective_id=oid, parent_ids=parent_ids
        )


def refused(store: tuple[Engine, Team], call: Any) -> str:
    """Run a write that must be refused; its reasons, after checking nothing was written."""
    engine, team = store
    before = (
        snapshot_rows(engine, ObjectiveAlignment),
        snapshot_rows(engine, KrContribution),
        audit_count(engine),
    )
    with pytest.raises(GoalError) as excinfo, session_scope(engine) as session:
        call(session, team.director)
    after = (
        snapshot_rows(engine, ObjectiveAlignment),
        snapshot_rows(engine, KrContribution),
        audit_count(engine),
    )
    assert after == before
    return "\n".join(excinfo.value.problems)


def test_an_objective_aligns_to_several_parents_the_first_one_first(store: Any) -> None:
    engine, _ = store
    company, brand, team_goal = (objective(store, t) for t in ("Grow", "Brand", "Checkout team"))
    earlier = objective(store, "Last year's aim", period="2026-Q1")  # another quarter is fine
    parents(store, team_goal, [brand, company, earlier])
    with Session(read_engine(engine)) as session:
        assert parents_of(session=session, objective_ids=[team_goal]) == {
            team_goal: [brand, company, earlier]
        }
    parents(store, team_goal, [company])  # back to one parent: the others are removed
    with Session(read_engine(engine)) as session:
        assert parents_of(session=session, objective_ids=[team_goal]) == {team_goal: [company]}


@pytest.mark.parametrize(
    ("language", "loop"),
    [
        (
            "en",
            "The alignment would loop: “Year” aligns to “Team” aligns to “Company” aligns to "
            "“Year”.",
        ),
        (
            "de",
            "Die Ausrichtung würde einen Kreis bilden: „Year“ ist ausgerichtet auf „Team“ ist "
            "ausgerichtet auf „Company“ ist ausgerichtet auf „Year“.",
        ),
    ],
)
def test_a_loop_is_refused_with_the_loop_named(store: Any, language: str, loop: str) -> None:
    year, company, team_goal = (objective(store, t) for t in ("Year", "Company", "Team"))
    parents(store, team_goal, [company])
    parents(store, company, [year])

    def close_the_loop(session: Session, actor: Any) -> None:
        set_objective_parents(
            session=session, actor=actor, objective_id=year, parent_ids=[team_goal]
        )

    with i18n.use_locale(language):
        text = refused(store, close_the_loop)
    assert text == loop


def test_bad_parents_list_every_reason_and_write_nothing(store: Any) -> None:
    one, two = objective(store, "One"), objective(store, "Two")

    def bad(session: Session, actor: Any) -> None:
        set_objective_parents(
            session=session, actor=actor, objective_id=one, parent_ids=[one, two, two, 99999]
        )

    text = refused(store, bad)
    assert "An objective cannot be its own parent." in text
    assert "Parent objective" in text and "is named more than once." in text
    assert "The parent objective 99999 does not exist." in text

    def unknown(session: Session, actor: Any) -> None:
        set_objective_parents(session=session, actor=actor, objective_id=99999, parent_ids=[one])

    assert "Objective 99999 does not exist." in refused(store, unknown)


def test_only_a_director_changes_alignment(store: Any, config: AppConfig) -> None:
    engine, team = store
    child, parent = objective(store, "Child"), objective(store, "Parent")
    kr = manual_kr(store, config, child, "Member count", 10)
    for person in (team.priya, team.helen):
        with pytest.raises(PermissionDenied), session_scope(engine) as session:
            set_objective_parents(
                session=session, actor=person, objective_id=child, parent_ids=[parent]
            )
        with pytest.raises(PermissionDenied), session_scope(engine) as session:
            set_kr_contributions(
                session=session, actor=person, key_result_id=kr, contributions=[(parent, 1.0)]
            )


def test_bad_contributions_list_every_reason_and_write_nothing(
    store: Any, config: AppConfig
) -> None:
    own, other, third = (
        objective(store, "Own"),
        objective(store, "Other"),
        objective(store, "Third"),
    )
    elsewhere = objective(store, "Next quarter", period="2027-Q1")
    kr = manual_kr(store, config, own, "Repeat rate", 40)

    def bad(session: Session, actor: Any) -> None:
        set_kr_contributions(
            session=session,
            actor=actor,
            key_result_id=kr,
            contributions=[(own, 1.0), (other, 0.0), (third, 11.0), (elsewhere, 1.0), (99999, 1.0)],
        )

    text = refused(store, bad)
    assert "“Own” (2026-Q4): it is the key result's own objective" in text
    assert "the weight must be above 0 and at most 10, got 0." in text
    assert "the weight must be above 0 and at most 10, got 11." in text
    assert "counts only towards objectives of its own quarter (2026-Q4)" in text
    assert "Objective 99999 does not exist." in text

    def twice(session: Session, actor: Any) -> None:
        set_kr_contributions(
            session=session,
            actor=actor,
            key_result_id=kr,
            contributions=[(other, 1.0), (other, 2.0)],
        )

    assert f"Objective {other} is named more than once." in refused(store, twice)


def test_contributions_are_set_changed_and_removed(store: Any, config: AppConfig) -> None:
    engine, team = store
    own, other = objective(store, "Mine"), objective(store, "Theirs")
    kr = manual_kr(store, config, own, "Returns handled", 40)
    with session_scope(engine) as session:
        set_kr_contributions(
            session=session, actor=team.director, key_result_id=kr, contributions=[(other, 2.0)]
        )
    with session_scope(engine) as session:
        change = set_kr_contributions(
            session=session, actor=team.director, key_result_id=kr, contributions=[(other, 0.5)]
        )
    assert (change.added, change.changed, change.removed) == (0, 1, 0)
    with Session(read_engine(engine)) as session:
        assert [c.weight for c in contributions(session=session, key_result_ids=[kr])] == [0.5]
    with session_scope(engine) as session:
        set_kr_contributions(
            session=session, actor=team.director, key_result_id=kr, contributions=[]
        )
    with Session(read_engine(engine)) as session:
        assert contributions(session=session, key_result_ids=[kr]) == []


def test_an_objective_rolls_up_its_own_and_contributing_key_results_by_weight(
    store: Any, config: AppConfig
) -> None:
    engine, team = store
    period = "2026-Q3"  # a quarter of its own, so the evaluation holds only these goals
    company = objective(store, "Customers come back", period=period)
    team_goal = objective(store, "Delight on delivery", period=period)
    parents(store, team_goal, [company])
    manual_kr(store, config, company, "Repeat buyers", 50)  # progress 0.5, weight 1
    on_time = manual_kr(store, config, team_goal, "On-time deliveries", 80, weight=2.0)  # 0.8
    manual_kr(store, config, team_goal, "Tracking page used", 20)  # 0.2, weight 1
    with session_scope(engine) as session:
        set_kr_contributions(
            session=session,
            actor=team.director,
            key_result_id=on_time,
            contributions=[(company, 3.0)],
        )
    with Session(read_engine(engine)) as session:
        evaluation = evaluate_period(
            session=session, config=config, period=period, as_of=date(2026, 8, 10)
        )
    rolled = {o.title: o for o in evaluation.objectives}
    # Company: its own KR 0.5 × 1, plus On-time deliveries 0.8 × 3 counted here:
    # (0.5·1 + 0.8·3) / (1 + 3) = 2.9 / 4 = 0.725.
    assert rolled["Customers come back"].progress == pytest.approx(0.725)
    # The team objective keeps its own roll-up: (0.8·2 + 0.2·1) / 3 = 0.6.
    assert rolled["Delight on delivery"].progress == pytest.approx(0.6)
    company_eval = rolled["Customers come back"]
    assert [(c.title, c.weight, c.objective_title) for c in company_eval.contributions] == [
        ("On-time deliveries", 3.0, "Delight on delivery")
    ]
    assert [p.title for p in rolled["Delight on delivery"].parents] == ["Customers come back"]
    # 41 of 92 days gone: expected 41/92 ≈ 0.446; 0.725 is ahead of pace.
    assert company_eval.status == "on_track"
    # Closing the quarter grades the company objective the same way: suggested grades 0.5 and
    # 0.8, so (0.5·1 + 0.8·3) / 4 = 0.725; the contribution is kept in the frozen quarter.
    with session_scope(engine) as session:
        frozen = close_quarter(
            session=session,
            actor=team.director,
            config=config,
            period=period,
            as_of=date(2026, 8, 10),
        )
    closed = {o.title: o for o in frozen.objectives}
    assert closed["Customers come back"].grade == pytest.approx(0.725)
    assert [c.title for c in closed["Customers come back"].contributions] == ["On-time deliveries"]
    assert [p.title for p in closed["Delight on delivery"].parents] == ["Customers come back"]


def test_the_okr_file_carries_alignment_and_contributions_round_trip(
    store: Any, config: AppConfig
) -> None:
    engine, team = store
    period = "2027-Q2"
    company = objective(store, "Company aim", period=period)
    earlier = objective(store, "Year aim", period="2027-Q1")
    team_goal = objective(store, "Team aim", period=period)
    parents(store, team_goal, [company, earlier])
    kr = manual_kr(store, config, team_goal, "Team measure", 30)
    with session_scope(engine) as session:
        set_kr_contributions(
            session=session, actor=team.director, key_result_id=kr, contributions=[(company, 2.5)]
        )
    with Session(read_engine(engine)) as session:
        text = export_okr_file(session=session, period=period)
    document = yaml.safe_load(text)
    team_entry = next(o for o in document["objectives"] if o["title"] == "Team aim")
    assert team_entry["aligns_to"] == ["Company aim", {"period": "2027-Q1", "title": "Year aim"}]
    assert team_entry["key_results"][0]["contributes_to"] == [
        {"objective": "Company aim", "weight": 2.5}
    ]
    # Links removed in the store come back from the file, exactly.
    parents(store, team_goal, [])
    with session_scope(engine) as session:
        set_kr_contributions(
            session=session, actor=team.director, key_result_id=kr, contributions=[]
        )
    with session_scope(engine) as session:
        result = import_okr_file(
            session=session, actor=team.director, config=config.metrics, text=text
        )
    assert result.links_changed == 2
    with Session(read_engine(engine)) as session:
        assert parents_of(session=session, objective_ids=[team_goal]) == {
            team_goal: [company, earlier]
        }
        assert [
            (c.objective_id, c.weight) for c in contributions(session=session, key_result_ids=[kr])
        ] == [(company, 2.5)]
        assert export_okr_file(session=session, period=period) == text
    with session_scope(engine) as session:  # the same file again changes nothing
        again = import_okr_file(
            session=session, actor=team.director, config=config.metrics, text=text
        )
    assert not again.changed


def test_an_okr_file_with_unknown_links_is_refused_whole(store: Any, config: AppConfig) -> None:
    engine, _ = store
    bad = """
period: 2027-Q3
objectives:
  - title: Lonely aim
    owner: priya@example.com
    aligns_to: [Nowhere, {period: 2020-Q1, title: Long gone}]
    key_results:
      - title: Measure
        kind: milestone
        contributes_to:
          - {objective: Nobody's aim, weight: 2}
          - {objective: Lonely aim, weight: 1}
          - {objective: Elsewhere, weight: 0}
"""

    def import_bad(session: Session, actor: Any) -> None:
        import_okr_file(session=session, actor=actor, config=config.metrics, text=bad)

    text = refused(store, import_bad)
    assert "parent “Nowhere” is neither in the file nor an objective of 2027-Q3." in text
    assert "parent “Long gone” is neither in the file nor an objective of 2020-Q1." in text
    assert (
        "contributes_to “Nobody's aim” is neither in the file nor an objective of 2027-Q3." in text
    )
    assert "contributes_to “Lonely aim” is its own objective" in text
    assert "contributes_to “Elsewhere”: the weight must be above 0 and at most 10, got 0" in text
    with Session(read_engine(engine)) as session:
        assert not list(session.exec(select(Objective).where(Objective.period == "2027-Q3")))
