"""The server's own notification runs: every `run_every_minutes`, when settings.yaml says
`notify.enabled: true`, in the same APScheduler background scheduler as the data sources.

Each run holds one lock for the whole store (a PostgreSQL advisory lock, or a lock row on SQLite:
the data sources' lock, under a name no source can have), so however many server processes share
a store, one of them plans and sends at a time and the others skip that turn. The outbox already
keeps a message from going out twice; the lock keeps the processes from all doing the same work.
A run also deletes the outbox rows past `retention_days`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from planning import clock
from planning.config import AppConfig
from planning.notify.outbox import cleanup
from planning.notify.run import RunSummary, run_due_notifications
from planning.notify.secrets import NotifySecrets
from planning.sources.runs import source_lock

LOCK_NAME = "@notify"  # source names start with a letter, so this lock is never a source's
JOB_ID = "notify"
FIRST_RUN_DELAY = timedelta(seconds=20)
log = logging.getLogger("quarterdeck.notify")


@dataclass(frozen=True)
class ScheduledRun:
    """What one scheduled turn did: ran (with its summary and rows deleted) or found it busy."""

    ran: bool
    summary: RunSummary = field(default_factory=RunSummary)
    deleted: int = 0


def run_locked(
    engine: Engine,
    config: AppConfig,
    *,
    secrets: NotifySecrets | None = None,
    now: datetime | None = None,
) -> ScheduledRun:
    """Plan, send and clean up under the store's notification lock; skip when another process
    holds it."""
    moment = now or clock.utcnow()
    with source_lock(engine, LOCK_NAME) as held:
        if not held:
            return ScheduledRun(ran=False)
        summary = run_due_notifications(engine, config, secrets=secrets, now=moment)
        deleted = cleanup(
            engine=engine, now=moment, retention_days=config.settings.notify.retention_days
        )
    return ScheduledRun(ran=True, summary=summary, deleted=deleted)


def notify_job(engine: Callable[[], Engine], config: AppConfig) -> None:
    """One scheduled turn; its outcome goes to the log (outcomes never carry a secret)."""
    try:
        turn = run_locked(engine(), config)
    except Exception:  # the store failed: log it, the next turn tries again
        log.exception("notifications: the scheduled run could not finish")
        return
    if not turn.ran:
        log.info("notifications: another process is sending; this turn is skipped")
        return
    summary = turn.summary
    if summary.planned or summary.sent or summary.failed or summary.retrying or turn.deleted:
        log.info(
            "notifications: planned %d, sent %d, retrying %d, failed %d; %d old rows deleted",
            summary.planned,
            summary.sent,
            summary.retrying,
            summary.failed,
            turn.deleted,
        )


def add_notify_job(
    scheduler: BaseScheduler,
    *,
    engine: Callable[[], Engine],
    config: AppConfig,
    first_run: timedelta = FIRST_RUN_DELAY,
) -> bool:
    """Add the notification job to a scheduler when settings.yaml enables it (its first turn
    `first_run` from now, then every run_every_minutes); whether it did."""
    settings = config.settings.notify
    if not settings.enabled:
        return False
    scheduler.add_job(
        notify_job,
        IntervalTrigger(minutes=settings.run_every_minutes, timezone=clock.time_zone()),
        args=(engine, config),
        id=JOB_ID,
        name="reminders and digests",
        next_run_time=clock.wall_time() + first_run,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=600,
    )
    return True
