"""The metrics engine: every metric type pinned with a worked example, on every backend."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import planning.metrics.engine
import planning.metrics.metric_query
from planning import i18n
from planning.config import AppConfig
from planning.config.metrics import MetricsConfig
from planning.metrics.completeness import Freshness, freshness
from planning.metrics.engine import (
    measure_totals,
    metric_breakdown,
    metric_reads,
    metric_series,
    metric_series_many,
    metric_value,
    metric_values,
    ratio_parts,
)
from planning.metrics.metric_query import Grain, MetricError, MetricRead
from planning.metrics.observations import UpsertCounts, record_batch
from tests.planning_seed import write_observations as write
from tests.statements import statements_run

D = date

SMALL = MetricsConfig.model_validate(
    {
        "dimensions": {
            "channel": {"label": "Channel", "values": ["organic", "email", "paid"]},
            "device": {"label": "Device", "values": ["mobile", "desktop"]},
            "product_line": {"label": "Product line", "values": ["Apparel", "Home"]},
        },
        "measures": {
            "sessions": {"label": "Sessions", "dimensions": ["channel", "device"]},
            "orders": {"label": "Orders", "dimensions": ["channel", "device"]},
            "revenue": {"label": "Revenue", "unit": "money", "dimensions": ["product_line"]},
            "cogs": {"label": "COGS", "unit": "money", "dimensions": ["product_line"]},
            "stock": {"label": "Stock", "aggregation": "last", "dimensions": ["product_line"]},
            "impressions": {"label": "Impressions", "dimensions": ["device"]},
            "position": {"label": "Position", "unit": "position", "dimensions": ["device"]},
        },
        "metrics": {
            "sessions": {"label": "Sessions", "type": "simple", "measure": "sessions"},
            "stock": {"label": "Stock", "type": "simple", "measure": "stock"},
            "stock_now": {"label": "Stock now", "type": "snapshot", "measure": "stock"},
            "sessions_latest": {
                "label": "Sessions on the latest day",
                "type": "snapshot",
                "measure": "sessions",
            },
            "conversion": {
                "label": "Conversion",
                "type": "ratio",
                "numerator": "orders",
                "denominator": "sessions",
            },
            "conversion_pct": {
                "label": "Conversion in points",
                "type": "derived",
                "expression": "conversion * 100",
            },
            "margin": {
                "label": "Margin",
                "type": "derived",
                "expression": "(revenue - cogs) / revenue",
            },
            "avg_position": {
                "label": "Position",
                "type": "weighted_average",
                "value": "position",
                "weight": "impressions",
            },
        },
    }
)


def test_small_config_is_consistent() -> None:
    assert SMALL.check_references() == []


EM = {"channel": "email", "device": "mobile"}
OD = {"channel": "organic", "device": "desktop"}
PM = {"channel": "paid", "device": "mobile"}
ED = {"channel": "email", "device": "desktop"}
Row = tuple[str, date, dict[str, str], float]


def read_one(
    read: Callable[..., Any], engine: Engine, metric_id: str, start: date, end: date, **kw: Any
) -> Any:
    """Call one engine read for a metric and window, on SMALL unless a config is given."""
    with Session(engine) as session:
        config = kw.pop("config", SMALL)
        return read(session=session, config=config, metric_id=metric_id, start=start, end=end, **kw)


def read_many(
    read: Callable[..., Any], engine: Engine, ids: list[str], start: date, end: date, **kw: Any
) -> dict[str, float | None]:
    """Call metric_values or measure_totals for several ids, on SMALL."""
    ids_name = "metric_ids" if read is metric_values else "measure_ids"
    with Session(engine) as session:
        return read(session=session, config=SMALL, start=start, end=end, **{ids_name: ids}, **kw)


def series(engine: Engine, metric_id: str, start: date, end: date, **kw: Any) -> pd.DataFrame:
    return read_one(metric_series, engine, metric_id, start, end, **kw)


def value(engine: Engine, metric_id: str, start: date, end: date, **kw: Any) -> float | None:
    return read_one(metric_value, engine, metric_id, start, end, **kw)


def parts(engine: Engine, metric_id: str, start: date, end: date, **kw: Any) -> tuple[Any, Any]:
    return read_one(ratio_parts, engine, metric_id, start, end, **kw)


def breakdown(
    engine: Engine, metric_id: str, start: date, end: date, dimension: str, **kw: Any
) -> pd.DataFrame:
    return read_one(metric_breakdown, engine, metric_id, start, end, dimension=dimension, **kw)


def on(day: date, **measures: list[tuple[dict[str, str], float]]) -> list[Row]:
    """One day's observations, given per measure as (series, value) pairs."""
    return [(measure, day, dims, v) for measure, pairs in measures.items() for dims, v in pairs]


def as_pairs(frame: pd.DataFrame) -> list[tuple[Any, float]]:
    return [(row.iloc[0], round(float(row.iloc[1]), 10)) for _, row in frame.iterrows()]


