"""Importing observations from the interchange format: long CSV or Excel, validated whole first.

A file has the columns `date`, `measure` and `value`, plus one column per dimension that a measure
declares in metrics.yaml. A row fills only the dimension columns its measure declares and leaves the
others empty. An import reads the file (`import_file`), reports every bad row (line, column,
reason; `import_checks`) and writes nothing if there is one; otherwise it writes all rows and the
import batch in one transaction. Here: what an import would change (the upload screen's check and
preview) and the write; a JSON list sent to the API goes through `import_records`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import PurePath
from time import monotonic
from typing import Generic, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, text
from sqlmodel import Session

from planning import clock
from planning.access.permissions import require_director
from planning.config.metrics import MetricsConfig
from planning.formatting import format_count, format_day
from planning.i18n import N_, ngettext
from planning.metrics.import_checks import RowProblem, Validation, validate
from planning.metrics.import_file import ImportFileError, read_table
from planning.metrics.observations import by_series_chunks, write_batch
from planning.store.models import Person, PersonRead


class TimeBoxExceeded(Exception):
    """An import passed its time box before writing: nothing was written."""


def check_time_box(deadline: float | None, step: str) -> None:
    """Raise TimeBoxExceeded when the monotonic deadline has passed (checked between steps, so
    an import stops before its write, never inside it)."""
    if deadline is not None and monotonic() > deadline:
        raise TimeBoxExceeded(f"the import ran past its time box while {step}; nothing was written")


@dataclass(frozen=True)
class Preview:
    """What an import would do to the store, counted without writing."""

    rows: int
    would_add: int
    would_update: int
    would_leave: int
    notes: list[str] = field(default_factory=list)  # what to know before confirming


Problem = TypeVar("Problem")


@dataclass(frozen=True)
class ImportResult(Generic[Problem]):
    """What an import did; with problems (a file's RowProblem, a JSON list's RecordProblem),
    nothing was written and batch_id is None."""

    added: int
    updated: int
    unchanged: int
    batch_id: int | None
    problems: list[Problem] = field(default_factory=list)
    # What a converter noticed about a file it read (left-out orders, days that moved).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the rows were written."""
        return not self.problems


# --- previewing and writing --------------------------------------------------------------------


ADD, UPDATE, LEAVE = "add", "update", "unchanged"


def compare_with_store(*, session: Session, validation: Validation) -> pd.DataFrame:
    """The writable rows with the value stored now (NaN if none) and what an import would do
    to each (`add`, `update` or `unchanged`); writes nothing."""
    frame = validation.frame.reset_index(drop=True)
    if frame.empty:
        return frame.assign(
            stored=pd.Series([], dtype=np.float64), change=pd.Series([], dtype=object)
        )
    connection = session.connection()
    existing = _existing_series(connection, frame)
    series = pd.Series(
        [existing.get(pair, -1) for pair in zip(frame["measure"], frame["dims_key"], strict=True)],
        dtype=np.int64,
    )
    days = frame["day"].astype(str)
    stored = _stored_values(
        connection,
        sorted(set(existing.values())),
        first=min(frame["day"]),
        last=max(frame["day"]),
    )
    incoming = pd.DataFrame(
        {"series_id": series, "day": days, "value": frame["value"].to_numpy(dtype=np.float64)}
    )
    # A left merge keeps the incoming rows in their order.
    merged = incoming.merge(stored, on=["series_id", "day"], how="left", suffixes=("", "_stored"))
    stored_values = merged["value_stored"].to_numpy(dtype=np.float64)
    present = ~np.isnan(stored_values)
    same = present & (merged["value"].to_numpy() == stored_values)
    change = np.where(~present, ADD, np.where(same, LEAVE, UPDATE))
    return frame.assign(stored=stored_values, change=change.astype(object))


