"""Configuration: the three YAML files in config/, loaded and validated with pydantic.

The models of each file are in planning.config.settings, planning.config.metrics and
planning.config.scoring (sharing planning.config.base); this module loads the files and reports
a mistake as ConfigError naming the file, the key and the reason, so the app and the CLI can show
one clear line instead of a traceback. Part of the kernel: it imports only planning.clock.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from planning import clock, i18n
from planning.config.base import Strict
from planning.config.metrics import MetricsConfig
from planning.config.scoring import ScoringConfig
from planning.config.settings import Settings

CONFIG_DIR_ENV = "QUARTERDECK_CONFIG_DIR"
DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent.parent.parent / "config"


class ConfigError(Exception):
    """A configuration file is wrong: which file, which key, and why."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file = file
        self.key = key
        self.reason = reason
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {reason}")


class AppConfig(Strict):
    """The three configuration files, loaded and cross-checked."""

    settings: Settings
    metrics: MetricsConfig
    scoring: ScoringConfig
    directory: str = ""


def display_path(path: Path) -> str:
    """A file's path as messages name it: relative to the working folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> dict[str, Any]:
    shown = display_path(path)
    if not path.exists():
        raise ConfigError(shown, "", "file not found")
    try:
        # libyaml's parser where the machine has it: the same documents, read several times
        # faster, so a process's first page waits less for its configuration.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(shown, where, f"not valid YAML: {problem}") from None
    except UnicodeDecodeError:
        raise ConfigError(shown, "", "not a UTF-8 text file") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(shown, "", "the top level must be a mapping of keys to values")
    return data


def _validate(model: type[Strict], data: dict[str, Any], path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"] if not _is_union_tag(p)]
        reason = _reason(err)
        raise ConfigError(display_path(path), ".".join(loc), reason) from None


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and part in {
        "simple",
        "snapshot",
        "ratio",
        "weighted_average",
        "derived",
    }


def _reason(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return f"{msg.lower()} (got {err.get('input')!r})"
    return msg


def load_config(directory: str | Path | None = None) -> AppConfig:
    """Load and validate settings.yaml, metrics.yaml and scoring.yaml; raise ConfigError."""
    base = Path(directory or os.environ.get(CONFIG_DIR_ENV) or DEFAULT_CONFIG_DIR)
    settings = _validate(Settings, _read_yaml(base / "settings.yaml"), base / "settings.yaml")
    metrics_path = base / "metrics.yaml"
    metrics = _validate(MetricsConfig, _read_yaml(metrics_path), metrics_path)
    problems = metrics.check_references()
    if problems:
        key, reason = problems[0]
        raise ConfigError(display_path(metrics_path), key, reason)
    scoring_path = base / "scoring.yaml"
    scoring = _validate(ScoringConfig, _read_yaml(scoring_path), scoring_path)
    clock.use_time_zone(settings.time_zone)
    i18n.use_team_locale(settings.locale, currency=settings.currency)
    try:
        clock.today()  # a pinned day that is not a day is a configuration mistake
    except clock.ClockError as exc:
        raise ConfigError("the environment", clock.TODAY_ENV, str(exc)) from None
    return AppConfig(settings=settings, metrics=metrics, scoring=scoring, directory=str(base))


@cache
def default_config() -> AppConfig:
    """The configuration from the default directory, loaded once per process."""
    return load_config()
