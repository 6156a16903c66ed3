"""The notification command: what would go out now, and sending it."""

from __future__ import annotations

import argparse

from sqlmodel import Session, select

from planning import clock
from planning.cli.common import EXIT_OK, Context, Group, UsageError, arg
from planning.cli.tables import grid
from planning.formatting import format_day
from planning.i18n import N_, pgettext
from planning.i18n import gettext as _

GROUP = Group()


@GROUP.command(
    "notify",
    N_(
        "Add the reminders, escalations, digests and roadmap summaries due now to the outbox and "
        "send every pending message whose time has come (each message once, even from two "
        "processes), then delete outbox rows older than notify.retention_days."
    ),
    arg(
        "--dry-run",
        action="store_true",
        help=N_("print what would go out now, send nothing and write nothing"),
    ),
    arg(
        "--cleanup",
        action="store_true",
        help=N_(
            "only delete the sent, failed and skipped outbox rows older than "
            "notify.retention_days; send nothing"
        ),
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
        raise UsageError(_("--dry-run writes nothing and --cleanup deletes rows: give one of them"))
    now = clock.utcnow()
    retention = context.config.settings.notify.retention_days
    if args.cleanup:
        deleted = cleanup(engine=context.engine, now=now, retention_days=retention)
        print(_deleted_line(deleted, retention))
        return EXIT_OK
    secrets = load_secrets()
    if not args.dry_run:
        summary = run_due_notifications(context.engine, context.config, secrets=secrets, now=now)
        print(
            _("planned {planned}, sent {sent}, retrying {retrying}, failed {failed}").format(
                planned=summary.planned,
                sent=summary.sent,
                retrying=summary.retrying,
                failed=summary.failed,
            )
        )
        for line in summary.outcomes:
            print(f"  {line}")
        deleted = cleanup(engine=context.engine, now=now, retention_days=retention)
        if deleted:
            print(_deleted_line(deleted, retention))
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
                _("skipped: {reason}").format(reason=m.skipped) if m.skipped else _("new"),
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
                _("retry {attempt}").format(attempt=m.attempts + 1) if m.attempts else _("pending"),
                m.subject,
            )
            for m in sorted(waiting, key=lambda m: m.id or 0)
        ]
    channels = ", ".join(secrets.configured()) or _("none")
    local = now.astimezone(clock.time_zone())
    print(
        _("now: {moment}; channels set up: {channels}").format(
            moment=f"{format_day(local.date(), weekday=True)} {local:%H:%M %Z}", channels=channels
        )
    )
    if not rows:
        print(_("(nothing would go out now)"))
        return EXIT_OK
    header = (
        _("kind"),
        _("week"),
        pgettext("recipient", "to"),
        _("channel"),
        _("state"),
        _("subject"),
    )
    print(grid(header, rows, set()))
    skipped = sum(1 for m in planned if m.skipped)
    print(
        _("{sending} message(s) would be sent, {skipped} skipped (dry run: nothing sent)").format(
            sending=len(rows) - skipped, skipped=skipped
        )
    )
    return EXIT_OK


def _deleted_line(deleted: int, retention: int) -> str:
    return _("deleted {count} outbox row(s) older than {days} days").format(
        count=deleted, days=retention
    )
