"""Dependencies between initiatives: one initiative blocks another, which waits on it.

Who may change them (DESIGN §1, enforced here): a director any; an active member a dependency
that involves an initiative they own (their work waits on something, or blocks something);
stakeholders and inactive people none. Every change is audited as an `initiative_dependency`
event.

Rules:

- An initiative cannot wait on itself, and a dependency that would close a loop is refused with
  the loop named: "A blocks B blocks C blocks A".
- Dated work runs from its start date to its shipped date (else its target date); dropped work
  takes no part in dates or paths.
- A dependent is late when it starts before what it waits on ends, while both are still to do
  (the dependent is not done or dropped, the blocker is not done or dropped).
- The critical path of an objective is the chain of dated work that ends last: the objective's
  dated initiative that ends last, then, going back, each step's dated blocker that ends last
  (blockers may belong to other objectives), listed first to last.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, String, func, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from planning.access.permissions import (
    Actor,
    owns_or_directs,
    require_member_or_director,
    require_owner_or_director,
)
from planning.graphs import find_loop
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.audit import record_created, record_deleted
from planning.store.models import (
    Initiative,
    InitiativeDependency,
    InitiativeKeyResult,
    InitiativeStatus,
    KeyResult,
    Objective,
)
from planning.validation import InputError

ENTITY = "initiative_dependency"
S = InitiativeStatus
FINISHED: frozenset[str] = frozenset({S.done.value, S.dropped.value})
ACTION = N_("change this initiative's dependencies")

Edge = tuple[int, int]  # (blocker_id, blocked_id)


@dataclass(frozen=True)
class Work:
    """What the dependency rules need to know of one initiative."""

    id: int
    title: str
    status: str
    start: date | None
    end: date | None  # shipped date, else target date

    @property
    def dated(self) -> bool:
        """Whether it has both a start and an end and is not dropped."""
        return self.start is not None and self.end is not None and self.status != S.dropped.value

    @property
    def label(self) -> str:
        """How it is named in messages: "#12 Title"."""
        return f"#{self.id} {self.title}"


@dataclass(frozen=True)
class LateDependent:
    """A dependent that starts before what it waits on ends."""

    dependent: Work
    blocker: Work

    @property
    def days_early(self) -> int:
        """How many days before the blocker's end the dependent starts."""
        assert self.dependent.start is not None and self.blocker.end is not None
        return (self.blocker.end - self.dependent.start).days


@dataclass(frozen=True)
class Dependencies:
    """One initiative's dependencies: what it waits on and what it blocks, by id."""

    waits_on: tuple[Work, ...]
    blocks: tuple[Work, ...]


@dataclass(frozen=True)
class DependencyChange:
    """What a save of an initiative's dependencies changed."""

    added: int
    removed: int


# --- rules (pure) ------------------------------------------------------------------------------


