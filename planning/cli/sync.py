"""`python -m planning sync [SOURCE…]`: run configured data sources now (for cron or a systemd
timer), each under its lock, and say what each did.

Exit codes: 0 every source ran (or another process was already running it), 1 a source failed
(nothing of it was written; its error is recorded and printed), 2 an unknown source name or a
mistake in sources.yaml.
"""

from __future__ import annotations

import argparse
import json
import sys

from planning.cli.common import Context, Group, arg
from planning.config import ConfigError
from planning.sources.config import load_sources
from planning.sources.runs import BUSY, FAILED, SyncOutcome, run_sources

NAME = "sync"
HELP = "Run the data sources of config/sources.yaml now (all, or the ones named)."


GROUP = Group()


def _line(outcome: SyncOutcome) -> str:
    if outcome.status == FAILED:
        return f"{outcome.source}: failed, nothing written: {outcome.error}"
    if outcome.status == BUSY:
        return f"{outcome.source}: skipped, {outcome.error}"
    window = f" from {outcome.since.isoformat()}" if outcome.since else ""
    through = f" through {outcome.through.isoformat()}" if outcome.through else ""
    return (
        f"{outcome.source}: {outcome.rows:,} rows{window}{through} — added {outcome.added:,}, "
        f"updated {outcome.updated:,}, unchanged {outcome.unchanged:,} ({outcome.seconds:.1f} s)"
    )


@GROUP.command(
    NAME,
    HELP,
    arg("sources", nargs="*", metavar="SOURCE", help="source names (default: every source)"),
    arg(
        "--format",
        choices=["table", "json"],
        default="table",
        help="one line per source (default) or a JSON list",
    ),
)
def run(args: argparse.Namespace, context: Context) -> int:
    """Run the sources and print one line (or one JSON object) per source."""
    try:
        sources = load_sources(context.config.directory or None, context.config.metrics)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    unknown = [n for n in args.sources if n not in sources.sources]
    if unknown:
        known = ", ".join(sources.sources) or f"none: {sources.path} lists no sources"
        print(
            f"error: no source called {', '.join(unknown)} (configured: {known})", file=sys.stderr
        )
        return 2
    if not sources.sources:
        print(f"no sources configured ({sources.path} is missing or empty)")
        return 0
    outcomes = run_sources(
        engine=context.engine,
        config=context.config,
        sources=sources,
        names=list(args.sources) or None,
        trigger="command",
    )
    if args.format == "json":
        print(
            json.dumps(
                [
                    {
                        "source": o.source,
                        "status": o.status,
                        "rows": o.rows,
                        "added": o.added,
                        "updated": o.updated,
                        "unchanged": o.unchanged,
                        "since": o.since.isoformat() if o.since else None,
                        "through": o.through.isoformat() if o.through else None,
                        "seconds": round(o.seconds, 3),
                        "error": o.error or None,
                    }
                    for o in outcomes
                ],
                indent=2,
            )
        )
    else:
        for outcome in outcomes:
            stream = sys.stderr if outcome.status == FAILED else sys.stdout
            print(_line(outcome), file=stream)
    return 1 if any(o.status == FAILED for o in outcomes) else 0
