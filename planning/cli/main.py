"""The command line, `python -m planning COMMAND`: set up the store, load demo data, import
observations and query metrics.

Each command is one function registered with `@command(name, help, arg(...), ...)`; it receives
the parsed arguments and a Context holding the loaded configuration and, on first use, the
migrated store. A command returns the exit code: 0 done, 1 refused (bad file, nothing written),
2 bad arguments or configuration. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import URL, Engine
from sqlmodel import Session

from planning import clock
from planning.config import AppConfig, ConfigError, load_config
from planning.formatting import format_value
from planning.metrics.engine import metric_series
from planning.metrics.import_file import ImportFileError
from planning.metrics.importer import import_observations
from planning.metrics.metric_query import GRAINS, MetricError
from planning.store.engine import (
    StoreError,
    create_store_engine,
    database_url,
    migrate,
    read_engine,
)
from planning.store.gate import (
    DATABASE_ERRORS,
    StoreUnavailable,
    describe_failure,
    store_failure,
    store_location,
)

PROG = "python -m planning"
EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Arguments that cannot be acted on; shown as one line and exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line instead of usage plus message."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


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


COMMANDS: dict[str, Command] = {}


def arg(*flags: str, **options: Any) -> Argument:
    """Describe an argument exactly as ArgumentParser.add_argument would take it."""
    return Argument(flags=flags, options=options)


def command(name: str, help: str, *arguments: Argument) -> Callable[[Handler], Handler]:
    """Register a function as the subcommand `name` with the given arguments."""

    def register(run: Handler) -> Handler:
        COMMANDS[name] = Command(name=name, help=help, arguments=arguments, run=run)
        return run

    return register


def build_parser() -> argparse.ArgumentParser:
    """The parser for every registered command."""
    parser = _Parser(
        prog=PROG,
        description="Quarterdeck from the command line: the store, demo data, imports, metrics.",
    )
    parser.add_argument(
        "--today",
        metavar="DAY",
        help=f"act as if today were DAY (YYYY-MM-DD) or an ISO moment; overrides {clock.TODAY_ENV}",
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    for cmd in COMMANDS.values():
        sub = subparsers.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        for argument in cmd.arguments:
            sub.add_argument(*argument.flags, **argument.options)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command line and return its exit code."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except SystemExit as exc:  # --help and --version end here with code 0
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    try:
        if args.today:
            clock.pin(args.today)
        config = load_config()
    except (ConfigError, clock.ClockError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    context = Context(config=config)
    try:
        return COMMANDS[args.command].run(args, context)
    except (UsageError, MetricError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except StoreUnavailable as exc:
        return _fail(str(exc), EXIT_REFUSED)
    except StoreError as exc:
        return _fail(f"the store at {_where(database_url())} cannot be used: {exc}", EXIT_REFUSED)
    except DATABASE_ERRORS as exc:
        failure = store_failure(exc, database_url())
        if failure is not None:  # unreachable, read-only, damaged, busy…
            return _fail(str(failure), EXIT_REFUSED)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return _fail(f"the store at {_where(database_url())} failed: {reason}", EXIT_REFUSED)
    finally:
        context.close()
        if args.today:
            clock.pin(None)


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _where(url: str | URL) -> str:
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


def dimension_filter(text: str) -> tuple[str, str]:
    """A `dimension=value` argument."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not of the form dimension=value")
    return name.strip(), value.strip()


# --- commands ----------------------------------------------------------------------------------


@command("init", "Create or upgrade the store's schema and say where the store is.")
def run_init(args: argparse.Namespace, context: Context) -> int:
    """Migrate the store to the newest schema."""
    engine = context.engine  # opening the store migrates it
    print(f"store ready at {_where(engine.url)}")
    return EXIT_OK


@command(
    "demo",
    "Load the generated demo data set (three years of metrics, a team, OKRs, initiatives).",
    arg("--reset", action="store_true", help="wipe the store's contents first"),
    arg("--seed", type=int, metavar="N", help="random seed (default: settings.yaml demo.seed)"),
)
def run_demo(args: argparse.Namespace, context: Context) -> int:
    """Load the demo data and print what was loaded."""
    from planning.demo.generator import DemoAlreadyLoaded, load_demo

    seed = args.seed if args.seed is not None else context.config.settings.demo.seed
    try:
        summary = load_demo(
            engine=context.engine,
            config=context.config,
            seed=seed,
            today=clock.today(),
            reset=args.reset,
        )
    except DemoAlreadyLoaded as exc:
        return _fail(f"{exc} (use --reset to replace the store's contents)", EXIT_REFUSED)
    print(f"demo data loaded into {_where(context.engine.url)} (seed {seed})")
    for name, value in _fields(summary).items():
        print(f"  {name.replace('_', ' ')}: {value}")
    return EXIT_OK


