"""The roadmap's rules and reads: Now / Next / Later, spans and quarters, swimlanes, filters to and
from the query string, the board, the summary and the CSV (SQLite, and PostgreSQL when
configured)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from planning import i18n
from planning.config import AppConfig
from planning.reports.export import roadmap_report
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    Initiative,
    InitiativeKeyResult,
    KeyResult,
    Objective,
    Person,
    Role,
)
from planning.work.roadmap import (
    NO_OBJECTIVE,
    RoadmapFilters,
    board,
    export_csv,
    filters_from_query,
    filters_to_query,
    horizon,
    overlaps,
    primary_objective,
    progress_date,
    roadmap_items,
    roadmap_quarters,
    span,
    spreadsheet_safe,
    summarise,
    timeline_items,
)

TODAY = date(2026, 11, 26)


# --- rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "start", "expected"),
    [
        ("in_progress", date(2026, 10, 1), "now"),
        ("blocked", None, "now"),
        ("planned", date(2026, 11, 20), "now"),  # started already
        ("planned", date(2026, 11, 26), "now"),  # starts today
        ("planned", date(2026, 12, 1), "next"),
        ("planned", date(2027, 1, 7), "next"),  # 42 days out: the last day of Next
        ("planned", date(2027, 1, 8), "later"),  # 43 days out
        ("planned", None, "next"),  # committed, not yet dated
        ("idea", date(2026, 12, 1), "later"),
        ("idea", None, "later"),
        ("done", date(2026, 9, 1), "shipped"),
        ("dropped", date(2026, 9, 1), None),
    ],
)
def test_now_next_later(status: str, start: date | None, expected: str | None) -> None:
    assert horizon(status=status, start_date=start, today=TODAY) == expected


def test_next_window_is_configurable() -> None:
    start = date(2026, 12, 10)  # 14 days out
    assert horizon(status="planned", start_date=start, today=TODAY, next_within_days=14) == "next"
    assert horizon(status="planned", start_date=start, today=TODAY, next_within_days=13) == "later"


def test_span_runs_from_start_to_shipped_else_target() -> None:
    assert span(date(2026, 10, 1), date(2026, 10, 31), None) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
    )
    # Shipped late: the span runs to the ship day, not the target.
    assert span(date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 3)) == (
        date(2026, 10, 1),
        date(2026, 11, 3),
    )
    assert span(None, date(2026, 10, 31), None) == (date(2026, 10, 31), date(2026, 10, 31))
    assert span(date(2026, 10, 1), None, None) == (date(2026, 10, 1), date(2026, 10, 1))
    assert span(None, None, None) is None


def test_overlaps_counts_shared_days_inclusive() -> None:
    q4 = (date(2026, 10, 1), date(2026, 12, 31))
    assert overlaps((date(2026, 9, 1), date(2026, 10, 1)), *q4)  # touches the first day
    assert not overlaps((date(2026, 9, 1), date(2026, 9, 30)), *q4)
    assert overlaps((date(2026, 12, 31), date(2027, 2, 1)), *q4)
    assert not overlaps(None, *q4)


def test_progress_date_is_the_share_of_the_bar() -> None:
    # 30 days from 1 to 31 October: 50 % is 15 days (16 October); 45 % is 13.5 days, rounded
    # half to even to 14 (15 October).
    assert progress_date(date(2026, 10, 1), date(2026, 10, 31), 50) == date(2026, 10, 16)
    assert progress_date(date(2026, 10, 1), date(2026, 10, 31), 0) == date(2026, 10, 1)
    assert progress_date(date(2026, 10, 1), date(2026, 10, 31), 100) == date(2026, 10, 31)
    assert progress_date(date(2026, 10, 1), date(2026, 10, 31), 45) == date(2026, 10, 15)


def test_primary_objective_is_the_most_linked_then_the_oldest() -> None:
    assert primary_objective({3: 1, 1: 1}) == 1
    assert primary_objective({3: 2, 1: 1}) == 3
    assert primary_objective({}) is None


def test_filters_round_trip_through_the_query_string() -> None:
    filters = RoadmapFilters(
        quarter="2026-Q4", objective_id=2, owner_id=6, statuses=("in_progress", "blocked")
    )
    query = filters_to_query(filters)
    assert query == {
        "quarter": "2026-Q4",
        "objective": "2",
        "owner": "6",
        "status": "in_progress,blocked",
    }
    again, problems = filters_from_query(
        query, default_quarter="2026-Q3", objective_ids={2}, owner_ids={6}
    )
    assert again == filters and problems == []
    every, _ = filters_from_query(
        {"quarter": "all"}, default_quarter="2026-Q4", objective_ids=(), owner_ids=()
    )
    assert every == RoadmapFilters() and filters_to_query(every) == {"quarter": "all"}


def test_a_query_string_without_quarter_takes_the_default_and_loose_forms_are_read() -> None:
    filters, problems = filters_from_query(
        {"quarter": " 2026-q4 ", "status": "Blocked, in_progress,"},
        default_quarter="2026-Q3",
        objective_ids=(),
        owner_ids=(),
    )
    assert filters == RoadmapFilters(quarter="2026-Q4", statuses=("in_progress", "blocked"))
    assert problems == []
    empty, _ = filters_from_query({}, default_quarter="2026-Q3", objective_ids=(), owner_ids=())
    assert empty == RoadmapFilters(quarter="2026-Q3")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "quarter 'Q9' is not a quarter like 2026-Q4",
                "objective '99' is not an objective",
                "owner 'abc' is not a person who owns initiatives",
                "status 'shipped' is not one of idea, planned, in_progress, blocked, done, dropped",
                "quarter '0999-Q1' is outside the supported range (years 2000 to 2100)",
            ],
        ),
        (
            "de",
            [
                "Quartal 'Q9' ist kein Quartal wie 2026-Q4",
                "Objective '99' ist kein Objective",
                "Verantwortlich 'abc' ist keine Person, die Initiativen verantwortet",
                "Status 'shipped' ist keiner von idea, planned, in_progress, blocked, done, "
                "dropped",
                "Quartal '0999-Q1' liegt außerhalb des unterstützten Bereichs "
                "(Jahre 2000 bis 2100)",
            ],
        ),
    ],
)
def test_bad_query_values_are_named_and_left_out(language: str, expected: list[str]) -> None:
    with i18n.use_locale(language):
        filters, problems = filters_from_query(
            {"quarter": "Q9", "objective": "99", "owner": "abc", "status": "shipped,done"},
            default_quarter="2026-Q4",
            objective_ids={1, 2},
            owner_ids={6},
        )
        _, out_of_range = filters_from_query(
            {"quarter": "0999-Q1"}, default_quarter=None, objective_ids=(), owner_ids=()
        )
    assert filters == RoadmapFilters(quarter="2026-Q4", statuses=("done",))
    assert [*problems, *out_of_range] == expected


def test_spreadsheet_safe_keeps_formulas_as_text() -> None:
    assert spreadsheet_safe('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert spreadsheet_safe("+1") == "'+1"
    assert spreadsheet_safe("-1") == "'-1"
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("Guest checkout") == "Guest checkout"
    assert spreadsheet_safe("<b>bold</b>") == "<b>bold</b>"


# --- reads on a small store --------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    ana: int
    ben: int
    checkout: int  # objective, 2026-Q4
    basket: int  # objective, 2026-Q4
    spring: int  # objective, 2027-Q1
    ids: dict[str, int]


def _add(session: Session, row: Any) -> int:
    session.add(row)
    session.flush()
    assert row.id is not None
    return int(row.id)


D = date


def _work(
    owner: int,
    status: str,
    start: date | None = None,
    target: date | None = None,
    health: str | None = None,
    shipped: date | None = None,
) -> dict[str, Any]:
    """An initiative's fields; only those given are set (a done one is 100 % complete)."""
    row: dict[str, Any] = {"owner_id": owner, "status": status}
    if start is not None:
        row |= {"start_date": start, "target_date": target}
    if health is not None:
        row["health"] = health
    if shipped is not None:
        row |= {"percent_complete": 100, "shipped_date": shipped}
    return row


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    with session_scope(engine) as session:
        ana = _add(session, Person(name="Ana", email="ana@x.test", role=Role.member))
        ben = _add(session, Person(name="Ben", email="ben@x.test", role=Role.member))
        checkout = _add(session, Objective(period="2026-Q4", title="Checkout", owner_id=ana))
        basket = _add(session, Objective(period="2026-Q4", title="Basket", owner_id=ana))
        spring = _add(session, Objective(period="2027-Q1", title="Spring", owner_id=ana))
        krs = {
            "c1": _add(session, KeyResult(objective_id=checkout, title="c1", owner_id=ana)),
            "c2": _add(session, KeyResult(objective_id=checkout, title="c2", owner_id=ana)),
            "b1": _add(session, KeyResult(objective_id=basket, title="b1", owner_id=ana)),
            "s1": _add(session, KeyResult(objective_id=spring, title="s1", owner_id=ana)),
        }
        specs: dict[str, tuple[dict[str, Any], list[str]]] = {
            # Two checkout KRs: the checkout lane, also basket.
            "wallets": (
                _work(ana, "in_progress", D(2026, 11, 1), D(2026, 12, 21), health="at_risk")
                | {"percent_complete": 40},
                ["c1", "c2", "b1"],
            ),
            # A tie: the older objective (checkout) wins.
            "bundles": (
                _work(ben, "in_progress", D(2026, 10, 27), D(2026, 12, 26), health="off_track"),
                ["b1", "c1"],
            ),
            "delivery": (
                _work(ana, "done", D(2026, 10, 12), D(2026, 10, 27), shipped=D(2026, 10, 25)),
                ["c1"],
            ),
            "summer": (
                _work(ana, "done", D(2026, 7, 1), D(2026, 8, 1), shipped=D(2026, 8, 3)),
                ["c1"],
            ),
            "loyalty": (_work(ben, "planned", D(2026, 12, 17), D(2027, 3, 16)), ["b1"]),
            "bnpl": (_work(ana, "idea"), ["s1"]),
            "alerts": (_work(ben, "idea"), []),
            "chat": (_work(ben, "dropped", D(2026, 10, 1), D(2026, 10, 30)), ["c1"]),
            "instrumentation": (_work(ben, "planned", D(2026, 12, 1), D(2026, 12, 15)), []),
        }
        ids = {}
        for title, (row, links) in specs.items():
            ids[title] = _add(session, Initiative(title=title, **row))
            for kr in links:
                session.add(InitiativeKeyResult(initiative_id=ids[title], key_result_id=krs[kr]))
    return Seeded(ana=ana, ben=ben, checkout=checkout, basket=basket, spring=spring, ids=ids)


