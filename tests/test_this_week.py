"""This week's rules and reads: who owes which status update or check-in, blocked work and since
when, key results needing attention, the goals summary and the director's brief (SQLite, and
PostgreSQL when configured)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from planning import clock
from planning.config import AppConfig
from planning.okrs.evaluation_results import ObjectiveEvaluation, PeriodEvaluation
from planning.periods import iso_week, previous_quarter, quarter_bounds, quarter_of
from planning.reports.this_week import (
    OUTCOME_DAYS,
    Owed,
    blocked_work,
    check_ins_due,
    days_since,
    director_brief,
    expects_updates,
    goals_summary,
    idea_outcomes,
    ideas_to_triage,
    is_owed,
    needs_attention,
    updates_owed,
    what_everyone_owes,
    what_i_owe,
)
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    CheckIn,
    KeyResult,
    KrKind,
    Objective,
    PeriodClose,
    Person,
    PersonRead,
    Role,
    StatusUpdate,
)
from planning.work.initiative_input import InitiativeDraft, NewStatusUpdate
from planning.work.initiatives import create_initiative
from planning.work.status_updates import accept_idea, decline_idea, post_status_update
from tests.evaluation_support import kr_eval
from tests.planning_seed import commit_plan, insert_initiative, seed_team

TODAY = clock.utcnow().date()
EVERY = 7


def at(days_ago: int, hour: int = 12) -> datetime:
    """A moment `days_ago` days before today, at `hour` UTC."""
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour), tzinfo=UTC)


# --- rules -------------------------------------------------------------------------------------


def test_days_since_counts_calendar_days_in_utc() -> None:
    thursday = date(2026, 11, 26)
    assert days_since(datetime(2026, 11, 19, 23, 59, tzinfo=UTC), thursday) == 7
    assert days_since(datetime(2026, 11, 26, 0, 1, tzinfo=UTC), thursday) == 0
    assert days_since(None, thursday) is None


def test_an_update_is_owed_once_every_days_have_passed_or_never_given() -> None:
    # Last updated on Thursday 19 Nov: owed again on Thursday 26 Nov, not on Wednesday 25.
    assert is_owed(days_since(datetime(2026, 11, 19, 9, tzinfo=UTC), date(2026, 11, 26)), 7)
    assert not is_owed(days_since(datetime(2026, 11, 19, 9, tzinfo=UTC), date(2026, 11, 25)), 7)
    assert is_owed(None, 7)


@pytest.mark.parametrize(
    ("status", "start", "expected"),
    [
        ("in_progress", None, True),
        ("blocked", date(2026, 12, 1), True),
        ("planned", date(2026, 11, 26), True),  # starts today
        ("planned", date(2026, 11, 27), False),  # starts tomorrow
        ("planned", None, False),
        ("idea", date(2026, 11, 1), False),
        ("done", date(2026, 11, 1), False),
        ("dropped", date(2026, 11, 1), False),
    ],
)
def test_only_work_under_way_owes_status_updates(
    status: str, start: date | None, expected: bool
) -> None:
    assert expects_updates(status, start, date(2026, 11, 26)) is expected


def test_needs_attention_lists_off_track_then_at_risk_in_given_order() -> None:
    krs = [
        kr_eval(key_result_id=1, status="at_risk"),
        kr_eval(key_result_id=2, status="on_track"),
        kr_eval(key_result_id=3, status="off_track"),
        kr_eval(key_result_id=4, status="too_early"),
        kr_eval(key_result_id=5, status="at_risk"),
        kr_eval(key_result_id=6, status="off_track"),
    ]
    assert [k.key_result_id for k in needs_attention(krs)] == [3, 6, 1, 5]


def test_goals_summary_counts_key_results_by_status() -> None:
    krs = (
        kr_eval(key_result_id=1, status="off_track"),
        kr_eval(key_result_id=2, status="at_risk"),
        kr_eval(key_result_id=3, status="at_risk"),
        kr_eval(key_result_id=4, status="on_track"),
    )
    objective = ObjectiveEvaluation(
        objective_id=9,
        period="2026-Q4",
        title="Grow profitable basket size",
        description="",
        owner_id=1,
        owner="Ana",
        parent_id=None,
        parent_title=None,
        weight=1.0,
        progress=0.42,
        expected=0.6,
        status="off_track",
        key_results=krs,
        status_reason="Refunds is off track",
    )
    calm = replace(
        objective,
        objective_id=10,
        title="Calm",
        key_results=krs[3:],
        status="on_track",
        status_reason="",
    )
    evaluation = PeriodEvaluation(
        period="2026-Q4",
        first_day=date(2026, 10, 1),
        last_day=date(2026, 12, 31),
        as_of=date(2026, 11, 25),
        elapsed_days=56,
        total_days=92,
        objectives=(objective, calm),
    )
    summary = goals_summary(evaluation)
    assert summary.to_dict(orient="records") == [
        {
            "objective_id": 9,
            "objective": "Grow profitable basket size",
            "owner": "Ana",
            "progress": 0.42,
            "expected": 0.6,
            "status": "off_track",
            "status_reason": "Refunds is off track",
            "key_results": 4,
            "off_track": 1,
            "at_risk": 2,
            "too_early": 0,
        },
        {
            "objective_id": 10,
            "objective": "Calm",
            "owner": "Ana",
            "progress": 0.42,
            "expected": 0.6,
            "status": "on_track",
            "status_reason": "",
            "key_results": 1,
            "off_track": 0,
            "at_risk": 0,
            "too_early": 0,
        },
    ]


# --- reads on a small store --------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    director: PersonRead
    ana: PersonRead
    ben: PersonRead
    stale: int  # ana's, in progress, updated 8 days ago
    fresh: int  # ana's, in progress, updated 2 days ago
    never: int  # ana's, blocked, never updated
    started: int  # ana's, planned and started 3 days ago, updated 9 days ago
    later: int  # ana's, planned to start in 10 days, no update
    bens: int  # ben's, in progress, updated 7 days ago
    kr_due: int  # ana's, checked in 10 days ago
    kr_recent: int  # ana's, checked in yesterday
    kr_never: int  # ana's manual KR, never checked in
    kr_done: int  # ana's done milestone, checked in 20 days ago
    kr_old_quarter: int  # ana's, last quarter, checked in 30 days ago


def _person(session: Session, name: str, role: Role) -> Person:
    person = Person(name=name, email=f"{name.split()[0].lower()}@x.test", role=role)
    session.add(person)
    session.flush()
    return person


def _initiative(session: Session, owner: Person, title: str, status: str, **extra: Any) -> int:
    return insert_initiative(session, title=title, owner_id=owner.id, status=status, **extra)


def _update(
    session: Session,
    initiative_id: int,
    author: Person,
    status: str,
    days_ago: int,
    note: str = "progress",
) -> None:
    session.add(
        StatusUpdate(
            initiative_id=initiative_id,
            status=status,  # type: ignore[arg-type]
            health="on_track",  # type: ignore[arg-type]
            percent_complete=10,
            note=note,
            author_id=author.id,  # type: ignore[arg-type]
            created_at=at(days_ago),
        )
    )


def _key_result(
    session: Session, objective: Objective, owner: Person, title: str, **extra: Any
) -> int:
    kr = KeyResult(objective_id=objective.id, title=title, owner_id=owner.id, **extra)  # type: ignore[arg-type]
    session.add(kr)
    session.flush()
    assert kr.id is not None
    return kr.id


def _check_in(session: Session, kr_id: int, author: Person, days_ago: int, confidence: int) -> None:
    session.add(
        CheckIn(
            key_result_id=kr_id,
            confidence=confidence,
            note="weekly",
            author_id=author.id,  # type: ignore[arg-type]
            created_at=at(days_ago),
        )
    )


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    with session_scope(engine) as session:
        director = _person(session, "Dora Director", Role.director)
        ana = _person(session, "Ana Member", Role.member)
        ben = _person(session, "Ben Member", Role.member)
        stale = _initiative(session, ana, "Guest checkout", "in_progress")
        _update(session, stale, ana, "in_progress", 8)
        fresh = _initiative(session, ana, "Wallets", "in_progress")
        _update(session, fresh, ana, "in_progress", 9)
        _update(session, fresh, ana, "in_progress", 2)
        never = _initiative(session, ana, "Search tuning", "blocked")
        started = _initiative(
            session, ana, "Margin mix", "planned", start_date=TODAY - timedelta(days=3)
        )
        _update(session, started, ana, "planned", 9)
        later = _initiative(
            session, ana, "Loyalty pilot", "planned", start_date=TODAY + timedelta(days=10)
        )
        _initiative(session, ana, "An idea", "idea")
        shipped = _initiative(session, ana, "Shipped work", "done")
        _update(session, shipped, ana, "done", 40)
        bens = _initiative(session, ben, "Page speed", "in_progress")
        _update(session, bens, ben, "in_progress", 7)

        period = quarter_of(TODAY)
        objective = Objective(period=period, title="Checkout", owner_id=director.id)  # type: ignore[arg-type]
        old = Objective(period=previous_quarter(period), title="Old", owner_id=director.id)  # type: ignore[arg-type]
        session.add_all([objective, old])
        session.flush()
        kr_due = _key_result(session, objective, ana, "Conversion up")
        _check_in(session, kr_due, ana, 17, 4)
        _check_in(session, kr_due, ana, 10, 6)
        kr_recent = _key_result(session, objective, ana, "Completion up")
        _check_in(session, kr_recent, ana, 1, 7)
        kr_never = _key_result(
            session, objective, ana, "QA defects down", kind=KrKind.manual, unit="defects"
        )
        kr_done = _key_result(
            session, objective, ana, "Standards signed off", kind=KrKind.milestone, done=True
        )
        _check_in(session, kr_done, ana, 20, 10)
        archived = _key_result(session, objective, ana, "Archived", archived=True)
        _check_in(session, archived, ana, 30, 5)
        bens_kr = _key_result(session, objective, ben, "Ben's KR")
        _check_in(session, bens_kr, ben, 12, 5)
        kr_old_quarter = _key_result(session, old, ana, "Last quarter's KR")
        _check_in(session, kr_old_quarter, ana, 30, 5)
        people = [PersonRead.model_validate(p) for p in (director, ana, ben)]
    return Seeded(
        director=people[0],
        ana=people[1],
        ben=people[2],
        stale=stale,
        fresh=fresh,
        never=never,
        started=started,
        later=later,
        bens=bens,
        kr_due=kr_due,
        kr_recent=kr_recent,
        kr_never=kr_never,
        kr_done=kr_done,
        kr_old_quarter=kr_old_quarter,
    )


def ana_posts_on_stale_work(engine: Engine, seeded: Seeded, update: NewStatusUpdate) -> None:
    """Ana posts a status update on her initiative whose last update is overdue."""
    with session_scope(engine) as session:
        post_status_update(
            session=session, actor=seeded.ana, initiative_id=seeded.stale, update=update
        )


def test_member_owes_updates_on_stale_work_under_way_longest_overdue_first(
    engine: Engine, seeded: Seeded
) -> None:
    with Session(read_engine(engine)) as session:
        owed = updates_owed(session=session, today=TODAY, every_days=EVERY, owner_id=seeded.ana.id)
    assert [(o.initiative_id, o.days_since_update) for o in owed] == [
        (seeded.never, None),
        (seeded.started, 9),
        (seeded.stale, 8),
    ]
    stale = owed[2]
    assert (stale.title, stale.owner, stale.status) == (
        "Guest checkout",
        "Ana Member",
        "in_progress",
    )
    assert stale.last_update_at == at(8)


def test_without_an_owner_every_overdue_update_is_listed(engine: Engine, seeded: Seeded) -> None:
    with Session(read_engine(engine)) as session:
        owed = updates_owed(session=session, today=TODAY, every_days=EVERY)
        relaxed = updates_owed(session=session, today=TODAY, every_days=9)
    assert {o.initiative_id for o in owed} == {
        seeded.never,
        seeded.started,
        seeded.stale,
        seeded.bens,  # exactly 7 days: owed
    }
    assert {o.initiative_id for o in relaxed} == {seeded.never, seeded.started}


def test_key_results_of_the_running_quarter_are_due_a_check_in(
    engine: Engine, seeded: Seeded
) -> None:
    with Session(read_engine(engine)) as session:
        due = check_ins_due(session=session, today=TODAY, every_days=EVERY, owner_id=seeded.ana.id)
    assert [(d.key_result_id, d.days_since_check_in, d.last_confidence) for d in due] == [
        (seeded.kr_never, None, None),
        (seeded.kr_due, 10, 6),  # the latest check-in counts
    ]
    assert (due[0].kind, due[0].unit, due[0].objective) == ("manual", "defects", "Checkout")


def test_a_closed_quarter_asks_for_no_check_in(engine: Engine, seeded: Seeded) -> None:
    with session_scope(engine) as session:
        session.add(
            PeriodClose(
                period=quarter_of(TODAY),
                as_of=TODAY,
                closed_by=seeded.director.id,
            )
        )
    with Session(read_engine(engine)) as session:
        assert check_ins_due(session=session, today=TODAY, every_days=EVERY) == []


def test_posting_an_update_takes_it_off_what_i_owe(engine: Engine, seeded: Seeded) -> None:
    with Session(read_engine(engine)) as session:
        before = what_i_owe(session=session, person_id=seeded.ana.id, today=TODAY, every_days=EVERY)
    assert seeded.stale in {o.initiative_id for o in before.updates}
    ana_posts_on_stale_work(
        engine, seeded, NewStatusUpdate("in_progress", "at_risk", 60, "Payment API is slow.")
    )
    with Session(read_engine(engine)) as session:
        after = what_i_owe(session=session, person_id=seeded.ana.id, today=TODAY, every_days=EVERY)
        ben = what_i_owe(session=session, person_id=seeded.ben.id, today=TODAY, every_days=EVERY)
    assert [o.initiative_id for o in after.updates] == [seeded.never, seeded.started]
    assert len(after.check_ins) == 2 and not after.empty
    assert [o.initiative_id for o in ben.updates] == [seeded.bens]


def test_what_everyone_owes_is_each_persons_what_i_owe(engine: Engine, seeded: Seeded) -> None:
    ana_posts_on_stale_work(
        engine, seeded, NewStatusUpdate("in_progress", "at_risk", 60, "Payment API is slow.")
    )
    with Session(read_engine(engine)) as session:
        everyone = what_everyone_owes(session=session, today=TODAY, every_days=EVERY)
        each = {
            p.id: what_i_owe(session=session, person_id=p.id, today=TODAY, every_days=EVERY)
            for p in (seeded.director, seeded.ana, seeded.ben)
        }
    assert set(everyone) == {seeded.ana.id, seeded.ben.id}  # the director owes nothing
    for person, owed in each.items():
        assert everyone.get(person, Owed(updates=(), check_ins=())) == owed
    assert [o.initiative_id for o in everyone[seeded.ana.id].updates] == [
        seeded.never,
        seeded.started,
    ]


def test_nothing_owed_is_empty(engine: Engine, seeded: Seeded) -> None:
    with Session(read_engine(engine)) as session:
        owed = what_i_owe(
            session=session, person_id=seeded.director.id, today=TODAY, every_days=EVERY
        )
    assert owed.empty


def test_blocked_work_says_since_when_and_the_latest_note(engine: Engine, seeded: Seeded) -> None:
    with session_scope(engine) as session:
        ana = session.get(Person, seeded.ana.id)
        assert ana is not None
        item = _initiative(session, ana, "Structured data", "blocked")
        _update(session, item, ana, "blocked", 20, "Blocked once before")
        _update(session, item, ana, "in_progress", 10, "Unblocked")
        _update(session, item, ana, "blocked", 6, "Releases frozen")
        _update(session, item, ana, "blocked", 2, "Still waiting on the platform team")
    with Session(read_engine(engine)) as session:
        found = blocked_work(session=session, today=TODAY)
    assert [(b.title, b.days_blocked, b.last_note) for b in found] == [
        ("Structured data", 6, "Still waiting on the platform team"),
        ("Search tuning", None, ""),  # blocked from the start, no update yet
    ]
    assert found[0].blocked_since == at(6)


def test_director_brief_shows_what_changed_since_the_last_committed_plan(
    engine: Engine, seeded: Seeded, config: AppConfig
) -> None:
    last_week = iso_week(TODAY - timedelta(days=7))
    commit_plan(engine, config, seeded.director, last_week, config.scoring.active)
    ana_posts_on_stale_work(
        engine, seeded, NewStatusUpdate("blocked", "off_track", 50, "Vendor contract stuck.")
    )
    first, last = quarter_bounds(quarter_of(TODAY))
    evaluation = PeriodEvaluation(
        period=quarter_of(TODAY),
        first_day=first,
        last_day=last,
        as_of=TODAY,
        elapsed_days=(TODAY - first).days + 1,
        total_days=(last - first).days + 1,
        objectives=(),
    )
    with Session(read_engine(engine)) as session:
        brief = director_brief(session=session, config=config, evaluation=evaluation, today=TODAY)
    assert brief.plan is not None and brief.plan.previous is not None
    assert brief.plan.previous.week == last_week
    changes = {(c.kind, c.initiative_id, c.before, c.after) for c in brief.plan.changes}
    assert ("status", seeded.stale, "in_progress", "blocked") in changes
    assert ("health", seeded.stale, "on_track", "off_track") in changes
    assert seeded.stale not in {s.initiative_id for s in brief.stale}  # just updated
    assert {b.initiative_id for b in brief.blocked} == {seeded.never, seeded.stale}
    assert brief.key_results == ()
    # A diff the caller already holds (the Weekly planning page's cached one) is shown as given.
    held = replace(brief.plan, changes=brief.plan.changes[:1])
    with Session(read_engine(engine)) as session:
        again = director_brief(
            session=session, config=config, evaluation=evaluation, today=TODAY, plan=held
        )
    assert again.plan is held and len(again.plan.changes) == 1
    assert again.stale == brief.stale and again.blocked == brief.blocked
    with Session(read_engine(engine)) as session:
        given = director_brief(
            session=session, config=config, evaluation=evaluation, today=TODAY, stale=()
        )
    assert given.stale == () and given.blocked == brief.blocked


def test_ideas_wait_for_triage_and_their_outcome_reaches_only_the_proposer_for_two_weeks(
    engine: Engine, config: AppConfig
) -> None:
    team = seed_team(engine)
    with session_scope(engine) as session:
        ids = [
            create_initiative(
                session=session,
                actor=team.ana,
                config=config,
                draft=InitiativeDraft(title=title, owner_id=team.ana.id),
            ).id
            for title in ("Gift wrapping", "Loyalty points", "Live chat")
        ]
    with Session(read_engine(engine)) as session:
        waiting = ideas_to_triage(session=session)
    assert [i.title for i in waiting] == ["Gift wrapping", "Loyalty points", "Live chat"]
    assert {i.owner for i in waiting} == {team.ana.name}

    with session_scope(engine) as session:
        accept_idea(session=session, actor=team.director, initiative_id=ids[0], expected_version=1)
        decline_idea(
            session=session,
            actor=team.director,
            initiative_id=ids[1],
            expected_version=1,
            reason="Margins too thin",
        )
    with Session(read_engine(engine)) as session:
        assert [i.title for i in ideas_to_triage(session=session)] == ["Live chat"]
        mine = idea_outcomes(session=session, person_id=team.ana.id, today=TODAY)
        others = idea_outcomes(session=session, person_id=team.ben.id, today=TODAY)
        later = idea_outcomes(
            session=session, person_id=team.ana.id, today=TODAY + timedelta(OUTCOME_DAYS + 1)
        )
    assert {(o.title, o.accepted, o.reason, o.by) for o in mine} == {
        ("Gift wrapping", True, "", team.director.name),
        ("Loyalty points", False, "Margins too thin", team.director.name),
    }
    assert others == [] and later == []
