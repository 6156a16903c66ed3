"""The store's core tables, one SQLModel family per entity (Base, table, Create, Update, Read):
people and time off, objectives, key results, check-ins and quarter closes, initiatives and their
links, status updates, weekly plans, decisions, the audit trail and the data-version counters.

The other tables live by concept in ``models_<concept>.py`` (access, metrics, notify, and any new
one); ``planning.store.tables`` imports them all, so ``SQLModel.metadata`` holds every table.

Records that two people may edit at once carry a `version` column; writers compare it to the
version they read and refuse to overwrite a newer one (optimistic versioning).
Timestamps are timezone-aware and stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from planning import clock


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC: every timestamp is stored as UTC."""
    return clock.utcnow()


class Role(StrEnum):
    director = "director"
    member = "member"
    stakeholder = "stakeholder"


class KrKind(StrEnum):
    metric = "metric"
    guardrail = "guardrail"
    milestone = "milestone"
    manual = "manual"


class Direction(StrEnum):
    increase = "increase"
    decrease = "decrease"


class GuardrailRule(StrEnum):
    stay_above = "stay_above"
    stay_below = "stay_below"


class Window(StrEnum):
    period_to_date = "period_to_date"
    trailing_7d = "trailing_7d"
    trailing_28d = "trailing_28d"


class InitiativeStatus(StrEnum):
    idea = "idea"
    planned = "planned"
    in_progress = "in_progress"
    blocked = "blocked"
    done = "done"
    dropped = "dropped"


class Health(StrEnum):
    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"


# --- people ------------------------------------------------------------------------------------


class PersonBase(SQLModel):
    name: str = Field(max_length=120)
    email: str = Field(max_length=254)
    role: Role = Role.member
    title: str = Field(default="", max_length=120)
    weekly_hours: float = Field(default=40.0, ge=0, le=168)
    bau_share: float = Field(default=0.3, ge=0, le=1)
    active: bool = True


class Person(PersonBase, table=True):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("email", name="uq_person_email"),)
    id: int | None = Field(default=None, primary_key=True)
    password_hash: str | None = Field(default=None, max_length=255)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)


class PersonCreate(PersonBase):
    pass


class PersonUpdate(SQLModel):
    name: str | None = None
    email: str | None = None
    role: Role | None = None
    title: str | None = None
    weekly_hours: float | None = None
    bau_share: float | None = None
    active: bool | None = None


class PersonRead(PersonBase):
    id: int
    version: int


class TimeOffBase(SQLModel):
    person_id: int = Field(foreign_key="person.id", index=True)
    start_date: date
    end_date: date
    note: str = Field(default="", max_length=200)


class TimeOff(TimeOffBase, table=True):
    __tablename__ = "time_off"
    id: int | None = Field(default=None, primary_key=True)


class TimeOffRead(TimeOffBase):
    id: int


# --- goals -------------------------------------------------------------------------------------


class ObjectiveBase(SQLModel):
    period: str = Field(max_length=7, index=True)  # e.g. 2026-Q4
    title: str = Field(max_length=200)
    description: str = Field(default="")
    owner_id: int = Field(foreign_key="person.id")
    parent_id: int | None = Field(default=None, foreign_key="objective.id")
    weight: float = Field(default=1.0, ge=0)


class Objective(ObjectiveBase, table=True):
    __tablename__ = "objective"
    id: int | None = Field(default=None, primary_key=True)
    archived: bool = False
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)


class ObjectiveCreate(ObjectiveBase):
    pass


class ObjectiveUpdate(SQLModel):
    title: str | None = None
    description: str | None = None
    owner_id: int | None = None
    parent_id: int | None = None
    weight: float | None = None
    archived: bool | None = None


class ObjectiveRead(ObjectiveBase):
    id: int
    archived: bool
    version: int


class KeyResultBase(SQLModel):
    objective_id: int = Field(foreign_key="objective.id", index=True)
    title: str = Field(max_length=200)
    owner_id: int = Field(foreign_key="person.id")
    weight: float = Field(default=1.0, ge=0)
    kind: KrKind = KrKind.metric
    metric_id: str | None = Field(default=None, max_length=64)
    filters: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    direction: Direction | None = None
    start_value: float | None = None
    target_value: float | None = None
    window: Window = Window.period_to_date
    total_target: bool = False  # an additive metric whose target is a total for the window
    guardrail_rule: GuardrailRule | None = None
    threshold: float | None = None
    unit: str = Field(default="", max_length=20)


class KeyResult(KeyResultBase, table=True):
    __tablename__ = "key_result"
    id: int | None = Field(default=None, primary_key=True)
    done: bool = False  # milestone KRs
    archived: bool = False
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)


class KeyResultCreate(KeyResultBase):
    pass


class KeyResultUpdate(SQLModel):
    title: str | None = None
    owner_id: int | None = None
    weight: float | None = None
    metric_id: str | None = None
    filters: dict[str, str] | None = None
    direction: Direction | None = None
    start_value: float | None = None
    target_value: float | None = None
    window: Window | None = None
    total_target: bool | None = None
    guardrail_rule: GuardrailRule | None = None
    threshold: float | None = None
    unit: str | None = None
    archived: bool | None = None


class KeyResultRead(KeyResultBase):
    id: int
    done: bool
    archived: bool
    version: int


class CheckInBase(SQLModel):
    key_result_id: int = Field(foreign_key="key_result.id", index=True)
    confidence: int = Field(ge=0, le=10)
    note: str = Field(min_length=1)
    value: float | None = None  # manual KRs
    done: bool | None = None  # milestone KRs


