"""The demo data set: an ecommerce profile, planted events, and a team running a quarter."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from planning.config import AppConfig
from planning.demo.generator import CHANNELS, black_friday, generate_observations, planted_events
from planning.demo.loader import DemoAlreadyLoaded, DemoSummary, load_demo
from planning.metrics.engine import metric_value
from planning.periods import previous_quarter, quarter_bounds, quarter_of
from planning.store.engine import data_versions
from planning.store.models import (
    AuditEvent,
    CheckIn,
    Decision,
    Initiative,
    InitiativeKeyResult,
    InitiativeStatus,
    KeyResult,
    KrKind,
    Objective,
    Person,
    Role,
    StatusUpdate,
    TimeOff,
)
from planning.store.models_metrics import ImportBatch, Observation
from planning.work.scoring import validate_inputs
from tests.conftest import BACKENDS, fresh_store
from tests.okr_seed import measured

END = date(2026, 9, 30)
SEED = 7
TODAY = date(2026, 5, 14)  # mid-quarter, for the loaded store

COUNT_MEASURES = {
    "sessions",
    "product_view_sessions",
    "add_to_cart_sessions",
    "checkout_sessions",
    "orders",
    "units",
    "line_product_view_sessions",
    "line_add_to_cart_sessions",
    "organic_impressions",
    "organic_clicks",
    "email_recipients",
    "content_required_attributes",
    "content_filled_attributes",
    "content_items_due",
    "content_items_on_time",
}
FUNNEL = [
    "sessions",
    "product_view_sessions",
    "add_to_cart_sessions",
    "checkout_sessions",
    "orders",
]


@pytest.fixture(scope="module")
def frame(config: AppConfig) -> pd.DataFrame:
    """Three years of demo data ending on END, generated once for the module."""
    return generate_observations(config=config.metrics, seed=SEED, end=END)


@pytest.fixture(scope="module")
def daily(frame: pd.DataFrame) -> pd.DataFrame:
    """Day × measure totals over all dimensions, indexed by timestamp."""
    table = frame.pivot_table(index="day", columns="measure", values="value", aggfunc="sum")
    table.index = pd.to_datetime(table.index)
    return table


def _window(daily: pd.DataFrame, first: date, last: date) -> pd.DataFrame:
    return daily.loc[pd.Timestamp(first) : pd.Timestamp(last)]


def _total(frame: pd.DataFrame, measure: str, contains: str = "") -> float:
    rows = frame[frame["measure"] == measure]
    if contains:
        rows = rows[rows["dims_key"].str.contains(contains, regex=False)]
    return float(rows["value"].sum())


@pytest.fixture(scope="module")
def last_year(frame: pd.DataFrame) -> pd.DataFrame:
    """The last full year of rows (365 days ending on END)."""
    days = pd.to_datetime(frame["day"])
    return frame[days > pd.Timestamp(END - timedelta(days=365))]


# --- generation --------------------------------------------------------------------------------


def test_same_seed_and_end_give_the_same_frame(config: AppConfig, frame: pd.DataFrame) -> None:
    again = generate_observations(config=config.metrics, seed=SEED, end=END)
    pd.testing.assert_frame_equal(frame, again)


def test_another_seed_gives_other_values(config: AppConfig, frame: pd.DataFrame) -> None:
    other = generate_observations(config=config.metrics, seed=SEED + 1, end=END)
    assert list(other["measure"]) == list(frame["measure"])
    assert list(other["dims_key"]) == list(frame["dims_key"])
    changed = (other["value"].to_numpy() != frame["value"].to_numpy()).mean()
    assert changed > 0.5


def test_every_declared_measure_at_every_combination_for_every_day(
    config: AppConfig, frame: pd.DataFrame
) -> None:
    first = date(END.year - 3, END.month, END.day) + timedelta(days=1)
    n_days = (END - first).days + 1
    assert min(frame["day"]) == first and max(frame["day"]) == END
    assert not frame.duplicated(["measure", "day", "dims_key"]).any()
    for measure_id, measure in config.metrics.measures.items():
        dims = measure.dimensions
        value_lists = [config.metrics.dimensions[d].values for d in dims]
        expected = {
            "|".join(f"{n}={v}" for n, v in sorted(zip(dims, combo, strict=True)))
            for combo in itertools.product(*value_lists)
        }
        rows = frame[frame["measure"] == measure_id]
        assert set(rows["dims_key"]) == expected, measure_id
        assert len(rows) == n_days * len(expected), measure_id


def test_counts_are_whole_money_is_in_cents_and_nothing_is_negative(frame: pd.DataFrame) -> None:
    values = frame["value"].to_numpy()
    assert (values >= 0).all()
    counts = frame[frame["measure"].isin(COUNT_MEASURES)]["value"].to_numpy()
    assert np.array_equal(counts, np.round(counts))
    money = frame[frame["measure"].isin({"net_revenue", "line_net_revenue", "line_cogs"})]
    cents = money["value"].to_numpy() * 100
    assert np.allclose(cents, np.round(cents), atol=1e-6)


def test_last_year_matches_the_ecommerce_profile(last_year: pd.DataFrame) -> None:
    sessions = _total(last_year, "sessions")
    orders = _total(last_year, "orders")
    assert 18_000 < sessions / 365 < 27_000
    assert 0.018 <= orders / sessions <= 0.028
    assert 80 <= _total(last_year, "net_revenue") / orders <= 130
    domain_shares = {c: spec[0] for c, spec in CHANNELS.items()}
    assert domain_shares == {
        "organic": 0.30,
        "direct": 0.20,
        "paid_search": 0.18,
        "paid_social": 0.10,
        "email": 0.08,
        "affiliate": 0.10,
        "social": 0.04,
    }
    for channel, share in domain_shares.items():
        measured = _total(last_year, "sessions", f"channel={channel}|") / sessions
        assert abs(measured - share) <= 0.03, channel
    email_cr = _total(last_year, "orders", "channel=email|") / _total(
        last_year, "sessions", "channel=email|"
    )
    social_cr = _total(last_year, "orders", "channel=paid_social|") / _total(
        last_year, "sessions", "channel=paid_social|"
    )
    assert email_cr > 2 * social_cr
    mobile_sessions = _total(last_year, "sessions", "device=mobile")
    assert 0.62 <= mobile_sessions / sessions <= 0.72
    mobile_cr = _total(last_year, "orders", "device=mobile") / mobile_sessions
    desktop_cr = _total(last_year, "orders", "device=desktop") / _total(
        last_year, "sessions", "device=desktop"
    )
    assert mobile_cr < desktop_cr
    mobile_aov = _total(last_year, "net_revenue", "device=mobile") / _total(
        last_year, "orders", "device=mobile"
    )
    desktop_aov = _total(last_year, "net_revenue", "device=desktop") / _total(
        last_year, "orders", "device=desktop"
    )
    assert mobile_aov < desktop_aov
    assert 0.40 <= _total(last_year, "product_view_sessions") / sessions <= 0.60
    assert 0.07 <= _total(last_year, "add_to_cart_sessions") / sessions <= 0.11
    assert 0.035 <= _total(last_year, "checkout_sessions") / sessions <= 0.055
    assert 1.5 <= _total(last_year, "units") / orders <= 1.75


def test_product_lines_have_their_own_margins_and_add_up_to_net_revenue(
    last_year: pd.DataFrame, daily: pd.DataFrame
) -> None:
    ranges = {
        "Apparel": (0.50, 0.65),
        "Beauty": (0.50, 0.65),
        "Home": (0.35, 0.45),
        "Electronics": (0.15, 0.25),
    }
    for line, (low, high) in ranges.items():
        key = f"product_line={line}"
        revenue = _total(last_year, "line_net_revenue", key)
        margin = (revenue - _total(last_year, "line_cogs", key)) / revenue
        assert low <= margin <= high, line
    gap = (daily["line_net_revenue"] - daily["net_revenue"]).abs()
    assert (gap <= 0.05).all()  # six lines rounded to cents


def test_email_and_content_measures_follow_the_profile(
    last_year: pd.DataFrame, daily: pd.DataFrame
) -> None:
    campaign = _total(last_year, "email_revenue", "campaign") / _total(
        last_year, "email_recipients", "campaign"
    )
    flow = _total(last_year, "email_revenue", "flow") / _total(
        last_year, "email_recipients", "flow"
    )
    assert 0.07 <= campaign <= 0.14
    assert 0.70 <= flow <= 1.10
    on_time = _total(last_year, "content_items_on_time") / _total(last_year, "content_items_due")
    assert 0.74 <= on_time <= 0.88
    completeness = daily["content_filled_attributes"] / daily["content_required_attributes"]
    quarter_start = quarter_bounds(quarter_of(END))[0]
    at_start = float(completeness[pd.Timestamp(quarter_start)])
    assert 0.68 <= at_start <= 0.78
    assert 0.82 <= float(completeness.iloc[-1]) <= 0.89
    before = completeness[: pd.Timestamp(quarter_start - timedelta(days=1))]
    assert before.max() < float(completeness.iloc[-1])


def test_funnel_never_grows_from_one_step_to_the_next(frame: pd.DataFrame) -> None:
    funnel = frame[frame["measure"].isin(FUNNEL)].pivot_table(
        index=["day", "dims_key"], columns="measure", values="value"
    )[FUNNEL]
    steps = funnel.to_numpy()
    assert (np.diff(steps, axis=1) <= 0).all()
    lines = frame[
        frame["measure"].isin(["line_product_view_sessions", "line_add_to_cart_sessions"])
    ].pivot_table(index=["day", "dims_key"], columns="measure", values="value")
    assert (lines["line_add_to_cart_sessions"] <= lines["line_product_view_sessions"]).all()


def test_cyber_monday_and_black_friday_are_the_two_biggest_days_of_each_year(
    daily: pd.DataFrame,
) -> None:
    sessions = daily["sessions"]
    years = sorted({d.year for d in sessions.index})
    checked = 0
    for year in years:
        friday = black_friday(year)
        monday = friday + timedelta(days=3)
        in_year = sessions[sessions.index.year == year]
        if pd.Timestamp(monday) not in in_year.index or pd.Timestamp(friday) not in in_year.index:
            continue
        top_two = list(in_year.nlargest(2).index.date)
        assert top_two == [monday, friday], year
        checked += 1
    assert checked >= 2


def test_black_friday_is_the_day_after_the_fourth_thursday() -> None:
    assert black_friday(2024) == date(2024, 11, 29)
    assert black_friday(2025) == date(2025, 11, 28)
    assert black_friday(2026) == date(2026, 11, 27)


def test_january_is_the_trough_of_the_year(daily: pd.DataFrame) -> None:
    sessions = daily["sessions"]
    by_month = sessions.groupby(sessions.index.month).mean()
    assert by_month[1] < by_month[11]
    full_years = [y for y in set(sessions.index.year) if (sessions.index.year == y).sum() >= 365]
    assert full_years
    for year in full_years:
        in_year = sessions[sessions.index.year == year]
        assert in_year.groupby(in_year.index.month).mean().idxmin() == 1, year


def _ratio_change(
    daily: pd.DataFrame, numerator: str, denominator: str, day: date, days: int = 28
) -> float:
    """After/before change of a ratio around a day, divided by the same change a year earlier."""

    def change(anchor: date) -> float:
        before = _window(daily, anchor - timedelta(days=days), anchor - timedelta(days=1))
        after = _window(daily, anchor, anchor + timedelta(days=days - 1))
        rate_after = after[numerator].sum() / after[denominator].sum()
        rate_before = before[numerator].sum() / before[denominator].sum()
        return float(rate_after / rate_before)

    return change(day) / change(day - timedelta(days=364))


def _event(key: str) -> date:
    return next(e.day for e in planted_events(END) if e.key == key)


def test_checkout_redesign_lifts_checkout_completion_by_about_8_percent(
    daily: pd.DataFrame,
) -> None:
    lift = _ratio_change(daily, "orders", "checkout_sessions", _event("checkout_redesign"))
    assert 1.04 <= lift <= 1.12


def test_free_shipping_threshold_lifts_aov_by_about_5_percent(daily: pd.DataFrame) -> None:
    lift = _ratio_change(daily, "net_revenue", "orders", _event("free_shipping"))
    assert 1.02 <= lift <= 1.08


def test_home_enrichment_lifts_home_add_to_cart_only(frame: pd.DataFrame) -> None:
    day = _event("home_enrichment")
    lines = frame[
        frame["measure"].isin(["line_product_view_sessions", "line_add_to_cart_sessions"])
    ]
    days = pd.to_datetime(lines["day"])

    def rate(key: str, first: date, last: date) -> float:
        rows = lines[
            (lines["dims_key"] == key)
            & (days >= pd.Timestamp(first))
            & (days <= pd.Timestamp(last))
        ]
        sums = rows.groupby("measure")["value"].sum()
        return float(sums["line_add_to_cart_sessions"] / sums["line_product_view_sessions"])

    def change(key: str) -> float:
        before = rate(key, day - timedelta(days=28), day - timedelta(days=1))
        return rate(key, day, day + timedelta(days=27)) / before

    home = change("product_line=Home") / change("product_line=Apparel")
    assert 1.06 <= home <= 1.14


def test_outage_day_loses_most_of_its_sessions(daily: pd.DataFrame) -> None:
    day = _event("outage")
    sessions = daily["sessions"]
    around = [sessions[pd.Timestamp(day + timedelta(days=k))] for k in (-7, 7)]
    assert sessions[pd.Timestamp(day)] < 0.35 * min(around)


def test_planted_lifts_leave_28_days_after_them_in_the_data() -> None:
    lifts = [e for e in planted_events(END) if e.metric_id is not None]
    assert len(lifts) == 3
    for event in lifts:
        assert event.day + timedelta(days=27) <= END, event.key


def test_fewer_than_one_year_is_refused(config: AppConfig) -> None:
    with pytest.raises(ValueError, match="years must be at least 1"):
        generate_observations(config=config.metrics, seed=SEED, end=END, years=0)


# --- loading into a store ----------------------------------------------------------------------


def _count(session: Session, model: type) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


ALL_MODELS = (
    Person,
    TimeOff,
    Objective,
    KeyResult,
    CheckIn,
    Initiative,
    InitiativeKeyResult,
    StatusUpdate,
    Decision,
    AuditEvent,
    ImportBatch,
    Observation,
)


def _table_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {m.__name__: _count(session, m) for m in ALL_MODELS}


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, config: AppConfig
) -> Iterator[tuple[Engine, DemoSummary]]:
    """A store on each backend with the demo loaded once for the module (a load takes seconds),
    and the load's summary; the tests given it only read it."""
    for engine in fresh_store(request, request.param, tmp_path_factory.mktemp("loaded")):
        yield engine, load_demo(engine=engine, config=config, seed=SEED, today=TODAY)


