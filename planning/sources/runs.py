"""Running a source: lock, fetch, validate, write in one transaction, record the run.

A run holds the source's lock for its whole length (a PostgreSQL advisory lock, or a lock row on
SQLite), so two processes sharing a store never run the same source at once: the second one is
told "busy" and does nothing. The fetched table goes through the importer's checks; with any bad
row or any failure (unreachable database, bad query, changed header) nothing is written, the data
already stored stays, and the run is recorded as failed with its error, secrets blanked out. A
good run writes its observations, an import batch named `source:<name>` and its run record in
one transaction; running the same window again changes no observation.

A run's record keeps what its converter noted about the rows (a Shopify export's orders left out
or moved to another day) and its error in every language Quarterdeck speaks, so each reader
reads them in their own; `error` also holds the team's words, as it always has.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from planning import clock, i18n
from planning.access.permissions import require_director
from planning.config import AppConfig
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.import_checks import RowProblem, Validation, validate
from planning.metrics.import_file import LINE, ImportFileError, cell_text
from planning.metrics.importer import ADD, LEAVE, UPDATE, compare_with_store
from planning.metrics.metric_query import as_date
from planning.metrics.observations import UpsertCounts, write_batch
from planning.sources.config import Source, SourcesConfig
from planning.sources.exports import problems_text
from planning.sources.kinds import FetchContext
from planning.sources.secrets import Secrets
from planning.store.engine import read_engine
from planning.store.models import Person, PersonRead, utcnow

# Why a source was skipped, kept in English in the outcome (JSON) and read in the team's language
# where a person reads it.
ANOTHER_RUN = N_("another process is running this source right now")
CUT_OFF = N_("the run was cut off before it finished; nothing was written")

OK, FAILED, RUNNING, INTERRUPTED, BUSY = "ok", "failed", "running", "interrupted", "busy"
BATCH_PREFIX = "source:"
# A lock row (SQLite) older than this is taken over: its holder died without letting go.
STALE_LOCK = timedelta(hours=6)
MAX_ERROR = 4000


class SourceDataError(ValueError):
    """The fetched rows do not pass the importer's checks (nothing was written)."""


@dataclass(frozen=True)
class SyncOutcome:
    """What one run did: ok (written), failed (nothing written) or busy (running elsewhere)."""

    source: str
    status: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    batch_id: int | None = None
    run_id: int | None = None
    since: date | None = None
    through: date | None = None
    seconds: float = 0.0
    error: str = ""  # in the team's language (a log line, a record read before languages)
    errors: Mapping[str, str] = field(default_factory=dict)  # by language code
    notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # by language code

    @property
    def ok(self) -> bool:
        """Whether the run wrote its rows (or found none to write)."""
        return self.status == OK

    def error_text(self) -> str:
        """Why the run failed or was skipped, in the reader's language."""
        if self.status == BUSY:
            return _(self.error)
        return i18n.for_reader(self.errors, self.error)

    def note_texts(self) -> tuple[str, ...]:
        """The converter's notes on what the run read, in the reader's language."""
        return i18n.for_reader(self.notes, ())


@dataclass(frozen=True)
class SourcePreview:
    """What a run would write now, fetched and checked but not written."""

    source: str
    rows: int = 0
    would_add: int = 0
    would_update: int = 0
    would_leave: int = 0
    since: date | None = None
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)
    error: str = ""
    notes: tuple[str, ...] = ()


# --- the lock ----------------------------------------------------------------------------------


@contextmanager
def source_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Hold the source's lock while the block runs; yields False if another runner holds it."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, name) as held:
            yield held
        return
    holder = _take_lock_row(engine, name)
    try:
        yield holder is not None
    finally:
        if holder is not None:
            with engine.begin() as connection:
                connection.execute(
                    text("DELETE FROM source_lock WHERE source = :s AND holder = :h"),
                    {"s": name, "h": holder},
                )


