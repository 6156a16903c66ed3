"""OKR maths: each formula of DESIGN.md §4 pinned by a worked example."""

from __future__ import annotations

import math

import pytest

from planning.config.settings import OkrSettings
from planning.okrs.maths import (
    GuardrailResult,
    Status,
    clamp01,
    confidence_gap,
    expected_path,
    expected_progress,
    forecast_level,
    forecast_total,
    guardrail_check,
    guardrail_status,
    kr_progress,
    kr_status,
    linear_expected,
    milestone_progress,
    objective_grade,
    objective_progress,
    objective_status,
    suggested_grade,
    worst_status,
)

OKR = OkrSettings()  # on track within 0.10, at risk within 0.25, too early before 7 days


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


# --- progress ----------------------------------------------------------------------------------


def test_increase_kr_progress_conversion_half_way() -> None:
    # Conversion 2.1 % -> 2.4 %, now 2.25 %.
    assert kr_progress(direction="increase", start=2.1, target=2.4, current=2.25) == pytest.approx(
        0.5
    )
    assert kr_progress(direction="increase", start=2.1, target=2.4, current=2.1) == 0.0


def test_decrease_kr_progress_cart_abandonment() -> None:
    # Mobile cart abandonment 78 % -> 72 %: lower is better.
    def progress(current: float) -> float:
        return kr_progress(direction="decrease", start=78, target=72, current=current)

    assert progress(75) == pytest.approx(0.5)
    assert progress(80) == pytest.approx(-1 / 3)  # worse than the start: negative, kept
    assert progress(70) == pytest.approx(4 / 3)  # beyond the target: overachievement, kept
    assert clamp01(progress(70)) == 1.0
    assert clamp01(progress(80)) == 0.0


def test_progress_when_start_equals_target_needs_no_division() -> None:
    assert kr_progress(direction="increase", start=5, target=5, current=5) == 1.0
    assert kr_progress(direction="increase", start=5, target=5, current=6) == 1.0
    assert kr_progress(direction="increase", start=5, target=5, current=4) == 0.0
    assert kr_progress(direction="decrease", start=5, target=5, current=4) == 1.0
    assert kr_progress(direction="decrease", start=5, target=5, current=6) == 0.0


def test_progress_refuses_unknown_direction_and_non_numbers() -> None:
    with pytest.raises(ValueError, match="direction must be 'increase' or 'decrease', got 'up'"):
        kr_progress(direction="up", start=1, target=2, current=1.5)
    with pytest.raises(ValueError, match="current must be a finite number"):
        kr_progress(direction="increase", start=1, target=2, current=math.nan)


def test_milestone_progress_is_all_or_nothing() -> None:
    assert milestone_progress(True) == 1.0
    assert milestone_progress(False) == 0.0


def test_guardrail_is_met_on_its_window_value_with_an_inclusive_threshold() -> None:
    # Gross margin must stay at or above 48 %. The window value as of each day so far was 50,
    # 48, 47.9, 49, none (no data yet that day) and 46: two days in breach; now 46, breached.
    result = guardrail_check(
        rule="stay_above", threshold=48, current=46, running_values=[50, 48, 47.9, 49, None, 46]
    )
    assert (result.met, result.days_in_breach, result.days_checked) == (False, 2, 5)
    assert result.progress == 0.0
    # The same days with the window back at 48 now: met (on the threshold), still 2 days.
    held = guardrail_check(
        rule="stay_above", threshold=48, current=48, running_values=[50, 48, 47.9, 47, 48]
    )
    assert (held.met, held.days_in_breach, held.progress) == (True, 2, 1.0)
    # On the line up to float noise is on the line: 0.1 + 0.2 is 0.30000000000000004.
    ceiling = guardrail_check(
        rule="stay_below", threshold=0.3, current=0.1 + 0.2, running_values=[0.1 + 0.2]
    )
    assert (ceiling.met, ceiling.days_in_breach) == (True, 0)


def test_guardrail_without_a_window_value_is_not_judged() -> None:
    empty = guardrail_check(rule="stay_above", threshold=48, current=None)
    assert (empty.met, empty.days_in_breach, empty.progress) == (None, 0, None)
    assert guardrail_status(result=empty, probability=None, days_of_data=0, okr=OKR) == (
        Status.too_early
    )


