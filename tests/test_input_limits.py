"""Oversized and malformed input: an OKR file holding more objectives or key results than a
quarter could use, an objective's description past its limit, and a broken YAML file, each
refused with a clear message in the reader's language before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from planning import i18n
from planning.config import AppConfig
from planning.okrs.file_format import OkrFileError, export_okr_file
from planning.okrs.file_import import import_okr_file
from planning.okrs.file_reading import okr_file_problems
from planning.okrs.goal_rules import (
    DESCRIPTION_MAX,
    MAX_KEY_RESULTS_PER_OBJECTIVE,
    MAX_OBJECTIVES,
    GoalError,
)
from planning.okrs.goals import (
    archive_key_result,
    create_key_result,
    create_objective,
    update_key_result,
    update_objective,
)
from planning.store.engine import create_store_engine, migrate, read_engine, session_scope
from planning.store.models import (
    KeyResult,
    KeyResultCreate,
    KeyResultRead,
    KeyResultUpdate,
    KrKind,
    Objective,
    ObjectiveCreate,
    ObjectiveUpdate,
)
from tests.cli_support import point_cli_at, run_cli
from tests.okr_seed import Team, audit_count, make_team, snapshot_rows


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def okr_file(objectives: int, key_results_each: int, description: str = "") -> str:
    """An OKR file of milestone key results, as large as asked."""
    lines = ["period: 2026-Q4", "objectives:"]
    for o in range(objectives):
        lines += [f"  - title: Objective {o}", "    owner: priya@example.com"]
        if description:
            lines.append(f"    description: {description}")
        lines.append("    key_results:")
        lines += [f"      - {{title: KR {k}, kind: milestone}}" for k in range(key_results_each)]
    return "\n".join(lines) + "\n"


def problems_of(engine: Engine, config: AppConfig, text: str) -> list[str]:
    with Session(read_engine(engine)) as session:
        return okr_file_problems(session=session, config=config.metrics, text=text)


def stored(engine: Engine) -> tuple[list[dict[str, Any]], int]:
    return snapshot_rows(engine, Objective), audit_count(engine)


def test_a_file_of_ten_thousand_key_results_is_refused_naming_the_limit(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    # It was accepted and took most of a minute to import.
    text = okr_file(1, 10_000)
    with pytest.raises(OkrFileError) as excinfo, session_scope(engine) as session:
        import_okr_file(session=session, actor=team.director, config=config.metrics, text=text)
    assert excinfo.value.problems == [
        "The file holds 10,000 key results; an OKR file may hold at most 1,000. "
        "Nothing was imported.",
        "objective 1 (“Objective 0”): it holds 10,000 key results; an objective may hold at "
        "most 25.",
    ]
    assert stored(engine) == ([], 0)


def test_objective_and_key_result_limits_leave_a_real_quarter_ample_room(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    assert problems_of(engine, config, okr_file(250, 4)) == []  # 1,000 key results in all
    assert problems_of(engine, config, okr_file(3, 25)) == []
    assert problems_of(engine, config, okr_file(251, 1)) == [
        "The file holds 251 objectives; an OKR file may hold at most 250. Nothing was imported."
    ]
    assert problems_of(engine, config, okr_file(3, 26)) == [
        f"objective {n} (“Objective {n - 1}”): it holds 26 key results; an objective may hold "
        "at most 25."
        for n in (1, 2, 3)
    ]
    with i18n.use_locale("de"):
        german = problems_of(engine, config, okr_file(41, 25))
    assert german == [
        "Die Datei enthält 1.025 Schlüsselergebnisse; eine OKR-Datei darf höchstens 1.000 "
        "enthalten. "
        "Es wurde nichts importiert."
    ]


def test_the_command_line_refuses_an_oversized_file_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_store_engine(point_cli_at(tmp_path / "cli.db", monkeypatch))
    migrate(engine)
    make_team(engine)
    source = tmp_path / "huge.yaml"
    source.write_text(okr_file(260, 1), encoding="utf-8")
    code, out, err = run_cli(capsys, "okr", "import", str(source))
    assert code == 1 and out == ""
    assert "The file holds 260 objectives; an OKR file may hold at most 250." in err
    assert stored(engine) == ([], 0)


def test_a_description_past_its_limit_is_refused_on_every_path(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    # A description had no limit at all: a megabyte of text was saved.
    long = "x" * (DESCRIPTION_MAX + 1)
    with pytest.raises(GoalError) as excinfo, session_scope(engine) as session:
        create_objective(
            session=session,
            actor=team.director,
            objective=ObjectiveCreate(
                period="2026-Q4", title="Grow", owner_id=team.priya.id, description=long
            ),
        )
    assert excinfo.value.problems == [
        "The description is 10,001 characters long; keep it to 10,000."
    ]
    assert problems_of(engine, config, okr_file(1, 1, description=long)) == [
        "objective 1 (“Objective 0”): the description is 10,001 characters long; keep it to 10,000."
    ]
    with i18n.use_locale("de"):
        german = problems_of(engine, config, okr_file(1, 1, description=long))
    assert german == [
        "Objective 1 (“Objective 0”): Die Beschreibung ist 10.001 Zeichen lang; "
        "höchstens 10.000 sind möglich."
    ]
    assert stored(engine) == ([], 0)
    with session_scope(engine) as session:
        made = create_objective(
            session=session,
            actor=team.director,
            objective=ObjectiveCreate(
                period="2026-Q4",
                title="Grow",
                owner_id=team.priya.id,
                description="x" * DESCRIPTION_MAX,
            ),
        )
    assert len(made.description) == DESCRIPTION_MAX


def test_a_description_written_before_the_limit_is_kept_and_still_editable(
    engine: Engine, team: Team
) -> None:
    with session_scope(engine) as session:
        row = Objective(
            period="2026-Q4", title="Old", owner_id=team.priya.id, description="y" * 20_000
        )
        session.add(row)
        session.flush()
        objective_id, version = row.id, row.version
    assert objective_id is not None
    with session_scope(engine) as session:
        saved = update_objective(
            session=session,
            actor=team.director,
            objective_id=objective_id,
            expected_version=version,
            changes=ObjectiveUpdate(title="Older", description="y" * 20_000),
        )
    assert (saved.title, len(saved.description)) == ("Older", 20_000)
    before = stored(engine)
    with pytest.raises(GoalError) as excinfo, session_scope(engine) as session:
        update_objective(
            session=session,
            actor=team.director,
            objective_id=objective_id,
            expected_version=saved.version,
            changes=ObjectiveUpdate(description="z" * 20_000),
        )
    assert "keep it to 10,000" in excinfo.value.problems[0]
    assert stored(engine) == before


@pytest.mark.parametrize(
    ("text", "english", "german"),
    [
        (
            "period: 2026-Q4\nobjectives:\n  - title: Checkout: faster\n",
            "line 3, column 20: not valid YAML: a colon and a space stand where no key can "
            "start (put text holding “: ” in quotes).",
            "Zeile 3, Spalte 20: kein gültiges YAML: Ein Doppelpunkt mit Leerzeichen steht, wo "
            "kein Schlüssel beginnen kann (setzen Sie Text mit „: “ in Anführungszeichen).",
        ),
        (
            "period: 2026-Q4\nobjectives:\n\t- title: A\n",
            "line 3, column 1: not valid YAML: a tab is used for indentation; indent with spaces.",
            "Zeile 3, Spalte 1: kein gültiges YAML: Ein Tabulator wird zum Einrücken verwendet; "
            "rücken Sie mit Leerzeichen ein.",
        ),
        (
            'period: 2026-Q4\nobjectives:\n  - title: "Grow\n',
            "line 4, column 1: not valid YAML: the file ends inside quotes or brackets that are "
            "never closed.",
            "Zeile 4, Spalte 1: kein gültiges YAML: Die Datei endet innerhalb von "
            "Anführungszeichen oder Klammern, die nie geschlossen werden.",
        ),
        (
            "period: 2026-Q4\nobjectives:\n  - title: A\n owner: b\n",
            "line 4, column 2: not valid YAML: the indentation does not line up.",
            "Zeile 4, Spalte 2: kein gültiges YAML: Die Einrückung passt nicht zusammen.",
        ),
        (
            "period: 2026-Q4\nobjectives: []\n---\nperiod: 2027-Q1\n",
            "line 3, column 1: not valid YAML: the file holds more than one document (---); "
            "keep one.",
            "Zeile 3, Spalte 1: kein gültiges YAML: Die Datei enthält mehr als ein Dokument "
            "(---); behalten Sie eines.",
        ),
    ],
    ids=["colon", "tab", "open-quote", "indentation", "two-documents"],
)
def test_a_broken_yaml_file_is_explained_in_the_readers_language(
    engine: Engine, team: Team, config: AppConfig, text: str, english: str, german: str
) -> None:
    # PyYAML's own English reason ("mapping values are not allowed here") reached German readers.
    assert problems_of(engine, config, text) == [english]
    with i18n.use_locale("de"):
        assert problems_of(engine, config, text) == [german]
    assert stored(engine) == ([], 0)


@pytest.mark.parametrize("ending", ["", "\n"], ids=["as-typed", "final-line-break"])
def test_a_long_description_from_before_the_limit_round_trips_through_a_file(
    engine: Engine, team: Team, config: AppConfig, ending: str
) -> None:
    # A text area keeps the final Enter; the file reader strips it, which read as a change.
    with session_scope(engine) as session:
        session.add(
            Objective(
                period="2026-Q4",
                title="Old",
                owner_id=team.priya.id,
                description="y" * 20_000 + ending,
            )
        )
    with Session(read_engine(engine)) as session:
        text = export_okr_file(session=session, period="2026-Q4")
    before = stored(engine)
    with session_scope(engine) as session:
        result = import_okr_file(
            session=session, actor=team.director, config=config.metrics, text=text
        )
    assert (result.objectives_unchanged, result.changed) == (1, False)
    assert stored(engine) == before
    changed = text.replace("y" * 20_000, "z" * 20_000)
    assert problems_of(engine, config, changed) == [
        "objective 1 (“Old”): the description is 20,000 characters long; keep it to 10,000."
    ]


def add_key_result(
    session: Session, team: Team, config: AppConfig, objective_id: int, title: str
) -> KeyResultRead:
    """A milestone key result added through the domain, as the Goals page adds one."""
    return create_key_result(
        session=session,
        actor=team.director,
        key_result=KeyResultCreate(
            objective_id=objective_id, title=title, kind=KrKind.milestone, owner_id=team.priya.id
        ),
        config=config.metrics,
    )


def grow_objective(session: Session, team: Team, config: AppConfig, key_results: range) -> int:
    """The objective "Grow" of 2026-Q4 with a milestone key result "KR n" for each n."""
    objective = create_objective(
        session=session,
        actor=team.director,
        objective=ObjectiveCreate(period="2026-Q4", title="Grow", owner_id=team.priya.id),
    )
    for n in key_results:
        add_key_result(session, team, config, objective.id, f"KR {n}")
    return objective.id


def test_an_objective_full_of_key_results_refuses_another_and_still_exports_a_file_that_imports(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    # The Goals page and the API took a 26th key result, whose export the file import refused.
    with session_scope(engine) as session:
        objective_id = grow_objective(session, team, config, range(MAX_KEY_RESULTS_PER_OBJECTIVE))
    before = snapshot_rows(engine, KeyResult), audit_count(engine)
    with pytest.raises(GoalError) as excinfo, session_scope(engine) as session:
        add_key_result(session, team, config, objective_id, "one too many")
    assert excinfo.value.problems == [
        "Objective “Grow” already holds 25 key results; an objective may hold at most 25. "
        "Archive one first."
    ]
    assert (snapshot_rows(engine, KeyResult), audit_count(engine)) == before
    with Session(read_engine(engine)) as session:
        text = export_okr_file(session=session, period="2026-Q4")
    assert problems_of(engine, config, text) == []


def test_an_archived_key_result_comes_back_only_where_there_is_room(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    with session_scope(engine) as session:
        objective_id = grow_objective(session, team, config, range(0))
        first = add_key_result(session, team, config, objective_id, "KR 0")
        archived = archive_key_result(
            session=session,
            actor=team.director,
            key_result_id=first.id,
            expected_version=first.version,
            config=config.metrics,
        )
        for n in range(1, MAX_KEY_RESULTS_PER_OBJECTIVE + 1):
            add_key_result(session, team, config, objective_id, f"KR {n}")
    with pytest.raises(GoalError) as excinfo, session_scope(engine) as session:
        update_key_result(
            session=session,
            actor=team.director,
            key_result_id=first.id,
            expected_version=archived.version,
            changes=KeyResultUpdate(archived=False),
            config=config.metrics,
        )
    assert "an objective may hold at most 25" in excinfo.value.problems[0]
    with Session(read_engine(engine)) as session:
        assert session.get(KeyResult, first.id).archived  # type: ignore[union-attr]


def test_a_quarter_full_of_objectives_refuses_another_in_the_readers_language(
    engine: Engine, team: Team
) -> None:
    with session_scope(engine) as session:
        for n in range(MAX_OBJECTIVES):
            session.add(Objective(period="2026-Q4", title=f"O {n}", owner_id=team.priya.id))
        session.add(Objective(period="2027-Q1", title="next quarter", owner_id=team.priya.id))
    before = stored(engine)
    objective = ObjectiveCreate(period="2026-Q4", title="one too many", owner_id=team.priya.id)
    with pytest.raises(GoalError) as excinfo, session_scope(engine) as session:
        create_objective(session=session, actor=team.director, objective=objective)
    assert excinfo.value.problems == [
        "2026-Q4 already holds 250 objectives; a quarter may hold at most 250. Archive one first."
    ]
    with i18n.use_locale("de"), pytest.raises(GoalError) as excinfo, session_scope(engine) as s:
        create_objective(session=s, actor=team.director, objective=objective)
    assert "höchstens 250" in excinfo.value.problems[0]
    assert stored(engine) == before
    with session_scope(engine) as session:  # another quarter has room
        create_objective(
            session=session,
            actor=team.director,
            objective=objective.model_copy(update={"period": "2027-Q1"}),
        )
