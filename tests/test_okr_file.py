"""OKRs as a YAML file: export, import (create, update, restore), idempotence, whole-file
validation with every problem listed and nothing written, permissions, and the `okr` command."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.okrs.file_format import OkrFileError, export_okr_file
from planning.okrs.file_import import import_okr_file
from planning.okrs.file_reading import okr_file_problems
from planning.okrs.quarter_close import close_quarter
from planning.store.engine import (
    create_store_engine,
    migrate,
    read_engine,
    session_scope,
)
from planning.store.models import (
    AuditEvent,
    Direction,
    KeyResult,
    KrKind,
    Objective,
    Person,
    Role,
    Window,
)
from tests.cli_support import point_cli_at, run_cli
from tests.okr_seed import Team, audit_count, make_team, snapshot_rows

FILE = """
period: 2026-Q4
objectives:
  - title: Make checkout effortless on every device
    owner: priya@example.com
    description: Fewer shoppers lost between cart and order.
    key_results:
      - title: Mobile conversion up
        kind: metric
        metric: conversion_rate
        filters: {device: mobile}
        direction: increase
        start: 0.017
        target: 0.02
      - title: Cart abandonment down
        kind: metric
        owner: tom@example.com
        metric: cart_abandonment_rate
        direction: decrease
        start: 0.78
        target: 0.72
        window: trailing_28d
        weight: 2
      - title: Wallets live
        kind: milestone
  - title: Grow profitable basket size
    owner: tom@example.com
    weight: 0.5
    parent: Make checkout effortless on every device
    key_results:
      - title: Gross margin holds
        kind: guardrail
        metric: gross_margin_pct
        filters: {product_line: Home}
        rule: stay_above
        threshold: 0.4
      - title: Net revenue
        kind: metric
        metric: net_revenue
        direction: increase
        start: 0
        target: 6000000
      - title: QA defects down
        kind: manual
        direction: decrease
        start: 6
        target: 2
        unit: "%"
"""


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def do_import(engine: Engine, actor: Any, config: AppConfig, text: str) -> Any:
    with session_scope(engine) as session:
        return import_okr_file(session=session, actor=actor, config=config.metrics, text=text)


def export(engine: Engine, period: str = "2026-Q4") -> str:
    with Session(read_engine(engine)) as session:
        return export_okr_file(session=session, period=period)


def stored(engine: Engine) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    return snapshot_rows(engine, Objective), snapshot_rows(engine, KeyResult), audit_count(engine)


def test_import_creates_the_quarter_and_twice_changes_nothing(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    result = do_import(engine, team.director, config, FILE)
    assert (result.objectives_created, result.key_results_created) == (2, 6)
    with Session(read_engine(engine)) as session:
        objectives = {o.title: o for o in session.exec(select(Objective)).all()}
        krs = {k.title: k for k in session.exec(select(KeyResult)).all()}
    basket = objectives["Grow profitable basket size"]
    assert basket.parent_id == objectives["Make checkout effortless on every device"].id
    assert (basket.owner_id, basket.weight) == (team.tom.id, 0.5)
    assert krs["Mobile conversion up"].filters == {"device": "mobile"}
    assert krs["Mobile conversion up"].owner_id == team.priya.id  # the objective's owner
    assert krs["Cart abandonment down"].owner_id == team.tom.id
    assert krs["Cart abandonment down"].direction == Direction.decrease
    assert krs["Cart abandonment down"].window == Window.trailing_28d
    assert krs["Cart abandonment down"].weight == 2
    assert krs["Net revenue"].total_target is True  # a quarter total, inferred
    assert krs["Gross margin holds"].threshold == 0.4
    assert krs["Wallets live"].kind == KrKind.milestone
    assert krs["QA defects down"].unit == "%"

    before = stored(engine)
    again = do_import(engine, team.director, config, FILE)
    assert not again.changed
    assert (again.objectives_unchanged, again.key_results_unchanged) == (2, 6)
    assert stored(engine) == before


def test_export_then_import_round_trips(engine: Engine, team: Team, config: AppConfig) -> None:
    do_import(engine, team.director, config, FILE)
    text = export(engine)
    document = yaml.safe_load(text)
    assert document["period"] == "2026-Q4"
    checkout = document["objectives"][0]
    assert checkout["owner"] == "priya@example.com"
    assert checkout["key_results"][0] == {
        "title": "Mobile conversion up",
        "kind": "metric",
        "owner": "priya@example.com",
        "weight": 1.0,
        "metric": "conversion_rate",
        "filters": {"device": "mobile"},
        "direction": "increase",
        "start": 0.017,
        "target": 0.02,
        "window": "period_to_date",
    }
    assert document["objectives"][1]["aligns_to"] == ["Make checkout effortless on every device"]
    before = stored(engine)
    assert not do_import(engine, team.director, config, text).changed
    assert stored(engine) == before
    # The same file under another period copies the quarter as a template.
    copied = do_import(engine, team.director, config, text.replace("2026-Q4", "2027-Q1"))
    assert (copied.objectives_created, copied.key_results_created) == (2, 6)
    assert yaml.safe_load(export(engine, "2027-Q1"))["objectives"] == [
        {**o} for o in document["objectives"]
    ]


def test_import_updates_in_place_and_restores_archived(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    do_import(engine, team.director, config, FILE)
    with session_scope(engine) as session:
        wallets = session.exec(select(KeyResult).where(KeyResult.title == "Wallets live")).one()
        wallets.archived = True
        session.add(wallets)
    changed = FILE.replace("target: 0.02", "target: 0.021")
    result = do_import(engine, team.director, config, changed)
    assert (result.key_results_updated, result.key_results_unchanged) == (2, 4)
    with Session(read_engine(engine)) as session:
        conversion = session.exec(
            select(KeyResult).where(KeyResult.title == "Mobile conversion up")
        ).one()
        wallets = session.exec(select(KeyResult).where(KeyResult.title == "Wallets live")).one()
        actions = session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "key_result")
            .order_by(col(AuditEvent.id))
        ).all()
    assert (conversion.target_value, conversion.version) == (0.021, 2)
    assert not wallets.archived
    assert sorted(actions[-2:]) == ["restore", "update"]


def test_bad_file_lists_every_problem_and_writes_nothing(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    bad = """
objectives:
  - title: Checkout
    owner: nobody@example.com
    colour: blue
    key_results:
      - title: Conversion
        kind: metric
        metric: conversion_rat
        direction: increase
        start: 0.02
        target: 0.03
      - title: Abandonment
        kind: metric
        metric: cart_abandonment_rate
        filters: {device: tablet}
        direction: decrease
        start: 0.72
        target: 0.78
      - title: Margin
        kind: guardrail
        metric: gross_margin_pct
      - title: Margin
        kind: milestone
  - title: Content
    owner: helen@example.com
    key_results: not a list
