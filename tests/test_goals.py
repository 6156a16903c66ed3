"""Objectives, key results and check-ins: who may write, what is refused (every problem listed,
nothing written), audit events, optimistic versions, and history."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from planning import i18n
from planning.access.permissions import PermissionDenied, can_check_in
from planning.config import AppConfig
from planning.config.metrics import MetricsConfig
from planning.okrs.goal_reads import check_in_history, list_key_results, list_objectives
from planning.okrs.goal_rules import GoalError
from planning.okrs.goals import (
    archive_key_result,
    archive_objective,
    create_key_result,
    create_objective,
    post_check_in,
    update_key_result,
    update_objective,
)
from planning.okrs.quarter_close import close_quarter
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    AuditEvent,
    CheckIn,
    Direction,
    GuardrailRule,
    KeyResult,
    KeyResultCreate,
    KeyResultRead,
    KeyResultUpdate,
    KrKind,
    Objective,
    ObjectiveCreate,
    ObjectiveRead,
    ObjectiveUpdate,
    PersonRead,
    Window,
)
from planning.store.versioning import ConflictError
from tests.okr_seed import Team, audit_count, count, make_team, snapshot_rows

PERIOD = "2026-Q4"


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def new_objective(
    engine: Engine,
    actor: PersonRead,
    owner: PersonRead,
    title: str = "Checkout",
    period: str = PERIOD,
    **extra: Any,
) -> ObjectiveRead:
    with session_scope(engine) as session:
        return create_objective(
            session=session,
            actor=actor,
            objective=ObjectiveCreate(period=period, title=title, owner_id=owner.id, **extra),
        )


def new_kr(engine: Engine, config: AppConfig, actor: PersonRead, **fields: Any) -> KeyResultRead:
    with session_scope(engine) as session:
        return create_key_result(
            session=session,
            actor=actor,
            key_result=KeyResultCreate(**fields),
            config=config.metrics,
        )


def conversion_kr(objective: ObjectiveRead, owner: PersonRead, **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "objective_id": objective.id,
        "title": "Conversion rate up",
        "owner_id": owner.id,
        "kind": KrKind.metric,
        "metric_id": "conversion_rate",
        "direction": Direction.increase,
        "start_value": 0.021,
        "target_value": 0.024,
    }
    fields.update(extra)
    return fields


def edit_objective(
    engine: Engine, actor: PersonRead, objective: int, version: int, **changes: Any
) -> ObjectiveRead:
    """Apply `changes` to an objective as `actor`, who last saw it at `version`."""
    target = {"objective_id": objective, "expected_version": version}
    changed = ObjectiveUpdate(**changes)
    with session_scope(engine) as session:
        return update_objective(session=session, actor=actor, changes=changed, **target)


def edit_kr(
    engine: Engine, metrics: MetricsConfig, actor: PersonRead, kr: int, version: int, **kw: Any
) -> KeyResultRead:
    """Apply changes to a key result as `actor`, who last saw it at `version`."""
    target = {"key_result_id": kr, "expected_version": version, "config": metrics}
    changed = KeyResultUpdate(**kw)
    with session_scope(engine) as session:
        return update_key_result(session=session, actor=actor, changes=changed, **target)


def archive_kr(
    engine: Engine, metrics: MetricsConfig, actor: PersonRead, kr: int, version: int
) -> KeyResultRead:
    """Archive a key result as `actor`, who last saw it at `version`."""
    target = {"key_result_id": kr, "expected_version": version, "config": metrics}
    with session_scope(engine) as session:
        return archive_key_result(session=session, actor=actor, **target)


def problems_of(excinfo: pytest.ExceptionInfo[GoalError]) -> str:
    return "\n".join(excinfo.value.problems)


# --- objectives --------------------------------------------------------------------------------


def test_director_creates_edits_and_archives_an_objective(engine: Engine, team: Team) -> None:
    objective = new_objective(
        engine, team.director, team.priya, title="  Make checkout effortless  ", weight=2.0
    )
    assert objective.title == "Make checkout effortless"
    assert objective.version == 1
    updated = edit_objective(
        engine,
        team.director,
        objective.id,
        1,
        title="Checkout on every device",
        owner_id=team.tom.id,
    )
    assert (updated.title, updated.owner_id, updated.version) == (
        "Checkout on every device",
        team.tom.id,
        2,
    )
    with session_scope(engine) as session:
        archive_objective(
            session=session, actor=team.director, objective_id=objective.id, expected_version=2
        )
    with Session(read_engine(engine)) as session:
        assert list_objectives(session=session, period=PERIOD) == []
        assert len(list_objectives(session=session, period=PERIOD, include_archived=True)) == 1
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.entity == "objective")
        ).all()
    assert actions == ["create", "update", "archive"]


def test_members_and_stakeholders_cannot_shape_objectives(engine: Engine, team: Team) -> None:
    objective = new_objective(engine, team.director, team.priya)
    before = (snapshot_rows(engine, Objective), audit_count(engine))
    for actor in (team.priya, team.helen):
        with pytest.raises(PermissionDenied):
            new_objective(engine, actor, team.priya, title="Mine")
        with pytest.raises(PermissionDenied):
            edit_objective(engine, actor, objective.id, 1, title="Renamed")
    assert (snapshot_rows(engine, Objective), audit_count(engine)) == before


def test_bad_objective_lists_every_problem_and_writes_nothing(engine: Engine, team: Team) -> None:
    with pytest.raises(GoalError) as excinfo:
        new_objective(
            engine, team.director, team.helen, title="   ", period="2026-Q5", parent_id=999
        )
    text = problems_of(excinfo)
    assert "Give the objective a title." in text
    assert "'2026-Q5' is not a quarter" in text
    assert "Helen Carter is a stakeholder" in text
    assert "parent objective 999 does not exist" in text
    assert len(excinfo.value.problems) == 4
    assert count(engine, Objective) == 0
    assert audit_count(engine) == 0


def test_emptying_a_required_field_is_refused_in_german_and_writes_nothing(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    objective = new_objective(engine, team.director, team.priya)
    kr = new_kr(engine, config, team.director, **conversion_kr(objective, team.priya))
    with i18n.use_locale("de"):
        with pytest.raises(GoalError) as objective_refused:
            edit_objective(engine, team.director, objective.id, 1, owner_id=None)
        with pytest.raises(GoalError) as kr_refused:
            edit_kr(engine, config.metrics, team.director, kr.id, 1, title=None)
    assert problems_of(objective_refused) == (
        "Objective: Das Feld Verantwortlich darf nicht leer sein."
    )
    assert problems_of(kr_refused) == "Schlüsselergebnis: Das Feld Titel darf nicht leer sein."
    with Session(read_engine(engine)) as session:
        [stored] = list_objectives(session=session, period=objective.period)
        [stored_kr] = list_key_results(session=session, objective_ids=[objective.id])
    assert (stored.version, stored.owner_id) == (1, team.priya.id)
    assert (stored_kr.version, stored_kr.title) == (1, kr.title)


def test_inactive_owner_is_refused(engine: Engine, team: Team) -> None:
    with pytest.raises(GoalError, match="no longer active"):
        new_objective(engine, team.director, team.gone, title="Old")


def test_alignment_cannot_loop(engine: Engine, team: Team) -> None:
    parent = new_objective(engine, team.director, team.priya, title="Company goal")
    child = new_objective(engine, team.director, team.priya, title="Team goal", parent_id=parent.id)
    assert child.parent_id == parent.id
    with pytest.raises(GoalError, match="loop"):
        edit_objective(engine, team.director, parent.id, parent.version, parent_id=child.id)
    with pytest.raises(GoalError, match="own parent"):
        edit_objective(engine, team.director, parent.id, parent.version, parent_id=parent.id)


def test_stale_version_is_refused_and_the_newer_edit_kept(engine: Engine, team: Team) -> None:
    objective = new_objective(engine, team.director, team.priya)
    edit_objective(engine, team.director, objective.id, 1, title="First writer")
    with pytest.raises(ConflictError, match="changed by someone else"):
        edit_objective(engine, team.director, objective.id, 1, title="Second writer")
    with Session(read_engine(engine)) as session:
        stored = session.get(Objective, objective.id)
        assert stored is not None
        assert (stored.title, stored.version) == ("First writer", 2)


def test_a_key_result_edited_by_two_directors_is_refused_wholly_in_german(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    objective = new_objective(engine, team.director, team.priya)
    kr = new_kr(engine, config, team.director, **conversion_kr(objective, team.priya))
    edit_kr(engine, config.metrics, team.director, kr.id, 1, title="Conversion 2.1→2.5 %")
    with i18n.use_locale("de"), pytest.raises(ConflictError) as refused:
        edit_kr(engine, config.metrics, team.director, kr.id, 1, title="Conversion 2.1→2.6 %")
    assert str(refused.value).startswith(
        "Schlüsselergebnis „Conversion 2.1→2.5 %“ wurde von jemand anderem geändert"
    )
    with Session(read_engine(engine)) as session:
        [stored] = list_key_results(session=session, objective_ids=[objective.id])
    assert (stored.title, stored.version) == ("Conversion 2.1→2.5 %", 2)


# --- key results -------------------------------------------------------------------------------


def test_director_creates_key_results_of_all_four_kinds(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    objective = new_objective(engine, team.director, team.priya)

    def add(title: str, owner: PersonRead = team.priya, **fields: Any) -> KeyResultRead:
        return new_kr(
            engine,
            config,
            team.director,
            objective_id=objective.id,
            title=title,
            owner_id=owner.id,
            **fields,
        )

    metric = new_kr(
        engine,
        config,
        team.director,
        **conversion_kr(objective, team.priya, filters={"device": "mobile"}),
    )
    guardrail = add(
        "Gross margin holds",
        kind=KrKind.guardrail,
        metric_id="gross_margin_pct",
        guardrail_rule=GuardrailRule.stay_above,
        threshold=0.48,
    )
    milestone = add("Wallets live", kind=KrKind.milestone)
    manual = add(
        "QA defects down",
        team.tom,
        kind=KrKind.manual,
        direction=Direction.decrease,
        start_value=6,
        target_value=2,
        unit="%",
    )
    revenue = add(
        "Net revenue",
        kind=KrKind.metric,
        metric_id="net_revenue",
        direction=Direction.increase,
        start_value=0,
        target_value=6_000_000,
        total_target=True,
    )
    with Session(read_engine(engine)) as session:
        stored = list_key_results(session=session, objective_ids=[objective.id])
    assert [k.title for k in stored] == [
        "Conversion rate up",
        "Gross margin holds",
        "Wallets live",
        "QA defects down",
        "Net revenue",
    ]
    assert metric.filters == {"device": "mobile"}
    assert guardrail.threshold == 0.48
    assert milestone.done is False
    assert manual.unit == "%"
    assert revenue.total_target is True
    assert audit_count(engine) == 1 + 5


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"direction": Direction.decrease, "start_value": 0.021, "target_value": 0.024},
            "A decrease key result needs a target below its start (start 0.021, target 0.024).",
        ),
        (
            {"start_value": 0.024, "target_value": 0.021},
            "An increase key result needs a target above its start (start 0.024, target 0.021).",
        ),
        ({"metric_id": "conversion_rat"}, "Unknown metric 'conversion_rat'"),
        (
            {"filters": {"product_line": "Home"}},
            "Conversion rate cannot be filtered by product_line (it can be by channel, device).",
        ),
        ({"filters": {"device": "tablet"}}, "'tablet' is not a device"),
        ({"start_value": 2.1, "target_value": 2.4}, "the start 2.1 looks like a percentage"),
        ({"direction": None}, "Say whether the value should increase or decrease"),
        ({"target_value": None}, "Give a target value."),
        ({"total_target": True}, "cannot have a total target"),
        ({"title": "  "}, "Give the key result a title."),
    ],
)
def test_bad_metric_key_result_is_refused(
    engine: Engine, team: Team, config: AppConfig, fields: dict[str, Any], expected: str
) -> None:
    objective = new_objective(engine, team.director, team.priya)
    before = audit_count(engine)
    with pytest.raises(GoalError) as excinfo:
        new_kr(engine, config, team.director, **conversion_kr(objective, team.priya, **fields))
    assert expected in problems_of(excinfo)
    assert count(engine, KeyResult) == 0
    assert audit_count(engine) == before


def test_every_problem_of_a_key_result_is_listed(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    objective = new_objective(engine, team.director, team.priya)
    with pytest.raises(GoalError) as excinfo:
        new_kr(
            engine,
            config,
            team.director,
            objective_id=objective.id,
            title="Margin floor",
            owner_id=team.helen.id,
            kind=KrKind.guardrail,
            metric_id="gross_margin_pct",
            filters={"device": "mobile"},
        )
    assert excinfo.value.problems == [
        "Gross margin cannot be filtered by device (it can be by product_line).",
        "A guardrail needs a rule: stay_above or stay_below.",
        "A guardrail needs a threshold.",
        "Helen Carter is a stakeholder; only members and directors own goals.",
    ]
    assert count(engine, KeyResult) == 0


def test_kind_specific_fields_are_checked(engine: Engine, team: Team, config: AppConfig) -> None:
    objective = new_objective(engine, team.director, team.priya)
    base = {"objective_id": objective.id, "owner_id": team.priya.id}
    with pytest.raises(GoalError) as manual:
        new_kr(engine, config, team.director, **base, title="Defects", kind=KrKind.manual)
    assert manual.value.problems == [
        "Say whether the value should increase or decrease (direction).",
        "Give a start value.",
        "Give a target value.",
    ]
    with pytest.raises(GoalError, match="takes no direction, start, target"):
        new_kr(
            engine,
            config,
            team.director,
            **base,
            title="Go live",
            kind=KrKind.milestone,
            start_value=0,
            target_value=1,
        )
    revenue = {
        **base,
        "title": "Revenue",
        "kind": KrKind.metric,
        "metric_id": "net_revenue",
        "direction": Direction.increase,
        "start_value": 0,
        "target_value": 100,
    }
    with pytest.raises(GoalError, match="use the period_to_date window"):
        new_kr(
            engine,
            config,
            team.director,
            **revenue,
            window=Window.trailing_7d,
            total_target=True,
        )
    with pytest.raises(GoalError, match="mark it as a total target"):
        new_kr(engine, config, team.director, **revenue, total_target=False)
    assert count(engine, KeyResult) == 0


def test_member_cannot_create_or_edit_key_results(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    objective = new_objective(engine, team.director, team.priya)
    kr = new_kr(engine, config, team.director, **conversion_kr(objective, team.priya))
    before = (snapshot_rows(engine, KeyResult), audit_count(engine))
    with pytest.raises(PermissionDenied):
        new_kr(engine, config, team.priya, **conversion_kr(objective, team.priya, title="Mine"))
    with pytest.raises(PermissionDenied):
        edit_kr(engine, config.metrics, team.priya, kr.id, 1, target_value=0.03)
    assert (snapshot_rows(engine, KeyResult), audit_count(engine)) == before


def test_update_validates_the_merged_key_result(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    objective = new_objective(engine, team.director, team.priya)
    kr = new_kr(engine, config, team.director, **conversion_kr(objective, team.priya))
    with pytest.raises(GoalError, match="needs a target above its start"):
        edit_kr(engine, config.metrics, team.director, kr.id, 1, target_value=0.02)
    updated = edit_kr(
        engine,
        config.metrics,
        team.director,
        kr.id,
        1,
        direction=Direction.decrease,
        start_value=0.03,
        target_value=0.02,
    )
    assert (updated.direction, updated.target_value, updated.version) == (
        Direction.decrease,
        0.02,
        2,
    )
    archived = archive_kr(engine, config.metrics, team.director, kr.id, 2)
    assert archived.archived
    with Session(read_engine(engine)) as session:
        assert list_key_results(session=session, objective_ids=[objective.id]) == []


def test_a_total_target_follows_the_metric_and_window_when_left_unsaid(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    objective = new_objective(engine, team.director, team.priya)
    revenue = {
        "objective_id": objective.id,
        "owner_id": team.priya.id,
        "kind": KrKind.metric,
        "metric_id": "net_revenue",
        "direction": Direction.increase,
        "start_value": 0,
        "target_value": 6_000_000,
    }
    quarter = new_kr(engine, config, team.director, **revenue, title="Revenue this quarter")
    weekly = new_kr(
        engine,
        config,
        team.director,
        **{**revenue, "target_value": 500_000},
        title="Revenue per week",
        window=Window.trailing_7d,
    )
    rate = new_kr(engine, config, team.director, **conversion_kr(objective, team.priya))
    assert (quarter.total_target, weekly.total_target, rate.total_target) == (True, False, False)
    # The window moves to the quarter: a total again.
    moved = edit_kr(
        engine,
        config.metrics,
        team.director,
        weekly.id,
        weekly.version,
        window=Window.period_to_date,
        target_value=6_000_000,
    )
    assert moved.total_target is True
    # And back to a trailing window: a level.
    back = edit_kr(
        engine,
        config.metrics,
        team.director,
        weekly.id,
        moved.version,
        window=Window.trailing_28d,
    )
    assert back.total_target is False


# --- check-ins ---------------------------------------------------------------------------------


@pytest.fixture
def krs(engine: Engine, team: Team, config: AppConfig) -> dict[str, KeyResultRead]:
    objective = new_objective(engine, team.director, team.priya)
    common = {"objective_id": objective.id, "owner_id": team.priya.id}
    return {
        "metric": new_kr(engine, config, team.director, **conversion_kr(objective, team.priya)),
        "milestone": new_kr(
            engine, config, team.director, **common, title="Wallets live", kind=KrKind.milestone
        ),
        "manual": new_kr(
            engine,
            config,
            team.director,
            **common,
            title="QA defects",
            kind=KrKind.manual,
            direction=Direction.decrease,
            start_value=6,
            target_value=2,
        ),
    }


def check_in(engine: Engine, actor: PersonRead, kr: KeyResultRead, **fields: Any) -> None:
    with session_scope(engine) as session:
        post_check_in(session=session, actor=actor, key_result_id=kr.id, **fields)


def test_owner_checks_in_and_history_is_kept_newest_first(
    engine: Engine, team: Team, krs: dict[str, KeyResultRead]
) -> None:
    check_in(engine, team.priya, krs["metric"], confidence=7, note="Checkout test running.")
    check_in(engine, team.director, krs["metric"], confidence=5, note="Mobile lags.")
    with Session(read_engine(engine)) as session:
        history = check_in_history(session=session, key_result_id=krs["metric"].id)
    assert [(h.author, h.confidence, h.note) for h in history] == [
        ("Maya Lindqvist", 5, "Mobile lags."),
        ("Priya Raman", 7, "Checkout test running."),
    ]


def test_manual_check_in_needs_a_value_and_milestone_is_ticked_done(
    engine: Engine, team: Team, krs: dict[str, KeyResultRead]
) -> None:
    check_in(engine, team.priya, krs["manual"], confidence=6, note="Sampled 50 items.", value=4)
    check_in(engine, team.priya, krs["milestone"], confidence=9, note="Live!", done=True)
    with Session(read_engine(engine)) as session:
        milestone = session.get(KeyResult, krs["milestone"].id)
        assert milestone is not None and milestone.done and milestone.version == 2
        history = check_in_history(session=session, key_result_id=krs["manual"].id)
        assert history[0].value == 4.0
        actions = session.exec(
            select(AuditEvent.entity, AuditEvent.action).order_by(AuditEvent.id)
        ).all()
    assert list(actions[-3:]) == [
        ("check_in", "create"),
        ("key_result", "done"),
        ("check_in", "create"),
    ]


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        ("metric", {"confidence": 11, "note": "x"}, "Confidence must be from 0 to 10, got 11."),
        ("metric", {"confidence": -1, "note": "x"}, "Confidence must be from 0 to 10, got -1."),
        ("metric", {"confidence": 6.5, "note": "x"}, "must be a whole number from 0 to 10"),
        ("metric", {"confidence": 6, "note": "   "}, "Write a short note"),
        ("metric", {"confidence": 6, "note": "x", "value": 0.03}, "reads its value from the store"),
        ("manual", {"confidence": 6, "note": "x"}, "needs the current value"),
        ("manual", {"confidence": 6, "note": "x", "value": float("nan")}, "must be a number"),
        ("metric", {"confidence": 6, "note": "x", "done": True}, "Only milestones are ticked"),
    ],
)
def test_bad_check_in_is_refused_and_writes_nothing(
    engine: Engine,
    team: Team,
    krs: dict[str, KeyResultRead],
    kind: str,
    fields: dict[str, Any],
    expected: str,
) -> None:
    before = audit_count(engine)
    with pytest.raises(GoalError) as excinfo:
        check_in(engine, team.priya, krs[kind], **fields)
    assert expected in problems_of(excinfo)
    assert count(engine, CheckIn) == 0
    assert audit_count(engine) == before


def test_a_too_long_check_in_note_names_its_length_in_the_readers_number_format(
    engine: Engine, team: Team, krs: dict[str, KeyResultRead]
) -> None:
    # The numbers were printed bare ("2001 characters long; keep it to 2000").
    before = audit_count(engine)
    with pytest.raises(GoalError) as excinfo:
        check_in(engine, team.priya, krs["metric"], confidence=6, note="x" * 2001)
    assert problems_of(excinfo) == "The note is 2,001 characters long; keep it to 2,000."
    with i18n.use_locale("de"), pytest.raises(GoalError) as excinfo:
        check_in(engine, team.priya, krs["metric"], confidence=6, note="x" * 2001)
    assert "2.001" in problems_of(excinfo) and "2.000" in problems_of(excinfo)
    assert count(engine, CheckIn) == 0
    assert audit_count(engine) == before


def test_only_the_owner_or_a_director_checks_in(
    engine: Engine, team: Team, krs: dict[str, KeyResultRead]
) -> None:
    with pytest.raises(PermissionDenied, match="owner or a director"):
        check_in(engine, team.tom, krs["metric"], confidence=5, note="Not mine.")
    with pytest.raises(PermissionDenied, match="Stakeholders can read"):
        check_in(engine, team.helen, krs["metric"], confidence=5, note="Hello.")
    with pytest.raises(PermissionDenied, match="owner or a director"):
        check_in(engine, team.gone, krs["metric"], confidence=5, note="Gone.")
    assert count(engine, CheckIn) == 0


def test_who_may_check_in_is_one_rule_for_the_page_and_the_write(
    team: Team, krs: dict[str, KeyResultRead]
) -> None:
    owner = krs["metric"].owner_id
    allowed = {
        name: can_check_in(person, owner)
        for name, person in [
            ("director", team.director),
            ("owner", team.priya),
            ("other member", team.tom),
            ("stakeholder", team.helen),
            ("inactive", team.gone),
            ("signed out", None),
        ]
    }
    assert allowed == {
        "director": True,
        "owner": True,
        "other member": False,
        "stakeholder": False,
        "inactive": False,
        "signed out": False,
    }
    inactive_owner = team.priya.model_copy(update={"active": False})
    assert not can_check_in(inactive_owner, owner)


def test_a_closed_quarter_is_frozen(
    engine: Engine, team: Team, krs: dict[str, KeyResultRead], config: AppConfig
) -> None:
    with session_scope(engine) as session:
        close_quarter(
            session=session,
            actor=team.director,
            config=config,
            period=PERIOD,
            as_of=date(2026, 12, 31),
        )
    before = (snapshot_rows(engine, KeyResult), snapshot_rows(engine, Objective))
    with pytest.raises(GoalError, match="2026-Q4 is closed"):
        check_in(engine, team.priya, krs["metric"], confidence=5, note="Late.")
    with pytest.raises(GoalError, match="2026-Q4 is closed"):
        edit_kr(engine, config.metrics, team.director, krs["metric"].id, 1, target_value=0.03)
    with pytest.raises(GoalError, match="2026-Q4 is closed"):
        new_objective(engine, team.director, team.priya, title="Late addition")
    assert (snapshot_rows(engine, KeyResult), snapshot_rows(engine, Objective)) == before


def test_a_key_result_whose_metric_left_the_config_can_still_be_archived(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    objective = new_objective(engine, team.director, team.priya)
    kr = new_kr(engine, config, team.director, **conversion_kr(objective, team.priya))
    metrics = {k: v for k, v in config.metrics.metrics.items() if k != "conversion_rate"}
    smaller = config.metrics.model_copy(update={"metrics": metrics})
    with pytest.raises(GoalError, match="Unknown metric 'conversion_rate'"):
        edit_kr(engine, smaller, team.director, kr.id, 1, title="Renamed")
    archived = archive_kr(engine, smaller, team.director, kr.id, 1)
    assert archived.archived and archived.title == "Conversion rate up"
