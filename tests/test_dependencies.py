"""Dependencies between initiatives: loops refused and named, who may change them, what each
initiative waits on and blocks, late dependents and an objective's critical path (worked
examples), and what This week tells an owner when what they wait on slips or ships."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from planning import clock
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.reports.blocker_news import waits_news, waits_news_by_owner
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    AuditEvent,
    Initiative,
    InitiativeDependency,
    InitiativeKeyResult,
    InitiativeStatus,
)
from planning.validation import InputError
from planning.work import initiatives
from planning.work.dependencies import (
    Work,
    add_dependency,
    critical_path,
    dated_work,
    dependencies_of,
    find_loop,
    late_dependents,
    late_pairs,
    loop_text,
    objective_critical_paths,
    remove_dependency,
    set_dependencies,
    waiting_notes,
    work_of,
)
from tests.planning_seed import Team, seed_team


def _work(i: int, start: str | None, end: str | None, status: str = "planned") -> Work:
    return Work(
        id=i,
        title=f"W{i}",
        status=status,
        start=date.fromisoformat(start) if start else None,
        end=date.fromisoformat(end) if end else None,
    )


# --- pure rules --------------------------------------------------------------------------------


def test_a_loop_is_found_and_named_from_the_new_blocker_round_to_itself() -> None:
    # A(1) blocks B(2) blocks C(3); adding C blocks A closes the loop.
    edges = [(1, 2), (2, 3)]
    loop = find_loop(edges, 3, 1)
    assert loop == [3, 1, 2, 3]
    titles = {1: "Checkout redesign", 2: "Payment API", 3: "Wallets"}
    assert loop_text(loop, titles) == (
        "Wallets blocks Checkout redesign blocks Payment API blocks Wallets"
    )
    assert find_loop(edges, 1, 3) is None  # a shortcut is no loop
    assert find_loop(edges, 4, 4) == [4, 4]


def test_late_dependents_are_those_starting_before_their_blocker_ends() -> None:
    work = {
        1: _work(1, "2026-11-01", "2026-12-15"),
        2: _work(2, "2026-12-01", "2027-01-15"),  # starts 14 days before 1 ends: late
        3: _work(3, "2026-12-20", "2027-01-31"),  # starts after 1 ends: fine
        4: _work(4, "2026-11-20", "2026-12-31", status="done"),  # done: history
        5: _work(5, None, "2027-02-01"),  # no start: cannot tell
    }
    late = late_pairs(work, [(1, 2), (1, 3), (1, 4), (1, 5)])
    assert [(d.blocker.id, d.dependent.id, d.days_early) for d in late] == [(1, 2, 14)]


def test_the_critical_path_is_the_chain_that_ends_last_traced_back_through_blockers() -> None:
    # Objective members: 10, 11, 12. 12 ends last and waits on 11 and 20 (another objective's
    # work); 20 ends later than 11 so it drives; 20 waits on 21 (dated) and 22 (undated).
    work = {
        10: _work(10, "2026-10-01", "2026-12-01"),
        11: _work(11, "2026-10-01", "2026-11-15"),
        12: _work(12, "2027-01-05", "2027-03-01"),
        20: _work(20, "2026-11-01", "2027-01-04"),
        21: _work(21, "2026-09-01", "2026-10-31"),
        22: _work(22, None, None),
        30: _work(30, "2026-01-01", "2027-06-30"),  # ends latest but not in the objective
    }
    edges = [(11, 12), (20, 12), (21, 20), (22, 20), (10, 11)]
    path = critical_path(work, edges, members={10, 11, 12})
    assert [w.id for w in path] == [21, 20, 12]
    # Without dated work in the objective there is no path.
    assert critical_path(work, edges, members={22}) == []
    # Dropped work takes no part: with 20 dropped, 11 drives, then 10.
    work[20] = _work(20, "2026-11-01", "2027-01-04", status="dropped")
    assert [w.id for w in critical_path(work, edges, members={10, 11, 12})] == [10, 11, 12]


# --- store -------------------------------------------------------------------------------------


def _initiative(
    engine: Engine, owner: int, title: str, start: str | None = None, target: str | None = None
) -> int:
    with session_scope(engine) as session:
        row = Initiative(
            title=title,
            owner_id=owner,
            status=InitiativeStatus.planned,
            start_date=date.fromisoformat(start) if start else None,
            target_date=date.fromisoformat(target) if target else None,
        )
        session.add(row)
        session.flush()
        return int(row.id)  # type: ignore[arg-type]


def _add(engine: Engine, team: Team, blocker: int, blocked: int) -> None:
    with session_scope(engine) as session:
        add_dependency(session=session, actor=team.director, blocker_id=blocker, blocked_id=blocked)


def _count(engine: Engine) -> int:
    with Session(read_engine(engine)) as session:
        return len(session.exec(select(InitiativeDependency)).all())


def test_a_loop_is_refused_with_the_loop_named_and_nothing_written(engine: Engine) -> None:
    team = seed_team(engine)
    a = _initiative(engine, team.ana.id, "Search revamp")
    b = _initiative(engine, team.ana.id, "Facets")
    c = _initiative(engine, team.ben.id, "Synonyms")
    _add(engine, team, a, b)
    _add(engine, team, b, c)
    with pytest.raises(InputError) as refused, session_scope(engine) as session:
        add_dependency(session=session, actor=team.director, blocker_id=c, blocked_id=a)
    assert str(refused.value).count("blocks") == 3
    assert f"#{c} Synonyms blocks #{a} Search revamp blocks #{b} Facets blocks #{c} Synonyms" in (
        str(refused.value)
    )
    with pytest.raises(InputError, match="cannot wait on itself"), session_scope(engine) as s:
        add_dependency(session=s, actor=team.director, blocker_id=a, blocked_id=a)
    with pytest.raises(InputError, match="already waits on"), session_scope(engine) as s:
        add_dependency(session=s, actor=team.director, blocker_id=a, blocked_id=b)
    with pytest.raises(InputError, match="does not exist"), session_scope(engine) as s:
        add_dependency(session=s, actor=team.director, blocker_id=a, blocked_id=9999)
    assert _count(engine) == 2


def test_members_change_dependencies_of_their_own_work_only(engine: Engine) -> None:
    team = seed_team(engine)
    mine = _initiative(engine, team.ana.id, "Mine")
    theirs = _initiative(engine, team.ben.id, "Theirs")
    other = _initiative(engine, team.ben.id, "Other")
    with session_scope(engine) as session:  # my work waits on theirs: allowed
        add_dependency(session=session, actor=team.ana, blocker_id=theirs, blocked_id=mine)
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        add_dependency(session=session, actor=team.ana, blocker_id=theirs, blocked_id=other)
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        remove_dependency(session=session, actor=team.sue, blocker_id=theirs, blocked_id=mine)
    with session_scope(engine) as session:
        remove_dependency(session=session, actor=team.ana, blocker_id=theirs, blocked_id=mine)
    assert _count(engine) == 0
    with Session(read_engine(engine)) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "initiative_dependency")
        ).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("create", team.ana.id),
        ("delete", team.ana.id),
    ]


def test_saving_an_initiatives_dependencies_reports_every_problem_and_writes_all_or_none(
    engine: Engine,
) -> None:
    team = seed_team(engine)
    a = _initiative(engine, team.ana.id, "A")
    b = _initiative(engine, team.ana.id, "B")
    c = _initiative(engine, team.ana.id, "C")
    _add(engine, team, a, b)  # A blocks B
    _add(engine, team, c, a)  # C blocks A
    with pytest.raises(InputError) as refused, session_scope(engine) as session:
        # B blocks A would loop; 9999 does not exist.
        set_dependencies(
            session=session, actor=team.ana, initiative_id=b, waits_on=[a, 9999], blocks=[a]
        )
    assert "initiative 9999 does not exist" in str(refused.value)
    assert "cannot both wait on and block #" in str(refused.value)
    loop = f"#{b} B blocks #{c} C blocks #{a} A blocks #{b} B"
    with pytest.raises(InputError, match=loop), session_scope(engine) as session:
        set_dependencies(session=session, actor=team.ana, initiative_id=b, waits_on=[a], blocks=[c])
    assert _count(engine) == 2
    with session_scope(engine) as session:
        change = set_dependencies(
            session=session, actor=team.ana, initiative_id=b, waits_on=[c], blocks=[a]
        )
    assert (change.added, change.removed) == (2, 1)
    with Session(read_engine(engine)) as session:
        found = dependencies_of(session=session, initiative_id=b)
    assert [w.title for w in found.waits_on] == ["C"]
    assert [w.title for w in found.blocks] == ["A"]


def test_reads_name_late_dependents_waiting_notes_and_critical_paths(engine: Engine) -> None:
    team = seed_team(engine)
    design = _initiative(engine, team.ana.id, "Design", "2026-10-01", "2026-12-10")
    build = _initiative(engine, team.ben.id, "Build", "2026-12-01", "2027-02-01")
    copy = _initiative(engine, team.ben.id, "Copy", "2026-10-01", "2026-11-01")
    with session_scope(engine) as session:
        for iid in (build, copy):
            session.add(InitiativeKeyResult(initiative_id=iid, key_result_id=team.kr_conversion))
    _add(engine, team, design, build)
    with Session(read_engine(engine)) as session:
        late = late_dependents(session=session)
        notes = waiting_notes(session=session, initiative_ids=[build, copy])
        paths = objective_critical_paths(
            session=session, objective_ids=[team.checkout, team.basket]
        )
    assert [(d.dependent.title, d.blocker.title, d.days_early) for d in late] == [
        ("Build", "Design", 9)
    ]
    assert {k: [w.title for w in v] for k, v in notes.items()} == {build: ["Design"]}
    assert [w.title for w in paths[team.checkout]] == ["Design", "Build"]
    assert paths[team.basket] == []


def test_the_dependency_view_ends_work_on_its_shipped_day_and_paths_read_only_dated_work(
    engine: Engine,
) -> None:
    """The view read from the store: shipped work ends on its shipped day, other work on its
    target; the critical paths' read holds only dated work, so a dropped or undated blocker is
    not on a path, whatever its dates."""
    team = seed_team(engine)
    shipped = _initiative(engine, team.ana.id, "Shipped", "2026-09-01", "2026-12-31")
    dropped = _initiative(engine, team.ana.id, "Dropped", "2026-09-01", "2027-06-30")
    undated = _initiative(engine, team.ana.id, "Undated", "2026-09-01")
    build = _initiative(engine, team.ben.id, "Build", "2026-12-01", "2027-02-01")
    with session_scope(engine) as session:
        for iid, status, day in (
            (shipped, InitiativeStatus.done, date(2026, 11, 20)),
            (dropped, InitiativeStatus.dropped, None),
        ):
            row = session.get(Initiative, iid)
            assert row is not None
            row.status, row.shipped_date = status, day
        session.add(InitiativeKeyResult(initiative_id=build, key_result_id=team.kr_conversion))
    for blocker in (shipped, dropped, undated):
        _add(engine, team, blocker, build)
    with Session(read_engine(engine)) as session:
        every = work_of(session=session)
        dated = dated_work(session=session)
        paths = objective_critical_paths(session=session, objective_ids=[team.checkout])
    assert (every[shipped].status, every[shipped].end) == ("done", date(2026, 11, 20))
    assert (every[dropped].status, every[dropped].end) == ("dropped", date(2027, 6, 30))
    assert every[undated].end is None
    assert set(dated) == {i for i, w in every.items() if w.dated} == {shipped, build}
    assert dated[build] == every[build]
    assert [w.title for w in paths[team.checkout]] == ["Shipped", "Build"]


def test_this_week_tells_an_owner_when_what_they_wait_on_slips_blocks_or_ships(
    engine: Engine, config: AppConfig
) -> None:
    team = seed_team(engine)
    mine = _initiative(engine, team.ana.id, "Mine", "2026-12-01", "2027-01-31")
    slips = _initiative(engine, team.ben.id, "Slips", "2026-10-01", "2026-11-30")
    ships = _initiative(engine, team.ben.id, "Ships", "2026-10-01", "2026-11-30")
    stuck = _initiative(engine, team.ben.id, "Stuck", "2026-10-01", "2026-11-30")
    quiet = _initiative(engine, team.ben.id, "Quiet", "2026-10-01", "2026-11-30")
    for blocker in (slips, ships, stuck, quiet):
        _add(engine, team, blocker, mine)
    clock.pin(date(2026, 11, 24))
    with session_scope(engine) as session:
        for iid, changes in (
            (slips, {"target_date": date(2026, 12, 20)}),
            (ships, {"status": "done"}),
            (stuck, {"status": "blocked"}),
            (quiet, {"title": "Quiet, renamed"}),
        ):
            initiatives.update_initiative(
                session=session,
                actor=team.director,
                config=config,
                initiative_id=iid,
                expected_version=1,
                changes=changes,
            )
    clock.pin(date(2026, 11, 26))
    with Session(read_engine(engine)) as session:
        news = waits_news(session=session, owner_id=team.ana.id, today=clock.today())
        nothing = waits_news(session=session, owner_id=team.ben.id, today=clock.today())
        everyone = waits_news_by_owner(session=session, today=clock.today())
    said = {(n.blocker_title, n.kind): n.text for n in news}
    assert set(said) == {("Slips", "slipped"), ("Ships", "shipped"), ("Stuck", "blocked")}
    assert "30 Nov 2026 to 20 Dec 2026" in said[("Slips", "slipped")]
    assert all(n.initiative_title == "Mine" for n in news)
    assert nothing == []
    assert everyone == {team.ana.id: news}  # the whole team's read, as This week shares it
