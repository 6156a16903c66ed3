"""Why a kept row could not come back from the trash, in the reader's language.

The store words these reasons in English (`store.trash_rows`), and the audit trail keeps them so;
they are translated only where a person reads them: the Trash view's note after a restore and the
refusal of a record whose own parent is gone.
"""

from __future__ import annotations

from planning import i18n
from planning.i18n import N_, word_for
from planning.i18n import gettext as _
from planning.store.trash_rows import GONE, IDENTICAL, LEFT_OUT, NOTHING_KEPT, SAME_KEY

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
_FIELDS = {"record": "[a-z ]+", "id": r"\S+", "key": r"\{.*\}"}
_REASONS = tuple(
    (i18n.sentence_pattern(sentence, _FIELDS), sentence)
    for sentence in (GONE, SAME_KEY, IDENTICAL, NOTHING_KEPT)
)
_LEFT_OUT = i18n.sentence_pattern(LEFT_OUT, _FIELDS)


def _record(words: str) -> str:
    return word_for(RECORD_WORDS, words.replace(" ", "_"))


def reason_text(reason: str) -> str:
    """Why a kept row cannot be written back (as the store words it) in the reader's language;
    a reason of another shape reads as it is."""
    for shape, sentence in _REASONS:
        found = shape.fullmatch(reason)
        if found is not None:
            values = found.groupdict()
            if "record" in values:
                values["record"] = _record(values["record"])
            return _(sentence).format(**values)
    return reason


def not_restored_text(line: str) -> str:
    """One row a restore left out ("status update {'id': 4}: <reason>"), in the reader's
    language."""
    found = _LEFT_OUT.fullmatch(line)
    if found is None:
        return line
    return _(LEFT_OUT).format(
        record=_record(found["record"]), key=found["key"], reason=reason_text(found["reason"])
    )
