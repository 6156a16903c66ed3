"""What every command shares: its context, exit codes, usage errors, argument descriptions."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import URL, Engine

from planning.config import AppConfig
from planning.store.engine import create_store_engine, database_url, migrate
from planning.store.gate import describe_failure, store_location

# A command returns its exit code: 0 done, 1 refused (bad file, nothing written), 2 bad
# arguments or configuration. Errors are one line on stderr, never a traceback.
EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Arguments that cannot be acted on; shown as one line and exit code 2."""


@dataclass
class Context:
    """What a command works with: the configuration and, opened on first use, the store."""

    config: AppConfig
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        """The store's engine, migrated to the newest schema the first time it is asked for."""
        if self._engine is None:
            url = database_url()
            try:
                engine = create_store_engine(
                    url, busy_timeout_ms=self.config.settings.storage.sqlite_busy_timeout_ms
                )
            except OSError as exc:  # its folder cannot be created
                raise describe_failure(exc, url) from exc
            try:
                migrate(engine)
            except BaseException:
                engine.dispose()
                raise
            self._engine = engine
        return self._engine

    def close(self) -> None:
        """Release the store's connections, if it was opened."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


Handler = Callable[[argparse.Namespace, Context], int]


@dataclass(frozen=True)
class Argument:
    """One argparse argument of a command: its flags and add_argument options."""

    flags: tuple[str, ...]
    options: dict[str, Any]


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, one-line help, arguments and the function that runs it."""

    name: str
    help: str
    arguments: tuple[Argument, ...]
    run: Handler


class Group:
    """The commands of one group, registered with `@GROUP.command(name, help, arg(...), ...)`.

    Each command function receives the parsed arguments and the Context, and returns the exit
    code.
    """

    def __init__(self) -> None:
        self.commands: list[Command] = []

    def command(self, name: str, help: str, *arguments: Argument) -> Callable[[Handler], Handler]:
        """Register a function as the subcommand `name` with the given arguments."""

        def register(run: Handler) -> Handler:
            self.commands.append(Command(name=name, help=help, arguments=arguments, run=run))
            return run

        return register


def arg(*flags: str, **options: Any) -> Argument:
    """Describe an argument exactly as ArgumentParser.add_argument would take it."""
    return Argument(flags=flags, options=options)


def fail(message: str, code: int) -> int:
    """Print `message` as one error line on stderr and return the exit code `code`."""
    print(f"error: {message}", file=sys.stderr)
    return code


def where(url: str | URL) -> str:
    """The store's location as a person would recognise it, without any password."""
    return store_location(url)


# --- argument types ----------------------------------------------------------------------------


def iso_date(text: str) -> date:
    """An argument in YYYY-MM-DD form."""
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def number(value: Any) -> float | None:
    """A value as a float for output, None when it is missing, not a number or infinite."""
    if value is None:
        return None
    found = float(value)
    return None if math.isnan(found) or math.isinf(found) else found