def test_guardrail_stay_below() -> None:
    assert guardrail_check(rule="stay_below", threshold=2, current=2.0, running_values=[1.5]).met
    breached = guardrail_check(
        rule="stay_below", threshold=2, current=2.5, running_values=[2.1, 1.0, 2.5]
    )
    assert not breached.met and breached.days_in_breach == 2
    with pytest.raises(ValueError, match="got 'above'"):
        guardrail_check(rule="above", threshold=2, current=1.0)


def test_guardrail_status_from_the_window_value_and_the_chance_it_holds() -> None:
    held = guardrail_check(rule="stay_above", threshold=48, current=50)
    breached = guardrail_check(rule="stay_above", threshold=48, current=40)

    def status(result: GuardrailResult, probability: float | None, days: int = 10) -> Status:
        return guardrail_status(result=result, probability=probability, days_of_data=days, okr=OKR)

    assert status(held, 0.9) == Status.on_track
    assert status(held, 0.5) == Status.on_track  # an even chance is enough
    assert status(held, 0.49) == Status.at_risk
    assert status(held, None) == Status.on_track  # no forecast yet: judged on the value alone
    assert status(breached, 0.9) == Status.off_track
    assert status(held, 0.9, days=3) == Status.too_early
    assert status(breached, 0.0, days=3) == Status.too_early
    small = guardrail_status(
        result=held, probability=0.9, days_of_data=10, okr=OKR, denominator=10, min_denominator=30
    )
    assert small == Status.too_early


# --- expected progress -------------------------------------------------------------------------


def test_linear_pace_day_45_of_92() -> None:
    assert expected_progress(elapsed_days=45, total_days=92) == pytest.approx(45 / 92)
    assert linear_expected(0, 92) == 0.0
    assert linear_expected(120, 92) == 1.0
    with pytest.raises(ValueError, match="at least one day"):
        linear_expected(3, 0)


def test_seasonal_pace_follows_last_years_shape() -> None:
    last_year = [1.0, 1.0, 2.0, 4.0]  # total 8
    assert expected_progress(elapsed_days=2, total_days=4, last_year_daily=last_year) == 0.25
    assert expected_progress(elapsed_days=3, total_days=4, last_year_daily=last_year) == 0.5
    assert expected_progress(elapsed_days=0, total_days=4, last_year_daily=last_year) == 0.0
    assert expected_path(total_days=4, last_year_daily=last_year) == [0.125, 0.25, 0.5, 1.0]
    assert expected_path(total_days=4) == [0.25, 0.5, 0.75, 1.0]
    assert expected_path(total_days=4, last_year_daily=[1.0, None, 2.0, 4.0]) == [
        0.25,
        0.5,
        0.75,
        1.0,
    ]


@pytest.mark.parametrize(
    "last_year",
    [None, [], [0.0, 0.0, 0.0, 0.0], [1.0, None, 2.0, 4.0], [1.0, 1.0, 2.0]],
    ids=["missing", "empty", "zero total", "a day missing", "shorter than the window"],
)
def test_seasonal_pace_falls_back_to_linear(last_year: list[float | None] | None) -> None:
    assert expected_progress(elapsed_days=2, total_days=4, last_year_daily=last_year) == 0.5


# --- status ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("progress", "expected", "status"),
    [
        (0.40, 0.50, Status.on_track),  # exactly e − 0.10: inclusive
        (0.39, 0.50, Status.at_risk),
        (0.25, 0.50, Status.at_risk),  # exactly e − 0.25: inclusive
        (0.2499, 0.50, Status.off_track),
        (0.30, 0.40, Status.on_track),  # 0.40 − 0.10 is 0.30000000000000004 in floats
        (0.30, 0.55, Status.at_risk),  # 0.55 − 0.25 is 0.30000000000000004 in floats
        (1.30, 0.50, Status.on_track),  # overachievement
        (-0.2, 0.10, Status.off_track),
    ],
)
def test_status_boundaries(progress: float, expected: float, status: Status) -> None:
    assert kr_status(progress=progress, expected=expected, days_of_data=30, okr=OKR) == status


