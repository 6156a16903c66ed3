"""dependencies between initiatives

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

One initiative waits on another ("blocks / blocked by"); the pair is unique and cycles are refused
by the domain (planning.work.dependencies).
"""

from collections.abc import Sequence

from planning.store.migrations import ddl

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_ENDS = {"blocker_id": "initiative.id", "blocked_id": "initiative.id"}


def upgrade() -> None:
    ddl.create_link_table("initiative_dependency", ends=_ENDS, unique="uq_dependency_pair")


def downgrade() -> None:
    ddl.drop_link_table("initiative_dependency", ends=_ENDS)
