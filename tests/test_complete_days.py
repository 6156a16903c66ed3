"""Complete days (DESIGN.md §4): a day that has only some of its series never moves "data
through", KR values, the Metrics page's numbers, the digest or the impact ledger, until the rest
arrives or the cut-off (settings.yaml `metrics.complete_after_hours`) passes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.config import AppConfig, default_config
from planning.impact.ledger import impact_ledger
from planning.metrics.completeness import freshness, partial_days_text
from planning.metrics.dashboard import margin_by_product_line, preset_window
from planning.metrics.engine import metric_value
from planning.metrics.importer import import_observations, write_observations
from planning.metrics.observations import upsert_observations
from planning.okrs.evaluation import period_goals
from planning.reports.digest import build_digest
from planning.store.engine import create_store_engine
from tests.app_pages import open_as
from tests.conftest import DEMO_TODAY

LAST_FULL = date(2026, 11, 25)  # the demo store's last day: every series present
# The README's three-row sample, for today.
SAMPLE = (
    "date,measure,value,channel,device,product_line\n"
    f"{DEMO_TODAY},sessions,1830,email,mobile,\n"
    f"{DEMO_TODAY},orders,82,email,mobile,\n"
    f"{DEMO_TODAY},line_net_revenue,18250.40,,,Home\n"
).encode()


@dataclass(frozen=True)
class Numbers:
    """What a person reads: data through, the daily conversion rate, AOV KR progress, Home
    margin over the last 7 days."""

    through: date
    conversion: float | None
    aov_progress: float | None
    home_margin: float | None


@pytest.fixture
def store(demo_engine: Engine) -> Engine:
    return demo_engine


def numbers(engine: Engine, config: AppConfig) -> Numbers:
    with Session(engine) as session:
        evaluation = period_goals(session=session, config=config, period="2026-Q4")
        through = evaluation.as_of
        fresh = freshness(
            session=session, complete_after_hours=config.settings.metrics.complete_after_hours
        )
        assert fresh.latest_day == through
        conversion = metric_value(
            session=session,
            config=config.metrics,
            metric_id="conversion_rate",
            start=through,
            end=through,
        )
        aov = [kr for kr in evaluation.key_results() if kr.metric_id == "aov"]
        assert aov, "the demo quarter has an AOV key result"
        margins = margin_by_product_line(
            session=session,
            config=config.metrics,
            window=preset_window("Last 7 days", latest=through),
        ).set_index("product_line")
    return Numbers(
        through=through,
        conversion=conversion,
        aov_progress=aov[0].progress,
        home_margin=float(margins.loc["Home", "gross_margin"]),
    )


def upload_sample(engine: Engine, config: AppConfig) -> None:
    result = import_observations(
        engine=engine,
        actor=None,
        data=SAMPLE,
        filename="sample.csv",
        source="cli",
        config=config.metrics,
    )
    assert not result.problems


def deliver_rest_of_today(engine: Engine) -> None:
    """Every series of the last full day, now for today too (the sample's three stay as sent)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.measure, s.dims_key, o.value FROM observation o "
                "JOIN series s ON s.id = o.series_id WHERE o.day = :day"
            ),
            {"day": LAST_FULL.isoformat()},
        ).all()
    frame = pd.DataFrame(rows, columns=["measure", "dims_key", "value"])
    frame = frame[
        ~(
            (frame["measure"].isin(["sessions", "orders"]))
            & (frame["dims_key"] == "channel=email|device=mobile")
        )
        & ~((frame["measure"] == "line_net_revenue") & (frame["dims_key"] == "product_line=Home"))
    ].assign(day=DEMO_TODAY)
    write_observations(
        engine=engine, actor=None, frame=frame, checksum="rest", filename="rest.csv", source="cli"
    )


def test_a_partial_day_changes_no_number(store: Engine, config: AppConfig) -> None:
    before = numbers(store, config)
    assert before.through == LAST_FULL
    upload_sample(store, config)
    after = numbers(store, config)
    assert after == before
    with Session(store) as session:
        fresh = freshness(session=session, complete_after_hours=24)
    assert fresh.observed_day == DEMO_TODAY
    assert [(p.day, p.present) for p in fresh.partial_days] == [(DEMO_TODAY, 3)]
    assert fresh.partial_days[0].expected > 100  # every series of the demo's week


