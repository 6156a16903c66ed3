"""A tampered export is refused whole (issue 15.9): `restore` checks every row as a save would.

Whoever can edit an export folder can also recompute its manifest, so checksums prove nothing
against them. A restored row must pass the same rules as a normal write (roles, statuses,
healths, ranges, the text rule, the Argon2id hash format); credentials (password hashes,
sessions, tokens, share links) come back only with --with-credentials; and files are read a line
at a time under a cap, so a 300 MB one-line file is refused after reading about 1 MB.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

import planning.store.restore as restore_module
from planning.access.passwords import hash_password, verify_password
from planning.cli.main import main
from planning.store.backup import BackupError, export_store
from planning.store.engine import DATABASE_URL_ENV, session_scope
from planning.store.models import Person
from planning.store.restore import restore_store
from planning.work.initiative_input import NewStatusUpdate
from tests.planning_seed import seed_saved_carts

PROJECT = Path(__file__).resolve().parents[2]
Row = dict[str, Any]


@pytest.fixture
def export(engine: Engine, tmp_path: Path) -> Path:
    """An honest export of a small store: a team, an initiative with a status update, a decision."""
    halfway = NewStatusUpdate("in_progress", "on_track", 40, "Halfway.")
    seed_saved_carts(engine, halfway, status="in_progress")
    folder = tmp_path / "export"
    export_store(engine=engine, directory=folder)
    return folder


@pytest.fixture
def target(twin_engine: Engine) -> Engine:
    """The empty store a restore goes into, on the same backend as `engine`."""
    return twin_engine


def rows_of(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with Session(engine) as session:
        return {
            t.name: [tuple(r) for r in session.execute(select(t)).all()]
            for t in SQLModel.metadata.sorted_tables
            if t.name != "calendar_day"
        }


def reseal(folder: Path, table: str) -> None:
    """Make the manifest match the table's file again, as a careful attacker would."""
    path = folder / f"{table}.jsonl"
    digest = hashlib.sha256()
    lines = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            lines += block.count(b"\n")
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"][table].update(sha256=digest.hexdigest(), rows=lines)
    manifest_path.write_text(json.dumps(manifest))


def tamper(folder: Path, table: str, change: Callable[[list[Row]], None]) -> Path:
    """Edit a table's rows in a copy of the export and reseal the manifest."""
    copy = folder.parent / f"tampered-{table}"
    shutil.copytree(folder, copy)
    path = copy / f"{table}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    change(rows)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    reseal(copy, table)
    return copy


def setter(**values: Any) -> Callable[[list[Row]], None]:
    def change(rows: list[Row]) -> None:
        rows[0].update(values)

    return change


@pytest.mark.parametrize(
    ("table", "values", "says"),
    [
        ("person", {"role": "superuser"}, "role: Input should be 'director', 'member' or"),
        ("person", {"weekly_hours": 900}, "weekly_hours: Input should be less than or equal to"),
        ("person", {"name": "Dora\x00"}, "name contains control characters (U+0000)"),
        ("person", {"title": "CEO \u202eoCEO"}, "title contains invisible characters"),
        ("initiative", {"status": "shipped"}, "status: Input should be 'idea'"),
        ("initiative", {"health": "great"}, "health: Input should be 'on_track'"),
        ("initiative", {"percent_complete": 250}, "percent_complete: Input should be less"),
        ("initiative", {"title": "Line\none"}, "title must be on one line"),
        ("status_update", {"note": ""}, "note: String should have at least 1 character"),
        ("objective", {"period": "2026-Q4-X"}, "period: String should have at most 7"),
        ("key_result", {"kind": "wish"}, "kind: Input should be 'metric'"),
        ("store_state", {"value": "many"}, "value: Input should be a valid integer"),
    ],
)
def test_a_row_no_save_would_write_is_refused_and_nothing_is_written(
    export: Path, target: Engine, table: str, values: Row, says: str
) -> None:
    tampered = tamper(export, table, setter(**values))
    empty = rows_of(target)
    with pytest.raises(BackupError) as refused:
        restore_store(engine=target, directory=tampered)
    message = str(refused.value)
    assert message.startswith(f"{table}.jsonl, line 1: a row of {table} that no save would write")
    assert says in message
    assert rows_of(target) == empty