_ADVISORY_KEY = "hashtextextended('quarterdeck-source:' || current_schema() || ':' || :name, 0)"


@contextmanager
def _advisory_lock(engine: Engine, name: str) -> Iterator[bool]:
    # A session-level advisory lock on a connection of its own: held across the run's several
    # transactions, and released by the server if this process dies.
    connection = engine.connect()
    try:
        held = bool(
            connection.execute(
                text(f"SELECT pg_try_advisory_lock({_ADVISORY_KEY})"), {"name": name}
            ).scalar_one()
        )
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(
                    text(f"SELECT pg_advisory_unlock({_ADVISORY_KEY})"), {"name": name}
                )
                connection.commit()
    finally:
        connection.close()


def _holder_alive(holder: str, acquired_at: Any) -> bool:
    host, _sep, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host == socket.gethostname() and pid_text.isdigit():
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    if isinstance(acquired_at, str):
        acquired_at = datetime.fromisoformat(acquired_at)
    if acquired_at.tzinfo is None:
        acquired_at = acquired_at.replace(tzinfo=clock.utcnow().tzinfo)
    return bool(utcnow() - acquired_at < STALE_LOCK)


def _take_lock_row(engine: Engine, name: str) -> str | None:
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:  # BEGIN IMMEDIATE on SQLite: one taker at a time
        row = connection.execute(
            text("SELECT holder, acquired_at FROM source_lock WHERE source = :s"), {"s": name}
        ).first()
        if row is not None:
            if _holder_alive(row[0], row[1]):
                return None
            connection.execute(text("DELETE FROM source_lock WHERE source = :s"), {"s": name})
        connection.execute(
            text("INSERT INTO source_lock (source, holder, acquired_at) VALUES (:s, :h, :t)"),
            {"s": name, "h": holder, "t": utcnow()},
        )
    return holder


# --- a run -------------------------------------------------------------------------------------


def as_day(value: Any) -> date | None:
    """A stored or fetched day (date, datetime or ISO text) as a date; None stays None."""
    return None if value is None else as_date(value)


def watermark(*, engine: Engine, source: str) -> date | None:
    """The last day a good run of the source held (None before its first good run)."""
    with read_engine(engine).connect() as connection:
        value = connection.execute(
            text("SELECT MAX(through_day) FROM source_run WHERE source = :s AND status = :ok"),
            {"s": source, "ok": OK},
        ).scalar_one()
    return as_day(value)


def window_start(*, engine: Engine, source: Source) -> date | None:
    """The first day a run asks for: the watermark minus the look-back (None: everything, and
    always for a kind that reads its whole file at each run)."""
    if not source.spec.incremental:
        return None
    last = watermark(engine=engine, source=source.name)
    if last is None:
        return None
    back = int(getattr(source.settings, "lookback_days", 0) or 0)
    return last - timedelta(days=back)


