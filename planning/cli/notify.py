"""The notification command: what would go out now, and sending it."""

from __future__ import annotations

import argparse

from sqlmodel import Session, select

from planning import clock
from planning.cli.common import EXIT_OK, Context, Group, UsageError, arg
from planning.cli.tables import grid

GROUP = Group()


@GROUP.command(
    "notify",
    "Add the reminders, escalations, digests and roadmap summaries due now to the outbox and "
    "send every pending message whose time has come (each message once, even from two "
    "processes), then delete outbox rows older than notify.retention_days.",
    arg(
        "--dry-run",
        action="store_true",
        help="print what would go out now, send nothing and write nothing",
    ),
    arg(
        "--cleanup",
        action="store_true",
        help="only delete the sent, failed and skipped outbox rows older than "
        "notify.retention_days; send nothing",
    ),
)
def run_notify(args: argparse.Namespace, context: Context) -> int:
    """Print what is due now; without --dry-run, plan and send it; --cleanup only deletes old
    outbox rows."""
    from planning.notify.outbox import cleanup
    from planning.notify.run import pending_due, plan_due, run_due_notifications
    from planning.notify.secrets import load_secrets
    from planning.store.models import Person

    if args.dry_run and args.cleanup:
        raise UsageError("--dry-run writes nothing and --cleanup deletes rows: give one of them")
    now = clock.utcnow()
    retention = context.config.settings.notify.retention_days
    if args.cleanup:
        deleted = cleanup(engine=context.engine, now=now, retention_days=retention)
        print(f"deleted {deleted} outbox row(s) older than {retention} days")
        return EXIT_OK
    secrets = load_secrets()
    if not args.dry_run:
        summary = run_due_notifications(context.engine, context.config, secrets=secrets, now=now)
        print(
            f"planned {summary.planned}, sent {summary.sent}, retrying {summary.retrying}, "
            f"failed {summary.failed}"
        )
        for line in summary.outcomes:
            print(f"  {line}")
        deleted = cleanup(engine=context.engine, now=now, retention_days=retention)
        if deleted:
            print(f"deleted {deleted} outbox row(s) older than {retention} days")
        return EXIT_OK
    with Session(context.engine) as session:
        planned = plan_due(session=session, config=context.config, now=now, secrets=secrets)
        waiting = pending_due(session=session, now=now)
        people = dict(session.exec(select(Person.id, Person.name)).all())
        session.rollback()
        rows = [
            (
                m.kind,
                m.week,
                str(people.get(m.person_id, m.person_id)),
                m.channel,
                "skipped: " + m.skipped if m.skipped else "new",
                m.subject,
            )
            for m in planned
        ]
        rows += [
            (
                m.kind,
                m.week,
                str(people.get(m.person_id, m.person_id)),
                m.channel,
                f"retry {m.attempts + 1}" if m.attempts else "pending",
                m.subject,
            )
            for m in sorted(waiting, key=lambda m: m.id or 0)
        ]
    channels = ", ".join(secrets.configured()) or "none"
    print(
        f"now: {now.astimezone(clock.time_zone()):%a %d %b %Y %H:%M %Z}; "
        f"channels set up: {channels}"
    )
    if not rows:
        print("(nothing would go out now)")
        return EXIT_OK
    print(grid(("kind", "week", "to", "channel", "state", "subject"), rows, set()))
    sending = sum(1 for r in rows if not r[4].startswith("skipped"))
    print(
        f"{sending} message(s) would be sent, {len(rows) - sending} skipped (dry run: nothing sent)"
    )
    return EXIT_OK
