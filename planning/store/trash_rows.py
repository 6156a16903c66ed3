"""Taking a record out of the store with every row that hangs on it, and putting it back.

A record's dependents are found from the tables' foreign keys, so a table added later is covered
without changes here: a row that cannot exist without the record (a key result of an objective, a
check-in, a link, a dependency, a status update) is taken with it; a row that merely points at it
through an optional reference (a decision about an initiative, a child objective's parent) keeps
its place with the reference emptied, and the reference is written back on restore. Values are
kept as JSON (dates and times as ISO text, enums as their values).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Table, UniqueConstraint, and_, delete, insert, select, update
from sqlmodel import Session, SQLModel, col

import planning.store.models  # noqa: F401  (registers every table on SQLModel.metadata)
from planning import clock
from planning.formatting import format_day
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.backup import column_type, plain_value
from planning.store.models import Person
from planning.store.models_trash import TrashItem

# Why a kept row could not come back, in English as the audit trail keeps it (planning.trash.reasons
# says it in the reader's language); `record` is a table's name with spaces.
GONE = N_("the {record} {id} it refers to is gone")
SAME_KEY = N_("a record with the same key exists")
IDENTICAL = N_("an identical record exists")
NOTHING_KEPT = N_("nothing was kept")
LEFT_OUT = N_("{record} {key}: {reason}")


@dataclass
class TakenRows:
    """What taking a record removed: its rows (parents first) and the references emptied."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    cleared: list[dict[str, Any]] = field(default_factory=list)


def _typed(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """A kept row's values as the table's columns take them."""
    out: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in row:
            continue
        value = row[column.name]
        kind = column_type(column)
        if isinstance(value, str) and kind is datetime:
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and kind is date:
            value = date.fromisoformat(value)
        out[column.name] = value
    return out


def _words(table_name: str) -> str:
    return table_name.replace("_", " ")


def _key(table: Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    return {c.name: row[c.name] for c in table.primary_key.columns}


def _where_key(table: Table, key: Mapping[str, Any]) -> Any:
    return and_(*(table.c[name] == value for name, value in key.items()))


def _references_to(table: Table) -> list[tuple[Table, Column[Any], Column[Any]]]:
    """(child table, its referring column, the referred column) for every foreign key to
    `table`."""
    found = []
    for child in SQLModel.metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is table:
                found.append((child, fk.parent, fk.column))
    return found


def take_rows(session: Session, *, table_name: str, key: Mapping[str, Any]) -> TakenRows:
    """Delete one record and every row depending on it, in the caller's transaction; return
    what was removed so that `put_back` can write it again."""
    session.flush()
    tables = SQLModel.metadata.tables
    taken = TakenRows()
    seen: set[tuple[str, tuple[Any, ...]]] = set()

    def collect(table: Table, condition: Any) -> None:
        rows = [dict(r) for r in session.execute(select(table).where(condition)).mappings()]
        fresh = []
        for row in rows:
            marker = (table.name, tuple(_key(table, row).values()))
            if marker not in seen:
                seen.add(marker)
                fresh.append(row)
        if not fresh:
            return
        taken.rows += [
            {"table": table.name, "row": {k: plain_value(v) for k, v in r.items()}} for r in fresh
        ]
        for child, referring, referred in _references_to(table):
            values = [r[referred.name] for r in fresh if r[referred.name] is not None]
            if not values:
                continue
            if referring.nullable and not referring.primary_key:
                for mapped in session.execute(
                    select(child).where(referring.in_(values))
                ).mappings():
                    marker = (child.name, tuple(_key(child, mapped).values()))
                    if marker in seen:
                        continue
                    taken.cleared.append(
                        {
                            "table": child.name,
                            "key": _key(child, mapped),
                            "column": referring.name,
                            "value": plain_value(mapped[referring.name]),
                        }
                    )
            else:
                collect(child, referring.in_(values))

    collect(tables[table_name], _where_key(tables[table_name], key))
    for entry in taken.cleared:
        table = tables[entry["table"]]
        session.execute(
            update(table).where(_where_key(table, entry["key"])).values({entry["column"]: None})
        )
    for entry in reversed(taken.rows):
        table = tables[entry["table"]]
        session.execute(delete(table).where(_where_key(table, _key(table, entry["row"]))))
    session.expire_all()
    return taken


def _exists(session: Session, table: Table, condition: Any) -> bool:
    return session.execute(select(*table.primary_key.columns).where(condition)).first() is not None


def _why_not(session: Session, table: Table, row: Mapping[str, Any]) -> str | None:
    """Why a kept row cannot be written back now (a record it refers to is gone, or a row
    like it exists), or None."""
    for fk in table.foreign_keys:
        value = row.get(fk.parent.name)
        if value is not None and not _exists(session, fk.column.table, fk.column == value):
            return GONE.format(record=_words(fk.column.table.name), id=value)
    if _exists(session, table, _where_key(table, _key(table, row))):
        return SAME_KEY
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            names = [c.name for c in constraint.columns]
            if _exists(session, table, and_(*(table.c[n] == row[n] for n in names))):
                return IDENTICAL
    return None


def put_back(
    session: Session, *, rows: Sequence[Mapping[str, Any]], cleared: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Write kept rows back (parents first) and refill the references that were emptied, in the
    caller's transaction. Returns, per row that could not return, why (the first row, the record
    itself, always returns or the caller should refuse)."""
    tables = SQLModel.metadata.tables
    skipped: list[str] = []
    for entry in rows:
        table = tables[entry["table"]]
        row = _typed(table, entry["row"])
        reason = _why_not(session, table, row)
        if reason is not None:
            skipped.append(
                LEFT_OUT.format(record=_words(entry["table"]), key=_key(table, row), reason=reason)
            )
            continue
        session.execute(insert(table).values(row))
    for entry in cleared:
        table = tables[entry["table"]]
        column = table.c[entry["column"]]
        referred = next(iter(column.foreign_keys)).column
        condition = and_(_where_key(table, entry["key"]), column.is_(None))
        if _exists(session, referred.table, referred == entry["value"]):
            session.execute(update(table).where(condition).values({column.name: entry["value"]}))
    session.expire_all()
    return skipped


def first_row_blocker(session: Session, *, rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Why the record itself (the first kept row) cannot come back, or None."""
    if not rows:
        return NOTHING_KEPT
    table = SQLModel.metadata.tables[rows[0]["table"]]
    return _why_not(session, table, _typed(table, rows[0]["row"]))


def trashed_while_open(session: Session, *, entity: str, entity_id: int) -> str | None:
    """Why a record someone was editing is gone, in the reader's language: who moved it to the
    trash, when, and what to do about it; None when it is not in the trash."""
    item = session.scalars(
        select(TrashItem)
        .where(col(TrashItem.entity) == entity, col(TrashItem.entity_id) == entity_id)
        .order_by(col(TrashItem.id).desc())
    ).first()
    if item is None:
        return None
    who = session.get(Person, item.trashed_by) if item.trashed_by is not None else None
    return _(
        "“{title}” was moved to the trash by {name} on {day} while you had it open, so nothing "
        "was saved. It can be restored from the Trash (on the Initiatives page) and edited "
        "again; it is gone for good on {purge_day}."
    ).format(
        title=item.title,
        name=who.name if who else _("someone"),
        day=format_day(clock.day_of(item.trashed_at)),
        purge_day=format_day(item.purge_on),
    )