def as_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A kind's interchange frame as the importer's table of cells, lines numbered from 2
    (or kept, when the kind read a file and numbered them itself)."""
    table = frame.copy()
    table.columns = pd.Index([str(c).strip().lower() for c in table.columns])
    if "date" in table.columns:
        dates = table["date"]
        if pd.api.types.is_datetime64_any_dtype(dates):
            table["date"] = dates.dt.strftime("%Y-%m-%d")
        else:
            codes, uniques = pd.factorize(dates, use_na_sentinel=False)
            texts = np.array([cell_text(u) for u in uniques], dtype=object)
            table["date"] = texts[codes]
    for column in table.columns:
        if column not in {"date", "value"} and table[column].dtype == object:
            table[column] = table[column].where(table[column].notna(), "")
    if table.index.name != LINE:
        table.index = pd.RangeIndex(2, len(table) + 2, name=LINE)
    return table


def _problem_text(problem: RowProblem, table: pd.DataFrame | None) -> str:
    """A problem by file line, or (rows that came from a query, not a file) by the row's day
    and measure, which say more than a position in the long table."""
    if table is None or problem.line not in table.index:
        return str(problem)
    row = table.loc[problem.line]
    where = f"{row.get('date', '')} {row.get('measure', '')}".strip() or _("row {number}").format(
        number=problem.line - 1
    )
    return (
        f"{where}, {problem.column}: {problem.reason}"
        if problem.column
        else (f"{where}: {problem.reason}")
    )


def describe_failure(exc: BaseException) -> str:
    """One readable sentence for a failed fetch or write (before secrets are blanked)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        reason = " ".join(str(exc.orig).split())
        if not reason:
            return type(exc.orig).__name__
        return _("the database refused: {reason}").format(reason=reason)
    if isinstance(exc, SQLAlchemyError):
        return " ".join(str(exc).split("\n")[0].split())
    if isinstance(exc, ImportFileError):
        return _("the file cannot be imported: {reason}").format(reason=exc)
    said = exc.args[0] if len(exc.args) == 1 else None
    # A reason kept as Words is written again in the language of this reader.
    text_ = " ".join((said.render() if isinstance(said, i18n.Words) else str(exc)).split())
    if isinstance(exc, KeyError | LookupError | ValueError | RuntimeError | OSError) and text_:
        return text_.strip("'\"")
    return f"{type(exc).__name__}: {text_}" if text_ else type(exc).__name__


def _fetched(source: Source, context: FetchContext) -> Callable[[], pd.DataFrame]:
    """Fetch the source once; the call returned turns what was fetched into its rows (a file
    kind parses the file then, so it can parse it again in another language)."""
    spec = source.spec
    if spec.read is not None and spec.parse is not None:
        data = spec.read(source.settings, context)
        parse = spec.parse
        return lambda: parse(data, source.settings, context)
    frame = spec.fetch(source.settings, context)
    return lambda: frame


def _fetch_checked(
    source: Source, config: AppConfig, secrets: Secrets, since: date | None, engine: Engine
) -> tuple[Validation, FetchContext]:
    context = FetchContext(secret=secrets, since=since, config=config, engine=engine)
    return _checked(_fetched(source, context)(), config), context


def _checked(frame: pd.DataFrame | None, config: AppConfig) -> Validation:
    """The fetched rows through the importer's checks; SourceDataError naming the bad ones."""
    if frame is None or len(frame) == 0:
        return Validation(frame=pd.DataFrame(), problems=[], rows=0)
    from_file = frame.index.name == LINE  # a kind that read a file numbered its lines
    table = as_table(frame)
    validation = validate(table=table, config=config.metrics)
    if validation.problems:
        described = None if from_file else table
        raise SourceDataError(
            problems_text(validation.problems, lambda p: _problem_text(p, described))
        )
    return validation


def run_source(
    *,
    engine: Engine,
    config: AppConfig,
    source: Source,
    trigger: str,
    actor: Person | PersonRead | None = None,
    secrets: Secrets | None = None,
) -> SyncOutcome:
    """Run one source now (unless another process is running it) and record the run.

    `actor` None is the system (command line, schedule); a person must be an active director.
    Never raises for a failure of the source itself: the outcome and the run record carry it.
    """
    if actor is not None:
        require_director(actor, N_("run a data source"))
    secrets = secrets or Secrets()
    with source_lock(engine, source.name) as held:
        if not held:
            return SyncOutcome(
                source=source.name,
                status=BUSY,
                error=ANOTHER_RUN,
            )
        # The run record is read by every director on the Sources tab and by the health check,
        # each in their own language: its error and notes are kept in every language, and
        # `error` in the team's, whoever started the run (formats are always the team's).
        with i18n.use_locale(i18n.team_language(), formats=i18n.team_locale()):
            began = perf_counter()
            since = window_start(engine=engine, source=source)
            run_id = _start_run(engine, source.name, trigger, since)
            context = FetchContext(secret=secrets, since=since, config=config, engine=engine)
            rows: Callable[[], pd.DataFrame] | None = None
            try:
                rows = _fetched(source, context)
                validation = _checked(rows(), config)
                notes = _notes_by_language(context.notes)
                outcome = _write(engine, source, validation, run_id, actor, since, began, notes)
            except Exception as exc:  # every failure of a source is recorded, never raised
                errors = _failure_by_language(exc, rows, config, secrets)
                message = errors[i18n.team_language()]
                _finish_failed(engine, run_id, message, errors)
                return SyncOutcome(
                    source=source.name,
                    status=FAILED,
                    run_id=run_id,
                    since=since,
                    seconds=perf_counter() - began,
                    error=message,
                    errors=errors,
                )
        return outcome


