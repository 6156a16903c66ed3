"""Writing metric observations: series look-up and the idempotent upsert every import path uses.

An observation is the value of one base measure on one day at one combination of the measure's
declared dimensions. Each combination is a *series* (`sessions` at `channel=email|device=mobile`);
observations are keyed by (series, day), so writing the same rows twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Connection, Result, bindparam, text
from sqlmodel import Session, col, select

from planning.metrics.rollups import lock_observation_writes, refresh_daily_totals
from planning.store.engine import OBSERVATIONS, bump_version
from planning.store.models import Person, PersonRead, utcnow
from planning.store.models_access import ApiToken
from planning.store.models_metrics import ImportBatch

OBSERVATION_COLUMNS = ["measure", "day", "dims_key", "value"]
# Writes of at least BULK_CACHE_ROWS rows run with a page cache of BULK_CACHE_KIB on SQLite.
BULK_CACHE_ROWS = 50_000
BULK_CACHE_KIB = 64 * 1024
COPY_SLICE_ROWS = 50_000
SERIES_CHUNK = 500  # series ids per IN list


@dataclass(frozen=True)
class UpsertCounts:
    """How many rows an upsert added, changed and left as they were."""

    added: int
    updated: int
    unchanged: int


def dims_key(dims: Mapping[str, str]) -> str:
    """Canonical text key of a dimension combination: names sorted, `name=value` joined by |."""
    return "|".join(f"{name}={dims[name]}" for name in sorted(dims))


def parse_dims_key(key: str) -> dict[str, str]:
    """The dimension mapping a canonical key stands for."""
    if not key:
        return {}
    return dict(part.split("=", 1) for part in key.split("|"))


def series_ids(
    *, connection: Connection, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Ids of the series for (measure, dims_key) pairs, creating the missing ones."""
    wanted = set(pairs)
    if not wanted:
        return {}
    found = _existing_series(connection, wanted)
    missing = sorted(wanted - found.keys())
    if missing:
        connection.execute(
            text("INSERT INTO series (measure, dims_key) VALUES (:measure, :dims_key)"),
            [{"measure": m, "dims_key": k} for m, k in missing],
        )
        found = _existing_series(connection, wanted)
        dim_rows = [
            {"series_id": found[(m, k)], "name": name, "value": value}
            for m, k in missing
            for name, value in parse_dims_key(k).items()
        ]
        if dim_rows:
            connection.execute(
                text(
                    "INSERT INTO series_dimension (series_id, name, value) "
                    "VALUES (:series_id, :name, :value)"
                ),
                dim_rows,
            )
    return found


