"""Daily totals per measure (the ``observation_daily`` rollup), kept in step with observations.

Every write of observations goes through ``planning.metrics.observations.upsert_observations``,
which calls ``refresh_daily_totals`` for the measures and days it wrote, in the writer's own
transaction: the totals of those (measure, day) pairs are summed again from the observations, so
a rollup row always equals the raw sum (there is no running adjustment that could drift), and a
(measure, day) without observations has no row. ``rebuild_daily_totals`` sums the whole table
again (the migration that adds the rollup does the same for an upgraded store).

On PostgreSQL two imports could otherwise each sum a day without seeing the other's uncommitted
rows; ``lock_observation_writes`` makes writers of observations take turns for the length of
their transaction (SQLite has one writer at a time already).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Date,
    Float,
    Integer,
    String,
    bindparam,
    column,
    table,
    text,
)

# The rollup as metric_query reads it.
DAILY = table(
    "observation_daily",
    column("measure", String),
    column("day", Date),
    column("total", Float),
    column("rows", Integer),
)

# pg_advisory_xact_lock key held by a transaction that writes observations ("QDOW").
OBSERVATION_WRITE_LOCK = 0x51_44_4F_57

_SUMMED = (
    "SELECT s.measure, o.day, SUM(o.value), COUNT(*) "
    "FROM observation o JOIN series s ON s.id = o.series_id "
)


def lock_observation_writes(connection: Connection) -> None:
    """On PostgreSQL, wait for any other transaction writing observations to end (the lock is
    released at this transaction's end); nothing elsewhere."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": OBSERVATION_WRITE_LOCK}
        )


def refresh_daily_totals(
    *, connection: Connection, measures: Iterable[str], first: date, last: date
) -> None:
    """Sum again, from the observations, the daily totals of these measures on the days from
    ``first`` to ``last``, in the caller's transaction."""
    names = sorted(set(measures))
    if not names:
        return
    params = {"measures": names, "first": first, "last": last}
    binds: tuple[BindParameter[Any], ...] = (
        bindparam("measures", expanding=True),
        bindparam("first", type_=Date),
        bindparam("last", type_=Date),
    )
    connection.execute(
        text(
            "DELETE FROM observation_daily "
            "WHERE measure IN :measures AND day BETWEEN :first AND :last"
        ).bindparams(*binds),
        params,
    )
    connection.execute(
        text(
            "INSERT INTO observation_daily (measure, day, total, rows) "
            + _SUMMED
            + "WHERE s.measure IN :measures AND o.day BETWEEN :first AND :last "
            "GROUP BY s.measure, o.day"
        ).bindparams(*binds),
        params,
    )


def rebuild_daily_totals(*, connection: Connection) -> int:
    """Sum every daily total again from all the observations, in the caller's transaction;
    returns the number of (measure, day) rows."""
    lock_observation_writes(connection)
    connection.execute(text("DELETE FROM observation_daily"))
    connection.execute(
        text(
            "INSERT INTO observation_daily (measure, day, total, rows) "
            + _SUMMED
            + "GROUP BY s.measure, o.day"
        )
    )
    return int(connection.execute(text("SELECT COUNT(*) FROM observation_daily")).scalar_one())