def _notes_by_language(notes: list[str]) -> dict[str, tuple[str, ...]]:
    """A converter's notes in each language Quarterdeck speaks."""
    written = [i18n.in_every_language(note) for note in notes]
    return {code: tuple(note[code] for note in written) for code in i18n.LANGUAGES}


def _failure_by_language(
    exc: BaseException,
    rows: Callable[[], pd.DataFrame] | None,
    config: AppConfig,
    secrets: Secrets,
) -> dict[str, str]:
    """Why a run failed, in each language Quarterdeck speaks (secrets blanked out).

    Rows that were fetched but are refused (a bad row, a changed header) are turned into rows
    and checked again in each language, which says the same refusal in its words; a failure to
    fetch keeps the words it was raised with inside the sentence around it."""
    first = i18n.language()
    errors = {}
    for code in i18n.LANGUAGES:
        with i18n.use_locale(code, formats=i18n.format_locale()):
            found: BaseException = exc
            if code != first and rows is not None:
                try:
                    _checked(rows(), config)
                except Exception as again:  # the same refusal, now in this language
                    found = again
            errors[code] = secrets.scrub(describe_failure(found))[:MAX_ERROR]
    return errors


def _start_run(engine: Engine, name: str, trigger: str, since: date | None) -> int:
    with engine.begin() as connection:
        # The lock is ours: a run still marked running was cut off (its process died).
        connection.execute(
            text(
                "UPDATE source_run SET status = :gone, finished_at = :now, error = :cut, "
                "error_words = :words WHERE source = :s AND status = :running"
            ),
            {
                "gone": INTERRUPTED,
                "now": utcnow(),
                "cut": _(CUT_OFF),
                "words": words_json(i18n.in_every_language(i18n.said(CUT_OFF))),
                "s": name,
                "running": RUNNING,
            },
        )
        row_id = connection.execute(
            text(
                "INSERT INTO source_run (source, trigger, started_at, status, rows, rows_added, "
                "rows_updated, since_day, measures, error, error_words, notes) VALUES (:s, :t, "
                ":now, :running, 0, 0, 0, :since, '', '', '', '') RETURNING id"
            ),
            {"s": name, "t": trigger, "now": utcnow(), "running": RUNNING, "since": since},
        ).scalar_one()
    return int(row_id)


def words_json(words: Mapping[str, object]) -> str:
    """A run's words by language as the text stored in source_run (empty: none)."""
    return json.dumps(words, ensure_ascii=False, sort_keys=True) if words else ""


def _finish_failed(engine: Engine, run_id: int, message: str, errors: Mapping[str, str]) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE source_run SET status = :failed, finished_at = :now, error = :error, "
                "error_words = :words WHERE id = :id"
            ),
            {
                "failed": FAILED,
                "now": utcnow(),
                "error": message,
                "words": words_json(errors),
                "id": run_id,
            },
        )


def _checksum(frame: pd.DataFrame) -> str:
    """SHA-256 over the written rows (measure, dimensions, day, value), column by column."""
    codes, days = pd.factorize(frame["day"])
    ordinals = np.array([as_day(d).toordinal() for d in days], dtype=np.int64)  # type: ignore[union-attr]
    digest = hashlib.sha256()
    for column in (frame["measure"], frame["dims_key"], pd.Series(ordinals[codes])):
        digest.update(pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes())
    digest.update(frame["value"].to_numpy(dtype=np.float64).tobytes())
    return digest.hexdigest()


