"""Restore of an export folder (see `backup` for its format) into an empty store.

Restore refuses, writing nothing, when the target store holds any record (the data-version
counters aside), when the manifest is missing, unreadable or of another schema revision, or when a
file is missing, altered (its SHA-256 differs), has other columns or another row count than the
manifest says. A manifest can be edited to match an edited file, so every row is also checked as
a save would check it: the field rules of its model (types, roles, statuses, healths, ranges,
lengths), the one text rule for titles, names, labels and notes (planning.validation), and the
Argon2id format of a password hash. Files are read a line at a time, never whole: a file over
MAX_FILE_BYTES or a line over MAX_ROW_BYTES is refused. Credentials (password hashes, open
sign-in sessions, API tokens and share links that are not revoked) are restored only when the
caller says the export is trusted (`with_credentials`): anyone who can edit an export could
otherwise plant a password or a token they know. Otherwise it writes every table in one
transaction, keeping every id, and on PostgreSQL moves each id sequence past the highest
restored id. The data-version counters take the exported values but only ever move forward, so
open pages notice the change. A restore adds no audit event of its own: the restored store is
the exported one, audit trail included.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError, create_model
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    Text,
    bindparam,
    cast,
    func,
    select,
    text,
    update,
)
from sqlalchemy.sql.dml import Insert
from sqlmodel import SQLModel

import planning.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from planning.store.backup import (
    CHUNK,
    COUNTERS,
    BackupError,
    Manifest,
    TableFile,
    column_type,
    exported_tables,
    json_columns,
    read_manifest,
    schema_revision,
)
from planning.validation import text_problems

MAX_FILE_BYTES = 16 * 1024**3  # one table's file: far above any store Quarterdeck is made for
MAX_ROW_BYTES = 1024**2  # one line (one row): the longest note or snapshot takes a few kB

# Text a person typed, checked by the same rule as a save: True where line breaks are allowed.
TEXT_FIELDS: dict[str, dict[str, bool]] = {
    "person": {"name": False, "email": False, "title": False},
    "time_off": {"note": True},
    "objective": {"title": False, "description": True},
    "key_result": {"title": False, "unit": False},
    "check_in": {"note": True},
    "period_close": {"note": True},
    "kr_grade": {"reason": True},
    "initiative": {"title": False, "description": True},
    "status_update": {"note": True},
    "weekly_plan": {"note": True},
    "decision": {"text": True},
    "api_token": {"name": False},
    "share_link": {"label": False},
}
_ARGON2ID = re.compile(
    r"^\$argon2id\$v=19\$m=\d{1,7},t=\d{1,4},p=\d{1,3}\$[A-Za-z0-9+/]{8,}\$[A-Za-z0-9+/]{16,}$"
)


def _row_models() -> dict[str, type[BaseModel]]:
    """Per table, a plain model with the table model's fields and rules (fast to validate)."""
    models: dict[str, type[BaseModel]] = {}
    for mapper in SQLModel._sa_registry.mappers:
        model = mapper.class_
        fields: dict[str, Any] = {
            name: (info.annotation, info) for name, info in model.model_fields.items()
        }
        models[model.__tablename__] = create_model(f"{model.__name__}Row", **fields)
    return models


_ROW_MODELS: dict[str, type[BaseModel]] = {}


def row_problems(table: Table, row: Mapping[str, Any]) -> list[str]:
    """Why a restored row could not have been saved (empty when it could)."""
    if not _ROW_MODELS:
        _ROW_MODELS.update(_row_models())
    values = dict(row)
    for name in json_columns(table):  # JSON columns arrive as the document's text
        if isinstance(values.get(name), str):
            try:
                values[name] = json.loads(values[name])
            except json.JSONDecodeError:
                return [f"{name} is not a JSON document"]
    problems = []
    try:
        _ROW_MODELS[table.name].model_validate(values)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"])
            given = repr(error.get("input"))  # escapes control and direction characters
            shown = f", got {given}" if len(given) <= 60 else ""
            problems.append(f"{where}: {error['msg']}{shown}")
    for name, multiline in TEXT_FIELDS.get(table.name, {}).items():
        if isinstance(values.get(name), str):
            problems += text_problems(values[name], what=name, multiline=multiline)
    hashed = values.get("password_hash") if table.name == "person" else None
    if hashed is not None and not (isinstance(hashed, str) and _ARGON2ID.match(hashed)):
        problems.append("password_hash is not an Argon2id hash as Quarterdeck writes them")
    return problems


