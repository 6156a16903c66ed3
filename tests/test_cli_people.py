"""The `add-person` and `set-password` commands: giving an empty store its first director and a
password, with one-line refusals that change nothing."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from planning.access.passwords import verify_password
from planning.cli.main import main
from tests.cli_support import point_cli_at


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    point_cli_at(tmp_path / "cli.db", monkeypatch)
    return tmp_path / "cli.db"


def person_rows(store: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(store) as conn:
        return conn.execute("SELECT email, role, password_hash FROM person ORDER BY id").fetchall()


def test_first_director_and_password_from_the_command_line(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["add-person", "--name", "Maya Lindqvist", "--email", "maya@x.test", "--role", "director"]
    )
    assert code == 0
    assert "added Maya Lindqvist <maya@x.test> as director" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["set-password", "MAYA@x.test", "--stdin"]) == 0
    assert "password set for Maya Lindqvist" in capsys.readouterr().out
    [(email, role, stored)] = person_rows(store)
    assert (email, role) == ("maya@x.test", "director")
    assert verify_password(password_hash=stored, password="a long enough secret")


def test_refusals_are_one_line_and_change_nothing(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["add-person", "--name", "Ana", "--email", "ana@x.test"]) == 0
    capsys.readouterr()
    assert main(["add-person", "--name", "Ana 2", "--email", "ANA@x.test"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "error: ANA@x.test is already someone's email; nobody was added"
    assert main(["add-person", "--name", "Bo", "--email", "bo@x.test", "--bau", "3"]) == 1
    assert "the BAU share must be from 0 to 1" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["set-password", "ana@x.test", "--stdin"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    assert main(["set-password", "nobody@x.test", "--stdin"]) == 1
    assert "no active person has the email 'nobody@x.test'" in capsys.readouterr().err
    assert person_rows(store) == [("ana@x.test", "member", None)]
