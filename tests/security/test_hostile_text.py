"""Hostile text is refused at every entry point (issue 15.9): NUL, other control characters and
bidirectional overrides ("Invoice \u202egnp.exe" reads as "Invoice exe.png").

One rule (planning.validation.text_problems) guards every title, name, label and note of people,
objectives, key results, initiatives, status updates, check-ins, decisions, tokens and share
links: a refusal names the field and the characters, and writes nothing. PostgreSQL never sees a
NUL. Line breaks and tabs stay allowed in notes and descriptions, never in titles or names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

from planning.access.api_tokens import WRITE_OBSERVATIONS, create_token
from planning.access.people import add_time_off, create_person, update_person
from planning.access.share_links import create_share_link
from planning.cli.main import main
from planning.config import AppConfig
from planning.okrs.goals import (
    create_key_result,
    create_objective,
    post_check_in,
    update_key_result,
    update_objective,
)
from planning.okrs.quarter_close import GradeOverride, close_quarter
from planning.store.engine import read_engine, session_scope
from planning.store.models import (
    KeyResultCreate,
    KeyResultUpdate,
    KrKind,
    ObjectiveCreate,
    ObjectiveUpdate,
    PersonCreate,
    PersonUpdate,
)
from planning.work.decisions import add_decision
from planning.work.initiative_input import InitiativeDraft, NewStatusUpdate
from planning.work.initiatives import create_initiative, update_initiative
from planning.work.status_updates import post_status_update
from tests.api_support import bearer, client_for, new_token
from tests.cli_support import point_cli_at
from tests.conftest import DEMO_TODAY
from tests.planning_seed import Team, add_initiative, seed_team

TODAY = date(2026, 5, 20)

HOSTILE = {
    "nul": "Plan\x00B",
    "escape": "Plan \x1b[31mred",
    "bidi-override": "Invoice \u202egnp.exe",
    "bidi-isolate": "Q4 \u2067plan\u2069",
    "zero-width-space": "Pl\u200ban",
}
# What the refusal says for each kind of character.
SAYS = {
    "nul": "control characters (U+0000)",
    "escape": "control characters (U+001B)",
    "bidi-override": "change how text reads",
    "bidi-isolate": "change how text reads",
    "zero-width-space": "change how text reads",
}


def store_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the calendar: a refused write must leave all of it."""
    with Session(read_engine(engine)) as session:
        return {
            table.name: [tuple(row) for row in session.execute(select(table)).all()]
            for table in SQLModel.metadata.sorted_tables
            if table.name != "calendar_day"
        }


@pytest.fixture
def team(engine: Engine) -> Team:
    return seed_team(engine)


@pytest.fixture
def initiative_id(engine: Engine, team: Team) -> int:
    return add_initiative(engine, title="Checkout revamp", owner_id=team.ana.id, status="planned")


Write = Callable[[Session, Team, int, AppConfig, str], object]

