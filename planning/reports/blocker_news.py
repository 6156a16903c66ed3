"""What an owner's open work waits on: news about the initiatives it depends on, for This week.

In the last `NEWS_DAYS` days a blocker moved its target date later (slipped) or shipped, or it is
blocked now; slips and blocks come first. A slip compares the blocker's target now with its target
before its first move in the period (from the audit trail). The news lines are in the run's
language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import String, cast
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from planning import clock, i18n
from planning.formatting import format_day
from planning.i18n import gettext as _
from planning.store.models import AuditEvent, Initiative, InitiativeDependency, InitiativeStatus
from planning.work.dependencies import FINISHED

S = InitiativeStatus

NEWS_DAYS = 7


@dataclass(frozen=True)
class WaitNews:
    """Something an owner's open initiative waits on slipped, is blocked or shipped."""

    initiative_id: int
    initiative_title: str
    blocker_id: int
    blocker_title: str
    kind: str  # "slipped", "blocked" or "shipped"
    text: str


def _day_text(day: date) -> str:
    """A day in a news line: '5 Dec 2026' in English formats, else the team's (5. Dez. 2026)."""
    return f"{day.day} {day:%b %Y}" if i18n.english_formats() else format_day(day)


def waits_news(
    *, session: Session, owner_id: int, today: date, days: int = NEWS_DAYS
) -> list[WaitNews]:
    """For a person's open initiatives, what they wait on that, in the last `days` days, moved
    its target date later (slipped) or shipped, or that is blocked now; slips and blocks first.
    The news lines are in this run's language."""
    return waits_news_by_owner(session=session, today=today, days=days).get(owner_id, [])


def waits_news_by_owner(
    *, session: Session, today: date, days: int = NEWS_DAYS
) -> dict[int, list[WaitNews]]:
    """`waits_news` for every owner at once, by owner id (one read for a whole team's This week,
    however many of them have it open)."""
    since = today - timedelta(days=days)
    # What a blocker's target was before its first move in the period (subqueries, not lists of
    # thousands of ids: at ten times the data a lookup list would cost more than the rows).
    first_target: dict[int, str] = {}
    for entity_id, before in session.exec(
        select(col(AuditEvent.entity_id), col(AuditEvent.before))
        .where(AuditEvent.entity == "initiative")
        .where(AuditEvent.at >= datetime.combine(since, time.min, tzinfo=clock.time_zone()))
        .where(col(AuditEvent.entity_id).in_(sa_select(col(InitiativeDependency.blocker_id))))
        .where(cast(col(AuditEvent.before), String).contains('"target_date"'))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all():
        if entity_id is not None and before and before.get("target_date"):
            first_target.setdefault(int(entity_id), before["target_date"])
    blocker, waiting = aliased(Initiative), aliased(Initiative)
    rows = session.execute(
        sa_select(
            col(InitiativeDependency.blocker_id),
            col(InitiativeDependency.blocked_id),
            col(blocker.title),
            col(blocker.status),
            col(blocker.target_date),
            col(blocker.shipped_date),
            col(waiting.title),
            col(waiting.owner_id),
        )
        .join(blocker, col(blocker.id) == col(InitiativeDependency.blocker_id))
        .join(waiting, col(waiting.id) == col(InitiativeDependency.blocked_id))
        .where(col(waiting.status).not_in(sorted(FINISHED)))
        .order_by(col(InitiativeDependency.id))
    ).all()
    found: list[WaitNews] = []
    owners: dict[int, int] = {}
    for blocker_id, blocked_id, title, status, target, shipped, waiting_title, owner in rows:
        state = InitiativeStatus(status).value
        news: list[tuple[str, str]] = []
        old = first_target.get(blocker_id)
        if old and target is not None and target > date.fromisoformat(old):
            moved = _("its target moved from {before} to {after}").format(
                before=_day_text(date.fromisoformat(old)), after=_day_text(target)
            )
            news.append(("slipped", moved))
        if state == S.blocked.value:
            news.append(("blocked", _("it is blocked")))
        if state == S.done.value and shipped is not None and shipped >= since:
            news.append(("shipped", _("it shipped on {day}").format(day=_day_text(shipped))))
        owners[blocked_id] = owner
        for kind, what in news:
            found.append(
                WaitNews(
                    initiative_id=blocked_id,
                    initiative_title=waiting_title,
                    blocker_id=blocker_id,
                    blocker_title=title,
                    kind=kind,
                    text=_("{waiting} waits on {blocker}: {news}.").format(
                        waiting=waiting_title, blocker=title, news=what
                    ),
                )
            )
    order = {"slipped": 0, "blocked": 1, "shipped": 2}
    found.sort(key=lambda n: (order[n.kind], n.initiative_id, n.blocker_id))
    by_owner: dict[int, list[WaitNews]] = {}
    for item in found:
        by_owner.setdefault(owners[item.initiative_id], []).append(item)
    return by_owner
