"""Pieces the migration revisions share: column types, foreign keys, per-column indexes.

Released revisions are built on these helpers, so a helper must never change what it emits: a
store at any revision has to upgrade (and downgrade) exactly as it always has, on SQLite and on
PostgreSQL. tests/test_migration_history.py guards that by comparing every revision's DDL with
golden files. Something new gets a new helper; an existing one stays as it is.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime


def string(name: str, length: int | None = None, *, nullable: bool = False) -> sa.Column[Any]:
    """A text column (SQLModel's AutoString: VARCHAR, of at most `length` characters if given)."""
    return sa.Column(name, AutoString(length=length), nullable=nullable)


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A moment column (SQLModel's UTCDateTime: a timestamp with time zone)."""
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def create_indexes(table: str, *columns: str) -> None:
    """Index each of the table's columns on its own, named ix_<table>_<column> like SQLModel."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def drop_indexes(table: str, *columns: str) -> None:
    """Drop the indexes create_indexes made on these columns, in the order given."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))


def foreign_keys(**targets: str) -> list[sa.ForeignKeyConstraint]:
    """An unnamed foreign key from each column to its target ("table.column"), in this order."""
    return [sa.ForeignKeyConstraint([column], [target]) for column, target in targets.items()]
