"""Each person's language: who reads Quarterdeck in which language.

A person changes their own; a director changes anyone's. Every change is audited. A person with
no choice stored reads the team's language (settings.yaml `locale`).
"""

from __future__ import annotations

from sqlmodel import Session, select

from planning.access.permissions import Actor, require_self_or_director
from planning.i18n import LANGUAGES, N_, known_language
from planning.i18n import gettext as _
from planning.store.audit import record_event, snapshot
from planning.store.models import Person, utcnow
from planning.store.models_locale import PersonLanguage
from planning.validation import InputError

ENTITY = "person_language"


def language_of(*, session: Session, person_id: int) -> str | None:
    """The language a person chose, or None when they read the team's."""
    row = session.get(PersonLanguage, person_id)
    return row.language if row is not None else None


def all_languages(*, session: Session) -> dict[int, str]:
    """Every stored choice by person id (people missing here read the team's language)."""
    return {row.person_id: row.language for row in session.exec(select(PersonLanguage)).all()}


def set_language(*, session: Session, actor: Actor, person_id: int, language: str) -> str:
    """Store the language a person reads Quarterdeck in (themselves or a director); audited."""
    require_self_or_director(actor, person_id, N_("change someone's language"))
    problems = []
    if session.get(Person, person_id) is None:
        problems.append(_("there is no person with id {id}").format(id=person_id))
    if not known_language(language):
        problems.append(
            _("language must be one of {languages}, not {language}").format(
                languages=", ".join(LANGUAGES), language=repr(language)
            )
        )
    if problems:
        raise InputError(problems)
    row = session.get(PersonLanguage, person_id, with_for_update=True)
    before = snapshot(row)
    if row is None:
        row = PersonLanguage(person_id=person_id, language=language)
    else:
        row.version += 1
    row.language = language
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=person_id,
        action="create" if before is None else "update",
        before=before,
        after=snapshot(row),
    )
    return language
