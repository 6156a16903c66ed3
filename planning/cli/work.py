"""The weekly-planning commands: rank the backlog and show capacity."""

from __future__ import annotations

import argparse
import json

from sqlmodel import Session

from planning import clock
from planning.cli.common import EXIT_OK, Context, Group, UsageError, arg, iso_date, number
from planning.cli.tables import grid
from planning.store.engine import read_engine

GROUP = Group()


def positive_weeks(text: str) -> int:
    """A --weeks argument: a whole number of weeks from 1 to 52."""
    try:
        weeks = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of weeks") from None
    if not 1 <= weeks <= 52:
        raise argparse.ArgumentTypeError(f"{weeks} weeks is out of range; use 1 to 52")
    return weeks


@GROUP.command(
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
            "score": number(row["score"]),
            "value": number(row["value"]),
            "quadrant": row["quadrant"] if isinstance(row["quadrant"], str) else None,
            "effort_weeks": number(row["effort_weeks"]),
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
    print(grid(("rank", "initiative", "owner", "status", "score", "quadrant"), rows, {0, 4}))
    return EXIT_OK


@GROUP.command(
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
    print(grid(("person", "week", "capacity h", "load h", ""), rows, {2, 3}))
    over = sum(1 for item in items if item["over"])
    print(f"{over} person-week{'s' if over != 1 else ''} over capacity")
    return EXIT_OK