def test_the_command_line_refuses_a_superuser_in_one_line(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    tampered = tamper(export, "person", setter(role="superuser"))
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["restore", str(tampered)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: person.jsonl, line 1: a row of person that no save would write")
    assert "'superuser'" in err and err.endswith("; nothing was restored\n")
    assert err.count("\n") == 1
    assert main(["restore", str(export)]) == 0  # the untouched export still restores
    assert "restored" in capsys.readouterr().out


def _plant_hash(password_hash: str) -> Callable[[list[Row]], None]:
    def change(rows: list[Row]) -> None:
        director = next(r for r in rows if r["role"] == "director")
        director["password_hash"] = password_hash

    return change


def test_a_planted_password_hash_is_refused_without_the_flag(export: Path, target: Engine) -> None:
    tampered = tamper(export, "person", _plant_hash(hash_password("the attacker knows this")))
    empty = rows_of(target)
    with pytest.raises(BackupError) as refused:
        restore_store(engine=target, directory=tampered)
    assert str(refused.value) == (
        "the export holds credentials (1 password hash); anyone able to edit an export could "
        "have planted them. Restore them only from an export you made and kept safe, with "
        "--with-credentials"
    )
    assert rows_of(target) == empty


@pytest.mark.parametrize(
    "planted",
    [
        "hunter2",  # a password in clear
        "$2b$12$abcdefghijklmnopqrstuuJ8bHc4yRZ8Ywz4n0nzbs5cM4b1N3vK.",  # bcrypt
        "$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",  # argon2i
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$\u202eabcdefghijklmnopq",
    ],
)
def test_a_password_hash_of_another_format_is_refused_even_with_the_flag(
    export: Path, target: Engine, planted: str
) -> None:
    tampered = tamper(export, "person", _plant_hash(planted))
    empty = rows_of(target)
    with pytest.raises(BackupError, match="password_hash is not an Argon2id hash"):
        restore_store(engine=target, directory=tampered, with_credentials=True)
    assert rows_of(target) == empty


def test_trusted_credentials_come_back_with_the_flag(
    engine: Engine, twin_engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        session.add(
            Person(
                name="Maya",
                email="maya@x.test",
                role="director",
                password_hash=hash_password("a long enough secret"),
            )
        )
    export_store(engine=engine, directory=tmp_path / "mine")
    with pytest.raises(BackupError, match=r"holds credentials \(1 password hash\)"):
        restore_store(engine=twin_engine, directory=tmp_path / "mine")
    restore_store(engine=twin_engine, directory=tmp_path / "mine", with_credentials=True)
    with Session(twin_engine) as session:
        stored = session.execute(select(Person.password_hash)).scalar_one()
    assert verify_password(password_hash=stored, password="a long enough secret")


def test_planted_sessions_and_tokens_are_credentials_too(export: Path, target: Engine) -> None:
    folder = tamper(
        export,
        "api_token",
        lambda rows: rows.append(
            {
                "id": 1,
                "name": "backdoor",
                "token_hash": "d" * 64,
                "scopes": "write:observations read:okrs",
                "created_by": None,
                "created_at": "2026-11-01T00:00:00+00:00",
                "revoked_at": None,
                "last_used_at": None,
            }
        ),
    )
    folder = tamper(
        folder,
        "sign_in_session",
        lambda rows: rows.append(
            {
                "id": 1,
                "person_id": 1,
                "token_hash": "e" * 64,
                "created_at": "2026-11-01T00:00:00+00:00",
                "expires_at": "2099-01-01T00:00:00+00:00",
                "ended_at": None,
            }
        ),
    )
    empty = rows_of(target)
    with pytest.raises(BackupError, match=r"holds credentials \(1 API token, 1 sign-in session\)"):
        restore_store(engine=target, directory=folder)
    assert rows_of(target) == empty


def test_a_file_over_the_cap_is_refused_before_it_is_read(
    export: Path, target: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = (export / "person.jsonl").stat().st_size
    monkeypatch.setattr(restore_module, "MAX_FILE_BYTES", size - 1)
    empty = rows_of(target)
    with pytest.raises(BackupError) as refused:
        restore_store(engine=target, directory=export)
    assert str(refused.value) == (
        f"table person: person.jsonl is {size:,} bytes; a restore reads files of at most "
        f"{size - 1:,} bytes"
    )
    assert rows_of(target) == empty


MEASURE = """
import resource, sys
from pathlib import Path
from planning.store.backup import BackupError
from planning.store.restore import restore_store
from planning.store.engine import create_store_engine, migrate

engine = create_store_engine(f"sqlite:///{sys.argv[2]}")
migrate(engine)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    restore_store(engine=engine, directory=Path(sys.argv[1]))
    print("restored")
except BackupError as exc:
    print(f"refused: {exc}")
except Exception as exc:  # reported, so the memory it took is measured all the same
    print(f"failed: {type(exc).__name__}")
grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(f"grew {grew} KiB")
"""


def test_a_300_mb_one_line_file_is_refused_after_reading_about_a_megabyte(
    export: Path, tmp_path: Path
) -> None:
    huge = tmp_path / "huge"
    shutil.copytree(export, huge)
    block = "x" * (1 << 20)
    with (huge / "decision.jsonl").open("w", encoding="utf-8") as out:
        out.write('{"id": 1, "decided_on": "2026-11-02", "text": "')
        for _ in range(300):
            out.write(block)
        out.write('", "initiative_id": null, "author_id": 1, "created_at": null}\n')
    reseal(huge, "decision")
    try:
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, str(huge), str(tmp_path / "measured.db")],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
    finally:
        (huge / "decision.jsonl").unlink()
    refusal, grew = done.stdout.strip().splitlines()
    grown_kib = int(grew.split()[1])
    assert grown_kib < 32 * 1024, f"the restore's peak memory grew by {grown_kib / 1024:.0f} MiB"
    assert refusal == (
        "refused: table decision: decision.jsonl, line 1 is longer than 1,048,576 bytes, the "
        "most one row may take; Quarterdeck never writes such a row"
    )
