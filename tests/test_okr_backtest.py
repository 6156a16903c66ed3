"""The forecast backtest and its calibration (issue 23): worked examples of the Brier score and
of the monotone step map, and the calibration judged on generated shops (not the demo) whose
level drifts by none, a small or a large amount each quarter, on quarters it was not fitted on."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from planning.okrs.backtest_fit import (
    CalibratedForecast,
    Calibration,
    Drift,
    StepMap,
    calibrate,
    fit_step_map,
)
from planning.okrs.backtest_replay import MIN_QUARTERS, DayValues
from planning.okrs.backtest_score import assess, bins_within, brier, reliability, score
from planning.okrs.maths import Z_80, Forecast
from tests.forecast_generator import DRIFTS, PERIODS, shop


def test_brier_score_worked_example() -> None:
    # (0.9 − 1)² + (0.9 − 0)² + (0.2 − 0)² + (0.5 − 1)² = 0.01 + 0.81 + 0.04 + 0.25 = 1.11; / 4
    pairs = [(0.9, True), (0.9, False), (0.2, False), (0.5, True)]
    assert brier(pairs) == pytest.approx(0.2775)
    found = score(pairs)
    # Base rate 2 hits in 4: always saying 0.5 scores 0.25.
    assert found.base_rate == 0.5 and found.base_rate_brier == pytest.approx(0.25)
    bins = {b.low: (b.stated, b.hit_rate, b.n) for b in reliability(pairs)}
    assert bins[0.9] == (pytest.approx(0.9), 0.5, 2)
    assert bins[0.2] == (pytest.approx(0.2), 0.0, 1)
    assert brier([]) is None


def test_step_map_worked_example() -> None:
    # Stated 0.1, 0.2 (hit), 0.3 (miss), 0.9, 0.9 (hits): 0.2 hit then 0.3 missed violates order,
    # so the two pool into one block at 0.25 hitting half the time.
    pairs = [(0.1, False), (0.2, True), (0.3, False), (0.9, True), (0.9, True)]
    mapped = fit_step_map(pairs)
    assert mapped.xs == pytest.approx((0.1, 0.25, 0.9))
    assert mapped.ys == pytest.approx((0.0, 0.5, 1.0))
    assert mapped(0.05) == 0.0  # flat beyond the ends
    assert mapped(0.175) == pytest.approx(0.25)  # halfway from 0.1 to 0.25: halfway 0 to 0.5
    assert mapped(0.95) == 1.0
    assert StepMap()(0.42) == 0.42  # no fit: unchanged


@pytest.mark.parametrize("size", sorted(DRIFTS))
def test_calibration_holds_on_quarters_it_was_not_fitted_on(size: str) -> None:
    quality = assess(shop(DRIFTS[size], seed=len(size)), periods=PERIODS)
    # The step change of one metric and the drift make the raw forecaster miss somewhere.
    assert size == "small" or not bins_within(quality.raw, tolerance=0.10, min_n=20)
    held = quality.calibrated
    assert held.n > 500
    assert bins_within(held, tolerance=0.10, min_n=20), [
        (round(b.stated, 2), round(b.hit_rate, 2), b.n) for b in held.bins
    ]
    assert held.brier is not None and quality.raw.brier is not None
    # Discrimination no worse than the uncalibrated forecaster's.
    assert held.brier <= quality.raw.brier


def test_bands_widen_with_the_quarter_drift() -> None:
    still = assess(shop(DRIFTS["none"], seed=5), periods=PERIODS).calibration
    moving = assess(shop(DRIFTS["large"], seed=5), periods=PERIODS).calibration
    # The daily spread alone misses quarter-level moves: the band of a drifting shop widens more.
    for kind in ("level:period_to_date", "level:trailing_7d", "level:trailing_28d", "total"):
        assert moving.of("m1", kind).drift > still.of("m1", kind).drift
        wide = moving.of("m1", kind).spread(sd=1.0, value=100.0, remaining=0.5)
        narrow = still.of("m1", kind).spread(sd=1.0, value=100.0, remaining=0.5)
        assert wide > narrow >= 1.0


def _raw(value: float, sd: float) -> Forecast:
    return Forecast(value=value, probability=0.5, low=value - Z_80 * sd, high=value + Z_80 * sd)


def _calibrated_total(calibration: Calibration, direction: str) -> CalibratedForecast:
    """A raw forecast of 110 ± 10 (sd) for a total of metric m with target 100, half the
    quarter to go, calibrated on `calibration`."""
    target = {"metric_id": "m", "kind": "total", "target": 100.0, "remaining": 0.5}
    return calibrate(_raw(110.0, 10.0), calibration=calibration, direction=direction, **target)


def test_little_history_gives_a_range_never_a_number() -> None:
    few = Calibration(quarters={"m": MIN_QUARTERS - 1})
    found = _calibrated_total(few, "increase")
    assert found.basis == "little_history" and found.probability is None
    assert found.low is not None and found.high is not None
    # From the band twice as wide (P(z ≥ −0.5) ≈ 0.69) to the raw one (P(z ≥ −1) ≈ 0.84).
    assert found.low == pytest.approx(0.6915, abs=1e-3)
    assert found.high == pytest.approx(0.8413, abs=1e-3)


def test_enough_history_widens_the_band_and_maps_the_probability() -> None:
    enough = Calibration(
        drift={("m", "total"): Drift(noise=4.0)},
        step=StepMap(xs=(0.0, 1.0), ys=(0.1, 0.9)),
        quarters={"m": 6},
    )
    found = _calibrated_total(enough, "increase")
    assert found.basis == "calibrated"
    assert found.forecast.high - found.forecast.value == pytest.approx(Z_80 * 20.0)
    # sd 20: P(end ≥ 100) = P(z ≥ −0.5) ≈ 0.6915, mapped linearly onto 0.1–0.9 ≈ 0.653.
    assert found.probability == pytest.approx(0.1 + 0.8 * 0.6915, abs=1e-3)
    lower = _calibrated_total(enough, "decrease")
    assert lower.probability == pytest.approx(1 - found.probability)


def test_a_run_of_days_reads_each_day_and_none_where_there_is_none() -> None:
    by_day = {date(2026, 1, 2): 5.0, date(2026, 1, 4): 7.0, date(2026, 1, 5): float("nan")}
    days = DayValues(by_day)

    def looked_up(start: date, end: date) -> list[float | None]:
        count = (end - start).days + 1
        return [by_day.get(start + timedelta(days=i)) for i in range(max(count, 0))]

    for start, end in [
        (date(2026, 1, 2), date(2026, 1, 5)),  # exactly the stored days
        (date(2025, 12, 30), date(2026, 1, 3)),  # starts before the first stored day
        (date(2026, 1, 4), date(2026, 1, 9)),  # runs past the last
        (date(2025, 12, 1), date(2026, 2, 1)),  # around all of them
        (date(2025, 11, 1), date(2025, 11, 3)),  # wholly before
        (date(2026, 3, 1), date(2026, 3, 2)),  # wholly after
        (date(2026, 1, 4), date(2026, 1, 3)),  # an empty run
    ]:
        found = days.run(start, end)
        assert [repr(v) for v in found] == [repr(v) for v in looked_up(start, end)]
    assert days.run(date(2026, 1, 1), date(2026, 1, 4)) == [None, 5.0, None, 7.0]
    assert DayValues({}).run(date(2026, 1, 1), date(2026, 1, 2)) == [None, None]
    # Keys that are not plain dates are looked up as they are, day by day.
    mixed = DayValues({datetime(2026, 1, 2): 1.0, date(2026, 1, 3): 2.0})
    assert mixed.run(date(2026, 1, 2), date(2026, 1, 3)) == [None, 2.0]
