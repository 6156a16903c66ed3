"""The decision log: dated one-line decisions by a director, optionally tied to an initiative."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlmodel import Session, col, select

from planning import clock
from planning.audit import record_created
from planning.initiatives import person_names
from planning.models import Decision, DecisionRead, Initiative
from planning.permissions import Actor, require_director
from planning.validation import InputError, clean_text

ENTITY = "decision"
TEXT_MAX = 2_000
COLUMNS = ["id", "decided_on", "text", "initiative_id", "initiative", "author", "created_at"]


def add_decision(
    *,
    session: Session,
    actor: Actor,
    decided_on: date,
    text: str,
    initiative_id: int | None = None,
    today: date | None = None,
) -> DecisionRead:
    """Log a decision (directors only); the day may not be in the future."""
    require_director(actor, "log decisions")
    problems: list[str] = []
    cleaned, found = clean_text(
        text, what="the decision", max_length=TEXT_MAX, required=True, multiline=True
    )
    problems += found
    today = today or clock.today()
    if not isinstance(decided_on, date):
        problems.append(f"decision day {decided_on!r} is not a date")
    elif decided_on > today:
        problems.append(f"decision day {decided_on} is in the future; log decisions once taken")
    if initiative_id is not None and session.get(Initiative, initiative_id) is None:
        problems.append(f"initiative {initiative_id} does not exist")
    if problems:
        raise InputError(problems)
    decision = Decision(
        decided_on=decided_on,
        text=cleaned,
        initiative_id=initiative_id,
        author_id=actor.id,  # type: ignore[arg-type]
    )
    record_created(session=session, actor=actor, entity=ENTITY, record=decision)
    session.flush()
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
        }
        for d, title in session.exec(query).all()
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