ENTRY_POINTS: dict[str, Write] = {
    "person name": lambda s, t, i, c, text: create_person(
        session=s,
        actor=t.director,
        person=PersonCreate.model_construct(
            name=text, email="new@x.test", role="member", title="", weekly_hours=40, bau_share=0.3
        ),
    ),
    "person title": lambda s, t, i, c, text: update_person(
        session=s,
        actor=t.director,
        person_id=t.ana.id,
        expected_version=t.ana.version,
        changes=PersonUpdate(title=text),
    ),
    "time off note": lambda s, t, i, c, text: add_time_off(
        session=s,
        actor=t.director,
        person_id=t.ana.id,
        start_date=date(2026, 6, 1),
        end_date=date(2026, 6, 2),
        note=text,
    ),
    "objective title": lambda s, t, i, c, text: create_objective(
        session=s,
        actor=t.director,
        objective=ObjectiveCreate(period="2026-Q2", title=text, owner_id=t.director.id),
    ),
    "objective description": lambda s, t, i, c, text: update_objective(
        session=s,
        actor=t.director,
        objective_id=t.checkout,
        expected_version=1,
        changes=ObjectiveUpdate(description=text),
    ),
    "key result title": lambda s, t, i, c, text: create_key_result(
        session=s,
        actor=t.director,
        key_result=KeyResultCreate(
            objective_id=t.checkout, title=text, owner_id=t.director.id, kind=KrKind.milestone
        ),
        config=c.metrics,
    ),
    "key result unit": lambda s, t, i, c, text: update_key_result(
        session=s,
        actor=t.director,
        key_result_id=t.kr_conversion,
        expected_version=1,
        changes=KeyResultUpdate(unit=text[:20]),
        config=c.metrics,
    ),
    "check-in note": lambda s, t, i, c, text: post_check_in(
        session=s, actor=t.director, key_result_id=t.kr_conversion, confidence=7, note=text
    ),
    "initiative title": lambda s, t, i, c, text: create_initiative(
        session=s,
        actor=t.director,
        config=c,
        draft=InitiativeDraft(title=text, owner_id=t.ana.id),
        today=TODAY,
    ),
    "initiative description": lambda s, t, i, c, text: update_initiative(
        session=s,
        actor=t.director,
        config=c,
        initiative_id=i,
        expected_version=1,
        changes={"description": text},
        today=TODAY,
    ),
    "status update note": lambda s, t, i, c, text: post_status_update(
        session=s,
        actor=t.ana,
        initiative_id=i,
        update=NewStatusUpdate(
            status="in_progress", health="on_track", percent_complete=10, note=text
        ),
        today=TODAY,
    ),
    "decision": lambda s, t, i, c, text: add_decision(
        session=s, actor=t.director, decided_on=TODAY, text=text, today=TODAY
    ),
    "API token name": lambda s, t, i, c, text: create_token(
        session=s, actor=t.director, name=text, scopes=[WRITE_OBSERVATIONS]
    ),
    "share link label": lambda s, t, i, c, text: create_share_link(
        session=s, actor=t.director, label=text
    ),
    "quarter close note": lambda s, t, i, c, text: close_quarter(
        session=s, actor=t.director, config=c, period="2026-Q2", note=text, today=TODAY
    ),
    "grade reason": lambda s, t, i, c, text: close_quarter(
        session=s,
        actor=t.director,
        config=c,
        period="2026-Q2",
        overrides={t.kr_conversion: GradeOverride(grade=0.9, reason=text)},
        today=TODAY,
    ),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_every_text_field_refuses_hostile_characters_and_writes_nothing(
    engine: Engine, team: Team, initiative_id: int, config: AppConfig, entry: str, kind: str
) -> None:
    before = store_rows(engine)
    with pytest.raises(ValueError) as refused, session_scope(engine) as session:
        ENTRY_POINTS[entry](session, team, initiative_id, config, HOSTILE[kind])
    assert SAYS[kind] in str(refused.value)
    assert store_rows(engine) == before


@pytest.mark.parametrize(
    "entry", ["person name", "objective title", "key result title", "initiative title"]
)
def test_titles_and_names_stay_on_one_line(
    engine: Engine, team: Team, initiative_id: int, config: AppConfig, entry: str
) -> None:
    before = store_rows(engine)
    with pytest.raises(ValueError, match="must be on one line"), session_scope(engine) as session:
        ENTRY_POINTS[entry](session, team, initiative_id, config, "Two\nlines")
    assert store_rows(engine) == before


@pytest.mark.parametrize(
    "entry",
    [
        "check-in note",
        "status update note",
        "decision",
        "initiative description",
        "objective description",
    ],
)
def test_notes_keep_line_breaks_tabs_and_emoji(
    engine: Engine, team: Team, initiative_id: int, config: AppConfig, entry: str
) -> None:
    text = "Shipped to 10 %\r\n- next:\tcheckout 🧑\u200d💻\nرسمی\u200cسازی"
    with session_scope(engine) as session:
        ENTRY_POINTS[entry](session, team, initiative_id, config, text)
    stored = [
        value
        for rows in store_rows(engine).values()
        for row in rows
        for value in row
        if isinstance(value, str)
    ]
    assert "Shipped to 10 %\n- next:\tcheckout 🧑\u200d💻\nرسمی\u200cسازی" in stored


def test_the_api_refuses_hostile_text_and_writes_nothing(engine: Engine, config: AppConfig) -> None:
    secret = new_token(engine, [WRITE_OBSERVATIONS], name="nightly-etl")
    before = store_rows(engine)
    del before["api_token"]  # the token's last use is noted
    rows = [
        {"date": "2026-11-24", "measure": "sessions", "value": 1, "channel": "em\x00ail",
         "device": "mobile"},
        {"date": "2026-11-24", "measure": "sess\u202eions", "value": 1, "channel": "email",
         "device": "mobile"},
    ]  # fmt: skip
    with client_for(engine, config, today=lambda: DEMO_TODAY) as client:
        answer = client.post("/api/v1/observations", json=rows, headers=bearer(secret))
    assert answer.status_code == 422
    assert answer.json()["detail"] == "2 problems in the body; nothing was written."
    after = store_rows(engine)
    del after["api_token"]
    assert after == before


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    point_cli_at(tmp_path / "cli.db", monkeypatch)
    return tmp_path / "cli.db"


def test_the_command_line_refuses_hostile_names_in_one_line(
    cli_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A NUL cannot travel in a command-line argument; an escape and an override can.
    code = main(["add-person", "--name", "Maya \x1b[8m", "--email", "maya@x.test"])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: the name contains control characters (U+001B); nobody was added"
    code = main(["add-person", "--name", "Maya \u202eadmin", "--email", "maya@x.test"])
    assert code == 1
    assert "change how text reads" in capsys.readouterr().err
    assert (
        main(["add-person", "--name", "Maya", "--email", "maya@x.test", "--role", "director"]) == 0
    )


def test_an_okr_file_with_a_nul_in_a_title_is_refused(
    cli_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["add-person", "--name", "Maya", "--email", "maya@x.test", "--role", "director"]) == 0
    )
    assert main(["okr", "export", "--period", "2026-Q4", "--out", str(tmp_path / "okrs.yaml")]) == 0
    document = yaml.safe_load((tmp_path / "okrs.yaml").read_text())
    document["objectives"] = [
        {
            "title": "Grow \x00 revenue",
            "owner": "maya@x.test",
            "key_results": [
                {"title": "Launch \u202egnp.exe", "owner": "maya@x.test", "kind": "milestone"}
            ],
        }
    ]
    (tmp_path / "okrs.yaml").write_text(yaml.safe_dump(document))
    capsys.readouterr()
    code = main(["okr", "import", str(tmp_path / "okrs.yaml")])
    assert code != 0
    err = capsys.readouterr().err
    assert "control characters (U+0000)" in err
    assert "Traceback" not in err
