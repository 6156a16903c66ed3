"""Cached reads for the This week page (the pattern of ui/data.py).

Each function takes the store's data versions first, so any write makes the next call fresh,
opens one short read-only session and returns plain data. What the page only draws comes back
ready to draw: counts, text and tables in Arrow form (ui/arrow.py), so a warm rerun unpickles a
few small tables instead of the quarter's whole evaluation and converts nothing. A read whose
result holds words takes the reader's `lang` (i18n.locale_key) too, so each language caches its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType

import pandas as pd
import pyarrow as pa
import streamlit as st

from planning import clock
from planning.formatting import format_count, format_day
from planning.i18n import gettext as _
from planning.i18n import ngettext
from planning.okrs.evaluation_text import reason_text
from planning.palette import STATUS_ICONS, STATUS_LABELS
from planning.periods import iso_week, quarter_bounds
from planning.reports import this_week
from planning.store.engine import OKRS, PEOPLE
from planning.work.initiative_status import HEALTH_LABELS, status_label
from planning.work.roadmap import HORIZONS, RoadmapFilters, summarise
from planning.work.system_notes import note_text
from planning.work.weekly_plan import diff_frame
from ui import arrow, goals_data, planning_data, roadmap_data
from ui.goals_charts import share
from ui.state import (
    Versions,
    app_config,
    depends_on,
    frozen_lists,
    read_session,
    shared_read,
)

TTL = 600
ENTRIES = 64


def ago(days: int | None, moment: datetime | None) -> str:
    """How long ago something was last posted: '9 days ago (17 Nov)', or 'never'."""
    if days is None or moment is None:
        return _("never")
    return ngettext("{days} day ago ({day})", "{days} days ago ({day})", days).format(
        days=days, day=format_day(clock.day_of(moment), year=False)
    )


def _table(rows: Sequence[Mapping[str, object]], columns: list[str]) -> pa.Table | None:
    """Rows as an Arrow table for st.dataframe; None when there are none."""
    return arrow.table(pd.DataFrame(rows, columns=columns)) if rows else None


# --- what I owe --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owing:
    """What one person owes, and the two tables that list it."""

    owed: this_week.Owed
    updates: pa.Table | None  # initiative, status, health, percent, last_update, target
    check_ins: pa.Table | None  # key_result, objective, last_check_in, confidence


@shared_read(ttl=TTL, max_entries=ENTRIES)
def _owed_by_person(versions: Versions, today: date) -> Mapping[int, this_week.Owed]:
    """What everyone owes, read once for every session after each write (a per-person read
    would run once for each member with This week open)."""
    return MappingProxyType(
        this_week.owed_by_person(_updates_owed(versions, today), _check_ins_due(versions, today))
    )


@shared_read(ttl=TTL, max_entries=ENTRIES)
def _updates_owed(versions: Versions, today: date) -> tuple[this_week.OwedUpdate, ...]:
    """The team's overdue status updates (a status note changes them: keyed by every area)."""
    del versions
    with read_session() as session:
        return tuple(
            this_week.updates_owed(
                session=session,
                today=today,
                every_days=app_config().settings.updates.stale_after_days,
            )
        )


@depends_on(OKRS, PEOPLE)
@shared_read(ttl=TTL, max_entries=ENTRIES)
def _check_ins_due(versions: Versions, today: date) -> tuple[this_week.DueCheckIn, ...]:
    """The team's due check-ins: only the goals and the people change them, so the status
    updates of the Monday review leave them cached."""
    del versions
    settings = app_config().settings
    with read_session() as session:
        return tuple(
            this_week.check_ins_due(
                session=session,
                today=today,
                every_days=settings.updates.stale_after_days,
                fiscal_start_month=settings.fiscal_year_start_month,
            )
        )


