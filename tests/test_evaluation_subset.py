"""A few objectives of a quarter evaluated alone (the Roadmap's page of lanes) come back exactly as
the whole quarter's evaluation has them: their own key results, those of other objectives that
count towards them, their parents, live or frozen at the quarter's close."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from planning.config import AppConfig
from planning.okrs.alignment import set_kr_contributions, set_objective_parents
from planning.okrs.evaluation import period_goals
from planning.okrs.quarter_close import close_quarter
from planning.store.engine import read_engine, session_scope
from planning.store.models import KeyResult, Objective, Person, Role

TODAY = date(2026, 11, 26)
PERIOD = "2026-Q4"


def _linked(engine: Engine) -> tuple[int, int]:
    """Make the quarter's last objective's first key result count towards its first objective,
    and the first a child of the second; return (the first objective, the one helping it)."""
    with session_scope(engine) as session:
        director = session.exec(select(Person).where(Person.role == Role.director)).first()
        assert director is not None
        ids = session.exec(
            select(Objective.id)
            .where(Objective.period == PERIOD, Objective.archived == False)  # noqa: E712
            .order_by(col(Objective.id))
        ).all()
        helped, helping = int(ids[0]), int(ids[-1])
        kr = session.exec(
            select(KeyResult.id)
            .where(KeyResult.objective_id == helping, KeyResult.archived == False)  # noqa: E712
            .order_by(col(KeyResult.id))
        ).first()
        assert kr is not None
        set_kr_contributions(
            session=session, actor=director, key_result_id=kr, contributions=[(helped, 2.0)]
        )
        set_objective_parents(
            session=session, actor=director, objective_id=helped, parent_ids=[int(ids[1])]
        )
    return helped, helping


def test_each_objective_alone_is_as_the_whole_quarter_has_it(
    demo_engine: Engine, config: AppConfig
) -> None:
    helped, helping = _linked(demo_engine)
    with Session(read_engine(demo_engine)) as session:
        whole = period_goals(session=session, config=config, period=PERIOD, today=TODAY)
        by_id = {o.objective_id: o for o in whole.objectives}
        assert by_id[helped].contributions, "a key result of another objective counts here"
        assert by_id[helped].parents
        for objective_id, expected in by_id.items():
            alone = period_goals(
                session=session,
                config=config,
                period=PERIOD,
                today=TODAY,
                objective_ids=[objective_id],
            )
            assert alone.objectives == (expected,)
            assert (alone.as_of, alone.elapsed_days) == (whole.as_of, whole.elapsed_days)
        pair = period_goals(
            session=session,
            config=config,
            period=PERIOD,
            today=TODAY,
            objective_ids=[helping, helped, 10**9],
        )
    assert pair.objectives == (by_id[helped], by_id[helping])  # the quarter's order; unknown ids
    # are none of its objectives


def test_a_closed_quarter_gives_the_frozen_objectives_asked_for(
    demo_engine: Engine, config: AppConfig
) -> None:
    _linked(demo_engine)
    with session_scope(demo_engine) as session:
        director = session.exec(select(Person).where(Person.role == Role.director)).first()
        assert director is not None
        close_quarter(session=session, actor=director, config=config, period=PERIOD, as_of=TODAY)
    with Session(read_engine(demo_engine)) as session:
        whole = period_goals(session=session, config=config, period=PERIOD, today=TODAY)
        assert whole.closed and len(whole.objectives) > 2
        last = whole.objectives[-1]
        alone = period_goals(
            session=session,
            config=config,
            period=PERIOD,
            today=TODAY,
            objective_ids=[last.objective_id],
        )
    assert alone.closed and alone.objectives == (last,)
    assert alone.closed_at == whole.closed_at
