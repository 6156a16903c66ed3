"""Notifications against real servers on this machine: emails received by a local SMTP server
(aiosmtpd) and parsed, webhook posts received by a local HTTP server, channels that refuse or do
not answer, two processes sending at once, and secrets kept out of the store and the output."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from apprise.plugins.slack import NotifySlack
from sqlalchemy import Engine
from sqlmodel import Session, select

from bench.app_process import free_port
from planning.access.languages import set_language
from planning.cli.main import main
from planning.config import AppConfig
from planning.config.settings import NotifySettings
from planning.notify import links
from planning.notify.outbox import PENDING, SENT
from planning.notify.preferences import set_preference
from planning.notify.run import run_due_notifications
from planning.notify.secrets import NotifySecrets
from planning.store.engine import DATABASE_URL_ENV, PROJECT_DIR, create_store_engine, migrate
from planning.store.models import AuditEvent, InitiativeStatus, Person, PersonRead, Role
from planning.store.models_notify import OutboxMessage
from tests.notify_servers import http_receiver, self_signed_certificate, smtp_server
from tests.planning_seed import add_blocked_members, add_initiative, add_owed_initiative, seed_team
from tests.postgres_support import postgres_schema

MONDAY_0930 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
SECRET = b"a-test-link-secret-0123456789"
TRICKY = "<!channel> *Checkout* & <script>alert(1)</script>"


def _email_url(port: int, password: str = "") -> str:
    auth = f"quarterdeck:{password}@" if password else ""
    return f"mailto://{auth}127.0.0.1:{port}?from=quarterdeck@x.test"


def _rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def _with_notify(config: AppConfig, **changes: object) -> AppConfig:
    notify = NotifySettings(**{**config.settings.notify.model_dump(), **changes})
    return config.model_copy(
        update={"settings": config.settings.model_copy(update={"notify": notify})}
    )


def _ana_owes_via(engine: Engine, channel: str, title: str = TRICKY) -> None:
    """The seeded team with Ana owing an update on `title`, her reminders set to `channel`."""
    team = seed_team(engine)
    add_owed_initiative(engine, team, title)
    with Session(engine) as session:
        set_preference(session=session, actor=team.ana, person_id=team.ana.id, channel=channel)
        session.commit()


def test_a_reminder_arrives_by_email_with_its_link(engine: Engine, config: AppConfig) -> None:
    team = seed_team(engine)
    initiative = add_owed_initiative(engine, team, TRICKY)
    with smtp_server() as (port, box):
        secrets = NotifySecrets(urls={"email": _email_url(port)}, link_secret=SECRET)
        summary = run_due_notifications(engine, config, secrets=secrets, now=MONDAY_0930)
        again = run_due_notifications(engine, config, secrets=secrets, now=MONDAY_0930)
    assert (summary.planned, summary.sent, again.planned, again.sent) == (1, 1, 0, 0)
    [(recipients, message)] = box.messages
    assert recipients == ["ana@x.test"]
    assert message["To"] == "ana@x.test" and message["From"] == "quarterdeck@x.test"
    assert "1 status update owed this week (2026-W48)" in message["Subject"]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # The title is escaped in HTML: it shows as typed and runs nothing.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "<!channel>" in plain  # plain text shows it as typed
    url = next(word for word in plain.split() if "?nudge=" in word)
    assert url.startswith(config.settings.notify.base_url)
    token = parse_qs(urlsplit(url).query)["nudge"][0]
    granted = links.verify(secret=SECRET, token=token, now=MONDAY_0930)
    assert (granted.person_id, granted.item) == (team.ana.id, f"update:{initiative}")
    [row] = _rows(engine)
    assert (row.status, row.attempts, row.outcome) == (SENT, 1, "sent by email")


def test_a_chat_message_arrives_as_slack_style_json(engine: Engine, config: AppConfig) -> None:
    _ana_owes_via(engine, "slack")
    with http_receiver() as (port, receiver):
        # Apprise's JSON webhook, with its message posted under Slack's "text" key.
        url = f"json://127.0.0.1:{port}/hooks/quarterdeck?:message=text"
        secrets = NotifySecrets(urls={"slack": url}, link_secret=SECRET)
        summary = run_due_notifications(engine, config, secrets=secrets, now=MONDAY_0930)
    assert summary.sent == 1
    [(path, payload)] = receiver.posts
    assert path == "/hooks/quarterdeck"
    body = payload["text"]
    assert "Hello Ana Member" in body and "?nudge=" in body
    # User text is escaped for chat: no mention, no emphasis, no tag survives as markup.
    assert r"\<!channel\>" in body and r"\*Checkout\*" in body and "<script>" not in body
    # What Slack itself would show: the mention stays literal text.
    slack = NotifySlack._commonmark_to_slack(body)
    assert "<!channel>" not in slack and "&lt;!channel&gt;" in slack


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_a_teams_workflow_post_arrives_as_an_adaptive_card(
    engine: Engine, config: AppConfig, tmp_path: Path
) -> None:
    # Apprise's Microsoft Teams plugin is "workflow://" (Power Automate workflows, which replaced
    # Teams' incoming webhooks); it takes a host and port and posts over HTTPS only, so the
    # receiver speaks HTTPS with a throwaway certificate and the URL says verify=no.
    certificate = self_signed_certificate(tmp_path)
    if certificate is None:
        pytest.skip("needs openssl to make the receiver's certificate")
    _ana_owes_via(engine, "teams", title=f"{TRICKY} <at>Everyone</at>")
    with http_receiver(tls=certificate) as (port, receiver):
        url = f"workflow://127.0.0.1:{port}/qd-flow-1/s1gnature?verify=no&image=no"
        secrets = NotifySecrets(urls={"teams": url}, link_secret=SECRET)
        summary = run_due_notifications(engine, config, secrets=secrets, now=MONDAY_0930)
    assert summary.sent == 1
    [(path, payload)] = receiver.posts
    where = urlsplit(path)
    assert where.path == "/workflows/qd-flow-1/triggers/manual/paths/invoke"
    assert parse_qs(where.query)["sig"] == ["s1gnature"]
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    blocks = {block["id"]: block["text"] for block in card["body"]}
    assert "1 status update owed this week (2026-W48)" in blocks["title"]
    body = blocks["body"]
    assert "Hello Ana Member" in body and "?nudge=" in body
    # The title is Markdown-escaped: no emphasis, no tag, and no Teams mention (<at>…</at>).
    assert r"\*Checkout\*" in body and "<script>" not in body and "<at>" not in body
    assert "entities" not in card["msteams"]


def test_a_refusing_channel_is_retried_with_back_off(engine: Engine, config: AppConfig) -> None:
    _ana_owes_via(engine, "webhook")
    with http_receiver() as (port, receiver):
        secrets = NotifySecrets(urls={"webhook": f"json://127.0.0.1:{port}/in"}, link_secret=SECRET)
        receiver.mode = "refuse"
        first = run_due_notifications(engine, config, secrets=secrets, now=MONDAY_0930)
        [row] = _rows(engine)
        assert (first.retrying, row.status, row.attempts) == (1, PENDING, 1)
        assert "refused the message or did not answer; attempt 1 of 6" in row.outcome
        retry_at = row.next_attempt_at
        assert retry_at == MONDAY_0930 + timedelta(seconds=60) or retry_at > MONDAY_0930
        receiver.mode = "ok"
        # Before its time nothing is sent; after it, the retry goes out once.
        early = run_due_notifications(engine, config, secrets=secrets, now=MONDAY_0930)
        later = run_due_notifications(
            engine, config, secrets=secrets, now=retry_at + timedelta(seconds=1)
        )
    assert (early.sent, later.sent) == (0, 1)
    assert len(receiver.posts) == 1
    [row] = _rows(engine)
    assert (row.status, row.attempts) == (SENT, 2)


def test_a_channel_that_does_not_answer_fails_in_time_and_is_retried(
    engine: Engine, config: AppConfig
) -> None:
    _ana_owes_via(engine, "webhook")
    quick = _with_notify(config, send_timeout_seconds=0.5)
    with http_receiver() as (port, receiver):
        receiver.mode, receiver.delay = "slow", 3.0
        secrets = NotifySecrets(urls={"webhook": f"json://127.0.0.1:{port}/in"}, link_secret=SECRET)
        summary = run_due_notifications(engine, quick, secrets=secrets, now=MONDAY_0930)
    assert (summary.sent, summary.retrying) == (0, 1)
    [row] = _rows(engine)
    assert row.status == PENDING and "did not answer" in row.outcome


def test_an_unreachable_smtp_server_is_retried(engine: Engine, config: AppConfig) -> None:
    team = seed_team(engine)
    add_owed_initiative(engine, team, TRICKY)
    secrets = NotifySecrets(urls={"email": _email_url(free_port())}, link_secret=SECRET)
    summary = run_due_notifications(engine, config, secrets=secrets, now=MONDAY_0930)
    assert summary.retrying == 1
    [row] = _rows(engine)
    assert (row.status, row.attempts) == (PENDING, 1)


def test_channel_secrets_stay_out_of_the_store_and_the_logs(
    engine: Engine, config: AppConfig, caplog: pytest.LogCaptureFixture
) -> None:
    team = seed_team(engine)
    add_owed_initiative(engine, team, TRICKY)
    password = "pw-" + uuid.uuid4().hex
    caplog.set_level(logging.DEBUG)
    with smtp_server() as (port, box):
        good = NotifySecrets(urls={"email": _email_url(port, password)}, link_secret=SECRET)
        run_due_notifications(engine, config, secrets=good, now=MONDAY_0930)
    broken = NotifySecrets(urls={"email": _email_url(free_port(), password)}, link_secret=SECRET)
    add_initiative(engine, title="Second", owner_id=team.ben.id, status=InitiativeStatus.blocked)
    run_due_notifications(engine, config, secrets=broken, now=MONDAY_0930)
    stored = []
    with Session(engine) as session:
        for row in session.exec(select(OutboxMessage)).all():
            stored.append(row.model_dump_json())
        for event in session.exec(select(AuditEvent)).all():
            stored.append(event.model_dump_json())
    everything = "\n".join(stored) + caplog.text
    assert password not in everything
    assert SECRET.decode() not in everything
    assert len(box.messages) == 1 and len(stored) >= 2


# --- two processes at once ------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated store two processes can open: (its URL, an engine on it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        engine = create_store_engine(url)
        migrate(engine)
        yield url, engine
        engine.dispose()
        return
    base = os.environ.get("QUARTERDECK_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("needs PostgreSQL (QUARTERDECK_TEST_POSTGRES_URL)")
    with postgres_schema(base) as (url, _):
        engine = create_store_engine(url)
        try:
            migrate(engine)
            yield url, engine
        finally:
            engine.dispose()


def test_two_processes_never_send_a_message_twice(shared_store: tuple[str, Engine]) -> None:
    url, engine = shared_store
    members = 40
    add_blocked_members(engine, members)
    with smtp_server() as (port, box):
        env = {
            **os.environ,
            DATABASE_URL_ENV: url,
            "QUARTERDECK_NOTIFY_EMAIL_URL": _email_url(port),
            "QUARTERDECK_NOTIFY_LINK_SECRET": SECRET.decode(),
            "QUARTERDECK_SECRETS_FILE": str(Path(url).parent / "no-secrets.toml"),
        }
        command = [sys.executable, "-m", "planning", "--today", MONDAY_0930.isoformat(), "notify"]
        runs = [
            subprocess.Popen(
                command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        results = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], results
    received = Counter(r for recipients, _ in box.messages for r in recipients)
    assert len(received) == members and set(received.values()) == {1}
    rows = _rows(engine)
    assert len(rows) == members and {(r.status, r.attempts) for r in rows} == {(SENT, 1)}
    sent_by = sorted(int(out.decode().split("sent ")[1].split(",")[0]) for out, _ in results)
    assert sum(sent_by) == members


# --- the command line -----------------------------------------------------------------------------


def test_the_dry_run_prints_what_would_go_out_and_sends_nothing(
    cli_store: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = cli_store
    team = seed_team(engine)
    add_owed_initiative(engine, team)
    monkeypatch.setenv("QUARTERDECK_SECRETS_FILE", str(tmp_path / "none.toml"))
    with smtp_server() as (port, box):
        monkeypatch.setenv("QUARTERDECK_NOTIFY_EMAIL_URL", _email_url(port, "hidden-pass"))
        code = main(["--today", MONDAY_0930.isoformat(), "notify", "--dry-run"])
        out, err = capsys.readouterr()
        assert (code, err) == (0, "")
        assert "channels set up: email" in out
        assert "reminder  2026-W48  Ana Member  email    new" in out
        assert "1 message(s) would be sent, 0 skipped (dry run: nothing sent)" in out
        assert "hidden-pass" not in out
        assert box.messages == [] and _rows(engine) == []
        code = main(["--today", MONDAY_0930.isoformat(), "notify"])
        out, _ = capsys.readouterr()
    assert code == 0 and out.startswith("planned 1, sent 1, retrying 0, failed 0")
    assert len(box.messages) == 1


def test_a_roadmap_summary_carries_a_share_link_that_is_never_stored(
    engine: Engine, config: AppConfig
) -> None:
    from planning.access.share_links import LinkState, resolve

    team = seed_team(engine)
    add_initiative(
        engine,
        title="Saved carts",
        owner_id=team.ben.id,
        status=InitiativeStatus.done,
        shipped_date=datetime(2026, 11, 25).date(),
    )
    with Session(engine) as session:
        set_preference(
            session=session,
            actor=team.sue,
            person_id=team.sue.id,
            channel="webhook",
            roadmap_summary=True,
        )
        session.commit()
    friday = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)
    with http_receiver() as (port, receiver):
        secrets = NotifySecrets(urls={"webhook": f"json://127.0.0.1:{port}/in"}, link_secret=SECRET)
        summary = run_due_notifications(engine, config, secrets=secrets, now=friday)
    assert summary.sent >= 1
    [body] = [p["message"] for _, p in receiver.posts if "roadmap this week" in p["title"]]
    assert "Saved carts" in body
    token = parse_qs(urlsplit(body.split("](")[-1].rstrip(")")).query)["share"][0]
    with Session(engine) as session:
        assert resolve(session=session, token=token).state == LinkState.valid
    [row] = [r for r in _rows(engine) if r.kind == "roadmap"]
    assert row.status == SENT and token not in row.model_dump_json()


def test_the_digest_email_shows_its_chart_as_a_png(
    demo_store_file: Path, tmp_path: Path, config: AppConfig
) -> None:
    import shutil

    target = tmp_path / "demo.db"
    shutil.copy(demo_store_file, target)
    engine = create_store_engine(f"sqlite:///{target}")
    friday = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)
    with smtp_server() as (port, box):
        secrets = NotifySecrets(urls={"email": _email_url(port)}, link_secret=SECRET)
        run_due_notifications(engine, config, secrets=secrets, now=friday)
    engine.dispose()
    [digest] = [m for _, m in box.messages if "weekly digest 2026-W48" in m["Subject"]]
    html = digest.get_body(("related", "html")).get_content()  # type: ignore[union-attr]
    assert "<svg" not in html and 'src="cid:chart-1.png"' in html
    images = [p for p in digest.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_filename() == "chart-1.png"
    assert images[0].get_payload(decode=True)[:8] == b"\x89PNG\r\n\x1a\n"
    plain = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "2026-W48" in plain


def test_a_german_year_end_digest_email_reads_well_as_plain_text_and_links_to_the_app(
    demo_store_as_of: Callable[[date], Path],
    tmp_path: Path,
    config: AppConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Friday 1 Jan 2027 sends the digest of 2026-W53 (Mon 28 Dec – Sun 3 Jan) to a German
    director whose name holds markup, quotes and an emoji."""
    import shutil

    new_year = datetime(2027, 1, 1, 17, 30, tzinfo=UTC)
    monkeypatch.setenv("QUARTERDECK_TODAY", new_year.isoformat())

    target = tmp_path / "year-end.db"
    shutil.copy(demo_store_as_of(date(2026, 12, 31)), target)
    engine = create_store_engine(f"sqlite:///{target}")
    name = 'Dora <b>"O\'Brien"</b> & Co 🚀'
    with Session(engine) as session:
        director = session.exec(select(Person).where(Person.role == Role.director)).first()
        assert director is not None
        director.name = name
        session.add(director)
        session.commit()
        set_language(
            session=session,
            actor=PersonRead.model_validate(director),
            person_id=int(director.id or 0),
            language="de",
        )
        session.commit()
    with smtp_server() as (port, box):
        secrets = NotifySecrets(urls={"email": _email_url(port)}, link_secret=SECRET)
        run_due_notifications(engine, config, secrets=secrets, now=new_year)
    engine.dispose()
    [digest] = [m for _, m in box.messages if "Wochenbericht" in m["Subject"]]
    assert digest["Subject"].endswith(": Wochenbericht 2026-W53")
    plain = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    lines = plain.splitlines()
    assert "# Wochenbericht · 2026-W53" in lines
    # One row of a table is one line, people's text as typed, not escaped for Markdown.
    assert any(
        line.startswith("| Grow profitable online revenue | Net revenue for the quarter | " + name)
        for line in lines
    )
    assert "\\" not in plain
    assert (
        "Northwind Outfitters (demo) · Mon 28 Dec 2026 – Sun 03 Jan 2027 · "
        "Daten bis Wed 30 Dec 2026" in lines
    )
    assert "Quarterdeck öffnen: http://localhost:8501/" in lines
    html = digest.get_body(("related", "html")).get_content()  # type: ignore[union-attr]
    assert '<a href="http://localhost:8501/">Quarterdeck öffnen</a>' in html
    assert "Dora &lt;b&gt;&#34;O&#39;Brien&#34;&lt;/b&gt; &amp; Co 🚀" in html