NOTHING_OWED = this_week.Owed(updates=(), check_ins=())


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def owed(versions: Versions, person_id: int, today: date, lang: str) -> Owing:
    """One person's overdue status updates and due check-ins, with their tables."""
    del lang
    found = _owed_by_person(versions, today).get(person_id, NOTHING_OWED)
    updates = [
        {
            "initiative": u.title,
            "status": _(status_label(u.status)),
            "health": _(HEALTH_LABELS.get(u.health, u.health)),
            "percent": u.percent_complete,
            "last_update": ago(u.days_since_update, u.last_update_at),
            "target": u.target_date,
        }
        for u in found.updates
    ]
    check_ins = [
        {
            "key_result": c.title,
            "objective": c.objective,
            "last_check_in": ago(c.days_since_check_in, c.last_check_in_at),
            "confidence": ("—" if c.last_confidence is None else f"{c.last_confidence}/10"),
        }
        for c in found.check_ins
    ]
    return Owing(
        owed=found,
        updates=_table(
            updates, ["initiative", "status", "health", "percent", "last_update", "target"]
        ),
        check_ins=_table(check_ins, ["key_result", "objective", "last_check_in", "confidence"]),
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def idea_outcomes(versions: Versions, person_id: int, today: date) -> list[this_week.IdeaOutcome]:
    """How a director recently triaged the ideas this person proposed."""
    return list(_idea_outcomes_by_owner(versions, today).get(person_id, ()))


@shared_read(ttl=TTL, max_entries=ENTRIES)
def _idea_outcomes_by_owner(
    versions: Versions, today: date
) -> Mapping[int, tuple[this_week.IdeaOutcome, ...]]:
    """`idea_outcomes` for every owner, read once after each write for all sessions."""
    del versions
    with read_session() as session:
        found = this_week.idea_outcomes_by_owner(session=session, today=today)
    return frozen_lists(found)


# --- director ----------------------------------------------------------------------------------


# Shared, not copied per run: at ten times the data thousands of ideas wait, and unpickling
# them cost a director's This week more than the rest of its warm rerun.
@shared_read(ttl=TTL, max_entries=ENTRIES)
def ideas(versions: Versions) -> Mapping[int, this_week.IdeaToTriage]:
    """Every idea waiting for triage by initiative id, oldest first (a mapping no reader can
    change, handed out as it is)."""
    del versions
    with read_session() as session:
        found = this_week.ideas_to_triage(session=session)
    return MappingProxyType({idea.initiative_id: idea for idea in found})


@dataclass(frozen=True)
class Attention:
    """What needs a director's attention, ready to draw (a table is None when it is empty)."""

    off_track: int
    at_risk: int
    stale: int
    blocked: int
    key_results: pa.Table | None  # status, key_result, objective, owner, progress, expected, why
    stale_rows: pa.Table | None  # initiative, owner, status, health, days
    blocked_rows: pa.Table | None  # initiative, owner, days, note
    plan_caption: str | None  # None: no earlier committed plan to compare with
    changes: pa.Table | None  # initiative, change, before, after


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def attention(versions: Versions, period: str, today: date, lang: str) -> Attention:
    """Key results off track or at risk, overdue updates, blocked work and what changed since
    the last committed plan (the quarter's evaluation is the cached one of Goals)."""
    del lang
    evaluation = goals_data.period_goals(versions, period, today)
    config = app_config()
    plan = None
    if config.scoring.active in config.scoring.frameworks:
        # The Weekly planning page's cached diff and ranking: a director opening both pages
        # ranks the backlog once.
        plan = planning_data.plan_diff(versions, iso_week(today), config.scoring.active)
    # The team's overdue updates, already read (and shared) for "What I owe".
    stale = _updates_owed(versions, today)
    with read_session() as session:
        brief = this_week.director_brief(
            session=session,
            config=config,
            evaluation=evaluation,
            today=today,
            plan=plan,
            stale=stale,
        )
    titles = {o.objective_id: o.title for o in evaluation.objectives}
    off = sum(1 for kr in brief.key_results if kr.status == "off_track")
    plan = brief.plan
    caption: str | None = None
    changes: pa.Table | None = None
    if plan is not None and plan.previous is not None:
        caption = (
            _("This week's committed plan ({week}) against the plan committed for {previous}.")
            if plan.current_committed
            else _("The live backlog ({week}) against the plan committed for {previous}.")
        ).format(week=plan.week, previous=plan.previous.week)
        frame = diff_frame(plan.changes)
        if not frame.empty:
            changes = arrow.table(frame[["initiative", "change", "before", "after"]])
    return Attention(
        off_track=off,
        at_risk=len(brief.key_results) - off,
        stale=len(brief.stale),
        blocked=len(brief.blocked),
        key_results=_table(
            [
                {
                    "status": f"{STATUS_ICONS[kr.status]} {_(STATUS_LABELS[kr.status])}",
                    "key_result": kr.title,
                    "objective": titles.get(kr.objective_id, ""),
                    "owner": kr.owner,
                    "progress": share(kr.progress),
                    "expected": share(kr.expected),
                    "why": reason_text(kr.status_reason),
                }
                for kr in brief.key_results
            ],
            # A reason is written only where the figures do not say it (too early, no data):
            # the column shows only when one of them has one.
            ["status", "key_result", "objective", "owner", "progress", "expected"]
            + (["why"] if any(kr.status_reason for kr in brief.key_results) else []),
        ),
        stale_rows=_table(
            [
                {
                    "initiative": s.title,
                    "owner": s.owner,
                    "status": _(status_label(s.status)),
                    "health": _(HEALTH_LABELS.get(s.health, s.health)),
                    "days": s.days_since_update,
                }
                for s in brief.stale
            ],
            ["initiative", "owner", "status", "health", "days"],
        ),
        blocked_rows=_table(
            [
                {
                    "initiative": b.title,
                    "owner": b.owner,
                    "days": b.days_blocked,
                    "note": note_text(b.last_note),
                }
                for b in brief.blocked
            ],
            ["initiative", "owner", "days", "note"],
        ),
        plan_caption=caption,
        changes=changes,
    )


# --- stakeholder -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Glance:
    """A quarter's goals and roadmap in a few lines, ready to draw."""

    goals: pa.Table | None  # objective, owner, progress, expected, status, attention
    counts: dict[str, int]  # items per roadmap column, in HORIZONS order
    now: pa.Table | None  # initiative, owner, when (target date)
    coming_next: pa.Table | None  # initiative, owner, when (start date)
    shipped: pa.Table | None  # initiative, owner, when (shipped date)


def _short_list(frame: pd.DataFrame, when: str) -> pa.Table | None:
    if frame.empty:
        return None
    return arrow.table(
        pd.DataFrame({"initiative": frame["title"], "owner": frame["owner"], "when": frame[when]})
    )


def _key_results_text(off: int, risk: int, early: int, count: int, why: str) -> str:
    """An objective's key results in a few words: what is off track or at risk and why, else
    how many are on track and how many have no data to be judged on yet (a quarter's first
    days), never "all on track" for key results that are too early to tell."""
    if off or risk:
        return _("{off} off track, {risk} at risk (of {count}) · {why}").format(
            off=format_count(off),
            risk=format_count(risk),
            count=format_count(count),
            why=reason_text(why),
        )
    if not count:
        return _("No key results yet.")
    if early == count:
        return ngettext("{count} too early to tell", "all {count} too early to tell", count).format(
            count=format_count(count)
        )
    if early:
        return _("{on} on track, {early} too early to tell").format(
            on=format_count(count - early), early=format_count(early)
        )
    return ngettext("{count} on track", "all {count} on track", count).format(
        count=format_count(count)
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def glance(versions: Versions, period: str, today: date, lang: str) -> Glance:
    """The quarter's objectives (progress, pace, status, key results off track or at risk) and
    its roadmap: counts per column, what is under way, what comes next, what shipped."""
    del lang
    goals = this_week.goals_summary(goals_data.period_goals(versions, period, today))
    first_day = quarter_bounds(period, app_config().settings.fiscal_year_start_month)[0]
    roadmap = summarise(
        roadmap_data.items(versions, RoadmapFilters(quarter=period), today),
        today=today,
        recent_days=(today - first_day).days,
    )
    table = None
    if not goals.empty:
        table = arrow.table(
            goals.assign(
                status=[f"{STATUS_ICONS[s]} {_(STATUS_LABELS[s])}" for s in goals["status"]],
                progress=[None if pd.isna(p) else round(100 * p) for p in goals["progress"]],
                expected=goals["expected"].map(share),
                attention=[
                    _key_results_text(o, r, e, n, why)
                    for o, r, e, n, why in zip(
                        goals["off_track"],
                        goals["at_risk"],
                        goals["too_early"],
                        goals["key_results"],
                        goals["status_reason"],
                        strict=True,
                    )
                ],
            )[["objective", "owner", "progress", "expected", "status", "attention"]]
        )
    return Glance(
        goals=table,
        counts={name: int(roadmap.counts[name]) for name in HORIZONS},
        now=_short_list(roadmap.now, "target_date"),
        coming_next=_short_list(roadmap.coming_next, "start_date"),
        shipped=_short_list(roadmap.shipped_recently, "shipped_date"),
    )
