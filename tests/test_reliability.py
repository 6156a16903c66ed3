"""The promises of DESIGN.md §8 under load and faults: concurrent writers on one SQLite file lose
nothing and never surface "database is locked"; two people saving one record at once get one
save and one conflict; export then restore gives an identical store (SQLite and PostgreSQL) and a
bad export is refused whole; every malformed CSV of tests/corpus/bad_csv is rejected with a clear
message and writes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Engine, Text, cast, func, select, text
from sqlmodel import Session, SQLModel, col

import planning.store.models  # noqa: F401  (every table on SQLModel.metadata)
from planning.cli.main import main
from planning.config import AppConfig
from planning.demo.loader import load_demo
from planning.metrics.import_file import ImportFileError
from planning.metrics.importer import ImportResult, import_observations
from planning.okrs.backtest_fit import Calibration
from planning.okrs.backtest_saved import Fitted, metrics_key, save
from planning.store.backup import BackupError, export_store, read_manifest
from planning.store.engine import PLAN, create_store_engine, migrate, read_engine, session_scope
from planning.store.models import (
    AuditEvent,
    Decision,
    Initiative,
    InitiativeDependency,
    KeyResult,
    KrGrade,
    Objective,
    PeriodClose,
    Person,
    Role,
    StatusUpdate,
    StoreState,
    WeeklyPlan,
)
from planning.store.models_access import ApiToken, ShareLink, SignInAttempt, SignInSession
from planning.store.models_alignment import ObjectiveAlignment
from planning.store.models_locale import PersonLanguage
from planning.store.models_metrics import ColumnMapping, SourceLock, SourceRun
from planning.store.models_notify import NotifyPreference, OutboxMessage
from planning.store.models_scenarios import PlanScenario
from planning.store.models_trash import PlanningSave, TrashItem
from planning.store.restore import restore_store
from planning.store.versioning import ConflictError
from planning.work.initiative_input import NewStatusUpdate
from planning.work.status_updates import post_status_update
from tests.planning_seed import add_initiative, count, edit_initiative, seed_saved_carts, seed_team

CORPUS = Path(__file__).parent / "corpus" / "bad_csv"
TODAY = date(2026, 11, 26)


def plan_version(engine: Engine) -> int:
    with Session(read_engine(engine)) as session:
        state = session.get(StoreState, PLAN)
        return state.value if state else 0


# --- concurrent writers ------------------------------------------------------------------------


THREADS = 8
POSTS_PER_THREAD = 200


def test_eight_threads_posting_at_once_lose_nothing_and_never_see_a_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    setup = create_store_engine(url)
    migrate(setup)
    team = seed_team(setup)
    initiatives = [
        add_initiative(setup, title=f"Shared work {k}", owner_id=team.director.id, status="planned")
        for k in range(4)
    ]
    updates_before = count(setup, StatusUpdate)
    audit_before = count(setup, AuditEvent)
    plan_before = plan_version(setup)
    errors: list[str] = []
    posted: Counter[int] = Counter()
    start = threading.Barrier(THREADS)

    def writer(thread: int) -> None:
        engine = create_store_engine(url)  # each thread its own engine and connections
        try:
            start.wait()
            for n in range(POSTS_PER_THREAD):
                # Threads interleave over the same four initiatives, so writes truly collide.
                initiative_id = initiatives[(thread + n) % len(initiatives)]
                with session_scope(engine) as session:
                    post_status_update(
                        session=session,
                        actor=team.director,
                        initiative_id=initiative_id,
                        update=NewStatusUpdate(
                            status="in_progress",
                            health="on_track",
                            percent_complete=n % 101,
                            note=f"thread {thread} post {n}",
                        ),
                    )
                posted[initiative_id] += 1
        except Exception as exc:  # every failure is a finding: collect it for the assertion
            errors.append(f"thread {thread}: {type(exc).__name__}: {exc}")
        finally:
            engine.dispose()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert errors == []
    total = THREADS * POSTS_PER_THREAD
    assert count(setup, StatusUpdate) == updates_before + total
    assert count(setup, AuditEvent) == audit_before + total
    assert plan_version(setup) == plan_before + total
    with Session(read_engine(setup)) as session:
        notes = Counter(session.scalars(select(StatusUpdate.note)).all())
        versions = {i: session.get(Initiative, i).version for i in initiatives}  # type: ignore[union-attr]
        history = session.scalars(select(StatusUpdate).order_by(col(StatusUpdate.id))).all()
    expected = {f"thread {t} post {n}" for t in range(THREADS) for n in range(POSTS_PER_THREAD)}
    assert {note for note, times in notes.items() if times == 1} >= expected
    assert sum(notes[note] for note in expected) == total
    # No update was lost on any initiative: each post is in its history, and each that changed
    # its status, health or % complete (in the order they were saved) advanced its version once;
    # a post that only added a note left the version as it was.
    assert Counter(u.initiative_id for u in history) == posted
    changes: Counter[int] = Counter()
    drawn = {i: ("planned", "on_track", 0) for i in initiatives}
    for u in history:
        now = (u.status.value, u.health.value, u.percent_complete)
        changes[u.initiative_id] += now != drawn[u.initiative_id]
        drawn[u.initiative_id] = now
    assert versions == {i: 1 + changes[i] for i in initiatives}
    setup.dispose()


# --- two people saving one record --------------------------------------------------------------


def test_the_second_of_two_editors_gets_a_conflict_and_writes_nothing(
    engine: Engine, config: AppConfig
) -> None:
    team = seed_team(engine)
    initiative_id = add_initiative(engine, title="Saved carts", owner_id=team.ana.id)
    with Session(read_engine(engine)) as first, Session(read_engine(engine)) as second:
        seen_by_first = first.get(Initiative, initiative_id)
        seen_by_second = second.get(Initiative, initiative_id)
        assert seen_by_first is not None and seen_by_second is not None
        version = seen_by_first.version
        assert seen_by_second.version == version
    edit_initiative(
        engine, config, team.director, initiative_id, version, title="Saved carts across devices"
    )
    audit_after_first = count(engine, AuditEvent)
    with pytest.raises(ConflictError, match="changed by someone else"):
        edit_initiative(
            engine,
            config,
            team.ana,
            initiative_id,
            version,
            title="Saved carts (v2)",
            description="Written over?",
        )
    with Session(read_engine(engine)) as session:
        stored = session.get(Initiative, initiative_id)
        assert stored is not None
        assert (stored.title, stored.description) == ("Saved carts across devices", "")
        assert stored.version == version + 1
    assert count(engine, AuditEvent) == audit_after_first


def test_two_editors_saving_at_the_same_moment_get_one_save_and_one_conflict(
    engine: Engine, config: AppConfig
) -> None:
    team = seed_team(engine)
    initiative_id = add_initiative(engine, title="Faster search", owner_id=team.ana.id)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(who: str, title: str) -> None:
        start.wait()
        try:
            edit_initiative(engine, config, team.director, initiative_id, 1, title=title)
            outcomes[who] = "saved"
        except ConflictError:
            outcomes[who] = "conflict"
        except Exception as exc:
            outcomes[who] = f"{type(exc).__name__}: {exc}"

    threads = [
        threading.Thread(target=save, args=("a", "Faster search (A)")),
        threading.Thread(target=save, args=("b", "Faster search (B)")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(who for who, outcome in outcomes.items() if outcome == "saved")
    with Session(read_engine(engine)) as session:
        stored = session.get(Initiative, initiative_id)
        assert stored is not None
        assert stored.title == f"Faster search ({winner.upper()})"
        assert stored.version == 2


# --- export and restore ------------------------------------------------------------------------


def small_demo_config(config: AppConfig) -> AppConfig:
    """The shipped configuration with one year of demo data, to keep the test quick."""
    demo = config.settings.demo.model_copy(update={"years": 1})
    return config.model_copy(update={"settings": config.settings.model_copy(update={"demo": demo})})


def fill_every_table(engine: Engine, config: AppConfig) -> None:
    """The demo data set plus a record in each table the demo leaves empty, and an objective
    whose parent has a higher id (a restore must still write it)."""
    load_demo(engine=engine, config=small_demo_config(config), seed=7, today=TODAY)
    now = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)
    with session_scope(engine) as session:
        director = session.scalars(select(Person).where(Person.role == Role.director)).first()
        assert director is not None and director.id is not None
        kr = session.scalars(select(KeyResult)).first()
        assert kr is not None and kr.id is not None
        child = Objective(period="2027-Q1", title="Child first", owner_id=director.id)
        parent = Objective(period="2027-Q1", title="Parent later", owner_id=director.id)
        session.add_all([child, parent])
        session.flush()
        child.parent_id = parent.id
        session.add_all(
            [
                ObjectiveAlignment(objective_id=child.id, parent_id=kr.objective_id),
                ApiToken(name="etl", token_hash="a" * 64, scopes="write:observations"),
                ShareLink(
                    label="Board", token_hash="b" * 64, created_by=director.id, expires_at=now
                ),
                SignInSession(person_id=director.id, token_hash="c" * 64, expires_at=now),
                SignInAttempt(email="nobody@x.test", at=now),
                NotifyPreference(
                    person_id=director.id, channel="slack", paused_until=date(2026, 12, 1)
                ),
                PersonLanguage(person_id=director.id, language="de"),
                OutboxMessage(
                    dedupe_key=f"{director.id}|digest|2026-W47|",
                    person_id=director.id,
                    kind="digest",
                    week="2026-W47",
                    channel="email",
                    subject="Weekly digest 2026-W47",
                    body_text="Ünïcode ✓\nline two",
                    body_html="<p>Ünïcode ✓</p>",
                    body_markdown="**Ünïcode** ✓",
                    items=["update:1"],
                    status="sent",
                    attempts=2,
                    next_attempt_at=now,
                    created_at=now,
                    sent_at=now,
                    outcome="sent by email",
                ),
                ColumnMapping(
                    name="Visits sheet",
                    spec={"date_column": "Day", "measures": {"sessions": "Visits"}},
                    created_by=director.id,
                    created_at=now,
                    updated_at=now,
                ),
                SourceRun(
                    source="warehouse",
                    trigger="schedule",
                    started_at=now,
                    finished_at=now,
                    status="ok",
                    rows=12,
                    rows_added=10,
                    rows_updated=2,
                    since_day=date(2026, 11, 17),
                    through_day=date(2026, 11, 19),
                    notes='{"de": ["1 Bestellung fällt …"], "en": ["1 order falls …"]}',
                ),
                SourceLock(source="warehouse", holder="host:123", acquired_at=now),
            ]
        )
        measured = session.scalars(select(Initiative)).first()
        assert measured is not None
        measured.lift_filters = {"device": "mobile"}
        blocker = session.scalars(select(Initiative).where(Initiative.id != measured.id)).first()
        assert blocker is not None
        session.add_all(
            [
                InitiativeDependency(blocker_id=blocker.id, blocked_id=measured.id),
                Decision(
                    decided_on=date(2026, 11, 19),
                    text="Withdrawn after an edit",
                    author_id=director.id,
                    version=3,
                    withdrawn_at=now,
                    withdrawn_by=director.id,
                ),
                WeeklyPlan(
                    week="2020-W10",
                    framework="rice",
                    snapshot=[{"rank": 1, "title": "Ünïcode ✓", "score": 0.1 + 0.2}],
                    committed_by=director.id,
                ),
                TrashItem(
                    entity="initiative",
                    entity_id=99_999,
                    title="Ünïcode ✓ deleted",
                    trashed_by=director.id,
                    trashed_at=now,
                    purge_on=date(2026, 12, 20),
                    rows=[{"table": "initiative", "row": {"id": 99_999, "title": "Ünïcode ✓"}}],
                    cleared=[{"table": "decision", "key": {"id": 1}, "column": "initiative_id"}],
                ),
                PlanningSave(
                    saved_by=director.id,
                    saved_at=now,
                    rows=[{"initiative_id": measured.id, "before": {"effort_weeks": 0.1 + 0.2}}],
                    undone_at=now,
                    undone_by=director.id,
                ),
                PlanScenario(
                    week="2020-W10",
                    name="Ünïcode draft ✓",
                    changes=[
                        {
                            "initiative_id": measured.id,
                            "base_version": 1,
                            "title": measured.title,
                            "fields": {"effort_weeks": 0.1 + 0.2, "start_date": "2020-03-02"},
                        }
                    ],
                    created_by=director.id,
                    created_at=now,
                    updated_at=now,
                    version=2,
                ),
            ]
        )
        close = PeriodClose(
            period="2020-Q1",
            as_of=date(2020, 3, 31),
            closed_by=director.id,
            objectives=[{"objective_id": kr.objective_id, "progress": 1 / 3}],
        )
        session.add(close)
        session.flush()
        assert close.id is not None
        session.add(
            KrGrade(
                period_close_id=close.id,
                key_result_id=kr.id,
                objective_id=kr.objective_id,
                suggested=0.3,
                grade=0.4,
                reason="Shipped late",
                evaluation={"current": None, "note": "x"},
            )
        )


def table_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as stored (JSON columns as their text), in primary-key order."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            columns = [cast(c, Text) if isinstance(c.type, JSON) else c for c in table.columns]
            query = select(*columns).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(query).all()]
        rows["alembic_version"] = [
            tuple(r) for r in conn.execute(text("SELECT version_num FROM alembic_version"))
        ]
    return rows


def keep_a_forecast_calibration(engine: Engine, config: AppConfig) -> None:
    """A calibration kept in the store, as the first forecast on its observations leaves one."""
    fitted = Fitted(1, date(2025, 1, 1), date(2026, 11, 25))
    save(
        engine=engine,
        past_end=date(2026, 9, 30),
        key=metrics_key(config),
        fitted=fitted,
        calibration=Calibration(quarters={"revenue": 6}),
    )


def test_export_then_restore_into_an_empty_store_gives_an_identical_store(
    engine: Engine, twin_engine: Engine, config: AppConfig, tmp_path: Path
) -> None:
    fill_every_table(engine, config)
    keep_a_forecast_calibration(engine, config)
    source = table_rows(engine)
    assert [name for name, rows in source.items() if not rows] == []  # every table is covered

    manifest = export_store(engine=engine, directory=tmp_path / "export")
    restored = restore_store(
        engine=twin_engine, directory=tmp_path / "export", with_credentials=True
    )

    assert restored.rows == manifest.rows()
    assert manifest.rows()["observation"] == len(source["observation"])
    target = table_rows(twin_engine)
    # Derived data is not exported: the restored store fits its calibration again on first use.
    assert target.pop("forecast_calibration") == []
    for name in target:
        assert target[name] == source[name], f"table {name} differs after restore"
    # Ids were kept, and new records continue after them (sequences moved on PostgreSQL).
    with Session(read_engine(engine)) as session:
        last_id = session.execute(select(func.max(Person.id))).scalar_one()
    with session_scope(twin_engine) as session:
        person = Person(name="New Hire", email="new@x.test", role=Role.member)
        session.add(person)
        session.flush()
        assert person.id == last_id + 1


def test_restore_refuses_a_store_that_holds_records_and_changes_nothing(
    sqlite_engine: Engine, config: AppConfig, tmp_path: Path
) -> None:
    seed_team(sqlite_engine)
    export_store(engine=sqlite_engine, directory=tmp_path / "export")
    before = table_rows(sqlite_engine)
    with pytest.raises(BackupError, match=r"the store is not empty .*person"):
        restore_store(engine=sqlite_engine, directory=tmp_path / "export")
    assert table_rows(sqlite_engine) == before


def _broken_copy(source: Path, target: Path, how: str) -> Path:
    shutil.copytree(source, target)
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if how == "no manifest":
        manifest_path.unlink()
    elif how == "other revision":
        manifest["schema_revision"] = "0001"
        manifest_path.write_text(json.dumps(manifest))
    elif how == "edited file":
        path = target / "initiative.jsonl"
        path.write_text(path.read_text().replace("Saved carts", "Saved cars"))
    elif how == "truncated file":
        path = target / "status_update.jsonl"
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:-1]))
    elif how == "missing file":
        (target / "person.jsonl").unlink()
    elif how == "missing table":
        del manifest["tables"]["decision"]
        manifest_path.write_text(json.dumps(manifest))
    elif how == "not json":
        manifest_path.write_text("{not json")
    return target


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("no manifest", "has no manifest.json: it is not an export, or the export did not finish"),
        ("other revision", "the export is of schema revision 0001 and this store is at"),
        ("edited file", "table initiative: initiative.jsonl differs from the one exported"),
        ("truncated file", "table status_update: status_update.jsonl differs from the one"),
        ("missing file", "table person: person.jsonl is missing from the export"),
        ("missing table", "the export lacks the table decision"),
        ("not json", "manifest.json cannot be read as JSON"),
    ],
)
def test_restore_refuses_a_broken_export_whole(
    sqlite_engine: Engine, tmp_path: Path, how: str, message: str
) -> None:
    seed_saved_carts(sqlite_engine, NewStatusUpdate("idea", "on_track", 5, "Scoped it."))
    export_store(engine=sqlite_engine, directory=tmp_path / "good")
    broken = _broken_copy(tmp_path / "good", tmp_path / "broken", how)
    target = create_store_engine(f"sqlite:///{tmp_path / 'target.db'}")
    migrate(target)
    empty = table_rows(target)
    with pytest.raises(BackupError) as refused:
        restore_store(engine=target, directory=broken)
    assert message in str(refused.value)
    assert table_rows(target) == empty
    target.dispose()


def test_export_refuses_a_folder_that_is_not_empty(sqlite_engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "full"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(BackupError, match="is not an empty folder"):
        export_store(engine=sqlite_engine, directory=folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_export_and_restore_from_the_command_line(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    team = seed_team(sqlite_engine)
    add_initiative(sqlite_engine, title="Gift cards", owner_id=team.ben.id)
    source_url = str(sqlite_engine.url)
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", source_url)
    assert main(["export", str(tmp_path / "backup")]) == 0
    out = capsys.readouterr().out
    assert "exported" in out and "schema revision" in out
    manifest = read_manifest(tmp_path / "backup")
    assert manifest.rows()["initiative"] == 1 and manifest.rows()["person"] == 5

    target_url = f"sqlite:///{tmp_path / 'restored.db'}"
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", target_url)
    assert main(["restore", str(tmp_path / "backup")]) == 0
    assert "restored" in capsys.readouterr().out
    target = create_store_engine(target_url)
    assert table_rows(target) == table_rows(sqlite_engine)
    # A second restore into the now filled store is refused with one clear line.
    assert main(["restore", str(tmp_path / "backup")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the store is not empty") and "nothing was restored" in err
    assert err.count("\n") == 1
    target.dispose()


# --- malformed CSV files -----------------------------------------------------------------------

H = "date,measure,value,channel,device,product_line"
# Each corpus file and what the person importing it is told: one message for a file that cannot
# be read as a table, or every bad row (line, column, reason).
FILE_ERRORS: dict[str, str] = {
    "empty.csv": "the file is empty",
    "only_blank_lines.csv": "the file is empty",
    "header_only.csv": "the file has a header but no data rows",
    "latin1_encoded.csv": "the file is not UTF-8 text (byte 111 cannot be read); save it as CSV "
    "UTF-8",
    "semicolon_separated.csv": "missing required columns: date, measure, value (the header must "
    "name date, measure and value); the file seems to use ';' between cells, as Excel saves a CSV "
    "in German and other languages with a decimal comma: upload the workbook as .xlsx instead, "
    "or save it with commas",
    "no_value_column.csv": "missing required column: value (the header must name date, measure "
    "and value)",
    "unknown_column.csv": "unknown column 'region': a column must be one of date, measure, value, "
    "channel, device, product_line, email_type",
    "repeated_column.csv": "column named more than once in the header: device",
    "ragged_row.csv": "line 3 has 7 cells but the first line has 6",
    "values_under_unnamed_column.csv": "column 6 has values but no name on line 1",
    "unterminated_quote.csv": "line 2 opens a quoted cell that is never closed",
}
ROW_ERRORS: dict[str, list[str]] = {
    "day_first_dates.csv": ["line 2, column date: date '24/11/2026' is not in YYYY-MM-DD form"],
    "impossible_date.csv": ["line 2, column date: 2026-02-30 is not a real date"],
    "date_out_of_range.csv": [
        "line 2, column date: date 1999-12-31 is outside the range the store covers "
        "(2015-01-01 to 2040-12-31)"
    ],
    "date_with_time.csv": [
        "line 2, column date: date '2026-11-24 00:00:00' is not in YYYY-MM-DD form"
    ],
    "missing_date.csv": ["line 2, column date: date is missing"],
    "misspelt_measure.csv": [
        "line 2, column measure: unknown measure 'session'; did you mean 'sessions'?"
    ],
    "thousands_separator.csv": [
        "line 2, column value: value '1,200' is not a number: write a decimal point and no "
        "thousands separator, e.g. 1234.56"
    ],
    "infinite_value.csv": ["line 2, column value: value 'inf' is not a finite number"],
    "negative_count.csv": [
        "line 2, column value: value -5 is negative; orders is a count measure and cannot be "
        "below 0"
    ],
    "missing_value.csv": ["line 2, column value: value is missing"],
    "undeclared_device.csv": [
        "line 2, column device: 'tablet' is not a declared device value (one of: mobile, desktop)"
    ],
    "wrong_case_dimension_value.csv": [
        "line 2, column device: 'Mobile' is not a declared device value (one of: mobile, "
        "desktop); did you mean 'mobile'?"
    ],
    "missing_dimension.csv": [
        "line 2, column channel: channel is missing; sessions is recorded by channel, device"
    ],
    "dimension_the_measure_lacks.csv": [
        "line 2, column channel: units does not have the dimension channel; leave this cell empty"
    ],
    "duplicate_rows.csv": ["line 3: duplicate of line 2: same measure, date and dimensions"],
    "one_bad_row_in_many.csv": ["line 202, column value: value 'lots' is not a number"],
    "several_problems.csv": [
        "line 3, column date: 2026-11-31 is not a real date",
        "line 4, column value: value 'forty' is not a number",
        "line 5, column measure: unknown measure 'refunds'",
    ],
}


def test_the_corpus_has_every_file_and_only_those() -> None:
    names = sorted(p.name for p in CORPUS.glob("*.csv"))
    assert len(names) >= 20
    assert names == sorted([*FILE_ERRORS, *ROW_ERRORS])


def store_fingerprint(engine: Engine) -> str:
    """A digest of everything an import could touch: observations, series, batches, counters."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for query in (
            "SELECT series_id, day, value FROM observation ORDER BY series_id, day",
            "SELECT id, measure, dims_key FROM series ORDER BY id",
            "SELECT series_id, name, value FROM series_dimension ORDER BY series_id, name",
            "SELECT id, rows_added, rows_updated, checksum FROM import_batch ORDER BY id",
            "SELECT key, value FROM store_state ORDER BY key",
        ):
            digest.update(repr(conn.execute(text(query)).all()).encode())
    return digest.hexdigest()


