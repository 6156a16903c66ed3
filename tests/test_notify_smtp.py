"""A run's emails over a few SMTP sessions, against a local SMTP server (aiosmtpd): many emails on
one connection, a refused recipient failing alone, a dropped connection opened again."""

from __future__ import annotations

from datetime import UTC, datetime

from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlmodel import Session, select

from bench.app_process import free_port
from planning.config import AppConfig
from planning.notify.outbox import FAILED, SENT
from planning.notify.run import run_due_notifications
from planning.notify.secrets import NotifySecrets
from planning.notify.smtp import SmtpSession
from planning.store.models import InitiativeStatus, Person, Role
from planning.store.models_notify import OutboxMessage
from tests.notify_servers import Mailbox, smtp_server
from tests.planning_seed import add_initiative

MONDAY_0930 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
SECRET = b"a-test-link-secret-0123456789"


def _url(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from=quarterdeck@x.test"


def _message(subject: str) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=subject,
        person_id=1,
        kind="reminder",
        week="2026-W48",
        item="",
        channel="email",
        subject=subject,
        body_text=subject,
        body_html=f"<p>{subject}</p>",
        body_markdown=subject,
    )


def test_many_emails_go_over_one_connection_and_a_dropped_one_is_opened_again() -> None:
    box = Mailbox()
    port = free_port()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    try:
        secrets = NotifySecrets(urls={"email": _url(port)})
        with SmtpSession(url=_url(port), secrets=secrets, timeout=5) as smtp:
            sent = [
                smtp.send(message=_message(f"Note {n}"), address=f"p{n}@x.test") for n in range(5)
            ]
            assert smtp.connections == 1 and box.sessions == 1
            server.stop()  # the server goes away and comes back: the open connection is dead
            server = Controller(box, hostname="127.0.0.1", port=port)
            server.start()
            again = smtp.send(message=_message("After the drop"), address="late@x.test")
            assert smtp.connections == 2
    finally:
        server.stop()
    assert all(d.ok for d in sent) and again.ok
    subjects = [m["Subject"] for _, m in box.messages]
    assert subjects == [*(f"Note {n}" for n in range(5)), "After the drop"]
    assert [r for r, _ in box.messages][-1] == ["late@x.test"]


def test_a_refused_recipient_fails_alone_and_the_rest_are_sent(
    engine: Engine, config: AppConfig
) -> None:
    with Session(engine) as session:
        people = [
            Person(name=f"Member {n}", email=f"m{n}@x.test", role=Role.member) for n in range(6)
        ]
        session.add_all(people)
        session.commit()
        ids = {p.email: int(p.id or 0) for p in people}
    for person_id in ids.values():
        add_initiative(engine, title="Work", owner_id=person_id, status=InitiativeStatus.blocked)
    with smtp_server() as (port, box):
        box.refuse = {"m3@x.test"}
        secrets = NotifySecrets(urls={"email": _url(port)}, link_secret=SECRET)
        summary = run_due_notifications(engine, config, secrets=secrets, now=MONDAY_0930)
    assert (summary.sent, summary.failed, summary.retrying) == (5, 1, 0)
    # Six emails over at most four sessions, not one connection each.
    assert 1 <= box.sessions <= 4
    received = sorted(r for recipients, _ in box.messages for r in recipients)
    assert received == sorted(e for e in ids if e != "m3@x.test")
    with Session(engine) as session:
        rows = {r.person_id: r for r in session.exec(select(OutboxMessage)).all()}
    refused = rows[ids["m3@x.test"]]
    assert (refused.status, refused.attempts) == (FAILED, 1)
    assert refused.outcome == "the SMTP server refused the recipient"
    assert {r.status for pid, r in rows.items() if pid != ids["m3@x.test"]} == {SENT}