def _blocked_by(edges: Iterable[Edge]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for blocker, blocked in edges:
        out.setdefault(blocked, []).append(blocker)
    return out


def loop_text(loop: Sequence[int], titles: Mapping[int, str]) -> str:
    """A loop of ids as a reader says it: "A blocks B blocks A"."""
    return (" " + _("blocks") + " ").join(titles.get(i, f"#{i}") for i in loop)


def late_pairs(work: Mapping[int, Work], edges: Iterable[Edge]) -> list[LateDependent]:
    """Dependents that start before what they wait on ends (both still to do), most days early
    first."""
    found = []
    for blocker_id, blocked_id in edges:
        blocker, dependent = work.get(blocker_id), work.get(blocked_id)
        if blocker is None or dependent is None:
            continue
        if blocker.status in FINISHED or dependent.status in FINISHED:
            continue
        if dependent.start is None or blocker.end is None:
            continue
        if dependent.start < blocker.end:
            found.append(LateDependent(dependent=dependent, blocker=blocker))
    found.sort(key=lambda d: (-d.days_early, d.dependent.id, d.blocker.id))
    return found


def critical_path(
    work: Mapping[int, Work], edges: Iterable[Edge], members: Collection[int]
) -> list[Work]:
    """The chain of dated work that ends last among `members` (an objective's initiatives),
    first to last: the member that ends last, preceded by its dated blocker that ends last, and
    so on. Ties go to the lower id. Empty when no member is dated."""
    return _critical_path(work, _blocked_by(edges), members)


def _critical_path(
    work: Mapping[int, Work], blocked_by: Mapping[int, list[int]], members: Collection[int]
) -> list[Work]:
    dated = [work[i] for i in members if i in work and work[i].dated]
    if not dated:
        return []

    def latest(candidates: Iterable[Work]) -> Work | None:
        ranked = sorted(candidates, key=lambda w: (-(w.end or date.min).toordinal(), w.id))
        return ranked[0] if ranked else None

    step = latest(dated)
    chain: list[Work] = []
    seen: set[int] = set()
    while step is not None and step.id not in seen:
        chain.append(step)
        seen.add(step.id)
        step = latest(
            work[b]
            for b in blocked_by.get(step.id, ())
            if b in work and work[b].dated and b not in seen
        )
    return list(reversed(chain))


# --- reads -------------------------------------------------------------------------------------


def _work(initiative: Initiative) -> Work:
    assert initiative.id is not None
    return Work(
        id=initiative.id,
        title=initiative.title,
        status=initiative.status.value,
        start=initiative.start_date,
        end=initiative.shipped_date or initiative.target_date,
    )


def all_edges(*, session: Session) -> list[Edge]:
    """Every dependency as (blocker id, blocked id), in the order they were added."""
    rows = session.exec(
        select(InitiativeDependency.blocker_id, InitiativeDependency.blocked_id).order_by(
            col(InitiativeDependency.id)
        )
    ).all()
    return [(int(a), int(b)) for a, b in rows]


# Shipped date, else target date, worked out by the database: one date per row to convert.
_END = func.coalesce(col(Initiative.shipped_date), col(Initiative.target_date), type_=Date)


def work_of(*, session: Session, ids: Collection[int] | None = None) -> dict[int, Work]:
    """The dependency view of initiatives (all of them when `ids` is None), by id."""
    if ids is None:
        return _read_work(session)
    if not ids:
        return {}
    return _read_work(session, col(Initiative.id).in_(sorted(ids)))


def dated_work(*, session: Session) -> dict[int, Work]:
    """The dependency view of every dated initiative (see Work.dated), the only ones a critical
    path goes through, by id."""
    return _read_work(
        session,
        col(Initiative.start_date).is_not(None),
        _END.is_not(None),
        col(Initiative.status) != InitiativeStatus.dropped,
    )


def _read_work(session: Session, *where: ColumnElement[bool]) -> dict[int, Work]:
    # The status as stored (the member's name), looked up in a table made once per read rather
    # than converted to the enum row by row: the view of 20,000 initiatives is read at once.
    status_of = {s.name: s.value for s in InitiativeStatus}
    query = sa_select(
        col(Initiative.id),
        col(Initiative.title),
        type_coerce(col(Initiative.status), String),
        col(Initiative.start_date),
        _END,
    ).where(*where)
    return {
        int(i): Work(id=int(i), title=str(title), status=status_of[status], start=start, end=end)
        for i, title, status, start, end in session.execute(query).all()
    }


def dependencies_of(*, session: Session, initiative_id: int) -> Dependencies:
    """What one initiative waits on and what it blocks, each by start date then id."""
    rows = session.exec(
        select(InitiativeDependency.blocker_id, InitiativeDependency.blocked_id).where(
            (InitiativeDependency.blocker_id == initiative_id)
            | (InitiativeDependency.blocked_id == initiative_id)
        )
    ).all()
    waits = {int(a) for a, b in rows if b == initiative_id}
    blocks = {int(b) for a, b in rows if a == initiative_id}
    work = work_of(session=session, ids=waits | blocks)

    def ordered(ids: set[int]) -> tuple[Work, ...]:
        found = [work[i] for i in ids if i in work]
        return tuple(sorted(found, key=lambda w: (w.start or date.max, w.id)))

    return Dependencies(waits_on=ordered(waits), blocks=ordered(blocks))


def late_dependents(*, session: Session) -> list[LateDependent]:
    """Every dependent that starts before what it waits on ends (see `late_pairs`)."""
    edges = all_edges(session=session)
    ids = {i for edge in edges for i in edge}
    return late_pairs(work_of(session=session, ids=ids), edges)


def waiting_notes(*, session: Session, initiative_ids: Collection[int]) -> dict[int, list[Work]]:
    """For each of these initiatives that waits on something, what it waits on (by end date)."""
    wanted = set(initiative_ids)
    edges = [(a, b) for a, b in all_edges(session=session) if b in wanted]
    work = work_of(session=session, ids={a for a, _ in edges})
    out: dict[int, list[Work]] = {}
    for blocker, blocked in edges:
        if blocker in work:
            out.setdefault(blocked, []).append(work[blocker])
    for found in out.values():
        found.sort(key=lambda w: (w.end or date.max, w.id))
    return out


def objective_critical_paths(
    *, session: Session, objective_ids: Collection[int]
) -> dict[int, list[Work]]:
    """The critical path of each of these objectives (see `critical_path`); an objective without
    dated work maps to an empty list."""
    if not objective_ids:
        return {}
    members: dict[int, set[int]] = {o: set() for o in objective_ids}
    for initiative_id, objective_id in session.exec(
        select(InitiativeKeyResult.initiative_id, KeyResult.objective_id)
        .join(KeyResult, col(KeyResult.id) == col(InitiativeKeyResult.key_result_id))
        .where(col(KeyResult.objective_id).in_(sorted(objective_ids)))
    ).all():
        members[int(objective_id)].add(int(initiative_id))
    blocked_by = _blocked_by(all_edges(session=session))  # once for every objective
    work = dated_work(session=session)  # a path takes only dated work
    return {o: _critical_path(work, blocked_by, ids) for o, ids in members.items()}


def period_critical_paths(*, session: Session, period: str) -> list[tuple[str, list[Work]]]:
    """Each live objective of a period (oldest first) with its critical path."""
    objectives = session.exec(
        select(col(Objective.id), col(Objective.title))
        .where(Objective.period == period, Objective.archived == False)  # noqa: E712
        .order_by(col(Objective.id))
    ).all()
    found = [(int(o), str(title)) for o, title in objectives if o is not None]
    paths = objective_critical_paths(session=session, objective_ids=[o for o, _ in found])
    return [(title, paths[o]) for o, title in found]


# --- writes ------------------------------------------------------------------------------------


def _load(session: Session, initiative_id: int, problems: list[str]) -> Initiative | None:
    found = session.get(Initiative, initiative_id, with_for_update=True)
    if found is None:
        problems.append(_("initiative {id} does not exist").format(id=initiative_id))
    return found


def _may_change(actor: Actor, *initiatives: Initiative) -> None:
    """Refuse unless the actor directs or owns one of the initiatives the dependency joins."""
    if any(owns_or_directs(actor, i.owner_id) for i in initiatives):
        return
    require_owner_or_director(actor, initiatives[0].owner_id, ACTION)


def _titles(session: Session, ids: Iterable[int]) -> dict[int, str]:
    return {i: w.label for i, w in work_of(session=session, ids=set(ids)).items()}


def _refuse_loop(session: Session, edges: list[Edge], blocker_id: int, blocked_id: int) -> None:
    if blocker_id == blocked_id:
        raise InputError([_("an initiative cannot wait on itself")])
    loop = find_loop(edges, blocker_id, blocked_id)
    if loop is not None:
        text = loop_text(loop, _titles(session, loop))
        raise InputError([_("this dependency would make a loop: {loop}").format(loop=text)])


def _add(session: Session, actor: Actor, blocker_id: int, blocked_id: int) -> InitiativeDependency:
    link = InitiativeDependency(blocker_id=blocker_id, blocked_id=blocked_id, created_by=actor.id)
    record_created(session=session, actor=actor, entity=ENTITY, record=link)
    return link


def _remove(session: Session, actor: Actor, link: InitiativeDependency) -> None:
    record_deleted(session=session, actor=actor, entity=ENTITY, record=link)


def _existing(session: Session, blocker_id: int, blocked_id: int) -> InitiativeDependency | None:
    return session.exec(
        select(InitiativeDependency).where(
            InitiativeDependency.blocker_id == blocker_id,
            InitiativeDependency.blocked_id == blocked_id,
        )
    ).first()


def _changeable_pair(
    session: Session, actor: Actor, blocker_id: int, blocked_id: int
) -> tuple[Initiative, Initiative]:
    """A dependency's blocker and blocked initiatives, once `actor` may change it (InputError
    when either does not exist)."""
    require_member_or_director(actor, ACTION)
    problems: list[str] = []
    blocker = _load(session, blocker_id, problems)
    blocked = _load(session, blocked_id, problems)
    if blocker is None or blocked is None:
        raise InputError(problems)
    _may_change(actor, blocked, blocker)
    return blocker, blocked


def add_dependency(
    *, session: Session, actor: Actor, blocker_id: int, blocked_id: int
) -> InitiativeDependency:
    """Record that `blocker_id` blocks `blocked_id` (which then waits on it)."""
    blocker, blocked = _changeable_pair(session, actor, blocker_id, blocked_id)
    if _existing(session, blocker_id, blocked_id) is not None:
        raise InputError(
            [
                _("{blocked} already waits on {blocker}").format(
                    blocked=blocked.title, blocker=blocker.title
                )
            ]
        )
    _refuse_loop(session, all_edges(session=session), blocker_id, blocked_id)
    return _add(session, actor, blocker_id, blocked_id)


def remove_dependency(*, session: Session, actor: Actor, blocker_id: int, blocked_id: int) -> None:
    """Remove the dependency of `blocked_id` on `blocker_id`."""
    blocker, blocked = _changeable_pair(session, actor, blocker_id, blocked_id)
    link = _existing(session, blocker_id, blocked_id)
    if link is None:
        raise InputError(
            [
                _("{blocked} does not wait on {blocker}").format(
                    blocked=blocked.title, blocker=blocker.title
                )
            ]
        )
    _remove(session, actor, link)


def set_dependencies(
    *,
    session: Session,
    actor: Actor,
    initiative_id: int,
    waits_on: Collection[int],
    blocks: Collection[int],
) -> DependencyChange:
    """Make one initiative wait on exactly `waits_on` and block exactly `blocks`: every problem
    reported together and nothing written when there is one."""
    require_member_or_director(actor, ACTION)
    problems: list[str] = []
    initiative = _load(session, initiative_id, problems)
    if initiative is None:
        raise InputError(problems)
    require_owner_or_director(actor, initiative.owner_id, ACTION)
    wanted = {(int(b), initiative_id) for b in waits_on} | {(initiative_id, int(d)) for d in blocks}
    others = {i for edge in wanted for i in edge} - {initiative_id}
    known = work_of(session=session, ids=others)
    problems += [
        _("initiative {id} does not exist").format(id=i) for i in sorted(others - set(known))
    ]
    if (initiative_id, initiative_id) in wanted:
        problems.append(_("an initiative cannot wait on itself"))
    if set(waits_on) & set(blocks):
        both = sorted(set(waits_on) & set(blocks))
        problems.append(
            _("it cannot both wait on and block {work}").format(
                work=", ".join(known[i].label if i in known else f"#{i}" for i in both)
            )
        )
    if problems:
        raise InputError(problems)
    edges = all_edges(session=session)
    mine = {e for e in edges if initiative_id in e}
    graph = [e for e in edges if e not in mine or e in wanted]
    for edge in sorted(wanted - mine):
        loop = find_loop(graph, *edge)
        if loop is not None:
            text = loop_text(loop, _titles(session, loop))
            problems.append(_("this dependency would make a loop: {loop}").format(loop=text))
            continue
        graph.append(edge)
    if problems:
        raise InputError(problems)
    for blocker_id, blocked_id in sorted(mine - wanted):
        link = _existing(session, blocker_id, blocked_id)
        if link is not None:
            _remove(session, actor, link)
    for blocker_id, blocked_id in sorted(wanted - mine):
        _add(session, actor, blocker_id, blocked_id)
    return DependencyChange(added=len(wanted - mine), removed=len(mine - wanted))