def preview(*, session: Session, validation: Validation) -> Preview:
    """Count how many rows an import would add, change and leave as they are; writes nothing."""
    return _counted(compare_with_store(session=session, validation=validation))


def _counted(compared: pd.DataFrame) -> Preview:
    change = compared["change"]
    return Preview(
        rows=len(compared),
        would_add=int((change == ADD).sum()),
        would_update=int((change == UPDATE).sum()),
        would_leave=int((change == LEAVE).sum()),
    )


@dataclass(frozen=True)
class FileCheck:
    """A file checked against the configuration and the store, before anything is written."""

    filename: str
    checksum: str
    error: str | None = None  # the file as a whole cannot be read
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    preview: Preview | None = None
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        """Whether the file can be imported as it is."""
        return self.error is None and not self.problems and self.preview is not None


Progress = Callable[[float, str], None]


def check_file(
    *,
    session: Session,
    data: bytes,
    filename: str,
    config: MetricsConfig,
    sample_rows: int = 20,
    progress: Progress | None = None,
) -> FileCheck:
    """Read, validate and preview a file (what the upload screen shows); writes nothing.

    `progress(fraction, step)` is told as each step starts.
    """

    def step(fraction: float, label: str) -> None:
        if progress is not None:
            progress(fraction, label)

    checksum = hashlib.sha256(data).hexdigest()
    step(0.0, f"Reading {PurePath(filename).name}")
    try:
        table = read_table(data=data, filename=filename, config=config)
    except ImportFileError as exc:
        step(1.0, "The file cannot be read")
        return FileCheck(filename=filename, checksum=checksum, error=str(exc))
    step(0.3, f"Checking {len(table):,} rows")
    validation = validate(table=table, config=config)
    if validation.problems:
        step(1.0, f"{len(validation.problems):,} problems found")
        return FileCheck(
            filename=filename, checksum=checksum, rows=validation.rows, problems=validation.problems
        )
    step(0.7, "Comparing with the store")
    counts, sample = preview_import(session=session, validation=validation, sample_rows=sample_rows)
    step(1.0, f"{counts.rows:,} rows ready to import")
    return FileCheck(
        filename=filename,
        checksum=checksum,
        rows=validation.rows,
        preview=counts,
        sample=sample,
    )


def after_today_notes(frame: pd.DataFrame) -> list[str]:
    """A note on rows dated after today (a mistyped year, a source a day ahead), else none: they
    are written, but no number reads them before their day is complete."""
    today = clock.today()
    later = sorted(day for day in pd.unique(frame["day"]) if day > today)
    if not later:
        return []
    rows = int(frame["day"].isin(later).sum())
    return [
        ngettext(
            "{count} row is dated after today, the latest {day}: it is written, but counts only "
            "once its day is over and complete. Check its date if that is a mistake.",
            "{count} rows are dated after today, the latest {day}: they are written, but count "
            "only once their day is over and complete. Check their dates if that is a mistake.",
            rows,
        ).format(count=format_count(rows), day=format_day(later[-1]))
    ]


def preview_import(
    *, session: Session, validation: Validation, sample_rows: int
) -> tuple[Preview, pd.DataFrame]:
    """What writing validated rows would do: how many it adds, updates and leaves, and a sample
    of rows with the changes first (those are what the person is about to confirm)."""
    compared = compare_with_store(session=session, validation=validation)
    order = np.argsort(np.asarray(compared["change"] == LEAVE, dtype=np.int8), kind="stable")
    counts = replace(_counted(compared), notes=after_today_notes(validation.frame))
    return counts, compared.iloc[order[:sample_rows]].reset_index(drop=True)