def _fields(summary: Any) -> dict[str, Any]:
    if is_dataclass(summary) and not isinstance(summary, type):
        return asdict(summary)
    if hasattr(summary, "model_dump"):
        return dict(summary.model_dump())
    return dict(vars(summary))


@command(
    "import",
    "Import observations from a long CSV or .xlsx file (date, measure, value, dimensions).",
    arg("file", metavar="FILE", help="a .csv (UTF-8) or .xlsx file in the interchange format"),
)
def run_import(args: argparse.Namespace, context: Context) -> int:
    """Validate a file whole and write it, or list every bad row and write nothing."""
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        result = import_observations(
            engine=context.engine,
            actor=None,
            data=data,
            filename=path.name,
            source="cli",
            config=context.config.metrics,
        )
    except ImportFileError as exc:
        return _fail(f"{path}: {exc}; nothing was imported", EXIT_REFUSED)
    if result.problems:
        for problem in result.problems:
            print(str(problem), file=sys.stderr)
        count = len(result.problems)
        print(
            f"{count} problem{'s' if count != 1 else ''} in {path}; nothing was imported",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    print(f"added {result.added}, updated {result.updated}, unchanged {result.unchanged}")
    return EXIT_OK


@command(
    "query",
    "Print a metric's values per day, week, month or quarter.",
    arg("metric", metavar="METRIC", help="a metric id from metrics.yaml, e.g. conversion_rate"),
    arg("--start", type=iso_date, required=True, metavar="DATE", help="first day, YYYY-MM-DD"),
    arg("--end", type=iso_date, required=True, metavar="DATE", help="last day, YYYY-MM-DD"),
    arg(
        "--grain",
        choices=GRAINS,
        default="day",
        help="one value per day (default), week, month or quarter",
    ),
    arg(
        "--where",
        type=dimension_filter,
        action="append",
        default=[],
        metavar="DIM=VALUE",
        help="keep only one dimension value, e.g. device=mobile (repeatable)",
    ),
    arg(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="output as an aligned table (default), CSV or a JSON list of {period, value}",
    ),
)
def run_query(args: argparse.Namespace, context: Context) -> int:
    """Compute a metric over a window and print it."""
    filters: dict[str, str] = {}
    for name, value in args.where:
        if name in filters:
            raise UsageError(f"--where names the dimension {name!r} twice")
        filters[name] = value
    if args.start > args.end:
        raise UsageError(f"--start {args.start} is after --end {args.end}")
    with Session(read_engine(context.engine)) as session:
        frame = metric_series(
            session=session,
            config=context.config.metrics,
            metric_id=args.metric,
            start=args.start,
            end=args.end,
            grain=args.grain,
            filters=filters or None,
        )
    rows = [
        (_period_text(p), _number(v)) for p, v in zip(frame["period"], frame["value"], strict=True)
    ]
    if args.format == "json":
        print(json.dumps([{"period": p, "value": v} for p, v in rows], indent=2))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["period", "value"])
        writer.writerows([(p, "" if v is None else repr(v)) for p, v in rows])
    else:
        metric = context.config.metrics.metrics[args.metric]
        symbol = context.config.settings.currency_symbol
        shown = [(p, format_value(v, metric.format, currency_symbol=symbol)) for p, v in rows]
        print(_table(("period", metric.label), shown))
        if not rows:
            print(f"(no data between {args.start} and {args.end})")
    return EXIT_OK


def _period_text(period: Any) -> str:
    if hasattr(period, "date") and callable(period.date):  # a pandas or datetime timestamp
        period = period.date()
    return period.isoformat() if isinstance(period, date) else str(period)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _table(header: tuple[str, str], rows: Sequence[tuple[str, str]]) -> str:
    """Two columns, the first left-aligned and the second right-aligned, under a rule."""
    left = max([len(header[0]), *(len(r[0]) for r in rows)])
    right = max([len(header[1]), *(len(r[1]) for r in rows)])
    lines = [f"{header[0]:<{left}}  {header[1]:>{right}}", f"{'-' * left}  {'-' * right}"]
    lines += [f"{p:<{left}}  {v:>{right}}" for p, v in rows]
    return "\n".join(lines)


# --- weekly planning: rank and capacity --------------------------------------------------------


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Columns under a rule; the columns numbered in `right` are right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            f"{c:>{w}}" if i in right else f"{c:<{w}}"
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def positive_weeks(text: str) -> int:
    """A --weeks argument: a whole number of weeks from 1 to 52."""
    try:
        weeks = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of weeks") from None
    if not 1 <= weeks <= 52:
        raise argparse.ArgumentTypeError(f"{weeks} weeks is out of range; use 1 to 52")
    return weeks