# --- simple sums and grains --------------------------------------------------------------------


def test_simple_sum_by_day_week_month_quarter(engine: Engine) -> None:
    # Sunday 29 March, Monday 30 March, Tuesday 31 March, Wednesday 1 April 2026; two series.
    write(
        engine,
        [
            *on(D(2026, 3, 29), sessions=[(EM, 10), (OD, 1)]),
            *on(D(2026, 3, 30), sessions=[(EM, 20)], orders=[(EM, 999)]),  # orders not summed in
            *on(D(2026, 3, 31), sessions=[(OD, 40)]),
            *on(D(2026, 4, 1), sessions=[(EM, 80), (OD, 100)]),
        ],
    )
    start, end = D(2026, 3, 1), D(2026, 4, 30)
    assert as_pairs(series(engine, "sessions", start, end, grain="day")) == [
        (D(2026, 3, 29), 11.0),
        (D(2026, 3, 30), 20.0),
        (D(2026, 3, 31), 40.0),
        (D(2026, 4, 1), 180.0),
    ]
    # Weeks start on Monday: Sunday the 29th belongs to the week of Monday the 23rd.
    assert as_pairs(series(engine, "sessions", start, end, grain="week")) == [
        (D(2026, 3, 23), 11.0),
        (D(2026, 3, 30), 240.0),
    ]
    assert as_pairs(series(engine, "sessions", start, end, grain="month")) == [
        (D(2026, 3, 1), 71.0),
        (D(2026, 4, 1), 180.0),
    ]
    assert as_pairs(series(engine, "sessions", start, end, grain="quarter")) == [
        (D(2026, 1, 1), 71.0),
        (D(2026, 4, 1), 180.0),
    ]
    assert value(engine, "sessions", start, end) == 251.0
    # The window is inclusive and cuts periods: the week of the 30th holds only the 31st here.
    assert as_pairs(series(engine, "sessions", D(2026, 3, 31), D(2026, 3, 31), grain="week")) == [
        (D(2026, 3, 30), 40.0)
    ]


def test_series_frame_shape(engine: Engine) -> None:
    write(engine, [("sessions", D(2026, 5, 4), EM, 3)])
    frame = series(engine, "sessions", D(2026, 5, 1), D(2026, 5, 31), grain="week")
    assert list(frame.columns) == ["period", "value"]
    assert type(frame["period"].iloc[0]) is date
    assert frame["value"].dtype == "float64"
    empty = series(engine, "sessions", D(2025, 1, 1), D(2025, 1, 31))
    assert list(empty.columns) == ["period", "value"] and empty.empty
    assert value(engine, "sessions", D(2025, 1, 1), D(2025, 1, 31)) is None


# --- ratios ------------------------------------------------------------------------------------


def test_ratio_is_sum_over_sum_not_mean_of_daily_rates(engine: Engine, config: AppConfig) -> None:
    # DESIGN §4: 1,000 sessions with 30 orders and 10,000 with 100 give 1.18 %, not 2 %.
    write(
        engine,
        [
            *on(D(2026, 11, 2), sessions=[(EM, 400), (OD, 600)], orders=[(EM, 10), (OD, 20)]),
            *on(D(2026, 11, 3), sessions=[(EM, 10_000)], orders=[(EM, 100)]),
        ],
    )
    metrics = config.metrics
    both = value(engine, "conversion_rate", D(2026, 11, 2), D(2026, 11, 3), config=metrics)
    assert both == pytest.approx(130 / 11_000)
    assert round(100 * both, 2) == 1.18
    daily = series(engine, "conversion_rate", D(2026, 11, 1), D(2026, 11, 30), config=metrics)
    assert as_pairs(daily) == [(D(2026, 11, 2), 0.03), (D(2026, 11, 3), 0.01)]
    weekly = series(
        engine, "conversion_rate", D(2026, 11, 1), D(2026, 11, 30), grain="week", config=metrics
    )
    assert as_pairs(weekly) == [(D(2026, 11, 2), round(130 / 11_000, 10))]
    got = parts(engine, "conversion_rate", D(2026, 11, 1), D(2026, 11, 30), config=metrics)
    assert got == (130.0, 11_000.0)


def test_ratio_with_empty_denominator_has_no_value(engine: Engine) -> None:
    write(engine, [("orders", D(2026, 6, 1), EM, 5), ("sessions", D(2026, 6, 2), EM, 50)])
    # 1 June has orders but no sessions: no value that day, not 0 and not an error.
    assert value(engine, "conversion", D(2026, 6, 1), D(2026, 6, 1)) is None
    frame = series(engine, "conversion", D(2026, 6, 1), D(2026, 6, 2))
    assert list(frame["period"]) == [D(2026, 6, 1), D(2026, 6, 2)]
    assert math.isnan(frame["value"].iloc[0])
    # 2 June has sessions but no orders recorded: unknown, not 0 %.
    assert math.isnan(frame["value"].iloc[1])
    assert parts(engine, "conversion", D(2026, 6, 1), D(2026, 6, 1)) == (5.0, None)


