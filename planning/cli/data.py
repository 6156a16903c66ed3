"""The observation commands: import a file and query a metric."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from planning import clock
from planning.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    Context,
    Group,
    UsageError,
    arg,
    day,
    fail,
    iso_date,
    number,
    problems_line,
    whole,
)
from planning.cli.tables import two_column_table
from planning.formatting import format_value
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.dashboard import (
    DateWindow,
    PartialPeriod,
    held_days,
    partial_periods_words,
)
from planning.metrics.engine import metric_series
from planning.metrics.import_file import ImportFileError
from planning.metrics.importer import import_observations
from planning.metrics.metric_query import GRAINS
from planning.store.engine import read_engine

GROUP = Group()


def dimension_filter(text: str) -> tuple[str, str]:
    """A `dimension=value` argument."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(
            _("{text} is not of the form dimension=value").format(text=repr(text))
        )
    return name.strip(), value.strip()


@GROUP.command(
    "import",
    N_("Import observations from a long CSV or .xlsx file (date, measure, value, dimensions)."),
    arg("file", metavar="FILE", help=N_("a .csv (UTF-8) or .xlsx file in the interchange format")),
    arg(
        "--format",
        default=None,
        metavar="FORMAT",
        help=N_(
            "read FILE as shopify_orders (a Shopify orders export), ga4 (a GA4 report as CSV) "
            "or mapping:NAME (a wide file through a saved column mapping); default: the "
            "interchange format"
        ),
    ),
)
def run_import(args: argparse.Namespace, context: Context) -> int:
    """Validate a file whole and write it, or list every bad row and write nothing."""
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(
            _("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from None
    try:
        if args.format is not None:
            from planning.sources.formats import import_in_format

            result = import_in_format(
                engine=context.engine,
                actor=None,
                data=data,
                filename=path.name,
                fmt=args.format,
                source="cli",
                config=context.config,
            )
        else:
            result = import_observations(
                engine=context.engine,
                actor=None,
                data=data,
                filename=path.name,
                source="cli",
                config=context.config.metrics,
            )
    except ImportFileError as exc:
        return fail(
            _("{path}: {reason}; nothing was imported").format(path=path, reason=exc), EXIT_REFUSED
        )
    if result.problems:
        for problem in result.problems:
            print(str(problem), file=sys.stderr)
        count = len(result.problems)
        print(problems_line(count, path, _("nothing was imported")), file=sys.stderr)
        return EXIT_REFUSED
    for note in result.notes:
        print(note)
    print(
        _("added {added}, updated {updated}, unchanged {unchanged}").format(
            added=whole(result.added),
            updated=whole(result.updated),
            unchanged=whole(result.unchanged),
        )
    )
    return EXIT_OK


@GROUP.command(
    "query",
    N_("Print a metric's values per day, week, month or quarter."),
    arg("metric", metavar="METRIC", help=N_("a metric id from metrics.yaml, e.g. conversion_rate")),
    arg("--start", type=iso_date, required=True, metavar="DATE", help=N_("first day, YYYY-MM-DD")),
    arg("--end", type=iso_date, required=True, metavar="DATE", help=N_("last day, YYYY-MM-DD")),
    arg(
        "--grain",
        choices=GRAINS,
        default="day",
        help=N_("one value per day (default), week, month or quarter"),
    ),
    arg(
        "--where",
        type=dimension_filter,
        action="append",
        default=[],
        metavar="DIM=VALUE",
        help=N_("keep only one dimension value, e.g. device=mobile (repeatable)"),
    ),
    arg(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help=N_(
            "output as an aligned table (default), CSV or a JSON list of {period, value, held, "
            "days} (held: how many of the period's days the window holds, today not counted)"
        ),
    ),
)
def run_query(args: argparse.Namespace, context: Context) -> int:
    """Compute a metric over a window and print it."""
    filters: dict[str, str] = {}
    for name, value in args.where:
        if name in filters:
            raise UsageError(_("--where names the dimension {name} twice").format(name=repr(name)))
        filters[name] = value
    if args.start > args.end:
        raise UsageError(
            _("--start {start} is after --end {end}").format(start=args.start, end=args.end)
        )
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
    # Today is not over: a period reaching it holds only the days before it, as one the window
    # cuts at either end holds fewer days than it has.
    over = DateWindow(args.start, min(args.end, clock.today() - timedelta(days=1)))
    starts = [_period_day(p) for p in frame["period"]]
    counts = [held_days(p, over, args.grain) for p in starts]
    rows = [
        (p.isoformat(), number(v), held, days)
        for p, v, (held, days) in zip(starts, frame["value"], counts, strict=True)
    ]
    if args.format == "json":
        print(
            json.dumps(
                [{"period": p, "value": v, "held": h, "days": d} for p, v, h, d in rows], indent=2
            )
        )
    elif args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["period", "value", "held", "days"])
        writer.writerows([(p, "" if v is None else repr(v), h, d) for p, v, h, d in rows])
    else:
        metric = context.config.metrics.metrics[args.metric]
        symbol = context.config.settings.currency_symbol
        partial = [
            PartialPeriod(start=p, held=h, days=d)
            for p, (h, d) in zip(starts, counts, strict=True)
            if h < d
        ]
        words = partial_periods_words(partial, args.grain)
        shown = [
            (
                f"{p} *" if words and h < d else p,
                format_value(v, metric.format, currency_symbol=symbol),
            )
            for p, v, h, d in rows
        ]
        print(two_column_table((_("period"), metric.label), shown))
        if words:
            print(
                _("* {periods}: a short period's value is no drop or rise.").format(periods=words)
            )
        if not rows:
            print(
                _("(no data between {start} and {end})").format(
                    start=day(args.start), end=day(args.end)
                )
            )
    return EXIT_OK


def _period_day(period: Any) -> date:
    if hasattr(period, "date") and callable(period.date):  # a pandas or datetime timestamp
        period = period.date()
    return period if isinstance(period, date) else date.fromisoformat(str(period))
