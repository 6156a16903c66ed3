"""Evaluating a quarter's OKRs against stored observations: each rule pinned by a worked example
(ratio of sums, increase and decrease progress, seasonal pace, status, forecast, guardrails,
milestones, manual values, confidence gap, roll-up), batching, closing and grading a quarter,
and a forecast backtest on the demo data."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

import planning.okrs.evaluation_reads as okr_reads
from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.metrics.engine import metric_value, ratio_parts
from planning.metrics.metric_query import MetricRead
from planning.okrs.evaluation import evaluate_period, period_goals
from planning.okrs.evaluation_results import KrEvaluation, PeriodEvaluation
from planning.okrs.evaluation_text import reason_text, report_rows
from planning.okrs.goal_rules import GoalError
from planning.okrs.quarter_close import GradeOverride, close_quarter, override_grade
from planning.okrs.track import kr_track
from planning.periods import previous_quarter, quarter_bounds
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    CheckIn,
    Direction,
    GuardrailRule,
    KeyResult,
    KrKind,
    Objective,
    Person,
    Role,
    Window,
)
from planning.store.versioning import ConflictError
from tests.okr_seed import Team, make_team, write_observations
from tests.statements import statements_run

PERIOD = "2026-Q4"
FIRST = date(2026, 10, 1)
AS_OF = date(2026, 10, 10)  # ten days of the 92-day quarter
LY_SHIFT = timedelta(days=364)


def phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def day(n: int) -> date:
    """The n-th day of the quarter, 1-based."""
    return FIRST + timedelta(days=n - 1)


MOBILE = {"channel": "organic", "device": "mobile"}
DESKTOP = {"channel": "organic", "device": "desktop"}
EMAIL = {"channel": "email", "device": "desktop"}


def seed_observations(engine: Engine) -> None:
    """Ten days of a small shop (see each test for the sums)."""
    rows: list[tuple[str, date, dict[str, str], float]] = []
    for n in range(1, 11):
        rows += [
            ("sessions", day(n), MOBILE, 1000),
            ("sessions", day(n), DESKTOP, 1000),
            ("orders", day(n), MOBILE, 15 if n <= 5 else 25),
            ("orders", day(n), DESKTOP, 30),
            ("add_to_cart_sessions", day(n), MOBILE, 80),
            ("sessions", day(n), EMAIL, 90),
            ("orders", day(n), EMAIL, 3),
            ("net_revenue", day(n), DESKTOP, 250),
            ("net_revenue", day(n), EMAIL, 40),
            ("line_net_revenue", day(n), {"product_line": "Home"}, 1000),
            ("line_cogs", day(n), {"product_line": "Home"}, 600 if n in (3, 4) else 500),
        ]
    # Last year's quarter, 364 days back, for desktop revenue only: the first ten days at 300,
    # the other 82 at 100 (total 11,200).
    for n in range(1, 93):
        rows.append(("net_revenue", day(n) - LY_SHIFT, DESKTOP, 300 if n <= 10 else 100))
    write_observations(engine, rows)


class Goals:
    """Creates an objective and key results directly in the store for evaluation tests."""

    def __init__(self, engine: Engine, team: Team) -> None:
        self.engine = engine
        self.team = team
        self.objectives: dict[str, int] = {}

    def objective(self, title: str, period: str = PERIOD, weight: float = 1.0) -> int:
        with session_scope(self.engine) as session:
            row = Objective(period=period, title=title, owner_id=self.team.priya.id, weight=weight)
            session.add(row)
            session.flush()
            assert row.id is not None
            self.objectives[title] = row.id
            return row.id

    def kr(self, objective_id: int, title: str, **fields: Any) -> int:
        values: dict[str, Any] = {"owner_id": self.team.priya.id, "kind": KrKind.metric}
        values.update(fields)
        with session_scope(self.engine) as session:
            row = KeyResult(objective_id=objective_id, title=title, **values)
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def check_in(self, kr_id: int, confidence: int, value: float | None = None) -> None:
        with session_scope(self.engine) as session:
            session.add(
                CheckIn(
                    key_result_id=kr_id,
                    confidence=confidence,
                    note="Weekly check-in.",
                    value=value,
                    author_id=self.team.priya.id,
                )
            )


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


@pytest.fixture
def goals(engine: Engine, team: Team) -> Goals:
    seed_observations(engine)
    return Goals(engine, team)


def evaluate(engine: Engine, config: AppConfig, as_of: date = AS_OF) -> PeriodEvaluation:
    with Session(read_engine(engine)) as session:
        return evaluate_period(session=session, config=config, period=PERIOD, as_of=as_of)


def _day_bound(statement: str) -> bool:
    """The first or last day stored (freshness, the backtest's cache key): no metric read."""
    return "max(observation.day)" in statement or "min(observation.day)" in statement


def count_metric_reads(monkeypatch: pytest.MonkeyPatch) -> list[list[MetricRead]]:
    """Record each batch of metric reads the evaluation asks for, as it asks."""
    batches: list[list[MetricRead]] = []
    real_reads = okr_reads.metric_reads

    def counted_reads(**kwargs: Any) -> Any:
        batches.append(list(kwargs["reads"]))
        return real_reads(**kwargs)

    monkeypatch.setattr(okr_reads, "metric_reads", counted_reads)
    return batches


def evaluate_counted(
    engine: Engine, config: AppConfig, batches: list[list[MetricRead]]
) -> tuple[PeriodEvaluation, list[str]]:
    """Evaluate with the forecasts' backtest warmed (a page has it cached: it is read once per
    data version), keeping only this evaluation's batches and its metric statements."""
    evaluate(engine, config)
    batches.clear()
    with statements_run(engine) as sent:
        evaluation = evaluate(engine, config)
    return evaluation, [s for s in sent if "observation" in s and not _day_bound(s)]


def by_title(evaluation: PeriodEvaluation) -> dict[str, KrEvaluation]:
    return {kr.title: kr for kr in evaluation.key_results()}


def conversion(start: float, target: float, **extra: Any) -> dict[str, Any]:
    return {
        "metric_id": "conversion_rate",
        "direction": Direction.increase,
        "start_value": start,
        "target_value": target,
        **extra,
    }


# --- values, progress, pace and status ---------------------------------------------------------


def test_ratio_key_result_is_a_ratio_of_sums_over_the_window(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    objective = goals.objective("Checkout")
    goals.kr(objective, "All devices", **conversion(0.02, 0.03))
    goals.kr(objective, "Mobile", **conversion(0.01, 0.03, filters={"device": "mobile"}))
    krs = by_title(evaluate(engine, config))
    # All: orders 75 + 125 (mobile) + 300 (desktop) + 30 (email) over 20,900 sessions.
    assert krs["All devices"].current == pytest.approx(530 / 20_900)
    assert krs["All devices"].progress == pytest.approx((530 / 20_900 - 0.02) / 0.01)
    # Mobile: 200 orders over 10,000 sessions = 2 %, half way from 1 % to 3 %.
    assert krs["Mobile"].current == pytest.approx(0.02)
    assert krs["Mobile"].progress == pytest.approx(0.5)
    assert krs["Mobile"].expected == pytest.approx(10 / 92)
    assert krs["Mobile"].status == "on_track"
    assert krs["Mobile"].days_of_data == 10
    with Session(read_engine(engine)) as session:
        _, sessions = ratio_parts(
            session=session,
            config=config.metrics,
            metric_id="conversion_rate",
            start=FIRST,
            end=AS_OF,
            filters={"device": "mobile"},
        )
    assert krs["Mobile"].denominator == sessions == 10_000


def test_mean_of_daily_ratios_is_never_used(engine: Engine, team: Team, config: AppConfig) -> None:
    # Day 1: 1,000 sessions and 30 orders (3 %); day 2: 10,000 and 100 (1 %): 130 / 11,000.
    write_observations(
        engine,
        [
            ("sessions", day(1), MOBILE, 1000),
            ("orders", day(1), MOBILE, 30),
            ("sessions", day(2), MOBILE, 10_000),
            ("orders", day(2), MOBILE, 100),
        ],
    )
    goals = Goals(engine, team)
    goals.kr(goals.objective("Checkout"), "Conversion", **conversion(0.01, 0.02))
    kr = by_title(evaluate(engine, config, as_of=day(2)))["Conversion"]
    assert kr.current == pytest.approx(130 / 11_000)  # 1.18 %, not 2 %
    assert kr.status == "too_early"
    assert kr.status_reason == "2 of 7 days of data so far"


def test_status_thresholds_on_track_at_risk_off_track(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    objective = goals.objective("Checkout")
    # Mobile conversion is 2 %; expected progress is 10 / 92 = 0.109.
    mobile = {"filters": {"device": "mobile"}}
    goals.kr(objective, "On track", **conversion(0.019, 0.029, **mobile))  # progress 0.1
    goals.kr(objective, "At risk", **conversion(0.0205, 0.0305, **mobile))  # progress -0.05
    goals.kr(objective, "Off track", **conversion(0.022, 0.032, **mobile))  # progress -0.2
    krs = by_title(evaluate(engine, config))
    assert krs["On track"].progress == pytest.approx(0.1)
    assert krs["At risk"].progress == pytest.approx(-0.05)
    assert krs["Off track"].progress == pytest.approx(-0.2)
    assert [krs[t].status for t in ("On track", "At risk", "Off track")] == [
        "on_track",
        "at_risk",
        "off_track",
    ]


def test_too_early_when_the_denominator_is_below_its_minimum(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    goals.kr(goals.objective("Email"), "Email conversion", **conversion(0.02, 0.04, filters=EMAIL))
    kr = by_title(evaluate(engine, config))["Email conversion"]
    assert kr.current == pytest.approx(30 / 900)
    assert kr.days_of_data == 10
    assert kr.status == "too_early"
    assert kr.status_reason == "only 900 in the denominator, below the 1,000 needed"


def test_decrease_key_result_over_a_trailing_window(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    goals.kr(
        goals.objective("Checkout"),
        "Mobile abandonment down",
        metric_id="cart_abandonment_rate",
        filters={"device": "mobile"},
        direction=Direction.decrease,
        start_value=0.80,
        target_value=0.70,
        window=Window.trailing_7d,
    )
    kr = by_title(evaluate(engine, config))["Mobile abandonment down"]
    # Days 4-10: 2 × 15 + 5 × 25 = 155 orders over 7 × 80 = 560 add-to-cart sessions.
    abandonment = 1 - 155 / 560
    assert (kr.window_start, kr.window_end) == (day(4), day(10))
    assert kr.current == pytest.approx(abandonment)
    assert kr.progress == pytest.approx((0.80 - abandonment) / (0.80 - 0.70))
    assert kr.status == "on_track"


def test_total_target_follows_last_years_seasonal_shape_and_forecast(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    objective = goals.objective("Revenue")
    revenue = {
        "metric_id": "net_revenue",
        "direction": Direction.increase,
        "start_value": 0.0,
        "target_value": 10_000.0,
        "total_target": True,
    }
    seasonal = goals.kr(objective, "Desktop revenue", filters=DESKTOP, **revenue)
    goals.kr(objective, "Email revenue", filters={"channel": "email"}, **revenue)
    goals.check_in(seasonal, confidence=8)
    krs = by_title(evaluate(engine, config))
    desktop = krs["Desktop revenue"]
    # 10 days × 250 = 2,500 of 10,000; last year had 3,000 of its 11,200 by day 10.
    assert desktop.current == 2_500
    assert desktop.progress == pytest.approx(0.25)
    assert desktop.expected == pytest.approx(3_000 / 11_200)
    assert desktop.status == "on_track"
    # Run rate 250 a day, each remaining day weighted 100 / 300: 2,500 + 250 × 82 / 3.
    assert desktop.forecast == pytest.approx(2_500 + 250 * 82 / 3)
    # Every day was 250, so there is no spread: the forecast misses the target for sure.
    assert desktop.probability == 0.0
    assert (desktop.forecast_low, desktop.forecast_high) == (desktop.forecast, desktop.forecast)
    # The owner said 8/10: 0.8 against 0.0 is a confidence gap.
    assert desktop.confidence == 8
    assert desktop.confidence_gap == pytest.approx(0.8)
    assert desktop.gap_flagged
    # Email revenue has no last year: linear pace.
    assert krs["Email revenue"].expected == pytest.approx(10 / 92)
    assert not krs["Email revenue"].gap_flagged


def test_level_forecast_and_confidence_without_gap(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    kr_id = goals.kr(
        goals.objective("Checkout"),
        "Desktop conversion",
        **conversion(0.02, 0.0299, filters={"device": "desktop", "channel": "organic"}),
    )
    goals.check_in(kr_id, confidence=9)
    kr = by_title(evaluate(engine, config))["Desktop conversion"]
    # Every desktop day converts at exactly 3 %: the quarter ends at 3 % with no doubt.
    assert kr.forecast == pytest.approx(0.03)
    assert kr.probability == 1.0
    assert kr.confidence_gap == pytest.approx(-0.1)
    assert not kr.gap_flagged


HOME = {"product_line": "Home"}
HOME_MARGIN = {
    "kind": KrKind.guardrail,
    "metric_id": "gross_margin_pct",
    "filters": HOME,
    "guardrail_rule": GuardrailRule.stay_above,
}


def test_guardrail_is_judged_on_its_window_value_not_single_days(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    objective = goals.objective("Margin")
    goals.kr(objective, "Above 45 %", threshold=0.45, **HOME_MARGIN)
    goals.kr(objective, "Above 47 %", threshold=0.47, **HOME_MARGIN)
    goals.kr(objective, "Above 49 %", threshold=0.49, **HOME_MARGIN)
    krs = by_title(evaluate(engine, config))
    # Home margin is 50 % on eight days and 40 % on days 3 and 4, so the quarter to date reads
    # 50 %, 50 %, 46.7 %, 45 %, 46 %, 46.7 %, 47.1 %, 47.5 %, 47.8 % and 48 % on days 1 to 10.
    floor, recovered, breached = krs["Above 45 %"], krs["Above 47 %"], krs["Above 49 %"]
    assert floor.current == pytest.approx(0.48)
    # 45 % on day 4 is on the floor, which is allowed (inclusive): two single days below it
    # never took the quarter-to-date margin under it.
    assert (floor.met, floor.days_in_breach, floor.status) == (True, 0, "on_track")
    assert floor.status_reason == "holds"
    assert floor.progress == 1.0
    assert floor.probability is not None and floor.probability > 0.5
    # Below 47 % on days 3 to 6, back above from day 7: met now, four days in breach.
    assert (recovered.met, recovered.days_in_breach, recovered.progress) == (True, 4, 1.0)
    assert recovered.status == "on_track"
    assert recovered.status_reason == "holds; was in breach on 4 days so far"
    # Below 49 % from day 3 on: breached, eight days in breach.
    assert (breached.met, breached.days_in_breach, breached.progress) == (False, 8, 0.0)
    assert breached.status == "off_track"
    assert breached.status_reason == (
        "the window value is below the threshold; in breach on 8 days so far"
    )


def test_a_trailing_guardrail_is_judged_on_its_trailing_window(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    objective = goals.objective("Margin")
    goals.kr(objective, "Quarter above 48.5 %", threshold=0.485, **HOME_MARGIN)
    goals.kr(
        objective,
        "Week above 48.5 %",
        threshold=0.485,
        window=Window.trailing_7d,
        **HOME_MARGIN,
    )
    krs = by_title(evaluate(engine, config))
    quarter, week = krs["Quarter above 48.5 %"], krs["Week above 48.5 %"]
    # The quarter to date is under 48.5 % from day 3 on (48 % on day 10): breached.
    assert (quarter.met, quarter.days_in_breach, quarter.status) == (False, 8, "off_track")
    # The seven days up to day 3 to 9 all hold a 40 % day and read at most 47.1 %; the week of
    # days 4 to 10 holds one: 1 − (6 × 500 + 600) / 7,000 = 48.6 %, held again.
    assert week.current == pytest.approx(1 - (6 * 500 + 600) / 7_000)
    assert (week.met, week.days_in_breach, week.progress) == (True, 7, 1.0)


def test_a_guardrails_chart_draws_the_window_value_it_is_judged_on(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    kr_id = goals.kr(goals.objective("Margin"), "Above 47 %", threshold=0.47, **HOME_MARGIN)
    kr = evaluate(engine, config).key_result(kr_id)
    assert kr is not None
    with Session(read_engine(engine)) as session:
        track = kr_track(session=session, config=config, evaluation=kr, period=PERIOD, as_of=AS_OF)
    path = track.path.set_index("day")
    assert track.actual_label == "Actual (window value)"
    # The quarter-to-date margin, not the 40 % of days 3 and 4 alone.
    assert path.loc[day(3), "actual"] == pytest.approx(1 - 1_600 / 3_000)
    assert path.loc[day(4), "actual"] == pytest.approx(0.45)
    assert path.loc[day(10), "actual"] == pytest.approx(kr.current)
    assert path.loc[day(10), "target"] == 0.47


def test_guardrail_met_over_the_quarter_however_many_single_days_dipped(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    """The worked example: Home gross margin of 40.96 % over the quarter against a 40 % floor
    is met, though 36 single days were below 40 %."""
    rows: list[tuple[str, date, dict[str, str], float]] = []
    high = (0.4096 * 92_000 - 36 * 380) / 56  # gross profit on each of the 56 other days
    for n in range(1, 93):
        low = n <= 72 and n % 2 == 0  # every other day over the first 72 days
        rows += [
            ("line_net_revenue", day(n), HOME, 1_000),
            ("line_cogs", day(n), HOME, 1_000 - (380 if low else high)),
        ]
    write_observations(engine, rows)
    goals = Goals(engine, team)
    kr_id = goals.kr(goals.objective("Margin"), "Margin holds", threshold=0.40, **HOME_MARGIN)
    with Session(read_engine(engine)) as session:
        daily = [
            metric_value(
                session=session,
                config=config.metrics,
                metric_id="gross_margin_pct",
                start=day(n),
                end=day(n),
                filters=HOME,
            )
            for n in range(1, 93)
        ]
    assert sum(1 for v in daily if v is not None and v < 0.40) == 36
    end = day(92)
    with Session(read_engine(engine)) as session:
        live = evaluate_period(session=session, config=config, period=PERIOD, as_of=end)
    kr = live.key_result(kr_id)
    assert kr is not None
    assert kr.current == pytest.approx(0.4096)
    assert (kr.met, kr.days_in_breach, kr.status) == (True, 0, "on_track")
    assert kr.probability == 1.0  # the quarter is over: its value is final
    with session_scope(engine) as session:
        frozen = close_quarter(
            session=session, actor=team.director, config=config, period=PERIOD, as_of=end
        )
    closed = frozen.key_result(kr_id)
    assert closed is not None
    assert (closed.met, closed.suggested_grade, closed.grade) == (True, 1.0, 1.0)


def test_a_holding_guardrail_is_at_risk_when_the_forecast_says_it_will_not_hold(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    # Ten days at 60 % then twenty at 30 %: the quarter to date still reads 40 % (held, on the
    # floor) but the last fourteen days run at 30 %, so the 62 days to come take it under.
    rows: list[tuple[str, date, dict[str, str], float]] = []
    for n in range(1, 31):
        rows += [
            ("line_net_revenue", day(n), HOME, 1_000),
            ("line_cogs", day(n), HOME, 400 if n <= 10 else 700),
        ]
    write_observations(engine, rows)
    goals = Goals(engine, team)
    goals.kr(goals.objective("Margin"), "Margin holds", threshold=0.40, **HOME_MARGIN)
    kr = by_title(evaluate(engine, config, as_of=day(30)))["Margin holds"]
    assert kr.current == pytest.approx(0.40)
    assert kr.met is True
    assert kr.forecast == pytest.approx((0.40 * 30 + 0.30 * 62) / 92)
    assert kr.probability is not None and kr.probability < 0.5
    assert kr.status == "at_risk"
    assert kr.status_reason.startswith("holds, but only a 0% chance")


def test_a_guardrail_without_data_in_its_window_says_so(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    goals.kr(
        goals.objective("Margin"),
        "Beauty margin",
        threshold=0.40,
        **{**HOME_MARGIN, "filters": {"product_line": "Beauty"}},
    )
    kr = by_title(evaluate(engine, config))["Beauty margin"]
    assert (kr.current, kr.met, kr.days_in_breach, kr.progress) == (None, None, None, None)
    assert (kr.status, kr.status_reason) == ("too_early", "no data yet in this window")


def test_milestone_status_comes_from_done_and_the_owners_confidence(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    objective = goals.objective("Launches")
    done = goals.kr(objective, "Done", kind=KrKind.milestone, done=True)
    confident = goals.kr(objective, "Confident", kind=KrKind.milestone)
    unsure = goals.kr(objective, "Unsure", kind=KrKind.milestone)
    worried = goals.kr(objective, "Worried", kind=KrKind.milestone)
    goals.kr(objective, "Silent", kind=KrKind.milestone)
    for kr_id, confidence in ((done, 10), (confident, 7), (unsure, 4), (worried, 3)):
        goals.check_in(kr_id, confidence)
    krs = by_title(evaluate(engine, config))
    assert {t: (k.progress, k.status) for t, k in krs.items()} == {
        "Done": (1.0, "on_track"),
        "Confident": (0.0, "on_track"),
        "Unsure": (0.0, "at_risk"),
        "Worried": (0.0, "off_track"),
        "Silent": (0.0, "too_early"),
    }
    after = by_title(evaluate(engine, config, as_of=date(2027, 1, 15)))
    assert after["Confident"].status == "off_track"
    assert after["Confident"].status_reason == "not done by the end"
    assert after["Done"].status == "on_track"


def test_manual_key_result_reads_the_latest_checked_in_value(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    kr_id = goals.kr(
        goals.objective("Content"),
        "QA defects",
        kind=KrKind.manual,
        direction=Direction.decrease,
        start_value=6.0,
        target_value=2.0,
        unit="%",
    )
    assert by_title(evaluate(engine, config))["QA defects"].status == "too_early"
    goals.check_in(kr_id, confidence=6, value=5.0)
    goals.check_in(kr_id, confidence=5)  # no value: the last value stands
    kr = by_title(evaluate(engine, config))["QA defects"]
    assert kr.current == 5.0
    assert kr.progress == pytest.approx(0.25)  # (6 − 5) / (6 − 2)
    assert kr.confidence == 5
    assert kr.status == "on_track"  # 0.25 against 10 / 92 expected
    assert kr.forecast is None and kr.probability is None


@pytest.mark.parametrize(
    ("today", "reason"),
    [
        # The quarter's first day: data runs through 31 Dec, yet the quarter is on its day 1.
        ("2027-01-01", "1 of 7 days into the quarter"),
        ("2027-01-05", "5 of 7 days into the quarter"),
    ],
)
def test_a_manual_key_result_counts_the_quarters_days_on_the_calendar(
    engine: Engine,
    goals: Goals,
    config: AppConfig,
    monkeypatch: pytest.MonkeyPatch,
    today: str,
    reason: str,
) -> None:
    """A check-in waits for no data: the quarter's day is today's on the calendar, as on the
    Goals banner, not the count up to the last day of data (it read "0 of 7 days" on 1 Jan)."""
    monkeypatch.setenv("QUARTERDECK_TODAY", today)
    write_observations(engine, [("sessions", date(2026, 12, 31), MOBILE, 1000)])
    kr_id = goals.kr(
        goals.objective("Quality", period="2027-Q1"),
        "QA defects",
        kind=KrKind.manual,
        direction=Direction.decrease,
        start_value=6.0,
        target_value=2.0,
    )
    goals.check_in(kr_id, confidence=6, value=5.0)
    with Session(read_engine(engine)) as session:
        evaluation = evaluate_period(session=session, config=config, period="2027-Q1")
    kr = by_title(evaluation)["QA defects"]
    assert evaluation.as_of == date(2026, 12, 31)
    assert (kr.status, kr.status_reason) == ("too_early", reason)


@pytest.mark.parametrize(
    ("today", "data_through", "value", "expected", "status"),
    [
        # The quarter's first day: no day of Q1 has data yet, the quarter is on its day 1 of 90.
        ("2027-01-01", "2026-12-31", 4.8, 1 / 90, "too_early"),
        # Mid-February on data that stopped on 10 January: day 46 of 90 on the calendar, not 10.
        # Progress 0.30 is at risk against 0.51 (it read on track against 10 / 90).
        ("2027-02-15", "2027-01-10", 4.8, 46 / 90, "at_risk"),
        # The quarter's last day on data through 20 March: the whole way is due (was 80 / 90).
        ("2027-03-31", "2027-03-20", 2.8, 1.0, "at_risk"),
        # A leap day: day 60 of the 91-day quarter (it counted 32 days, up to 1 February).
        ("2028-02-29", "2028-02-01", 4.0, 60 / 91, "at_risk"),
    ],
)
def test_a_manual_key_results_pace_follows_the_calendar_day_not_the_last_day_of_data(
    engine: Engine,
    goals: Goals,
    config: AppConfig,
    monkeypatch: pytest.MonkeyPatch,
    today: str,
    data_through: str,
    value: float,
    expected: float,
    status: str,
) -> None:
    """A manual key result's owner checks its value in whatever the metric data does, so its
    expected progress is the quarter's share gone by on the calendar, and its status and its
    objective's pace are judged against that: stale data no longer flatters it."""
    monkeypatch.setenv("QUARTERDECK_TODAY", today)
    period = f"{today[:4]}-Q1"
    write_observations(engine, [("sessions", date.fromisoformat(data_through), MOBILE, 1000)])
    kr_id = goals.kr(
        goals.objective("Quality", period=period),
        "QA defects",
        kind=KrKind.manual,
        direction=Direction.decrease,
        start_value=6.0,
        target_value=2.0,
    )
    goals.check_in(kr_id, confidence=6, value=value)
    with Session(read_engine(engine)) as session:
        evaluation = evaluate_period(session=session, config=config, period=period)
    kr = by_title(evaluation)["QA defects"]
    assert evaluation.as_of == date.fromisoformat(data_through)  # metrics still end there
    assert kr.expected == pytest.approx(expected)
    assert kr.status == status
    assert evaluation.objectives[0].expected == pytest.approx(expected)


@pytest.mark.parametrize(
    ("today", "status"),
    [("2027-03-30", "on_track"), ("2027-03-31", "off_track"), ("2027-04-02", "off_track")],
)
def test_a_milestone_not_done_is_off_track_once_the_quarter_is_over_on_the_calendar(
    engine: Engine,
    goals: Goals,
    config: AppConfig,
    monkeypatch: pytest.MonkeyPatch,
    today: str,
    status: str,
) -> None:
    """A launch due this quarter is missed when the quarter ends, even if the metric data
    stopped weeks before (it stayed "on track" on its owner's confidence)."""
    monkeypatch.setenv("QUARTERDECK_TODAY", today)
    write_observations(engine, [("sessions", date(2027, 3, 10), MOBILE, 1000)])
    launch = goals.kr(
        goals.objective("Launch", period="2027-Q1"), "Apple Pay live", kind=KrKind.milestone
    )
    goals.check_in(launch, confidence=9)
    with Session(read_engine(engine)) as session:
        evaluation = evaluate_period(session=session, config=config, period="2027-Q1")
    assert evaluation.as_of == date(2027, 3, 10)
    assert by_title(evaluation)["Apple Pay live"].status == status


def test_objective_status_is_its_progress_against_its_pace_with_the_worst_kr_as_reason(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    objective = goals.objective("Checkout")
    mobile = {"filters": {"device": "mobile"}}
    goals.kr(objective, "Half way", weight=1.0, **conversion(0.01, 0.03, **mobile))  # 0.5
    goals.kr(objective, "Beyond", weight=3.0, **conversion(0.01, 0.015, **mobile))  # 2.0 → 1
    goals.kr(objective, "Behind", weight=0.0, **conversion(0.022, 0.032, **mobile))  # -0.2
    goals.kr(objective, "No check-in yet", kind=KrKind.milestone, weight=1.0)  # 0, too early
    evaluation = evaluate(engine, config)
    krs = by_title(evaluation)
    assert krs["Beyond"].progress == pytest.approx(2.0)  # overachievement kept raw
    rolled = evaluation.objectives[0]
    assert rolled.progress == pytest.approx((0.5 * 1 + 1.0 * 3 + 0 * 0 + 0 * 1) / 5)
    assert rolled.expected is not None and rolled.progress >= rolled.expected
    # Ahead of its pace overall, so on track; the key result behind is named beside it.
    assert rolled.status == "on_track"
    assert rolled.status_reason == "Behind is off track"


def test_an_objective_of_milestones_is_not_too_early_beside_one_at_risk(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    """Milestones have no pace, so the objective had none to weigh its progress against: it read
    "Too early" beside "Launch is at risk". The key result behind sets its status."""
    objective = goals.objective("Launch the loyalty scheme")
    launch = goals.kr(objective, "Launch", kind=KrKind.milestone)
    goals.kr(objective, "Pilot", kind=KrKind.milestone)  # no check-in: too early
    goals.check_in(launch, confidence=5)
    rolled = evaluate(engine, config).objectives[0]
    assert (rolled.status, rolled.status_reason) == ("at_risk", "Launch is at risk")
    goals.check_in(launch, confidence=2)
    rolled = evaluate(engine, config).objectives[0]
    assert (rolled.status, rolled.status_reason) == ("off_track", "Launch is off track")
    goals.check_in(launch, confidence=9)
    rolled = evaluate(engine, config).objectives[0]
    assert (rolled.status, rolled.status_reason) == ("too_early", "")


def test_archived_goals_are_left_out_and_a_future_quarter_is_too_early(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    objective = goals.objective("Checkout")
    goals.kr(objective, "Kept", **conversion(0.01, 0.03))
    goals.kr(objective, "Archived", archived=True, **conversion(0.01, 0.03))
    assert list(by_title(evaluate(engine, config))) == ["Kept"]
    with Session(read_engine(engine)) as session:
        future = evaluate_period(
            session=session, config=config, period=PERIOD, as_of=date(2026, 9, 30)
        )
    kr = future.key_results()[0]
    assert (kr.current, kr.progress, kr.status) == (None, None, "too_early")
    assert kr.status_reason == "no data yet in this window"


def test_a_metric_removed_from_the_config_does_not_break_the_page(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    goals.kr(goals.objective("Checkout"), "Conversion", **conversion(0.01, 0.03))
    metrics = dict(config.metrics.metrics)
    del metrics["conversion_rate"]
    smaller = config.model_copy(
        update={"metrics": config.metrics.model_copy(update={"metrics": metrics})}
    )
    kr = by_title(evaluate(engine, smaller))["Conversion"]
    assert kr.status == "too_early"
    assert kr.status_reason == "cannot be read: metric 'conversion_rate' is not in metrics.yaml"
    with i18n.use_locale("de"):
        german = by_title(evaluate(engine, smaller))["Conversion"]
        stored = reason_text(kr.status_reason)  # a closed quarter keeps it in English
        filter_gone = reason_text(
            "cannot be read: the filter device = tablet no longer applies to conversion_rate"
        )
    expected = "nicht lesbar: Kennzahl 'conversion_rate' steht nicht in metrics.yaml"
    assert german.status_reason == stored == expected
    assert filter_gone == (
        "nicht lesbar: der Filter device = tablet gilt nicht mehr für conversion_rate"
    )


def test_key_results_are_read_in_batches_not_one_query_each(
    engine: Engine, goals: Goals, config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = count_metric_reads(monkeypatch)
    objective = goals.objective("Many")
    for i in range(10):
        for filters in ({}, {"device": "mobile"}, {"device": "desktop"}):
            for window in (Window.period_to_date, Window.trailing_28d):
                goals.kr(
                    objective,
                    f"conversion {i} {filters} {window}",
                    window=window,
                    **conversion(0.01, 0.03 + i / 1000, filters=filters),
                )
                goals.kr(
                    objective,
                    f"aov {i} {filters} {window}",
                    metric_id="aov",
                    filters=filters,
                    window=window,
                    direction=Direction.increase,
                    start_value=10.0,
                    target_value=20.0 + i,
                )
    evaluation, statements = evaluate_counted(engine, config, batches)
    assert len(evaluation.key_results()) == 120
    # Three filter sets × two windows: six window reads; one daily read per filter set; all in
    # one batch. The two devices share statements: one per window and one for the days, with
    # and without a device.
    assert len(batches) == 1
    assert sorted(read.grain or "window" for read in batches[0]) == ["day"] * 3 + ["window"] * 6
    assert len(statements) == 6


def test_guardrails_days_in_breach_cost_one_read_not_one_per_day(
    engine: Engine, goals: Goals, config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = count_metric_reads(monkeypatch)
    objective = goals.objective("Margins")
    for line in ("Home", "Apparel", "Beauty", "Footwear"):
        for threshold in (0.40, 0.45, 0.47):
            goals.kr(
                objective,
                f"{line} above {threshold}",
                threshold=threshold,
                **{**HOME_MARGIN, "filters": {"product_line": line}},
            )
    evaluation, statements = evaluate_counted(engine, config, batches)
    assert len(evaluation.key_results()) == 12
    # Per product line: one window read, one daily read and one running read (the window's
    # value as of each day), all in one batch; the four lines share each statement.
    assert len(batches) == 1
    assert sum(1 for read in batches[0] if read.running is not None) == 4
    assert len(statements) == 3
    assert by_title(evaluation)["Home above 0.47"].days_in_breach == 4


def test_report_rows_carry_what_the_cli_prints(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    objective = goals.objective("Checkout")
    goals.kr(objective, "Mobile", **conversion(0.01, 0.03, filters={"device": "mobile"}))
    goals.kr(
        objective,
        "Margin",
        kind=KrKind.guardrail,
        metric_id="gross_margin_pct",
        filters={"product_line": "Home"},
        guardrail_rule=GuardrailRule.stay_above,
        threshold=0.45,
    )
    rows = {r["key_result"]: r for r in report_rows(evaluate(engine, config))}
    assert rows["Mobile"]["metric"] == "conversion_rate"
    assert (rows["Mobile"]["start"], rows["Mobile"]["target"]) == (0.01, 0.03)
    assert rows["Mobile"]["progress"] == pytest.approx(0.5)
    assert rows["Margin"]["target"] == 0.45
    assert rows["Margin"]["days_in_breach"] == 0  # the margin to date never fell under 45 %
    assert rows["Margin"]["met"] is True
    assert {"objective", "current", "expected", "status", "forecast", "probability"} <= set(
        rows["Mobile"]
    )


def test_a_fiscal_quarter_is_forecast_over_its_own_length(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    """Fiscal year from February: 2027-Q1 is 1 Feb – 30 Apr 2026 (89 days), where the calendar
    2027-Q1 would be 90. A quarter-to-date level forecast keeps the quarter's own known days and
    projects the 79 still to come; it must not reach back into January."""
    fiscal = config.model_copy(
        update={"settings": config.settings.model_copy(update={"fiscal_year_start_month": 2})}
    )
    first = date(2026, 2, 1)
    as_of = date(2026, 2, 10)
    rows: list[tuple[str, date, dict[str, str], float]] = [
        ("orders", first - timedelta(days=n), DESKTOP, 1000.0) for n in range(1, 5)
    ]
    rows += [("orders", first + timedelta(days=n), DESKTOP, 30.0) for n in range(10)]
    write_observations(engine, rows)
    goals = Goals(engine, team)
    goals.kr(
        goals.objective("Fiscal orders", period="2027-Q1"),
        "Quarter orders",
        metric_id="orders",
        direction=Direction.increase,
        start_value=0.0,
        target_value=3_000.0,
    )
    with Session(read_engine(engine)) as session:
        evaluation = evaluate_period(session=session, config=fiscal, period="2027-Q1", as_of=as_of)
    kr = by_title(evaluation)["Quarter orders"]

    assert (evaluation.first_day, evaluation.last_day) == (first, date(2026, 4, 30))
    assert evaluation.total_days == 89
    assert (kr.window_start, kr.window_end) == (first, as_of)
    assert kr.current == 300.0
    # The recent level is the mean of the last 14 days (4 January days at 1,000, 10 at 30); the
    # quarter's 10 known days stay in the window and 79 are projected at that level.
    level = (4 * 1000 + 10 * 30) / 14
    assert kr.forecast == pytest.approx(300 + level * 79)
    with Session(read_engine(engine)) as session:
        track = kr_track(
            session=session, config=fiscal, evaluation=kr, period="2027-Q1", as_of=as_of
        )
    assert track.path["day"].iloc[-1] == date(2026, 4, 30)
    assert track.band.iloc[-1]["forecast"] == pytest.approx(kr.forecast)


def test_track_draws_running_total_pace_and_band(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    kr_id = goals.kr(
        goals.objective("Revenue"),
        "Desktop revenue",
        metric_id="net_revenue",
        filters=DESKTOP,
        direction=Direction.increase,
        start_value=0.0,
        target_value=10_000.0,
        total_target=True,
    )
    evaluation = evaluate(engine, config)
    kr = evaluation.key_result(kr_id)
    assert kr is not None
    with Session(read_engine(engine)) as session:
        track = kr_track(session=session, config=config, evaluation=kr, period=PERIOD, as_of=AS_OF)
    path = track.path.set_index("day")
    assert path.loc[day(1), "actual"] == 250
    assert path.loc[day(10), "actual"] == 2_500  # running total
    assert math.isnan(path.loc[day(11), "actual"])
    assert path.loc[day(10), "expected"] == pytest.approx(10_000 * 3_000 / 11_200)
    assert path.loc[day(92), "expected"] == pytest.approx(10_000)
    assert track.band.iloc[0]["forecast"] == 2_500
    assert track.band.iloc[-1]["forecast"] == pytest.approx(kr.forecast)


# --- closing a quarter -------------------------------------------------------------------------


def close(
    engine: Engine,
    actor: Any,
    config: AppConfig,
    overrides: dict[int, GradeOverride] | None = None,
) -> PeriodEvaluation:
    closing = {"period": PERIOD, "overrides": overrides, "note": "Good quarter.", "as_of": AS_OF}
    with session_scope(engine) as session:
        return close_quarter(session=session, actor=actor, config=config, **closing)


def test_closing_suggests_grades_and_takes_overrides_with_a_reason(
    engine: Engine, goals: Goals, team: Team, config: AppConfig
) -> None:
    objective = goals.objective("Checkout")
    mobile = {"filters": {"device": "mobile"}}
    # Progress 0.5 → 0.5; 0.65 → 0.7 (half up); 2.0 → 1.0; -0.2 → 0.0.
    half = goals.kr(objective, "Half", weight=2.0, **conversion(0.01, 0.03, **mobile))
    goals.kr(objective, "Most", **conversion(0.007, 0.027, **mobile))
    goals.kr(objective, "Beyond", **conversion(0.01, 0.015, **mobile))
    behind = goals.kr(objective, "Behind", **conversion(0.022, 0.032, **mobile))
    with pytest.raises(GoalError) as excinfo:
        close(engine, team.director, config, {behind: GradeOverride(0.3, "  ")})
    assert excinfo.value.problems == [
        "“Behind”: say why the grade is 0.3 rather than the suggested 0."
    ]
    with pytest.raises(GoalError, match=r"from 0\.0 to 1\.0"):
        close(engine, team.director, config, {half: GradeOverride(1.5, "Great")})
    with pytest.raises(PermissionDenied):
        close(engine, team.priya, config)
    with Session(read_engine(engine)) as session:
        assert period_goals(session=session, config=config, period=PERIOD).closed is False

    frozen = close(
        engine, team.director, config, {behind: GradeOverride(0.3, "Blocked by the vendor.")}
    )
    krs = by_title(frozen)
    assert {t: (k.suggested_grade, k.grade) for t, k in krs.items()} == {
        "Half": (0.5, 0.5),
        "Most": (0.7, 0.7),
        "Beyond": (1.0, 1.0),
        "Behind": (0.0, 0.3),
    }
    assert krs["Behind"].grade_reason == "Blocked by the vendor."
    assert frozen.closed and frozen.closed_by == "Maya Lindqvist"
    assert frozen.objectives[0].grade == pytest.approx((0.5 * 2 + 0.7 + 1.0 + 0.3) / 5)
    with pytest.raises(GoalError, match="already closed"):
        close(engine, team.director, config)


def test_reasons_read_in_german_and_a_closed_quarter_keeps_them_in_english(
    engine: Engine, goals: Goals, team: Team, config: AppConfig
) -> None:
    objective = goals.objective("Launches")
    goals.kr(objective, "Silent", kind=KrKind.milestone)
    confident = goals.kr(objective, "Confident", kind=KrKind.milestone)
    goals.check_in(confident, 8)
    goals.kr(objective, "Email conversion", **conversion(0.02, 0.04, filters=EMAIL))
    with i18n.use_locale("de"):
        krs = by_title(evaluate(engine, config))
        assert krs["Silent"].status_reason == "noch kein Check-in"
        assert krs["Confident"].status_reason == "Zuversicht der verantwortlichen Person 8/10"
        live = krs["Email conversion"].status_reason
        assert live == "nur 900 im Nenner, unter den nötigen 1.000"
        close(engine, team.director, config)  # a German director closes the quarter
        with pytest.raises(GoalError) as excinfo:
            close(engine, team.director, config)
        assert excinfo.value.problems == [f"{PERIOD} ist bereits abgeschlossen."]
        with Session(read_engine(engine)) as session:
            german = by_title(period_goals(session=session, config=config, period=PERIOD))
    # Frozen in English, whoever closed it, and read in the reader's language, figures and all,
    # in the words of the live quarter.
    with Session(read_engine(engine)) as session:
        english = by_title(period_goals(session=session, config=config, period=PERIOD))
    assert english["Confident"].status_reason == "owner's confidence 8/10"
    assert english["Email conversion"].status_reason == (
        "only 900 in the denominator, below the 1,000 needed"
    )
    assert german["Silent"].status_reason == "noch kein Check-in"
    assert german["Confident"].status_reason == "Zuversicht der verantwortlichen Person 8/10"
    assert german["Email conversion"].status_reason == live


def test_a_closed_quarter_does_not_move_with_later_data(
    engine: Engine, goals: Goals, team: Team, config: AppConfig
) -> None:
    goals.kr(
        goals.objective("Checkout"),
        "Mobile",
        **conversion(0.01, 0.03, filters={"device": "mobile"}),
    )
    frozen = close(engine, team.director, config)
    # A later import doubles mobile orders on every day.
    write_observations(
        engine, [("orders", day(n), MOBILE, 30 if n <= 5 else 50) for n in range(1, 11)]
    )
    with Session(read_engine(engine)) as session:
        shown = period_goals(session=session, config=config, period=PERIOD, as_of=AS_OF)
        live = evaluate_period(session=session, config=config, period=PERIOD, as_of=AS_OF)
    assert shown.key_results()[0].current == frozen.key_results()[0].current == 0.02
    assert shown.key_results()[0].progress == pytest.approx(0.5)
    assert live.key_results()[0].current == pytest.approx(0.04)


def test_grade_corrected_after_close_with_reason_and_version(
    engine: Engine, goals: Goals, team: Team, config: AppConfig
) -> None:
    kr_id = goals.kr(
        goals.objective("Checkout"),
        "Mobile",
        **conversion(0.01, 0.03, filters={"device": "mobile"}),
    )
    frozen = close(engine, team.director, config)
    version = frozen.key_results()[0].grade_version
    assert version == 1

    def correct(grade: float, reason: str, expected_version: int, actor: Any = None) -> Any:
        with session_scope(engine) as session:
            return override_grade(
                session=session,
                actor=actor or team.director,
                period=PERIOD,
                key_result_id=kr_id,
                grade=grade,
                reason=reason,
                expected_version=expected_version,
            )

    with pytest.raises(GoalError, match="say why"):
        correct(0.8, "", 1)
    with pytest.raises(PermissionDenied):
        correct(0.8, "Better than it looks.", 1, actor=team.priya)
    corrected = correct(0.8, "The test ran a week late.", 1)
    assert (corrected.grade, corrected.grade_reason, corrected.grade_version) == (
        0.8,
        "The test ran a week late.",
        2,
    )
    with pytest.raises(ConflictError):
        correct(0.6, "Stale screen.", 1)
    with Session(read_engine(engine)) as session:
        shown = period_goals(session=session, config=config, period=PERIOD)
    assert shown.key_results()[0].grade == 0.8
    assert shown.objectives[0].grade == pytest.approx(0.8)


# --- forecast backtest on the demo data --------------------------------------------------------

BACKTEST_QUARTERS = [
    "2024-Q4",
    "2025-Q1",
    "2025-Q2",
    "2025-Q3",
    "2025-Q4",
    "2026-Q1",
    "2026-Q2",
    "2026-Q3",
]
# Targets relative to the previous quarter's value (a director's usual starting point).
TARGET_LEVELS = (-0.06, -0.03, -0.01, 0.0, 0.01, 0.03, 0.06)
REVENUE_LEVELS = (0.0, 0.06, 0.12, 0.18, 0.24)


def _seed_backtest_krs(engine: Engine, config: AppConfig) -> None:
    with session_scope(engine) as session:
        director = session.query(Person).filter(Person.role == Role.director).first()
        assert director is not None and director.id is not None
        for quarter in BACKTEST_QUARTERS:
            first, last = quarter_bounds(quarter)
            prev_first, prev_last = quarter_bounds(previous_quarter(quarter))
            objective = Objective(period=quarter, title=f"Backtest {quarter}", owner_id=director.id)
            session.add(objective)
            session.flush()
            assert objective.id is not None
            for metric_id, window, direction in (
                ("conversion_rate", Window.period_to_date, Direction.increase),
                ("aov", Window.period_to_date, Direction.increase),
                ("checkout_completion_rate", Window.trailing_28d, Direction.increase),
                ("cart_abandonment_rate", Window.trailing_28d, Direction.decrease),
            ):
                start = metric_value(
                    session=session,
                    config=config.metrics,
                    metric_id=metric_id,
                    start=prev_first,
                    end=prev_last,
                )
                assert start is not None
                for level in TARGET_LEVELS:
                    sign = 1 if direction == Direction.increase else -1
                    session.add(
                        KeyResult(
                            objective_id=objective.id,
                            title=f"{metric_id} {level:+.2f}",
                            owner_id=director.id,
                            metric_id=metric_id,
                            direction=direction,
                            window=window,
                            start_value=start,
                            target_value=start * (1 + sign * level),
                        )
                    )
            last_year = metric_value(
                session=session,
                config=config.metrics,
                metric_id="net_revenue",
                start=first - LY_SHIFT,
                end=last - LY_SHIFT,
            )
            assert last_year is not None
            for level in REVENUE_LEVELS:
                session.add(
                    KeyResult(
                        objective_id=objective.id,
                        title=f"net_revenue {level:+.2f}",
                        owner_id=director.id,
                        metric_id="net_revenue",
                        direction=Direction.increase,
                        start_value=0.0,
                        target_value=last_year * (1 + level),
                        total_target=True,
                    )
                )


def test_forecast_backtest_on_demo_data_is_calibrated(
    demo_engine: Engine, config: AppConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    """Forecasts made at mid-quarter (day 46) of eight past quarters, against the outcome."""
    _seed_backtest_krs(demo_engine, config)
    outcomes: list[tuple[str, str, float, bool]] = []
    with Session(read_engine(demo_engine)) as session:
        for quarter in BACKTEST_QUARTERS:
            first, last = quarter_bounds(quarter)
            mid = evaluate_period(
                session=session, config=config, period=quarter, as_of=first + timedelta(days=45)
            )
            end = evaluate_period(session=session, config=config, period=quarter, as_of=last)
            for forecast, outcome in zip(mid.key_results(), end.key_results(), strict=True):
                assert forecast.probability is not None and outcome.current is not None
                assert outcome.target is not None
                if outcome.direction == "increase":
                    hit = outcome.current >= outcome.target
                else:
                    hit = outcome.current <= outcome.target
                outcomes.append((quarter, forecast.title, forecast.probability, hit))
    assert len(outcomes) == len(BACKTEST_QUARTERS) * (4 * len(TARGET_LEVELS) + 5)
    brier = sum((p - hit) ** 2 for _, _, p, hit in outcomes) / len(outcomes)
    bins = [(0.0, 0.2), (0.2, 0.5), (0.5, 0.8), (0.8, 1.0001)]
    table = []
    for low, high in bins:
        chosen = [(p, hit) for _, _, p, hit in outcomes if low <= p < high]
        if chosen:
            mean_p = sum(p for p, _ in chosen) / len(chosen)
            rate = sum(hit for _, hit in chosen) / len(chosen)
            table.append((low, high, len(chosen), mean_p, rate))
    with capsys.disabled():
        print(f"\nforecast backtest: {len(outcomes)} forecasts, Brier score {brier:.3f}")
        for low, high, n, mean_p, rate in table:
            print(
                f"  p in [{low:.1f}, {min(high, 1):.1f}): n={n:3d}  "
                f"mean p={mean_p:.2f}  hit={rate:.2f}"
            )
    assert brier < 0.25 / 2  # at least twice as good as always saying 50 %
    confident = [hit for _, _, p, hit in outcomes if p > 0.8]
    doubtful = [hit for _, _, p, hit in outcomes if p < 0.2]
    assert confident and sum(confident) / len(confident) >= 0.8
    assert doubtful and sum(doubtful) / len(doubtful) <= 0.2


def test_metric_series_many_matches_one_metric_at_a_time(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    """The batched daily read gives each metric exactly what metric_series gives alone."""
    from planning.metrics.engine import metric_series, metric_series_many

    ids = ["conversion_rate", "cart_abandonment_rate", "net_revenue"]
    with Session(read_engine(engine)) as session:
        common: dict[str, Any] = {
            "session": session,
            "config": config.metrics,
            "start": FIRST,
            "end": AS_OF,
            "filters": {"device": "mobile"},
        }
        many = metric_series_many(metric_ids=ids, measure_ids=["sessions"], **common)
        for metric_id in ids:
            alone = metric_series(metric_id=metric_id, **common)
            joined = many.set_index("period")[metric_id].dropna()
            assert joined.to_dict() == pytest.approx(
                alone.set_index("period")["value"].dropna().to_dict()
            )
    assert list(many.columns) == ["period", *ids, "measure:sessions"]
    assert (many["measure:sessions"] == 1000).all()  # mobile sessions each day
    assert many["conversion_rate"].iloc[0] == pytest.approx(15 / 1000)


def test_little_history_shows_a_range_never_a_confident_number(
    engine: Engine, goals: Goals, config: AppConfig
) -> None:
    """The store holds days of this quarter only: no past quarter to check forecasts on."""
    goals.kr(goals.objective("Margin"), "Above 45 %", threshold=0.45, **HOME_MARGIN)
    kr = by_title(evaluate(engine, config))["Above 45 %"]
    assert kr.probability_basis == "little_history"
    assert kr.probability_low is not None and kr.probability_high is not None
    assert kr.probability_low < kr.probability_high
    assert kr.probability_text == (
        f"{kr.probability_low * 100:.0f}–{kr.probability_high * 100:.0f} % (little history)"
    )
    # A range that has closed up says so rather than showing one number.
    narrow = replace(kr, probability_low=0.5, probability_high=0.5)
    assert narrow.probability_text == "not enough history"
