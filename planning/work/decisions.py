"""The decision log: dated one-line decisions by a director, optionally tied to an initiative.

A director can edit a decision (checked against the version they read) or withdraw it; a
withdrawn decision stays in the log, marked as withdrawn, and every change is audited.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from planning import clock
from planning.access.permissions import Actor, require_director
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.audit import record_changed, record_created, snapshot
from planning.store.models import Decision, DecisionRead, Initiative
from planning.store.versioning import check_and_bump
from planning.validation import InputError, clean_text
from planning.work.initiative_reads import person_names

ENTITY = "decision"
TEXT_MAX = 2_000
# The same decision logged again this soon by the same person is a repeated submit, not a second
# decision: logging it returns the first one.
REPEAT_WINDOW = timedelta(seconds=10)
COLUMNS = [
    "id",
    "decided_on",
    "text",
    "initiative_id",
    "initiative",
    "author",
    "created_at",
    "version",
    "withdrawn",
]


def add_decision(
    *,
    session: Session,
    actor: Actor,
    decided_on: date,
    text: str,
    initiative_id: int | None = None,
    today: date | None = None,
) -> DecisionRead:
    """Log a decision (directors only); the day may not be in the future. The same decision
    sent again within seconds by the same person (a double click) returns the first one."""
    require_director(actor, N_("log decisions"))
    cleaned, problems = _check_fields(session, text, decided_on, initiative_id, today)
    if problems:
        raise InputError(problems)
    repeated = session.exec(
        select(Decision).where(
            Decision.author_id == actor.id,
            Decision.text == cleaned,
            Decision.decided_on == decided_on,
            Decision.initiative_id == initiative_id,
            col(Decision.withdrawn_at).is_(None),
            col(Decision.created_at) >= clock.utcnow() - REPEAT_WINDOW,
        )
    ).first()
    if repeated is not None:
        return DecisionRead.model_validate(repeated)
    decision = Decision(
        decided_on=decided_on,
        text=cleaned,
        initiative_id=initiative_id,
        author_id=actor.id,  # type: ignore[arg-type]
    )
    record_created(session=session, actor=actor, entity=ENTITY, record=decision)
    session.flush()
    return DecisionRead.model_validate(decision)


def _check_fields(
    session: Session, text: str, decided_on: date, initiative_id: int | None, today: date | None
) -> tuple[str, list[str]]:
    """A decision's text cleaned, and every problem with its text, day (not after `today`,
    default the team's today) and initiative."""
    problems: list[str] = []
    cleaned, found = clean_text(
        text, what=N_("the decision"), max_length=TEXT_MAX, required=True, multiline=True
    )
    problems += found
    if not isinstance(decided_on, date):
        problems.append(_("decision day {day} is not a date").format(day=repr(decided_on)))
    elif decided_on > (today or clock.today()):
        problems.append(
            _("decision day {day} is in the future; log decisions once taken").format(
                day=decided_on
            )
        )
    if initiative_id is not None and session.get(Initiative, initiative_id) is None:
        problems.append(_("initiative {id} does not exist").format(id=initiative_id))
    return cleaned, problems


def _load(session: Session, decision_id: int) -> Decision:
    decision = session.get(Decision, decision_id, with_for_update=True)
    if decision is None:
        raise InputError([_("decision {id} does not exist").format(id=decision_id)])
    return decision


def edit_decision(
    *,
    session: Session,
    actor: Actor,
    decision_id: int,
    text: str,
    decided_on: date,
    initiative_id: int | None,
    expected_version: int,
    today: date | None = None,
) -> DecisionRead:
    """Change a decision's text, day or initiative (directors only; not once withdrawn)."""
    require_director(actor, N_("edit decisions"))
    decision = _load(session, decision_id)
    cleaned, problems = _check_fields(session, text, decided_on, initiative_id, today)
    if decision.withdrawn_at is not None:
        problems.insert(0, _("this decision was withdrawn; log a new one instead"))
    if problems:
        raise InputError(problems)
    before = snapshot(decision)
    check_and_bump(decision, expected_version=expected_version, what=_("This decision"))
    decision.text = cleaned
    decision.decided_on = decided_on
    decision.initiative_id = initiative_id
    return _saved(session, actor, decision, "update", before)


def withdraw_decision(
    *, session: Session, actor: Actor, decision_id: int, expected_version: int
) -> DecisionRead:
    """Mark a decision withdrawn (directors only): it stays in the log, shown as withdrawn."""
    require_director(actor, N_("withdraw decisions"))
    decision = _load(session, decision_id)
    if decision.withdrawn_at is not None:
        raise InputError([_("this decision is already withdrawn")])
    before = snapshot(decision)
    check_and_bump(decision, expected_version=expected_version, what=_("This decision"))
    decision.withdrawn_at = clock.utcnow()
    decision.withdrawn_by = actor.id
    return _saved(session, actor, decision, "withdraw", before)


def _saved(
    session: Session, actor: Actor, decision: Decision, action: str, before: dict[str, Any] | None
) -> DecisionRead:
    """Write a changed decision and its audit event (before and after)."""
    record_changed(
        session=session,
        actor=actor,
        entity=ENTITY,
        record=decision,
        action=action,
        before=before,
    )
    return DecisionRead.model_validate(decision)


def list_decisions(
    *,
    session: Session,
    initiative_id: int | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Decisions, newest day first (optionally those of one initiative, at most `limit`)."""
    query = select(Decision, Initiative.title).join(
        Initiative, col(Initiative.id) == col(Decision.initiative_id), isouter=True
    )
    if initiative_id is not None:
        query = query.where(Decision.initiative_id == initiative_id)
    query = query.order_by(col(Decision.decided_on).desc(), col(Decision.id).desc())
    if limit is not None:
        query = query.limit(limit)
    names = person_names(session=session)
    rows = [
        {
            "id": d.id,
            "decided_on": d.decided_on,
            "text": d.text,
            "initiative_id": d.initiative_id,
            "initiative": title or "",
            "author": names.get(d.author_id, f"#{d.author_id}"),
            "created_at": d.created_at,
            "version": d.version,
            "withdrawn": d.withdrawn_at is not None,
        }
        for d, title in session.exec(query).all()
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
