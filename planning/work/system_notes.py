"""The notes Quarterdeck itself writes on an initiative's history: a status moved by an edit or
by undoing a save of the planning table, a health set by a bulk edit, and the reason a person gave
to drop work or to decline an idea (with the note on an accepted idea).

They are stored as English sentences, as they always were, so every existing store, the digest
and This week's triage outcomes keep reading them unchanged. `note_text` recognises each of those
sentences (whole, with the statuses and health it may name) and writes it in the reader's
language; any other note, one a person typed, reads as written. A reason or a name inside a
sentence is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from planning import i18n
from planning.i18n import N_, ngettext
from planning.i18n import gettext as _
from planning.work.initiative_status import HEALTH_LABELS, STATUS_LABELS, status_label

STATUS_CHANGED = N_("Status changed from {old} to {new} by {name}.")
STATUS_UNDONE = N_(
    "Status changed from {old} to {new} by {name} (undoing a save of the planning table)."
)
DROPPED = N_("Dropped: {reason}")
ACCEPTED = N_("Idea accepted to the backlog by {name}.")
DECLINED = N_("Idea declined: {reason}")
# How This week finds a director's triage of an idea among the stored notes.
ACCEPTED_NOTE = ACCEPTED.removesuffix(" by {name}.")
DECLINED_PREFIX = DECLINED.removesuffix("{reason}")


# --- the stored sentences (English, whoever writes them) -----------------------------------------


def status_changed(old: str, new: str, name: str, *, undoing: bool = False) -> str:
    """The note on a status moved by an edit (or by undoing a planning table's save)."""
    sentence = STATUS_UNDONE if undoing else STATUS_CHANGED
    return sentence.format(old=status_label(old), new=status_label(new), name=name)


def _health_sentence(count: int) -> str:
    return ngettext(
        "Health changed from {old} to {new} by {name} (bulk edit of {count} initiative; "
        "status {status}).",
        "Health changed from {old} to {new} by {name} (bulk edit of {count} initiatives; "
        "status {status}).",
        count,
    )


def health_changed(old: str, new: str, name: str, *, count: int, status: str) -> str:
    """The note on a health set by a bulk edit of `count` initiatives."""
    with i18n.use_locale(i18n.SOURCE_LANGUAGE):
        sentence = _health_sentence(count)
    return sentence.format(
        old=HEALTH_LABELS.get(old, old),
        new=HEALTH_LABELS.get(new, new),
        name=name,
        count=count,
        status=status_label(status),
    )


def dropped(reason: str) -> str:
    """The note on dropped work, with the reason given."""
    return DROPPED.format(reason=reason)


def accepted(name: str) -> str:
    """The note on an idea a director accepted to the backlog."""
    return ACCEPTED.format(name=name)


def declined(reason: str) -> str:
    """The note on an idea a director declined, with the reason given."""
    return DECLINED.format(reason=reason)


# --- read back in the reader's language -------------------------------------------------------


def _either(labels: Iterable[str]) -> str:
    return "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))


_FIELDS: dict[str, str | None] = {
    "old": None,  # status or health: set per sentence
    "new": None,
    "status": _either(STATUS_LABELS.values()),
    "name": ".+?",
    "reason": ".+",
    "count": r"[\d,]+",
}


def _shape(sentence: str, labels: Iterable[str]) -> re.Pattern[str]:
    """A stored sentence as a pattern: each field what it may hold (old and new: `labels`)."""
    either = _either(labels)
    return i18n.sentence_pattern(sentence, {name: held or either for name, held in _FIELDS.items()})


def _labels(found: re.Match[str], *fields: str) -> dict[str, str]:
    """The statuses or health a sentence names, in the reader's language."""
    return {field: _(found[field]) for field in fields}


def _statuses(sentence: str) -> Callable[[re.Match[str]], str]:
    def words(found: re.Match[str]) -> str:
        return _(sentence).format(name=found["name"], **_labels(found, "old", "new"))

    return words


def _health(found: re.Match[str]) -> str:
    count = int(found["count"].replace(",", ""))
    return _health_sentence(count).format(
        name=found["name"],
        count=i18n.decimal_text(count),
        **_labels(found, "old", "new", "status"),
    )


def _reason(sentence: str) -> Callable[[re.Match[str]], str]:
    return lambda found: _(sentence).format(**found.groupdict())


_STATUS_WORDS = list(STATUS_LABELS.values())
_HEALTH_WORDS = list(HEALTH_LABELS.values())
with i18n.use_locale(i18n.SOURCE_LANGUAGE):
    _HEALTH_BULK = (_health_sentence(1), _health_sentence(2))
# The undo's sentence before the edit's: the edit's {name} would also take the undo's tail.
_SHAPES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_shape(STATUS_UNDONE, _STATUS_WORDS), _statuses(STATUS_UNDONE)),
    (_shape(STATUS_CHANGED, _STATUS_WORDS), _statuses(STATUS_CHANGED)),
    *((_shape(sentence, _HEALTH_WORDS), _health) for sentence in _HEALTH_BULK),
    (_shape(DROPPED, ()), _reason(DROPPED)),
    (_shape(ACCEPTED, ()), _reason(ACCEPTED)),
    (_shape(DECLINED, ()), _reason(DECLINED)),
)


def note_text(note: str) -> str:
    """A stored note in the reader's language: the app's own sentences translated (names and
    reasons in them as written), a person's note as written; English reads every note as
    stored."""
    if not note or i18n.language() == i18n.SOURCE_LANGUAGE:
        return note
    for shape, words in _SHAPES:
        found = shape.fullmatch(note)
        if found is not None:
            return words(found)
    return note