def import_file(engine: Engine, config: AppConfig, data: bytes, filename: str) -> ImportResult:
    """Import a file's bytes as the command line does."""
    return import_observations(
        engine=engine, actor=None, data=data, filename=filename, source="cli", config=config.metrics
    )


@pytest.fixture
def stocked_store(sqlite_engine: Engine, config: AppConfig) -> Engine:
    """A store holding the values the corpus files would overwrite, had they been accepted."""
    rows = [H] + [
        f"2026-{1 + k // 28:02d}-{1 + k % 28:02d},sessions,{500 + k},email,mobile,"
        for k in range(300)
    ]
    result = import_file(sqlite_engine, config, ("\n".join(rows) + "\n").encode(), "first.csv")
    assert result.ok and result.added == 300
    return sqlite_engine


@pytest.mark.parametrize("name", sorted(FILE_ERRORS))
def test_an_unreadable_file_is_refused_whole_with_one_clear_message(
    stocked_store: Engine, config: AppConfig, name: str
) -> None:
    before = store_fingerprint(stocked_store)
    with pytest.raises(ImportFileError) as refused:
        import_file(stocked_store, config, (CORPUS / name).read_bytes(), name)
    assert str(refused.value) == FILE_ERRORS[name]
    assert store_fingerprint(stocked_store) == before


