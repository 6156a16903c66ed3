"""Whether the store can be used, and if not, why, in one sentence a person can act on.

The server never stops because of its store: a file that is not a database, a folder, a damaged or
read-only file, or a PostgreSQL server that is down makes the store *unavailable*. The pages and the
API say so, and a StoreGate tries again on a later request, no sooner than RETRY_SECONDS after the
last attempt, so a dead store is not hammered and a repaired one is picked up without a restart.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy import URL, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from planning.store.engine import DATABASE_URL_ENV, StoreError, sqlite_file

log = logging.getLogger("quarterdeck.store")

RETRY_SECONDS = 5.0  # the least time between two attempts to open a store that failed

# What using the store may raise: SQLAlchemy's errors, and the drivers' own where a bulk write
# works on the driver's cursor (planning/metrics/observations.py).
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, sqlite3.Error, psycopg.Error)

_RESTORE = (
    "replace the file with a backup, or restore an export into a new file "
    f"(`python -m planning restore DIR`) and point {DATABASE_URL_ENV} at it"
)
_READ_ONLY = (
    "make the file and its folder writable by the user that runs Quarterdeck, "
    f"or point {DATABASE_URL_ENV} at a writable store"
)
_READ_ONLY_PROBLEM = "is read-only (Quarterdeck saves sign-ins, updates and imports there)"


class StoreUnavailable(StoreError):
    """The store cannot be opened or used right now: where it is, what is wrong, what to do."""

    def __init__(self, *, where: str, problem: str, remedy: str, busy: bool = False) -> None:
        self.where = where
        self.problem = problem
        self.remedy = remedy
        self.busy = busy  # only busy (locked) for a moment: nothing to repair, just retry
        super().__init__(f"the store at {where} {problem}; {remedy}")


def store_location(url: str | URL) -> str:
    """The store's location as a person would recognise it, without any password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(parsed)
        return str(path.resolve()) if path else ":memory:"
    return parsed.render_as_string(hide_password=True)


