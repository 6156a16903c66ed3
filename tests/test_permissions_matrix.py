"""Who may change what, walked whole: every write function in planning/ × every role × their own
record and someone else's (DESIGN §1: directors everything; members their own initiatives, KR
check-ins and ideas; stakeholders and inactive people nothing, except that any active person sets
how they themselves are notified).

Each case builds a fresh target record owned by the case's owner, then acts on it. An allowed
case must succeed and change the store. A refused case must raise PermissionDenied before
writing anything: the test even commits the caller's session after the refusal, and every table
the database holds must be exactly as it was (same row count, same rows: `fingerprint` compares
their text, hashed in the database on PostgreSQL).

WRITERS lists the functions explicitly; test_every_writer_with_an_actor_is_in_the_matrix finds
every public planning/ function that takes an `actor` keyword and fails if one is missing, so a
new writer cannot skip the matrix (the checks in planning/access/permissions.py take the actor as
their first argument and are what the writers call). Writers without an actor are system work with
no person behind it: migrations and the demo loader (store.py, demo.py), restoring an export
(store/restore.py), the benchmark's data sets (bench.py), noting when a token or share link was last
used (api_tokens.note_use, share_links.note_use) and password sign-in itself (auth.py).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import pkgutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, TextClause, text
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel

import planning
from planning.access import api_tokens, languages, people, person_settings, share_links
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.impact import calibration as calibration_suggestions
from planning.metrics import import_checks, import_file, import_records, importer
from planning.notify import preferences as notify_preferences
from planning.okrs import alignment, goals, quarter_close, quarter_draft, templates
from planning.okrs import file_import as okr_file
from planning.sources import formats, mappings
from planning.sources.config import load_sources
from planning.sources.runs import run_source
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    Decision,
    Initiative,
    InitiativeDependency,
    InitiativeKeyResult,
    InitiativeStatus,
    KeyResult,
    KeyResultCreate,
    KeyResultUpdate,
    KrKind,
    Objective,
    ObjectiveCreate,
    ObjectiveUpdate,
    PersonCreate,
    PersonRead,
    PersonUpdate,
    Role,
    TimeOff,
)
from planning.store.models_locale import PersonLanguage
from planning.store.models_scenarios import PlanScenario
from planning.trash import bin as trash_bin
from planning.work import (
    backlog_edits,
    bulk_edit,
    decisions,
    dependencies,
    initiatives,
    planning_undo,
    scenarios,
    status_updates,
    weekly_plan,
)
from planning.work.initiative_input import InitiativeDraft, NewStatusUpdate
from tests.conftest import BACKENDS, fresh_store
from tests.planning_seed import Team, seed_team

ROOT = Path(__file__).resolve().parent.parent

# Functions that take an actor but are steps inside the writers above, never called on a
# person's behalf on their own: each caller has checked the actor's role already.
HELPERS = {
    "planning.store.audit.record_event": "records the event of a write that was already allowed",
    "planning.store.audit.record_created": "adds and audits a record whose creation was allowed",
    "planning.store.audit.record_changed": "saves and audits a change that was already allowed",
    "planning.store.audit.record_deleted": "deletes and audits a record whose removal was allowed",
    "planning.metrics.observations.record_batch": "records the batch of an import that was allowed",
    "planning.metrics.observations.write_batch": "writes the rows and batch of an allowed import",
    "planning.work.initiatives.audit_initiative": "audits an initiative write that was allowed",
    "planning.access.secret_links.record_revoked": "revokes a token or link as an allowed write",
}


class Rule(Enum):
    DIRECTOR = "directors only"
    OWNER = "directors, and active members on their own record"
    SELF = "directors, and any active person on their own record (notification preferences)"


@dataclass
class World:
    """The store and team every case acts in, and a counter for unique names and periods."""

    engine: Engine
    config: AppConfig
    team: Team
    counter: itertools.count[int]

    def next(self) -> int:
        return next(self.counter)

    def add(self, record: SQLModel) -> int:
        with session_scope(self.engine) as session:
            session.add(record)
            session.flush()
            return int(record.id)  # type: ignore[attr-defined]

    def link(self, initiative_id: int, key_result_id: int) -> None:
        with session_scope(self.engine) as session:
            session.add(
                InitiativeKeyResult(initiative_id=initiative_id, key_result_id=key_result_id)
            )

    def initiative(self, owner: PersonRead, status: str = "in_progress") -> int:
        return self.add(
            Initiative(
                title=f"Work {self.next()}",
                owner_id=owner.id,
                status=InitiativeStatus(status),
                start_date=date(2026, 4, 1),
                target_date=date(2026, 6, 30),
            )
        )

    def key_result(self, owner: PersonRead, objective_id: int | None = None) -> int:
        return self.add(
            KeyResult(
                objective_id=objective_id or self.team.checkout,
                title=f"Milestone {self.next()}",
                owner_id=owner.id,
                kind=KrKind.milestone,
            )
        )

    def objective(self, owner: PersonRead, period: str = "2026-Q2") -> int:
        return self.add(Objective(period=period, title=f"Goal {self.next()}", owner_id=owner.id))

    def fresh_period(self) -> str:
        n = self.next()
        return f"{2010 + n // 4}-Q{n % 4 + 1}"


Call = Callable[[Session, PersonRead], Any]
Prepare = Callable[[World, PersonRead], Call]


@dataclass(frozen=True)
class Writer:
    """One write function, who may call it, and how to build a target owned by someone."""

    function: Callable[..., Any]
    rule: Rule
    prepare: Prepare

    @property
    def name(self) -> str:
        return f"{self.function.__module__}.{self.function.__name__}"


# --- how each writer is called -----------------------------------------------------------------


def _create_objective(w: World, owner: PersonRead) -> Call:
    draft = ObjectiveCreate(period="2026-Q2", title=f"Goal {w.next()}", owner_id=owner.id)
    return lambda s, a: goals.create_objective(session=s, actor=a, objective=draft)


def _set_objective_parents(w: World, owner: PersonRead) -> Call:
    child, parent = w.objective(owner), w.objective(owner)
    return lambda s, a: alignment.set_objective_parents(
        session=s, actor=a, objective_id=child, parent_ids=[parent]
    )


def _set_kr_contributions(w: World, owner: PersonRead) -> Call:
    kid, other = w.key_result(owner), w.objective(owner)
    return lambda s, a: alignment.set_kr_contributions(
        session=s, actor=a, key_result_id=kid, contributions=[(other, 2.0)]
    )


def _create_key_result(w: World, owner: PersonRead) -> Call:
    draft = KeyResultCreate(
        objective_id=w.team.checkout, title="Ship it", owner_id=owner.id, kind=KrKind.milestone
    )
    return lambda s, a: goals.create_key_result(
        session=s, actor=a, key_result=draft, config=w.config.metrics
    )


def _post_check_in(w: World, owner: PersonRead) -> Call:
    kid = w.key_result(owner)
    return lambda s, a: goals.post_check_in(
        session=s, actor=a, key_result_id=kid, confidence=7, note="On its way."
    )


def _create_initiative(w: World, owner: PersonRead) -> Call:
    draft = InitiativeDraft(title=f"Idea {w.next()}", owner_id=owner.id)
    return lambda s, a: initiatives.create_initiative(
        session=s, actor=a, config=w.config, draft=draft
    )


def _on_initiative(w: World, iid: int, action: Callable[..., Any], **fields: Any) -> Call:
    """A call of an initiative write that takes the config and version 1 of initiative `iid`."""
    return lambda s, a: action(
        session=s, actor=a, config=w.config, initiative_id=iid, expected_version=1, **fields
    )


def _edit(change: Callable[[int], dict[str, Any]], status: str = "in_progress") -> Prepare:
    def prepare(w: World, owner: PersonRead) -> Call:
        iid = w.initiative(owner, status)
        return _on_initiative(w, iid, initiatives.update_initiative, changes=change(iid))

    return prepare


def _post_status_update(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner)
    update = NewStatusUpdate(
        status="in_progress", health="at_risk", percent_complete=40, note="Vendor is late."
    )
    return lambda s, a: status_updates.post_status_update(
        session=s, actor=a, initiative_id=iid, update=update
    )


_NEW_ROW: dict[str, Callable[[World, PersonRead], int]] = {
    "initiative_id": lambda w, owner: w.initiative(owner, "idea"),
    "objective_id": lambda w, owner: w.objective(owner),
    "key_result_id": lambda w, owner: w.key_result(owner),
}


def _at_version_1(
    id_name: str, action: Callable[..., Any], *, metrics: bool = False, **fields: Any
) -> Prepare:
    """A call of `action` on version 1 of a new row of the owner's, named by the id it takes: an
    idea, an objective or a key result (and the metrics config, for `metrics`)."""

    def prepare(w: World, owner: PersonRead) -> Call:
        target = {id_name: _NEW_ROW[id_name](w, owner), "expected_version": 1, **fields}
        if metrics:
            target["config"] = w.config.metrics
        return lambda s, a: action(session=s, actor=a, **target)

    return prepare


_update_objective = _at_version_1(
    "objective_id", goals.update_objective, changes=ObjectiveUpdate(title="Renamed")
)
_archive_objective = _at_version_1("objective_id", goals.archive_objective)
_delete_objective = _at_version_1("objective_id", trash_bin.delete_objective)
_update_key_result = _at_version_1(
    "key_result_id", goals.update_key_result, metrics=True, changes=KeyResultUpdate(title="Renamed")
)
_archive_key_result = _at_version_1("key_result_id", goals.archive_key_result, metrics=True)
_delete_key_result = _at_version_1("key_result_id", trash_bin.delete_key_result)
_drop_initiative = _at_version_1(
    "initiative_id", status_updates.drop_initiative, reason="Not worth it."
)
_delete_initiative = _at_version_1("initiative_id", trash_bin.delete_initiative)
_accept_idea = _at_version_1("initiative_id", status_updates.accept_idea)
_decline_idea = _at_version_1("initiative_id", status_updates.decline_idea, reason="Not this year.")


def _bulk_edit(w: World, owner: PersonRead) -> Call:
    ids = [w.initiative(owner), w.initiative(owner)]
    return lambda s, a: bulk_edit.bulk_edit_initiatives(
        session=s,
        actor=a,
        config=w.config,
        initiative_ids=ids,
        changes=bulk_edit.BulkChanges(health="at_risk"),
    )


def _restore_initiative(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner, "idea")
    with session_scope(w.engine) as session:
        item = trash_bin.delete_initiative(
            session=session, actor=w.team.director, initiative_id=iid, expected_version=1
        )
    return lambda s, a: trash_bin.restore_from_trash(session=s, actor=a, trash_item_id=item.id)


def _assign_owner(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner)
    other = w.team.ben if owner.id != w.team.ben.id else w.team.ana
    return _on_initiative(w, iid, initiatives.assign_owner, owner_id=other.id)


def _change_status(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner)
    return _on_initiative(w, iid, initiatives.change_status, status="blocked")


def _set_expected_lift(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner)
    lift = {"metric_id": "conversion_rate", "lift_pct": 0.05}
    return _on_initiative(w, iid, initiatives.set_expected_lift, **lift)


def _link_key_result(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner)
    return _on_initiative(w, iid, initiatives.link_key_result, key_result_id=w.team.kr_aov)


def _unlink_key_result(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner)
    w.link(iid, w.team.kr_aov)
    return _on_initiative(w, iid, initiatives.unlink_key_result, key_result_id=w.team.kr_aov)


def _add_dependency(w: World, owner: PersonRead) -> Call:
    blocker, blocked = w.initiative(owner), w.initiative(owner)
    return lambda s, a: dependencies.add_dependency(
        session=s, actor=a, blocker_id=blocker, blocked_id=blocked
    )


def _remove_dependency(w: World, owner: PersonRead) -> Call:
    blocker, blocked = w.initiative(owner), w.initiative(owner)
    w.add(InitiativeDependency(blocker_id=blocker, blocked_id=blocked))
    return lambda s, a: dependencies.remove_dependency(
        session=s, actor=a, blocker_id=blocker, blocked_id=blocked
    )


def _set_dependencies(w: World, owner: PersonRead) -> Call:
    blocker, blocked = w.initiative(owner), w.initiative(owner)
    return lambda s, a: dependencies.set_dependencies(
        session=s, actor=a, initiative_id=blocked, waits_on=[blocker], blocks=[]
    )


def _commit_weekly_plan(w: World, owner: PersonRead) -> Call:
    w.initiative(owner, "planned")
    week = f"2026-W{w.next() % 50 + 1:02d}"
    return lambda s, a: weekly_plan.commit_weekly_plan(
        session=s, actor=a, config=w.config, week=week, framework="rice", replace=True
    )


def _scenario(w: World, changes: list[dict[str, Any]] | None = None) -> int:
    """A draft of its own week (so committing it never meets another case's plan)."""
    return w.add(
        PlanScenario(
            week=f"2026-W{w.next() % 50 + 1:02d}",
            name=f"Draft {w.next()}",
            changes=changes or [],
            created_by=w.team.director.id,
        )
    )


def _create_scenario(w: World, owner: PersonRead) -> Call:
    del owner
    name = f"Draft {w.next()}"
    return lambda s, a: scenarios.create_scenario(session=s, actor=a, week="2026-W48", name=name)


def _save_scenario(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner, "planned")
    scenario_id = _scenario(w)
    change = scenarios.DraftChange(initiative_id=iid, base_version=1, fields={"effort_weeks": 3.0})
    return lambda s, a: scenarios.save_scenario(
        session=s, actor=a, scenario_id=scenario_id, expected_version=1, changes=[change]
    )


def _discard_scenario(w: World, owner: PersonRead) -> Call:
    del owner
    scenario_id = _scenario(w)
    return lambda s, a: scenarios.discard_scenario(
        session=s, actor=a, scenario_id=scenario_id, expected_version=1
    )


def _commit_scenario(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner, "planned")
    change = {"initiative_id": iid, "base_version": 1, "fields": {"effort_weeks": 3.0}}
    scenario_id = _scenario(w, [change])
    return lambda s, a: scenarios.commit_scenario(
        session=s,
        actor=a,
        config=w.config,
        scenario_id=scenario_id,
        expected_version=1,
        framework="rice",
        replace=True,
    )


def _apply_backlog_edits(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner, "planned")
    edit = backlog_edits.RowEdit(
        initiative_id=iid, title="Work", expected_version=1, changes={"effort_weeks": 3.0}
    )
    return lambda s, a: backlog_edits.apply_backlog_edits(
        session=s, actor=a, config=w.config, edits=[edit]
    )


def _undo_planning_save(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner, "planned")
    edit = backlog_edits.RowEdit(
        initiative_id=iid, title="Work", expected_version=1, changes={"effort_weeks": 4.0}
    )
    with session_scope(w.engine) as session:
        backlog_edits.apply_backlog_edits(
            session=session, actor=w.team.director, config=w.config, edits=[edit]
        )
        save = planning_undo.last_planning_save(session=session)
    assert save is not None
    return lambda s, a: planning_undo.undo_last_planning_save(session=s, actor=a, save_id=save.id)


def _apply_suggested_confidences(w: World, owner: PersonRead) -> Call:
    iid = w.add(
        Initiative(
            title=f"Work {w.next()}",
            owner_id=owner.id,
            status=InitiativeStatus.planned,
            lift_estimator_id=owner.id,
            scores={"rice": {"reach": 1000, "impact": 1, "confidence": 0.5}},
        )
    )
    suggestion = calibration_suggestions.Suggestion(
        initiative_id=iid, title="Work", estimator=owner.name, current=0.5, suggested=0.8, version=1
    )
    return lambda s, a: calibration_suggestions.apply_suggested_confidences(
        session=s, actor=a, config=w.config, framework_id="rice", suggestions=[suggestion]
    )


def _add_decision(w: World, owner: PersonRead) -> Call:
    iid = w.initiative(owner)
    return lambda s, a: decisions.add_decision(
        session=s,
        actor=a,
        decided_on=date(2026, 5, 4),
        text="Ship the wallet first.",
        initiative_id=iid,
        today=date(2026, 5, 5),
    )


def _logged_decision(w: World, owner: PersonRead) -> int:
    return w.add(
        Decision(decided_on=date(2026, 5, 4), text=f"Decision {w.next()}", author_id=owner.id)
    )


def _edit_decision(w: World, owner: PersonRead) -> Call:
    did = _logged_decision(w, owner)
    return lambda s, a: decisions.edit_decision(
        session=s,
        actor=a,
        decision_id=did,
        text="Ship the wallet second.",
        decided_on=date(2026, 5, 4),
        initiative_id=None,
        expected_version=1,
        today=date(2026, 5, 5),
    )


def _withdraw_decision(w: World, owner: PersonRead) -> Call:
    did = _logged_decision(w, owner)
    return lambda s, a: decisions.withdraw_decision(
        session=s, actor=a, decision_id=did, expected_version=1
    )


def _close_quarter(w: World, owner: PersonRead) -> Call:
    period = w.fresh_period()
    w.key_result(owner, w.objective(owner, period))
    return lambda s, a: quarter_close.close_quarter(
        session=s, actor=a, config=w.config, period=period, note="Done."
    )


def _override_grade(w: World, owner: PersonRead) -> Call:
    period = w.fresh_period()
    kid = w.key_result(owner, w.objective(owner, period))
    with session_scope(w.engine) as session:
        quarter_close.close_quarter(
            session=session, actor=w.team.director, config=w.config, period=period
        )
    return lambda s, a: quarter_close.override_grade(
        session=s,
        actor=a,
        period=period,
        key_result_id=kid,
        grade=0.7,
        reason="Shipped a week late.",
        expected_version=1,
    )


def _copy_unfinished(w: World, owner: PersonRead) -> Call:
    source, target = w.fresh_period(), w.fresh_period()
    w.key_result(owner, w.objective(owner, source))  # a milestone not done: unfinished
    return lambda s, a: quarter_draft.copy_unfinished(
        session=s, actor=a, config=w.config, from_period=source, to_period=target, preview=False
    )


def _start_from_template(w: World, owner: PersonRead) -> Call:
    period = w.fresh_period()
    return lambda s, a: templates.start_from_template(
        session=s, actor=a, config=w.config, name="retention", period=period, preview=False
    )


def _import_okr_file(w: World, owner: PersonRead) -> Call:
    text = (
        "period: 2026-Q3\n"
        "objectives:\n"
        f"  - title: Goal from a file {w.next()}\n"
        f"    owner: {owner.email}\n"
        "    key_results:\n"
        "      - title: Wallets live\n"
        "        kind: milestone\n"
    )
    return lambda s, a: okr_file.import_okr_file(
        session=s, actor=a, config=w.config.metrics, text=text
    )


def _sample_day(w: World) -> str:
    return (date(2026, 1, 1) + timedelta(days=w.next())).isoformat()


def _import_observations(w: World, owner: PersonRead) -> Call:
    data = import_file.SAMPLE_CSV.replace("2026-11-25", _sample_day(w)).encode()
    return lambda s, a: importer.import_observations(
        engine=w.engine,
        actor=a,
        data=data,
        filename="week.csv",
        source="upload",
        config=w.config.metrics,
    )


GA4_EXPORT = ROOT / "tests" / "fixtures" / "formats" / "ga4_funnel_export.csv"


def _ga4_upload(w: World) -> dict[str, Any]:
    """The GA4 funnel export as an admin uploads it."""
    return {
        "data": GA4_EXPORT.read_bytes(),
        "filename": "ga4.csv",
        "source": "upload",
        "config": w.config,
    }


def _import_in_format(w: World, owner: PersonRead) -> Call:
    upload = _ga4_upload(w)
    return lambda s, a: formats.import_in_format(engine=w.engine, actor=a, fmt="ga4", **upload)


def _import_converted(w: World, owner: PersonRead) -> Call:
    upload = _ga4_upload(w)
    converted = formats.convert(data=upload["data"], filename="ga4.csv", fmt="ga4", config=w.config)
    return lambda s, a: formats.import_converted(
        engine=w.engine, actor=a, converted=converted, **upload
    )


def _save_mapping(w: World, owner: PersonRead) -> Call:
    spec = mappings.MappingSpec(
        date_column="Day",
        fixed={"channel": "email", "device": "mobile"},
        measures={"sessions": "Visits"},
    )
    name = f"Visits sheet {w.next()}"
    return lambda s, a: mappings.save_mapping(
        session=s, actor=a, name=name, spec=spec, metrics=w.config.metrics
    )


def _run_source(w: World, owner: PersonRead) -> Call:
    folder = Path(tempfile.mkdtemp(prefix="matrix-source-"))
    sheet = folder / "sheet.csv"
    sheet.write_text(import_file.SAMPLE_CSV.replace("2026-11-25", _sample_day(w)))
    (folder / "sources.yaml").write_text(
        f"sources:\n  sheet:\n    kind: csv_url\n    schedule: manual\n"
        f"    settings:\n      path: {sheet}\n"
    )
    source = load_sources(folder, w.config.metrics).get("sheet")
    return lambda s, a: run_source(
        engine=w.engine, config=w.config, source=source, trigger="admin", actor=a
    )


def _write_observations(w: World, owner: PersonRead) -> Call:
    data = import_file.SAMPLE_CSV.replace("2026-11-25", _sample_day(w)).encode()
    table = import_file.read_table(data=data, filename="week.csv", config=w.config.metrics)
    frame = import_checks.validate(table=table, config=w.config.metrics).frame
    return lambda s, a: importer.write_observations(
        engine=w.engine, actor=a, frame=frame, checksum="0" * 64, filename="week.csv", source="api"
    )


def _import_records(w: World, owner: PersonRead) -> Call:
    records = [
        {
            "date": _sample_day(w),
            "measure": "sessions",
            "value": 1200,
            "channel": "email",
            "device": "mobile",
        }
    ]
    return lambda s, a: import_records.import_records(
        engine=w.engine,
        actor=a,
        records=records,
        checksum="0" * 64,
        source="api",
        config=w.config.metrics,
    )


def _create_token(w: World, owner: PersonRead) -> Call:
    return lambda s, a: api_tokens.create_token(
        session=s, actor=a, name="nightly-etl", scopes=[api_tokens.READ_OKRS]
    )


def _revoke_token(w: World, owner: PersonRead) -> Call:
    with session_scope(w.engine) as session:
        created = api_tokens.create_token(
            session=session, actor=None, name="etl", scopes=[api_tokens.READ_OKRS]
        )
    token_id = created.token.id
    return lambda s, a: api_tokens.revoke_token(session=s, actor=a, token_id=token_id)


def _create_share_link(w: World, owner: PersonRead) -> Call:
    return lambda s, a: share_links.create_share_link(session=s, actor=a, label="Board")


def _revoke_share_link(w: World, owner: PersonRead) -> Call:
    with session_scope(w.engine) as session:
        link_id = share_links.create_share_link(
            session=session, actor=w.team.director, label="Board"
        ).link.id
    return lambda s, a: share_links.revoke_share_link(session=s, actor=a, link_id=link_id)


def _create_person(w: World, owner: PersonRead) -> Call:
    draft = PersonCreate(name="Nia New", email=f"nia{w.next()}@x.test", role=Role.director)
    return lambda s, a: people.create_person(session=s, actor=a, person=draft)


def _update_person(w: World, owner: PersonRead) -> Call:
    with Session(read_engine(w.engine)) as session:
        current = people.get_person(session=session, person_id=owner.id)
    assert current is not None
    # Raising one's own role is the change a member or stakeholder would most want.
    return lambda s, a: people.update_person(
        session=s,
        actor=a,
        person_id=owner.id,
        expected_version=current.version,
        changes=PersonUpdate(role=Role.director, title="Head of everything"),
    )


def _add_time_off(w: World, owner: PersonRead) -> Call:
    first = date(2027, 1, 1) + timedelta(days=3 * w.next())
    return lambda s, a: people.add_time_off(
        session=s, actor=a, person_id=owner.id, start_date=first, end_date=first
    )


def _remove_time_off(w: World, owner: PersonRead) -> Call:
    day = date(2028, 1, 1) + timedelta(days=3 * w.next())
    row_id = w.add(TimeOff(person_id=owner.id, start_date=day, end_date=day))
    return lambda s, a: people.remove_time_off(session=s, actor=a, time_off_id=row_id)


def _set_password(w: World, owner: PersonRead) -> Call:
    return lambda s, a: people.set_password(
        session=s,
        actor=a,
        person_id=owner.id,
        password="a long enough secret",
        settings=w.config.settings.auth,
    )


def _set_preference(w: World, owner: PersonRead) -> Call:
    del w
    return lambda s, a: notify_preferences.set_preference(
        session=s, actor=a, person_id=owner.id, channel="slack", opted_out=True
    )


def _set_language(w: World, owner: PersonRead) -> Call:
    del w
    return lambda s, a: languages.set_language(
        session=s, actor=a, person_id=owner.id, language="de"
    )


def _save_person_setting(w: World, owner: PersonRead) -> Call:
    del w
    return lambda s, a: person_settings.save_person_setting(
        session=s,
        actor=a,
        person_id=owner.id,
        model=PersonLanguage,
        entity="person_language",
        doing="change someone's language",
        values={"language": "de"},
        problems=[],
    )


WRITERS: list[Writer] = [
    Writer(goals.create_objective, Rule.DIRECTOR, _create_objective),
    Writer(goals.update_objective, Rule.DIRECTOR, _update_objective),
    Writer(goals.archive_objective, Rule.DIRECTOR, _archive_objective),
    Writer(alignment.set_objective_parents, Rule.DIRECTOR, _set_objective_parents),
    Writer(alignment.set_kr_contributions, Rule.DIRECTOR, _set_kr_contributions),
    Writer(goals.create_key_result, Rule.DIRECTOR, _create_key_result),
    Writer(goals.update_key_result, Rule.DIRECTOR, _update_key_result),
    Writer(goals.archive_key_result, Rule.DIRECTOR, _archive_key_result),
    Writer(goals.post_check_in, Rule.OWNER, _post_check_in),
    Writer(initiatives.create_initiative, Rule.OWNER, _create_initiative),
    Writer(initiatives.update_initiative, Rule.OWNER, _edit(lambda _: {"title": "Renamed"})),
    Writer(status_updates.post_status_update, Rule.OWNER, _post_status_update),
    Writer(status_updates.drop_initiative, Rule.OWNER, _drop_initiative),
    Writer(status_updates.accept_idea, Rule.DIRECTOR, _accept_idea),
    Writer(bulk_edit.bulk_edit_initiatives, Rule.OWNER, _bulk_edit),
    Writer(trash_bin.delete_initiative, Rule.OWNER, _delete_initiative),
    Writer(trash_bin.restore_from_trash, Rule.OWNER, _restore_initiative),
    Writer(trash_bin.delete_objective, Rule.DIRECTOR, _delete_objective),
    Writer(trash_bin.delete_key_result, Rule.DIRECTOR, _delete_key_result),
    Writer(status_updates.decline_idea, Rule.DIRECTOR, _decline_idea),
    Writer(initiatives.assign_owner, Rule.DIRECTOR, _assign_owner),
    Writer(initiatives.change_status, Rule.DIRECTOR, _change_status),
    Writer(initiatives.set_expected_lift, Rule.OWNER, _set_expected_lift),
    Writer(initiatives.link_key_result, Rule.OWNER, _link_key_result),
    Writer(initiatives.unlink_key_result, Rule.OWNER, _unlink_key_result),
    Writer(dependencies.add_dependency, Rule.OWNER, _add_dependency),
    Writer(dependencies.remove_dependency, Rule.OWNER, _remove_dependency),
    Writer(dependencies.set_dependencies, Rule.OWNER, _set_dependencies),
    Writer(weekly_plan.commit_weekly_plan, Rule.DIRECTOR, _commit_weekly_plan),
    Writer(backlog_edits.apply_backlog_edits, Rule.DIRECTOR, _apply_backlog_edits),
    Writer(planning_undo.undo_last_planning_save, Rule.DIRECTOR, _undo_planning_save),
    Writer(scenarios.create_scenario, Rule.DIRECTOR, _create_scenario),
    Writer(scenarios.save_scenario, Rule.DIRECTOR, _save_scenario),
    Writer(scenarios.discard_scenario, Rule.DIRECTOR, _discard_scenario),
    Writer(scenarios.commit_scenario, Rule.DIRECTOR, _commit_scenario),
    Writer(
        calibration_suggestions.apply_suggested_confidences,
        Rule.DIRECTOR,
        _apply_suggested_confidences,
    ),
    Writer(decisions.add_decision, Rule.DIRECTOR, _add_decision),
    Writer(decisions.edit_decision, Rule.DIRECTOR, _edit_decision),
    Writer(decisions.withdraw_decision, Rule.DIRECTOR, _withdraw_decision),
    Writer(quarter_close.close_quarter, Rule.DIRECTOR, _close_quarter),
    Writer(quarter_close.override_grade, Rule.DIRECTOR, _override_grade),
    Writer(quarter_draft.copy_unfinished, Rule.DIRECTOR, _copy_unfinished),
    Writer(templates.start_from_template, Rule.DIRECTOR, _start_from_template),
    Writer(okr_file.import_okr_file, Rule.DIRECTOR, _import_okr_file),
    Writer(importer.import_observations, Rule.DIRECTOR, _import_observations),
    Writer(formats.import_in_format, Rule.DIRECTOR, _import_in_format),
    Writer(formats.import_converted, Rule.DIRECTOR, _import_converted),
    Writer(mappings.save_mapping, Rule.DIRECTOR, _save_mapping),
    Writer(run_source, Rule.DIRECTOR, _run_source),
    Writer(importer.write_observations, Rule.DIRECTOR, _write_observations),
    Writer(import_records.import_records, Rule.DIRECTOR, _import_records),
    Writer(api_tokens.create_token, Rule.DIRECTOR, _create_token),
    Writer(api_tokens.revoke_token, Rule.DIRECTOR, _revoke_token),
    Writer(share_links.create_share_link, Rule.DIRECTOR, _create_share_link),
    Writer(share_links.revoke_share_link, Rule.DIRECTOR, _revoke_share_link),
    Writer(people.create_person, Rule.DIRECTOR, _create_person),
    Writer(people.update_person, Rule.DIRECTOR, _update_person),
    Writer(people.add_time_off, Rule.DIRECTOR, _add_time_off),
    Writer(people.remove_time_off, Rule.DIRECTOR, _remove_time_off),
    Writer(people.set_password, Rule.DIRECTOR, _set_password),
    Writer(notify_preferences.set_preference, Rule.SELF, _set_preference),
    Writer(languages.set_language, Rule.SELF, _set_language),
    Writer(person_settings.save_person_setting, Rule.SELF, _save_person_setting),
]

# (case, who acts, whose record it is)
CASES: list[tuple[str, str, str]] = [
    ("director on a member's record", "director", "ana"),
    ("director on their own record", "director", "director"),
    ("member on their own record", "ana", "ana"),
    ("member on another member's record", "ana", "ben"),
    ("stakeholder on their own record", "sue", "sue"),
    ("stakeholder on a member's record", "sue", "ana"),
    ("inactive member on their own record", "gone", "gone"),
]


def allowed(rule: Rule, actor: PersonRead, owner: PersonRead) -> bool:
    """DESIGN §1 as a truth table."""
    if actor.active and actor.role == Role.director:
        return True
    if rule is Rule.OWNER:
        return actor.active and actor.role == Role.member and actor.id == owner.id
    if rule is Rule.SELF:
        return actor.active and actor.id == owner.id
    return False


def _table_digest(dialect: str, table: str, columns: list[str]) -> str:
    """SQL for one table's part of a fingerprint: its name, its row count and all its rows as
    text in a fixed order (on PostgreSQL an md5 of that text, so only the hash crosses the wire;
    SQLite runs in-process and gives the text itself)."""
    if dialect == "postgresql":
        rows = "string_agg(t::text, E'\\n' ORDER BY t::text)"
        return f"SELECT '{table}', count(*), md5(coalesce({rows}, '')) FROM \"{table}\" t"
    row = " || ',' || ".join(f'quote("{column}")' for column in columns)
    return (
        f"SELECT '{table}', count(*), group_concat(r, char(10)) "
        f'FROM (SELECT {row} AS r FROM "{table}" ORDER BY r)'
    )


@functools.lru_cache(maxsize=2)
def _fingerprint_query(engine: Engine) -> tuple[frozenset[str], TextClause]:
    """Every table the store holds as the database lists them (the migrations' own bookkeeping
    too, not only the models), and the one query that fingerprints them all."""
    inspector = sa_inspect(engine)
    tables = {
        table: [column["name"] for column in inspector.get_columns(table)]
        for table in inspector.get_table_names()
    }
    parts = [_table_digest(engine.dialect.name, t, columns) for t, columns in tables.items()]
    return frozenset(tables), text(" UNION ALL ".join(parts))


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Each table's row count and its rows (or their hash), in one query: equal exactly when every
    table holds the same rows. Each writer's test takes 14, so they must be cheap: no rows
    are read into Python."""
    tables, query = _fingerprint_query(engine)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    assert {row[0] for row in rows} == tables
    return {row[0]: (int(row[1]), row[2] or "") for row in rows}


# Rows the migrations themselves write; every other table of a new store is empty.
MIGRATED_ROWS = {"alembic_version", "calendar_day"}


@pytest.fixture(scope="module")
def postgres_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, dict[str, tuple[int, str]]]]:
    """One PostgreSQL copy of the migrated template for the whole module, and its fingerprint
    as new: creating and dropping a database for each test costs more than the test itself."""
    for eng in fresh_store(request, "postgresql", tmp_path_factory.mktemp("matrix")):
        yield eng, fingerprint(eng)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A store as new for each test: a copy of the template on SQLite; on PostgreSQL the
    module's database, emptied after the test and checked to be exactly as new again."""
    if request.param == "sqlite":
        yield from fresh_store(request, "sqlite", tmp_path)
        return
    eng, as_new = request.getfixturevalue("postgres_store")
    yield eng
    tables, _ = _fingerprint_query(eng)
    with eng.begin() as connection:
        # DELETE, not TRUNCATE: on tables this small it is many times quicker. Foreign keys are
        # not checked while it runs (every referencing row goes too), so the order is free.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in sorted(tables - MIGRATED_ROWS):
            connection.execute(text(f'DELETE FROM "{table}"'))
        sequences = connection.execute(
            text(
                "SELECT relname FROM pg_class WHERE relkind = 'S' AND relnamespace = "
                "current_schema()::regnamespace"
            )
        ).scalars()
        for sequence in list(sequences):
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    assert fingerprint(eng) == as_new, "a test changed the rows the migrations wrote"


@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.name.removeprefix("planning."))
def test_every_role_on_every_record(engine: Engine, config: AppConfig, writer: Writer) -> None:
    world = World(engine=engine, config=config, team=seed_team(engine), counter=itertools.count())
    outcomes: list[str] = []
    for case, who, whose in CASES:
        actor: PersonRead = getattr(world.team, who)
        owner: PersonRead = getattr(world.team, whose)
        call = writer.prepare(world, owner)
        before = fingerprint(engine)
        if allowed(writer.rule, actor, owner):
            with session_scope(engine) as session:
                call(session, actor)
            assert fingerprint(engine) != before, (
                f"{writer.name}, {case}: allowed but wrote nothing"
            )
            outcomes.append("allowed")
            continue
        with Session(engine) as session:
            with pytest.raises(PermissionDenied) as refusal:
                call(session, actor)
            session.commit()  # even a caller that commits after the refusal writes nothing
        assert str(refusal.value), f"{writer.name}, {case}: refused without a reason"
        assert fingerprint(engine) == before, (
            f"{writer.name}, {case}: refused but changed the store"
        )
        outcomes.append("refused")
    expected = ["allowed", "allowed"] + (
        ["allowed", "refused"] if writer.rule in (Rule.OWNER, Rule.SELF) else ["refused", "refused"]
    )
    stakeholder_own = "allowed" if writer.rule is Rule.SELF else "refused"
    assert outcomes == [*expected, stakeholder_own, "refused", "refused"]


