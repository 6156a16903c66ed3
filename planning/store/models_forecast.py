"""The forecast calibration kept in the store (planning.okrs.backtest_saved): derived data, so a
process that starts (a second app process, a restart, the command line) serves the calibration
already fitted instead of replaying the store's past quarters again."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from planning.store.models import utcnow


class ForecastCalibration(SQLModel, table=True):
    """The calibration last fitted for one quarter's past under one set of metric definitions,
    with the observations it was fitted on (their data version and first and last day)."""

    __tablename__ = "forecast_calibration"
    # The last day of the past the calibration saw: the day before the quarter it serves.
    past_end: date = Field(primary_key=True)
    # SHA-256 of the metric definitions (metrics.yaml as validated): another set fits anew.
    metrics_key: str = Field(max_length=64, primary_key=True)
    observations_version: int
    first_day: date
    last_day: date
    calibration: str  # the Calibration as JSON (planning.okrs.backtest_fit)
    fitted_at: datetime = Field(default_factory=utcnow)