@command(
    "rank",
    "Print the backlog (open initiatives) ranked by a scoring framework.",
    arg(
        "--framework",
        metavar="NAME",
        help="a framework id from scoring.yaml (default: the active one)",
    ),
    arg(
        "--format",
        choices=["table", "json"],
        default="table",
        help="an aligned table (default) or a JSON list of "
        "{rank, id, initiative, owner, status, health, score, value, quadrant, effort_weeks}",
    ),
)
def run_rank(args: argparse.Namespace, context: Context) -> int:
    """Rank the open initiatives and print them, unscored ones last with the reason."""
    import pandas as pd

    from planning.work.backlog import ranked_backlog

    scoring = context.config.scoring
    framework_id = args.framework or scoring.active
    if framework_id not in scoring.frameworks:
        raise UsageError(
            f"unknown framework {framework_id!r}; use one of {', '.join(scoring.frameworks)}"
        )
    with Session(read_engine(context.engine)) as session:
        frame = ranked_backlog(session=session, config=context.config, framework_id=framework_id)
    items = [
        {
            "rank": None if pd.isna(row["rank"]) else int(row["rank"]),
            "id": int(row["id"]),
            "initiative": row["title"],
            "owner": row["owner"],
            "status": row["status"],
            "health": row["health"],
            "score": _number(row["score"]),
            "value": _number(row["value"]),
            "quadrant": row["quadrant"] if isinstance(row["quadrant"], str) else None,
            "effort_weeks": _number(row["effort_weeks"]),
            "problems": row["problems"] or None,
        }
        for row in frame.to_dict(orient="records")
    ]
    if args.format == "json":
        print(json.dumps(items, indent=2))
        return EXIT_OK
    label = scoring.frameworks[framework_id].label
    rows = [
        (
            "-" if item["rank"] is None else str(item["rank"]),
            str(item["initiative"]),
            str(item["owner"]),
            str(item["status"]).replace("_", " "),
            "-" if item["score"] is None else f"{item['score']:,.2f}",
            item["quadrant"] or f"unscored: {item['problems']}",
        )
        for item in items
    ]
    print(f"Backlog ranked by {label} ({len(items)} open initiatives)")
    print(_grid(("rank", "initiative", "owner", "status", "score", "quadrant"), rows, {0, 4}))
    return EXIT_OK


@command(
    "capacity",
    "Print capacity and initiative load per person per week, flagging over-allocation.",
    arg("--weeks", type=positive_weeks, default=8, metavar="N", help="weeks to show (default 8)"),
    arg(
        "--from",
        dest="first_day",
        type=iso_date,
        metavar="DATE",
        help="a day in the first week, YYYY-MM-DD (default: today)",
    ),
    arg(
        "--format",
        choices=["table", "json"],
        default="table",
        help="an aligned table (default) or a JSON list of "
        "{person, week, week_start, capacity_hours, load_hours, over}",
    ),
)
def run_capacity(args: argparse.Namespace, context: Context) -> int:
    """Compute load against capacity for the coming weeks and print it."""
    from planning.work.capacity import capacity_overview

    first_day = args.first_day or clock.today()
    with Session(read_engine(context.engine)) as session:
        frame = capacity_overview(
            session=session,
            settings=context.config.settings.capacity,
            first_day=first_day,
            weeks=args.weeks,
        )
    items = [
        {
            "person": row["person"],
            "week": row["week"],
            "week_start": row["week_start"].isoformat(),
            "capacity_hours": round(float(row["capacity_hours"]), 2),
            "load_hours": round(float(row["load_hours"]), 2),
            "over": bool(row["over"]),
        }
        for row in frame.to_dict(orient="records")
    ]
    if args.format == "json":
        print(json.dumps(items, indent=2))
        return EXIT_OK
    rows = [
        (
            str(item["person"]),
            str(item["week"]),
            f"{item['capacity_hours']:.1f}",
            f"{item['load_hours']:.1f}",
            "OVER" if item["over"] else "",
        )
        for item in items
    ]
    print(_grid(("person", "week", "capacity h", "load h", ""), rows, {2, 3}))
    over = sum(1 for item in items if item["over"])
    print(f"{over} person-week{'s' if over != 1 else ''} over capacity")
    return EXIT_OK


# --- OKRs ----------------------------------------------------------------------------------------


