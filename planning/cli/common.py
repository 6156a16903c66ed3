"""What every command shares: its context, exit codes, usage errors, argument descriptions."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Engine

from planning import i18n
from planning.config import AppConfig
from planning.formatting import format_count, format_day
from planning.i18n import gettext as _
from planning.i18n import ngettext
from planning.store.engine import create_store_engine, database_url, migrate
from planning.store.gate import describe_failure, store_location

if TYPE_CHECKING:
    from sqlmodel import Session

    from planning.store.models import Person

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


def table_or_json(help: str) -> Argument:
    """A listing's --format option: an aligned table (the default) or JSON, as `help` says."""
    return arg("--format", choices=["table", "json"], default="table", help=help)


def fail(message: str, code: int) -> int:
    """Print `message` as one error line on stderr and return the exit code `code`."""
    print(_("error: {message}").format(message=message), file=sys.stderr)
    return code


def fixed(value: float, decimals: int) -> str:
    """A figure with exactly `decimals` decimals as the team writes it ('1,234.50'; German
    '1.234,50')."""
    if i18n.english_formats():
        return f"{value:,.{decimals}f}"
    return i18n.fixed_text(value, decimals=decimals)


@contextmanager
def machine_words(output: str) -> Iterator[None]:
    """English words inside the block when `output` is csv or json: what scripts read (reasons,
    labels the domain computes) is the same in every language; a table keeps the team's."""
    if output in ("csv", "json"):
        with i18n.use_locale(i18n.SOURCE_LANGUAGE):
            yield
    else:
        yield


def whole(value: int) -> str:
    """A count in a result line: its bare digits in English (as scripts have always read them),
    grouped as the team writes it otherwise ('1.234')."""
    return str(value) if i18n.english_formats() else format_count(value)


def day(value: date) -> str:
    """A day in a message: YYYY-MM-DD in English (as it always was), else as the team writes
    it ('6. Dez. 2026')."""
    return value.isoformat() if i18n.english_formats() else format_day(value)


def problems_line(count: int, path: object, outcome: str) -> str:
    """The line closing a refused file's problems: '3 problems in FILE; nothing was imported'."""
    return ngettext(
        "{count} problem in {path}; {outcome}", "{count} problems in {path}; {outcome}", count
    ).format(count=format_count(count), path=path, outcome=outcome)


def active_person(session: Session, email: str) -> Person:
    """The active person --as EMAIL names (any case); UsageError when there is none."""
    from sqlmodel import select

    from planning.store.models import Person

    wanted = email.strip().lower()
    for person in session.exec(select(Person).where(Person.active == True)).all():  # noqa: E712
        if person.email.lower() == wanted:
            return person
    raise UsageError(_("--as {email}: no active person has that email").format(email=email))


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
        raise argparse.ArgumentTypeError(
            _("{text} is not a date in YYYY-MM-DD form").format(text=repr(text))
        ) from None


def whole_number(text: str, not_whole: str) -> int:
    """An argument as a whole number; else a refusal in the words `not_whole` ({text}: the text)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(not_whole.format(text=repr(text))) from None


def number(value: Any) -> float | None:
    """A value as a float for output, None when it is missing, not a number or infinite."""
    if value is None:
        return None
    found = float(value)
    return None if math.isnan(found) or math.isinf(found) else found
