"""Optimistic versioning: a writer says which version it read; a newer one is never overwritten.

Load the record with `session.get(Model, id, with_for_update=True)` before checking, so that on
PostgreSQL two concurrent writers are serialised on the row (SQLite writers already are: every
write transaction begins IMMEDIATE).
"""

from __future__ import annotations

from typing import Protocol

from planning.i18n import gettext as _


class ConflictError(Exception):
    """Someone else saved this record after you opened it."""


class Versioned(Protocol):
    version: int


def check_and_bump(record: Versioned, *, expected_version: int, what: str) -> None:
    """Refuse if the record moved past the version the writer read; otherwise advance it."""
    if record.version != expected_version:
        raise ConflictError(
            _(
                "{what} was changed by someone else while you were editing (you had version "
                "{expected}, it is now {current}). Your input is kept: review the latest values "
                "and save again."
            ).format(what=what, expected=expected_version, current=record.version)
        )
    record.version += 1