def quarter_id(text: str) -> str:
    """A --period argument: a quarter id such as 2026-Q4."""
    from planning.periods import parse_quarter

    try:
        year, quarter = parse_quarter(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return f"{year:04d}-Q{quarter}"


@command(
    "okr",
    "Print a quarter's key results (value, progress, pace, status, forecast), export and "
    "import its OKRs as a YAML file, or draft it from the last quarter's unfinished goals.",
    arg(
        "action",
        nargs="?",
        choices=["show", "export", "import", "draft"],
        default="show",
        help="show (default) prints the key results; export writes the quarter's OKRs as YAML; "
        "import creates or updates OKRs from a YAML file; draft previews copying the last "
        "quarter's unfinished objectives and key results into --period (--confirm writes it)",
    ),
    arg("file", nargs="?", metavar="FILE", help="import: the YAML file to read"),
    arg(
        "--period",
        type=quarter_id,
        metavar="QUARTER",
        help="the quarter, e.g. 2026-Q4 (default: the current one)",
    ),
    arg(
        "--format",
        choices=["table", "json"],
        default="table",
        help="show: an aligned table (default) or a JSON list with objective, key_result, "
        "current, progress, expected, status, forecast, probability (and metric, start, target "
        "for metric and guardrail key results)",
    ),
    arg("--out", metavar="FILE", help="export: write the YAML to FILE (default: print it)"),
    arg(
        "--as",
        dest="actor",
        metavar="EMAIL",
        help="import, draft: the director doing it (default: the store's only active director)",
    ),
    arg(
        "--from",
        dest="source",
        type=quarter_id,
        metavar="QUARTER",
        help="draft: the quarter to copy from (default: the latest earlier one with objectives)",
    ),
    arg("--confirm", action="store_true", help="draft: write the draft (default: preview only)"),
)
def run_okr(args: argparse.Namespace, context: Context) -> int:
    """Show, export or import a quarter's OKRs."""
    from planning.periods import quarter_of

    if args.file is not None and args.action != "import":
        raise UsageError(f"okr {args.action} takes no FILE (export writes to --out FILE)")
    if args.action == "import":
        if args.file is None:
            raise UsageError("okr import needs the YAML FILE to read")
        if args.period is not None:
            raise UsageError("okr import reads the quarter from the file; drop --period")
        return _okr_import(Path(args.file), args.actor, context)
    period = args.period or quarter_of(
        clock.today(), context.config.settings.fiscal_year_start_month
    )
    if args.action == "draft":
        return _okr_draft(period, args.source, args.actor, args.confirm, context)
    if args.source is not None or args.confirm:
        raise UsageError("--from and --confirm only apply to okr draft")
    if args.actor is not None:
        raise UsageError("--as only applies to okr import and okr draft")
    if args.action == "export":
        return _okr_export(period, args.out, context)
    if args.out is not None:
        raise UsageError("--out only applies to okr export")
    return _okr_show(period, args.format, context)


def _okr_show(period: str, output: str, context: Context) -> int:
    from planning.okrs.evaluation import NO_DATA_YET, format_kr_value, period_goals, report_rows

    with Session(read_engine(context.engine)) as session:
        evaluation = period_goals(session=session, config=context.config, period=period)
    if output == "json":
        print(json.dumps(report_rows(evaluation), indent=2, default=str))
        return EXIT_OK
    symbol = context.config.settings.currency_symbol
    state = (
        f"closed {evaluation.closed_at:%d %b %Y} (values frozen at close)"
        if evaluation.closed and evaluation.closed_at
        else f"day {evaluation.elapsed_days} of {evaluation.total_days}"
    )
    print(f"{period} · data through {evaluation.as_of} · {state}")
    if not evaluation.objectives:
        print(f"(no objectives in {period})")
        return EXIT_OK

    def share(value: float | None) -> str:
        if value is None:
            return "-"
        shown = round(value * 100)
        return f"{shown if shown else 0} %"  # never "-0 %"

    for objective in evaluation.objectives:
        graded = f" · grade {objective.grade:.1f}" if objective.grade is not None else ""
        if objective.status_reason:
            graded = f" ({objective.status_reason}){graded}"
        print()
        print(
            f"{objective.title} ({objective.owner}) — progress "
            f"{NO_DATA_YET if objective.progress is None else share(objective.progress)}, "
            f"expected {share(objective.expected)} · {objective.status.replace('_', ' ')}{graded}"
        )
        rows = [
            (
                kr.title,
                format_kr_value(kr, kr.current, currency_symbol=symbol),
                format_kr_value(
                    kr,
                    kr.threshold if kr.kind == "guardrail" else kr.target,
                    currency_symbol=symbol,
                ),
                kr.no_progress_reason or share(kr.progress),
                share(kr.expected),
                kr.status.replace("_", " "),
                format_kr_value(kr, kr.forecast, currency_symbol=symbol),
                share(kr.probability),
                "-"
                if kr.confidence is None
                else f"{kr.confidence}/10" + (" GAP" if kr.gap_flagged else ""),
            )
            for kr in objective.key_results
        ]
        header = (
            "key result",
            "current",
            "target",
            "progress",
            "expected",
            "status",
            "forecast",
            "probability",
            "confidence",
        )
        print(_grid(header, rows, {1, 2, 3, 4, 6, 7}))
    return EXIT_OK


def _okr_export(period: str, out: str | None, context: Context) -> int:
    from planning.okrs.file_format import export_okr_file

    with Session(read_engine(context.engine)) as session:
        text = export_okr_file(session=session, period=period)
    if out is None:
        print(text, end="")
        return EXIT_OK
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {period}'s OKRs to {out}")
    return EXIT_OK


def _acting_director(session: Session, actor_email: str | None, doing: str) -> Any:
    """The person --as names, or the store's only active director; UsageError otherwise."""
    from sqlmodel import select

    from planning.store.models import Person, Role

    people = session.exec(select(Person).where(Person.active == True)).all()  # noqa: E712
    if actor_email is None:
        directors = [p for p in people if p.role == Role.director]
        if len(directors) != 1:
            raise UsageError(
                f"say which director {doing} with --as EMAIL "
                f"({len(directors)} active directors in the store)"
            )
        return directors[0]
    found = [p for p in people if p.email.lower() == actor_email.strip().lower()]
    if not found:
        raise UsageError(f"--as {actor_email}: no active person has that email")
    return found[0]


def _okr_draft(
    period: str, source: str | None, actor_email: str | None, confirm: bool, context: Context
) -> int:
    from planning.access.permissions import PermissionDenied
    from planning.okrs.goals import GoalError
    from planning.okrs.quarter_draft import copy_unfinished, draft_source
    from planning.store.engine import session_scope

    try:
        with session_scope(context.engine) as session:
            actor = _acting_director(session, actor_email, "drafts")
            source = source or draft_source(session=session, period=period)
            if source is None:
                raise UsageError(f"no quarter before {period} has objectives to copy; use --from")
            draft = copy_unfinished(
                session=session,
                actor=actor,
                config=context.config,
                from_period=source,
                to_period=period,
                preview=not confirm,
            )
    except PermissionDenied as exc:
        return _fail(f"{exc} Nothing was copied.", EXIT_REFUSED)
    except GoalError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"nothing was copied into {period}", file=sys.stderr)
        return EXIT_REFUSED
    rows = [
        (
            row["objective"],
            row["key result"],
            row["owner"],
            row["why"],
            row["start"],
            row["target"],
            row["start from"],
        )
        for row in draft.rows(currency_symbol=context.config.settings.currency_symbol)
    ]
    header = ("objective", "key result", "owner", "why", "start", "target", "start from")
    print(_grid(header, rows, {4, 5}))
    counts = (
        f"{len(draft.objectives)} objectives and {draft.key_result_count} key results "
        f"from {source} into {period}"
    )
    if draft.written:
        print(f"created {counts}")
    else:
        print(f"preview only: would create {counts}; add --confirm to write it")
    return EXIT_OK


