"""Admin's Notifications tab under AppTest on a copy of the demo store: the outbox as it stands,
each person's preferences (a director saves anyone's), and a preview of what one person would
receive this week; channel addresses never appear."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.config import default_config
from planning.notify.preferences import preference_of
from planning.notify.run import run_due_notifications
from planning.notify.secrets import NotifySecrets
from planning.store.engine import create_store_engine, session_scope
from planning.store.models import KeyResult, Role
from tests.app_pages import open_admin_tab, people, submit_form
from tests.page_text import plain

CHANNEL_URL = "mailto://quarterdeck:very-secret-pass@127.0.0.1:9?from=qd@x.test"


@pytest.fixture
def store(app_store: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("QUARTERDECK_NOTIFY_EMAIL_URL", CHANNEL_URL)
    monkeypatch.setenv("QUARTERDECK_SECRETS_FILE", "/nonexistent/secrets.toml")
    return app_store


def _open(url: str) -> AppTest:
    return open_admin_tab(people(url, Role.director)[0].id, "Notifications")


def test_the_outbox_and_a_preview_show_without_channel_secrets(store: str) -> None:
    engine = create_store_engine(store)
    # A Monday check-in on the demo store, sent to a channel that does not answer: rows wait.
    secrets = NotifySecrets(urls={"email": CHANNEL_URL}, link_secret=b"x" * 20)
    summary = run_due_notifications(
        engine, default_config(), secrets=secrets, now=datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    )
    engine.dispose()
    at = _open(store)
    outbox = next(d.value for d in at.dataframe if "outcome" in d.value.columns)
    assert len(outbox) == summary.planned
    assert set(outbox["state"]) <= {"waiting", "skipped", "failed"}
    shown = " ".join(plain(m.value) for m in at.markdown) + " ".join(
        plain(c.value) for c in at.caption
    )
    assert "Channels set up on this server: Email" in shown
    # The shipped settings: the server never sends on its own; old rows go after 90 days.
    assert "The server does not send by itself" in shown
    assert "cleared from the outbox after 90 days" in shown
    everything = shown + outbox.to_csv() + " ".join(t.value for t in at.text)
    assert "very-secret-pass" not in everything
    assert "would receive this week" in shown


def test_a_director_saves_someone_elses_preferences(store: str) -> None:
    member = people(store, Role.member)[0]
    at = _open(store)
    at.selectbox(key="admin_notify_person").set_value(member.id).run()
    form = f"admin_notify_pref_{member.id}"
    [channel] = [s for s in at.selectbox if s.form_id == form]
    channel.set_value("slack")
    [opted] = [c for c in at.checkbox if c.form_id == form and c.label == "Opted out"]
    opted.check()
    submit_form(at, form)
    assert not at.exception
    assert any("preferences" in s.value for s in at.success)
    engine = create_store_engine(store)
    with Session(engine) as session:
        saved = preference_of(session=session, person_id=member.id)
    engine.dispose()
    assert (saved.channel, saved.opted_out) == ("slack", True)


def test_the_preview_shows_the_digest_email_as_its_reader_gets_it(store: str) -> None:
    engine = create_store_engine(store)
    tricky = "Checkout <script>alert(1)</script> | fast"
    with session_scope(engine) as session:  # a key result every digest lists
        session.execute(
            update(KeyResult).where(KeyResult.title == "Conversion rate up").values(title=tricky)
        )
    engine.dispose()
    at = _open(store)
    frames = [f.proto.srcdoc for f in at.get("iframe")]
    [digest] = [f for f in frames if "<table" in f]  # a rendered table, not pipes and dashes
    assert "Checkout &lt;script&gt;alert(1)&lt;/script&gt; | fast" in digest
    assert "<script" not in digest.lower()
    head = digest[digest.lower().index("<head") :]
    assert head.split(">", 1)[1].startswith('<meta http-equiv="Content-Security-Policy"')
    assert "default-src 'none'" in head.split(">", 2)[1]  # no script may run in the frame
    shown = [t.value for t in at.text] + [plain(m.value) for m in at.markdown]
    assert not any("|---" in t or "| ---" in t for t in shown)
    assert "digest by Email" in " ".join(shown)  # the channel by its name
