"""The weekly planning ritual: expected-value baselines, the ranked backlog and its matrix, team
capacity from the store, committing a week's plan, the diff against last week, the decision log
and the save path of the editable planning table. Store tests run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from planning import clock, i18n
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.metrics.baseline import (
    baselines,
    improvement,
    money_measure,
    weekly_gross_profit,
    weekly_value,
)
from planning.store.engine import read_engine, session_scope
from planning.store.models import AuditEvent, InitiativeStatus, PersonRead, WeeklyPlan
from planning.store.versioning import ConflictError
from planning.validation import InputError
from planning.work.backlog import BacklogEntry, matrix_value, rank_backlog, ranked_backlog
from planning.work.backlog_edits import (
    LIFT_POINTS,
    BacklogSaveError,
    RowEdit,
    apply_backlog_edits,
    editor_frame,
    edits_to_commands,
    input_column,
    live_scores,
)
from planning.work.capacity import capacity_overview, unloaded_work
from planning.work.decisions import add_decision, edit_decision, list_decisions, withdraw_decision
from planning.work.initiative_input import NewStatusUpdate
from planning.work.initiatives import update_initiative
from planning.work.status_updates import post_status_update
from planning.work.weekly_plan import (
    PlanAlreadyCommitted,
    PlanChange,
    commit_weekly_plan,
    compared_rows,
    describe_change,
    diff_snapshots,
    get_plan,
    plan_diff,
    snapshot_rows,
)
from tests.concurrency_support import second_writer_waits
from tests.planning_seed import (
    Team,
    add_initiative,
    add_time_off,
    backlog_entry,
    commit_plan,
    edit_initiative,
    seed_team,
    store_state,
)
from tests.planning_seed import write_observations as write

AS_OF = date(2026, 5, 17)  # a Sunday: the baseline window is 20 Apr – 17 May
WINDOW = [AS_OF - timedelta(days=i) for i in range(28)]
CD = {"channel": "email", "device": "desktop"}


@pytest.fixture
def team(engine: Engine) -> Team:
    return seed_team(engine)


def rice(reach: float, impact: float, confidence: float) -> dict[str, Any]:
    """RICE inputs; the effort is the initiative's person-weeks (1 by default: 0.5 months)."""
    return {"rice": {"reach": reach, "impact": impact, "confidence": confidence}}


def read_backlog(engine: Engine, config: AppConfig, framework: str) -> pd.DataFrame:
    with Session(read_engine(engine)) as session:
        return ranked_backlog(session=session, config=config, framework_id=framework)


# --- baseline (pure) ---------------------------------------------------------------------------


def test_weekly_gross_profit_worked_example() -> None:
    # $1,400,000 net revenue over 28 days is $350,000 a week; at 45 % margin, $157,500.
    assert weekly_value(1_400_000, 28) == 350_000
    assert weekly_gross_profit(money_total=1_400_000, days=28, gross_margin=0.45) == 157_500
    with pytest.raises(ValueError):
        weekly_value(1, 0)


def test_a_fall_is_the_improvement_when_lower_is_better() -> None:
    assert improvement(0.05, higher_is_better=True) == 0.05
    assert improvement(-0.05, higher_is_better=False) == 0.05


def test_money_measure_of_each_kind_of_metric(config: AppConfig) -> None:
    metrics = config.metrics
    assert money_measure(metrics, "conversion_rate") == "net_revenue"  # channel × device
    assert money_measure(metrics, "aov") == "net_revenue"  # its own numerator
    assert money_measure(metrics, "cart_abandonment_rate") == "net_revenue"
    assert money_measure(metrics, "email_revenue_per_recipient") == "email_revenue"
    assert money_measure(metrics, "gross_margin_pct") == "line_net_revenue"
    assert money_measure(metrics, "units_per_order") == "line_net_revenue"  # by product line
    assert money_measure(metrics, "on_time_publishing_rate") is None
    assert money_measure(metrics, "no_such_metric") is None


# --- baseline and expected value from the store ------------------------------------------------


def seed_revenue(engine: Engine) -> None:
    """28 days of $10,000 net revenue a day at 45 % gross margin, and noise outside the window."""
    rows = []
    for day in WINDOW:
        rows += [
            ("net_revenue", day, CD, 10_000.0),
            ("line_net_revenue", day, {"product_line": "Home"}, 8_000.0),
            ("line_cogs", day, {"product_line": "Home"}, 4_400.0),
            ("email_revenue", day, {"email_type": "flow"}, 1_000.0),
        ]
    rows.append(("net_revenue", AS_OF - timedelta(days=28), CD, 1_000_000.0))
    write(engine, rows)