def items_for(engine: Engine, filters: RoadmapFilters) -> pd.DataFrame:
    with Session(read_engine(engine)) as session:
        return roadmap_items(session=session, filters=filters, today=TODAY)


def test_a_quarter_holds_work_whose_dates_overlap_it_and_undated_work_of_its_objectives(
    engine: Engine, seeded: Seeded
) -> None:
    q4 = items_for(engine, RoadmapFilters(quarter="2026-Q4"))
    # Lanes in objective order, each by start date; unlinked work last; dropped and Q3 work out.
    assert list(zip(q4["title"], q4["objective"], strict=True)) == [
        ("delivery", "Checkout"),
        ("bundles", "Checkout"),
        ("wallets", "Checkout"),
        ("loyalty", "Basket"),
        ("instrumentation", NO_OBJECTIVE),
    ]
    q1 = items_for(engine, RoadmapFilters(quarter="2027-Q1"))
    # Loyalty's dates reach into Q1 (Basket lane); bnpl is undated but linked to Spring. The
    # quarter's own objective leads, another quarter's lane follows.
    assert list(zip(q1["title"], q1["objective"], strict=True)) == [
        ("bnpl", "Spring"),
        ("loyalty", "Basket"),
    ]


def test_the_current_quarter_keeps_late_work_that_is_still_now(
    engine: Engine, seeded: Seeded
) -> None:
    with session_scope(engine) as session:
        for title, status in [("late rollout", "in_progress"), ("late start", "planned")]:
            row = _work(seeded.ana, status, D(2026, 11, 2), D(2026, 12, 20))
            _add(session, Initiative(title=title, **row))
    new_year = D(2027, 1, 4)
    with Session(read_engine(engine)) as session:
        q1 = roadmap_items(
            session=session, filters=RoadmapFilters(quarter="2027-Q1"), today=new_year
        ).set_index("title")
    # Past their target in the quarter gone by, not done: still Now on the live roadmap.
    assert q1.loc["late rollout", "horizon"] == "now"
    assert q1.loc["late start", "horizon"] == "now"
    # Shipped work stays in the quarter it shipped in.
    assert "delivery" not in q1.index