def _public_actor_functions() -> set[str]:
    found: set[str] = set()
    for info in pkgutil.walk_packages(planning.__path__, prefix="planning."):
        if info.ispkg or ".migrations" in info.name or info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            parameter = inspect.signature(function).parameters.get("actor")
            if parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                found.add(f"{module.__name__}.{name}")
    return found


def test_every_writer_with_an_actor_is_in_the_matrix() -> None:
    in_matrix = {w.name for w in WRITERS}
    assert len(in_matrix) == len(WRITERS), "a writer is listed twice"
    missing = _public_actor_functions() - in_matrix - set(HELPERS)
    assert not missing, f"add these writers to WRITERS in this test: {sorted(missing)}"
    for writer in WRITERS:
        parameter = inspect.signature(writer.function).parameters.get("actor")
        assert parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY


def test_a_refusal_comes_before_any_complaint_about_the_input(
    engine: Engine, config: AppConfig
) -> None:
    """Someone who may not make a change is told so, whatever they typed."""
    world = World(engine=engine, config=config, team=seed_team(engine), counter=itertools.count())
    sue, ana, ben = world.team.sue, world.team.ana, world.team.ben
    theirs = world.initiative(ben)
    linked = world.initiative(ana)
    world.link(linked, world.team.kr_aov)
    attempts: list[tuple[PersonRead, Call]] = [
        (
            ana,
            _on_initiative(
                world, theirs, initiatives.update_initiative, changes={"no_such_field": 1}
            ),
        ),
        (
            sue,
            # Already linked.
            _on_initiative(
                world, linked, initiatives.link_key_result, key_result_id=world.team.kr_aov
            ),
        ),
        (
            sue,
            lambda s, a: goals.create_objective(
                session=s,
                actor=a,
                objective=ObjectiveCreate.model_construct(period="Q9", title="", owner_id=0),
            ),
        ),
        (
            ana,
            lambda s, a: goals.post_check_in(
                session=s,
                actor=a,
                key_result_id=world.team.kr_aov,
                confidence=99,
                note="",
            ),
        ),
        (
            ana,
            lambda s, a: people.create_person(
                session=s,
                actor=a,
                person=PersonCreate.model_construct(
                    name="",
                    email="nope",
                    role="boss",
                    title="",
                    weekly_hours=-1,
                    bau_share=2,
                    active=True,
                ),
            ),
        ),
        (
            sue,
            lambda s, a: people.add_time_off(
                session=s,
                actor=a,
                person_id=sue.id,
                start_date=date(2027, 1, 9),
                end_date=date(2027, 1, 1),
            ),
        ),
        (
            ana,
            lambda s, a: people.set_password(
                session=s,
                actor=a,
                person_id=ana.id,
                password="x",
                settings=config.settings.auth,
            ),
        ),
    ]
    before = fingerprint(engine)
    for actor, call in attempts:
        with pytest.raises(PermissionDenied), session_scope(engine) as session:
            call(session, actor)
    assert fingerprint(engine) == before
