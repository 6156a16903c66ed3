"""Tables that make changes recoverable: the trash (deleted objectives, key results and
initiatives with every row that hung on them, kept for 30 days) and the record of each save of
the weekly planning table (what each row held before and after, so the last save can be undone).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from planning.store.models import utcnow


class TrashItem(SQLModel, table=True):
    """One deleted objective, key result or initiative: its row and the rows linked to it, as
    they were, until it is restored or its purge day comes."""

    __tablename__ = "trash_item"
    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=20)  # objective, key_result, initiative
    entity_id: int
    title: str = Field(max_length=200)
    trashed_by: int | None = Field(default=None, foreign_key="person.id")
    trashed_at: datetime = Field(default_factory=utcnow, index=True)
    purge_on: date  # the first day it is gone for good
    # [{"table": name, "row": {column: value}}], parents before children
    rows: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # [{"table": name, "key": {pk column: value}, "column": name, "value": old value}]: references
    # to the deleted rows that were emptied (a decision's initiative, a child objective's parent)
    cleared: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class TrashItemRead(SQLModel):
    """A trash item as the Trash view lists it."""

    id: int
    entity: str
    entity_id: int
    title: str
    trashed_by: int | None
    trashed_at: datetime
    purge_on: date


class PlanningSave(SQLModel, table=True):
    """One save of the weekly planning table: per changed initiative, the fields the save
    changed as they were before and after it, and the version it left."""

    __tablename__ = "planning_save"
    id: int | None = Field(default=None, primary_key=True)
    saved_by: int | None = Field(default=None, foreign_key="person.id")
    saved_at: datetime = Field(default_factory=utcnow, index=True)
    # [{"initiative_id", "title", "version", "before": {...}, "after": {...}}]
    rows: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    undone_at: datetime | None = None
    undone_by: int | None = Field(default=None, foreign_key="person.id")
