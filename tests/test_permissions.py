"""The predicates behind every write and every page that offers one (DESIGN §1): who may change a
record they own, who takes part at all, and who may drop an initiative in each status."""

from __future__ import annotations

import pytest

from planning.access.permissions import (
    PermissionDenied,
    can_contribute,
    can_drop_initiative,
    owns_or_directs,
    require_member_or_director,
    require_owner_or_director,
)
from planning.store.models import PersonRead, Role


def person(pid: int, role: Role, active: bool = True) -> PersonRead:
    return PersonRead(
        id=pid, version=1, name=f"P{pid}", email=f"p{pid}@x.test", role=role, active=active
    )


DIRECTOR = person(1, Role.director)
ANA = person(2, Role.member)
SUE = person(3, Role.stakeholder)
GONE = person(4, Role.member, active=False)
RETIRED = person(5, Role.director, active=False)


@pytest.mark.parametrize(
    ("actor", "owner_id", "allowed"),
    [
        (DIRECTOR, ANA.id, True),
        (ANA, ANA.id, True),
        (ANA, DIRECTOR.id, False),
        (SUE, SUE.id, False),  # a stakeholder owns nothing they may change
        (GONE, GONE.id, False),
        (RETIRED, RETIRED.id, False),
    ],
)
def test_owners_and_directors_change_a_record(
    actor: PersonRead, owner_id: int, allowed: bool
) -> None:
    assert owns_or_directs(actor, owner_id) is allowed
    if allowed:
        require_owner_or_director(actor, owner_id, "edit this")
    else:
        with pytest.raises(PermissionDenied):
            require_owner_or_director(actor, owner_id, "edit this")


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [(DIRECTOR, True), (ANA, True), (SUE, False), (GONE, False), (RETIRED, False)],
)
def test_active_members_and_directors_take_part(actor: PersonRead, allowed: bool) -> None:
    assert can_contribute(actor) is allowed
    if allowed:
        require_member_or_director(actor, "propose initiatives")
    else:
        with pytest.raises(PermissionDenied, match="Only team members and directors"):
            require_member_or_director(actor, "propose initiatives")


@pytest.mark.parametrize(
    ("actor", "owner_id", "status", "allowed"),
    [
        (DIRECTOR, ANA.id, "in_progress", True),
        (DIRECTOR, ANA.id, "idea", True),
        (ANA, ANA.id, "idea", True),  # withdrawing one's own idea
        (ANA, ANA.id, "planned", False),  # planned work is dropped by a director
        (ANA, ANA.id, "in_progress", False),
        (ANA, ANA.id, "dropped", False),
        (ANA, DIRECTOR.id, "idea", False),  # someone else's idea
        (SUE, SUE.id, "idea", False),
        (GONE, GONE.id, "idea", False),
    ],
)
def test_who_may_drop_an_initiative(
    actor: PersonRead, owner_id: int, status: str, allowed: bool
) -> None:
    assert can_drop_initiative(actor, owner_id, status) is allowed
