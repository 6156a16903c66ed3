"""Pieces the migration revisions share: column types, foreign keys, per-column indexes.

Released revisions are built on these helpers, so a helper must never change what it emits: a
store at any revision has to upgrade (and downgrade) exactly as it always has, on SQLite and on
PostgreSQL. tests/test_migration_history.py guards that by comparing every revision's DDL with
golden files. Something new gets a new helper; an existing one stays as it is.
"""

from collections.abc import Mapping, Sequence
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


def id_key() -> sa.Column[Any]:
    """The integer `id` column that is the table's primary key (SERIAL on PostgreSQL)."""
    return sa.Column("id", sa.Integer(), nullable=False, primary_key=True)


def create_table(table: str, *items: sa.schema.SchemaItem, indexed: Sequence[str] = ()) -> None:
    """Create the table from its columns and constraints, then index each `indexed` column."""
    op.create_table(table, *items)
    if indexed:
        create_indexes(table, *indexed)


def drop_table(table: str, *, indexed: Sequence[str] = ()) -> None:
    """Drop what create_table made: the indexes on `indexed` (last first), then the table."""
    if indexed:
        drop_indexes(table, *reversed(indexed))
    op.drop_table(table)


def create_link_table(
    table: str,
    *,
    ends: Mapping[str, str],
    unique: str,
    columns: Sequence[sa.Column[Any]] = (),
) -> None:
    """A table linking two rows: its id, the two ends ({column: "table.column"}), any other
    columns, who linked them and when; each pair once, both ends indexed."""
    first, second = ends
    create_table(
        table,
        id_key(),
        sa.Column(first, sa.Integer(), nullable=False),
        sa.Column(second, sa.Integer(), nullable=False),
        *columns,
        sa.Column("created_by", sa.Integer(), nullable=True),
        timestamp("created_at"),
        *foreign_keys(**ends, created_by="person.id"),
        sa.UniqueConstraint(first, second, name=unique),
        indexed=(first, second),
    )


def drop_link_table(table: str, *, ends: Mapping[str, str]) -> None:
    """Drop what create_link_table made."""
    drop_table(table, indexed=tuple(ends))


def authored(**subjects: str) -> list[sa.schema.SchemaItem]:
    """The columns that close an entry someone writes (its id, author and moment), with the
    foreign keys from its author and from its subject columns ("table.column")."""
    return [
        id_key(),
        sa.Column("author_id", sa.Integer(), nullable=False),
        timestamp("created_at"),
        *foreign_keys(author_id="person.id", **subjects),
    ]


def empty_text(name: str) -> sa.Column[Any]:
    """A text column of any length added to a table with rows: the rows there hold ''."""
    return sa.Column(name, AutoString(), nullable=False, server_default=sa.text("''"))
