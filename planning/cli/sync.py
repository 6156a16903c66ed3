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

from planning.cli.common import Context, Group, arg, day, fail, fixed, machine_words, table_or_json
from planning.config import ConfigError
from planning.formatting import format_count
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.sources.config import load_sources
from planning.sources.runs import BUSY, FAILED, SyncOutcome, run_sources

NAME = "sync"
HELP = "Run the data sources of config/sources.yaml now (all, or the ones named)."


GROUP = Group()


def _line(outcome: SyncOutcome) -> str:
    if outcome.status == FAILED:
        return _("{source}: failed, nothing written: {error}").format(
            source=outcome.source, error=outcome.error_text()
        )
    if outcome.status == BUSY:
        return _("{source}: skipped, {reason}").format(
            source=outcome.source, reason=outcome.error_text()
        )
    window = _(" from {day}").format(day=day(outcome.since)) if outcome.since else ""
    through = _(" through {day}").format(day=day(outcome.through)) if outcome.through else ""
    return _(
        "{source}: {rows} rows{window}{through} — added {added}, updated {updated}, "
        "unchanged {unchanged} ({seconds} s)"
    ).format(
        source=outcome.source,
        rows=format_count(outcome.rows),
        window=window,
        through=through,
        added=format_count(outcome.added),
        updated=format_count(outcome.updated),
        unchanged=format_count(outcome.unchanged),
        seconds=fixed(outcome.seconds, 1),
    )


@GROUP.command(
    NAME,
    HELP,
    arg("sources", nargs="*", metavar="SOURCE", help=N_("source names (default: every source)")),
    table_or_json(N_("one line per source (default) or a JSON list")),
)
def run(args: argparse.Namespace, context: Context) -> int:
    """Run the sources and print one line (or one JSON object) per source."""
    try:
        sources = load_sources(context.config.directory or None, context.config.metrics)
    except ConfigError as exc:
        return fail(str(exc), 2)
    unknown = [n for n in args.sources if n not in sources.sources]
    if unknown:
        known = ", ".join(sources.sources) or _("none: {path} lists no sources").format(
            path=sources.path
        )
        return fail(
            _("no source called {names} (configured: {known})").format(
                names=", ".join(unknown), known=known
            ),
            2,
        )
    if not sources.sources:
        print(_("no sources configured ({path} is missing or empty)").format(path=sources.path))
        return 0
    with machine_words(args.format):
        outcomes = run_sources(
            engine=context.engine,
            config=context.config,
            sources=sources,
            names=list(args.sources) or None,
            trigger="command",
        )
    if args.format == "json":
        with machine_words(args.format):
            answer = json.dumps(
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
                        "error": o.error_text() or None,
                        "notes": list(o.note_texts()),
                    }
                    for o in outcomes
                ],
                indent=2,
            )
        print(answer)
    else:
        for outcome in outcomes:
            stream = sys.stderr if outcome.status == FAILED else sys.stdout
            print(_line(outcome), file=stream)
            for note in outcome.note_texts():
                print(_("{source}: note: {note}").format(source=outcome.source, note=note))
    return 1 if any(o.status == FAILED for o in outcomes) else 0