def test_status_uses_the_configured_margins() -> None:
    strict = OkrSettings(on_track_margin=0.05, at_risk_margin=0.15, too_early_days=3)
    assert kr_status(progress=0.42, expected=0.5, days_of_data=3, okr=strict) == Status.at_risk
    assert kr_status(progress=0.30, expected=0.5, days_of_data=3, okr=strict) == Status.off_track
    assert kr_status(progress=0.30, expected=0.5, days_of_data=2, okr=strict) == Status.too_early


def test_too_early_before_seven_days_without_a_value_or_with_a_thin_denominator() -> None:
    def status(**kwargs: object) -> Status:
        args: dict[str, object] = {"progress": 0.0, "expected": 0.5, "days_of_data": 30}
        args.update(kwargs)
        return kr_status(okr=OKR, **args)  # type: ignore[arg-type]

    assert status(days_of_data=6) == Status.too_early
    assert status(days_of_data=7) == Status.off_track
    assert status(progress=None) == Status.too_early
    assert status(progress=math.nan) == Status.too_early
    assert status(denominator=400, min_denominator=500) == Status.too_early
    assert status(denominator=500, min_denominator=500) == Status.off_track


def test_objective_status_is_the_worst_judged_key_result() -> None:
    assert worst_status([Status.on_track, Status.at_risk, Status.off_track]) == Status.off_track
    assert worst_status(["on_track", "at_risk", "too_early"]) == Status.at_risk
    assert worst_status([Status.too_early, Status.on_track]) == Status.on_track
    assert worst_status([Status.too_early, Status.too_early]) == Status.too_early
    assert worst_status([]) == Status.too_early
    with pytest.raises(ValueError):
        worst_status(["fine"])


# --- forecast ----------------------------------------------------------------------------------


def test_forecast_of_a_constant_total_is_certain_either_side_of_target() -> None:
    days = [100.0] * 45  # day 45 of a 92-day quarter at 100 a day
    exact = forecast_total(daily_values=days, total_days=92, target=9200, direction="increase")
    assert exact is not None
    assert exact.value == pytest.approx(4500 + 100 * 47)
    assert exact.low == exact.high == exact.value
    assert exact.probability == 1.0  # reaching the target exactly counts

    def prob(target: float, direction: str) -> float:
        f = forecast_total(daily_values=days, total_days=92, target=target, direction=direction)
        assert f is not None
        return f.probability

    assert prob(9199, "increase") == 1.0
    assert prob(9201, "increase") == 0.0
    assert prob(9201, "decrease") == 1.0
    assert prob(9199, "decrease") == 0.0


def test_forecast_total_weights_remaining_days_by_last_years_shape() -> None:
    # Last year the two remaining days were 2× and 4× the elapsed days' mean.
    f = forecast_total(
        daily_values=[100.0, 100.0],
        total_days=4,
        target=800,
        direction="increase",
        last_year_daily=[1.0, 1.0, 2.0, 4.0],
    )
    assert f is not None
    assert f.value == pytest.approx(200 + 100 * (2 + 4))
    linear = forecast_total(
        daily_values=[100.0, 100.0], total_days=4, target=800, direction="increase"
    )
    assert linear is not None and linear.value == pytest.approx(400)
    assert linear.probability == 0.0


def test_forecast_total_on_a_noisy_series() -> None:
    days = [90.0, 110.0] * 20  # 40 days, mean 100, sample sd 10·√(40/39)
    sd_day = 10 * math.sqrt(40 / 39)
    sd_total = sd_day * math.sqrt(52 + 52**2 / 40)  # 52 days remain of 92
    value = 4000 + 100 * 52

    at_value = forecast_total(daily_values=days, total_days=92, target=value, direction="increase")
    assert at_value is not None
    assert at_value.value == pytest.approx(value)
    assert at_value.probability == pytest.approx(0.5)
    assert at_value.high - at_value.value == pytest.approx(1.2815515655 * sd_total)
    assert at_value.value - at_value.low == pytest.approx(1.2815515655 * sd_total)

    harder = forecast_total(
        daily_values=days, total_days=92, target=value + sd_total, direction="increase"
    )
    assert harder is not None
    assert 0 < harder.probability < 1
    assert harder.probability == pytest.approx(1 - _phi(1.0))  # ≈ 0.159

    lower_is_better = forecast_total(
        daily_values=days, total_days=92, target=value + sd_total, direction="decrease"
    )
    assert lower_is_better is not None
    assert lower_is_better.probability == pytest.approx(_phi(1.0))  # ≈ 0.841