@pytest.mark.parametrize("today", [D(2026, 12, 31), D(2026, 12, 7)])
def test_the_current_quarter_keeps_what_starts_next_after_its_end(
    engine: Engine, seeded: Seeded, today: date
) -> None:
    with session_scope(engine) as session:
        for title, start, target in [
            ("returns portal", D(2027, 1, 4), D(2027, 2, 15)),  # within six weeks of either day
            ("spring sale", D(2027, 3, 1), D(2027, 3, 20)),  # later
        ]:
            _add(session, Initiative(title=title, **_work(seeded.ana, "planned", start, target)))

    def quarter(name: str, on: date) -> pd.DataFrame:
        with Session(read_engine(engine)) as session:
            return roadmap_items(session=session, filters=RoadmapFilters(quarter=name), today=on)

    q4 = quarter("2026-Q4", today).set_index("title")
    # In the quarter's last weeks its board still shows the work about to start, as Next.
    assert q4.loc["returns portal", "horizon"] == "next"
    assert "spring sale" not in q4.index
    # A quarter that does not hold today keeps only the work whose dates overlap it.
    assert "returns portal" not in quarter("2026-Q4", D(2026, 8, 3)).index
    assert "returns portal" not in quarter("2026-Q3", today).index


def test_rows_carry_lane_other_objectives_dates_and_column(engine: Engine, seeded: Seeded) -> None:
    every = items_for(engine, RoadmapFilters()).set_index("title")
    wallets = every.loc["wallets"]
    assert (wallets["objective_id"], wallets["also_moves"]) == (seeded.checkout, "Basket")
    assert wallets["end_date"] == date(2026, 12, 21)
    assert wallets["progress_date"] == date(2026, 11, 21)  # 40 % of 50 days = 20 days
    assert wallets["horizon"] == "now"
    delivery = every.loc["delivery"]
    assert (delivery["end_date"], delivery["horizon"]) == (date(2026, 10, 25), "shipped")
    assert every.loc["bundles"]["objective_id"] == seeded.checkout
    assert every.loc["alerts"]["objective"] == NO_OBJECTIVE and pd.isna(
        every.loc["alerts"]["objective_id"]
    )
    assert every.loc["loyalty"]["horizon"] == "next"
    assert every.loc["bnpl"]["horizon"] == "later"
    assert "chat" not in every.index  # dropped work is off the roadmap by default
    assert set(every.index) == set(seeded.ids) - {"chat"}