def _okr_import(path: Path, actor_email: str | None, context: Context) -> int:
    from planning.access.permissions import PermissionDenied
    from planning.okrs.file_format import import_okr_file
    from planning.okrs.goals import GoalError
    from planning.store.engine import session_scope

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"cannot read {path}: {reason}") from None
    try:
        with session_scope(context.engine) as session:
            actor = _acting_director(session, actor_email, "imports")
            result = import_okr_file(
                session=session, actor=actor, config=context.config.metrics, text=text
            )
    except PermissionDenied as exc:
        return _fail(f"{exc} Nothing was imported.", EXIT_REFUSED)
    except GoalError as exc:
        for problem in exc.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        count = len(exc.problems)
        print(
            f"{count} problem{'s' if count != 1 else ''} in {path}; nothing was imported",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    print(
        f"{result.period}: objectives {result.objectives_created} created, "
        f"{result.objectives_updated} updated, {result.objectives_unchanged} unchanged; "
        f"key results {result.key_results_created} created, {result.key_results_updated} "
        f"updated, {result.key_results_unchanged} unchanged"
    )
    return EXIT_OK


# --- API tokens ----------------------------------------------------------------------------------


@command(
    "token",
    "Create, list or revoke bearer tokens for the HTTP API (/api/v1). A new token is printed "
    "once, alone on stdout, and only its SHA-256 is stored.",
    arg("action", choices=["create", "list", "revoke"], help="what to do"),
    arg("id", nargs="?", type=int, metavar="ID", help="revoke: the token's id (see token list)"),
    arg("--name", metavar="NAME", help="create: who or what uses the token, e.g. nightly-etl"),
    arg(
        "--scope",
        action="append",
        metavar="SCOPE",
        help="create: write:observations (POST /api/v1/observations) or read:okrs "
        "(GET /api/v1/okrs); repeat for both",
    ),
    arg(
        "--as",
        dest="actor",
        metavar="EMAIL",
        help="create, revoke: the director doing it (default: the command line, no person)",
    ),
    arg(
        "--format",
        choices=["table", "json"],
        default="table",
        help="list: an aligned table (default) or JSON",
    ),
)
def run_token(args: argparse.Namespace, context: Context) -> int:
    """Create, list or revoke API tokens."""
    from planning.access.api_tokens import TokenError, create_token, list_tokens, revoke_token
    from planning.access.permissions import PermissionDenied
    from planning.store.engine import session_scope

    if args.action != "create" and (args.name is not None or args.scope):
        raise UsageError("--name and --scope only apply to token create")
    if args.action != "revoke" and args.id is not None:
        raise UsageError(f"token {args.action} takes no ID")
    if args.action == "list":
        if args.actor is not None:
            raise UsageError("--as only applies to token create and token revoke")
        with Session(read_engine(context.engine)) as session:
            tokens = list_tokens(session=session)
        return _print_tokens(tokens, args.format)
    if args.format != "table":
        raise UsageError("--format only applies to token list")
    if args.action == "create" and (args.name is None or not args.scope):
        raise UsageError("token create needs --name NAME and at least one --scope SCOPE")
    if args.action == "revoke" and args.id is None:
        raise UsageError("token revoke needs the token's ID (see token list)")
    try:
        with session_scope(context.engine) as session:
            actor = _director_by_email(session, args.actor)
            if args.action == "create":
                scopes = [s for given in args.scope for s in given.replace(",", " ").split()]
                created = create_token(session=session, actor=actor, name=args.name, scopes=scopes)
            else:
                revoked = revoke_token(session=session, actor=actor, token_id=args.id)
    except TokenError as exc:
        return _fail(str(exc), EXIT_REFUSED)
    except PermissionDenied as exc:
        return _fail(str(exc), EXIT_REFUSED)
    if args.action == "create":
        info = created.token
        print(created.secret)
        print(
            f"created API token {info.id} ({info.name}) with {' '.join(info.scopes)}; "
            "store it now, it is not shown again",
            file=sys.stderr,
        )
    else:
        print(f"revoked API token {revoked.id} ({revoked.name})")
    return EXIT_OK


def _director_by_email(session: Session, email: str | None) -> Any:
    """The active person with this email (None without one); UsageError when there is none."""
    from sqlmodel import select

    from planning.store.models import Person

    if email is None:
        return None
    wanted = email.strip().lower()
    for person in session.exec(select(Person).where(Person.active == True)).all():  # noqa: E712
        if person.email.lower() == wanted:
            return person
    raise UsageError(f"--as {email}: no active person has that email")


def _print_tokens(tokens: Sequence[Any], output: str) -> int:
    def moment(value: Any) -> str | None:
        return None if value is None else value.isoformat(timespec="seconds")

    items = [
        {
            "id": t.id,
            "name": t.name,
            "scopes": list(t.scopes),
            "created_by": t.created_by_name,
            "created_at": moment(t.created_at),
            "last_used_at": moment(t.last_used_at),
            "revoked_at": moment(t.revoked_at),
            "lapsed": t.lapsed,
        }
        for t in tokens
    ]
    if output == "json":
        print(json.dumps(items, indent=2))
        return EXIT_OK
    if not items:
        print("no API tokens yet; create one with: token create --name NAME --scope SCOPE")
        return EXIT_OK
    rows = [
        (
            str(item["id"]),
            str(item["name"]),
            " ".join(item["scopes"]),
            str(item["created_by"]),
            str(item["created_at"])[:16].replace("T", " "),
            str(item["last_used_at"] or "never")[:16].replace("T", " "),
            "revoked " + str(item["revoked_at"])[:10]
            if item["revoked_at"]
            else "lapsed (creator not a director)"
            if item["lapsed"]
            else "active",
        )
        for item in items
    ]
    header = ("id", "name", "scopes", "created by", "created (UTC)", "last used", "state")
    print(_grid(header, rows, {0}))
    return EXIT_OK


# --- impact ledger -------------------------------------------------------------------------------


@command(
    "impact",
    "Print the impact ledger: each shipped initiative's expected lift against the realised one.",
    arg(
        "--format",
        choices=["table", "json"],
        default="table",
        help="an aligned table (default) or a JSON list of {initiative, metric, filters, "
        "shipped, expected_lift, realised_lift, ci_low, ci_high, verdict, ...}; lifts are "
        "fractions (0.08 is +8 %%)",
    ),
)
def run_impact(args: argparse.Namespace, context: Context) -> int:
    """Measure every shipped initiative with an expected lift and print the ledger."""
    from planning.impact.calibration import calibration
    from planning.impact.ledger import impact_ledger
    from planning.impact.ledger_views import interval_text, ledger_rows, lift_text, points_text
    from planning.impact.lift_estimate import VERDICT_LABELS

    with Session(read_engine(context.engine)) as session:
        entries = impact_ledger(session=session, config=context.config)
    if args.format == "json":
        print(json.dumps(ledger_rows(entries), indent=2))
        return EXIT_OK
    if not entries:
        print("(no shipped initiative has an expected lift yet)")
        return EXIT_OK
    interval = context.config.settings.impact.interval
    rows = [
        (
            e.initiative,
            e.metric_id + ("" if not e.filters else f" [{e.where}]"),
            e.shipped.isoformat(),
            lift_text(e.expected_lift),
            lift_text(e.realised_lift),
            interval_text(e.ci_low, e.ci_high),
            VERDICT_LABELS[e.verdict] + ("" if e.seasonally_adjusted or not e.measured else " *"),
        )
        for e in entries
    ]
    header = ("initiative", "metric", "shipped", "expected", "realised", "interval", "verdict")
    print(_grid(header, rows, {3, 4}))
    print(f"interval: {interval:.0%} bootstrap over days; * not seasonally adjusted")
    for entry in entries:
        if entry.verdict == "not_enough_data":
            print(f"  {entry.initiative}: {entry.reason}")
    print()
    calibrations = calibration(entries)
    cal_rows = [
        (
            c.person,
            str(c.predictions),
            str(c.landed),
            str(c.missed),
            "-" if c.hit_rate is None else f"{c.hit_rate:.0%}",
            points_text(c.mean_error) + (f" ({c.tendency})" if c.tendency else ""),
            f"{c.suggested_confidence:.2f}",
        )
        for c in calibrations
    ]
    print("Calibration per estimator")
    print(
        _grid(
            ("estimator", "measured", "landed", "missed", "hit rate", "mean error", "confidence"),
            cal_rows,
            {1, 2, 3, 4, 6},
        )
    )
    return EXIT_OK


@command(
    "digest",
    "Write the weekly digest (key results, shipped work, realised impact, stale updates, "
    "decisions, plan changes) as Markdown or standalone HTML.",
    arg("--week", metavar="WEEK", help="an ISO week, e.g. 2026-W48 (default: this week)"),
    arg(
        "--format",
        choices=["md", "html"],
        default="md",
        help="Markdown (default) or one standalone HTML file with its chart",
    ),
    arg("--out", metavar="FILE", help="write to FILE (default: print it)"),
)
def run_digest(args: argparse.Namespace, context: Context) -> int:
    """Build one week's digest and print or write it."""
    from planning.periods import iso_week
    from planning.reports.digest import DigestError, build_digest, digest_html, digest_markdown

    week = args.week or iso_week(clock.today())
    try:
        with Session(read_engine(context.engine)) as session:
            digest = build_digest(session=session, config=context.config, week=week)
    except DigestError as exc:
        raise UsageError(f"--week {week}: {exc}") from None
    text = digest_html(digest) if args.format == "html" else digest_markdown(digest)
    if args.out is None:
        print(text, end="")
        return EXIT_OK
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"wrote the {digest.week} digest to {args.out}")
    return EXIT_OK


