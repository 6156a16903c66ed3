"""Checking a file before importing it (what Admin's upload shows): the steps reported as they
start, the counts, a sample with changes first, and nothing written."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from planning.config import AppConfig
from planning.metrics.importer import check_file, import_observations
from tests.api_support import fingerprint

STORED = "date,measure,value,channel,device\n2026-11-24,sessions,100,email,mobile\n"
NEW = (
    "date,measure,value,channel,device\n"
    "2026-11-24,sessions,100,email,mobile\n"
    "2026-11-25,sessions,120,email,mobile\n"
    "2026-11-24,orders,9,email,mobile\n"
)


def test_check_reports_steps_counts_and_a_sample_with_changes_first(
    engine: Engine, config: AppConfig
) -> None:
    assert import_observations(
        engine=engine, actor=None, data=STORED.encode(), filename="a.csv", source="cli",
        config=config.metrics,
    ).ok  # fmt: skip
    before = fingerprint(engine)
    steps: list[tuple[float, str]] = []
    with Session(engine) as session:
        check = check_file(
            session=session,
            data=NEW.encode(),
            filename="week.csv",
            config=config.metrics,
            sample_rows=2,
            progress=lambda fraction, step: steps.append((fraction, step)),
        )
    assert check.ok
    assert [s for _, s in steps] == [
        "Reading week.csv",
        "Checking 3 rows",
        "Comparing with the store",
        "3 rows ready to import",
    ]
    assert [f for f, _ in steps] == sorted(f for f, _ in steps)
    assert check.preview is not None
    assert (check.preview.would_add, check.preview.would_update, check.preview.would_leave) == (
        2,
        0,
        1,
    )
    assert list(check.sample["change"]) == ["add", "add"]
    assert fingerprint(engine) == before


def test_check_of_a_bad_file_lists_problems_and_is_not_ok(
    engine: Engine, config: AppConfig
) -> None:
    with Session(engine) as session:
        bad = check_file(
            session=session,
            data=(NEW + "2026-11-25,sessions,-1,email,mobile\n").encode(),
            filename="week.csv",
            config=config.metrics,
        )
        unreadable = check_file(
            session=session, data=b"\x00\x01", filename="week.xlsx", config=config.metrics
        )
    assert not bad.ok and bad.preview is None
    assert [(p.line, p.column) for p in bad.problems] == [(5, ""), (5, "value")]
    assert bad.problems[0].reason == "duplicate of line 3: same measure, date and dimensions"
    assert not unreadable.ok and "not a readable .xlsx workbook" in (unreadable.error or "")
