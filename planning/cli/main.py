"""The command line, `python -m planning COMMAND`: the parser built from the command groups."""

from __future__ import annotations

import argparse
from typing import NoReturn

from planning import clock, i18n
from planning.cli import (
    bench,
    data,
    demo,
    notify,
    okrs,
    people,
    report,
    reports,
    store,
    sync,
    trash,
    work,
)
from planning.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    Command,
    Context,
    Group,
    UsageError,
    fail,
    where,
)
from planning.cli.parser_words import speak_the_runs_language, translated_help
from planning.config import AppConfig, ConfigError, load_config
from planning.i18n import gettext as _
from planning.metrics.metric_query import MetricError
from planning.store.engine import StoreError, database_url
from planning.store.gate import DATABASE_ERRORS, StoreUnavailable, store_failure

PROG = "python -m planning"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line instead of usage plus message."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(
            _("{prog}: {message} (see --help)").format(prog=self.prog, message=message)
        )


# The order `--help` lists the commands in; every group's command must be named here.
HELP_ORDER = (
    "init",
    "demo",
    "import",
    "query",
    "rank",
    "capacity",
    "okr",
    "token",
    "impact",
    "digest",
    "report",
    "bench",
    "export",
    "restore",
    "rebuild-totals",
    "add-person",
    "set-password",
    "sync",
    "notify",
    "trash",
)
GROUPS: tuple[Group, ...] = (
    store.GROUP,
    demo.GROUP,
    data.GROUP,
    work.GROUP,
    okrs.GROUP,
    people.GROUP,
    sync.GROUP,
    notify.GROUP,
    reports.GROUP,
    report.GROUP,
    bench.GROUP,
    trash.GROUP,
)
COMMANDS: dict[str, Command] = {
    cmd.name: cmd
    for cmd in sorted(
        (cmd for group in GROUPS for cmd in group.commands),
        key=lambda cmd: HELP_ORDER.index(cmd.name),
    )
}


def build_parser() -> argparse.ArgumentParser:
    """The parser for every registered command, its help in the run's language."""
    speak_the_runs_language()
    parser = _Parser(
        prog=PROG,
        description=_("Quarterdeck from the command line: the store, demo data, imports, metrics."),
    )
    parser.add_argument(
        "--today",
        metavar="DAY",
        help=_(
            "act as if today were DAY (YYYY-MM-DD) or an ISO moment; overrides {variable}"
        ).format(variable=clock.TODAY_ENV),
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    for cmd in COMMANDS.values():
        summary = _(cmd.help)
        sub = subparsers.add_parser(cmd.name, help=summary, description=summary)
        for argument in cmd.arguments:
            sub.add_argument(*argument.flags, **translated_help(argument.options))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command line and return its exit code.

    The command gets the parsed arguments and a Context holding the loaded configuration and, on
    first use, the migrated store. Everything it prints for a person is in the team's language
    and formats (settings.yaml `locale`); CSV, JSON and exit codes are the same in every
    language. Errors are one line on stderr, never a traceback: bad arguments or configuration
    exit with 2, a store that cannot be used with 1.
    """
    config = _team_config()
    with i18n.use_locale(i18n.team_language(), formats=i18n.team_locale()):
        return _run(argv, config)


def _team_config() -> AppConfig | None:
    """The configuration, loaded before the arguments are read so that their errors are in the
    team's language too; None when it cannot be loaded yet (said once the arguments are read)."""
    try:
        return load_config()
    except (ConfigError, clock.ClockError):
        return None


def _run(argv: list[str] | None, config: AppConfig | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        return fail(str(exc), EXIT_USAGE)
    except SystemExit as exc:  # --help and --version end here with code 0
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    try:
        if args.today:
            clock.pin(args.today)
        if config is None:
            config = load_config()
    except (ConfigError, clock.ClockError) as exc:
        return fail(str(exc), EXIT_USAGE)
    context = Context(config=config)
    try:
        return COMMANDS[args.command].run(args, context)
    except (UsageError, MetricError) as exc:
        return fail(str(exc), EXIT_USAGE)
    except StoreUnavailable as exc:
        return fail(str(exc), EXIT_REFUSED)
    except StoreError as exc:
        return fail(
            _("the store at {where} cannot be used: {reason}").format(
                where=where(database_url()), reason=exc
            ),
            EXIT_REFUSED,
        )
    except DATABASE_ERRORS as exc:
        failure = store_failure(exc, database_url())
        if failure is not None:  # unreachable, read-only, damaged, busy…
            return fail(str(failure), EXIT_REFUSED)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return fail(
            _("the store at {where} failed: {reason}").format(
                where=where(database_url()), reason=reason
            ),
            EXIT_REFUSED,
        )
    finally:
        context.close()
        if args.today:
            clock.pin(None)
