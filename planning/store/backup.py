"""Export of the whole store to a folder, and restore of such a folder into an empty store.

An export folder holds one JSON Lines file per table (``<table>.jsonl``, one JSON object per row,
rows in primary-key order) and ``manifest.json``: the format, the schema revision (Alembic) the
store was at, when it was exported and, per table, its file, columns, row count and SHA-256.
JSON Lines keeps what CSV would lose: empty text versus no value, numbers exactly (a float
written by Python reads back as the same float). Dates and times are ISO 8601 text (times in UTC
with their offset); a JSON column holds the stored JSON document as text, so a JSON ``null`` and
no value at all stay apart. The export reads every table in one transaction
(REPEATABLE READ on PostgreSQL), so it is consistent while the app keeps writing; the manifest is
written last, so a folder without one is an unfinished export.

Not exported: ``alembic_version`` (the manifest carries the revision), ``calendar_day``, which
the migrations rebuild identically in every store, and ``forecast_calibration``, derived data the
restored store fits again on first use.

Restoring such a folder into an empty store, with every file and row checked first, is in
`restore`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Table,
    Text,
    cast,
    inspect,
    select,
    text,
)
from sqlmodel import SQLModel

import planning.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from planning.store.models import StoreState, utcnow

FORMAT = "quarterdeck-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
NOT_EXPORTED = frozenset({"alembic_version", "calendar_day", "forecast_calibration"})
COUNTERS = StoreState.__tablename__
CHUNK = 5_000


class BackupError(Exception):
    """An export or restore that was refused; nothing was written to the store."""


@dataclass(frozen=True)
class TableFile:
    """One exported table as the manifest describes it."""

    table: str
    file: str
    columns: tuple[str, ...]
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What an export folder holds."""

    schema_revision: str
    exported_at: str
    tables: tuple[TableFile, ...]

    def rows(self) -> dict[str, int]:
        """Row count per table."""
        return {t.table: t.rows for t in self.tables}


# --- tables and values -------------------------------------------------------------------------


def exported_tables() -> list[Table]:
    """The tables an export holds, parents before children."""
    return [t for t in SQLModel.metadata.sorted_tables if t.name not in NOT_EXPORTED]


def schema_revision(connection: Connection) -> str:
    """The Alembic revision the store's schema is at ("" when it was never migrated)."""
    if not inspect(connection).has_table("alembic_version"):
        return ""
    revisions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return ",".join(sorted(str(r) for r in revisions))


def plain_value(value: Any) -> Any:
    """A column value as JSON can hold it (enums as their values, dates and times as ISO)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def column_type(column: Any) -> type | None:
    """The Python type a column holds, looking through type decorators (UTC datetimes)."""
    kind = column.type
    engine_type = getattr(kind, "impl_instance", kind)
    for candidate in (kind, engine_type):
        try:
            found: type = candidate.python_type
        except NotImplementedError:
            continue
        if found is not object:
            return found
    return None


def _row_line(row: Mapping[Any, Any], columns: Sequence[str]) -> str:
    return json.dumps(
        {c: plain_value(row[c]) for c in columns}, ensure_ascii=False, allow_nan=False
    )


# --- export ------------------------------------------------------------------------------------


def export_store(*, engine: Engine, directory: Path) -> Manifest:
    """Write every table and the manifest into `directory` (new or empty), in one snapshot."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} is not an empty folder; export into a new one")
    directory.mkdir(parents=True, exist_ok=True)
    files: list[TableFile] = []
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            revision = schema_revision(connection)
            for table in exported_tables():
                files.append(_export_table(connection, table, directory))
    manifest = Manifest(
        schema_revision=revision,
        exported_at=utcnow().isoformat(timespec="seconds"),
        tables=tuple(files),
    )
    body = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": manifest.schema_revision,
        "exported_at": manifest.exported_at,
        "tables": {
            t.table: {
                "file": t.file,
                "columns": list(t.columns),
                "rows": t.rows,
                "sha256": t.sha256,
            }
            for t in files
        },
    }
    partial = directory / (MANIFEST + ".partial")
    partial.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, directory / MANIFEST)
    return manifest


def json_columns(table: Table) -> list[str]:
    """The names of a table's JSON columns, exported and restored as the document's text."""
    return [c.name for c in table.columns if isinstance(c.type, JSON)]


def _export_table(connection: Connection, table: Table, directory: Path) -> TableFile:
    columns = tuple(c.name for c in table.columns)
    # JSON columns are read as the stored document's text, so SQL NULL and JSON null differ.
    json_names = set(json_columns(table))
    query = select(
        *(cast(c, Text).label(c.name) if c.name in json_names else c for c in table.columns)
    ).order_by(*table.primary_key.columns)
    name = f"{table.name}.jsonl"
    digest = hashlib.sha256()
    rows = 0
    with (directory / name).open("w", encoding="utf-8", newline="\n") as out:
        result = connection.execution_options(stream_results=True).execute(query)
        for chunk in result.mappings().partitions(CHUNK):
            lines = "".join(_row_line(row, columns) + "\n" for row in chunk)
            out.write(lines)
            digest.update(lines.encode("utf-8"))
            rows += len(chunk)
    return TableFile(
        table=table.name, file=name, columns=columns, rows=rows, sha256=digest.hexdigest()
    )


# --- reading an export ------------------------------------------------------------------------


def read_manifest(directory: Path) -> Manifest:
    """The manifest of an export folder, checked for shape; BackupError says what is wrong."""
    path = Path(directory) / MANIFEST
    if not Path(directory).is_dir():
        raise BackupError(f"{directory} is not a folder")
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"{directory} has no {MANIFEST}: it is not an export, or the export did not finish"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Quarterdeck export manifest")
    if body.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} has export format version {body.get('format_version')!r}; "
            f"this Quarterdeck reads version {FORMAT_VERSION}"
        )
    tables = body.get("tables")
    if not isinstance(body.get("schema_revision"), str) or not isinstance(tables, dict):
        raise BackupError(f"{path} lacks the schema revision or the table list")
    files = []
    for name, entry in tables.items():
        try:
            files.append(
                TableFile(
                    table=str(name),
                    file=str(entry["file"]),
                    columns=tuple(str(c) for c in entry["columns"]),
                    rows=int(entry["rows"]),
                    sha256=str(entry["sha256"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            raise BackupError(
                f"{path}: the entry of table {name!r} needs file, columns, rows and sha256"
            ) from None
        if Path(files[-1].file).name != files[-1].file:
            raise BackupError(f"{path}: the file of table {name!r} must be a plain file name")
    return Manifest(
        schema_revision=body["schema_revision"],
        exported_at=str(body.get("exported_at", "")),
        tables=tuple(files),
    )