@pytest.mark.parametrize("name", sorted(ROW_ERRORS))
def test_a_file_with_bad_rows_reports_every_one_and_writes_nothing(
    stocked_store: Engine, config: AppConfig, name: str
) -> None:
    before = store_fingerprint(stocked_store)
    result = import_file(stocked_store, config, (CORPUS / name).read_bytes(), name)
    assert [str(p) for p in result.problems] == ROW_ERRORS[name]
    assert (result.added, result.updated, result.batch_id) == (0, 0, None)
    assert store_fingerprint(stocked_store) == before


def test_the_command_line_refuses_every_corpus_file_in_one_line_per_problem(
    stocked_store: Engine, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", str(stocked_store.url))
    before = store_fingerprint(stocked_store)
    for path in sorted(CORPUS.glob("*.csv")):
        assert main(["import", str(path)]) == 1, path.name
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert err.rstrip("\n").splitlines()[-1].endswith("nothing was imported"), path.name
        expected = ROW_ERRORS.get(path.name) or [FILE_ERRORS[path.name]]
        for message in expected:
            assert message in err, path.name
    assert store_fingerprint(stocked_store) == before


def test_corpus_rows_would_have_changed_stored_values() -> None:
    """The big corpus file really collides with the stocked rows, so 'nothing written' means
    something: its good rows carry other values for the same days and series."""
    text_rows = (CORPUS / "one_bad_row_in_many.csv").read_text().splitlines()[1:]
    good = [r for r in text_rows if not r.split(",")[2].isalpha()]
    assert len(good) == 300
    days = {r.split(",")[0] for r in good}
    assert min(days) == "2026-01-01" and len(days) == 300
    assert all(int(r.split(",")[2]) >= 1000 for r in good)  # stocked values are 500..799