def test_objective_owner_and_status_filters(engine: Engine, seeded: Seeded) -> None:
    basket = items_for(engine, RoadmapFilters(objective_id=seeded.basket))
    # Linked to Basket at all, and drawn in Basket's lane when it is the only objective kept.
    assert list(basket["title"]) == ["bundles", "wallets", "loyalty"]
    assert set(basket["objective"]) == {"Basket"}
    bens = items_for(engine, RoadmapFilters(owner_id=seeded.ben))
    assert set(bens["owner"]) == {"Ben"}
    assert set(bens["title"]) == {"bundles", "loyalty", "alerts", "instrumentation"}
    dropped = items_for(engine, RoadmapFilters(statuses=("dropped",)))
    assert list(dropped["title"]) == ["chat"]
    assert dropped["horizon"].isna().all()


def test_quarters_offered(engine: Engine, seeded: Seeded) -> None:
    with Session(read_engine(engine)) as session:
        found = roadmap_quarters(session=session, today=TODAY)
    # Q3 (summer), Q4, Q1 (objective and loyalty's span); dropped chat adds nothing new.
    assert found == ["2026-Q3", "2026-Q4", "2027-Q1"]


def test_board_columns_and_their_order(engine: Engine, seeded: Seeded) -> None:
    columns = board(items_for(engine, RoadmapFilters()))
    assert list(columns["now"]["title"]) == ["wallets", "bundles"]  # by target date
    assert list(columns["next"]["title"]) == ["instrumentation", "loyalty"]  # by start date
    assert set(columns["later"]["title"]) == {"bnpl", "alerts"}
    assert list(columns["shipped"]["title"]) == ["delivery", "summer"]  # newest first


