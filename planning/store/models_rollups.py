"""Pre-aggregated observations (planning.metrics.rollups): each measure's daily total over every
series, kept in step with the observation table by every write of observations, in the same
transaction, so an unfiltered read sums a few thousand rows instead of millions."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel


class ObservationDaily(SQLModel, table=True):
    """One measure's total over all its series on one day, and how many observations made it.

    A (measure, day) has a row exactly when it has at least one observation."""

    __tablename__ = "observation_daily"
    # On SQLite the rows live in the key's B-tree, like the observation table's (migration 0005).
    __table_args__ = ({"sqlite_with_rowid": False},)
    measure: str = Field(max_length=64, primary_key=True)
    day: date = Field(primary_key=True)
    total: float
    rows: int