def test_ratio_with_zero_denominator_has_no_value(engine: Engine) -> None:
    write(engine, [("orders", D(2026, 6, 1), EM, 0), ("sessions", D(2026, 6, 1), EM, 0)])
    assert value(engine, "conversion", D(2026, 6, 1), D(2026, 6, 30)) is None
    assert parts(engine, "conversion", D(2026, 6, 1), D(2026, 6, 30)) == (0.0, 0.0)
    assert value(engine, "conversion_pct", D(2026, 6, 1), D(2026, 6, 30)) is None


def test_ratio_parts_refuses_other_metric_types(engine: Engine) -> None:
    with pytest.raises(MetricError, match=r"'margin'.*not a ratio"):
        parts(engine, "margin", D(2026, 1, 1), D(2026, 1, 2))


# --- snapshots ---------------------------------------------------------------------------------


APPAREL = {"product_line": "Apparel"}
HOME = {"product_line": "Home"}


def test_snapshot_takes_last_day_with_data_per_period(engine: Engine) -> None:
    write(
        engine,
        [
            *on(D(2026, 3, 30), stock=[(APPAREL, 10), (HOME, 5)]),
            *on(D(2026, 3, 31), stock=[(APPAREL, 12), (HOME, 7)]),
            *on(D(2026, 4, 1), stock=[(APPAREL, 20), (HOME, 8)]),
            # The last April day with data has only Apparel: Home is not carried forward.
            *on(D(2026, 4, 2), stock=[(APPAREL, 25)]),
        ],
    )
    start, end = D(2026, 3, 1), D(2026, 4, 30)
    for metric_id in ["stock", "stock_now"]:
        assert as_pairs(series(engine, metric_id, start, end, grain="month")) == [
            (D(2026, 3, 1), 19.0),
            (D(2026, 4, 1), 25.0),
        ]
        assert as_pairs(series(engine, metric_id, start, end, grain="week")) == [
            (D(2026, 3, 30), 25.0)
        ]
        assert value(engine, metric_id, start, end) == 25.0
        assert value(engine, metric_id, start, D(2026, 4, 1)) == 28.0
    by_line = breakdown(engine, "stock_now", start, end, "product_line")
    # Per member: Home's last day with data is 1 April.
    assert as_pairs(by_line) == [("Apparel", 25.0), ("Home", 8.0)]


def test_snapshot_of_a_summed_measure_next_to_its_sum(engine: Engine) -> None:
    write(
        engine,
        [
            *on(D(2026, 7, 1), sessions=[(EM, 100)]),
            *on(D(2026, 7, 2), sessions=[(EM, 30), (OD, 12)]),
        ],
    )
    got = read_many(
        metric_values, engine, ["sessions", "sessions_latest"], D(2026, 7, 1), D(2026, 7, 31)
    )
    assert got == {"sessions": 142.0, "sessions_latest": 42.0}


# --- weighted averages -------------------------------------------------------------------------


def test_weighted_average_weights_by_impressions(engine: Engine) -> None:
    mobile, desktop = {"device": "mobile"}, {"device": "desktop"}
    write(
        engine,
        [
            *on(D(2026, 2, 2), position=[(mobile, 2), (desktop, 10)]),
            *on(D(2026, 2, 2), impressions=[(mobile, 300), (desktop, 100)]),
            # A position without impressions on its day and series is left out of the pairing.
            *on(D(2026, 2, 3), position=[(mobile, 50)], impressions=[(desktop, 1000)]),
        ],
    )
    start, end = D(2026, 2, 1), D(2026, 2, 28)
    # (2 × 300 + 10 × 100) / (300 + 100) = 4.0; the plain mean of positions would be 6.
    assert value(engine, "avg_position", start, end) == pytest.approx(4.0)
    assert value(engine, "avg_position", start, end, filters={"device": "desktop"}) == 10.0
    assert as_pairs(series(engine, "avg_position", start, end, grain="month")) == [
        (D(2026, 2, 1), 4.0)
    ]


def test_weighted_average_with_zero_weight_has_no_value(engine: Engine) -> None:
    mobile = {"device": "mobile"}
    write(
        engine,
        [("position", D(2026, 2, 2), mobile, 3), ("impressions", D(2026, 2, 2), mobile, 0)],
    )
    assert value(engine, "avg_position", D(2026, 2, 1), D(2026, 2, 28)) is None


# --- derived -----------------------------------------------------------------------------------