def test_baselines_read_the_last_28_days(engine: Engine, config: AppConfig) -> None:
    seed_revenue(engine)
    with Session(read_engine(engine)) as session:
        found = baselines(
            session=session,
            config=config.metrics,
            metric_ids=[
                "conversion_rate",
                "email_revenue_per_recipient",
                "on_time_publishing_rate",
            ],
        )
    conversion = found["conversion_rate"]
    assert (conversion.start, conversion.end) == (date(2026, 4, 20), AS_OF)
    assert conversion.weekly_money == pytest.approx(70_000)
    assert conversion.gross_margin == pytest.approx(0.45)
    assert conversion.weekly_gross_profit == pytest.approx(31_500)
    assert found["email_revenue_per_recipient"].weekly_gross_profit == pytest.approx(3_150)
    publishing = found["on_time_publishing_rate"]
    assert publishing.weekly_gross_profit is None
    assert publishing.problem == "On-time publishing is not tied to a revenue measure"


def test_baseline_without_data_says_so(engine: Engine, config: AppConfig) -> None:
    with Session(read_engine(engine)) as session:
        found = baselines(session=session, config=config.metrics, metric_ids=["aov"])
    assert found["aov"].problem == "the store holds no metric data yet"


def test_expected_value_ranking_in_gross_profit_per_person_week(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    seed_revenue(engine)
    common = {"owner_id": team.ana.id, "status": InitiativeStatus.planned}

    def lifted(title: str, effort: float, metric: str, lift: float, confidence: float) -> int:
        lift_fields = {"lift_metric": metric, "lift_pct": lift}
        scores = {"expected_value": {"confidence": confidence}}
        return add_initiative(
            engine, title=title, effort_weeks=effort, scores=scores, **lift_fields, **common
        )

    conversion = lifted("Guest checkout", 2, "conversion_rate", 0.10, 0.5)
    abandonment = lifted("Show delivery cost early", 1, "cart_abandonment_rate", -0.05, 0.8)
    publishing = lifted("Publishing QA", 1, "on_time_publishing_rate", 0.1, 1.0)
    no_lift = add_initiative(
        engine, title="Instrumentation", scores={"expected_value": {"confidence": 1.0}}, **common
    )
    frame = read_backlog(engine, config, "expected_value").set_index("id")
    # 31,500 × 5 % × 0.8 / 1 = 1,260 a person-week beats 31,500 × 10 % × 0.5 / 2 = 787.50.
    assert frame.loc[abandonment, "score"] == pytest.approx(1_260)
    assert frame.loc[conversion, "score"] == pytest.approx(787.5)
    assert frame.loc[conversion, "value"] == pytest.approx(1_575)  # weekly gain, before effort
    assert frame.loc[conversion, "baseline"] == pytest.approx(31_500)
    assert (frame.loc[abandonment, "rank"], frame.loc[conversion, "rank"]) == (1, 2)
    assert pd.isna(frame.loc[publishing, "rank"])
    assert frame.loc[publishing, "problems"] == (
        "no baseline: On-time publishing is not tied to a revenue measure"
    )
    assert frame.loc[no_lift, "problems"] == (
        "no expected lift yet: give a metric and a relative change"
    )


# --- ranking and matrix ------------------------------------------------------------------------


def test_matrix_value_is_the_score_before_dividing_by_effort(config: AppConfig) -> None:
    frameworks = config.scoring.frameworks
    # RICE: 13 person-weeks are 3 person-months, so a score of 1000 is 3000 reach × impact × conf.
    assert matrix_value(frameworks["rice"], 1000, 13) == 3000
    # WSJF: 6 person-weeks are job size 5, so a score of 3 is a cost of delay of 15.
    assert matrix_value(frameworks["wsjf"], 3, 6) == 15
    assert matrix_value(frameworks["expected_value"], 787.5, 2) == 1575
    assert matrix_value(frameworks["ice"], 336, 6) == 336


def entry(item_id: int, effort: float, scores: dict[str, Any], **kw: Any) -> BacklogEntry:
    return backlog_entry(item_id, effort=effort, scores=scores, **kw)


def test_rank_backlog_worked_example_with_median_quadrants(config: AppConfig) -> None:
    entries = [
        # person-weeks 13, 26, 1 and 52 are 3, 6, 0.5 (the minimum) and 12 person-months
        entry(1, 13, rice(6000, 1, 1.0)),  # score 2000, value 6000
        entry(2, 26, rice(6000, 2, 0.5)),  # score 1000, value 6000
        entry(3, 1, rice(500, 1, 0.8)),  # score 800, value 400
        entry(4, 52, rice(6000, 1, 0.5)),  # score 250, value 3000
        entry(5, 3, {}),  # not scored with RICE yet
    ]
    frame = rank_backlog(
        entries,
        framework_id="rice",
        framework=config.scoring.frameworks["rice"],
        matrix=config.scoring.matrix,
    )
    assert list(frame["id"]) == [1, 2, 3, 4, 5]
    assert list(frame["rank"].astype("object").where(frame["rank"].notna(), None)) == [
        1,
        2,
        3,
        4,
        None,
    ]
    assert list(frame["score"].iloc[:4]) == [2000, 1000, 800, 250]
    # Medians: value (3000 + 6000) / 2 = 4500, effort (13 + 26) / 2 = 19.5.
    assert (frame.attrs["value_split"], frame.attrs["effort_split"]) == (4500, 19.5)
    assert list(frame["quadrant"].iloc[:4]) == ["Quick wins", "Big bets", "Fill-ins", "Money pits"]
    assert pd.isna(frame["quadrant"].iloc[4])
    assert frame["problems"].iloc[4] == "not scored with RICE yet"


def test_an_input_off_its_scale_leaves_the_item_unranked_with_the_reason(
    config: AppConfig,
) -> None:
    frame = rank_backlog(
        [entry(1, 2, rice(1000, 4, 1.0)), entry(2, 2, rice(1000, 1, 1.0))],
        framework_id="rice",
        framework=config.scoring.frameworks["rice"],
        matrix=config.scoring.matrix,
    )
    assert frame["problems"].iloc[1] == "Impact 4 is not one of 3, 2, 1, 0.5, 0.25"
    assert pd.isna(frame["rank"].iloc[1])


def test_backlog_holds_open_work_only(engine: Engine, config: AppConfig, team: Team) -> None:
    open_statuses = ("idea", "planned", "in_progress", "blocked")
    kept = {
        add_initiative(engine, title=s, owner_id=team.ana.id, status=s, scores=rice(1, 1, 1))
        for s in open_statuses
    }
    for status in (InitiativeStatus.done, InitiativeStatus.dropped):
        add_initiative(engine, title=status.value, owner_id=team.ana.id, status=status)
    frame = read_backlog(engine, config, "rice")
    assert set(frame["id"]) == kept
    with pytest.raises(InputError, match="unknown scoring framework 'moscow'"):
        read_backlog(engine, config, "moscow")


# --- capacity from the store -------------------------------------------------------------------


def test_capacity_per_person_per_week_from_people_time_off_and_initiatives(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    monday = date(2026, 6, 1)
    # 3 person-weeks over 15 working days: 8 h a day, 40 h a week against Ana's 30 h.
    add_initiative(
        engine,
        title="Checkout",
        owner_id=team.ana.id,
        status=InitiativeStatus.in_progress,
        effort_weeks=3,
        start_date=monday,
        target_date=monday + timedelta(days=18),
    )
    add_initiative(engine, title="Undated", owner_id=team.ben.id, status=InitiativeStatus.planned)
    add_initiative(
        engine,
        title="Idea",
        owner_id=team.ben.id,
        effort_weeks=5,
        start_date=monday,
        target_date=monday + timedelta(days=4),
    )
    add_time_off(engine, team.ana.id, monday + timedelta(days=7), monday + timedelta(days=8))
    with Session(read_engine(engine)) as session:
        frame = capacity_overview(
            session=session, settings=config.settings.capacity, first_day=monday, weeks=3
        )
        unloaded = unloaded_work(session=session, settings=config.settings.capacity)
    assert list(frame["person"].drop_duplicates()) == ["Dora Director", "Ana Member", "Ben Member"]
    ana = frame[frame["person"] == "Ana Member"]
    assert list(ana["week"]) == ["2026-W23", "2026-W24", "2026-W25"]
    # 40 × (1 − 0.25) = 30 h; two days off cost 2 × 8 h in the second week.
    assert list(ana["capacity_hours"]) == pytest.approx([30, 14, 30])
    assert list(ana["load_hours"]) == pytest.approx([40, 40, 40])
    assert list(ana["over"]) == [True, True, True]
    assert ana["initiatives"].iloc[0] == "Checkout (40 h)"
    ben = frame[frame["person"] == "Ben Member"]
    assert list(ben["load_hours"]) == [0, 0, 0]  # an idea loads nobody
    assert list(unloaded["title"]) == ["Undated"]
    assert unloaded["reason"].iloc[0] == "no start date and target date"
    with (
        pytest.raises(InputError, match="weeks must be a whole number from 1 to 52"),
        Session(read_engine(engine)) as session,
    ):
        capacity_overview(
            session=session, settings=config.settings.capacity, first_day=monday, weeks=0
        )


# --- weekly plan -------------------------------------------------------------------------------


def test_commit_stores_the_ranked_snapshot(engine: Engine, config: AppConfig, team: Team) -> None:
    top = add_initiative(
        engine, title="Top", owner_id=team.ana.id, status="planned", scores=rice(1000, 2, 1.0)
    )
    add_initiative(engine, title="Unscored", owner_id=team.ben.id, status="idea")
    commit_plan(engine, config, team.director, " 2026-w21 ")
    with Session(read_engine(engine)) as session:
        plan = get_plan(session=session, week="2026-W21")
        event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "weekly_plan")).one()
    assert plan is not None
    assert (plan.week, plan.framework, plan.committed_by) == ("2026-W21", "rice", team.director.id)
    first, second = plan.snapshot
    assert first == {
        "rank": 1,
        "id": top,
        "title": "Top",
        "owner_id": team.ana.id,
        "owner": "Ana Member",
        "score": 4000.0,  # 1000 × 2 × 1.0 / 0.5: 1 person-week counts as 0.5 person-months
        "value": 2000.0,
        "quadrant": "Big bets",  # alone, it sits on both medians, which count as high
        "status": "planned",
        "health": "on_track",
        "effort_weeks": 1.0,
        "inputs": {"reach": 1000, "impact": 2, "confidence": 1.0},
    }
    assert (second["title"], second["rank"], second["score"]) == ("Unscored", None, None)
    assert event.action == "commit" and event.after == {
        "week": "2026-W21",
        "framework": "rice",
        "items": 2,
        "note": "",
    }