class CheckIn(CheckInBase, table=True):
    __tablename__ = "check_in"
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, index=True)


class CheckInRead(CheckInBase):
    id: int
    author_id: int
    created_at: datetime


class PeriodClose(SQLModel, table=True):
    """A closed quarter: who closed it, when, and its objectives as they stood (frozen)."""

    __tablename__ = "period_close"
    __table_args__ = (UniqueConstraint("period", name="uq_period_close_period"),)
    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7)
    as_of: date  # the last day of data the frozen values were computed through
    note: str = Field(default="")
    closed_by: int = Field(foreign_key="person.id")
    closed_at: datetime = Field(default_factory=utcnow)
    # Each objective as evaluated at close, with its grade: plain JSON, never recomputed.
    objectives: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class KrGrade(SQLModel, table=True):
    """A key result's grade at its quarter's close, beside its values frozen at that moment."""

    __tablename__ = "kr_grade"
    __table_args__ = (
        UniqueConstraint("period_close_id", "key_result_id", name="uq_kr_grade_close_kr"),
    )
    id: int | None = Field(default=None, primary_key=True)
    period_close_id: int = Field(foreign_key="period_close.id", index=True)
    key_result_id: int = Field(foreign_key="key_result.id")
    objective_id: int = Field(foreign_key="objective.id")
    suggested: float  # clamp(progress, 0, 1) rounded to 0.1
    grade: float  # the suggestion, or the director's override
    reason: str = Field(default="")  # why the grade differs from the suggestion
    evaluation: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1)


# --- initiatives -------------------------------------------------------------------------------


class InitiativeBase(SQLModel):
    title: str = Field(max_length=200)
    description: str = Field(default="")
    owner_id: int = Field(foreign_key="person.id", index=True)
    status: InitiativeStatus = InitiativeStatus.idea
    health: Health = Health.on_track
    start_date: date | None = None
    target_date: date | None = None
    shipped_date: date | None = None
    effort_weeks: float = Field(default=1.0, ge=0)
    percent_complete: int = Field(default=0, ge=0, le=100)
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    lift_metric: str | None = Field(default=None, max_length=64)
    lift_pct: float | None = None  # expected relative lift, 0.08 = +8 %
    lift_estimator_id: int | None = Field(default=None, foreign_key="person.id")
    # Where the lift should be measured ({"device": "mobile"}); empty: the metric over everything.
    lift_filters: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )


class Initiative(InitiativeBase, table=True):
    __tablename__ = "initiative"
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class InitiativeRead(InitiativeBase):
    id: int
    version: int
    created_at: datetime
    updated_at: datetime


class InitiativeKeyResult(SQLModel, table=True):
    """Which KRs an initiative is expected to move."""

    __tablename__ = "initiative_key_result"
    initiative_id: int = Field(foreign_key="initiative.id", primary_key=True)
    key_result_id: int = Field(foreign_key="key_result.id", primary_key=True, index=True)


class InitiativeDependency(SQLModel, table=True):
    """One initiative waits on another: `blocker_id` blocks `blocked_id`
    (planning.work.dependencies)."""

    __tablename__ = "initiative_dependency"
    __table_args__ = (UniqueConstraint("blocker_id", "blocked_id", name="uq_dependency_pair"),)
    id: int | None = Field(default=None, primary_key=True)
    blocker_id: int = Field(foreign_key="initiative.id", index=True)
    blocked_id: int = Field(foreign_key="initiative.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class StatusUpdateBase(SQLModel):
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    status: InitiativeStatus
    health: Health
    percent_complete: int = Field(ge=0, le=100)
    note: str = Field(min_length=1)


class StatusUpdate(StatusUpdateBase, table=True):
    __tablename__ = "status_update"
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, index=True)


class StatusUpdateRead(StatusUpdateBase):
    id: int
    author_id: int
    created_at: datetime


# --- planning ritual ---------------------------------------------------------------------------


class WeeklyPlanBase(SQLModel):
    week: str = Field(max_length=8)  # ISO week, e.g. 2026-W48
    framework: str = Field(max_length=64)
    snapshot: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    note: str = Field(default="")


class WeeklyPlan(WeeklyPlanBase, table=True):
    __tablename__ = "weekly_plan"
    __table_args__ = (UniqueConstraint("week", name="uq_weekly_plan_week"),)
    id: int | None = Field(default=None, primary_key=True)
    committed_by: int = Field(foreign_key="person.id")
    committed_at: datetime = Field(default_factory=utcnow)


class WeeklyPlanRead(WeeklyPlanBase):
    id: int
    committed_by: int
    committed_at: datetime


class DecisionBase(SQLModel):
    decided_on: date
    text: str = Field(min_length=1)
    initiative_id: int | None = Field(default=None, foreign_key="initiative.id")


class Decision(DecisionBase, table=True):
    __tablename__ = "decision"
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)
    # A withdrawn decision stays in the log, marked, so the record of what was decided is kept.
    withdrawn_at: datetime | None = None
    withdrawn_by: int | None = Field(default=None, foreign_key="person.id")


class DecisionRead(DecisionBase):
    id: int
    author_id: int
    created_at: datetime
    version: int = 1
    withdrawn_at: datetime | None = None
    withdrawn_by: int | None = None


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, before and after. Every write produces one."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    action: str = Field(max_length=40)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class StoreState(SQLModel, table=True):
    """Counters bumped by writes; pages compare them to know when cached reads are stale."""

    __tablename__ = "store_state"
    key: str = Field(primary_key=True, max_length=40)
    value: int = 0
    changed_at: datetime = Field(default_factory=utcnow)
