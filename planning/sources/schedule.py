"""Running sources on their schedule inside the server, with APScheduler (3.x).

One background scheduler per server process, one job per scheduled source. Several processes on
one store each schedule every source; the source's lock (see `runs`) lets one of them run it and
tells the others "busy", so a source never runs twice at once. A source that is already due when
the server starts (its last good run is older than its interval, or it never ran) runs within a
minute instead of waiting a whole interval. Other jobs of the server (the notification runs,
planning.notify.scheduled) join the same scheduler through `start_scheduler(extra_jobs=...)`.
QUARTERDECK_SCHEDULER=off turns the scheduler off (for app processes that should only serve
pages).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlmodel import Session

from planning import clock
from planning.config import AppConfig, ConfigError
from planning.sources.config import Source, SourcesConfig, load_sources
from planning.sources.runs import FAILED, run_source
from planning.sources.status import source_status
from planning.store.engine import read_engine

SCHEDULER_ENV = "QUARTERDECK_SCHEDULER"
FIRST_RUN_DELAY = timedelta(seconds=30)
log = logging.getLogger("quarterdeck.sources")


def scheduler_enabled() -> bool:
    """Whether this process runs scheduled sources (QUARTERDECK_SCHEDULER is not off)."""
    return os.environ.get(SCHEDULER_ENV, "on").strip().lower() not in {"off", "0", "false", "no"}


def run_job(engine: Callable[[], Engine], config: AppConfig, source: Source) -> None:
    """One scheduled run: its outcome goes to the log (errors carry no secret)."""
    try:
        outcome = run_source(engine=engine(), config=config, source=source, trigger="schedule")
    except Exception:  # the store itself failed: log it, the next run tries again
        log.exception("source %s: the scheduled run could not start", source.name)
        return
    if outcome.status == FAILED:
        log.warning("source %s failed, nothing written: %s", source.name, outcome.error)
    else:
        log.info("source %s: %s, %d rows", source.name, outcome.status, outcome.rows)
    for note in outcome.note_texts():
        log.info("source %s: note: %s", source.name, note)


def _due_now(engine: Engine, sources: SourcesConfig) -> set[str]:
    with Session(read_engine(engine)) as session:
        statuses = source_status(session=session, sources=sources)
    now = clock.utcnow()
    due = set()
    for status in statuses:
        source = sources.sources[status.name]
        interval = source.schedule.interval
        last = status.last_ok.finished_at if status.last_ok else None
        if interval is not None and (last is None or now - last >= interval):
            due.add(status.name)
    return due


class OnceCronTrigger(CronTrigger):
    """A cron schedule in the team's time zone that runs once at a time of day the autumn switch
    shows twice, the first time, as cron does (APScheduler alone runs it in both passes).
    A schedule on every hour (`*` for the hour) still runs in both, an hour apart."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The next moment to run, past any second pass of a repeated wall-clock time."""
        fire = super().get_next_fire_time(previous_fire_time, now)
        every_hour = str(self.fields[self.FIELD_NAMES.index("hour")]) == "*"
        while fire is not None and not every_hour and _second_pass(fire):
            after = (fire.astimezone(UTC) + timedelta(seconds=1)).astimezone(fire.tzinfo)
            fire = super().get_next_fire_time(fire, after)
        return fire


def _second_pass(moment: datetime) -> bool:
    """Whether the clocks showed this moment's wall time once already (the repeated hour)."""
    wall = moment.replace(tzinfo=None)
    first = wall.replace(tzinfo=moment.tzinfo, fold=0)
    shown = first.astimezone(UTC).astimezone(moment.tzinfo).replace(tzinfo=None)
    return shown == wall and first.astimezone(UTC) < moment.astimezone(UTC)


def build_scheduler(
    *, engine: Callable[[], Engine], config: AppConfig, sources: SourcesConfig
) -> BackgroundScheduler:
    """A scheduler (not started) with one job per scheduled source."""
    scheduler = BackgroundScheduler(
        timezone=clock.time_zone(),
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
    )
    try:
        due = _due_now(engine(), sources)
    except Exception:  # the store is not reachable yet: schedules start from now
        log.exception("sources: cannot read past runs; schedules start from now")
        due = set()
    for source in sources.sources.values():
        schedule = source.schedule
        if schedule.interval is not None:
            trigger: IntervalTrigger | CronTrigger = IntervalTrigger(
                seconds=int(schedule.interval.total_seconds()), timezone=clock.time_zone()
            )
        elif schedule.cron is not None:
            trigger = OnceCronTrigger.from_crontab(schedule.cron, timezone=clock.time_zone())
        else:
            continue
        options = {}
        if source.name in due:
            options["next_run_time"] = clock.now() + FIRST_RUN_DELAY
        scheduler.add_job(
            run_job,
            trigger,
            args=(engine, config, source),
            id=f"source:{source.name}",
            name=f"source {source.name}",
            **options,
        )
    return scheduler


def start_scheduler(
    *,
    engine: Callable[[], Engine],
    config: AppConfig,
    extra_jobs: Sequence[Callable[[BackgroundScheduler], bool]] = (),
) -> BackgroundScheduler | None:
    """Start the background scheduler for the configured sources and the `extra_jobs` (each adds
    its job to the scheduler, or says False); None when there is nothing to run, the scheduler is
    turned off, or sources.yaml is wrong (logged; the extra jobs still run)."""
    if not scheduler_enabled():
        return None
    sources: SourcesConfig | None
    try:
        sources = load_sources(config.directory or None, config.metrics)
    except ConfigError as exc:
        log.error("sources are not scheduled: %s", exc)
        sources = None
    if sources is not None and any(not s.schedule.manual for s in sources.sources.values()):
        scheduler = build_scheduler(engine=engine, config=config, sources=sources)
    else:
        scheduler = BackgroundScheduler(
            timezone=clock.time_zone(),
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
        )
    for add in extra_jobs:
        add(scheduler)
    if not scheduler.get_jobs():
        return None
    scheduler.start()
    log.info("scheduled: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    return scheduler


def stop_scheduler(scheduler: BackgroundScheduler | None) -> None:
    """Stop the scheduler without waiting for a running source (its lock ends with the
    process; the run is marked cut off by the next one)."""
    if scheduler is not None:
        scheduler.shutdown(wait=False)
