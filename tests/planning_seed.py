"""A small team, quarter and store contents for the initiative and weekly-planning tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel

from planning.access.permissions import Actor
from planning.config import AppConfig
from planning.metrics.observations import dims_key, upsert_observations
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    AuditEvent,
    Decision,
    Initiative,
    InitiativeKeyResult,
    InitiativeRead,
    InitiativeStatus,
    KeyResult,
    KrKind,
    Objective,
    Person,
    PersonRead,
    Role,
    StatusUpdate,
    TimeOff,
    WeeklyPlan,
)
from planning.work.backlog import BacklogEntry
from planning.work.initiative_input import NewStatusUpdate
from planning.work.initiative_reads import get_initiative
from planning.work.initiatives import update_initiative
from planning.work.status_updates import post_status_update
from planning.work.weekly_plan import commit_weekly_plan


@dataclass(frozen=True)
class Team:
    """The seeded people, objectives and key results."""

    director: PersonRead
    ana: PersonRead  # member
    ben: PersonRead  # member
    sue: PersonRead  # stakeholder
    gone: PersonRead  # inactive member
    checkout: int  # objective id
    basket: int  # objective id
    kr_conversion: int
    kr_completion: int
    kr_aov: int
    kr_archived: int


def seed_team(engine: Engine) -> Team:
    """Five people, two objectives with three live KRs and an archived one."""
    with session_scope(engine) as session:
        people = {
            "director": Person(name="Dora Director", email="dora@x.test", role=Role.director),
            "ana": Person(name="Ana Member", email="ana@x.test", role=Role.member, bau_share=0.25),
            "ben": Person(name="Ben Member", email="ben@x.test", role=Role.member),
            "sue": Person(name="Sue Stakeholder", email="sue@x.test", role=Role.stakeholder),
            "gone": Person(name="Gus Gone", email="gus@x.test", role=Role.member, active=False),
        }
        session.add_all(people.values())
        session.flush()
        director = people["director"].id
        assert director is not None
        checkout = Objective(period="2026-Q2", title="Effortless checkout", owner_id=director)
        basket = Objective(period="2026-Q2", title="Bigger baskets", owner_id=director)
        session.add_all([checkout, basket])
        session.flush()
        assert checkout.id is not None and basket.id is not None
        krs = [
            KeyResult(objective_id=checkout.id, title="Conversion 2.1→2.4 %", owner_id=director),
            KeyResult(objective_id=checkout.id, title="Completion 45→53 %", owner_id=director),
            KeyResult(objective_id=basket.id, title="AOV $92→$100", owner_id=director),
            KeyResult(
                objective_id=basket.id,
                title="Old KR",
                owner_id=director,
                kind=KrKind.milestone,
                archived=True,
            ),
        ]
        session.add_all(krs)
        session.flush()
        reads = {k: PersonRead.model_validate(p) for k, p in people.items()}
        ids = [int(kr.id) for kr in krs if kr.id is not None]
        return Team(
            director=reads["director"],
            ana=reads["ana"],
            ben=reads["ben"],
            sue=reads["sue"],
            gone=reads["gone"],
            checkout=checkout.id,
            basket=basket.id,
            kr_conversion=ids[0],
            kr_completion=ids[1],
            kr_aov=ids[2],
            kr_archived=ids[3],
        )


def insert_initiative(session: Session, **fields: Any) -> int:
    """Insert an initiative in an open session (test set-up, no audit), returning its id."""
    initiative = Initiative(**fields)
    session.add(initiative)
    session.flush()
    assert initiative.id is not None
    return initiative.id


def add_initiative(engine: Engine, **fields: Any) -> int:
    """Insert an initiative directly (test set-up, no audit), returning its id."""
    with session_scope(engine) as session:
        return insert_initiative(session, **fields)


def add_owed_initiative(engine: Engine, team: Team, title: str = "Faster checkout") -> int:
    """An initiative Ana has in progress, so she owes its status update this week; its id."""
    return add_initiative(
        engine, title=title, owner_id=team.ana.id, status=InitiativeStatus.in_progress
    )


def edit_initiative(
    engine: Engine,
    config: AppConfig,
    actor: Actor,
    initiative_id: int,
    version: int,
    **changes: Any,
) -> None:
    """`actor` saves changes to an initiative they last saw at `version`."""
    target = {"initiative_id": initiative_id, "expected_version": version}
    with session_scope(engine) as session:
        update_initiative(session=session, actor=actor, config=config, changes=changes, **target)


def commit_plan(
    engine: Engine,
    config: AppConfig,
    actor: Actor,
    week: str,
    framework: str = "rice",
    replace: bool = False,
) -> None:
    """`actor` commits the week's plan, ranked by `framework`."""
    plan = {"week": week, "framework": framework, "replace": replace}
    with session_scope(engine) as session:
        commit_weekly_plan(session=session, actor=actor, config=config, **plan)