def test_derived_gross_margin_is_computed_after_aggregation(
    engine: Engine, config: AppConfig
) -> None:
    write(
        engine,
        [
            *on(D(2026, 5, 4), line_net_revenue=[(APPAREL, 100)], line_cogs=[(APPAREL, 40)]),
            *on(
                D(2026, 5, 5),
                line_net_revenue=[(APPAREL, 300), (HOME, 200)],
                line_cogs=[(APPAREL, 120), (HOME, 190)],
            ),
        ],
    )
    start, end = D(2026, 5, 1), D(2026, 5, 31)
    metrics = config.metrics
    # (600 − 350) / 600, not the mean of the daily margins (0.6 and 0.32).
    margin = value(engine, "gross_margin_pct", start, end, config=metrics)
    assert margin == pytest.approx(250 / 600)
    assert value(engine, "gross_profit", start, end, config=metrics) == pytest.approx(250.0)
    by_line = breakdown(engine, "gross_margin_pct", start, end, "product_line", config=metrics)
    assert as_pairs(by_line) == [("Apparel", 0.6), ("Home", 0.05)]
    filtered = value(
        engine, "gross_margin_pct", start, end, config=metrics, filters={"product_line": "Home"}
    )
    assert filtered == pytest.approx(0.05)


def test_derived_cart_abandonment(engine: Engine, config: AppConfig) -> None:
    write(
        engine,
        [
            *on(D(2026, 5, 4), add_to_cart_sessions=[(EM, 400)], orders=[(EM, 30)]),
            *on(D(2026, 5, 5), add_to_cart_sessions=[(OD, 600)], orders=[(OD, 100)]),
        ],
    )
    got = value(
        engine, "cart_abandonment_rate", D(2026, 5, 1), D(2026, 5, 31), config=config.metrics
    )
    assert got == pytest.approx(1 - 130 / 1000)


def test_derived_division_by_zero_and_missing_parts_have_no_value(engine: Engine) -> None:
    write(
        engine,
        [
            *on(D(2026, 5, 4), revenue=[(APPAREL, 0)], cogs=[(APPAREL, 0)]),
            *on(D(2026, 5, 5), revenue=[(APPAREL, 100)]),  # no cogs that day
            *on(D(2026, 5, 6), revenue=[(APPAREL, 50)], cogs=[(APPAREL, 20)]),
        ],
    )
    daily = series(engine, "margin", D(2026, 5, 4), D(2026, 5, 6))
    assert list(daily["period"]) == [D(2026, 5, 4), D(2026, 5, 5), D(2026, 5, 6)]
    assert math.isnan(daily["value"].iloc[0])
    assert math.isnan(daily["value"].iloc[1])
    assert daily["value"].iloc[2] == pytest.approx(0.6)
    assert value(engine, "margin", D(2026, 5, 4), D(2026, 5, 6)) == pytest.approx(130 / 150)


def test_derived_over_another_metric(engine: Engine) -> None:
    write(engine, [("sessions", D(2026, 1, 5), EM, 200), ("orders", D(2026, 1, 5), EM, 5)])
    assert value(engine, "conversion_pct", D(2026, 1, 1), D(2026, 1, 31)) == pytest.approx(2.5)


def test_derived_expression_is_not_executed_as_code(engine: Engine) -> None:
    bad = SMALL.model_copy(
        update={
            "metrics": {
                **SMALL.metrics,
                "evil": SMALL.metrics["margin"].model_copy(
                    update={"expression": "__import__('os').getcwd()"}
                ),
            }
        }
    )
    with pytest.raises(MetricError, match="'evil'"):
        value(engine, "evil", D(2026, 1, 1), D(2026, 1, 2), config=bad)


# --- filters and errors ------------------------------------------------------------------------


def test_filters_restrict_a_ratio_to_matching_series(engine: Engine) -> None:
    write(
        engine,
        [
            *on(
                D(2026, 8, 3),
                sessions=[(EM, 1000), (PM, 1000), (OD, 2000)],
                orders=[(EM, 10), (PM, 30), (OD, 160)],
            ),
        ],
    )
    start, end = D(2026, 8, 1), D(2026, 8, 31)
    assert value(engine, "conversion", start, end) == pytest.approx(200 / 4000)
    assert value(engine, "conversion", start, end, filters={"device": "mobile"}) == pytest.approx(
        40 / 2000
    )
    both = {"device": "mobile", "channel": "email"}
    assert value(engine, "conversion", start, end, filters=both) == pytest.approx(0.01)
    assert value(engine, "conversion", start, end, filters={"channel": "organic"}) == 0.08
    nothing = {"device": "desktop", "channel": "email"}
    assert value(engine, "conversion", start, end, filters=nothing) is None
    assert series(engine, "conversion", start, end, filters=nothing).empty


def test_filter_on_undeclared_dimension_is_refused(engine: Engine, config: AppConfig) -> None:
    with pytest.raises(MetricError) as err:
        value(
            engine,
            "gross_margin_pct",
            D(2026, 1, 1),
            D(2026, 1, 31),
            config=config.metrics,
            filters={"device": "mobile"},
        )
    message = str(err.value)
    assert "'device'" in message and "'line_cogs'" in message and "gross_margin_pct" in message


