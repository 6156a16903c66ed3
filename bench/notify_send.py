"""How long sending 500 reminders takes: a fresh SQLite store with 500 members who each owe a
status update, a local SMTP server (aiosmtpd, a development dependency, in its own process as a
real mail server would be, delivering into a maildir) and the two steps of
`run_due_notifications` at a Monday check-in: planning into the outbox, then sending.
Run: `python -m bench.notify_send [--people N]`.

Prints the wall time of planning and of the whole, the process's CPU time, the emails the server
stored and the outbox's rows by status. `python -m planning bench` runs the same measurement as
its "500 reminders by email" row (budget: under 10 s). Not part of the product."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bench.app_process import free_port
from planning.config import default_config
from planning.notify.outbox import enqueue
from planning.notify.run import plan_due, send_due
from planning.notify.secrets import NotifySecrets
from planning.store.engine import create_store_engine, migrate
from planning.store.models import Initiative, InitiativeStatus, Person, Role
from planning.store.models_notify import OutboxMessage

CHECK_IN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def process_cpu_seconds(pid: int) -> float | None:
    """CPU time (user and system) another process has used so far, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_notify_send(*, people: int = 500, directory: Path | None = None) -> dict[str, Any]:
    """Seed `people` members who each owe an update, plan and send a Monday check-in's reminders
    to a local SMTP server in its own process; the figures (wall and this process's CPU time)."""
    folder = directory or Path(tempfile.mkdtemp(prefix="qd-notify-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    engine = create_store_engine(f"sqlite:///{folder / 'notify.db'}")
    migrate(engine)
    with Session(engine) as session:
        session.add(Person(name="Director", email="director@bench.test", role=Role.director))
        members = [
            Person(name=f"Member {n}", email=f"member{n}@bench.test", role=Role.member)
            for n in range(people)
        ]
        session.add_all(members)
        session.flush()
        session.add_all(
            Initiative(
                title=f"Work of member {n}",
                owner_id=int(m.id or 0),
                status=InitiativeStatus.in_progress,
            )
            for n, m in enumerate(members)
        )
        session.commit()
    port = free_port()
    maildir = folder / "maildir"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"),
            *("-c", "aiosmtpd.handlers.Mailbox", str(maildir)),
        ]
    )
    try:
        for _ in range(200):  # wait until it listens
            with socket.socket() as knock:
                if knock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        secrets = NotifySecrets(
            urls={"email": f"mailto://127.0.0.1:{port}?from=quarterdeck@bench.test"},
            link_secret=b"bench-link-secret-0123456789",
        )
        config = default_config()
        started, cpu = time.perf_counter(), time.process_time()
        with Session(engine) as session:
            planned = plan_due(session=session, config=config, now=CHECK_IN, secrets=secrets)
        added = enqueue(engine=engine, messages=planned, now=CHECK_IN)
        planning = time.perf_counter() - started
        summary = send_due(engine=engine, config=config, secrets=secrets, now=CHECK_IN)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        server_cpu = process_cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    received = len(list((maildir / "new").iterdir())) if (maildir / "new").is_dir() else 0
    with Session(engine) as session:
        states = Counter(session.exec(select(OutboxMessage.status)).all())
    engine.dispose()
    return {
        "notify_people": people,
        "notify_planned": added,
        "notify_sent": summary.sent,
        "notify_failed": summary.failed + summary.retrying,
        "notify_received": received,
        "notify_outbox": dict(states),
        "notify_plan_seconds": planning,
        "notify_seconds": seconds,
        "notify_cpu_seconds": cpu,
        "notify_server_cpu_seconds": server_cpu,
    }


def main() -> None:
    """Seed, send once, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=500)
    args = parser.parse_args()
    found = measure_notify_send(people=args.people)
    print(
        f"{args.people} members: planned {found['notify_planned']} in "
        f"{found['notify_plan_seconds']:.2f} s, then sent {found['notify_sent']} "
        f"(failed or retrying {found['notify_failed']}): {found['notify_seconds']:.2f} s in all, "
        f"{found['notify_cpu_seconds']:.2f} s of this process's CPU "
        f"(the SMTP server's: {found['notify_server_cpu_seconds'] or 0:.2f} s); SMTP server stored "
        f"{found['notify_received']}; outbox {found['notify_outbox']}"
    )


if __name__ == "__main__":
    main()
