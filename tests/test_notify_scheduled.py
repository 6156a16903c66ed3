"""The server's own notification runs: scheduled only when settings.yaml enables them, one runner
at a time on a store (SQLite lock row, or a PostgreSQL advisory lock when its URL is set), each
email sent once; and old outbox rows deleted after the retention, by a run and by the command."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from planning import clock
from planning.cli.main import main
from planning.config import AppConfig
from planning.config.settings import NotifySettings
from planning.notify.outbox import Planned, enqueue
from planning.notify.scheduled import JOB_ID, LOCK_NAME, add_notify_job, run_locked
from planning.notify.secrets import NotifySecrets
from planning.sources.runs import source_lock
from planning.sources.schedule import SCHEDULER_ENV, start_scheduler, stop_scheduler
from planning.store.models import Person, Role
from planning.store.models_notify import OutboxMessage
from tests.notify_servers import smtp_server
from tests.planning_seed import add_blocked_members

MONDAY_0930 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
SECRET = "a-test-link-secret-0123456789"


def _enabled(config: AppConfig, **changes: object) -> AppConfig:
    notify = NotifySettings(**{**config.settings.notify.model_dump(), "enabled": True, **changes})
    return config.model_copy(
        update={"settings": config.settings.model_copy(update={"notify": notify})}
    )


def test_the_demo_settings_never_schedule_a_send(
    config: AppConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert config.settings.notify.enabled is False
    assert config.settings.notify.retention_days == 90
    scheduler = BackgroundScheduler()
    assert not add_notify_job(scheduler, engine=lambda: None, config=config)  # type: ignore[arg-type,return-value]
    assert scheduler.get_jobs() == []
    on = _enabled(config, run_every_minutes=15)
    assert add_notify_job(scheduler, engine=lambda: None, config=on)  # type: ignore[arg-type,return-value]
    [job] = scheduler.get_jobs()
    assert job.id == JOB_ID and job.trigger.interval == timedelta(minutes=15)
    # The server's scheduler: nothing to run without sources and with notifications off.
    monkeypatch.setenv(SCHEDULER_ENV, "on")
    shipped = config.model_copy(update={"directory": str(tmp_path)})
    engine = lambda: None  # noqa: E731
    for adds, expected in ((False, None), (True, [JOB_ID])):

        def extra(s: BackgroundScheduler, adds: bool = adds) -> bool:
            return add_notify_job(s, engine=engine, config=on if adds else config)  # type: ignore[arg-type]

        started = start_scheduler(engine=engine, config=shipped, extra_jobs=(extra,))  # type: ignore[arg-type]
        try:
            assert (started and [j.id for j in started.get_jobs()]) == expected
        finally:
            stop_scheduler(started)


def test_the_scheduled_job_sends_each_email_once_with_two_runners(
    engine: Engine, config: AppConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    members = 12
    add_blocked_members(engine, members)
    on = _enabled(config)
    monkeypatch.setenv("QUARTERDECK_SECRETS_FILE", str(tmp_path / "none.toml"))
    monkeypatch.setenv("QUARTERDECK_NOTIFY_LINK_SECRET", SECRET)
    clock.pin(MONDAY_0930.isoformat())
    finished = threading.Event()
    ran: list[str] = []
    try:
        with smtp_server() as (port, box):
            monkeypatch.setenv(
                "QUARTERDECK_NOTIFY_EMAIL_URL", f"mailto://127.0.0.1:{port}?from=qd@x.test"
            )
            # Another runner holds the lock: this turn does nothing.
            with source_lock(engine, LOCK_NAME) as held:
                assert held
                assert run_locked(engine, on).ran is False
            schedulers = [BackgroundScheduler(timezone=UTC) for _ in range(2)]
            for scheduler in schedulers:
                add_notify_job(scheduler, engine=lambda: engine, config=on, first_run=timedelta(0))

                def listen(event: object, scheduler: BackgroundScheduler = scheduler) -> None:
                    ran.append(str(id(scheduler)))
                    if len(ran) == 2:
                        finished.set()

                scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
            for scheduler in schedulers:
                scheduler.start()
            try:
                assert finished.wait(timeout=60), "the scheduled turns did not run"
            finally:
                for scheduler in schedulers:
                    scheduler.shutdown(wait=True)
            time.sleep(0.2)  # the SMTP server hands the last message over
            received = Counter(r for recipients, _ in box.messages for r in recipients)
    finally:
        clock.pin(None)
    assert len(set(ran)) == 2  # both runners took their turn
    assert len(received) == members and set(received.values()) == {1}
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert len(rows) == members and {(r.status, r.attempts) for r in rows} == {("sent", 1)}


def _row(key: str, kind: str) -> Planned:
    return Planned(
        dedupe_key=key,
        person_id=1,
        kind=kind,
        week="2026-W01",
        item="",
        channel="email",
        subject=key,
        body_text="",
        body_html="",
        body_markdown="",
    )


def _aged(engine: Engine, now: datetime) -> None:
    """Outbox rows of several ages, kinds and states (their outcome `days` before `now`)."""
    with Session(engine) as session:
        session.add(Person(name="Ana", email="ana@x.test", role=Role.member))
        session.commit()
    for key, kind, days, status in (
        ("digest-100-sent", "digest", 100, "sent"),
        ("digest-30-sent", "digest", 30, "sent"),
        ("roadmap-95-failed", "roadmap", 95, "failed"),
        ("roadmap-120-skipped", "roadmap", 120, "skipped"),
        ("digest-200-pending", "digest", 200, "pending"),
        ("reminder-100-sent", "reminder", 100, "sent"),
        ("escalation-150-sent", "escalation", 150, "sent"),
        ("reminder-200-sent", "reminder", 200, "sent"),
    ):
        moment = now - timedelta(days=days)
        enqueue(engine=engine, messages=[_row(key, kind)], now=moment)
        with engine.begin() as conn:
            conn.execute(
                update(OutboxMessage)
                .where(OutboxMessage.dedupe_key == key)  # type: ignore[arg-type]
                .values(status=status)
            )


def _keys(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.exec(select(OutboxMessage.dedupe_key)).all())


# Kept: recent rows, rows still waiting (sent, or failing, by the run: their outcome is new), and
# reminders and escalations younger than 27 weeks (escalation reads them); deleted: everything
# else done and past the 90 days.
KEPT = {
    "digest-30-sent",
    "digest-200-pending",
    "reminder-100-sent",
    "escalation-150-sent",
}


def test_a_scheduled_run_deletes_old_outbox_rows(engine: Engine, config: AppConfig) -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    _aged(engine, now)
    turn = run_locked(engine, _enabled(config), secrets=NotifySecrets(), now=now)
    assert turn.ran and turn.deleted == 4
    assert _keys(engine) == KEPT


def test_the_cleanup_command_deletes_old_outbox_rows(
    cli_store: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = cli_store
    _aged(engine, datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    code = main(["--today", "2026-11-26T12:00:00+00:00", "notify", "--cleanup"])
    out, err = capsys.readouterr()
    assert (code, err, out) == (0, "", "deleted 4 outbox row(s) older than 90 days\n")
    assert _keys(engine) == KEPT
    code = main(["notify", "--cleanup", "--dry-run"])
    _, err = capsys.readouterr()
    assert code == 2 and "give one of them" in err
    assert _keys(engine) == KEPT
    engine.dispose()