def test_filter_with_unknown_value_or_dimension_is_refused(engine: Engine) -> None:
    with pytest.raises(MetricError, match="'tablet' is not a value of dimension 'device'"):
        value(engine, "conversion", D(2026, 1, 1), D(2026, 1, 2), filters={"device": "tablet"})
    with pytest.raises(MetricError, match="unknown dimension 'colour'"):
        value(engine, "conversion", D(2026, 1, 1), D(2026, 1, 2), filters={"colour": "red"})


def test_a_refused_read_is_said_in_german(engine: Engine) -> None:
    problems = []
    with i18n.use_locale("de"):
        for metric_id, start, end, filters in [
            ("conversion", D(2026, 1, 1), D(2026, 1, 2), {"device": "tablet"}),
            ("conversion", D(2026, 1, 1), D(2026, 1, 2), {"colour": "red"}),
            ("revenu", D(2026, 1, 1), D(2026, 1, 2), None),
            ("sessions", D(2026, 2, 1), D(2026, 1, 1), None),
        ]:
            with pytest.raises(MetricError) as refused:
                value(engine, metric_id, start, end, filters=filters)
            problems.append(str(refused.value))
    assert problems == [
        "Kennzahl 'conversion' kann nicht gefiltert werden: 'tablet' ist kein Wert der "
        "Dimension 'device' (erwartet wird einer von mobile, desktop)",
        "Kennzahl 'conversion' kann nicht gefiltert werden: unbekannte Dimension 'colour'",
        "unbekannte Kennzahl 'revenu'",
        "der Zeitraum beginnt (2026-02-01) nach seinem Ende (2026-01-01)",
    ]


def test_bad_requests_name_the_culprit(engine: Engine) -> None:
    with pytest.raises(MetricError, match="unknown metric 'revenu'"):
        value(engine, "revenu", D(2026, 1, 1), D(2026, 1, 2))
    with pytest.raises(MetricError, match=r"starts .*2026-02-01.* after it ends .*2026-01-01"):
        value(engine, "sessions", D(2026, 2, 1), D(2026, 1, 1))
    with pytest.raises(MetricError, match="unknown grain 'year'"):
        series(engine, "sessions", D(2026, 1, 1), D(2026, 1, 2), grain="year")
    with pytest.raises(MetricError, match="unknown metric 'nope'"):
        read_many(metric_values, engine, ["sessions", "nope"], D(2026, 1, 1), D(2026, 1, 2))
    with pytest.raises(MetricError, match="unknown measure 'visits'"):
        read_many(measure_totals, engine, ["visits"], D(2026, 1, 1), D(2026, 1, 2))
    with pytest.raises(MetricError, match="'margin' cannot be broken down by 'channel'"):
        breakdown(engine, "margin", D(2026, 1, 1), D(2026, 1, 2), "channel")


# --- breakdowns, totals, several at once -------------------------------------------------------


def test_breakdown_by_channel(engine: Engine, config: AppConfig) -> None:
    write(
        engine,
        [
            *on(D(2026, 9, 1), sessions=[(EM, 500), (ED, 500)], orders=[(EM, 20), (ED, 10)]),
            *on(D(2026, 9, 2), sessions=[(OD, 2000)], orders=[(OD, 50)]),
        ],
    )
    # Paid search has sessions but no orders recorded: no value, not 0 %.
    paid_pm = {"channel": "paid_search", "device": "mobile"}
    write(engine, [("sessions", D(2026, 9, 2), paid_pm, 100)])
    frame = breakdown(
        engine, "conversion_rate", D(2026, 9, 1), D(2026, 9, 30), "channel", config=config.metrics
    )
    assert list(frame.columns) == ["member", "value"]
    # Members come in the order metrics.yaml declares them; channels without data are absent.
    assert list(frame["member"]) == ["organic", "paid_search", "email"]
    values = dict(zip(frame["member"], frame["value"], strict=True))
    assert values["organic"] == pytest.approx(50 / 2000)
    assert math.isnan(values["paid_search"])
    assert values["email"] == pytest.approx(30 / 1000)


def test_measure_totals_for_the_funnel(engine: Engine) -> None:
    write(
        engine,
        [
            *on(D(2026, 10, 5), sessions=[(EM, 900)], stock=[(APPAREL, 4)]),
            *on(D(2026, 10, 6), sessions=[(PM, 100)], orders=[(PM, 7)], stock=[(APPAREL, 6)]),
        ],
    )
    start, end, paid = D(2026, 10, 1), D(2026, 10, 31), {"channel": "paid"}
    measures = ["sessions", "orders", "stock", "cogs"]
    totals = read_many(measure_totals, engine, measures, start, end)
    funnel = ["sessions", "orders"]
    mobile_paid = read_many(measure_totals, engine, funnel, start, end, filters=paid)
    with pytest.raises(MetricError, match="'stock' does not have that dimension"):
        read_many(measure_totals, engine, ["sessions", "stock"], start, end, filters=paid)
    # stock aggregates by its own rule (last value), cogs has no data at all.
    assert totals == {"sessions": 1000.0, "orders": 7.0, "stock": 6.0, "cogs": None}
    assert mobile_paid == {"sessions": 100.0, "orders": 7.0}