def test_committing_a_week_again_needs_confirmation_and_keeps_the_old_one_in_the_audit(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    add_initiative(engine, title="A", owner_id=team.ana.id, scores=rice(1000, 2, 1.0))
    commit_plan(engine, config, team.director, "2026-W21")
    before = store_state(engine)
    with pytest.raises(PlanAlreadyCommitted, match="already committed by Dora Director"):
        commit_plan(engine, config, team.director, "2026-W21", framework="ice")
    assert store_state(engine) == before
    with Session(read_engine(engine)) as session:
        old = get_plan(session=session, week="2026-W21")
    commit_plan(engine, config, team.director, "2026-W21", framework="ice", replace=True)
    with Session(read_engine(engine)) as session:
        new = get_plan(session=session, week="2026-W21")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "replace")).one()
        plans = session.scalars(select(WeeklyPlan)).all()
    assert old is not None and new is not None
    assert (len(plans), new.framework) == (1, "ice")
    assert event.before is not None and event.before["snapshot"] == old.snapshot


def test_two_commits_of_the_same_week_at_once_make_one_plan_and_tell_the_second(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    add_initiative(engine, title="A", owner_id=team.ana.id, scores=rice(1000, 2, 1.0))
    error = second_writer_waits(
        engine,
        first=lambda session: commit_weekly_plan(
            session=session,
            actor=team.director,
            config=config,
            week="2026-W21",
            framework="rice",
        ),
        second=lambda: commit_plan(engine, config, team.director, "2026-W21", framework="ice"),
    )
    assert isinstance(error, PlanAlreadyCommitted)
    assert "already committed by Dora Director" in str(error)
    with Session(read_engine(engine)) as session:
        plans = session.scalars(select(WeeklyPlan)).all()
        commits = session.scalars(select(AuditEvent).where(AuditEvent.action == "commit")).all()
    assert [(p.week, p.framework) for p in plans] == [("2026-W21", "rice")]
    assert len(commits) == 1


@pytest.mark.parametrize(
    ("who", "week", "framework", "error", "message"),
    [
        ("ana", "2026-W21", "rice", PermissionDenied, "Only a director can commit"),
        ("sue", "2026-W21", "rice", PermissionDenied, "Only a director can commit"),
        ("director", "2026-W60", "rice", InputError, "2026 has weeks 01 to 53"),
        ("director", "week 21", "rice", InputError, "is not an ISO week"),
        ("director", "2026-W21", "moscow", InputError, "unknown scoring framework 'moscow'"),
    ],
)
def test_refused_commits_write_nothing(
    engine: Engine,
    config: AppConfig,
    team: Team,
    who: str,
    week: str,
    framework: str,
    error: type[Exception],
    message: str,
) -> None:
    add_initiative(engine, title="A", owner_id=team.ana.id, scores=rice(1000, 2, 1.0))
    before = store_state(engine)
    with pytest.raises(error, match=message):
        commit_plan(engine, config, getattr(team, who), week, framework)
    assert store_state(engine) == before


def row(item_id: int, rank: int | None, score: float | None, **kw: Any) -> dict[str, Any]:
    status, health = kw.get("status", "planned"), kw.get("health", "on_track")
    return {"id": item_id, "title": f"I{item_id}", "rank": rank, "score": score,
            "status": status, "health": health}  # fmt: skip


def test_diff_snapshots_worked_example() -> None:
    previous = [row(1, 1, 90), row(2, 2, 80), row(3, 3, 70), row(4, 4, 60)]
    current = [
        row(3, 1, 95, status="in_progress"),  # up two places, rescored, started
        row(1, 2, 90, health="at_risk"),  # down one, health changed
        row(2, 3, 80),  # down one
        row(5, None, None),  # new, unscored
    ]
    changes = diff_snapshots(previous, current)
    assert [(c.kind, c.initiative_id, c.before, c.after) for c in changes] == [
        ("moved", 3, 3, 1),
        ("rescored", 3, 70, 95),
        ("status", 3, "planned", "in_progress"),
        ("moved", 1, 1, 2),
        ("health", 1, "on_track", "at_risk"),
        ("moved", 2, 2, 3),
        ("new", 5, None, None),
        ("gone", 4, 4, None),
    ]
    assert [c.kind for c in diff_snapshots(previous, current, compare_scores=False)].count(
        "rescored"
    ) == 0
    assert describe_change(changes[0]) == ("Up 2", "#3", "#1")
    assert describe_change(changes[3]) == ("Down 1", "#1", "#2")
    assert describe_change(changes[2]) == ("Status changed", "Planned", "In progress")
    assert describe_change(changes[4]) == ("Health changed", "On track", "At risk")
    assert describe_change(changes[6]) == ("New in the backlog", "—", "unranked")
    assert describe_change(changes[7]) == ("Left the backlog", "#4", "—")
    assert describe_change(PlanChange("rescored", 1, "x", 1234.5, 1000)) == (
        "Score changed",
        "1,234.5",
        "1,000",
    )


def test_the_live_backlog_is_compared_on_the_fields_a_plan_stores(config: AppConfig) -> None:
    backlog = rank_backlog(
        [
            entry(1, 13, rice(6000, 1, 1.0)),  # 2000
            entry(2, 1, rice(500, 1, 0.8)),  # 800
            entry(3, 3, {}),  # unranked, no score
        ],
        framework_id="rice",
        framework=config.scoring.frameworks["rice"],
        matrix=config.scoring.matrix,
    )
    rows = compared_rows(backlog)
    assert [(r["id"], r["rank"], r["score"]) for r in rows] == [
        (1, 1, 2000.0),
        (2, 2, 800.0),
        (3, None, None),
    ]
    stored = snapshot_rows(backlog)
    assert rows == [{k: r[k] for k in rows[0]} for r in stored]
    previous = [row(2, 1, 800.0), row(3, 2, 10.0), row(4, 3, 5.0)]
    assert diff_snapshots(previous, rows) == diff_snapshots(previous, stored)


def test_plan_diff_against_last_week(engine: Engine, config: AppConfig, team: Team) -> None:
    ids = {
        name: add_initiative(
            engine, title=name, owner_id=team.ana.id, status="planned", scores=rice(*args)
        )
        for name, args in {
            "alpha": (1000, 2, 1.0),  # 4000 (1 person-week: 0.5 person-months)
            "beta": (1000, 1, 1.0),  # 2000
            "gamma": (1000, 1, 0.5),  # 1000
        }.items()
    }
    commit_plan(engine, config, team.director, "2026-W20")
    with session_scope(engine) as session:
        update_initiative(
            session=session,
            actor=team.director,
            config=config,
            initiative_id=ids["gamma"],
            expected_version=1,
            changes={"scores": rice(4000, 1, 1.0)},  # 8000: to the top
        )
        post_status_update(
            session=session,
            actor=team.ana,
            initiative_id=ids["beta"],
            update=NewStatusUpdate("done", "on_track", 100, "Shipped."),
        )
    delta = add_initiative(engine, title="delta", owner_id=team.ben.id, status="idea")

    def diff(framework: str = "rice") -> Any:
        with Session(read_engine(engine)) as session:
            return plan_diff(session=session, config=config, week="2026-W21", framework=framework)

    live = diff()
    assert not live.current_committed and live.previous is not None
    assert live.previous.week == "2026-W20"
    found = {(c.kind, c.title, c.before, c.after) for c in live.changes}
    assert found == {
        ("moved", "gamma", 3, 1),
        ("rescored", "gamma", 1000.0, 8000.0),
        ("moved", "alpha", 1, 2),
        ("new", "delta", None, None),
        ("gone", "beta", 2, None),
    }
    assert delta in {c.initiative_id for c in live.changes}
    other = diff("ice")  # a different framework: ranks compared, scores not
    assert not other.same_framework
    assert all(c.kind != "rescored" for c in other.changes)
    commit_plan(engine, config, team.director, "2026-W21")
    assert diff("ice").current_committed  # the committed plan is what W21 shows now
    with Session(read_engine(engine)) as session:
        first = plan_diff(session=session, config=config, week="2026-W20", framework="rice")
    assert first.previous is None and first.changes == ()


# --- decisions ---------------------------------------------------------------------------------


def test_director_logs_decisions_newest_first(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    initiative = add_initiative(engine, title="Marketplace", owner_id=team.ana.id)
    logged = [  # (day, text, initiative)
        (date(2026, 5, 1), "Drop marketplace: fees leave Electronics at a loss.", initiative),
        (date(2026, 5, 12), "  Page speed before new features.  ", None),
    ]
    with session_scope(engine) as session:
        for day, text, initiative_id in logged:
            args = {"decided_on": day, "text": text, "initiative_id": initiative_id}
            add_decision(session=session, actor=team.director, today=AS_OF, **args)
    with Session(read_engine(engine)) as session:
        frame = list_decisions(session=session)
        tied = list_decisions(session=session, initiative_id=initiative)
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity == "decision")).all()
    assert list(frame["text"]) == [
        "Page speed before new features.",
        "Drop marketplace: fees leave Electronics at a loss.",
    ]
    assert list(frame["initiative"]) == ["", "Marketplace"]
    assert list(frame["author"]) == ["Dora Director"] * 2
    assert list(tied["decided_on"]) == [date(2026, 5, 1)]
    assert len(events) == 2