def test_forecast_total_needs_two_days_and_a_window_that_fits() -> None:
    assert forecast_total(daily_values=[5.0], total_days=92, target=1, direction="increase") is None
    assert (
        forecast_total(daily_values=[None, None], total_days=92, target=1, direction="increase")
        is None
    )
    with pytest.raises(ValueError, match="93 days of data do not fit in a window of 92 days"):
        forecast_total(daily_values=[1.0] * 93, total_days=92, target=1, direction="increase")


def test_forecast_level_for_a_period_to_date_ratio() -> None:
    # 16 days at 2 % then 14 at 3 %; the recent level (last 14 days) is 3 % for the 62 to come.
    days = [0.02] * 16 + [0.03] * 14
    f = forecast_level(
        daily_values=days, remaining_days=62, window_days=92, target=0.028, direction="increase"
    )
    assert f is not None
    assert f.value == pytest.approx((16 * 0.02 + 14 * 0.03 + 62 * 0.03) / 92)  # ≈ 2.83 %
    assert f.probability == 1.0
    miss = forecast_level(
        daily_values=days, remaining_days=62, window_days=92, target=0.029, direction="increase"
    )
    assert miss is not None and miss.probability == 0.0


def test_forecast_level_sums_ratios_by_their_denominators() -> None:
    # 1,000 sessions with 30 orders and 10,000 with 100: the rate is 130 / 11,000, not 2 %.
    f = forecast_level(
        daily_values=[0.03, 0.01],
        daily_weights=[1000, 10000],
        remaining_days=0,
        window_days=2,
        target=0.02,
        direction="increase",
    )
    assert f is not None
    assert f.value == pytest.approx(130 / 11000)
    assert f.probability == 0.0


def test_forecast_level_starts_from_the_known_window_value() -> None:
    # Gross margin: days at 50 % and 30 % whose revenue differs, so the window so far reads
    # 42 %, not their 40 % mean. The 8 days to come run at the recent 40 % level.
    days = [0.5, 0.3] * 5
    f = forecast_level(
        daily_values=days,
        remaining_days=8,
        window_days=18,
        target=0.41,
        direction="increase",
        known_value=0.42,
    )
    assert f is not None
    assert f.value == pytest.approx((10 * 0.42 + 8 * 0.40) / 18)
    plain = forecast_level(
        daily_values=days, remaining_days=8, window_days=18, target=0.41, direction="increase"
    )
    assert plain is not None and plain.value == pytest.approx(0.40)


def test_forecast_level_trailing_and_snapshot_windows() -> None:
    sessions = [100.0] * 10
    trailing = forecast_level(
        daily_values=sessions,
        remaining_days=3,
        window_days=7,
        target=700,
        direction="increase",
        additive=True,
    )
    assert trailing is not None and trailing.value == pytest.approx(700)
    assert trailing.probability == 1.0

    # A snapshot is the last day's value: the recent level, here cart abandonment going down.
    snapshot = forecast_level(
        daily_values=[0.78, 0.76, 0.74, 0.72],
        remaining_days=5,
        window_days=1,
        target=0.76,
        direction="decrease",
    )
    assert snapshot is not None
    assert snapshot.value == pytest.approx(0.75)
    assert 0.5 < snapshot.probability < 1


def test_forecast_level_on_a_noisy_series_is_uncertain() -> None:
    days = [0.022, 0.026] * 7
    f = forecast_level(
        daily_values=days, remaining_days=30, window_days=7, target=0.0245, direction="increase"
    )
    assert f is not None
    assert f.value == pytest.approx(0.024)
    assert 0 < f.probability < 0.5
    # Mean of 7 projected days from a level estimated on 14: sd · √(1/7 + 1/14).
    sd_day = 0.002 * math.sqrt(14 / 13)
    sd_end = sd_day * math.sqrt(1 / 7 + 1 / 14)
    assert f.probability == pytest.approx(1 - _phi(0.0005 / sd_end))
    assert f.high - f.value == pytest.approx(1.2815515655 * sd_end)
    assert f.value - f.low == pytest.approx(1.2815515655 * sd_end)

    # Period to date: the 78 projected days are 78/92 of the window, so their noise is scaled.
    quarter = forecast_level(
        daily_values=days, remaining_days=78, window_days=92, target=0.0245, direction="increase"
    )
    assert quarter is not None
    assert quarter.value == pytest.approx(0.024)
    sd_quarter = sd_day * math.sqrt(1 / 78 + 1 / 14) * 78 / 92
    assert quarter.high - quarter.value == pytest.approx(1.2815515655 * sd_quarter)