def test_metric_values_match_single_values_in_one_query(engine: Engine, config: AppConfig) -> None:
    days = [D(2026, 11, 2), D(2026, 11, 3)]
    rows: list[Row] = []
    for i, day in enumerate(days):
        rows += [
            ("sessions", day, EM, 1000 + i),
            ("orders", day, EM, 20 + i),
            ("net_revenue", day, EM, 2000 + 10 * i),
            ("line_net_revenue", day, APPAREL, 2000 + 10 * i),
            ("line_cogs", day, APPAREL, 900 + i),
        ]
    write(engine, rows)
    metrics = config.metrics
    start, end = D(2026, 11, 1), D(2026, 11, 30)
    wanted = [*metrics.kpi_tiles, "cart_abandonment_rate", "organic_position"]
    with Session(engine) as session:
        session.connection()  # begin first, so that only the metrics query is counted
        with statements_run(engine) as statements:
            together = metric_values(
                session=session, config=metrics, metric_ids=wanted, start=start, end=end
            )
    assert len(statements) == 1
    assert together == {m: value(engine, m, start, end, config=metrics) for m in wanted}
    assert together["aov"] == pytest.approx(4010 / 41)
    assert together["cart_abandonment_rate"] is None
    assert together["organic_position"] is None


def _batch_rows() -> list[Row]:
    rows: list[Row] = []
    for i, day in enumerate([D(2026, 3, 30), D(2026, 3, 31), D(2026, 4, 1), D(2026, 4, 2)]):
        rows += [
            ("sessions", day, EM, 100.5 + i),
            ("sessions", day, OD, 40.25 * (i + 1)),
            ("sessions", day, PM, 10.0),
            ("orders", day, EM, 3.0 + i),
            ("orders", day, PM, 0.5 * i),
            ("impressions", day, {"device": "mobile"}, 1000.0 + i),
            ("impressions", day, {"device": "desktop"}, 300.0),
            ("position", day, {"device": "mobile"}, 4.0 + i / 10),
            ("position", day, {"device": "desktop"}, 7.5),
            ("revenue", day, APPAREL, 250.75 + i),
            ("cogs", day, APPAREL, 100.1 * (i + 1)),
        ]
        if i < 3:  # Home's stock stops a day early
            rows.append(("stock", day, HOME, 5.0 + i))
        rows.append(("stock", day, APPAREL, 20.0 - i))
    return rows


BATCH_METRICS = ("sessions", "conversion", "conversion_pct", "stock", "stock_now", "avg_position")


