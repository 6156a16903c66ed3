"""The forecast calibration kept in the store (the ``forecast_calibration`` table): fitted once,
read by every process that starts after (a second app process, a restart, the command line), so
none replays the store's past quarters again before its first page.

A row is derived data: one per quarter's past (the day before the quarter it serves) and set of
metric definitions, rewritten whenever a newer fit is made. It says which observations it was
fitted on (their data version, first and last day); a row fitted on other observations still
serves while the new fit is worked out, as the process's own latest calibration does
(planning.okrs.backtest ``live_calibration``). Keeping it is best effort: a store that cannot take
the write (read-only, busy, another process writing the same row) loses only the shortcut.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, delete
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from planning.config import AppConfig
from planning.okrs.backtest_fit import Calibration
from planning.store.engine import session_scope
from planning.store.models import utcnow
from planning.store.models_forecast import ForecastCalibration

_LOG = logging.getLogger(__name__)


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


def read_saved(*, session: Session, past_end: date, key: str) -> SavedCalibration | None:
    """The calibration kept for this quarter's past and metric definitions, if any."""
    try:
        row = session.get(ForecastCalibration, (past_end, key))
    except SQLAlchemyError:  # a store not migrated yet: no shortcut, the fit is worked out
        session.rollback()
        return None
    if row is None:
        return None
    try:
        calibration = Calibration.from_json(row.calibration)
    except (ValueError, KeyError, TypeError):  # a row no reader can use is fitted again
        _LOG.warning("the kept forecast calibration for %s cannot be read", past_end)
        return None
    fitted = Fitted(row.observations_version, row.first_day, row.last_day)
    return SavedCalibration(calibration=calibration, fitted=fitted)


def save(
    *, engine: Engine, past_end: date, key: str, fitted: Fitted, calibration: Calibration
) -> None:
    """Keep a calibration for this quarter's past and metric definitions (best effort)."""
    if fitted.first_day is None or fitted.last_day is None:
        return
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
        with session_scope(engine) as session:
            session.execute(
                delete(ForecastCalibration).where(
                    ForecastCalibration.past_end == past_end,  # type: ignore[arg-type]
                    ForecastCalibration.metrics_key == key,  # type: ignore[arg-type]
                )
            )
            session.add(row)
    except SQLAlchemyError as exc:
        _LOG.warning("the forecast calibration was not kept: %s", exc.__class__.__name__)