"""
    before = stored(engine)
    with pytest.raises(OkrFileError) as excinfo:
        do_import(engine, team.director, config, bad)
    assert excinfo.value.problems == [
        "file: period is missing (e.g. period: 2026-Q4).",
        "objective 1 (“Checkout”): unknown key 'colour' (expected title, owner, weight, "
        "description, aligns_to, parent, key_results).",
        "objective 1 (“Checkout”): no one on the team has the email 'nobody@example.com'.",
        "objective 1 (“Checkout”), key result 1 (“Conversion”): unknown metric "
        "'conversion_rat': it is not in metrics.yaml.",
        "objective 1 (“Checkout”), key result 2 (“Abandonment”): 'tablet' is not a device "
        "(expected one of mobile, desktop).",
        "objective 1 (“Checkout”), key result 2 (“Abandonment”): a decrease key result needs a "
        "target below its start (start 0.72, target 0.78).",
        "objective 1 (“Checkout”), key result 3 (“Margin”): a guardrail needs a rule: "
        "stay_above or stay_below.",
        "objective 1 (“Checkout”), key result 3 (“Margin”): a guardrail needs a threshold.",
        "objective 1 (“Checkout”), key result 4 (“Margin”): another key result of this "
        "objective has the same title.",
        "objective 2 (“Content”): Helen Carter is a stakeholder; only members and directors "
        "own goals.",
        "objective 2 (“Content”): key_results must be a list.",
    ]
    assert stored(engine) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("period: [2026-Q4\n", "line 2, column 1: not valid YAML"),
        ("- just a list\n", "the file must be a mapping with period and objectives."),
        ("period: 2026-Q5\nobjectives: []\n", "file: period: '2026-Q5' is not a quarter"),
        ("period: 2026-Q4\n", "file: objectives is missing"),
        (
            "period: 2026-Q4\nobjectives:\n  - title: A\n    owner: priya@example.com\n"
            "    parent: Nowhere\n",
            "parent “Nowhere” is neither in the file nor an objective of 2026-Q4.",
        ),
        (
            "period: 2026-Q4\nobjectives:\n  - title: A\n    owner: priya@example.com\n"
            "    key_results:\n      - title: K\n        kind: metric\n        metric: sessions\n"
            "        direction: up\n        start: x\n        target: 10\n",
            "direction must be one of increase, decrease, got 'up'.",
        ),
    ],
)
def test_bad_shapes_are_explained(
    engine: Engine, team: Team, config: AppConfig, text: str, expected: str
) -> None:
    with Session(read_engine(engine)) as session:
        problems = okr_file_problems(session=session, config=config.metrics, text=text)
    assert any(expected in p for p in problems), problems
    with pytest.raises(OkrFileError):
        do_import(engine, team.director, config, text)
    assert stored(engine) == ([], [], 0)


def test_kind_cannot_change_on_import(engine: Engine, team: Team, config: AppConfig) -> None:
    do_import(engine, team.director, config, FILE)
    before = stored(engine)
    changed = FILE.replace(
        "      - title: Wallets live\n        kind: milestone\n",
        "      - title: Wallets live\n        kind: manual\n        direction: increase\n"
        "        start: 0\n        target: 1\n",
    )
    with pytest.raises(OkrFileError, match="exists as a milestone key result"):
        do_import(engine, team.director, config, changed)
    assert stored(engine) == before


def test_only_directors_import_and_closed_quarters_refuse(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    with pytest.raises(PermissionDenied):
        do_import(engine, team.priya, config, FILE)
    assert stored(engine) == ([], [], 0)
    do_import(engine, team.director, config, FILE)
    with session_scope(engine) as session:
        close_quarter(
            session=session,
            actor=team.director,
            config=config,
            period="2026-Q4",
            as_of=date(2026, 12, 31),
        )
    before = stored(engine)
    with pytest.raises(OkrFileError, match="2026-Q4 is closed"):
        do_import(engine, team.director, config, FILE.replace("target: 0.02", "target: 0.03"))
    assert stored(engine) == before


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    engine = create_store_engine(point_cli_at(tmp_path / "cli.db", monkeypatch))
    migrate(engine)
    make_team(engine)
    return engine


run = run_cli


def test_cli_import_export_and_show(
    cli_store: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "q4.yaml"
    source.write_text(FILE, encoding="utf-8")
    code, out, err = run(capsys, "okr", "import", str(source))
    assert (code, err) == (0, "")
    assert "objectives 2 created" in out and "key results 6 created" in out
    code, out, _ = run(capsys, "okr", "import", str(source))
    assert "objectives 0 created, 0 updated, 2 unchanged" in out

    exported = tmp_path / "out.yaml"
    code, out, _ = run(capsys, "okr", "export", "--period", "2026-Q4", "--out", str(exported))
    assert code == 0 and f"wrote 2026-Q4's OKRs to {exported}" in out
    assert yaml.safe_load(exported.read_text())["objectives"][0]["title"] == (
        "Make checkout effortless on every device"
    )

    code, out, _ = run(capsys, "okr", "--period", "2026-Q4", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 6
    by_title = {r["key_result"]: r for r in rows}
    conversion = by_title["Mobile conversion up"]
    for key in ("objective", "current", "progress", "expected", "status", "forecast"):
        assert key in conversion
    assert (conversion["metric"], conversion["start"], conversion["target"]) == (
        "conversion_rate",
        0.017,
        0.02,
    )
    assert conversion["status"] == "too_early"  # no observations in this store
    assert conversion["progress"] is None
    assert conversion["status_reason"] == "no data yet in this window"
    assert by_title["Gross margin holds"]["target"] == 0.4
    assert "metric" not in by_title["Wallets live"]

    code, out, _ = run(capsys, "okr", "--period", "2026-Q4")
    assert code == 0
    assert "Make checkout effortless on every device (Priya Raman)" in out
    assert "Mobile conversion up" in out and "too early" in out
    line = next(row for row in out.splitlines() if row.startswith("Mobile conversion up"))
    assert "no data yet in this window" in line and " 0 %" not in line


def test_cli_refuses_bad_files_and_arguments(
    cli_store: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FILE.replace("metric: conversion_rate", "metric: conversion"), encoding="utf-8")
    code, out, err = run(capsys, "okr", "import", str(bad))
    assert code == 1 and out == ""
    assert "unknown metric 'conversion'" in err
    assert "1 problem in" in err and "nothing was imported" in err
    with Session(read_engine(cli_store)) as session:
        assert session.exec(select(Objective)).all() == []

    for argv, expected in (
        (("okr", "--period", "2026-Q9"), "'2026-Q9' is not a quarter"),
        (("okr", "import"), "okr import needs the YAML FILE"),
        (("okr", "import", str(tmp_path / "missing.yaml")), "cannot read"),
        (("okr", "export", "file.yaml"), "takes no FILE"),
        (("okr", "--out", "x.yaml"), "--out only applies to okr export"),
        (("okr", "publish"), "invalid choice: 'publish'"),
    ):
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
        assert expected in err, (argv, err)
        assert "Traceback" not in err


def test_cli_import_acts_as_a_director(
    cli_store: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "q4.yaml"
    source.write_text(FILE, encoding="utf-8")
    code, _, err = run(capsys, "okr", "import", str(source), "--as", "priya@example.com")
    assert code == 1 and "Only a director can import OKRs." in err
    code, _, err = run(capsys, "okr", "import", str(source), "--as", "nobody@example.com")
    assert code == 2 and "no active person has that email" in err
    with session_scope(cli_store) as session:
        session.add(Person(name="Second", email="second@example.com", role=Role.director))
    code, _, err = run(capsys, "okr", "import", str(source))
    assert code == 2 and "say which director imports with --as EMAIL" in err
    code, out, _ = run(capsys, "okr", "import", str(source), "--as", "MAYA@example.com")
    assert code == 0 and "objectives 2 created" in out
    with Session(read_engine(cli_store)) as session:
        actors = set(session.exec(select(AuditEvent.actor_id)).all())
        maya = session.exec(select(Person).where(Person.email == "maya@example.com")).one()
    assert actors == {maya.id}


# Nine anchors, each nine of the one before: a few hundred bytes that stand for 9**9 values.
LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{before}'] * 9) if before else ', '.join(['x'] * 9)}]\n"
    for before, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


@pytest.mark.parametrize(
    "text",
    [
        LAUGHS + "period: *i\nobjectives: []\n",
        LAUGHS + "period: 2026-Q4\nobjectives:\n  - title: *i\n    owner: priya@example.com\n",
        "period: 2026-Q4\nobjectives:\n  - &one {title: A, owner: priya@example.com}\n  - *one\n",
    ],
    ids=["period", "title", "one-objective"],
)
def test_aliases_are_refused_before_they_expand(
    engine: Engine, team: Team, config: AppConfig, text: str
) -> None:
    # An alias in the period or a title was echoed back in a problem, expanded: the import ran
    # out of memory after a minute.
    with pytest.raises(OkrFileError) as excinfo:
        do_import(engine, team.director, config, text)
    assert len(excinfo.value.problems) == 1
    assert "aliases (*name) are not allowed in an OKR file" in excinfo.value.problems[0]
    assert stored(engine) == ([], [], 0)


def test_a_key_given_twice_is_refused_not_overwritten(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    # The later key silently won: this file imported one objective "B" into 2026-Q3.
    text = (
        "period: 2026-Q4\nperiod: 2026-Q3\nobjectives:\n"
        "  - title: A\n    title: B\n    owner: priya@example.com\n"
    )
    with Session(read_engine(engine)) as session:
        problems = okr_file_problems(session=session, config=config.metrics, text=text)
    assert problems == [
        "line 2, column 1: not valid YAML: the key 'period' is given twice in the same mapping."
    ]
    with pytest.raises(OkrFileError):
        do_import(engine, team.director, config, text)
    assert stored(engine) == ([], [], 0)


def test_a_file_too_large_is_refused_unread(engine: Engine, team: Team, config: AppConfig) -> None:
    text = FILE + "# " + "x" * 1_000_000 + "\n"
    with pytest.raises(OkrFileError) as excinfo:
        do_import(engine, team.director, config, text)
    assert excinfo.value.problems == [
        f"The file has {len(text):,} characters; an OKR file may have at most 1,000,000. "
        "Nothing was imported."
    ]
    assert stored(engine) == ([], [], 0)


def test_problems_are_short_and_in_german(engine: Engine, team: Team, config: AppConfig) -> None:
    text = (
        "period: 2026-Q4\nobjectives:\n"
        '  - title: "Mehr\\u202eUmsatz"\n    owner: priya@example.com\n'
        "    key_results:\n"
        f"      - {{title: {'k' * 100_000}, kind: milestone, contributes_to: [5]}}\n"
    )
    with i18n.use_locale("de"), Session(read_engine(engine)) as session:
        problems = okr_file_problems(session=session, config=config.metrics, text=text)
    # The objective's title was "die Funktion" (a person's job title), the contributes_to
    # problem was English, and the 100,000-character title was repeated in full.
    assert problems[0].startswith("Objective 1: der Titel enthält unsichtbare Zeichen")
    kr = "Objective 1, Schlüsselergebnis 1 (“" + "k" * 79 + "…”)"
    # A number there is read as the title it is written as, named in German.
    assert f"{kr}: contributes_to „5“ steht weder in der Datei" in "\n".join(problems)
    assert all(len(p) < 400 for p in problems), [len(p) for p in problems]
    assert stored(engine) == ([], [], 0)


def test_cli_refuses_a_file_not_in_utf8_in_words(
    cli_store: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "windows.yaml"
    source.write_bytes(FILE.replace("effortless", "effortless – fast").encode("cp1252"))
    code, out, err = run(capsys, "okr", "import", str(source))
    # It printed Python's "'utf-8' codec can't decode byte 0x96 in position …", in English.
    assert code == 2 and out == ""
    assert f"cannot read {source}: it is not UTF-8 text" in err and "codec" not in err
    with Session(read_engine(cli_store)) as session:
        assert session.exec(select(Objective)).all() == []


def test_text_that_yaml_would_type_is_kept_as_written(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    # `unit: no` was stored as "False" and `title: 2027` refused as "got 2027".
    text = FILE.replace('unit: "%"', "unit: no").replace("title: Wallets live", "title: 2027")
    do_import(engine, team.director, config, text)
    key_results = {kr["title"]: kr for kr in stored(engine)[1]}
    assert key_results["QA defects down"]["unit"] == "no"
    assert "2027" in key_results


def test_titles_that_yaml_cuts_short_say_to_quote_them(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    def problems(title: str) -> list[str]:
        text = FILE.replace("title: Wallets live", f"title: {title}")
        with Session(read_engine(engine)) as session:
            return okr_file_problems(session=session, config=config.metrics, text=text)

    after = (
        "not valid YAML: text follows a value that has already ended on this line (a value "
        "starting with a quote, [ or { ends where they close); put the whole text in quotes."
    )
    # Both read "the indentation does not line up", though every line was indented right.
    assert problems("[Q1] Wallets live") == [f"line 24, column 21: {after}"]
    assert problems("'Apple Pay' and wallets live") == [f"line 24, column 28: {after}"]
    # The title vanished as a comment and the file was told its title was missing.
    assert problems("#1 priority: wallets") == [
        "line 24, column 15: not valid YAML: the title starts with “#”, which YAML reads as the "
        "start of a comment; put the title in quotes."
    ]
    with i18n.use_locale("de"):
        assert "Anführungszeichen" in problems("[Q1] Wallets live")[0]
    assert stored(engine) == ([], [], 0)


def test_an_anchor_is_refused_not_dropped_from_a_title(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    # `&wallets` was read as an anchor: the key result was imported titled "live".
    text = FILE.replace("title: Wallets live", "title: &wallets live")
    with Session(read_engine(engine)) as session:
        problems = okr_file_problems(session=session, config=config.metrics, text=text)
    assert problems == [
        "line 24, column 16: not valid YAML: anchors (&name) and aliases (*name) are not allowed "
        "in an OKR file; write each value out, and put text starting with & in quotes."
    ]
    with pytest.raises(OkrFileError):
        do_import(engine, team.director, config, text)
    assert stored(engine) == ([], [], 0)


def test_a_key_that_is_a_list_is_refused_and_a_comment_ends_an_optional_field(
    engine: Engine, team: Team, config: AppConfig
) -> None:
    def problems(text: str) -> list[str]:
        with Session(read_engine(engine)) as session:
            return okr_file_problems(session=session, config=config.metrics, text=text)

    # A list standing as a key crashed the import instead of being refused.
    listed = FILE.replace("owner: tom@example.com\n    weight", "? [owner]\n    : x\n    weight")
    assert problems(listed) == [
        "line 27, column 7: not valid YAML: a key must be a single value, not a list or mapping."
    ]
    assert stored(engine) == ([], [], 0)

    # An optional field left to fill in later is empty, not refused as a title would be.
    commented = FILE.replace(
        "description: Fewer shoppers lost between cart and order.", "description:   # to write"
    )
    assert problems(commented) == []
    do_import(engine, team.director, config, commented)
    assert [o["description"] for o in stored(engine)[0]] == ["", ""]
