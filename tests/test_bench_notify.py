"""The benchmark's reminders row: a few members' reminders planned and sent to a local SMTP
server, and the row it makes in the bench's table."""

from __future__ import annotations

from pathlib import Path

from bench.notify_send import measure_notify_send
from bench.run import notify_check
from bench.scales import NOTIFY_LIMIT_S


def test_the_reminders_row_sends_every_email_and_judges_the_time(tmp_path: Path) -> None:
    found = measure_notify_send(people=4, directory=tmp_path)
    assert (found["notify_planned"], found["notify_sent"], found["notify_received"]) == (4, 4, 4)
    assert found["notify_outbox"] == {"sent": 4}
    row = notify_check(found)
    assert row.what == "4 reminders by email (plan and send)" and row.ok
    assert row.cpu.endswith(" ms") and row.budget.startswith(f"< {NOTIFY_LIMIT_S:.0f} s")
    slow = notify_check({**found, "notify_seconds": NOTIFY_LIMIT_S + 1})
    lost = notify_check({**found, "notify_received": 3})
    assert not slow.ok and not lost.ok and "(4 sent)" in lost.value


def test_without_an_smtp_server_the_row_says_why() -> None:
    row = notify_check({"notify_skipped": "aiosmtpd is not installed"})
    assert (row.value, row.ok) == ("not measured", True)
    assert "aiosmtpd is not installed" in row.budget
