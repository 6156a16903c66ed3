"""A private copy of the shipped config/ folder: with chosen settings (a German team's), or with a
chosen sign-in mode for the tests of sign-in, the setup page and the people admin."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from planning.config import CONFIG_DIR_ENV, DEFAULT_CONFIG_DIR

# settings.yaml of a German team that counts in euros.
GERMAN_TEAM: dict[str, object] = {"locale": "de", "currency": "EUR", "currency_symbol": "€"}


def config_copy(directory: Path, **settings: object) -> Path:
    """Copy config/ to the directory with these settings.yaml keys set; the directory."""
    shutil.copytree(DEFAULT_CONFIG_DIR, directory)
    found = yaml.safe_load((directory / "settings.yaml").read_text())
    found.update(settings)
    (directory / "settings.yaml").write_text(yaml.safe_dump(found))
    return directory


def config_with_sign_in(directory: Path, mode: str) -> Path:
    """Copy config/ to the directory with settings choosing this sign-in mode; the directory."""
    shutil.copytree(DEFAULT_CONFIG_DIR, directory)
    settings = yaml.safe_load((directory / "settings.yaml").read_text())
    settings["auth"]["mode"] = mode
    (directory / "settings.yaml").write_text(yaml.safe_dump(settings))
    return directory


def use_sign_in_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """Run the app with a copy of config/ whose settings choose this sign-in mode."""
    directory = config_with_sign_in(tmp_path / "config", mode)
    monkeypatch.setenv(CONFIG_DIR_ENV, str(directory))