@pytest.mark.parametrize(
    ("who", "fields", "error", "message"),
    [
        ("ana", {}, PermissionDenied, "Only a director can log decisions"),
        ("director", {"text": "  "}, InputError, "the decision is required"),
        ("director", {"decided_on": date(2026, 5, 18)}, InputError, "is in the future"),
        ("director", {"initiative_id": 999}, InputError, "initiative 999 does not exist"),
        ("director", {"text": "x" * 2001}, InputError, "the limit is 2,000"),
    ],
)
def test_refused_decisions_write_nothing(
    engine: Engine,
    team: Team,
    who: str,
    fields: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    before = store_state(engine)
    args: dict[str, Any] = {"decided_on": AS_OF, "text": "A decision.", **fields}
    with pytest.raises(error, match=message), session_scope(engine) as session:
        add_decision(session=session, actor=getattr(team, who), today=AS_OF, **args)
    assert store_state(engine) == before


def test_a_missing_decision_or_bad_week_count_is_refused_in_german(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    before = store_state(engine)
    with (
        i18n.use_locale("de"),
        pytest.raises(InputError) as missing,
        session_scope(engine) as session,
    ):
        withdraw_decision(session=session, actor=team.director, decision_id=999, expected_version=1)
    assert list(missing.value.problems) == ["Entscheidung 999 existiert nicht"]
    assert store_state(engine) == before
    with (
        i18n.use_locale("de"),
        pytest.raises(InputError) as weeks,
        Session(read_engine(engine)) as session,
    ):
        capacity_overview(
            session=session, settings=config.settings.capacity, first_day=AS_OF, weeks=0
        )
    assert list(weeks.value.problems) == [
        "Wochen müssen eine ganze Zahl von 1 bis 52 sein, nicht 0"
    ]


# --- the editable table's save path ------------------------------------------------------------


def table(config: AppConfig, framework: str, entries: list[BacklogEntry]) -> pd.DataFrame:
    spec = config.scoring.frameworks[framework]
    backlog = rank_backlog(
        entries, framework_id=framework, framework=spec, matrix=config.scoring.matrix
    )
    return editor_frame(backlog, framework_id=framework, framework=spec)


def commands(
    config: AppConfig, framework: str, original: pd.DataFrame, edited: pd.DataFrame
) -> tuple[list[RowEdit], list[Any]]:
    return edits_to_commands(
        original,
        edited,
        framework_id=framework,
        framework=config.scoring.frameworks[framework],
        metric_ids=list(config.metrics.metrics),
    )


def two_rows() -> list[BacklogEntry]:
    return [
        entry(1, 2, rice(1000, 2, 1.0), start_date=date(2026, 6, 1), version=3),
        entry(2, 4, rice(500, 1, 0.8), version=1),
    ]


def test_pending_edits_rescore_and_rerank_the_shown_table(config: AppConfig) -> None:
    spec = config.scoring.frameworks["rice"]
    original = table(config, "rice", two_rows())
    assert list(original["rank"]) == [1, 2]
    # RICE person-months: 2 person-weeks count as the 0.5 minimum, 4 are 4 × 12 / 52 ≈ 0.92.
    assert list(original["effort_input"]) == [0.5, 0.92]
    # Row 2 reaches ten times more customers; row 1 grows to 13 person-weeks (3 person-months).
    edits = {1: {input_column("reach"): 5000}, 0: {"effort_weeks": 13}}
    shown = live_scores(original, edits, framework_id="rice", framework=spec, config=config)
    assert list(shown["score"]) == pytest.approx([1000 * 2 * 1.0 / 3, 5000 * 1 * 0.8 / (48 / 52)])
    assert list(shown["rank"]) == [2, 1]
    assert list(shown["effort_input"]) == [3, 0.92]
    # Only the read-only score columns change: the edits stay pending, the column types hold.
    assert shown["effort_weeks"].tolist() == original["effort_weeks"].tolist()
    assert shown.dtypes.equals(original.dtypes)
    unreadable = live_scores(
        original,
        {0: {"effort_weeks": "lots"}},
        framework_id="rice",
        framework=spec,
        config=config,
    )
    assert pd.isna(unreadable["rank"].iloc[0]) and unreadable["rank"].iloc[1] == 1
    assert "effort" in unreadable["problems"].iloc[0]


def test_unchanged_table_gives_no_commands(config: AppConfig) -> None:
    original = table(config, "rice", two_rows())
    assert commands(config, "rice", original, original.copy()) == ([], [])


def test_each_changed_row_becomes_one_command_with_its_changed_fields(config: AppConfig) -> None:
    original = table(config, "rice", two_rows())
    edited = original.copy()
    first = edited.index[edited["id"] == 1][0]
    edited.loc[first, "title"] = "Guest checkout by default"
    edited.loc[first, "effort_weeks"] = 3.0
    edited.loc[first, "status"] = "in_progress"
    edited.loc[first, input_column("impact")] = 3.0
    edited.loc[first, "target_date"] = pd.Timestamp("2026-06-30")  # as the editor returns it
    found, problems = commands(config, "rice", original, edited)
    assert problems == []
    assert found == [
        RowEdit(
            initiative_id=1,
            title="Guest checkout by default",
            expected_version=3,
            changes={
                "title": "Guest checkout by default",
                "status": "in_progress",
                "target_date": date(2026, 6, 30),
                "effort_weeks": 3.0,
                "scores": {"rice": {"reach": 1000.0, "impact": 3.0, "confidence": 1.0}},
            },
            columns=("Title", "Status", "Target", "Effort (person-weeks)", "RICE inputs"),
        )
    ]


def test_bad_cells_are_reported_per_row_and_give_no_command(config: AppConfig) -> None:
    original = table(config, "rice", two_rows())
    edited = original.copy().astype({"effort_weeks": object})
    edited.loc[0, input_column("impact")] = 4.0
    edited.loc[0, "target_date"] = date(2026, 5, 1)  # before its start, 1 June
    edited.loc[1, "title"] = "  "
    edited.loc[1, "effort_weeks"] = "lots"
    found, problems = commands(config, "rice", original, edited)
    assert found == []
    assert [str(p) for p in problems] == [
        "“Item 1”: RICE: Impact 4 is not one of 3, 2, 1, 0.5, 0.25",
        "“Item 1”: target date 2026-05-01 is before start date 2026-06-01",
        "“Item 2”: Title is required",
        "“Item 2”: Effort (person-weeks) 'lots' is not a number",
    ]


def test_rows_cannot_be_added_or_removed(config: AppConfig) -> None:
    original = table(config, "rice", two_rows())
    found, problems = commands(config, "rice", original, original.iloc[:1])
    assert found == [] and "rows cannot be added or removed" in str(problems[0])


def test_expected_lift_is_edited_in_percent(config: AppConfig) -> None:
    entries = [entry(1, 2, {}, lift_metric="aov", lift_pct=0.05)]
    original = table(config, "expected_value", entries)
    assert original[LIFT_POINTS].iloc[0] == pytest.approx(5)
    edited = original.copy()
    edited.loc[0, LIFT_POINTS] = 8.0
    edited.loc[0, "lift_metric"] = "conversion_rate"
    edited.loc[0, input_column("confidence")] = 0.5
    found, problems = commands(config, "expected_value", original, edited)
    assert problems == []
    assert found[0].changes == {
        "lift_metric": "conversion_rate",
        "lift_pct": pytest.approx(0.08),
        "scores": {"expected_value": {"confidence": 0.5}},
    }
    edited.loc[0, "lift_metric"] = "happiness"
    _, problems = commands(config, "expected_value", original, edited)
    assert "Lift metric 'happiness' is not a metric from metrics.yaml" in str(problems[0])


def store_table(engine: Engine, config: AppConfig) -> pd.DataFrame:
    backlog = read_backlog(engine, config, "rice")
    return editor_frame(backlog, framework_id="rice", framework=config.scoring.frameworks["rice"])


def save(engine: Engine, config: AppConfig, actor: PersonRead, edits: list[RowEdit]) -> None:
    with session_scope(engine) as session:
        apply_backlog_edits(session=session, actor=actor, config=config, edits=edits)


def test_saving_the_table_applies_every_row(engine: Engine, config: AppConfig, team: Team) -> None:
    a = add_initiative(
        engine, title="A", owner_id=team.ana.id, status="planned", scores=rice(1000, 2, 1.0)
    )
    b = add_initiative(engine, title="B", owner_id=team.ana.id, status="idea")
    original = store_table(engine, config)
    edited = original.copy()
    edited.loc[edited["id"] == a, "owner_id"] = team.ben.id
    edited.loc[edited["id"] == b, "status"] = "planned"
    for name, value in {"reach": 300, "impact": 1, "confidence": 0.5}.items():
        edited.loc[edited["id"] == b, input_column(name)] = value
    found, problems = commands(config, "rice", original, edited)
    assert problems == []
    save(engine, config, team.director, found)
    after = store_table(engine, config).set_index("id")
    assert after.loc[a, "owner_id"] == team.ben.id
    assert after.loc[b, "status"] == "planned"
    assert after.loc[b, "score"] == pytest.approx(300)  # 300 × 1 × 0.5 / 0.5 person-months


def test_one_refused_row_saves_nothing(engine: Engine, config: AppConfig, team: Team) -> None:
    a = add_initiative(engine, title="A", owner_id=team.ana.id, status="planned")
    b = add_initiative(engine, title="B", owner_id=team.ana.id, status="planned")
    original = store_table(engine, config)
    # Someone else saves B after the table was opened.
    edit_initiative(engine, config, team.director, b, 1, effort_weeks=5)
    edited = original.copy()
    edited.loc[edited["id"] == a, "title"] = "A renamed"
    edited.loc[edited["id"] == b, "title"] = "B renamed"
    edited.loc[edited["id"] == b, "owner_id"] = team.sue.id  # a stakeholder cannot own work
    found, problems = commands(config, "rice", original, edited)
    assert problems == [] and len(found) == 2
    before = store_state(engine)
    with pytest.raises(BacklogSaveError) as caught:
        save(engine, config, team.director, found)
    assert [r.initiative_id for r in caught.value.rows] == [b]
    assert "changed by someone else" in caught.value.rows[0].message
    assert store_state(engine) == before  # A was not renamed either
    with pytest.raises(PermissionDenied, match="Only a director can save"):
        save(engine, config, team.ana, found[:1])
    assert store_state(engine) == before


def test_the_same_decision_sent_twice_within_seconds_is_logged_once(
    engine: Engine, team: Team
) -> None:
    args: dict[str, Any] = {"decided_on": AS_OF, "text": "Freeze the checkout.", "today": AS_OF}
    with session_scope(engine) as session:
        first = add_decision(session=session, actor=team.director, **args)
    with session_scope(engine) as session:
        again = add_decision(session=session, actor=team.director, **args)
    assert again.id == first.id
    with Session(read_engine(engine)) as session:
        assert list(list_decisions(session=session)["text"]) == ["Freeze the checkout."]
    # Later, the same words are a new decision.
    clock.pin(clock.now() + timedelta(seconds=30))
    try:
        with session_scope(engine) as session:
            later = add_decision(session=session, actor=team.director, **args)
    finally:
        clock.pin(None)
    assert later.id != first.id


def test_a_director_edits_and_withdraws_a_decision_and_both_are_audited(
    engine: Engine, team: Team
) -> None:
    with session_scope(engine) as session:
        logged = add_decision(
            session=session, actor=team.director, decided_on=AS_OF, text="Ship A.", today=AS_OF
        )
    with session_scope(engine) as session:
        edited = edit_decision(
            session=session,
            actor=team.director,
            decision_id=logged.id,
            text="Ship B first.",
            decided_on=AS_OF - timedelta(days=1),
            initiative_id=None,
            expected_version=1,
            today=AS_OF,
        )
    assert edited.version == 2 and edited.text == "Ship B first."
    before = store_state(engine)
    with pytest.raises(ConflictError), session_scope(engine) as session:  # stale version
        withdraw_decision(
            session=session, actor=team.director, decision_id=logged.id, expected_version=1
        )
    assert store_state(engine) == before
    with session_scope(engine) as session:
        withdraw_decision(
            session=session, actor=team.director, decision_id=logged.id, expected_version=2
        )
    with Session(read_engine(engine)) as session:
        frame = list_decisions(session=session)
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "decision")
        ).all()
    assert list(frame["text"]) == ["Ship B first."]  # still listed, marked
    assert list(frame["withdrawn"]) == [True]
    assert sorted(actions) == ["create", "update", "withdraw"]
    with pytest.raises(InputError, match="withdrawn"), session_scope(engine) as session:
        edit_decision(
            session=session,
            actor=team.director,
            decision_id=logged.id,
            text="Ship C.",
            decided_on=AS_OF,
            initiative_id=None,
            expected_version=3,
            today=AS_OF,
        )
    with pytest.raises(InputError, match="already withdrawn"), session_scope(engine) as session:
        withdraw_decision(
            session=session, actor=team.director, decision_id=logged.id, expected_version=3
        )
    assert store_state(engine) != before