def _existing_series(
    connection: Connection, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    measures = sorted({m for m, _ in wanted})
    rows = connection.execute(
        text("SELECT id, measure, dims_key FROM series WHERE measure IN :measures").bindparams(
            bindparam("measures", expanding=True)
        ),
        {"measures": measures},
    ).all()
    return {(m, k): int(i) for i, m, k in rows if (m, k) in wanted}


def upsert_observations(
    *, connection: Connection, frame: pd.DataFrame, copy: bool | None = None
) -> UpsertCounts:
    """Insert or update observations (columns measure, day, dims_key, value) in the caller's
    transaction; rows must be unique on (measure, day, dims_key).

    On PostgreSQL the rows travel by COPY into a temporary table and are merged with one
    INSERT ... SELECT ... ON CONFLICT (`copy`, the default there); elsewhere, and with
    copy=False, by one executemany of the same upsert. Both give the same rows and counts.
    The daily totals of the measures and days written (planning.metrics.rollups) are summed
    again in the same transaction.
    """
    if frame.empty:
        return UpsertCounts(0, 0, 0)
    lock_observation_writes(connection)
    # Work on the distinct series and days, then spread them over the rows: a million-row import
    # has a few hundred series and about a thousand days.
    measure_codes, measure_names = pd.factorize(frame["measure"])
    key_codes, key_texts = pd.factorize(frame["dims_key"])
    combined = measure_codes.astype(np.int64) * max(len(key_texts), 1) + key_codes
    series_codes, series_found = pd.factorize(combined)
    pairs = [
        (str(measure_names[code // max(len(key_texts), 1)]), str(key_texts[code % len(key_texts)]))
        for code in series_found
    ]
    ids = series_ids(connection=connection, pairs=pairs)
    sid_array = np.array([ids[pair] for pair in pairs], dtype=np.int64)[series_codes]
    day_codes, day_values = pd.factorize(frame["day"].astype(object))
    day_texts = np.array(
        [d.isoformat() if isinstance(d, date) else str(d) for d in day_values], dtype=object
    )
    # Rows in key order (series, then day) reach the table's B-tree pages one after another
    # instead of all over the file. ISO texts sort as their days do, so each row's day is ranked
    # by its distinct text's place among the (few) distinct days.
    day_rank = np.argsort(np.argsort(day_texts, kind="stable"), kind="stable")[day_codes]
    order = np.lexsort((day_rank, sid_array))
    sid = sid_array[order].tolist()
    days = day_texts[day_codes[order]].tolist()
    values = frame["value"].to_numpy(dtype=np.float64)[order].tolist()
    touched = sorted(ids[pair] for pair in pairs)
    before = _count_rows(connection, touched)
    dialect = connection.dialect.name
    if copy is None:
        copy = dialect == "postgresql"
    if copy and dialect != "postgresql":
        raise ValueError("COPY is a PostgreSQL statement; this store is " + dialect)
    if copy:
        span = (str(min(day_texts)), str(max(day_texts)))
        if not _stored_in_span(connection, touched, *span):
            # Nothing stored for these series on these days (a first import, or new days
            # appended): every row is new, and the lock above keeps it so until commit, so
            # the rows go straight into the table as a bare COPY would.
            _copy_rows(connection, "observation", sid, days, values)
            return _finish(
                connection,
                frame,
                touched,
                before,
                len(sid),
                measure_names,
                day_texts,
                added=len(sid),
            )
        changed = _copy_upsert(connection, sid, days, values)
        return _finish(connection, frame, touched, before, changed, measure_names, day_texts)
    if dialect == "sqlite":
        sql = (
            "INSERT INTO observation (series_id, day, value) VALUES (?, ?, ?) "
            "ON CONFLICT (series_id, day) DO UPDATE SET value = excluded.value "
            "WHERE observation.value IS NOT excluded.value"
        )
    else:
        sql = (
            "INSERT INTO observation (series_id, day, value) VALUES (%s, %s::date, %s) "
            "ON CONFLICT (series_id, day) DO UPDATE SET value = excluded.value "
            "WHERE observation.value IS DISTINCT FROM excluded.value"
        )
    raw = connection.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        with _bulk_page_cache(raw, dialect, len(frame)):
            cursor.executemany(sql, list(zip(sid, days, values, strict=True)))
            # After executemany the driver reports the rows inserted or changed, not those left
            # as they were (the DO UPDATE's WHERE skips equal values).
            changed = max(int(cursor.rowcount), 0)
    finally:
        cursor.close()
    return _finish(connection, frame, touched, before, changed, measure_names, day_texts)


def _finish(
    connection: Connection,
    frame: pd.DataFrame,
    touched: list[int],
    before: int,
    changed: int,
    measures: pd.Index,
    day_texts: npt.NDArray[np.object_],
    *,
    added: int | None = None,
) -> UpsertCounts:
    """Count what an upsert did (unless the caller knows how many rows it added) and, when it
    changed anything, sum again the daily totals of its measures over the days it spans."""
    if added is None:
        added = _count_rows(connection, touched) - before
    updated = max(changed - added, 0)
    if added or changed:
        refresh_daily_totals(
            connection=connection,
            measures=[str(m) for m in measures],
            first=date.fromisoformat(str(min(day_texts))[:10]),
            last=date.fromisoformat(str(max(day_texts))[:10]),
        )
    return UpsertCounts(added=added, updated=updated, unchanged=len(frame) - added - updated)


def _copy_upsert(
    connection: Connection, sid: list[int], days: list[str], values: list[float]
) -> int:
    """COPY the rows into a temporary table shaped like observation, then merge them in key
    order; returns the rows inserted or changed (equal values are left alone, as executemany's
    upsert leaves them)."""
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE observation_incoming ON COMMIT DROP AS "
            "SELECT series_id, day, value FROM observation WITH NO DATA"
        )
        _copy_rows(connection, "observation_incoming", sid, days, values)
        cursor.execute(
            "INSERT INTO observation (series_id, day, value) "
            "SELECT series_id, day, value FROM observation_incoming ORDER BY series_id, day "
            "ON CONFLICT (series_id, day) DO UPDATE SET value = excluded.value "
            "WHERE observation.value IS DISTINCT FROM excluded.value"
        )
        changed = max(int(cursor.rowcount), 0)
        # Dropped now rather than at commit, so a second upsert in the same transaction can
        # create it again.
        cursor.execute("DROP TABLE observation_incoming")
    return changed


def _copy_rows(
    connection: Connection, table: str, sid: list[int], days: list[str], values: list[float]
) -> None:
    """COPY (series_id, day, value) rows into `table` on this connection (PostgreSQL).

    The text goes out in slices of COPY_SLICE_ROWS: psycopg sends each from a thread of its
    own, so the server stores one slice while the next is being written here."""
    raw = connection.connection.driver_connection
    assert raw is not None
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} (series_id, day, value) FROM STDIN") as copy,
    ):
        for start in range(0, len(sid), COPY_SLICE_ROWS):
            end = start + COPY_SLICE_ROWS
            rows = zip(sid[start:end], days[start:end], values[start:end], strict=True)
            copy.write("".join(f"{s}\t{d}\t{v!r}\n" for s, d, v in rows).encode("utf-8"))


def _stored_in_span(connection: Connection, series: list[int], first: str, last: str) -> bool:
    """Whether any of these series has an observation stored on a day from first to last."""
    span = {"first": date.fromisoformat(first[:10]), "last": date.fromisoformat(last[:10])}
    sql = (
        "SELECT 1 FROM observation WHERE series_id IN :ids AND day BETWEEN :first AND :last LIMIT 1"
    )
    # any() stops at the first chunk that finds a row: later chunks are never queried.
    chunks = by_series_chunks(connection, sql, series, span)
    return any(found.first() is not None for found in chunks)


def by_series_chunks(
    connection: Connection, sql: str, series: Sequence[int], params: Mapping[str, Any] | None = None
) -> Iterator[Result[Any]]:
    """Run `sql`, whose `:ids` list takes series ids, once per SERIES_CHUNK ids (an IN list stays
    under the drivers' parameter limits); each chunk's result, queried as it is asked for."""
    statement = text(sql).bindparams(bindparam("ids", expanding=True))
    for start in range(0, len(series), SERIES_CHUNK):
        yield connection.execute(
            statement, {"ids": list(series[start : start + SERIES_CHUNK]), **(params or {})}
        )


@contextmanager
def _bulk_page_cache(raw: Any, dialect: str, rows: int) -> Iterator[None]:
    """On SQLite, give this connection a page cache of up to BULK_CACHE_KIB while a large write
    runs: rows arrive in key order, so the day index takes them out of its own order, and with
    the default 2 MB cache most of those inserts reread an index page. Set back afterwards."""
    if dialect != "sqlite" or rows < BULK_CACHE_ROWS:
        yield
        return
    # Its own cursor: a statement on the writing cursor would reset that cursor's rowcount.
    cursor = raw.cursor()
    try:
        (before,) = cursor.execute("PRAGMA cache_size").fetchone()
        cursor.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size={int(before)}")
    finally:
        cursor.close()


def _count_rows(connection: Connection, series: list[int]) -> int:
    sql = "SELECT COUNT(*) FROM observation WHERE series_id IN :ids"
    return sum(int(chunk.scalar_one()) for chunk in by_series_chunks(connection, sql, series))


def record_batch(
    *,
    session: Session,
    actor: Person | PersonRead | None,
    source: str,
    filename: str,
    counts: UpsertCounts,
    checksum: str,
    api_token_id: int | None = None,
) -> ImportBatch:
    """Record an import batch and advance the observations data version, in the caller's
    transaction."""
    batch = ImportBatch(
        source=source,
        filename=filename,
        actor_id=actor.id if actor else None,
        started_at=utcnow(),
        finished_at=utcnow(),
        rows_added=counts.added,
        rows_updated=counts.updated,
        checksum=checksum,
        api_token_id=api_token_id,
    )
    session.add(batch)
    bump_version(session, OBSERVATIONS)
    session.flush()
    return batch


def write_batch(
    *,
    connection: Connection,
    actor: Person | PersonRead | None,
    frame: pd.DataFrame,
    source: str,
    filename: str,
    checksum: str,
    api_token_id: int | None = None,
) -> tuple[UpsertCounts, int | None]:
    """Upsert the rows and record their import batch in the connection's transaction: the
    counts and the batch's id. The batch keeps the file's base name, cut to the column's size."""
    counts = upsert_observations(connection=connection, frame=frame)
    session = Session(bind=connection)
    try:
        batch = record_batch(
            session=session,
            actor=actor,
            source=source,
            filename=PurePath(filename).name[:255],
            counts=counts,
            checksum=checksum,
            api_token_id=api_token_id,
        )
        return counts, batch.id
    finally:
        session.close()


@dataclass(frozen=True)
class ImportBatchInfo:
    """An import batch as listed in Admin: where it came from, who, when, what it did."""

    id: int
    source: str
    filename: str
    actor: str  # the person's name, "system" for the command line and the demo loader
    token: str  # the API token's name for source "api", else ""
    finished_at: datetime | None
    rows_added: int
    rows_updated: int
    checksum: str
    by_system: bool = False  # no person: the command line or the demo loader


def import_history(*, session: Session, limit: int = 200) -> list[ImportBatchInfo]:
    """The latest import batches, newest first, with the person and API token behind each."""
    query = (
        select(ImportBatch, Person.name, ApiToken.name)
        .join(Person, col(ImportBatch.actor_id) == col(Person.id), isouter=True)
        .join(ApiToken, col(ImportBatch.api_token_id) == col(ApiToken.id), isouter=True)
        .order_by(col(ImportBatch.id).desc())
        .limit(limit)
    )
    return [
        ImportBatchInfo(
            id=int(batch.id or 0),
            source=batch.source,
            filename=batch.filename,
            actor=person or "system",
            token=token or "",
            finished_at=batch.finished_at,
            rows_added=batch.rows_added,
            rows_updated=batch.rows_updated,
            checksum=batch.checksum,
            by_system=person is None,
        )
        for batch, person, token in session.exec(query).all()
    ]
