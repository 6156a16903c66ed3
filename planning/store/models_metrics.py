"""The live-metrics tables: series and their dimensions, daily observations, the calendar, and
where observations came from (import batches, saved column mappings, data-source runs and their
locks) (planning.metrics, planning.sources)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from planning import clock


class ImportBatch(SQLModel, table=True):
    """One import of observations, from any path (upload, CLI, API, demo)."""

    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=40)  # cli, upload, api, demo
    filename: str = Field(default="", max_length=255)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    started_at: datetime = Field(default_factory=clock.utcnow)
    finished_at: datetime | None = None
    rows_added: int = 0
    rows_updated: int = 0
    checksum: str = Field(default="", max_length=64)
    api_token_id: int | None = Field(default=None, foreign_key="api_token.id")  # source "api"


class ColumnMapping(SQLModel, table=True):
    """A saved way to read a wide file: which column holds the date, which the dimensions and
    which the measures (the spec is planning.sources.mappings.MappingSpec as JSON)."""

    __tablename__ = "column_mapping"
    __table_args__ = (UniqueConstraint("name", name="uq_column_mapping_name"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    spec: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="person.id")  # None: command line
    created_at: datetime = Field(default_factory=clock.utcnow)
    updated_at: datetime = Field(default_factory=clock.utcnow)


class Series(SQLModel, table=True):
    """One measure at one combination of its dimension values, e.g. sessions/email/mobile."""

    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("measure", "dims_key", name="uq_series_measure_dims"),)
    id: int | None = Field(default=None, primary_key=True)
    measure: str = Field(max_length=64, index=True)
    dims_key: str = Field(default="", max_length=500)  # "channel=email|device=mobile"


class SeriesDimension(SQLModel, table=True):
    """The dimension values of a series, for filtering in SQL."""

    __tablename__ = "series_dimension"
    __table_args__ = (Index("ix_series_dimension_lookup", "name", "value"),)
    series_id: int = Field(foreign_key="series.id", primary_key=True)
    name: str = Field(max_length=64, primary_key=True)
    value: str = Field(max_length=200)


class Observation(SQLModel, table=True):
    """The value of one series on one day."""

    __tablename__ = "observation"
    # On SQLite the rows live in the key's B-tree (migration 0005): a series' days are read from
    # one place, and a write touches two B-trees (key and day) instead of three.
    __table_args__ = (Index("ix_observation_day", "day"), {"sqlite_with_rowid": False})
    series_id: int = Field(foreign_key="series.id", primary_key=True)
    day: date = Field(primary_key=True)
    value: float


class CalendarDay(SQLModel, table=True):
    """One row per day with the start of its week, month and quarter, so grains are plain joins."""

    __tablename__ = "calendar_day"
    day: date = Field(primary_key=True)
    week_start: date = Field(index=True)
    month_start: date
    quarter_start: date
    year: int


class SourceRun(SQLModel, table=True):
    """One run of a configured data source (config/sources.yaml): when, what it wrote, how it
    ended. The error text never holds a secret."""

    __tablename__ = "source_run"
    __table_args__ = (Index("ix_source_run_source_started", "source", "started_at"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=40)
    trigger: str = Field(default="", max_length=20)  # command, schedule, admin
    started_at: datetime = Field(default_factory=clock.utcnow)
    finished_at: datetime | None = None
    status: str = Field(default="running", max_length=20)  # running, ok, failed, interrupted
    rows: int = 0
    rows_added: int = 0
    rows_updated: int = 0
    since_day: date | None = None  # the first day asked for (None: all history)
    through_day: date | None = None  # the last day the run's rows hold
    measures: str = Field(default="", max_length=2000)  # comma-separated, as written
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    error: str = Field(default="", max_length=4000)  # in the team's language
    # The error and the converter's notes in every language, as JSON text by language code
    # ('' in runs recorded before: their error reads as written).
    error_words: str = ""
    notes: str = ""


class SourceLock(SQLModel, table=True):
    """Who is running a source right now, on stores without advisory locks (SQLite)."""

    __tablename__ = "source_lock"
    source: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=200)
    acquired_at: datetime = Field(default_factory=clock.utcnow)
