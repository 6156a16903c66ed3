"""A small team, helpers to write observations, and the next quarter's draft from the demo
store, for the goals, OKR evaluation and quarter drafting tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

from planning.config import default_config
from planning.config.metrics import MetricsConfig
from planning.metrics.engine import metric_value
from planning.metrics.observations import dims_key, upsert_observations
from planning.okrs.quarter_draft import QuarterDraft, copy_unfinished
from planning.store.engine import read_engine, session_scope
from planning.store.models import AuditEvent, KeyResult, Person, PersonRead, Role
from tests.planning_seed import count

# The demo store as of 31 Dec 2026 (new_quarter_engine): the quarter it closes, the one it drafts.
OLD, NEW = "2026-Q4", "2027-Q1"


@dataclass(frozen=True)
class Team:
    """The people the goal tests act as."""

    director: PersonRead
    priya: PersonRead  # member who owns key results
    tom: PersonRead  # another member
    helen: PersonRead  # stakeholder
    gone: PersonRead  # inactive member


def make_team(engine: Engine) -> Team:
    """Add a director, two members, a stakeholder and an inactive member."""
    specs = {
        "director": ("Maya Lindqvist", "maya@example.com", Role.director, True),
        "priya": ("Priya Raman", "priya@example.com", Role.member, True),
        "tom": ("Tom Okafor", "tom@example.com", Role.member, True),
        "helen": ("Helen Carter", "helen@example.com", Role.stakeholder, True),
        "gone": ("Old Hand", "gone@example.com", Role.member, False),
    }
    people: dict[str, PersonRead] = {}
    with session_scope(engine) as session:
        rows = {}
        for key, (name, email, role, active) in specs.items():
            person = Person(name=name, email=email, role=role, active=active)
            session.add(person)
            rows[key] = person
        session.flush()
        people = {key: PersonRead.model_validate(row) for key, row in rows.items()}
    return Team(**people)


Row = tuple[str, date, Mapping[str, str], float]


def write_observations(engine: Engine, rows: Iterable[Row]) -> None:
    """Upsert (measure, day, dimensions, value) rows into the store."""
    frame = pd.DataFrame(
        [
            {"measure": m, "day": d, "dims_key": dims_key(dict(dims)), "value": float(v)}
            for m, d, dims, v in rows
        ],
        columns=["measure", "day", "dims_key", "value"],
    )
    with session_scope(engine) as session:
        upsert_observations(connection=session.connection(), frame=frame)


def measured(
    session: Session, metrics: MetricsConfig, kr: KeyResult, start: date, end: date
) -> float | None:
    """A metric key result's value over start..end, under its own filters."""
    assert kr.metric_id is not None
    window: dict[str, Any] = {"start": start, "end": end, "filters": kr.filters}
    return metric_value(session=session, config=metrics, metric_id=kr.metric_id, **window)


def audit_count(engine: Engine) -> int:
    """Audit events recorded so far."""
    return count(engine, AuditEvent)


def snapshot_rows(engine: Engine, model: type[SQLModel]) -> list[dict[str, Any]]:
    """Every row of a table as a dict, for before/after comparisons."""
    with Session(read_engine(engine)) as session:
        return [row.model_dump() for row in session.execute(select(model)).scalars().all()]


def first_with_role(session: Session, role: Role) -> Person:
    """The store's first person with this role, to act inside `session`."""
    found = session.execute(select(Person).where(Person.role == role)).scalars().first()
    assert found is not None
    return found


def draft_next_quarter(
    engine: Engine,
    *,
    preview: bool,
    role: Role = Role.director,
    previewed: QuarterDraft | None = None,
) -> QuarterDraft:
    """Copy OLD's unfinished goals into NEW as the first person with `role` (the write checked
    against `previewed` when given)."""
    with session_scope(engine) as session:
        return copy_unfinished(
            session=session,
            actor=first_with_role(session, role),
            config=default_config(),
            from_period=OLD,
            to_period=NEW,
            preview=preview,
            previewed=previewed,
        )
