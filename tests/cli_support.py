"""The command line under test: point it at a store file through the environment, call it once."""

from __future__ import annotations

from pathlib import Path

import pytest

from planning.cli.main import main
from planning.config import CONFIG_DIR_ENV
from planning.startup.bootstrap import DEMO_ENV
from planning.store.engine import DATABASE_URL_ENV


def point_cli_at(path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make `python -m planning` use the SQLite file at `path` with the shipped configuration;
    return the store's URL."""
    url = f"sqlite:///{path}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    monkeypatch.delenv(CONFIG_DIR_ENV, raising=False)
    monkeypatch.setenv(DEMO_ENV, "0")
    return url


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run one command; its exit code, what it printed and what it printed as errors."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