def _credential(table: Table, row: Mapping[str, Any]) -> str | None:
    """The kind of credential a row holds, if any (something that lets someone in)."""
    if table.name == "person":
        return "password hash" if row.get("password_hash") is not None else None
    if table.name == "sign_in_session":
        return "sign-in session" if row.get("ended_at") is None else None
    if table.name in ("api_token", "share_link") and row.get("revoked_at") is None:
        return "API token" if table.name == "api_token" else "share link"
    return None


def _from_json(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON Lines row turned back into the values the table's columns take."""
    out: dict[str, Any] = {}
    for column in table.columns:
        value = row[column.name]
        kind = column_type(column)
        if value is not None and isinstance(value, str):
            if kind is datetime:
                value = datetime.fromisoformat(value)
            elif kind is date:
                value = date.fromisoformat(value)
        out[column.name] = value
    return out


def _check_files(directory: Path, manifest: Manifest, tables: Mapping[str, Table]) -> None:
    """Every table of the schema is in the manifest with its columns, and every file is intact."""
    listed = {t.table: t for t in manifest.tables}
    unknown = sorted(set(listed) - set(tables))
    missing = sorted(set(tables) - set(listed))
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"lacks the table{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        if unknown:
            parts.append(f"has unknown table{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
        raise BackupError(f"the export {' and '.join(parts)}")
    for name, entry in listed.items():
        expected = tuple(c.name for c in tables[name].columns)
        if set(entry.columns) != set(expected):
            raise BackupError(
                f"table {name}: the export has the columns {', '.join(entry.columns)}, "
                f"the store has {', '.join(expected)}"
            )
        path = directory / entry.file
        digest = hashlib.sha256()
        lines = 0
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise BackupError(f"table {name}: {entry.file} is missing from the export") from None
        if size > MAX_FILE_BYTES:
            raise BackupError(
                f"table {name}: {entry.file} is {size:,} bytes; a restore reads files of at "
                f"most {MAX_FILE_BYTES:,} bytes"
            )
        for _, line in _lines(directory, entry):
            digest.update(line)
            lines += 1
        if digest.hexdigest() != entry.sha256:
            raise BackupError(
                f"table {name}: {entry.file} differs from the one exported (SHA-256 mismatch); "
                "it was changed or truncated"
            )
        if lines != entry.rows:
            raise BackupError(
                f"table {name}: {entry.file} has {lines} rows, the manifest {entry.rows}"
            )


def _lines(directory: Path, entry: TableFile) -> Iterator[tuple[int, bytes]]:
    """Each line of an exported file with its number, never reading more than one row's cap."""
    try:
        handle = (directory / entry.file).open("rb")
    except FileNotFoundError:
        raise BackupError(f"table {entry.table}: {entry.file} is missing from the export") from None
    with handle:
        number = 0
        while line := handle.readline(MAX_ROW_BYTES + 1):
            number += 1
            if len(line) > MAX_ROW_BYTES:
                raise BackupError(
                    f"table {entry.table}: {entry.file}, line {number} is longer than "
                    f"{MAX_ROW_BYTES:,} bytes, the most one row may take; Quarterdeck never "
                    "writes such a row"
                )
            yield number, line


def _rows(
    directory: Path, entry: TableFile, table: Table, credentials: dict[str, int] | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The rows of one exported file, in chunks, as the table's column values, each checked as
    a save would check it; credentials found are counted by kind."""
    chunk: list[dict[str, Any]] = []
    for number, line in _lines(directory, entry):
        try:
            row = _from_json(table, json.loads(line.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise BackupError(
                f"{entry.file}, line {number}: not a row of {table.name} ({exc})"
            ) from None
        problems = row_problems(table, row)
        if problems:
            raise BackupError(
                f"{entry.file}, line {number}: a row of {table.name} that no save would write "
                f"({'; '.join(problems)})"
            )
        kind = _credential(table, row)
        if kind and credentials is not None:
            credentials[kind] = credentials.get(kind, 0) + 1
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _held_records(connection: Connection, tables: Sequence[Table]) -> list[str]:
    held = []
    for table in tables:
        if table.name == COUNTERS:
            continue
        if connection.execute(select(func.count()).select_from(table)).scalar_one():
            held.append(table.name)
    return held


def _self_references(table: Table) -> list[str]:
    """Columns of a table that refer to the table itself (written after all its rows exist)."""
    return sorted(fk.parent.name for fk in table.foreign_keys if fk.column.table.name == table.name)


@dataclass(frozen=True)
class RestoreSummary:
    """What a restore wrote."""

    schema_revision: str
    exported_at: str
    rows: dict[str, int]


def restore_store(
    *, engine: Engine, directory: Path, with_credentials: bool = False
) -> RestoreSummary:
    """Restore an export folder into an empty, migrated store, in one transaction.

    An export holding credentials (password hashes, open sign-in sessions, unrevoked API tokens
    and share links) is refused unless `with_credentials` says it is trusted.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    tables = {t.name: t for t in exported_tables()}
    _check_files(directory, manifest, tables)
    with engine.begin() as connection:
        revision = schema_revision(connection)
        if manifest.schema_revision != revision:
            raise BackupError(
                f"the export is of schema revision {manifest.schema_revision or '(none)'} and "
                f"this store is at {revision or '(none)'}: restore it with the Quarterdeck "
                "version that exported it"
            )
        held = _held_records(connection, list(tables.values()))
        if held:
            raise BackupError(
                f"the store is not empty (it holds records in {', '.join(held)}); restore only "
                "into a new, empty store"
            )
        entries = {t.table: t for t in manifest.tables}
        credentials: dict[str, int] = {}
        for table in exported_tables():
            if table.name == COUNTERS:
                _restore_counters(connection, table, directory, entries[table.name])
                continue
            _restore_table(connection, table, directory, entries[table.name], credentials)
        if credentials and not with_credentials:
            found = ", ".join(
                f"{n} {kind}{'es' if n > 1 and kind.endswith('sh') else 's' if n > 1 else ''}"
                for kind, n in credentials.items()
            )
            raise BackupError(
                f"the export holds credentials ({found}); anyone able to edit an export could "
                "have planted them. Restore them only from an export you made and kept safe, "
                "with --with-credentials"
            )
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection, list(tables.values()))
    return RestoreSummary(
        schema_revision=manifest.schema_revision,
        exported_at=manifest.exported_at,
        rows=manifest.rows(),
    )


def _restore_table(
    connection: Connection,
    table: Table,
    directory: Path,
    entry: TableFile,
    credentials: dict[str, int],
) -> None:
    later = _self_references(table)
    deferred: list[dict[str, Any]] = []
    for chunk in _rows(directory, entry, table, credentials):
        if later:
            for row in chunk:
                if any(row[c] is not None for c in later):
                    deferred.append({c: row[c] for c in [*later, "id"]})
                    for c in later:
                        row[c] = None
        connection.execute(_insert(connection, table), _json_params(table, chunk))
    if deferred:
        key = table.c.id
        for row in deferred:
            values = {c: row[c] for c in later}
            connection.execute(update(table).where(key == row["id"]).values(**values))


def _restore_counters(
    connection: Connection, table: Table, directory: Path, entry: TableFile
) -> None:
    existing = {
        str(k): int(v) for k, v in connection.execute(select(table.c.key, table.c.value)).all()
    }
    connection.execute(table.delete())
    for chunk in _rows(directory, entry, table):
        for row in chunk:
            before = existing.get(row["key"])
            if before is not None and before >= int(row["value"]):
                row["value"] = before + 1  # never go back: open pages must see a change
        connection.execute(_insert(connection, table), _json_params(table, chunk))


def _insert(connection: Connection, table: Table) -> Insert:
    """An insert taking each JSON column as the document's text (`<name>_json`), as exported."""
    values: dict[str, Any] = {}
    for name in json_columns(table):
        param = bindparam(f"{name}_json", type_=Text)
        # SQLite keeps JSON as text; PostgreSQL parses the text into its json type.
        values[name] = (
            cast(param, table.c[name].type) if connection.dialect.name != "sqlite" else param
        )
    return table.insert().values(values) if values else table.insert()


def _json_params(table: Table, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = json_columns(table)
    if not names:
        return chunk
    for row in chunk:
        for name in names:
            row[f"{name}_json"] = row.pop(name)
    return chunk


def _reset_sequences(connection: Connection, tables: Sequence[Table]) -> None:
    """Move each serial id sequence past the highest restored id (PostgreSQL)."""
    for table in tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        ).scalar()
        if sequence is None:
            continue
        connection.execute(
            text(
                "SELECT setval(:sequence, COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
                f'FROM "{table.name}"'
            ),
            {"sequence": sequence},
        )