def test_metric_reads_match_each_read_alone(engine: Engine) -> None:
    """Each read of a batch gets exactly what metric_values or metric_series_many give alone."""
    write(engine, _batch_rows())
    start, end = D(2026, 3, 29), D(2026, 4, 5)
    reads = [
        MetricRead(metric_ids=BATCH_METRICS, start=start, end=end),
        MetricRead(metric_ids=BATCH_METRICS, start=start, end=D(2026, 3, 31)),
        MetricRead(
            metric_ids=("sessions", "conversion"),
            start=start,
            end=end,
            filters=(("device", "mobile"),),
        ),
        MetricRead(
            metric_ids=("conversion", "sessions"),
            start=start,
            end=end,
            filters=(("channel", "email"), ("device", "mobile")),
            grain="day",
            measure_ids=("sessions",),
        ),
        MetricRead(metric_ids=BATCH_METRICS, start=start, end=end, grain="day"),
        MetricRead(metric_ids=BATCH_METRICS, start=start, end=end, grain="week"),
        MetricRead(
            metric_ids=("margin", "stock", "stock_now"),
            start=start,
            end=end,
            filters=(("product_line", "Home"),),
            grain="day",
            measure_ids=("stock",),
        ),
        MetricRead(metric_ids=("margin",), start=D(2025, 1, 1), end=D(2025, 1, 31)),  # no data
        MetricRead(metric_ids=(), start=start, end=end),
    ]
    # Reads that differ in one filter's value share a statement grouped by that value; every
    # kind of component, per window, day and week, with a read repeated for other metrics.
    grains: tuple[Grain | None, ...] = (None, "day", "week")
    for member in ["mobile", "desktop"]:
        device = (("device", member),)
        reads += [MetricRead(("avg_position", "conversion"), start, end, device, g) for g in grains]
        reads.append(MetricRead(("sessions",), start, end, (("channel", "email"), *device), "day"))
    for member in ["Home", "Apparel"]:
        line, last = (("product_line", member),), D(2026, 4, 1) if member == "Home" else end
        reads += [
            MetricRead(("stock_now", "margin"), start, last, line, g, ("stock",)) for g in grains
        ]
    reads.append(
        MetricRead(metric_ids=("stock",), start=start, end=end, filters=(("product_line", "Home"),))
    )
    with Session(engine) as session:
        got = metric_reads(session=session, config=SMALL, reads=reads)
        for read, found in zip(reads, got, strict=True):
            common: dict[str, Any] = {
                "session": session,
                "config": SMALL,
                "start": read.start,
                "end": read.end,
                "filters": dict(read.filters),
            }
            if read.grain is None:
                alone = metric_values(metric_ids=list(read.metric_ids), **common)
                totals = measure_totals(measure_ids=list(read.measure_ids), **common)
                alone.update((f"measure:{m}", v) for m, v in totals.items())
                assert found == {m: {} if v is None else {None: v} for m, v in alone.items()}
                continue
            frame = metric_series_many(
                metric_ids=list(read.metric_ids),
                grain=read.grain,
                measure_ids=list(read.measure_ids),
                **common,
            )
            expected = {
                name: {
                    day: float(v)
                    for day, v in zip(frame["period"], frame[name], strict=True)
                    if not math.isnan(v)
                }
                for name in frame.columns
                if name != "period"
            }
            assert found == expected
    window, early, mobile, em_daily, daily, weekly, home, empty, nothing = got[:9]
    assert window["sessions"] == {None: pytest.approx(4 * (100.5 + 10) + 1.5 * 4 + 40.25 * 10)}
    assert window["stock_now"] == {None: 17.0}  # only Apparel has data on 2 April
    assert early["stock_now"] == {None: 6.0 + 19.0}
    assert mobile["conversion"] == {None: pytest.approx((18 + 3) / (4 * 100.5 + 6 + 40))}
    assert em_daily["measure:sessions"] == {
        D(2026, 3, 30) + timedelta(days=i): 100.5 + i for i in range(4)
    }
    assert daily["stock_now"][D(2026, 4, 1)] == 7.0 + 18.0
    assert home["stock"] == {D(2026, 3, 30): 5.0, D(2026, 3, 31): 6.0, D(2026, 4, 1): 7.0}
    assert weekly["stock_now"] == {D(2026, 3, 30): 17.0}
    assert empty == {"margin": {}}
    assert nothing == {}
    weights = [1000.0 + i for i in range(4)]  # mobile impressions
    positions = [4.0 + i / 10 for i in range(4)]
    mobile_position = sum(p * w for p, w in zip(positions, weights, strict=True)) / sum(weights)
    assert got[9]["avg_position"] == {None: pytest.approx(mobile_position)}
    assert got[-1] == {"stock": {None: 7.0}}  # a "last" measure: Home on 1 April


