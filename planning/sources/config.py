"""config/sources.yaml: the named data sources, validated at load like the other config files.

    sources:
      warehouse:                 # the source's name: lowercase letters, digits and _
        kind: sql                # one of the kinds in planning.sources.kinds
        label: Data warehouse    # optional, how Admin shows it
        schedule: every 1h       # every N m|h|d, a five-field cron line, or manual
        freshness: 26h           # older than this since the last good run = stale (m, h or d)
        settings: {...}          # the kind's own settings (see the kind)

A missing file means no sources. A mistake raises ConfigError naming the file, the key and the
reason; settings are checked against the kind's model and, where the kind can, against
metrics.yaml (measures and dimensions that exist).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from planning.config import (
    CONFIG_DIR_ENV,
    DEFAULT_CONFIG_DIR,
    ConfigError,
    _read_yaml,
    _reason,
    display_path,
)
from planning.config.base import Strict
from planning.config.metrics import MetricsConfig
from planning.sources.kinds import KINDS, Kind

SOURCES_FILE = "sources.yaml"
SourceName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)]
_EVERY = re.compile(r"^every\s+([0-9]+)\s*(m|min|minutes?|h|hours?|d|days?)$")
_SPAN = re.compile(r"^([0-9]+)\s*(m|h|d)$")
_UNITS = {"m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Schedule:
    """When the server runs a source: every `interval`, on a cron line, or only when asked."""

    text: str
    interval: timedelta | None = None
    cron: str | None = None

    @property
    def manual(self) -> bool:
        """Whether only `sync` and Admin run this source."""
        return self.interval is None and self.cron is None


def parse_schedule(text: str) -> Schedule:
    """`every 15m`, `every 2h`, `every 1d`, a five-field cron line (`0 6 * * *`) or `manual`."""
    cleaned = " ".join(str(text).split()).lower()
    if cleaned in {"manual", "never", ""}:
        return Schedule(text="manual")
    found = _EVERY.fullmatch(cleaned)
    if found:
        amount = int(found.group(1))
        seconds = amount * _UNITS[found.group(2)[0]]
        if not 60 <= seconds <= 31 * 86400:
            raise ValueError(f"{text!r}: the interval must be from 1 minute to 31 days")
        return Schedule(text=cleaned, interval=timedelta(seconds=seconds))
    fields = cleaned.split(" ")
    if len(fields) == 5:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(cleaned)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid cron line ({exc})") from None
        return Schedule(text=cleaned, cron=cleaned)
    raise ValueError(
        f"{text!r} is not a schedule: write `every 30m`, `every 1h`, `every 1d`, a five-field "
        "cron line such as `0 6 * * *`, or `manual`"
    )


def parse_span(text: str) -> timedelta:
    """`90m`, `26h` or `2d` as a duration."""
    found = _SPAN.fullmatch(str(text).strip().lower())
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration: write minutes, hours or days, e.g. 26h")
    return timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)])


class SourceEntry(Strict):
    """One source as written in the file (its settings are checked against its kind after)."""

    kind: str
    label: Annotated[str, Field(max_length=80)] = ""
    schedule: str = "manual"
    freshness: str = "26h"
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown kind {value!r}: one of {', '.join(sorted(KINDS))}")
        return value

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> str:
        parse_schedule(str(value))
        return str(value)

    @field_validator("freshness", mode="before")
    @classmethod
    def _freshness(cls, value: Any) -> str:
        parse_span(str(value))
        return str(value)


class SourcesFile(Strict):
    """sources.yaml as a whole."""

    sources: dict[SourceName, SourceEntry] = Field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """A configured source, its settings parsed by its kind's model."""

    name: str
    kind: str
    label: str
    schedule: Schedule
    freshness: timedelta
    settings: BaseModel

    @property
    def title(self) -> str:
        """How the source is shown: its label, else its name."""
        return self.label or self.name

    @property
    def spec(self) -> Kind:
        """The kind's registry entry."""
        return KINDS[self.kind]

    def measures(self) -> list[str]:
        """The measures the source writes, when its settings say (empty when only a run says)."""
        named = self.spec.measures
        return named(self.settings) if named is not None else []


@dataclass(frozen=True)
class SourcesConfig:
    """Every configured source by name, and the file they came from."""

    sources: dict[str, Source]
    path: str = ""

    def get(self, name: str) -> Source:
        """The source called `name`; KeyError with the known names otherwise."""
        if name not in self.sources:
            known = ", ".join(sorted(self.sources)) or "none are configured"
            raise KeyError(f"no source called {name!r} in {self.path or SOURCES_FILE} ({known})")
        return self.sources[name]


def sources_path(directory: str | Path | None = None) -> Path:
    """Where sources.yaml is read from: the config directory (QUARTERDECK_CONFIG_DIR)."""
    base = Path(directory or os.environ.get(CONFIG_DIR_ENV) or DEFAULT_CONFIG_DIR)
    return base / SOURCES_FILE


def _error(path: Path, exc: ValidationError, prefix: str) -> ConfigError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    key = f"{prefix}.{loc}" if prefix and loc else prefix or loc
    return ConfigError(display_path(path), key, _reason(err))


def load_sources(
    directory: str | Path | None = None, metrics: MetricsConfig | None = None
) -> SourcesConfig:
    """Load and validate sources.yaml (no file: no sources); raise ConfigError on a mistake.

    With `metrics`, the kinds that can also check their measures and dimensions against it.
    """
    path = sources_path(directory)
    if not path.exists():
        return SourcesConfig(sources={}, path=display_path(path))
    data = _read_yaml(path)
    try:
        parsed = SourcesFile.model_validate(data)
    except ValidationError as exc:
        raise _error(path, exc, "") from None
    sources: dict[str, Source] = {}
    for name, entry in parsed.sources.items():
        kind = KINDS[entry.kind]
        prefix = f"sources.{name}.settings"
        try:
            settings = kind.settings.model_validate(entry.settings)
        except ValidationError as exc:
            raise _error(path, exc, prefix) from None
        if metrics is not None and kind.check is not None:
            problems = kind.check(settings, metrics)
            if problems:
                key, reason = problems[0]
                raise ConfigError(display_path(path), f"{prefix}.{key}" if key else prefix, reason)
        sources[name] = Source(
            name=name,
            kind=entry.kind,
            label=entry.label,
            schedule=parse_schedule(entry.schedule),
            freshness=parse_span(entry.freshness),
            settings=settings,
        )
    return SourcesConfig(sources=sources, path=display_path(path))