# --- benchmark -----------------------------------------------------------------------------------


def positive_runs(text: str) -> int:
    """A --runs argument: a whole number of reruns from 1 to 200."""
    try:
        runs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= runs <= 200:
        raise argparse.ArgumentTypeError(f"{runs} is not between 1 and 200")
    return runs


@command(
    "bench",
    "Build a data set in a temporary folder and measure page reruns, cold renders, key-result "
    "evaluation, CSV import and memory against DESIGN.md §7's budgets (the configured store is "
    "not touched).",
    arg(
        "--scale",
        choices=["small", "large"],
        default="small",
        help="small: a quick run (one year of data, the director's view); large: the design's "
        "data set (about a million observations, 2,000 initiatives, 300 key results, 20 people, "
        "50,000 status updates) and every role",
    ),
    arg("--out", metavar="FILE", help="also write every measurement as JSON to FILE"),
    arg("--runs", type=positive_runs, metavar="N", help="warm reruns per page (3 small, 15 large)"),
    arg("--keep", metavar="DIR", help="build the stores in DIR and keep them (default: temporary)"),
    arg("--strict", action="store_true", help="exit with 1 when a budget is not met"),
)
def run_bench(args: argparse.Namespace, context: Context) -> int:
    """Run the benchmark, print its table and write its JSON."""
    from bench.run import SCALES, BenchError, checks, render_table, run_benchmark

    out = Path(args.out) if args.out else None
    try:
        result = run_benchmark(
            scale=SCALES[args.scale],
            out=out,
            runs=args.runs,
            keep=Path(args.keep) if args.keep else None,
        )
    except BenchError as exc:
        return _fail(str(exc), EXIT_REFUSED)
    counts = result["counts"]
    print(
        f"{args.scale} data set: {counts['observations']:,} observations, "
        f"{counts['initiatives']:,} initiatives, {counts['key_results']:,} key results, "
        f"{counts['people']} people, {counts['status_updates']:,} status updates "
        f"(measured {result['measured_at']}, load average {result['load_average'][0]:.2f} "
        f"on {result['cpu_count']} cores)"
    )
    print(render_table(checks(result)))
    if out is not None:
        print(f"wrote {out}")
    failed = result["failed"]
    if failed:
        print(f"{len(failed)} over budget: {'; '.join(failed)}", file=sys.stderr)
    return EXIT_REFUSED if failed and args.strict else EXIT_OK