def test_metric_reads_run_as_few_statements_as_allowed(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(engine, _batch_rows())
    start, end = D(2026, 3, 29), D(2026, 4, 5)
    filter_sets = [(), (("device", "mobile"),), (("device", "desktop"),), (("channel", "email"),)]
    reads = [
        MetricRead(metric_ids=("conversion",), start=start, end=end, filters=filters, grain=grain)
        for filters in filter_sets
        for grain in (None, "day")
    ]
    with Session(engine) as session:
        session.connection()  # begin first, so that only the metrics queries are counted
        with statements_run(engine) as statements:
            together = metric_reads(session=session, config=SMALL, reads=reads)
        # Per grain, one statement for no filter, one for channel, one for both devices.
        assert len(statements) == 6
        monkeypatch.setattr(planning.metrics.metric_query, "QUERIES_PER_STATEMENT", 1)
        with statements_run(engine) as statements:
            split = metric_reads(session=session, config=SMALL, reads=reads)
        assert len(statements) == 12  # a query each for orders and sessions
    assert split == together
    assert together[2] == {"conversion": {None: pytest.approx(21 / 448)}}  # mobile
    assert together[6] == {"conversion": {None: pytest.approx(18 / 408)}}  # email


def test_metric_reads_leave_out_a_ratio_without_a_denominator(engine: Engine) -> None:
    """A day whose denominator is 0 or missing has no ratio, as in metric_series_many."""
    write(
        engine,
        [
            *on(D(2026, 3, 2), orders=[(EM, 4.0)], sessions=[(EM, 0.0)]),  # zero denominator
            *on(D(2026, 3, 3), orders=[(EM, 3.0)]),  # no sessions at all that day
            *on(D(2026, 3, 4), orders=[(EM, 0.0)], sessions=[(EM, 50.0)]),
            *on(D(2026, 3, 5), sessions=[(EM, 40.0)]),  # no orders that day
        ],
    )
    start, end = D(2026, 3, 1), D(2026, 3, 31)
    with Session(engine) as session:
        (daily, window) = metric_reads(
            session=session,
            config=SMALL,
            reads=[
                MetricRead(metric_ids=("conversion",), start=start, end=end, grain="day"),
                MetricRead(metric_ids=("conversion",), start=start, end=end),
            ],
        )
        frame = metric_series_many(
            session=session, config=SMALL, metric_ids=["conversion"], start=start, end=end
        )
    assert daily == {"conversion": {D(2026, 3, 4): 0.0}}
    assert dict(zip(frame["period"], frame["conversion"], strict=True))[D(2026, 3, 4)] == 0.0
    assert frame["conversion"].isna().sum() == 3
    assert window == {"conversion": {None: 7.0 / 90.0}}


def test_metric_reads_refuse_bad_reads(engine: Engine) -> None:
    start, end = D(2026, 3, 1), D(2026, 3, 31)
    mobile = (("device", "mobile"),)
    bad_reads = {  # what the refusal names: the read
        "starts": MetricRead(("sessions",), start=end, end=start),
        "grain": MetricRead(("sessions",), start, end, grain="year"),  # type: ignore[arg-type]
        "revenue": MetricRead(("sessions",), start, end, filters=mobile, measure_ids=("revenue",)),
    }
    with Session(engine) as session:
        for problem, read in bad_reads.items():
            with pytest.raises(MetricError) as refused:
                metric_reads(session=session, config=SMALL, reads=[read])
            assert problem in str(refused.value), (problem, read)


RUNNING_METRICS = (*BATCH_METRICS, "margin")


@pytest.mark.parametrize("span", [0, 2, 3])
def test_running_read_gives_each_day_the_window_read_ending_that_day(
    engine: Engine, span: int
) -> None:
    """A running read's value on a day is what a whole-window read ending that day gives: the
    ratio of the window's sums (not a mean of daily ratios), the last stock seen in the window."""
    rows = [r for r in _batch_rows() if r[1] != D(2026, 3, 31)]  # a day without any data
    write(engine, rows)
    start, end = D(2026, 3, 31), D(2026, 4, 5)
    filter_sets: list[tuple[tuple[str, str], ...]] = [(), (("device", "mobile"),)]
    with Session(engine) as session:
        for filters in filter_sets:
            ids = RUNNING_METRICS if not filters else ("sessions", "conversion", "avg_position")
            read = MetricRead(
                metric_ids=ids, start=start, end=end, filters=filters, grain="day", running=span
            )
            (found,) = metric_reads(session=session, config=SMALL, reads=[read])
            for offset in range((end - start).days + 1):
                day = start + timedelta(days=offset)
                first = day - timedelta(days=span - 1) if span else start
                alone = metric_values(
                    session=session,
                    config=SMALL,
                    metric_ids=list(ids),
                    start=first,
                    end=day,
                    filters=dict(filters),
                )
                for metric_id in ids:
                    got = found[metric_id].get(day)
                    expected = alone[metric_id]
                    if expected is None:
                        assert got is None, (metric_id, day, span, filters)
                    else:
                        assert got == pytest.approx(expected), (metric_id, day, span, filters)
    # Worked example: conversion over 1 and 2 Apr (span 2) is all orders of both days over all
    # their sessions, not the mean of the two days' rates.
    with Session(engine) as session:
        (found,) = metric_reads(
            session=session,
            config=SMALL,
            reads=[MetricRead(("conversion",), start, end, grain="day", running=2)],
        )
    sessions = (102.5 + 120.75 + 10) + (103.5 + 161.0 + 10)
    assert found["conversion"][D(2026, 4, 2)] == pytest.approx((5 + 1 + 6 + 1.5) / sessions)


def test_running_read_needs_the_day_grain(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(MetricError, match="running"):
        metric_reads(
            session=session,
            config=SMALL,
            reads=[MetricRead(("sessions",), D(2026, 3, 1), D(2026, 3, 31), running=7)],
        )


# --- freshness ---------------------------------------------------------------------------------


def test_freshness_of_empty_store(engine: Engine) -> None:
    with Session(engine) as session:
        assert freshness(session=session, complete_after_hours=24) == Freshness(None, None, 0)


def test_freshness_reports_latest_day_last_import_and_rows(engine: Engine) -> None:
    write(
        engine,
        [
            *on(D(2026, 3, 1), sessions=[(EM, 1)]),
            *on(D(2026, 3, 5), orders=[(EM, 3)]),
            *on(D(2026, 3, 9), sessions=[(EM, 2)]),
        ],
    )
    with Session(engine) as session:

        def batch(source: str, filename: str, rows: int, checksum: str, at: datetime) -> None:
            done = record_batch(
                session=session,
                actor=None,
                source=source,
                filename=filename,
                counts=UpsertCounts(rows, 0, 0),
                checksum=checksum,
            )
            done.finished_at = at

        batch("cli", "a.csv", 3, "x", datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
        batch("api", "", 0, "y", datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
        session.commit()
    with Session(engine) as session:
        got = freshness(session=session, complete_after_hours=24)
    assert got.latest_day == D(2026, 3, 9)
    assert got.last_import_at == datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    assert got.observation_rows == 3