def _driver_error(exc: BaseException) -> BaseException:
    """The database driver's own exception behind a SQLAlchemy one."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return exc.orig
    return exc


def _reason(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].strip()


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def store_failure(exc: BaseException, url: str | URL) -> StoreUnavailable | None:
    """What a database error met while using the store says about the store, or None when it
    says nothing about it (a constraint, a bad statement, a missing table: a bug, not an
    unavailable store)."""
    error = _driver_error(exc)
    if isinstance(error, StoreUnavailable):
        return error
    if make_url(url).get_backend_name() == "sqlite":
        # SQLite reports a bad statement with the same classes as a bad file: go by the reason.
        if isinstance(exc, DBAPIError) or isinstance(error, sqlite3.Error):
            known = _sqlite_problem(_reason(error), sqlite_file(url))
            if known is not None:
                return describe_failure(exc, url)
        return None
    names = _class_names(error) | _class_names(exc)  # the driver's class, or SQLAlchemy's
    if "OperationalError" in names or getattr(error, "sqlstate", None) == "25006":
        return describe_failure(exc, url)
    return None


def _sqlite_problem(reason: str, path: Path | None) -> tuple[str, str] | None:
    """What is wrong with a SQLite store and what to do, from the driver's reason; None for a
    reason that is not about the file (a bad statement)."""
    lowered = reason.lower()
    if path is not None and path.is_dir():
        return (
            "is a folder, not a database file",
            f"point {DATABASE_URL_ENV} at a file (sqlite:///path/to/quarterdeck.db)",
        )
    if "locked" in lowered or "busy" in lowered:
        return f"is busy ({reason})", "retry shortly"
    if "readonly" in lowered or "read-only" in lowered:
        return _READ_ONLY_PROBLEM, _READ_ONLY
    if "not a database" in lowered:
        return "is not a SQLite database", _RESTORE
    if "malformed" in lowered or "corrupt" in lowered:
        return f"is damaged, perhaps truncated ({reason})", _RESTORE
    if "unable to open" in lowered:
        return (
            "cannot be opened",
            "check that its folder exists and that Quarterdeck may read and write there",
        )
    if "disk i/o" in lowered:
        return f"cannot be read or written ({reason})", f"check its disk, or {_RESTORE}"
    if "disk is full" in lowered:
        return f"cannot grow ({reason})", "free space on its disk"
    return None


def describe_failure(exc: BaseException, url: str | URL) -> StoreUnavailable:
    """Say why the store at `url` cannot be used, from the error met opening or using it."""
    if isinstance(exc, StoreUnavailable):
        return exc
    parsed = make_url(url)
    where = store_location(parsed)
    error = _driver_error(exc)
    reason = _reason(error)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(parsed)
        if isinstance(error, OSError) and not (path is not None and path.is_dir()):
            return StoreUnavailable(
                where=where,
                problem=f"cannot be created ({error.strerror or reason})",
                remedy="check that its folder exists and that Quarterdeck may write there",
            )
        known = _sqlite_problem(reason, path)
        if known is None:
            return StoreUnavailable(where=where, problem=f"failed ({reason})", remedy=_RESTORE)
        problem, remedy = known
        return StoreUnavailable(
            where=where, problem=problem, remedy=remedy, busy=problem.startswith("is busy")
        )
    if getattr(error, "sqlstate", None) == "25006" or "read-only" in reason.lower():
        return StoreUnavailable(where=where, problem=_READ_ONLY_PROBLEM, remedy=_READ_ONLY)
    if "OperationalError" in _class_names(error):
        return StoreUnavailable(
            where=where,
            problem=f"cannot be reached ({reason})",
            remedy=f"start PostgreSQL there, or correct {DATABASE_URL_ENV}",
        )
    return StoreUnavailable(
        where=where,
        problem=f"failed ({reason})",
        remedy=f"check the database server and {DATABASE_URL_ENV}",
    )


def check_writable(engine: Engine) -> None:
    """Raise the driver's error when the store cannot be written (a read-only file or server).

    A write that changes nothing still asks for the write lock, which a read-only store refuses.
    """
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM store_state WHERE 1 = 0"))


class StoreGate:
    """Hands out the store's engine once it has opened, and the reason while it cannot.

    A failed open is remembered for RETRY_SECONDS and then tried again; an engine that fails while
    in use is dropped the same way (see `failed`), so the store comes back by itself.
    """

    def __init__(
        self,
        opener: Callable[[], Engine],
        *,
        url: str | URL,
        retry_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._opener = opener
        self._url = url
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._failure: StoreError | None = None
        self._failed_at = 0.0

    @property
    def retry_seconds(self) -> float:
        """The least time between two attempts to open the store."""
        return RETRY_SECONDS if self._retry_seconds is None else self._retry_seconds

    @property
    def is_open(self) -> bool:
        """Whether an engine is open and not known to have failed."""
        return self._engine is not None

    def engine(self) -> Engine:
        """The open engine, opening the store if it is time to try; else raise why it cannot
        be used (StoreError, a StoreUnavailable for a store that is not there or not usable)."""
        current = self._engine
        if current is not None:
            return current
        with self._lock:
            if self._engine is not None:
                return self._engine
            if self._failure is not None and self._clock() - self._failed_at < self.retry_seconds:
                raise self._failure.with_traceback(None)  # not one growing traceback per raise
            try:
                self._engine = self._opener()
            except Exception as exc:
                self._remember(self._explain(exc))
                assert self._failure is not None
                raise self._failure from exc
            if self._failure is not None:
                log.warning("the store at %s is back", store_location(self._url))
            self._failure = None
            return self._engine

    def failed(self, exc: BaseException) -> StoreUnavailable | None:
        """Note an error met while using the engine: None when it says nothing about the store;
        else the reason, and unless the store is only busy the engine is dropped, to be opened
        again after the back-off."""
        failure = store_failure(exc, self._url)
        if failure is None or failure.busy:
            return failure
        with self._lock:
            dropped, self._engine = self._engine, None
            self._remember(failure)
        if dropped is not None:
            dropped.dispose()
        return failure

    def close(self) -> None:
        """Release the engine's connections."""
        with self._lock:
            dropped, self._engine = self._engine, None
        if dropped is not None:
            dropped.dispose()

    def _explain(self, exc: Exception) -> StoreError:
        if isinstance(exc, StoreError):  # already says why (e.g. a newer version's schema)
            return exc
        if isinstance(exc, (*DATABASE_ERRORS, OSError)):
            return describe_failure(exc, self._url)
        # Not a database error: a bug or something unforeseen; the log keeps the traceback.
        log.exception("opening the store at %s failed", store_location(self._url))
        return StoreUnavailable(
            where=store_location(self._url),
            problem=f"could not be opened ({type(exc).__name__}: {_reason(exc)})",
            remedy="the server log has the details",
        )

    def _remember(self, failure: StoreError) -> None:
        if self._failure is None or str(self._failure) != str(failure):
            log.error("%s", failure)
        self._failure = failure
        self._failed_at = self._clock()
