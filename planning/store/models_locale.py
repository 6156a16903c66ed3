"""Each person's language (planning.access.languages): one row per person who chose one; no row
reads the team's language (settings.yaml `locale`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from planning.store.models import utcnow


class PersonLanguage(SQLModel, table=True):
    """The language a person reads Quarterdeck in ('en', 'de')."""

    __tablename__ = "person_language"
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    language: str = Field(max_length=10)
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow)
