"""The report commands: the impact ledger and the weekly digest."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sqlmodel import Session

from planning import clock
from planning.cli.common import (
    EXIT_OK,
    Context,
    Group,
    UsageError,
    arg,
    day,
    fixed,
    machine_words,
    table_or_json,
)
from planning.cli.tables import grid
from planning.formatting import format_whole_percent
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.engine import read_engine

GROUP = Group()


@GROUP.command(
    "impact",
    N_(
        "Print the impact ledger: each shipped initiative's expected lift against the realised one."
    ),
    table_or_json(
        N_(
            "an aligned table (default) or a JSON list of {initiative, metric, filters, "
            "shipped, expected_lift, realised_lift, ci_low, ci_high, verdict, ...}; lifts are "
            "fractions (0.08 is +8 %%)"
        )
    ),
)
def run_impact(args: argparse.Namespace, context: Context) -> int:
    """Measure every shipped initiative with an expected lift and print the ledger."""
    from planning.impact.calibration import calibration
    from planning.impact.ledger import impact_ledger
    from planning.impact.ledger_views import interval_text, ledger_rows, lift_text, points_text
    from planning.impact.lift_estimate import VERDICT_LABELS

    with machine_words(args.format), Session(read_engine(context.engine)) as session:
        entries = impact_ledger(session=session, config=context.config)
    if args.format == "json":
        with machine_words(args.format):
            print(json.dumps(ledger_rows(entries), indent=2))
        return EXIT_OK
    if not entries:
        print(_("(no shipped initiative has an expected lift yet)"))
        return EXIT_OK
    interval = context.config.settings.impact.interval
    rows = [
        (
            e.initiative,
            e.metric_id + ("" if not e.filters else f" [{e.where}]"),
            day(e.shipped),
            lift_text(e.expected_lift),
            lift_text(e.realised_lift),
            interval_text(e.ci_low, e.ci_high),
            _(VERDICT_LABELS[e.verdict])
            + ("" if e.seasonally_adjusted or not e.measured else " *"),
        )
        for e in entries
    ]
    header = (
        _("initiative"),
        _("metric"),
        _("shipped"),
        _("expected"),
        _("realised"),
        _("interval"),
        _("verdict"),
    )
    print(grid(header, rows, {3, 4}))
    print(
        _("interval: {share} bootstrap over days; * not seasonally adjusted").format(
            share=format_whole_percent(interval)
        )
    )
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
            "-" if c.hit_rate is None else format_whole_percent(c.hit_rate),
            points_text(c.mean_error) + (f" ({_(c.tendency)})" if c.tendency else ""),
            fixed(c.suggested_confidence, 2),
        )
        for c in calibrations
    ]
    print(_("Calibration per estimator"))
    header = (
        _("estimator"),
        _("measured"),
        _("landed"),
        _("missed"),
        _("hit rate"),
        _("mean error"),
        _("confidence"),
    )
    print(grid(header, cal_rows, {1, 2, 3, 4, 6}))
    return EXIT_OK


@GROUP.command(
    "digest",
    N_(
        "Write the weekly digest (key results, shipped work, realised impact, stale updates, "
        "decisions, plan changes) as Markdown or standalone HTML."
    ),
    arg("--week", metavar="WEEK", help=N_("an ISO week, e.g. 2026-W48 (default: this week)")),
    arg(
        "--format",
        choices=["md", "html"],
        default="md",
        help=N_("Markdown (default) or one standalone HTML file with its chart"),
    ),
    arg("--out", metavar="FILE", help=N_("write to FILE (default: print it)")),
)
def run_digest(args: argparse.Namespace, context: Context) -> int:
    """Build one week's digest and print or write it."""
    from planning.periods import iso_week
    from planning.reports.digest import DigestError, build_digest
    from planning.reports.digest_render import digest_html, digest_markdown

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
        raise UsageError(
            _("cannot write {path}: {reason}").format(path=args.out, reason=exc.strerror or exc)
        ) from None
    print(_("wrote the {week} digest to {path}").format(week=digest.week, path=args.out))
    return EXIT_OK
