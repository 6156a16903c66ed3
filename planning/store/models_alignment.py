"""Alignment tables: an objective's further parents, and key results counting towards objectives
other than their own, with a weight (planning.okrs.alignment)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from planning.store.models import utcnow


class ObjectiveAlignment(SQLModel, table=True):
    """An objective aligned to one more parent objective, besides its first (``parent_id``)."""

    __tablename__ = "objective_alignment"
    __table_args__ = (UniqueConstraint("objective_id", "parent_id", name="uq_alignment_pair"),)
    id: int | None = Field(default=None, primary_key=True)
    objective_id: int = Field(foreign_key="objective.id", index=True)
    parent_id: int = Field(foreign_key="objective.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class KrContribution(SQLModel, table=True):
    """A key result that also counts towards another objective of its quarter, with a weight."""

    __tablename__ = "kr_contribution"
    __table_args__ = (
        UniqueConstraint("key_result_id", "objective_id", name="uq_contribution_pair"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key_result_id: int = Field(foreign_key="key_result.id", index=True)
    objective_id: int = Field(foreign_key="objective.id", index=True)
    weight: float = Field(default=1.0, gt=0)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