# --- export and restore --------------------------------------------------------------------------


@command(
    "export",
    "Export the whole store into a new folder: one JSON Lines file per table and a manifest "
    "(schema revision, row counts, checksums).",
    arg("directory", metavar="DIR", help="a folder that does not exist yet, or an empty one"),
)
def run_export(args: argparse.Namespace, context: Context) -> int:
    """Write every table of the store and its manifest into DIR."""
    from planning.store.backup import BackupError, export_store

    try:
        manifest = export_store(engine=context.engine, directory=Path(args.directory))
    except BackupError as exc:
        return _fail(str(exc), EXIT_REFUSED)
    except OSError as exc:
        raise UsageError(f"cannot write into {args.directory}: {exc.strerror or exc}") from None
    rows = manifest.rows()
    print(
        f"exported {len(rows)} tables ({sum(rows.values()):,} rows, schema revision "
        f"{manifest.schema_revision}) from {_where(context.engine.url)} to {args.directory}"
    )
    return EXIT_OK


@command(
    "restore",
    "Restore an export folder into an empty store (same schema revision), in one transaction, "
    "keeping every id.",
    arg("directory", metavar="DIR", help="a folder written by the export command"),
    arg(
        "--with-credentials",
        action="store_true",
        help="also restore password hashes, open sign-in sessions, API tokens and share links; "
        "only for an export you made and kept safe (without it, an export holding any is "
        "refused)",
    ),
)
def run_restore(args: argparse.Namespace, context: Context) -> int:
    """Check an export folder whole, then write it into the empty store."""
    from planning.store.backup import BackupError
    from planning.store.restore import restore_store

    try:
        summary = restore_store(
            engine=context.engine,
            directory=Path(args.directory),
            with_credentials=args.with_credentials,
        )
    except BackupError as exc:
        return _fail(f"{exc}; nothing was restored", EXIT_REFUSED)
    except OSError as exc:
        raise UsageError(f"cannot read {args.directory}: {exc.strerror or exc}") from None
    print(
        f"restored {sum(summary.rows.values()):,} rows in {len(summary.rows)} tables "
        f"(exported {summary.exported_at}) into {_where(context.engine.url)}"
    )
    return EXIT_OK


