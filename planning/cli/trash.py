"""The trash command: list what waits in the trash, or purge what has waited 30 days (run it
daily from a scheduler; trash writes purge too)."""

from __future__ import annotations

import argparse

from sqlmodel import Session

from planning import clock
from planning.cli.common import EXIT_OK, Context, Group, arg
from planning.formatting import format_day
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.engine import read_engine, session_scope
from planning.trash.bin import purge_expired_trash
from planning.trash.listing import trash_entries

GROUP = Group()


@GROUP.command(
    "trash",
    N_("List the trash (deleted and archived goals and initiatives) or purge what waited 30 days."),
    arg("action", choices=("list", "purge"), nargs="?", default="list", help=N_("default: list")),
)
def run_trash(args: argparse.Namespace, context: Context) -> int:
    """Print the trash, or delete for good what has waited its 30 days."""
    today = clock.today()
    if args.action == "purge":
        with session_scope(context.engine) as session:
            gone = purge_expired_trash(session=session, today=today)
        print(
            _("{count} gone for good").format(count=len(gone)) + ("".join(f"\n  {g}" for g in gone))
        )
        return EXIT_OK
    with Session(read_engine(context.engine)) as session:
        entries = trash_entries(session=session, today=today)
    if not entries:
        print(_("the trash is empty"))
    for e in entries:
        print(
            _("{kind}: {title} ({how} {since}, gone {gone})").format(
                kind=_(e.kind),
                title=e.title,
                how=_(e.how).lower(),
                since=format_day(e.since),
                gone=format_day(e.gone_on),
            )
        )
    return EXIT_OK
