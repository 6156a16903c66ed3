"""Drafting a quarter from the last one's unfinished goals (planning/okrs/quarter_draft.py), and the
weeks around the turn of a year with an ISO week 53: periods, the weekly plan's "last week" and
the digest. The demo store is loaded as of 31 Dec 2026 (2026-Q4 goals, data through 30 Dec)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.cli.main import main
from planning.config import default_config
from planning.metrics.rollups import rebuild_daily_totals
from planning.okrs.evaluation import evaluate_period
from planning.okrs.goal_rules import GoalError
from planning.okrs.goals import post_check_in, update_key_result
from planning.okrs.quarter_close import close_quarter
from planning.okrs.quarter_draft import copy_unfinished, draft_source
from planning.periods import iso_week, parse_iso_week, week_bounds, window_bounds
from planning.reports.digest import build_digest
from planning.reports.digest_render import digest_markdown
from planning.store.engine import DATABASE_URL_ENV, session_scope
from planning.store.models import (
    AuditEvent,
    InitiativeKeyResult,
    KeyResult,
    KeyResultUpdate,
    KrGrade,
    KrKind,
    Objective,
    Role,
)
from planning.store.models_metrics import Observation
from planning.work.weekly_plan import commit_weekly_plan, plan_diff, previous_plan
from tests.okr_seed import NEW, OLD, draft_next_quarter, first_with_role, measured
from tests.planning_seed import count


def test_the_preview_lists_exactly_the_unfinished_goals_and_writes_nothing(
    new_quarter_engine: Engine,
) -> None:
    audit_before = count(new_quarter_engine, AuditEvent)
    found = draft_next_quarter(new_quarter_engine, preview=True)
    assert count(new_quarter_engine, Objective, Objective.period == NEW) == 0
    assert count(new_quarter_engine, AuditEvent) == audit_before
    with Session(new_quarter_engine) as session:
        evaluation = evaluate_period(session=session, config=default_config(), period=OLD)
    unfinished = {
        kr.key_result_id
        for kr in evaluation.key_results()
        if (kr.kind == "milestone" and not kr.done)
        or (kr.kind == "guardrail" and kr.met is False)
        or (kr.kind in ("metric", "manual") and (kr.progress is None or kr.progress < 1))
    }
    reached = {
        kr.key_result_id
        for kr in evaluation.key_results()
        if kr.kind in ("metric", "manual") and kr.progress is not None and kr.progress >= 1
    }
    drafted = {kr.source_id for o in found.objectives for kr in o.key_results}
    assert unfinished and reached  # the demo quarter has both
    assert unfinished <= drafted
    assert not drafted & reached
    # No data for the new quarter yet: metric key results keep their old start, and say so.
    metric_krs = [kr for o in found.objectives for kr in o.key_results if kr.kind == "metric"]
    assert metric_krs
    assert all(kr.start_value == kr.old_start_value for kr in metric_krs)
    assert all(kr.start_note.startswith("kept") for kr in metric_krs)
    assert any(f"no data for {NEW} yet" in kr.start_note for kr in metric_krs)
    assert not found.data_in_new_quarter


def test_confirming_writes_the_draft_once_audited_with_links(new_quarter_engine: Engine) -> None:
    preview = draft_next_quarter(new_quarter_engine, preview=True)
    audit_before = count(new_quarter_engine, AuditEvent)
    written = draft_next_quarter(new_quarter_engine, preview=False)
    assert written.written
    assert [o.title for o in written.objectives] == [o.title for o in preview.objectives]
    assert count(new_quarter_engine, Objective, Objective.period == NEW) == len(preview.objectives)
    with Session(new_quarter_engine) as session:
        new_ids = [o.new_id for o in written.objectives]
        new_krs = session.execute(
            select(KeyResult).where(KeyResult.objective_id.in_(new_ids))  # type: ignore[attr-defined]
        ).scalars()
        new_krs = list(new_krs)
        links = session.execute(
            select(func.count())
            .select_from(InitiativeKeyResult)
            .where(InitiativeKeyResult.key_result_id.in_([k.id for k in new_krs]))  # type: ignore[attr-defined]
        ).scalar()
    assert len(new_krs) == preview.key_result_count
    assert not any(k.done for k in new_krs if k.kind == KrKind.milestone)
    assert links == sum(len(kr.initiative_ids) for o in preview.objectives for kr in o.key_results)
    assert links > 0
    # One audit event per record created, and one for the copy itself.
    created = len(preview.objectives) + preview.key_result_count
    assert count(new_quarter_engine, AuditEvent) == audit_before + created + 1
    assert count(new_quarter_engine, AuditEvent, AuditEvent.entity == "quarter_draft") == 1

    # A second confirmation (a double click, a second director) copies nothing more.
    with pytest.raises(GoalError, match="already has objectives"):
        draft_next_quarter(new_quarter_engine, preview=False)
    assert count(new_quarter_engine, Objective, Objective.period == NEW) == len(preview.objectives)


@pytest.mark.parametrize("role", [Role.member, Role.stakeholder])
def test_members_and_stakeholders_cannot_draft_a_quarter(
    new_quarter_engine: Engine, role: Role
) -> None:
    for preview in (True, False):
        with pytest.raises(PermissionDenied):
            draft_next_quarter(new_quarter_engine, preview=preview, role=role)
    assert count(new_quarter_engine, Objective, Objective.period == NEW) == 0


def test_an_objective_whose_key_results_are_all_finished_is_not_copied(
    new_quarter_engine: Engine,
) -> None:
    config = default_config()
    found = draft_next_quarter(new_quarter_engine, preview=True)
    first = found.objectives[0].source_id
    with Session(new_quarter_engine) as session:
        evaluation = evaluate_period(session=session, config=config, period=OLD)
    [objective] = [o for o in evaluation.objectives if o.objective_id == first]
    with session_scope(new_quarter_engine) as session:
        director = first_with_role(session, Role.director)
        for kr in objective.key_results:
            record = session.get(KeyResult, kr.key_result_id)
            assert record is not None
            if record.kind == KrKind.milestone:
                post_check_in(
                    session=session,
                    actor=director,
                    key_result_id=kr.key_result_id,
                    confidence=10,
                    note="Shipped.",
                    done=True,
                )
                continue
            current = kr.current
            assert current is not None
            up = record.direction == "increase"
            if record.kind == KrKind.guardrail:
                above = record.guardrail_rule == "stay_above"
                changes = KeyResultUpdate(threshold=current * (0.95 if above else 1.05))
            else:  # reached: the target lies between the start and the current value
                changes = KeyResultUpdate(
                    start_value=current * (0.5 if up else 1.2),
                    target_value=current * (0.9 if up else 1.05),
                )
            update_key_result(
                session=session,
                actor=director,
                key_result_id=record.id,
                expected_version=record.version,
                changes=changes,
                config=config.metrics,
            )
    again = draft_next_quarter(new_quarter_engine, preview=True)
    assert first not in {o.source_id for o in again.objectives}
    assert len(again.objectives) == len(found.objectives) - 1


def test_metric_key_results_start_from_the_new_quarters_data_once_there_is_some(
    new_quarter_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two days of the new quarter arrive (a copy of the last two days of the old one).
    with session_scope(new_quarter_engine) as session:
        rows = session.execute(
            select(Observation.series_id, Observation.day, Observation.value).where(
                Observation.day >= date(2026, 12, 29)
            )
        ).all()
        session.execute(
            insert(Observation),
            [{"series_id": s, "day": d + timedelta(days=3), "value": v * 1.1} for s, d, v in rows],
        )
        # Written straight into the table, so the daily totals are summed again, as every
        # product writer of observations does in its transaction.
        rebuild_daily_totals(connection=session.connection())
    monkeypatch.setenv("QUARTERDECK_TODAY", "2027-01-03")
    found = draft_next_quarter(new_quarter_engine, preview=True)
    assert found.data_in_new_quarter
    config = default_config()
    read = 0
    with Session(new_quarter_engine) as session:
        for kr in (kr for o in found.objectives for kr in o.key_results if kr.kind == "metric"):
            record = session.get(KeyResult, kr.source_id)
            assert record is not None
            if record.total_target:
                assert kr.start_value == record.start_value
                continue
            start, end = window_bounds(record.window.value, NEW, date(2027, 1, 2))
            expected = measured(session, config.metrics, record, start, end)
            assert kr.start_value == pytest.approx(expected)
            assert kr.start_note == f"{NEW} data through 02 Jan 2027"
            read += 1
    assert read > 0


def test_the_quarter_to_copy_from_is_the_latest_one_with_goals(new_quarter_engine: Engine) -> None:
    with Session(new_quarter_engine) as session:
        assert draft_source(session=session, period=NEW) == OLD
        assert draft_source(session=session, period="2027-Q3") == OLD
        assert draft_source(session=session, period="2020-Q1") is None


# --- ISO week 53 --------------------------------------------------------------------------------


def test_week_53_labels_and_bounds_across_the_turn_of_2026() -> None:
    assert iso_week(date(2026, 12, 28)) == "2026-W53"
    assert iso_week(date(2026, 12, 31)) == "2026-W53"
    assert iso_week(date(2027, 1, 3)) == "2026-W53"
    assert iso_week(date(2027, 1, 4)) == "2027-W01"
    assert week_bounds("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))
    assert week_bounds("2027-W01") == (date(2027, 1, 4), date(2027, 1, 10))
    assert parse_iso_week("2026-w53") == (2026, 53)
    for bad in ("2027-W53", "2025-W53", "2027-W00"):
        with pytest.raises(ValueError):
            parse_iso_week(bad)
    # A leap day sits in an ordinary week.
    assert iso_week(date(2028, 2, 29)) == "2028-W09"


def test_the_plan_committed_in_week_53_is_last_week_for_week_1(new_quarter_engine: Engine) -> None:
    config = default_config()
    with session_scope(new_quarter_engine) as session:
        director = first_with_role(session, Role.director)
        for week in ("2026-W52", "2026-W53"):
            commit_weekly_plan(
                session=session,
                actor=director,
                config=config,
                week=week,
                framework=config.scoring.active,
                replace=True,
            )
    with Session(new_quarter_engine) as session:
        found = previous_plan(session=session, week="2027-W01")
        assert found is not None and found.week == "2026-W53"
        diff = plan_diff(
            session=session, config=config, week="2027-W01", framework=config.scoring.active
        )
        assert diff.previous is not None and diff.previous.week == "2026-W53"
        digest = build_digest(
            session=session, config=config, week="2027-W01", today=date(2027, 1, 10)
        )
    assert digest.week == "2027-W01"
    assert (digest.monday, digest.sunday) == (date(2027, 1, 4), date(2027, 1, 10))
    assert "against the plan committed for 2026-W53" in digest.plan_note


def test_the_digest_of_week_53_reports_the_quarter_its_data_reaches(
    new_quarter_engine: Engine,
) -> None:
    with Session(new_quarter_engine) as session:
        digest = build_digest(
            session=session, config=default_config(), week="2026-W53", today=date(2027, 1, 10)
        )
        first_week = build_digest(
            session=session, config=default_config(), week="2027-W01", today=date(2027, 1, 10)
        )
    # Data runs through 30 Dec: the week's numbers are 2026-Q4's, not an empty 2027-Q1.
    assert digest.data_through == date(2026, 12, 30)
    assert digest.period == OLD
    assert digest.key_results
    assert first_week.period == NEW
    assert not first_week.key_results
    assert "has no objectives yet" in first_week.period_note


def test_the_digest_of_week_53_names_both_years_of_its_span(new_quarter_engine: Engine) -> None:
    # "Mon 28 Dec – Sun 03 Jan 2027" read as a week of 2027's December.
    with Session(new_quarter_engine) as session:
        digest = build_digest(
            session=session, config=default_config(), week="2026-W53", today=date(2027, 1, 1)
        )
    assert "Mon 28 Dec 2026 – Sun 03 Jan 2027" in digest_markdown(digest, plain=True)
    with i18n.use_locale("de"):
        assert "Mo., 28. Dez. 2026 – So., 3. Jan. 2027" in digest_markdown(digest, plain=True)
    same_year = replace(digest, monday=date(2026, 12, 21), sunday=date(2026, 12, 27))
    assert "Mon 21 Dec – Sun 27 Dec 2026" in digest_markdown(same_year, plain=True)


def test_a_confirmation_is_refused_when_the_draft_changed_since_its_preview(
    new_quarter_engine: Engine,
) -> None:
    preview = draft_next_quarter(new_quarter_engine, preview=True)
    kr = preview.objectives[0].key_results[0]
    with session_scope(new_quarter_engine) as session:
        record = session.get(KeyResult, kr.source_id)
        assert record is not None
        record.archived = True  # someone edits the old quarter between preview and confirm
        session.add(record)
    with (
        session_scope(new_quarter_engine) as session,
        pytest.raises(GoalError, match="since the preview"),
    ):
        copy_unfinished(
            session=session,
            actor=first_with_role(session, Role.director),
            config=default_config(),
            from_period=OLD,
            to_period=NEW,
            preview=False,
            previewed=preview,
        )
    assert count(new_quarter_engine, Objective, Objective.period == NEW) == 0


def test_a_closed_quarter_is_drafted_from_its_grades(new_quarter_engine: Engine) -> None:
    config = default_config()
    with session_scope(new_quarter_engine) as session:
        close_quarter(
            session=session,
            actor=first_with_role(session, Role.director),
            config=config,
            period=OLD,
        )
    with Session(new_quarter_engine) as session:
        grades = dict(session.execute(select(KrGrade.key_result_id, KrGrade.grade)).all())
    found = draft_next_quarter(new_quarter_engine, preview=True)
    drafted = {kr.source_id: kr for o in found.objectives for kr in o.key_results}
    below = {kr_id for kr_id, grade in grades.items() if grade < 1.0}
    assert below and below <= set(drafted)
    for kr_id, kr in drafted.items():
        assert kr.why == f"graded {grades[kr_id]:.1f}" or kr.kind == "guardrail"


def test_two_directors_confirming_at_once_copy_the_quarter_once(new_quarter_engine: Engine) -> None:
    outcomes: list[str] = []

    def confirm() -> None:
        try:
            draft_next_quarter(new_quarter_engine, preview=False)
        except GoalError:
            outcomes.append("refused")
        else:
            outcomes.append("written")

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "written"]
    assert count(new_quarter_engine, AuditEvent, AuditEvent.entity == "quarter_draft") == 1


def test_the_command_line_previews_then_drafts_the_quarter_once(
    new_quarter_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, str(new_quarter_engine.url))
    monkeypatch.setenv("QUARTERDECK_DEMO", "0")
    with Session(new_quarter_engine) as session:
        member = first_with_role(session, Role.member).email
    assert main(["--today", "2027-01-01", "okr", "draft"]) == 0
    out = capsys.readouterr().out
    assert "preview only: would create 3 objectives" in out
    assert "kept: no data for 2027-Q1 yet" in out
    assert count(new_quarter_engine, Objective, Objective.period == NEW) == 0

    assert main(["--today", "2027-01-01", "okr", "draft", "--as", member, "--confirm"]) != 0
    assert "Only a director can draft" in capsys.readouterr().err
    assert count(new_quarter_engine, Objective, Objective.period == NEW) == 0

    assert main(["--today", "2027-01-01", "okr", "draft", "--confirm"]) == 0
    assert "created 3 objectives" in capsys.readouterr().out
    assert main(["--today", "2027-01-01", "okr", "draft", "--confirm"]) != 0
    assert "already has objectives" in capsys.readouterr().err
    assert count(new_quarter_engine, Objective, Objective.period == NEW) == 3


def test_a_draft_over_the_goal_limits_is_refused_and_writes_nothing(
    new_quarter_engine: Engine,
) -> None:
    # Goals stored before the limits existed: one objective with 30 open key results, and 250
    # more objectives without any, so the copy would break every limit of the new quarter.
    found = draft_next_quarter(new_quarter_engine, preview=True)
    with session_scope(new_quarter_engine) as session:
        grown = session.get(Objective, found.objectives[0].source_id)
        assert grown is not None
        for n in range(30):
            session.add(
                KeyResult(
                    objective_id=grown.id,
                    title=f"Open {n}",
                    owner_id=grown.owner_id,
                    kind=KrKind.manual,
                    direction="increase",
                    start_value=0,
                    target_value=10,
                )
            )
        for n in range(250):
            session.add(Objective(period=OLD, title=f"Empty {n}", owner_id=grown.owner_id))
    audit_before = count(new_quarter_engine, AuditEvent)
    drafted = len(found.objectives) + 250
    preview = draft_next_quarter(new_quarter_engine, preview=True)
    key_results = len(found.objectives[0].key_results) + 30
    assert preview.problems[:2] == [
        f"The draft holds {drafted} objectives; a quarter may hold at most 250.",
        f"Objective “{grown.title}” would hold {key_results} key results; an objective may hold "
        "at most 25.",
    ]
    with pytest.raises(GoalError) as excinfo:
        draft_next_quarter(new_quarter_engine, preview=False, previewed=preview)
    assert excinfo.value.problems == preview.problems
    assert count(new_quarter_engine, Objective, Objective.period == NEW) == 0
    assert count(new_quarter_engine, AuditEvent) == audit_before
