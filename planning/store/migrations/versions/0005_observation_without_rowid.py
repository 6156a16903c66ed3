"""observations stored by key on SQLite (a WITHOUT ROWID table)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

On SQLite the observation table becomes a WITHOUT ROWID table: rows live in the primary key's
B-tree, ordered by (series_id, day), so reading a series over a window touches one B-tree instead
of the key index and then the table, and each written row goes into two B-trees instead of three.
PostgreSQL keeps its table as it is.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = """CREATE TABLE {name} (
	series_id INTEGER NOT NULL,
	day DATE NOT NULL,
	value FLOAT NOT NULL,
	PRIMARY KEY (series_id, day),
	FOREIGN KEY(series_id) REFERENCES series (id)
){options}"""


def _rebuild(without_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    options = " WITHOUT ROWID" if without_rowid else ""
    op.execute(_TABLE.format(name="observation_rebuilt", options=options))
    op.execute(
        "INSERT INTO observation_rebuilt (series_id, day, value) "
        "SELECT series_id, day, value FROM observation ORDER BY series_id, day"
    )
    op.execute("DROP INDEX ix_observation_day")
    op.execute("DROP TABLE observation")
    op.execute("ALTER TABLE observation_rebuilt RENAME TO observation")
    op.execute("CREATE INDEX ix_observation_day ON observation (day)")


def upgrade() -> None:
    _rebuild(without_rowid=True)


def downgrade() -> None:
    _rebuild(without_rowid=False)