def test_forecast_level_needs_two_recent_days() -> None:
    assert (
        forecast_level(
            daily_values=[0.02, None],
            remaining_days=5,
            window_days=7,
            target=1,
            direction="increase",
        )
        is None
    )
    with pytest.raises(ValueError, match="one entry per daily value"):
        forecast_level(
            daily_values=[0.02, 0.03],
            daily_weights=[1.0],
            remaining_days=5,
            window_days=7,
            target=1,
            direction="increase",
        )


# --- confidence gap ----------------------------------------------------------------------------


def test_confidence_gap_both_ways() -> None:
    optimistic = confidence_gap(confidence=9, probability=0.5, threshold=0.3)
    assert optimistic.flagged and optimistic.difference == pytest.approx(0.4)
    pessimistic = confidence_gap(confidence=2, probability=0.6, threshold=0.3)
    assert pessimistic.flagged and pessimistic.difference == pytest.approx(-0.4)
    # 0.8 − 0.5 is 0.30000000000000004 in floats: still exactly 0.3, not more.
    assert not confidence_gap(confidence=8, probability=0.5, threshold=0.3).flagged
    assert not confidence_gap(confidence=5, probability=0.5, threshold=0.3).flagged
    with pytest.raises(ValueError, match="between 0 and 10, got 11"):
        confidence_gap(confidence=11, probability=0.5, threshold=0.3)


# --- grading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("progress", "grade"),
    [(0.65, 0.7), (0.64, 0.6), (1.3, 1.0), (-0.2, 0.0), (0.25, 0.3), (0.35, 0.4), (0.05, 0.1)],
)
def test_suggested_grade_rounds_half_up_to_a_tenth(progress: float, grade: float) -> None:
    assert suggested_grade(progress) == grade


def test_suggested_grade_survives_float_noise() -> None:
    progress = kr_progress(direction="increase", start=2.1, target=2.4, current=2.295)
    assert progress < 0.65  # 0.6499999999999998
    assert suggested_grade(progress) == 0.7


def test_objective_grade_is_the_weighted_mean_of_kr_grades() -> None:
    assert objective_grade([(0.7, 2), (0.4, 1)]) == pytest.approx(0.6)
    assert objective_grade([(0.7, 0), (0.4, 0)]) == pytest.approx(0.55)  # equal when unweighted
    assert objective_grade([(1.0, 0), (0.0, 3)]) == 0.0
    assert objective_grade([]) is None
    with pytest.raises(ValueError, match="negative"):
        objective_grade([(0.5, -1)])
    with pytest.raises(ValueError, match=r"between 0\.0 and 1\.0"):
        objective_grade([(1.2, 1)])


def test_objective_progress_clamps_each_kr_before_weighting() -> None:
    # 133 % counts as 100 %, −33 % as 0 %.
    assert objective_progress([(4 / 3, 1), (0.5, 1), (-1 / 3, 2)]) == pytest.approx(1.5 / 4)
    assert objective_progress([(0.5, 1), (None, 5)]) == 0.5
    assert objective_progress([(None, 1)]) is None


def test_an_objective_behind_its_pace_is_not_on_track_though_each_kr_is() -> None:
    okr = OkrSettings()
    on_track = ["on_track", "on_track", "too_early"]
    # 56 % against 71 % expected is beyond the on-track margin (10 points), within at-risk's.
    behind = objective_status(progress=0.56, expected=0.71, statuses=on_track, okr=okr)
    assert behind == Status.at_risk
    assert objective_status(progress=0.40, expected=0.71, statuses=on_track, okr=okr) == (
        Status.off_track
    )
    ahead = objective_status(progress=0.63, expected=0.60, statuses=["off_track"], okr=okr)
    assert ahead == Status.on_track
    assert objective_status(progress=None, expected=0.5, statuses=on_track, okr=okr) == (
        Status.too_early
    )
    assert objective_status(progress=0.1, expected=0.5, statuses=["too_early"], okr=okr) == (
        Status.too_early
    )
