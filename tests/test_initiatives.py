"""Initiatives on the store (SQLite and PostgreSQL): who may create and change what, status
moves and their effects, status updates with history, optimistic versioning, the audit trail,
and reads with filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.store.engine import PLAN, data_versions, read_engine, session_scope
from planning.store.models import (
    AuditEvent,
    Initiative,
    InitiativeKeyResult,
    InitiativeRead,
    PersonRead,
    StatusUpdate,
)
from planning.store.versioning import ConflictError
from planning.validation import InputError
from planning.work.backlog import initiative_scores
from planning.work.initiative_input import InitiativeDraft, NewStatusUpdate
from planning.work.initiative_reads import (
    InitiativeDetail,
    describe_changes,
    initiative_detail,
    initiative_titles,
    key_result_ids,
    list_initiatives,
)
from planning.work.initiative_status import allowed_statuses, transition_problem
from planning.work.initiatives import (
    assign_owner,
    change_status,
    create_initiative,
    link_key_result,
    set_expected_lift,
    unlink_key_result,
    update_initiative,
)
from planning.work.status_updates import (
    accept_idea,
    decline_idea,
    drop_initiative,
    post_status_update,
)
from tests.concurrency_support import second_writer_waits
from tests.planning_seed import Team, add_initiative, seed_team, store_state, stored_initiative

TODAY = date(2026, 5, 20)
RICE = {"reach": 2000, "impact": 2, "confidence": 0.8}


@pytest.fixture
def team(engine: Engine) -> Team:
    return seed_team(engine)


def create(engine: Engine, config: AppConfig, actor: PersonRead, **fields: Any) -> InitiativeRead:
    draft = InitiativeDraft(**{"title": "Guest checkout", "owner_id": actor.id, **fields})
    with session_scope(engine) as session:
        return create_initiative(
            session=session, actor=actor, config=config, draft=draft, today=TODAY
        )


def update(
    engine: Engine,
    config: AppConfig,
    actor: PersonRead,
    initiative_id: int,
    version: int,
    **kw: Any,
) -> InitiativeRead:
    edit = {"changes": kw, "today": TODAY}
    return act(engine, update_initiative, actor, config, initiative_id, version, **edit)


def post(
    engine: Engine,
    actor: PersonRead,
    initiative_id: int,
    status: str,
    health: str = "on_track",
    percent: int = 10,
    note: str = "Moving along.",
    version: int | None = None,
) -> None:
    with session_scope(engine) as session:
        post_status_update(
            session=session,
            actor=actor,
            initiative_id=initiative_id,
            update=NewStatusUpdate(status, health, percent, note),
            expected_version=version,
            today=TODAY,
        )


def act(
    engine: Engine,
    action: Callable[..., Any],
    actor: PersonRead,
    config: AppConfig,
    initiative_id: int,
    version: int,
    **fields: Any,
) -> Any:
    """Run one initiative write (edit, owner, lift, link, status) as `actor`, who saw `version`."""
    target = {"initiative_id": initiative_id, "expected_version": version, "config": config}
    with session_scope(engine) as session:
        return action(session=session, actor=actor, **target, **fields)


def detail_of(engine: Engine, initiative_id: int) -> InitiativeDetail:
    """The detail view of an initiative that exists."""
    with Session(read_engine(engine)) as session:
        detail = initiative_detail(session=session, initiative_id=initiative_id)
    assert detail is not None
    return detail


def drop(engine: Engine, actor: PersonRead, initiative_id: int, reason: str = "Not now") -> None:
    """Drop an initiative as `actor`, at the version the store holds now."""
    with session_scope(engine) as session:
        drop_initiative(
            session=session,
            actor=actor,
            initiative_id=initiative_id,
            expected_version=stored_initiative(engine, initiative_id).version,
            reason=reason,
            today=TODAY,
        )


def audit_events(engine: Engine, initiative_id: int) -> list[AuditEvent]:
    with Session(read_engine(engine)) as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity == "initiative", AuditEvent.entity_id == initiative_id)
                .order_by(AuditEvent.id)  # type: ignore[arg-type]
            )
        )


def plan_version(engine: Engine) -> int:
    return dict(data_versions(engine)).get(PLAN, 0)


# --- status rules (pure) -----------------------------------------------------------------------


def test_status_moves_for_directors_and_members() -> None:
    assert allowed_statuses("planned", director=True) == [
        "planned",
        "idea",
        "in_progress",
        "blocked",
        "done",
        "dropped",
    ]
    # A member moves their running work along but cannot plan, drop or revive it.
    assert allowed_statuses("in_progress", director=False) == [
        "in_progress",
        "planned",
        "blocked",
        "done",
    ]
    assert allowed_statuses("idea", director=False) == ["idea", "dropped"]
    assert allowed_statuses("dropped", director=False) == ["dropped"]
    assert transition_problem("idea", "idea", director=False) is None
    assert transition_problem("idea", "blocked", director=True) == (
        "an initiative cannot move from Idea to Blocked; from Idea it can move to Planned, "
        "In progress, Dropped"
    )
    assert transition_problem("idea", "planned", director=False) == (
        "only a director can move an initiative from Idea to Planned"
    )
    assert "unknown status 'shipped'" in str(transition_problem("done", "shipped", director=True))


def test_describe_changes_names_fields_people_and_statuses() -> None:
    before = {"title": "A", "status": "planned", "owner_id": 1, "version": 1, "lift_pct": None}
    after = {"title": "A", "status": "in_progress", "owner_id": 2, "version": 2, "lift_pct": 0.05}
    text = describe_changes(before, after, {1: "Dora", 2: "Ana"})
    assert text == "status: Planned → In progress; owner: Dora → Ana; expected lift: — → +5.0%"
    assert describe_changes(None, {"title": "New thing"}) == "created “New thing”"


# --- create ------------------------------------------------------------------------------------


def test_director_creates_a_planned_initiative_with_links_lift_and_scores(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    before = plan_version(engine)
    created = create(
        engine,
        config,
        team.director,
        title="  One-page checkout  ",
        owner_id=team.ana.id,
        status="planned",
        start_date=date(2026, 6, 1),
        target_date=date(2026, 7, 31),
        effort_weeks=6,
        lift_metric="checkout_completion_rate",
        lift_pct=0.08,
        scores={"rice": RICE},
        key_result_ids=[team.kr_completion, team.kr_conversion],
    )
    stored = stored_initiative(engine, created.id)
    assert stored.title == "One-page checkout"
    assert stored.owner_id == team.ana.id
    assert stored.status == "planned"
    assert stored.scores == {"rice": {k: float(v) for k, v in RICE.items()}}
    assert stored.lift_estimator_id == team.director.id
    assert stored.version == 1
    with Session(read_engine(engine)) as session:
        links = key_result_ids(session=session, initiative_id=created.id)
    assert links == sorted([team.kr_completion, team.kr_conversion])
    [event] = audit_events(engine, created.id)
    assert event.action == "create" and event.actor_id == team.director.id
    assert event.before is None and event.after is not None
    assert event.after["key_result_ids"] == links
    assert plan_version(engine) == before + 1  # open pages notice


def test_member_proposes_an_idea_of_their_own(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.ana, title="Back-in-stock alerts")
    assert (created.status, created.owner_id) == ("idea", team.ana.id)


@pytest.mark.parametrize(
    ("who", "fields", "message"),
    [
        ("ana", {"status": "planned"}, "Members propose ideas"),
        ("ana", {"owner_id": "ben"}, "only a director can assign another owner"),
        ("ana", {"scores": {"rice": RICE}}, "Only a director can score"),
        ("sue", {}, "Only team members and directors can propose initiatives"),
        ("gone", {}, "Only team members and directors"),
    ],
)
def test_refused_creations_write_nothing(
    engine: Engine, config: AppConfig, team: Team, who: str, fields: dict[str, Any], message: str
) -> None:
    actor: PersonRead = getattr(team, who)
    if fields.get("owner_id") == "ben":
        fields["owner_id"] = team.ben.id
    before = store_state(engine)
    with pytest.raises(PermissionDenied, match=message):
        create(engine, config, actor, **fields)
    assert store_state(engine) == before


def test_bad_input_on_create_lists_every_problem_and_writes_nothing(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    before = store_state(engine)
    with pytest.raises(InputError) as caught:
        create(
            engine,
            config,
            team.director,
            title="   ",
            owner_id=team.sue.id,
            start_date=date(2026, 6, 10),
            target_date=date(2026, 6, 1),
            effort_weeks=-2,
            lift_metric="happiness",
            lift_pct=0.1,
            scores={"rice": {**RICE, "impact": 4}, "moscow": {"must": 1}},
            key_result_ids=[team.kr_archived, 99999],
        )
    problems = caught.value.problems
    assert "title is required" in problems
    assert "Sue Stakeholder is a stakeholder; initiatives are owned by the team" in problems
    assert "target date 2026-06-01 is before start date 2026-06-10" in problems
    assert "effort -2 person-weeks is below 0" in problems
    assert "unknown lift metric 'happiness'; pick a metric from metrics.yaml" in problems
    assert "RICE: Impact 4 is not one of 3, 2, 1, 0.5, 0.25" in problems
    assert any(p.startswith("unknown scoring framework 'moscow'") for p in problems)
    assert "key result “Old KR” is archived and cannot be linked" in problems
    assert "key result 99999 does not exist" in problems
    assert store_state(engine) == before


def test_a_lift_needs_metric_and_change_and_a_sane_size(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    with pytest.raises(InputError, match="needs both a metric and a relative change"):
        create(engine, config, team.director, lift_metric="aov")
    with pytest.raises(InputError, match="must be above -100% and at most"):
        create(engine, config, team.director, lift_metric="aov", lift_pct=-1.5)


# --- edit --------------------------------------------------------------------------------------


def test_director_edits_with_audit_before_and_after(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director, status="planned", effort_weeks=2)
    saved = update(
        engine,
        config,
        team.director,
        created.id,
        1,
        title="Guest checkout by default",
        effort_weeks=3,
        start_date=date(2026, 6, 1),
        target_date=date(2026, 6, 30),
        scores={"ice": {"impact": 7, "confidence": 6}},
        key_result_ids=[team.kr_conversion],
    )
    assert saved.version == 2
    stored = stored_initiative(engine, created.id)
    assert (stored.title, stored.effort_weeks, stored.target_date) == (
        "Guest checkout by default",
        3.0,
        date(2026, 6, 30),
    )
    assert stored.scores["ice"] == {"impact": 7.0, "confidence": 6.0}
    event = audit_events(engine, created.id)[-1]
    assert event.action == "update" and event.actor_id == team.director.id
    assert event.before is not None and event.after is not None
    assert (event.before["effort_weeks"], event.after["effort_weeks"]) == (2.0, 3.0)
    assert (event.before["key_result_ids"], event.after["key_result_ids"]) == (
        [],
        [team.kr_conversion],
    )


def test_scores_of_other_frameworks_are_kept_and_none_clears_one(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director, scores={"rice": RICE})
    update(
        engine,
        config,
        team.director,
        created.id,
        1,
        scores={"ice": {"impact": 5, "confidence": 5}},
    )
    assert set(stored_initiative(engine, created.id).scores) == {"rice", "ice"}
    update(engine, config, team.director, created.id, 2, scores={"rice": None})
    assert set(stored_initiative(engine, created.id).scores) == {"ice"}


def test_an_edit_that_changes_nothing_writes_nothing(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director, title="Same")
    before = store_state(engine)
    saved = update(engine, config, team.director, created.id, 1, title=" Same ")
    assert saved.version == 1
    assert store_state(engine) == before


def test_member_edits_own_initiative_but_not_owner_scores_or_others(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    own = create(engine, config, team.ana, title="Ana's idea")
    bens = create(engine, config, team.ben, title="Ben's idea")
    update(engine, config, team.ana, own.id, 1, description="Alert by email", effort_weeks=1.5)
    assert stored_initiative(engine, own.id).description == "Alert by email"
    before = store_state(engine)
    with pytest.raises(PermissionDenied, match="Only the owner or a director"):
        update(engine, config, team.ana, bens.id, 1, title="Mine now")
    with pytest.raises(PermissionDenied, match="Only a director can change the owner"):
        update(engine, config, team.ana, own.id, 2, owner_id=team.ben.id)
    with pytest.raises(PermissionDenied, match="scoring inputs"):
        update(engine, config, team.ana, own.id, 2, scores={"rice": RICE})
    with pytest.raises(PermissionDenied, match="Stakeholders can read"):
        update(engine, config, team.sue, own.id, 2, title="x")
    assert store_state(engine) == before


def test_unknown_fields_and_initiatives_are_refused(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director)
    with pytest.raises(InputError, match="'percent_complete' cannot be edited"):
        update(engine, config, team.director, created.id, 1, percent_complete=50)
    with pytest.raises(InputError, match="initiative 4242 does not exist"):
        update(engine, config, team.director, 4242, 1, title="x")


def test_assign_owner_and_set_expected_lift(engine: Engine, config: AppConfig, team: Team) -> None:
    created = create(engine, config, team.director)
    act(engine, assign_owner, team.director, config, created.id, 1, owner_id=team.ben.id)
    lift = {"metric_id": "conversion_rate", "lift_pct": 0.03}
    act(engine, set_expected_lift, team.ben, config, created.id, 2, **lift)
    stored = stored_initiative(engine, created.id)
    assert stored.owner_id == team.ben.id
    assert (stored.lift_metric, stored.lift_pct) == ("conversion_rate", 0.03)
    assert stored.lift_estimator_id == team.ben.id  # whoever set the estimate
    with pytest.raises(InputError, match="Gus Gone is no longer active"):
        act(engine, assign_owner, team.director, config, created.id, 3, owner_id=team.gone.id)


def test_link_and_unlink_key_results(engine: Engine, config: AppConfig, team: Team) -> None:
    created = create(engine, config, team.director, key_result_ids=[team.kr_conversion])

    def link(kr: int, version: int, *, unlink: bool = False) -> None:
        action = unlink_key_result if unlink else link_key_result
        act(engine, action, team.director, config, created.id, version, key_result_id=kr)

    link(team.kr_aov, 1)
    with Session(read_engine(engine)) as session:
        assert key_result_ids(session=session, initiative_id=created.id) == sorted(
            [team.kr_conversion, team.kr_aov]
        )
    link(team.kr_conversion, 2, unlink=True)
    with Session(read_engine(engine)) as session:
        assert key_result_ids(session=session, initiative_id=created.id) == [team.kr_aov]
    with pytest.raises(InputError, match="already linked"):
        link(team.kr_aov, 3)
    with pytest.raises(InputError, match="is not linked"):
        link(team.kr_completion, 3, unlink=True)


def test_a_link_refused_in_german_writes_nothing(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director, key_result_ids=[team.kr_conversion])
    problems = []
    with i18n.use_locale("de"):
        for kr, action in ((team.kr_conversion, link_key_result), (team.kr_aov, unlink_key_result)):
            with pytest.raises(InputError) as refused:
                act(engine, action, team.director, config, created.id, 1, key_result_id=kr)
            problems += list(refused.value.problems)
    assert problems == [
        f"Schlüsselergebnis {team.kr_conversion} ist bereits verknüpft",
        f"Schlüsselergebnis {team.kr_aov} ist nicht mit dieser Initiative verknüpft",
    ]
    assert stored_initiative(engine, created.id).version == 1
    with Session(read_engine(engine)) as session:
        assert key_result_ids(session=session, initiative_id=created.id) == [team.kr_conversion]
    with (
        i18n.use_locale("de"),
        pytest.raises(InputError) as missing,
        Session(read_engine(engine)) as session,
    ):
        initiative_scores(session=session, config=config, initiative_id=4242)
    assert list(missing.value.problems) == ["Initiative 4242 gibt es nicht"]


# --- status ------------------------------------------------------------------------------------


def test_done_sets_shipped_date_and_reopening_clears_it(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(
        engine, config, team.director, status="in_progress", start_date=date(2026, 5, 1)
    )
    act(engine, change_status, team.director, config, created.id, 1, status="done", today=TODAY)
    done = stored_initiative(engine, created.id)
    assert (done.status, done.shipped_date, done.percent_complete) == ("done", TODAY, 100)
    update(engine, config, team.director, created.id, 2, status="in_progress")
    reopened = stored_initiative(engine, created.id)
    assert (reopened.status, reopened.shipped_date) == ("in_progress", None)
    detail = detail_of(engine, created.id)
    # Each move through editing leaves a status update, newest first.
    assert list(detail.updates["status"]) == ["in_progress", "done"]
    assert detail.updates["note"].iloc[1] == (
        "Status changed from In progress to Done by Dora Director."
    )
    with i18n.use_locale("de"):  # stored in English, read in the reader's language
        german = detail_of(engine, created.id)
    assert german.updates["note"].iloc[1] == (
        "Dora Director hat den Status von In Arbeit auf Erledigt geändert."
    )


def test_refused_status_moves(engine: Engine, config: AppConfig, team: Team) -> None:
    created = create(engine, config, team.director, start_date=date(2026, 6, 1))
    before = store_state(engine)
    with pytest.raises(InputError, match="cannot move from Idea to Done"):
        update(engine, config, team.director, created.id, 1, status="done")
    with pytest.raises(InputError, match="only a done initiative has a shipped date"):
        update(engine, config, team.director, created.id, 1, shipped_date=date(2026, 6, 2))
    assert store_state(engine) == before


def test_owner_posts_status_updates_and_history_is_kept(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director, owner_id=team.ana.id, status="planned")
    post(engine, team.ana, created.id, "in_progress", "on_track", 20, "Started the A/B test.")
    post(engine, team.ana, created.id, "in_progress", "at_risk", 40, "Payment provider slow.")
    stored = stored_initiative(engine, created.id)
    assert (stored.status, stored.health, stored.percent_complete) == ("in_progress", "at_risk", 40)
    assert stored.version == 3
    detail = detail_of(engine, created.id)
    assert list(detail.updates["note"]) == ["Payment provider slow.", "Started the A/B test."]
    assert list(detail.updates["author"]) == ["Ana Member", "Ana Member"]
    actions = list(detail.audit["action"])
    assert actions == ["status_update", "status_update", "create"]
    assert "health: On track → At risk" in detail.audit["changes"].iloc[0]
    assert "note: Payment provider slow." in detail.audit["changes"].iloc[0]


def test_a_note_alone_does_not_refuse_the_directors_open_edit(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director, owner_id=team.ana.id, status="in_progress")
    opened = stored_initiative(engine, created.id).version  # the director opens the edit form
    post(engine, team.ana, created.id, "in_progress", "on_track", 0, "Still on it.", version=opened)
    saved = update(engine, config, team.director, created.id, opened, title="Guest checkout v2")
    assert saved.title == "Guest checkout v2"
    assert list(detail_of(engine, created.id).updates["note"]) == ["Still on it."]
    # A change of status, health or progress is a new version: an edit opened before it is
    # refused, and nothing of it is written.
    post(
        engine, team.ana, created.id, "in_progress", "at_risk", 30, "Slower.", version=saved.version
    )
    with pytest.raises(ConflictError, match="changed by someone else"):
        update(engine, config, team.director, created.id, saved.version, title="Lost?")
    assert stored_initiative(engine, created.id).title == "Guest checkout v2"


def test_done_by_status_update_is_complete_and_shipped(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director, owner_id=team.ana.id, status="in_progress")
    post(engine, team.ana, created.id, "done", percent=70, note="Live for everyone.")
    stored = stored_initiative(engine, created.id)
    assert (stored.status, stored.percent_complete, stored.shipped_date) == ("done", 100, TODAY)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"note": "   "}, "a note is required"),
        ({"percent": 101}, "% complete 101 is not between 0 and 100"),
        ({"health": "green"}, "unknown health 'green'"),
        ({"status": "dropped"}, None),
    ],
)
def test_bad_status_updates_write_nothing(
    engine: Engine,
    config: AppConfig,
    team: Team,
    fields: dict[str, Any],
    message: str | None,
) -> None:
    created = create(engine, config, team.director, owner_id=team.ana.id, status="in_progress")
    before = store_state(engine)
    args: dict[str, Any] = {"status": "in_progress", **fields}
    if message is None:  # dropping running work is the director's call
        with pytest.raises(PermissionDenied, match="Only a director can move"):
            post(engine, team.ana, created.id, **args)
    else:
        with pytest.raises(InputError, match=message):
            post(engine, team.ana, created.id, **args)
    assert store_state(engine) == before


def test_only_the_owner_or_a_director_posts_updates(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director, owner_id=team.ana.id, status="planned")
    before = store_state(engine)
    with pytest.raises(PermissionDenied, match="Only the owner or a director"):
        post(engine, team.ben, created.id, "in_progress")
    with pytest.raises(PermissionDenied, match="Stakeholders can read"):
        post(engine, team.sue, created.id, "in_progress")
    assert store_state(engine) == before
    post(engine, team.director, created.id, "blocked", "off_track", 5, "Waiting on legal.")
    assert stored_initiative(engine, created.id).status == "blocked"


def test_drop_needs_a_reason_and_the_right_person(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    running = create(engine, config, team.director, owner_id=team.ana.id, status="in_progress")
    idea = create(engine, config, team.ana, title="Ana's idea")
    before = store_state(engine)
    with pytest.raises(InputError, match="a reason is required"):
        drop(engine, team.director, running.id, " ")
    with pytest.raises(PermissionDenied, match="Only a director can move"):
        drop(engine, team.ana, running.id, "Too slow")
    assert store_state(engine) == before
    drop(engine, team.ana, idea.id, "Duplicate of guest checkout")  # withdrawing one's own idea
    drop(engine, team.director, running.id, "No lift after four weeks")
    assert stored_initiative(engine, running.id).status == "dropped"
    detail = detail_of(engine, running.id)
    assert detail.updates["note"].iloc[0] == "Dropped: No lift after four weeks"
    with i18n.use_locale("de"):
        german = detail_of(engine, running.id)
    assert german.updates["note"].iloc[0] == "Verworfen: No lift after four weeks"
    assert any("Notiz: Verworfen: No lift after four weeks" in c for c in german.audit["changes"])


def test_a_director_triages_ideas_with_audit_and_a_reason_to_decline(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    kept = create(engine, config, team.ana, title="Gift wrapping", effort_weeks=3.0)
    declined = create(engine, config, team.ana, title="Loyalty points")

    def triage(actor: PersonRead, initiative_id: int, reason: str | None = None) -> None:
        with session_scope(engine) as session:
            version = stored_initiative(engine, initiative_id).version
            if reason is None:
                accept_idea(
                    session=session,
                    actor=actor,
                    initiative_id=initiative_id,
                    expected_version=version,
                    today=TODAY,
                )
            else:
                decline_idea(
                    session=session,
                    actor=actor,
                    initiative_id=initiative_id,
                    expected_version=version,
                    reason=reason,
                    today=TODAY,
                )

    before = store_state(engine)
    for someone in (team.ana, team.ben, team.sue):
        with pytest.raises(PermissionDenied, match="Only a director"):
            triage(someone, kept.id)
        with pytest.raises(PermissionDenied, match="Only a director"):
            triage(someone, declined.id, "No.")
    with pytest.raises(InputError, match="a short reason is required"):
        triage(team.director, declined.id, "  ")
    assert store_state(engine) == before

    triage(team.director, kept.id)
    triage(team.director, declined.id, "Margins too thin this year")
    accepted = stored_initiative(engine, kept.id)
    assert (accepted.status, accepted.title, accepted.effort_weeks) == (
        "planned",
        "Gift wrapping",
        3.0,
    )
    assert stored_initiative(engine, declined.id).status == "dropped"
    [*_, accept_event] = audit_events(engine, kept.id)
    [*_, decline_event] = audit_events(engine, declined.id)
    assert (accept_event.action, accept_event.actor_id) == ("accept_idea", team.director.id)
    assert accept_event.before is not None and accept_event.after is not None
    assert (accept_event.before["status"], accept_event.after["status"]) == ("idea", "planned")
    assert (decline_event.action, decline_event.actor_id) == ("decline_idea", team.director.id)
    assert decline_event.after is not None
    assert decline_event.after["status"] == "dropped"
    assert decline_event.after["note"] == "Idea declined: Margins too thin this year"
    # Triage is for ideas: planned work is not accepted or declined again.
    with pytest.raises(InputError, match="only ideas are triaged"):
        triage(team.director, kept.id)


# --- optimistic versioning ---------------------------------------------------------------------


def test_second_editor_gets_a_conflict_and_nothing_of_theirs_is_written(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director, owner_id=team.ana.id, status="planned")
    # Both open the initiative at version 1.
    seen_by_director = stored_initiative(engine, created.id).version
    seen_by_ana = stored_initiative(engine, created.id).version
    update(engine, config, team.director, created.id, seen_by_director, title="Director's title")
    after_first = store_state(engine)
    with pytest.raises(ConflictError) as caught:
        update(
            engine,
            config,
            team.ana,
            created.id,
            seen_by_ana,
            title="Ana's title",
            effort_weeks=9,
            key_result_ids=[team.kr_aov],
        )
    assert "changed by someone else while you were editing" in str(caught.value)
    assert "you had version 1, it is now 2" in str(caught.value)
    assert store_state(engine) == after_first  # no title, effort, link or audit of Ana's
    with pytest.raises(ConflictError):
        post(engine, team.ana, created.id, "in_progress", version=seen_by_ana)
    assert store_state(engine) == after_first
    # With the latest version her save goes through.
    update(engine, config, team.ana, created.id, 2, effort_weeks=9)
    assert stored_initiative(engine, created.id).effort_weeks == 9


def test_two_sessions_at_once_the_later_writer_waits_then_gets_a_conflict(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director, owner_id=team.ana.id, status="planned")

    def edit(session: Session, actor: PersonRead, changes: dict[str, Any]) -> None:
        update_initiative(
            session=session,
            actor=actor,
            config=config,
            initiative_id=created.id,
            expected_version=1,
            changes=changes,
        )

    def second_editor() -> None:
        with session_scope(engine) as session:
            edit(session, team.ana, {"title": "Second", "effort_weeks": 7})

    error = second_writer_waits(
        engine,
        first=lambda session: edit(session, team.director, {"title": "First"}),
        second=second_editor,
    )
    assert isinstance(error, ConflictError)
    stored = stored_initiative(engine, created.id)
    assert (stored.title, stored.effort_weeks, stored.version) == ("First", 1.0, 2)
    assert [e.actor_id for e in audit_events(engine, created.id)] == [team.director.id] * 2


def test_a_conflict_is_reported_even_when_the_input_is_also_bad(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director)
    update(engine, config, team.director, created.id, 1, title="Newer")
    with pytest.raises(ConflictError):
        update(engine, config, team.director, created.id, 1, title="")


# --- reads -------------------------------------------------------------------------------------


def test_list_filters_by_objective_owner_status_and_health(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    a = create(
        engine,
        config,
        team.director,
        title="Checkout thing",
        owner_id=team.ana.id,
        status="in_progress",
        key_result_ids=[team.kr_conversion, team.kr_completion],
    )
    b = create(
        engine,
        config,
        team.director,
        title="Basket thing",
        owner_id=team.ben.id,
        status="planned",
        key_result_ids=[team.kr_aov],
    )
    c = create(engine, config, team.ana, title="Loose idea")
    post(engine, team.ana, a.id, "in_progress", "at_risk", 30, "Slipping.")

    def ids(**filters: Any) -> list[int]:
        with Session(read_engine(engine)) as session:
            return list(list_initiatives(session=session, **filters)["id"])

    assert ids() == [a.id, b.id, c.id]  # running work first, then planned, then ideas
    assert ids(objective_id=team.checkout) == [a.id]
    assert ids(objective_id=team.basket) == [b.id]
    assert ids(owner_id=team.ana.id) == [a.id, c.id]
    assert ids(status=["planned", "idea"]) == [b.id, c.id]
    assert ids(health="at_risk") == [a.id]
    assert ids(owner_id=team.ben.id, status="idea") == []
    with Session(read_engine(engine)) as session:
        frame = list_initiatives(session=session, objective_id=team.checkout)
    row = frame.iloc[0]
    assert row["owner"] == "Ana Member"
    assert row["objectives"] == "Effortless checkout"
    assert row["last_update_at"] is not None
    with Session(read_engine(engine)) as session:
        titles = initiative_titles(session=session)
    assert titles == {a.id: "Checkout thing", b.id: "Basket thing", c.id: "Loose idea"}
    assert list(titles) == ids()  # the picker offers them in the list's order


def test_detail_of_a_missing_initiative_is_none(engine: Engine, team: Team) -> None:
    with Session(read_engine(engine)) as session:
        assert initiative_detail(session=session, initiative_id=777) is None


def test_detail_shows_linked_key_results_and_lift_estimator(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    initiative_id = add_initiative(
        engine,
        title="Seeded",
        owner_id=team.ana.id,
        lift_metric="aov",
        lift_pct=0.05,
        lift_estimator_id=team.ben.id,
    )
    act(engine, link_key_result, team.director, config, initiative_id, 1, key_result_id=team.kr_aov)
    with Session(read_engine(engine)) as session:
        detail = initiative_detail(session=session, initiative_id=initiative_id)
        updates = session.scalars(select(StatusUpdate)).all()
    assert detail is not None
    assert detail.owner == "Ana Member" and detail.lift_estimator == "Ben Member"
    assert list(detail.key_results["title"]) == ["AOV $92→$100"]
    assert list(detail.key_results["objective"]) == ["Bigger baskets"]
    assert detail.key_result_ids == (team.kr_aov,)
    assert updates == []
    assert detail.audit["changes"].iloc[0] == "linked key results: — → [" + str(team.kr_aov) + "]"


def test_a_link_to_a_since_archived_key_result_may_be_kept_not_added(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    created = create(engine, config, team.director)
    with session_scope(engine) as session:
        session.add(InitiativeKeyResult(initiative_id=created.id, key_result_id=team.kr_archived))
    update(
        engine,
        config,
        team.director,
        created.id,
        1,
        key_result_ids=[team.kr_archived, team.kr_conversion],
    )
    with Session(read_engine(engine)) as session:
        links = key_result_ids(session=session, initiative_id=created.id)
    assert links == sorted([team.kr_archived, team.kr_conversion])
    other = create(engine, config, team.director, title="Other")
    with pytest.raises(InputError, match="is archived and cannot be linked"):
        update(engine, config, team.director, other.id, 1, key_result_ids=[team.kr_archived])


def test_the_effort_migration_keeps_one_effort_in_person_weeks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from planning.store.engine import alembic_config, create_store_engine, migrate

    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine)
    team = seed_team(engine)
    old_rice = {"reach": 2000, "impact": 2, "confidence": 0.8, "effort_months": 3}
    scores = {
        "rice": old_rice,
        "wsjf": {"business_value": 8, "time_criticality": 5, "risk_reduction": 3, "job_size": 5},
        "ice": {"impact": 8, "confidence": 7, "ease": 5},
        "weighted": {"revenue_impact": 5, "customer_experience": 3, "strategic_fit": 4, "ease": 2},
    }
    estimated = add_initiative(
        engine, title="Estimated", owner_id=team.ana.id, effort_weeks=6, scores=scores
    )
    no_effort = add_initiative(
        engine, title="RICE only", owner_id=team.ana.id, effort_weeks=0, scores={"rice": old_rice}
    )
    untouched = add_initiative(engine, title="Unscored", owner_id=team.ana.id, effort_weeks=2)
    cfg = alembic_config(engine)
    # As a store written before the effort was kept once: the rows meet migration 0007 alone
    # (the store already has every later table change).
    command.stamp(cfg, "0006")
    command.upgrade(cfg, "0007")
    with Session(read_engine(engine)) as session:
        kept = session.get(Initiative, estimated)
        converted = session.get(Initiative, no_effort)
        plain = session.get(Initiative, untouched)
    assert kept is not None and converted is not None and plain is not None
    assert kept.effort_weeks == 6  # its own person-weeks win over the RICE person-months
    assert kept.scores == {
        "rice": {"reach": 2000, "impact": 2, "confidence": 0.8},
        "wsjf": {"business_value": 8, "time_criticality": 5, "risk_reduction": 3},
        "ice": {"impact": 8, "confidence": 7},
        # The weighted framework's own "ease" criterion is an input, not the effort.
        "weighted": {"revenue_impact": 5, "customer_experience": 3, "strategic_fit": 4, "ease": 2},
    }
    assert converted.effort_weeks == 13  # 3 person-months × 52 / 12
    assert converted.scores == {"rice": {"reach": 2000, "impact": 2, "confidence": 0.8}}
    assert (plain.effort_weeks, plain.scores) == (2, {})
    # Downgrading puts the derived inputs back for the previous version to read.
    command.downgrade(cfg, "0006")
    with Session(read_engine(engine)) as session:
        back = session.get(Initiative, estimated)
    assert back is not None
    assert back.scores["rice"]["effort_months"] == pytest.approx(6 * 12 / 52)
    assert (back.scores["wsjf"]["job_size"], back.scores["ice"]["ease"]) == (5, 6)
    assert back.scores["weighted"]["ease"] == 2
    engine.dispose()


def test_an_unchanged_lift_keeps_who_estimated_it(
    engine: Engine, config: AppConfig, team: Team
) -> None:
    """Re-saving a form shows the lift in percent and divides by 100 again; a value within float
    rounding of the stored one is no change, so the estimate stays credited to who made it."""
    created = create(engine, config, team.director, owner_id=team.ana.id, status="planned")
    created = update(
        engine, config, team.ana, created.id, created.version,
        lift_metric="conversion_rate", lift_pct=0.007,
    )  # fmt: skip
    assert created.lift_estimator_id == team.ana.id
    resaved = round(0.007 * 100, 4) / 100  # +0.7 % as the edit form sends it back
    assert resaved != 0.007
    saved = update(
        engine, config, team.director, created.id, created.version,
        title="Guest checkout v2", lift_metric="conversion_rate", lift_pct=resaved,
    )  # fmt: skip
    assert saved.lift_pct == 0.007 and saved.lift_estimator_id == team.ana.id
    saved = update(engine, config, team.director, saved.id, saved.version, lift_pct=0.09)
    assert saved.lift_estimator_id == team.director.id  # a changed value: the editor's estimate
    saved = update(
        engine, config, team.ana, saved.id, saved.version, lift_metric=None, lift_pct=None
    )
    assert saved.lift_estimator_id is None  # no expected lift: nobody is credited


def test_a_member_drops_only_their_own_idea(engine: Engine, config: AppConfig, team: Team) -> None:
    """The rule the Initiatives page uses to offer the drop form is the one the write enforces:
    a director drops anything, a member withdraws only their own idea, and the refusal comes
    before any complaint about the reason."""
    planned = create(engine, config, team.director, owner_id=team.ana.id, status="planned")
    idea = create(engine, config, team.ana, title="Ana's idea")
    bens = create(engine, config, team.ben, title="Ben's idea")
    before = store_state(engine)
    with pytest.raises(PermissionDenied, match="from Planned to Dropped"):
        drop(engine, team.ana, planned.id, reason=" ")
    with pytest.raises(PermissionDenied, match="Only the owner or a director"):
        drop(engine, team.ana, bens.id)
    with pytest.raises(PermissionDenied, match="Stakeholders can read"):
        drop(engine, team.sue, idea.id)
    assert store_state(engine) == before
    drop(engine, team.ana, idea.id)
    assert stored_initiative(engine, idea.id).status == "dropped"
    with pytest.raises(PermissionDenied, match="dropped already"):
        drop(engine, team.ana, idea.id)
    drop(engine, team.director, planned.id)
    assert stored_initiative(engine, planned.id).status == "dropped"