def seed_saved_carts(engine: Engine, update: NewStatusUpdate, **fields: Any) -> Team:
    """The seeded team and Ana's one initiative, "Saved carts", with one status update of hers."""
    team = seed_team(engine)
    initiative_id = add_initiative(engine, title="Saved carts", owner_id=team.ana.id, **fields)
    with session_scope(engine) as session:
        post_status_update(
            session=session, actor=team.ana, initiative_id=initiative_id, update=update
        )
    return team


def add_time_off(engine: Engine, person_id: int, start: date, end: date) -> None:
    """Give a person days off."""
    with session_scope(engine) as session:
        session.add(TimeOff(person_id=person_id, start_date=start, end_date=end))


def write_observations(engine: Engine, rows: list[tuple[str, date, dict[str, str], float]]) -> None:
    """Store observations (measure, day, dimensions, value) as an import would."""
    frame = pd.DataFrame(
        [(m, day, dims_key(dims), value) for m, day, dims, value in rows],
        columns=["measure", "day", "dims_key", "value"],
    )
    with engine.begin() as conn:
        upsert_observations(connection=conn, frame=frame)


def count(engine: Engine, model: type[SQLModel], *where: Any) -> int:
    """Rows in a table (those that meet every `where` condition, if any)."""
    with Session(read_engine(engine)) as session:
        query = select(func.count()).select_from(model).where(*where)
        return int(session.execute(query).scalar_one())


def initiative_row(engine: Engine, initiative_id: int) -> Initiative:
    """An initiative's row as the store holds it now."""
    with Session(read_engine(engine)) as session:
        found = session.get(Initiative, initiative_id)
        assert found is not None
        return found


def stored_initiative(engine: Engine, initiative_id: int) -> InitiativeRead:
    """An initiative as the store holds it now (one that exists)."""
    with Session(read_engine(engine)) as session:
        found = get_initiative(session=session, initiative_id=initiative_id)
    assert found is not None
    return found


def store_state(engine: Engine) -> dict[str, Any]:
    """Everything the initiative writes touch, to prove a refused write changed nothing."""
    with Session(read_engine(engine)) as session:
        initiatives = [
            i.model_dump() for i in session.scalars(select(Initiative).order_by(Initiative.id))
        ]
        links = sorted(
            (link.initiative_id, link.key_result_id)
            for link in session.scalars(select(InitiativeKeyResult))
        )
    return {
        "initiatives": initiatives,
        "links": links,
        "updates": count(engine, StatusUpdate),
        "audit": count(engine, AuditEvent),
        "decisions": count(engine, Decision),
        "plans": count(engine, WeeklyPlan),
    }


def add_blocked_members(engine: Engine, count: int) -> list[int]:
    """A director and `count` members, each member owning one blocked initiative; their ids."""
    with Session(engine) as session:
        session.add(Person(name="Dora Director", email="dora@x.test", role=Role.director))
        people = [
            Person(name=f"Member {n}", email=f"m{n}@x.test", role=Role.member) for n in range(count)
        ]
        session.add_all(people)
        session.commit()
        ids = [int(p.id or 0) for p in people]
    for person_id in ids:
        add_initiative(
            engine, title=f"Work {person_id}", owner_id=person_id, status=InitiativeStatus.blocked
        )
    return ids


def backlog_entry(
    item_id: int,
    *,
    effort: float = 2.0,
    scores: dict[str, Any] | None = None,
    title: str | None = None,
    **fields: Any,
) -> BacklogEntry:
    """An open, planned, on-track initiative of Ana's as the ranking sees it (no store)."""
    return BacklogEntry(
        id=item_id,
        title=title or f"Item {item_id}",
        owner_id=1,
        owner="Ana",
        status="planned",
        health="on_track",
        effort_weeks=effort,
        scores=scores or {},
        **fields,
    )