def test_the_partial_day_counts_once_the_cut_off_passes(
    store: Engine, config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = numbers(store, config)
    upload_sample(store, config)
    # 24 hours after today ends is 28 Nov 00:00: just before, the day still does not count.
    monkeypatch.setenv("QUARTERDECK_TODAY", "2026-11-27T23:50:00+00:00")
    assert numbers(store, config).through == LAST_FULL
    monkeypatch.setenv("QUARTERDECK_TODAY", "2026-11-28T00:10:00+00:00")
    late = numbers(store, config)
    assert late.through == DEMO_TODAY
    # Read as it stands: one segment's orders over one segment's sessions.
    assert late.conversion == pytest.approx(82 / 1830)
    assert late.conversion != before.conversion


def test_the_day_counts_at_once_when_the_rest_arrives(
    store: Engine, config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The next morning: 26 Nov is over, its cut-off (24 hours later) still far.
    monkeypatch.setenv("QUARTERDECK_TODAY", "2026-11-27T02:00:00+00:00")
    upload_sample(store, config)
    assert numbers(store, config).through == LAST_FULL
    deliver_rest_of_today(store)
    with Session(store) as session:
        fresh = freshness(session=session, complete_after_hours=24)
    assert (fresh.latest_day, fresh.partial_days) == (DEMO_TODAY, ())
    assert numbers(store, config).through == DEMO_TODAY


def test_an_hourly_export_of_every_series_waits_for_the_day_to_end(
    store: Engine, config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At noon an hourly source has sent every series for today, each only up to noon.
    monkeypatch.setenv("QUARTERDECK_TODAY", "2026-11-26T12:00:00+00:00")
    before = numbers(store, config)
    upload_sample(store, config)
    deliver_rest_of_today(store)
    assert numbers(store, config) == before
    with Session(store) as session:
        fresh = freshness(session=session, complete_after_hours=24)
    assert fresh.latest_day == LAST_FULL
    assert partial_days_text(fresh.partial_days) == "26 Nov partial (the day is not over)"
    monkeypatch.setenv("QUARTERDECK_TODAY", "2026-11-27T00:10:00+00:00")
    assert numbers(store, config).through == DEMO_TODAY


def test_the_cut_off_is_a_setting(
    store: Engine, config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload_sample(store, config)
    monkeypatch.setenv("QUARTERDECK_TODAY", "2026-11-27T00:10:00+00:00")  # today ended 10 min ago
    assert numbers(store, config).through == LAST_FULL
    assert numbers(store, _config_with_hours(0)).through == DEMO_TODAY


def _config_with_hours(hours: float) -> AppConfig:
    config = default_config()
    metrics = config.settings.metrics.model_copy(update={"complete_after_hours": hours})
    settings = config.settings.model_copy(update={"metrics": metrics})
    return config.model_copy(update={"settings": settings})


def test_digest_and_impact_read_up_to_the_complete_day(store: Engine, config: AppConfig) -> None:
    with Session(store) as session:
        ledger_before = impact_ledger(session=session, config=config)
        digest_before = build_digest(session=session, config=config, week="2026-W48")
    upload_sample(store, config)
    with Session(store) as session:
        ledger_after = impact_ledger(session=session, config=config)
        digest_after = build_digest(session=session, config=config, week="2026-W48")
    assert digest_after.data_through == LAST_FULL
    assert replace(digest_after, generated_at=digest_before.generated_at) == digest_before
    assert ledger_after == ledger_before


def page_after_the_sample(app_store: str, config: AppConfig, page: str) -> AppTest:
    """The app's store given today's three-row sample, then the page opened."""
    engine = create_store_engine(app_store)
    upload_sample(engine, config)
    engine.dispose()
    return open_as(None, page)


def test_metrics_page_shows_the_partial_day_as_partial(app_store: str, config: AppConfig) -> None:
    at = page_after_the_sample(app_store, config, "pages/metrics.py")
    caption = at.caption[0].value
    assert "Data through **Wed 25 Nov 2026**" in caption
    assert "26 Nov partial (3 of " in caption


def _write(engine: Engine, rows: list[tuple[str, date, float]]) -> None:
    """Sessions by channel (email/mobile as `e`, paid/mobile as `p`) on given days."""
    keys = {"e": "channel=email|device=mobile", "p": "channel=paid_search|device=mobile"}
    frame = pd.DataFrame(
        [("sessions", day, keys[series], value) for series, day, value in rows],
        columns=["measure", "day", "dims_key", "value"],
    )
    with engine.begin() as connection:
        upsert_observations(connection=connection, frame=frame)


def _through(engine: Engine) -> tuple[date | None, list[tuple[date, int, int]]]:
    with Session(engine) as session:
        fresh = freshness(session=session, complete_after_hours=24)
    return fresh.latest_day, [(p.day, p.present, p.expected) for p in fresh.partial_days]


def test_a_series_seen_on_most_recent_days_is_awaited(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_TODAY", "2026-11-27T02:00:00+00:00")  # 26 Nov is over
    # 14 Nov – 25 Nov: `e` every day; `p` on 3 of the 7 days before 25 Nov only (not expected).
    days = [date(2026, 11, 14) + timedelta(days=i) for i in range(12)]
    _write(engine, [("e", d, 100.0) for d in days])
    _write(engine, [("p", d, 5.0) for d in days[-7:-1:2]])
    assert _through(engine) == (date(2026, 11, 25), [])
    # 26 Nov has `p` but not `e`, which every recent day had: partial until `e` arrives.
    _write(engine, [("p", DEMO_TODAY, 5.0)])
    assert _through(engine) == (date(2026, 11, 25), [(DEMO_TODAY, 0, 1)])
    _write(engine, [("e", DEMO_TODAY, 90.0)])
    assert _through(engine) == (DEMO_TODAY, [])


def test_a_gap_holds_data_through_before_it(engine: Engine) -> None:
    # 25 Nov is missing while its cut-off has not passed: 26 Nov does not count either.
    missing = date(2026, 11, 25)
    days = [date(2026, 11, 10) + timedelta(days=i) for i in range(17)]
    _write(engine, [("e", d, 100.0) for d in days if d != missing])
    assert _through(engine) == (
        date(2026, 11, 24),
        [(DEMO_TODAY, 1, 1)],
    )


def test_goals_banner_shows_the_partial_day(app_store: str, config: AppConfig) -> None:
    at = page_after_the_sample(app_store, config, "pages/goals.py")
    assert any(
        "data through **Wed 25 Nov 2026** · 26 Nov partial (3 of 138 series) · day" in c.value
        for c in at.caption
    )
