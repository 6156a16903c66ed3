"""alignment to several parents and key results contributing to other objectives

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

An objective keeps its first parent in ``objective.parent_id``; further parents are rows of
``objective_alignment``. A key result counts towards other objectives of its quarter through
``kr_contribution``, each with a weight. Loops and bad weights are refused by the domain
(planning.okrs.alignment).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from planning.store.migrations import ddl

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_ALIGNMENT_ENDS = {"objective_id": "objective.id", "parent_id": "objective.id"}
_CONTRIBUTION_ENDS = {"key_result_id": "key_result.id", "objective_id": "objective.id"}


def upgrade() -> None:
    ddl.create_link_table("objective_alignment", ends=_ALIGNMENT_ENDS, unique="uq_alignment_pair")
    ddl.create_link_table(
        "kr_contribution",
        ends=_CONTRIBUTION_ENDS,
        unique="uq_contribution_pair",
        columns=[sa.Column("weight", sa.Float(), nullable=False)],
    )


def downgrade() -> None:
    ddl.drop_link_table("kr_contribution", ends=_CONTRIBUTION_ENDS)
    ddl.drop_link_table("objective_alignment", ends=_ALIGNMENT_ENDS)