@command(
    "add-person",
    "Add someone to the team, e.g. the first director of a store without demo data.",
    arg("--name", required=True, help="the person's full name"),
    arg("--email", required=True, help="the email they sign in with"),
    arg(
        "--role",
        choices=["director", "member", "stakeholder"],
        default="member",
        help="what they may change (default: member)",
    ),
    arg("--title", default="", help="job title, shown beside their name"),
    arg("--hours", type=float, default=None, help="weekly hours (default: capacity setting)"),
    arg("--bau", type=float, default=0.3, help="business-as-usual share, 0 to 1 (default 0.3)"),
)
def run_add_person(args: argparse.Namespace, context: Context) -> int:
    """Create a person as the command line (no acting person)."""
    from planning.access.people import create_person
    from planning.store.engine import session_scope
    from planning.store.models import PersonCreate
    from planning.validation import InputError

    hours = args.hours
    if hours is None:
        hours = context.config.settings.capacity.hours_per_person_week
    draft = PersonCreate.model_construct(
        name=args.name,
        email=args.email,
        role=args.role,
        title=args.title,
        weekly_hours=hours,
        bau_share=args.bau,
        active=True,
    )
    try:
        with session_scope(context.engine) as session:
            person = create_person(session=session, actor=None, person=draft)
    except InputError as exc:
        return _fail("; ".join(exc.problems) + "; nobody was added", EXIT_REFUSED)
    print(f"added {person.name} <{person.email}> as {person.role.value} (id {person.id})")
    return EXIT_OK


@command(
    "set-password",
    "Set or reset someone's password for password sign-in (auth.mode: password). It is asked "
    "for twice, or read as one line from standard input with --stdin; only its Argon2 hash is "
    "stored, and the person's open sign-ins end.",
    arg("email", help="the person's email (any case)"),
    arg("--stdin", action="store_true", help="read the password from standard input"),
)
def run_set_password(args: argparse.Namespace, context: Context) -> int:
    """Set a password as the command line (no acting person)."""
    import getpass

    from planning.access.people import find_active_person, set_password
    from planning.store.engine import session_scope
    from planning.validation import InputError

    with Session(read_engine(context.engine)) as session:
        person = find_active_person(session=session, email=args.email)
    if person is None:
        return _fail(f"no active person has the email {args.email!r}", EXIT_REFUSED)
    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"New password for {person.email}: ")
        if getpass.getpass("Repeat it: ") != password:
            return _fail("the two passwords differ; nothing was changed", EXIT_REFUSED)
    try:
        with session_scope(context.engine) as session:
            set_password(
                session=session,
                actor=None,
                person_id=person.id,
                password=password,
                settings=context.config.settings.auth,
            )
    except InputError as exc:
        return _fail("; ".join(exc.problems) + "; nothing was changed", EXIT_REFUSED)
    print(f"password set for {person.name} <{person.email}>")
    return EXIT_OK
