"""The forecast calibration kept in the store (the ``forecast_calibration`` table): fitted once,
read by every process that starts after (a second app process, a restart, the command line), so
none replays the store's past quarters again before its first page.

A row is derived data: one per quarter's past (the day before the quarter it serves) and set of
metric definitions, rewritten whenever a newer fit is made. It says which observations it was
fitted on (their data version, first and last day); a row fitted on other observations still
serves while the new fit is worked out, as the process's own latest calibration does
(planning.okrs.backtest ``live_calibration``). Keeping it is best effort: a store that cannot take
the write loses only the shortcut: a page never waits for another writer's lock to keep it (a
store busy with an import is tried again by a later read), and one that refuses for good
(read-only, not migrated) is not asked again by this process.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Engine, delete, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from planning.config import AppConfig
from planning.okrs.backtest_fit import Calibration
from planning.store.engine import nowait_engine, read_engine, session_scope
from planning.store.models import utcnow
from planning.store.models_forecast import ForecastCalibration

_LOG = logging.getLogger(__name__)

Saved = Literal["kept", "busy", "failed"]


@dataclass(frozen=True)
class Fitted:
    """Which observations a calibration was fitted on."""

    observations_version: int
    first_day: date | None
    last_day: date | None


@dataclass(frozen=True)
class SavedCalibration:
    """A calibration read back from the store, and the observations it was fitted on."""

    calibration: Calibration
    fitted: Fitted


def metrics_key(config: AppConfig) -> str:
    """The SHA-256 of the metric definitions: a calibration serves only the set it was fitted on."""
    return hashlib.sha256(config.metrics.model_dump_json().encode()).hexdigest()


def read_saved(*, engine: Engine, past_end: date, key: str) -> SavedCalibration | None:
    """The calibration kept for this quarter's past and metric definitions, if any (read on a
    connection of its own: the caller's transaction, perhaps a writer's, is left alone)."""
    try:
        with read_engine(engine).connect() as connection:
            row = connection.execute(
                select(ForecastCalibration).where(
                    ForecastCalibration.past_end == past_end,  # type: ignore[arg-type]
                    ForecastCalibration.metrics_key == key,  # type: ignore[arg-type]
                )
            ).first()
    except SQLAlchemyError:  # a store not migrated yet: no shortcut, the fit is worked out
        return None
    if row is None:
        return None
    try:
        calibration = Calibration.from_json(row.calibration)
    except ValueError:  # a row no reader can use is fitted again
        _LOG.warning("the kept forecast calibration for %s cannot be read", past_end)
        return None
    fitted = Fitted(row.observations_version, as_day(row.first_day), as_day(row.last_day))
    return SavedCalibration(calibration=calibration, fitted=fitted)


def as_day(found: object) -> date | None:
    """A day as the store gives it back (a date, or ISO text on some drivers), or None."""
    if found is None or isinstance(found, date):
        return found
    return date.fromisoformat(str(found)[:10])


def save(
    *, engine: Engine, past_end: date, key: str, fitted: Fitted, calibration: Calibration
) -> Saved:
    """Keep a calibration for this quarter's past and metric definitions, without waiting for
    another writer: "busy" when one holds the store (try again later), "failed" when the store
    refuses the write for good (read-only, not migrated)."""
    if fitted.first_day is None or fitted.last_day is None:
        return "failed"
    row = ForecastCalibration(
        past_end=past_end,
        metrics_key=key,
        observations_version=fitted.observations_version,
        first_day=fitted.first_day,
        last_day=fitted.last_day,
        calibration=calibration.to_json(),
        fitted_at=utcnow(),
    )
    try:
        with session_scope(nowait_engine(engine)) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET LOCAL lock_timeout = '200ms'"))
            # Only a row fitted on the same or older observations gives way: a slower process
            # that fitted before an import never replaces the fit made after it.
            session.execute(
                delete(ForecastCalibration).where(
                    ForecastCalibration.past_end == past_end,  # type: ignore[arg-type]
                    ForecastCalibration.metrics_key == key,  # type: ignore[arg-type]
                    ForecastCalibration.observations_version  # type: ignore[arg-type]
                    <= fitted.observations_version,
                )
            )
            session.add(row)
    except IntegrityError:  # another process kept the same row, or a newer one, meanwhile
        return "kept"
    except OperationalError as exc:
        if _busy(exc):
            return "busy"
        _LOG.warning("the forecast calibration was not kept: %s", exc.__class__.__name__)
        return "failed"
    except SQLAlchemyError as exc:
        _LOG.warning("the forecast calibration was not kept: %s", exc.__class__.__name__)
        return "failed"
    return "kept"


def _busy(exc: OperationalError) -> bool:
    """Whether the write failed only because another writer held the store."""
    text_of = str(exc.orig).lower()
    return "locked" in text_of or "lock timeout" in text_of or "busy" in text_of
