"""The bench command: measure the product against its performance budgets."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from planning.cli.common import EXIT_OK, EXIT_REFUSED, Context, Group, arg, fail, whole_number
from planning.i18n import N_
from planning.i18n import gettext as _

GROUP = Group()


def positive_runs(text: str) -> int:
    """A --runs argument: a whole number of reruns from 1 to 200."""
    runs = whole_number(text, _("{text} is not a whole number"))
    if not 1 <= runs <= 200:
        raise argparse.ArgumentTypeError(_("{runs} is not between 1 and 200").format(runs=runs))
    return runs


def pace_seconds(text: str) -> float:
    """An --arrive-over or --think argument: seconds from 0 to 3600."""
    seconds = float(text) if text.replace(".", "", 1).lstrip("-").isdigit() else None
    if seconds is None or not 0 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to 3600")
    return seconds


def app_processes(text: str) -> int:
    """A --processes argument: 1 to 8 app processes."""
    processes = int(text) if text.isdigit() else 0
    if not 1 <= processes <= 8:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes from 1 to 8")
    return processes


def load_steps(text: str) -> list[int]:
    """A --load argument: session counts from 1 to 100, comma-separated (e.g. 5,10,20,30)."""
    steps = []
    for part in text.split(","):
        sessions = whole_number(part, _("{text} is not a whole number"))
        if not 1 <= sessions <= 100:
            raise argparse.ArgumentTypeError(
                _("{sessions} sessions is not between 1 and 100").format(sessions=sessions)
            )
        steps.append(sessions)
    return steps


@GROUP.command(
    "bench",
    N_(
        "Build a data set in a temporary folder and measure page reruns, cold renders, key-result "
        "evaluation, CSV import and memory against DESIGN.md §7's budgets (the configured store is "
        "not touched)."
    ),
    arg(
        "--scale",
        choices=["small", "large", "xl"],
        default="small",
        help=N_(
            "small: a quick run (one year of data, the director's view); large: the design's "
            "data set (about a million observations, 2,000 initiatives, 300 key results, "
            "20 people, 50,000 status updates) and every role; xl: ten times that data (10 million "
            "observations over five years, 20,000 initiatives, 1,000 key results, 60 people)"
        ),
    ),
    arg("--out", metavar="FILE", help=N_("also write every measurement as JSON to FILE")),
    arg(
        "--runs",
        type=positive_runs,
        metavar="N",
        help=N_("warm reruns per page (3 small, 15 large)"),
    ),
    arg(
        "--keep",
        metavar="DIR",
        help=N_("build the stores in DIR and keep them (default: temporary)"),
    ),
    arg("--strict", action="store_true", help=N_("exit with 1 when a budget is not met")),
    arg(
        "--store",
        metavar="URL",
        help=N_(
            "measure on PostgreSQL instead of SQLite: a postgresql+psycopg:// URL; the stores "
            "are schemas unique to the run, dropped at the end"
        ),
    ),
    arg(
        "--load",
        type=load_steps,
        metavar="N[,N...]",
        help=N_(
            "instead of the page measurements: start the real server on a copy of the scale's "
            "store and drive N concurrent sessions (a director saving the planning table, "
            "members posting status updates, stakeholders reading the Roadmap and Goals), once per "
            "N; --keep DIR reuses the store DIR holds"
        ),
    ),
    arg(
        "--load-client",
        choices=["ws", "chromium"],
        default="ws",
        help=N_(
            "with --load: ws (default) speaks Streamlit's websocket protocol as a browser tab "
            "does and costs this machine little, so the figures are the server's; chromium drives "
            "headless Chromium contexts, the whole stack, whose renderers share the server's cores"
        ),
    ),
    arg(
        "--arrive-over",
        type=pace_seconds,
        default=60.0,
        metavar="SECONDS",
        help=N_(
            "with --load: the sessions arrive evenly spread over this many seconds (default 60)"
        ),
    ),
    arg(
        "--processes",
        type=app_processes,
        default=1,
        metavar="N",
        help=N_(
            "with --load and the ws client: start N app processes on the one store (1 to 8, "
            "default 1), each session kept on one of them as a proxy with sticky sessions does"
        ),
    ),
    arg(
        "--think",
        type=pace_seconds,
        default=5.0,
        metavar="SECONDS",
        help=N_("with --load: a person's pause between actions, ± half at random (default 5)"),
    ),
)
def run_bench(args: argparse.Namespace, context: Context) -> int:
    """Run the benchmark, print its table and write its JSON."""
    from bench.run import checks, render_table, run_benchmark
    from bench.scales import SCALES, BenchError

    out = Path(args.out) if args.out else None
    if args.load:
        return _run_load(args, out)
    try:
        result = run_benchmark(
            scale=SCALES[args.scale],
            out=out,
            runs=args.runs,
            keep=Path(args.keep) if args.keep else None,
            store=args.store,
        )
    except BenchError as exc:
        return fail(str(exc), EXIT_REFUSED)
    counts = result["counts"]
    print(
        f"{args.scale} data set on {result['store']}: {counts['observations']:,} observations, "
        f"{counts['initiatives']:,} initiatives, {counts['key_results']:,} key results, "
        f"{counts['people']} people, {counts['status_updates']:,} status updates "
        f"(measured {result['measured_at']}, load average {result['load_average'][0]:.2f} "
        f"on {result['cpu_count']} cores)"
    )
    return _verdict(render_table(checks(result)), result["failed"], out, strict=args.strict)


def _run_load(args: argparse.Namespace, out: Path | None) -> int:
    """The load measurement: concurrent browser sessions against the real server."""
    from bench.load import LoadError, load_checks, run_load_benchmark
    from bench.load_setup import Pace
    from bench.run import render_table
    from bench.scales import SCALES, BenchError

    try:
        result = run_load_benchmark(
            scale=SCALES[args.scale],
            steps=args.load,
            out=out,
            keep=Path(args.keep) if args.keep else None,
            client=args.load_client,
            pace=Pace(arrive_over_s=args.arrive_over, think_s=args.think),
            processes=args.processes,
        )
    except (LoadError, BenchError) as exc:
        return fail(str(exc), EXIT_REFUSED)
    counts = result["counts"]
    print(
        f"{args.scale} data set: {counts['observations']:,} observations, "
        f"{counts['initiatives']:,} initiatives, {counts['status_updates']:,} status updates "
        f"(measured {result['measured_at']} on {result['cpu_count']} cores with the "
        f"{args.load_client} client"
        + (f" and {args.processes} app processes" if args.processes > 1 else "")
        + f", sessions arriving over {args.arrive_over:g} s, "
        f"{args.think:g} s pauses; each row gives the load average before and after its step)"
    )
    found = load_checks(result["load"])
    failed = [c.what for c in found if not c.ok]
    return _verdict(render_table(found), failed, out, strict=args.strict)


def _verdict(table: str, failed: Sequence[str], out: Path | None, *, strict: bool) -> int:
    """Print the checks and where the results were written; what is over budget goes to stderr
    and, with --strict, makes the exit code a refusal."""
    print(table)
    if out is not None:
        print(f"wrote {out}")
    if failed:
        print(f"{len(failed)} over budget: {'; '.join(failed)}", file=sys.stderr)
    return EXIT_REFUSED if failed and strict else EXIT_OK
