"""The trash: a deleted initiative, key result or objective leaves the store with its links and
comes back with them within 30 days; what cannot come back is named; after 30 days it is gone for
good; archived goals wait the same 30 days; who may delete and restore (worked examples on the
pinned day 2026-11-26, so an item deleted that day goes for good on 2026-12-26)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.okrs import goals
from planning.okrs.goal_rules import GoalError
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    CheckIn,
    Decision,
    Initiative,
    InitiativeDependency,
    InitiativeKeyResult,
    KeyResult,
    Objective,
    PeriodClose,
    PersonRead,
    StatusUpdate,
)
from planning.store.models_trash import TrashItem, TrashItemRead
from planning.store.versioning import ConflictError
from planning.trash.bin import (
    Restored,
    delete_initiative,
    delete_key_result,
    delete_objective,
    purge_expired_trash,
    restore_from_trash,
)
from planning.trash.listing import trash_entries
from planning.trash.reasons import not_restored_text
from planning.validation import InputError
from planning.work.initiatives import update_initiative
from tests.planning_seed import Team, add_initiative, count, seed_team, store_state

DAY = date(2026, 11, 26)


def _version(engine: Engine, model: type[Any], record_id: int) -> int:
    with Session(read_engine(engine)) as session:
        record = session.get(model, record_id)
        assert record is not None
        return int(record.version)


_DELETES: dict[type[Any], tuple[Callable[..., TrashItemRead], str]] = {
    Initiative: (delete_initiative, "initiative_id"),
    KeyResult: (delete_key_result, "key_result_id"),
    Objective: (delete_objective, "objective_id"),
}


def _delete(
    engine: Engine, actor: PersonRead, model: type[Any], record_id: int, version: int | None = None
) -> TrashItemRead:
    """Delete a record as `actor` on DAY, at `version` or else the version the store holds."""
    delete, id_field = _DELETES[model]
    if version is None:
        version = _version(engine, model, record_id)
    target = {id_field: record_id}
    with session_scope(engine) as session:
        return delete(session=session, actor=actor, expected_version=version, today=DAY, **target)


def _restore(engine: Engine, actor: PersonRead, item_id: int, today: date = DAY) -> Restored:
    with session_scope(engine) as session:
        return restore_from_trash(session=session, actor=actor, trash_item_id=item_id, today=today)


def _world(engine: Engine) -> tuple[Team, int, int]:
    """The seeded team, an initiative linked to two key results with a blocker, a status update,
    a decision and a check-in on one of its key results; returns (team, initiative, blocker)."""
    team = seed_team(engine)
    work = add_initiative(engine, title="One-page checkout", owner_id=team.ana.id, status="planned")
    blocker = add_initiative(engine, title="Payment API", owner_id=team.ben.id, status="planned")
    with session_scope(engine) as session:
        session.add_all(
            [
                InitiativeKeyResult(initiative_id=work, key_result_id=team.kr_conversion),
                InitiativeKeyResult(initiative_id=work, key_result_id=team.kr_aov),
                InitiativeDependency(blocker_id=blocker, blocked_id=work),
                StatusUpdate(
                    initiative_id=work,
                    status="planned",
                    health="on_track",
                    percent_complete=0,
                    note="Kicked off",
                    author_id=team.ana.id,
                ),
                Decision(
                    decided_on=DAY,
                    text="Ship behind a flag",
                    initiative_id=work,
                    author_id=team.director.id,
                ),
                CheckIn(
                    key_result_id=team.kr_conversion,
                    confidence=7,
                    note="Fine",
                    author_id=team.director.id,
                ),
            ]
        )
    return team, work, blocker


def _links(engine: Engine, initiative_id: int) -> list[int]:
    with Session(read_engine(engine)) as session:
        return sorted(
            link.key_result_id
            for link in session.exec(
                select(InitiativeKeyResult).where(
                    InitiativeKeyResult.initiative_id == initiative_id
                )
            )
        )


def test_a_deleted_initiative_waits_30_days_and_comes_back_with_its_links(engine: Engine) -> None:
    team, work, blocker = _world(engine)
    before = store_state(engine)
    item = _delete(engine, team.director, Initiative, work)
    assert item.purge_on == date(2026, 12, 26)
    assert count(engine, InitiativeDependency) == 0 and count(engine, StatusUpdate) == 0
    assert _links(engine, work) == []
    with Session(read_engine(engine)) as session:
        assert session.get(Initiative, work) is None
        [decision] = session.exec(select(Decision)).all()
        assert decision.initiative_id is None  # the decision stays, unlinked
        [entry] = [e for e in trash_entries(session=session, today=DAY) if e.how == "Deleted"]
    assert (entry.kind, entry.title, entry.how) == ("Initiative", "One-page checkout", "Deleted")
    assert (entry.since, entry.gone_on, entry.by) == (DAY, date(2026, 12, 26), "Dora Director")

    restored = _restore(engine, team.director, item.id, today=date(2026, 12, 25))
    assert restored.not_restored == ()
    assert _links(engine, work) == sorted([team.kr_conversion, team.kr_aov])
    with Session(read_engine(engine)) as session:
        assert session.get(Initiative, work) is not None
        [dependency] = session.exec(select(InitiativeDependency)).all()
        assert (dependency.blocker_id, dependency.blocked_id) == (blocker, work)
        assert [u.note for u in session.exec(select(StatusUpdate))] == ["Kicked off"]
        assert session.exec(select(Decision)).one().initiative_id == work
    assert count(engine, TrashItem) == 0
    after = store_state(engine)
    # Everything is as before, but the initiative's version, bumped by the delete.
    for row in after["initiatives"]:
        row.pop("version")
    for row in before["initiatives"]:
        row.pop("version")
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }


def test_an_objective_goes_with_its_key_results_check_ins_and_links(engine: Engine) -> None:
    team, work, _ = _world(engine)
    item = _delete(engine, team.director, Objective, team.checkout)
    with Session(read_engine(engine)) as session:
        left = {kr.title for kr in session.exec(select(KeyResult))}
    assert left == {"AOV $92→$100", "Old KR"}
    assert count(engine, CheckIn) == 0
    assert _links(engine, work) == [team.kr_aov]
    _restore(engine, team.director, item.id)
    assert count(engine, KeyResult) == 4 and count(engine, CheckIn) == 1
    assert _links(engine, work) == sorted([team.kr_conversion, team.kr_aov])


def test_a_link_whose_other_end_is_gone_is_named_and_the_rest_comes_back(engine: Engine) -> None:
    team, work, _ = _world(engine)
    item = _delete(engine, team.director, Initiative, work)
    _delete(engine, team.director, KeyResult, team.kr_aov)
    restored = _restore(engine, team.director, item.id)
    [why] = restored.not_restored
    assert why == (
        f"initiative key result {{'initiative_id': {work}, 'key_result_id': {team.kr_aov}}}: "
        f"the key result {team.kr_aov} it refers to is gone"
    )
    assert _links(engine, work) == [team.kr_conversion]
    # The audit trail keeps the English; the Trash view says it in the reader's language.
    assert not_restored_text(why) == why
    with i18n.use_locale("de"):
        assert not_restored_text(why) == (
            "Verknüpfung Initiative–Schlüsselergebnis "
            f"{{'initiative_id': {work}, 'key_result_id': {team.kr_aov}}}: der Datensatz "
            f"Schlüsselergebnis {team.kr_aov}, auf den er verweist, ist nicht mehr da"
        )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "cannot be restored: the objective {id} it refers to is gone; restore that first"),
        ("de", "der Datensatz Objective {id}, auf den er verweist, ist nicht mehr da"),
    ],
)
def test_a_key_result_whose_objective_is_in_the_trash_waits_for_it(
    engine: Engine, language: str, words: str
) -> None:
    team, _, _ = _world(engine)
    kr_item = _delete(engine, team.director, KeyResult, team.kr_conversion)
    _delete(engine, team.director, Objective, team.checkout)
    before = store_state(engine)
    with i18n.use_locale(language), pytest.raises(InputError) as refused:
        _restore(engine, team.director, kr_item.id)
    assert words.format(id=team.checkout) in str(refused.value)
    assert store_state(engine) == before


def test_after_30_days_it_is_gone_for_good(engine: Engine) -> None:
    team, work, _ = _world(engine)
    item = _delete(engine, team.director, Initiative, work)
    gone_day = date(2026, 12, 26)
    with Session(read_engine(engine)) as session:
        # Gone from the list even before the purge runs (the seed's archived "Old KR" too).
        assert trash_entries(session=session, today=gone_day) == []
    with pytest.raises(InputError, match="deleted for good on 26 Dec 2026"):
        _restore(engine, team.director, item.id, today=gone_day)
    with session_scope(engine) as session:
        assert purge_expired_trash(session=session, today=date(2026, 12, 25)) == []
        assert purge_expired_trash(session=session, today=gone_day) == [
            "Initiative “One-page checkout”",
            "Key result “Old KR”",
        ]
    assert count(engine, TrashItem) == 0


def test_an_archived_key_result_waits_30_days_from_its_archive_day(
    engine: Engine, config: AppConfig
) -> None:
    team, work, _ = _world(engine)
    with session_scope(engine) as session:
        goals.archive_key_result(
            session=session,
            actor=team.director,
            key_result_id=team.kr_conversion,
            expected_version=_version(engine, KeyResult, team.kr_conversion),
            config=config.metrics,
        )
    with Session(read_engine(engine)) as session:
        entries = trash_entries(session=session, today=DAY)
    archived = {e.title: e for e in entries}
    assert archived["Conversion 2.1→2.4 %"].how == "Archived"
    assert archived["Conversion 2.1→2.4 %"].gone_on == date(2026, 12, 26)
    with session_scope(engine) as session:
        gone = purge_expired_trash(session=session, today=date(2026, 12, 26))
    assert "Key result “Conversion 2.1→2.4 %”" in gone
    assert _links(engine, work) == [team.kr_aov]
    with Session(read_engine(engine)) as session:
        assert session.get(KeyResult, team.kr_conversion) is None


def test_a_closed_quarter_is_frozen(engine: Engine) -> None:
    team, _, _ = _world(engine)
    with session_scope(engine) as session:
        session.add(
            PeriodClose(period="2026-Q2", as_of=date(2026, 6, 30), closed_by=team.director.id)
        )
    with pytest.raises(GoalError, match="closed"):
        _delete(engine, team.director, Objective, team.basket)
    with session_scope(engine) as session:
        assert purge_expired_trash(session=session, today=date(2030, 1, 1)) == []
    assert count(engine, KeyResult) == 4  # the archived "Old KR" of the closed quarter stays


def test_who_may_delete_and_restore(engine: Engine) -> None:
    team = seed_team(engine)
    idea = add_initiative(engine, title="Ana's idea", owner_id=team.ana.id, status="idea")
    running = add_initiative(engine, title="Ana's work", owner_id=team.ana.id, status="planned")
    before = store_state(engine)
    refused: list[tuple[PersonRead, type[Any], int, str]] = [
        (team.ana, Initiative, running, "past the idea stage"),
        (team.ben, Initiative, idea, "owner or a director"),
        (team.sue, Initiative, idea, "Stakeholders"),
        (team.ana, Objective, team.checkout, "director"),
        (team.ana, KeyResult, team.kr_aov, "director"),
    ]
    for actor, model, record_id, message in refused:
        with pytest.raises(PermissionDenied, match=message):
            _delete(engine, actor, model, record_id, version=1)
    with pytest.raises(ConflictError):
        _delete(engine, team.ana, Initiative, idea, version=7)
    assert store_state(engine) == before
    item = _delete(engine, team.ana, Initiative, idea, version=1)
    with pytest.raises(PermissionDenied):
        _restore(engine, team.ben, item.id)
    _restore(engine, team.ana, item.id)
    assert count(engine, Initiative) == 2


def test_saving_what_someone_moved_to_the_trash_says_so_and_writes_nothing(
    engine: Engine, config: AppConfig
) -> None:
    team, work, _blocker = _world(engine)
    opened = _version(engine, Initiative, work)  # Ana opens her initiative's forms
    _delete(engine, team.director, Initiative, work)
    _delete(engine, team.director, KeyResult, team.kr_conversion)
    before = store_state(engine)
    with pytest.raises(InputError) as edit, session_scope(engine) as session:
        update_initiative(
            session=session,
            actor=team.ana,
            config=config,
            initiative_id=work,
            expected_version=opened,
            changes={"title": "One-page checkout, v2"},
        )
    assert list(edit.value.problems) == [
        "“One-page checkout” was moved to the trash by Dora Director on 26 Nov 2026 while you "
        "had it open, so nothing was saved. It can be restored from the Trash (on the "
        "Initiatives page) and edited again; it is gone for good on 26 Dec 2026."
    ]
    with (
        i18n.use_locale("de"),
        pytest.raises(GoalError) as check_in,
        session_scope(engine) as session,
    ):
        goals.post_check_in(
            session=session,
            actor=team.director,
            key_result_id=team.kr_conversion,
            confidence=7,
            note="Still on course",
        )
    assert list(check_in.value.problems) == [
        "„Conversion 2.1→2.4 %“ wurde von Dora Director am 26. Nov. 2026 in den Papierkorb "
        "verschoben, während Sie es geöffnet hatten; deshalb wurde nichts gespeichert. Sie "
        "können es aus dem Papierkorb (auf der Seite Initiativen) wiederherstellen und erneut "
        "bearbeiten; am 26. Dez. 2026 ist es endgültig weg."
    ]
    assert store_state(engine) == before
