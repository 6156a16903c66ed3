"""Each person's language: who reads Quarterdeck in which language.

A person changes their own; a director changes anyone's. Every change is audited. A person with
no choice stored reads the team's language (settings.yaml `locale`).
"""

from __future__ import annotations

from sqlmodel import Session, select

from planning.access.permissions import Actor
from planning.access.person_settings import save_person_setting
from planning.i18n import LANGUAGES, N_, known_language
from planning.i18n import gettext as _
from planning.store.models_locale import PersonLanguage

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
    problems = []
    if not known_language(language):
        problems.append(
            _("language must be one of {languages}, not {language}").format(
                languages=", ".join(LANGUAGES), language=repr(language)
            )
        )
    save_person_setting(
        session=session,
        actor=actor,
        person_id=person_id,
        model=PersonLanguage,
        entity=ENTITY,
        doing=N_("change someone's language"),
        values={"language": language},
        problems=problems,
    )
    return language