def _write(
    engine: Engine,
    source: Source,
    validation: Validation,
    run_id: int,
    actor: Person | PersonRead | None,
    since: date | None,
    began: float,
    notes: Mapping[str, tuple[str, ...]],
) -> SyncOutcome:
    frame = validation.frame
    finish = (
        "UPDATE source_run SET status = :ok, finished_at = :now, rows = :rows, "
        "rows_added = :added, rows_updated = :updated, through_day = :through, "
        "measures = :measures, batch_id = :batch, notes = :notes WHERE id = :id"
    )
    if not any(notes.values()):
        notes = {}
    counts, batch_id = UpsertCounts(added=0, updated=0, unchanged=0), None
    through: date | None = None
    measures = ""
    with engine.begin() as connection:
        if not frame.empty:  # no rows: the run is finished all the same, with no batch
            through = max(as_day(d) for d in pd.unique(frame["day"]))  # type: ignore[type-var]
            measures = ",".join(sorted(pd.unique(frame["measure"]).tolist()))[:2000]
            counts, batch_id = write_batch(
                connection=connection,
                actor=actor,
                frame=frame,
                source=f"{BATCH_PREFIX}{source.name}",
                filename=source.name,
                checksum=_checksum(frame),
            )
        connection.execute(
            text(finish),
            {
                "ok": OK,
                "now": utcnow(),
                "rows": len(frame),
                "added": counts.added,
                "updated": counts.updated,
                "through": through,
                "measures": measures,
                "batch": batch_id,
                "notes": words_json(notes),
                "id": run_id,
            },
        )
    return SyncOutcome(
        source=source.name,
        status=OK,
        rows=len(frame),
        added=counts.added,
        updated=counts.updated,
        unchanged=counts.unchanged,
        batch_id=batch_id,
        run_id=run_id,
        since=since,
        through=through,
        seconds=perf_counter() - began,
        notes=notes,
    )


def preview_source(
    *,
    engine: Engine,
    config: AppConfig,
    source: Source,
    secrets: Secrets | None = None,
    sample_rows: int = 20,
) -> SourcePreview:
    """Fetch and check what a run would write now, and compare it with the store; writes
    nothing and records no run."""
    secrets = secrets or Secrets()
    since = window_start(engine=engine, source=source)
    try:
        validation, context = _fetch_checked(source, config, secrets, since, engine)
        notes = tuple(str(note) for note in context.notes)
        if validation.frame.empty:
            return SourcePreview(source=source.name, since=since, notes=notes)
        with Session(read_engine(engine)) as session:
            compared = compare_with_store(session=session, validation=validation)
    except Exception as exc:  # shown to the director, like a run's error
        return SourcePreview(
            source=source.name, since=since, error=secrets.scrub(describe_failure(exc))
        )
    change = compared["change"]
    order = np.argsort(np.asarray(change == LEAVE, dtype=np.int8), kind="stable")
    return SourcePreview(
        source=source.name,
        rows=len(compared),
        would_add=int((change == ADD).sum()),
        would_update=int((change == UPDATE).sum()),
        would_leave=int((change == LEAVE).sum()),
        since=since,
        sample=compared.iloc[order[:sample_rows]].reset_index(drop=True),
        notes=notes,
    )


def run_sources(
    *,
    engine: Engine,
    config: AppConfig,
    sources: SourcesConfig,
    names: list[str] | None = None,
    trigger: str,
) -> list[SyncOutcome]:
    """Run the named sources (all when none are named), one after the other."""
    chosen = [sources.get(n) for n in names] if names else list(sources.sources.values())
    return [run_source(engine=engine, config=config, source=s, trigger=trigger) for s in chosen]
