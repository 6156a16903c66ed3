"""The weekly-planning commands: rank the backlog and show capacity."""

from __future__ import annotations

import argparse
import json

from sqlmodel import Session

from planning import clock
from planning.cli.common import (
    EXIT_OK,
    Context,
    Group,
    UsageError,
    arg,
    fixed,
    iso_date,
    machine_words,
    number,
    table_or_json,
    whole_number,
)
from planning.cli.tables import grid
from planning.formatting import format_count
from planning.i18n import N_, ngettext, word_for
from planning.i18n import gettext as _
from planning.store.engine import read_engine

GROUP = Group()

# An initiative's status as the backlog table writes it (English: its id, spaced).
STATUS_WORDS = {
    "idea": N_("idea"),
    "planned": N_("planned"),
    "in_progress": N_("in progress"),
    "blocked": N_("blocked"),
    "done": N_("done"),
    "dropped": N_("dropped"),
}


def positive_weeks(text: str) -> int:
    """A --weeks argument: a whole number of weeks from 1 to 52."""
    weeks = whole_number(text, _("{text} is not a whole number of weeks"))
    if not 1 <= weeks <= 52:
        raise argparse.ArgumentTypeError(
            _("{weeks} weeks is out of range; use 1 to 52").format(weeks=weeks)
        )
    return weeks


@GROUP.command(
    "rank",
    N_("Print the backlog (open initiatives) ranked by a scoring framework."),
    arg(
        "--framework",
        metavar="NAME",
        help=N_("a framework id from scoring.yaml (default: the active one)"),
    ),
    table_or_json(
        N_(
            "an aligned table (default) or a JSON list of "
            "{rank, id, initiative, owner, status, health, score, value, quadrant, effort_weeks}"
        )
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
            _("unknown framework {name}; use one of {names}").format(
                name=repr(framework_id), names=", ".join(scoring.frameworks)
            )
        )
    with machine_words(args.format), Session(read_engine(context.engine)) as session:
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
    label = _(scoring.frameworks[framework_id].label)
    rows = [
        (
            "-" if item["rank"] is None else str(item["rank"]),
            str(item["initiative"]),
            str(item["owner"]),
            word_for(STATUS_WORDS, str(item["status"])),
            "-" if item["score"] is None else fixed(item["score"], 2),
            _(item["quadrant"])
            if item["quadrant"]
            else _("unscored: {problems}").format(problems=item["problems"]),
        )
        for item in items
    ]
    print(
        ngettext(
            "Backlog ranked by {framework} ({count} open initiative)",
            "Backlog ranked by {framework} ({count} open initiatives)",
            len(items),
        ).format(framework=label, count=format_count(len(items)))
    )
    header = (_("rank"), _("initiative"), _("owner"), _("status"), _("score"), _("quadrant"))
    print(grid(header, rows, {0, 4}))
    return EXIT_OK


@GROUP.command(
    "capacity",
    N_("Print capacity and initiative load per person per week, flagging over-allocation."),
    arg(
        "--weeks", type=positive_weeks, default=8, metavar="N", help=N_("weeks to show (default 8)")
    ),
    arg(
        "--from",
        dest="first_day",
        type=iso_date,
        metavar="DATE",
        help=N_("a day in the first week, YYYY-MM-DD (default: today)"),
    ),
    table_or_json(
        N_(
            "an aligned table (default) or a JSON list of "
            "{person, week, week_start, capacity_hours, load_hours, over}"
        )
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
            fixed(item["capacity_hours"], 1),
            fixed(item["load_hours"], 1),
            _("OVER") if item["over"] else "",
        )
        for item in items
    ]
    header = (_("person"), _("week"), _("capacity h"), _("load h"), "")
    print(grid(header, rows, {2, 3}))
    over = sum(1 for item in items if item["over"])
    print(
        ngettext(
            "{count} person-week over capacity", "{count} person-weeks over capacity", over
        ).format(count=format_count(over))
    )
    return EXIT_OK
