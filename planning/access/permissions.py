"""Who may change what (DESIGN §1), enforced in the domain: every write function asks here.

| role        | may change                                                    |
|-------------|---------------------------------------------------------------|
| director    | everything, including triaging ideas (accept to the backlog or |
|             | decline with a reason) and editing or withdrawing decisions   |
| member      | their own initiatives and KRs (status updates, check-ins), and |
|             | ideas they proposed                                           |
| stakeholder | nothing                                                       |

Anyone active may change how they themselves are notified (planning.notify.preferences); a
director may change anyone's.
"""

from __future__ import annotations

from planning import i18n
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.models import InitiativeStatus, Person, PersonRead, Role

Actor = Person | PersonRead


class PermissionDenied(Exception):
    """The acting person's role does not allow this change."""


def _refusal(sentence: str, action: str) -> str:
    """A refusal in the reader's language: `action` (a phrase marked with N_ by the caller,
    "create API tokens") completes `sentence`. An action not translated yet keeps the whole
    sentence in English rather than mixing two languages."""
    words = _(action)
    if words == action and i18n.language() != i18n.SOURCE_LANGUAGE:
        return sentence.format(action=action)
    return _(sentence).format(action=words)


def is_director(actor: Actor) -> bool:
    """Whether the person is an active director."""
    return actor.active and actor.role == Role.director


def require_director(actor: Actor, action: str) -> None:
    """Refuse unless the actor is a director."""
    if not is_director(actor):
        raise PermissionDenied(_refusal(N_("Only a director can {action}."), action))


def owns_or_directs(actor: Actor, owner_id: int | None) -> bool:
    """Whether the person may change a record owned by `owner_id`: an active director, or the
    active member who owns it."""
    if is_director(actor):
        return True
    return actor.active and actor.role == Role.member and owner_id == actor.id


def can_contribute(actor: Actor) -> bool:
    """Whether the person takes part (proposes ideas, owns work): an active member or director."""
    return actor.active and actor.role != Role.stakeholder


def can_drop_initiative(actor: Actor, owner_id: int | None, status: str) -> bool:
    """Whether the person may drop an initiative in `status`: a director any, a member only
    their own idea (withdrawing it); running work is dropped by a director."""
    if is_director(actor):
        return True
    return status == InitiativeStatus.idea and owns_or_directs(actor, owner_id)


def require_owner_or_director(actor: Actor, owner_id: int | None, action: str) -> None:
    """Refuse unless the actor is a director or an active member who owns the record."""
    if owns_or_directs(actor, owner_id):
        return
    if actor.role == Role.stakeholder:
        raise PermissionDenied(_refusal(N_("Stakeholders can read but not {action}."), action))
    raise PermissionDenied(_refusal(N_("Only the owner or a director can {action}."), action))


def require_self_or_director(actor: Actor, person_id: int, action: str) -> None:
    """Refuse unless the actor is a director or an active person acting on themselves."""
    if is_director(actor) or (actor.active and actor.id == person_id):
        return
    raise PermissionDenied(
        _refusal(N_("Only the person themselves or a director can {action}."), action)
    )


def require_member_or_director(actor: Actor, action: str) -> None:
    """Refuse stakeholders and inactive people."""
    if not can_contribute(actor):
        raise PermissionDenied(
            _refusal(N_("Only team members and directors can {action}."), action)
        )


def can_delegate_api_access(actor: Actor) -> bool:
    """Whether the API tokens a person created still act: a token carries its creator's
    authority, and only an active director may hand out API access, so a creator who is
    demoted or deactivated takes their tokens' access with them."""
    return is_director(actor)


def can_check_in(actor: Actor | None, key_result_owner_id: int | None) -> bool:
    """Whether a person may check in on a key result: its owner (an active member) or an active
    director; never a stakeholder or someone signed out. The Goals page shows the check-in form
    by it and ``post_check_in`` refuses by it."""
    return actor is not None and owns_or_directs(actor, key_result_owner_id)


def require_check_in(actor: Actor, key_result_owner_id: int | None) -> None:
    """Refuse a check-in unless ``can_check_in``."""
    if can_check_in(actor, key_result_owner_id):
        return
    action = N_("check in on this key result")
    if actor.role == Role.stakeholder:
        raise PermissionDenied(_refusal(N_("Stakeholders can read but not {action}."), action))
    raise PermissionDenied(_refusal(N_("Only the owner or a director can {action}."), action))
