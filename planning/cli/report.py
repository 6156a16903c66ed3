"""The meeting's exports: `report` writes the Goals report, the roadmap or the impact ledger as a
PDF, a PNG or an SVG (planning/reports/export.py)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sqlmodel import Session

from planning import clock
from planning.cli.common import EXIT_OK, Context, Group, UsageError, arg
from planning.formatting import format_count
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.periods import quarter_of
from planning.store.engine import read_engine

GROUP = Group()

# What a written export was, by --view (the impact ledger has no quarter).
VIEW_WORDS = {"goals": N_("{period} goals"), "roadmap": N_("{period} roadmap")}


def _writable(out: str) -> Path:
    """The file to write, refused before any work when its folder is missing or read-only."""
    path = Path(out)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(_("--out {path}: is a folder; name a file").format(path=out))
    if not folder.is_dir():
        raise UsageError(
            _("--out {path}: the folder {folder} does not exist").format(path=out, folder=folder)
        )
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(_("--out {path}: cannot write there (permission denied)").format(path=out))
    return path


@GROUP.command(
    "report",
    N_(
        "Write a quarter's Goals report (a cover and a page per objective), the roadmap (timeline "
        "and board) or the impact ledger as PDF, PNG or SVG, to take into a meeting."
    ),
    arg("--period", metavar="QUARTER", help=N_("e.g. 2026-Q4 (default: this quarter)")),
    arg(
        "--view",
        choices=["goals", "roadmap", "impact"],
        default="goals",
        help=N_(
            "what to export: the Goals report (default), the roadmap of the quarter, or the "
            "impact ledger (all shipped work; --period is not used)"
        ),
    ),
    arg(
        "--format",
        choices=["pdf", "png", "svg"],
        default="pdf",
        help=N_("a PDF report (default), or the charts as one PNG or SVG image"),
    ),
    arg("--out", metavar="FILE", required=True, help=N_("the file to write")),
)
def run_report(args: argparse.Namespace, context: Context) -> int:
    """Build the export in memory, then write it; nothing is written when it cannot be made."""
    from planning.reports import export
    from planning.work.roadmap import RoadmapFilters

    today = clock.today()
    fiscal = context.config.settings.fiscal_year_start_month
    try:
        period = export.check_period(args.period or quarter_of(today, fiscal))
    except export.ExportError as exc:
        raise UsageError(f"--period {args.period}: {exc}") from None
    path = _writable(args.out)
    try:
        with Session(read_engine(context.engine)) as session:
            if args.view == "goals":
                data = export.export_goals(
                    session=session,
                    config=context.config,
                    period=period,
                    today=today,
                    fmt=args.format,
                )
            elif args.view == "roadmap":
                data = export.export_roadmap(
                    session=session,
                    config=context.config,
                    filters=RoadmapFilters(quarter=period),
                    today=today,
                    fmt=args.format,
                )
            else:
                data = export.export_impact(session=session, config=context.config, fmt=args.format)
    except export.ExportError as exc:
        raise UsageError(str(exc)) from None
    try:
        path.write_bytes(data)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise UsageError(
            _("cannot write {path}: {reason}").format(path=args.out, reason=exc.strerror or exc)
        ) from None
    scope = (
        _("the impact ledger")
        if args.view == "impact"
        else _(VIEW_WORDS[args.view]).format(period=period)
    )
    print(
        _("wrote {what} as {format} to {path} ({size} bytes)").format(
            what=scope, format=args.format.upper(), path=path, size=format_count(len(data))
        )
    )
    return EXIT_OK
