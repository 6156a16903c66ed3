"""Named drafts ("scenarios") of a week's plan (planning.work.scenarios).

A scenario holds only the changes a director tries out, one entry per initiative, each with the
initiative's version when the change was made; nothing in it touches the initiatives until it is
committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from planning.store.models import utcnow


class PlanScenarioBase(SQLModel):
    week: str = Field(max_length=8, index=True)  # ISO week, e.g. 2026-W48
    name: str = Field(max_length=80)
    # One entry per changed initiative: {"initiative_id", "base_version", "fields": {...}}.
    changes: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class PlanScenario(PlanScenarioBase, table=True):
    __tablename__ = "plan_scenario"
    __table_args__ = (UniqueConstraint("week", "name", name="uq_plan_scenario_week_name"),)
    id: int | None = Field(default=None, primary_key=True)
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)


class PlanScenarioCreate(SQLModel):
    week: str
    name: str


class PlanScenarioUpdate(SQLModel):
    name: str | None = None
    changes: list[dict[str, Any]] | None = None


class PlanScenarioRead(PlanScenarioBase):
    id: int
    created_by: int
    created_at: datetime
    updated_at: datetime
    version: int
