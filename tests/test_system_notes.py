"""The notes Quarterdeck writes on an initiative's history are stored in English, as before, and
read in the reader's language: a German reader sees them in German on the initiative's updates
and audit trail, an English reader as stored; a note a person typed reads as written."""

from __future__ import annotations

import pytest

from planning import i18n
from planning.work import system_notes
from planning.work.initiative_reads import describe_changes
from planning.work.system_notes import note_text

STORED = {
    "edit": system_notes.status_changed("in_progress", "done", "Dora Director"),
    "undo": system_notes.status_changed("done", "planned", "Dora Director", undoing=True),
    "bulk one": system_notes.health_changed(
        "on_track", "at_risk", "Dora Director", count=1, status="blocked"
    ),
    "bulk many": system_notes.health_changed(
        "off_track", "on_track", "Dora Director", count=3, status="in_progress"
    ),
    "dropped": system_notes.dropped("No lift after four weeks; by design."),
    "accepted": system_notes.accepted("Dora Director"),
    "declined": system_notes.declined("Out of scope this year"),
}


def test_the_app_writes_its_notes_in_english_whoever_reads() -> None:
    with i18n.use_locale("de"):
        written = {
            "edit": system_notes.status_changed("in_progress", "done", "Dora Director"),
            "bulk many": system_notes.health_changed(
                "off_track", "on_track", "Dora Director", count=3, status="in_progress"
            ),
        }
    assert written == {
        "edit": "Status changed from In progress to Done by Dora Director.",
        "bulk many": "Health changed from Off track to On track by Dora Director "
        "(bulk edit of 3 initiatives; status In progress).",
    }
    assert STORED["undo"] == (
        "Status changed from Done to Planned by Dora Director "
        "(undoing a save of the planning table)."
    )
    assert STORED["bulk one"].endswith("(bulk edit of 1 initiative; status Blocked).")
    assert STORED["dropped"] == "Dropped: No lift after four weeks; by design."
    assert STORED["accepted"].startswith(system_notes.ACCEPTED_NOTE)
    assert STORED["declined"].startswith(system_notes.DECLINED_PREFIX)


def test_english_reads_every_note_as_stored() -> None:
    assert {kind: note_text(note) for kind, note in STORED.items()} == STORED


def test_german_reads_the_apps_notes_in_german_with_names_and_reasons_as_written() -> None:
    with i18n.use_locale("de"):
        shown = {kind: note_text(note) for kind, note in STORED.items()}
    assert shown == {
        "edit": "Dora Director hat den Status von In Arbeit auf Erledigt geändert.",
        "undo": "Dora Director hat den Status von Erledigt auf Geplant geändert und damit ein "
        "Speichern der Planungstabelle rückgängig gemacht.",
        "bulk one": "Dora Director hat den Zustand von Im Plan auf Gefährdet geändert "
        "(Sammelbearbeitung von 1 Initiative; Status Blockiert).",
        "bulk many": "Dora Director hat den Zustand von Nicht im Plan auf Im Plan geändert "
        "(Sammelbearbeitung von 3 Initiativen; Status In Arbeit).",
        "dropped": "Verworfen: No lift after four weeks; by design.",
        "accepted": "Idee von Dora Director in den Backlog übernommen.",
        "declined": "Idee abgelehnt: Out of scope this year",
    }


@pytest.mark.parametrize(
    "typed",
    [
        "Status changed from our side: waiting on legal.",  # not the app's sentence
        "Status changed from Idea to Someday by Ana.",  # not a status the app has
        "Shipped to 10% of traffic.",
        "",
    ],
)
def test_a_note_a_person_typed_reads_as_written(typed: str) -> None:
    with i18n.use_locale("de"):
        assert note_text(typed) == typed


def test_the_audit_trail_reads_the_apps_note_in_the_readers_language() -> None:
    before = {"status": "in_progress", "note": ""}
    after = {"status": "dropped", "note": STORED["dropped"]}
    assert describe_changes(before, after) == (
        "status: In progress → Dropped; note: Dropped: No lift after four weeks; by design."
    )
    with i18n.use_locale("de"):
        assert describe_changes(before, after) == (
            "Status: In Arbeit → Verworfen; Notiz: Verworfen: No lift after four weeks; by design."
        )