def _existing_series(connection: Connection, frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    wanted = set(zip(frame["measure"], frame["dims_key"], strict=True))
    rows = connection.execute(
        text("SELECT id, measure, dims_key FROM series WHERE measure IN :measures").bindparams(
            bindparam("measures", expanding=True)
        ),
        {"measures": sorted({m for m, _ in wanted})},
    ).all()
    return {(m, k): int(i) for i, m, k in rows if (m, k) in wanted}


def _stored_values(
    connection: Connection, series: list[int], *, first: date, last: date
) -> pd.DataFrame:
    sql = (
        "SELECT series_id, day, value FROM observation "
        "WHERE series_id IN :ids AND day BETWEEN :first AND :last"
    )
    parts = [
        pd.DataFrame(chunk.all(), columns=["series_id", "day", "value_stored"])
        for chunk in by_series_chunks(connection, sql, series, {"first": first, "last": last})
    ]
    if not parts:
        return pd.DataFrame(
            {
                "series_id": pd.Series([], dtype=np.int64),
                "day": pd.Series([], dtype=object),
                "value_stored": pd.Series([], dtype=np.float64),
            }
        )
    stored = pd.concat(parts, ignore_index=True)
    # SQLite returns days as ISO text, PostgreSQL as dates: compare both as text.
    stored["day"] = stored["day"].astype(str)
    stored["series_id"] = stored["series_id"].astype(np.int64)
    stored["value_stored"] = stored["value_stored"].astype(np.float64)
    return stored


def import_observations(
    *,
    engine: Engine,
    actor: Person | PersonRead | None,
    data: bytes,
    filename: str,
    source: str,
    config: MetricsConfig,
    api_token_id: int | None = None,
    deadline: float | None = None,
) -> ImportResult[RowProblem]:
    """Validate a whole file and, if every row is good, write it and its batch in one transaction.

    A file with bad rows writes nothing and returns every problem; a file that cannot be read at
    all raises ImportFileError. `actor` None stands for the system (command line, demo loader);
    a person who is not an active director gets PermissionDenied. Past `deadline` (a
    time.monotonic() moment) before the write, it raises TimeBoxExceeded and writes nothing.
    """
    if actor is not None:
        require_director(actor, N_("import observations"))
    table = read_table(data=data, filename=filename, config=config)
    check_time_box(deadline, "reading the file")
    validation = validate(table=table, config=config)
    check_time_box(deadline, "checking its rows")
    checksum = hashlib.sha256(data).hexdigest()
    return write_unless_problems(
        engine, actor, validation, validation.problems, checksum, filename, source, api_token_id
    )


def write_unless_problems(
    engine: Engine,
    actor: Person | PersonRead | None,
    validation: Validation,
    problems: list[Problem],
    checksum: str,
    filename: str,
    source: str,
    api_token_id: int | None = None,
) -> ImportResult[Problem]:
    """Write checked rows (a file's or a JSON list's) and their batch, or nothing (returning the
    problems) when there is any problem."""
    if problems:
        return ImportResult(added=0, updated=0, unchanged=0, batch_id=None, problems=problems)
    result: ImportResult[Problem] = write_observations(
        engine=engine,
        actor=actor,
        frame=validation.frame,
        checksum=checksum,
        filename=filename,
        source=source,
        api_token_id=api_token_id,
    )
    return replace(result, notes=after_today_notes(validation.frame))


def write_observations(
    *,
    engine: Engine,
    actor: Person | PersonRead | None,
    frame: pd.DataFrame,
    checksum: str,
    filename: str,
    source: str,
    api_token_id: int | None = None,
) -> ImportResult[Problem]:
    """Write validated rows (a Validation's frame) and their import batch in one transaction
    (the result carries no problems, of whatever kind the caller checks for)."""
    if actor is not None:
        require_director(actor, N_("import observations"))
    with engine.begin() as connection:
        counts, batch_id = write_batch(
            connection=connection,
            actor=actor,
            frame=frame,
            source=source,
            filename=filename,
            checksum=checksum,
            api_token_id=api_token_id,
        )
    return ImportResult(
        added=counts.added,
        updated=counts.updated,
        unchanged=counts.unchanged,
        batch_id=batch_id,
    )