def test_each_board_column_shows_the_date_it_goes_by(
    engine: Engine, config: AppConfig, seeded: Seeded
) -> None:
    """Now shows the target date, Next and Later the start, Shipped the day it shipped: the same
    in the exported board as on the page (both read planning.work.roadmap.board_date)."""
    with Session(read_engine(engine)) as session:
        report = roadmap_report(
            session=session, config=config, filters=RoadmapFilters(), today=TODAY
        )
    shown = {row[0]: row[2] for _column, rows in report.board for row in rows}
    assert shown["wallets"] == "21 Dec 2026"  # Now: its target (started 1 Nov)
    assert shown["loyalty"] == "17 Dec 2026"  # Next: its start (target 16 Mar 2027)
    assert shown["delivery"] == "25 Oct 2026"  # Shipped: shipped (target 27 Oct)
    assert shown["bnpl"] == "not dated"  # Later: an idea without dates


def test_summary_counts_and_recent_shipments(engine: Engine, seeded: Seeded) -> None:
    summary = summarise(items_for(engine, RoadmapFilters()), today=TODAY, recent_days=40)
    assert summary.counts == {"now": 2, "next": 2, "later": 2, "shipped": 2}
    assert list(summary.shipped_recently["title"]) == ["delivery"]  # 32 days ago; summer is older
    assert list(summary.now["title"]) == ["wallets", "bundles"]


def test_timeline_keeps_dated_work_only(engine: Engine, seeded: Seeded) -> None:
    drawn = timeline_items(items_for(engine, RoadmapFilters()))
    assert set(drawn["title"]) == {
        "wallets",
        "bundles",
        "delivery",
        "summer",
        "loyalty",
        "instrumentation",
    }


def test_csv_has_the_shown_rows_with_labels_and_user_text_kept_as_text(
    engine: Engine, seeded: Seeded
) -> None:
    tricky = '=HYPERLINK("http://evil.test","<img src=x onerror=alert(1)> **bold**")'
    with session_scope(engine) as session:
        row = session.get(Initiative, seeded.ids["wallets"])
        assert row is not None
        row.title = tricky
        session.add(row)
    items = items_for(engine, RoadmapFilters(quarter="2026-Q4"))
    rows = list(csv.reader(io.StringIO(export_csv(items))))
    assert rows[0] == [
        "objective",
        "initiative",
        "owner",
        "status",
        "health",
        "percent_complete",
        "start_date",
        "target_date",
        "shipped_date",
        "horizon",
        "also_moves",
    ]
    assert [r[1] for r in rows[1:]] == [
        "delivery",
        "bundles",
        "'" + tricky,
        "loyalty",
        "instrumentation",
    ]
    assert rows[3] == [
        "Checkout",
        "'" + tricky,
        "Ana",
        "In progress",
        "At risk",
        "40",
        "2026-11-01",
        "2026-12-21",
        "",
        "Now",
        "Basket",
    ]
    assert rows[1][3:10] == [
        "Done",
        "On track",
        "100",
        "2026-10-12",
        "2026-10-27",
        "2026-10-25",
        "Shipped",
    ]
