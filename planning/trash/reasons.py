"""Why a kept row could not come back from the trash, in the reader's language.

The store words these reasons in English (`store.trash_rows`), and the audit trail keeps them so;
they are translated only where a person reads them: the Trash view's note after a restore and the
refusal of a record whose own parent is gone.
"""

from __future__ import annotations

import re

from planning.i18n import N_, word_for
from planning.i18n import gettext as _

# The records a deleted objective, key result or initiative keeps, and those they refer to, by
# table; written in English as the table's name with spaces.
RECORD_WORDS = {
    "check_in": N_("check in"),
    "decision": N_("decision"),
    "initiative": N_("initiative"),
    "initiative_dependency": N_("initiative dependency"),
    "initiative_key_result": N_("initiative key result"),
    "key_result": N_("key result"),
    "kr_contribution": N_("kr contribution"),
    "kr_grade": N_("kr grade"),
    "objective": N_("objective"),
    "objective_alignment": N_("objective alignment"),
    "period_close": N_("period close"),
    "person": N_("person"),
    "status_update": N_("status update"),
}
_SAME = {
    "a record with the same key exists": N_("a record with the same key exists"),
    "an identical record exists": N_("an identical record exists"),
    "nothing was kept": N_("nothing was kept"),
}
_GONE = re.compile(r"the (?P<record>[a-z ]+) (?P<id>\S+) it refers to is gone")
_ROW = re.compile(r"(?P<record>[a-z ]+) (?P<key>\{.*\}): (?P<reason>.+)", re.DOTALL)


def _record(words: str) -> str:
    return word_for(RECORD_WORDS, words.replace(" ", "_"))


def reason_text(reason: str) -> str:
    """Why a kept row cannot be written back (as the store words it) in the reader's language;
    a reason of another shape reads as it is."""
    if reason in _SAME:
        return _(_SAME[reason])
    if found := _GONE.fullmatch(reason):
        return _("the {record} {id} it refers to is gone").format(
            record=_record(found["record"]), id=found["id"]
        )
    return reason


def not_restored_text(line: str) -> str:
    """One row a restore left out ("status update {'id': 4}: <reason>"), in the reader's
    language."""
    found = _ROW.fullmatch(line)
    if found is None:
        return line
    return _("{record} {key}: {reason}").format(
        record=_record(found["record"]), key=found["key"], reason=reason_text(found["reason"])
    )