def test_load_demo_writes_a_team_a_quarter_of_goals_and_initiatives(
    loaded: tuple[Engine, DemoSummary], config: AppConfig
) -> None:
    engine, summary = loaded
    counts = _table_counts(engine)
    assert counts["Observation"] == summary.observations > 100_000
    assert counts["Initiative"] == summary.initiatives
    assert counts["StatusUpdate"] == summary.status_updates
    assert counts["CheckIn"] == summary.check_ins
    assert counts["AuditEvent"] == summary.audit_events
    with Session(engine) as session:
        people = session.execute(select(Person)).scalars().all()
        assert len(people) == 7
        assert [p.role for p in people].count(Role.director) == 1
        assert [p.role for p in people].count(Role.stakeholder) == 1
        assert all(p.email.endswith("@northwind.example") for p in people)
        assert _count(session, TimeOff) >= 1

        objectives = session.execute(select(Objective)).scalars().all()
        assert {o.period for o in objectives} == {quarter_of(TODAY)}
        krs = session.execute(select(KeyResult)).scalars().all()
        assert {kr.kind for kr in krs} == set(KrKind)
        assert any(kr.filters == {"device": "mobile"} and kr.direction == "decrease" for kr in krs)
        assert any(kr.metric_id == "net_revenue" and kr.total_target for kr in krs)
        checked_in = set(session.execute(select(CheckIn.key_result_id)).scalars())
        assert checked_in == {kr.id for kr in krs}

        initiatives = session.execute(select(Initiative)).scalars().all()
        assert len(initiatives) >= 20
        assert {i.status for i in initiatives} == set(InitiativeStatus)
        linked = set(session.execute(select(InitiativeKeyResult.initiative_id)).scalars())
        assert linked == {i.id for i in initiatives}
        stale = 0
        for initiative in initiatives:
            updates = (
                session.execute(
                    select(StatusUpdate)
                    .where(StatusUpdate.initiative_id == initiative.id)
                    .order_by(StatusUpdate.created_at)  # type: ignore[arg-type]
                )
                .scalars()
                .all()
            )
            assert len(updates) >= 2, initiative.title
            latest = updates[-1]
            assert (latest.status, latest.health, latest.percent_complete) == (
                initiative.status,
                initiative.health,
                initiative.percent_complete,
            ), initiative.title
            assert all(u.author_id == initiative.owner_id for u in updates)
            active = initiative.status in {"in_progress", "blocked"}
            if active and (TODAY - latest.created_at.date()).days > 7:
                stale += 1
            for framework_id, framework in config.scoring.frameworks.items():
                inputs = initiative.scores.get(framework_id, {})
                assert validate_inputs(framework, inputs) == [], (initiative.title, framework_id)
                # One effort per initiative: no framework keeps an effort input of its own.
                assert set(inputs) == set(framework.inputs), (initiative.title, framework_id)
            assert initiative.effort_weeks > 0, initiative.title
        assert stale >= 2

        shipped = {i.lift_metric: i for i in initiatives if i.status == "done"}
        for event in planted_events(TODAY - timedelta(days=1)):
            if event.metric_id is None:
                continue
            owner = shipped[event.metric_id]
            assert owner.shipped_date == event.day
            assert owner.lift_pct == pytest.approx(event.lift_pct)

        batch = session.execute(select(ImportBatch)).scalars().one()
        assert batch.source == "demo" and batch.rows_added == summary.observations
        actions = set(session.execute(select(AuditEvent.action)).scalars())
        assert actions == {"demo"}
        assert _count(session, Decision) >= 2


def test_kr_start_values_are_the_previous_quarters_values(
    loaded: tuple[Engine, DemoSummary], config: AppConfig
) -> None:
    engine, _ = loaded
    first, last = quarter_bounds(previous_quarter(quarter_of(TODAY)))
    with Session(engine) as session:
        krs = session.execute(select(KeyResult)).scalars().all()
        compared = 0
        for kr in krs:
            if kr.kind != KrKind.metric or kr.total_target:
                continue
            value = measured(session, config.metrics, kr, first, last)
            assert value is not None and kr.start_value is not None
            assert math.isclose(kr.start_value, value, rel_tol=0.003), kr.title
            assert kr.target_value is not None
            better = kr.target_value > kr.start_value
            assert better == (kr.direction == "increase"), kr.title
            compared += 1
        assert compared >= 6
        guardrail = next(kr for kr in krs if kr.kind == KrKind.guardrail)
        margin = metric_value(
            session=session,
            config=config.metrics,
            metric_id="gross_margin_pct",
            start=first,
            end=last,
        )
        assert guardrail.threshold is not None and margin is not None
        assert margin - 0.03 <= guardrail.threshold < margin


def test_loading_twice_needs_reset_and_reset_gives_the_same_store(
    engine: Engine, config: AppConfig
) -> None:
    first = load_demo(engine=engine, config=config, seed=SEED, today=TODAY)
    counts = _table_counts(engine)
    versions = data_versions(engine)

    with pytest.raises(DemoAlreadyLoaded, match="already holds data"):
        load_demo(engine=engine, config=config, seed=SEED, today=TODAY)
    assert _table_counts(engine) == counts
    assert data_versions(engine) == versions

    again = load_demo(engine=engine, config=config, seed=SEED, today=TODAY, reset=True)
    assert again.counts() == first.counts()
    assert _table_counts(engine) == counts
    after = dict(data_versions(engine))
    assert all(after[key] > value for key, value in versions)
    with engine.connect() as conn:
        calendar = conn.execute(text("SELECT COUNT(*) FROM calendar_day")).scalar_one()
    assert calendar > 0
