"""Notifications in their recipient's language: each message is written in the language its
recipient reads (their own choice, else the team's), with the team's number and date formats,
whoever plans it; the German digest holds no English string of the catalogue; the previews on
This week and Admin show what the person would receive, in their language, and say which."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning import clock, i18n
from planning.access.languages import set_language
from planning.config import AppConfig, default_config
from planning.notify.outbox import Planned, enqueue
from planning.notify.preferences import set_preference
from planning.notify.run import plan_due, preview_for, run_due_notifications
from planning.notify.schedule import skip_text
from planning.notify.secrets import NotifySecrets
from planning.reports.this_week import what_i_owe
from planning.store.engine import create_store_engine, session_scope
from planning.store.models import InitiativeStatus, Person, PersonRead, Role
from tests import test_page_languages
from tests.notify_servers import http_receiver
from tests.page_text import plain
from tests.planning_seed import Team, add_initiative, add_owed_initiative, seed_team

APP = str(Path(__file__).resolve().parent.parent / "app.py")
MONDAY_0930 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # 2026-W48's check-in
FRIDAY_1730 = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # 2026-W48's digest
SECRETS = NotifySecrets(
    urls={"email": "mailto://127.0.0.1:9?from=qd@x.test", "slack": "json://127.0.0.1:9/"},
    link_secret=b"a-test-link-secret-0123456789",
)


@pytest.fixture(scope="module")
def english() -> tuple[set[str], list[str]]:
    """The catalogue's English strings German writes differently, read as the page walk reads
    them (tests/test_page_languages.py)."""
    return test_page_languages.english.__wrapped__()


def _untranslated(text: str, english: tuple[set[str], list[str]], names: set[str]) -> list[str]:
    """The catalogue's English strings in a message: a line, heading or table cell that is one
    of its labels, or one of its sentence pieces anywhere (names from config and data aside)."""
    labels, pieces = english
    plain = html.unescape(re.sub(r"<[^>]+>", "\n", text))
    found = [piece for piece in pieces if piece in plain]
    for chunk in re.split(r"[|\n]", plain):
        bare = chunk.strip().lstrip("#").strip().strip("*").strip()
        if bare in labels and bare not in names:
            found.append(bare)
    return sorted(set(found))


def _speaks(engine: Engine, person: PersonRead, language: str) -> None:
    with session_scope(engine) as session:
        set_language(session=session, actor=person, person_id=person.id, language=language)


def _planned(engine: Engine, config: AppConfig, now: datetime) -> list[Planned]:
    with Session(engine) as session:
        return plan_due(session=session, config=config, now=now, secrets=SECRETS)


def _roadmap_reader(engine: Engine, team: Team, channel: str = "slack") -> None:
    """Sue reads the roadmap summary on `channel`; one initiative is under way with a target
    day."""
    add_initiative(
        engine,
        title="Saved carts",
        owner_id=team.ben.id,
        status=InitiativeStatus.in_progress,
        target_date=date(2026, 12, 12),
    )
    with session_scope(engine) as session:
        set_preference(
            session=session,
            actor=team.sue,
            person_id=team.sue.id,
            channel=channel,
            roadmap_summary=True,
        )


def test_a_german_member_of_an_english_team_is_reminded_in_german(
    engine: Engine, config: AppConfig
) -> None:
    team = seed_team(engine)
    add_owed_initiative(engine, team)
    _speaks(engine, team.ana, "de")
    [reminder] = _planned(engine, config, MONDAY_0930)
    assert (
        reminder.subject
        == f"{config.settings.company}: diese Woche fällig: 1 Status-Update (2026-W48)"
    )
    assert reminder.body_text.startswith(
        "Hallo Ana Member,\n\nDiese Woche (2026-W48) ist von Ihnen fällig:\n\n"
        "- Status-Update für „Faster checkout“ (in Arbeit; noch nie abgegeben)\n"
    )
    assert "Formular" in reminder.body_text
    assert reminder.body_html.startswith('<!DOCTYPE html><html lang="de">')
    assert "<p>Hallo Ana Member,</p>" in reminder.body_html
    assert "Status-Update für <strong>Faster checkout</strong>" in reminder.body_html
    assert ">Formular öffnen</a>" in reminder.body_html
    assert reminder.body_markdown.startswith(
        "Hallo Ana Member, diese Woche (2026-W48) ist von Ihnen fällig:"
    )
    assert "[Formular öffnen](" in reminder.body_markdown
    # The run that planned it is still English: only the message was German.
    assert i18n.language() == "en"


def test_a_german_director_hears_of_an_item_still_owed_in_german(
    engine: Engine, config: AppConfig
) -> None:
    team = seed_team(engine)
    add_initiative(engine, title="<b>Faster</b> checkout", owner_id=team.ana.id, status="blocked")
    _speaks(engine, team.director, "de")
    for now in (MONDAY_0930, MONDAY_0930 + timedelta(days=7)):
        planned = _planned(engine, config, now)
        enqueue(engine=engine, messages=planned, now=now)
    [escalation] = [m for m in planned if m.kind == "escalation"]
    assert escalation.body_text.startswith(
        "Ana Member wurde in 2026-W48 erinnert und schuldet beim Check-in 2026-W49 noch: "
        "Status-Update für „<b>Faster</b> checkout“ (blockiert; "
    )
    assert "Status-Update für <strong>&lt;b&gt;Faster&lt;/b&gt; checkout</strong>" in (
        escalation.body_html
    )
    assert ">„Diese Woche“ öffnen</a>" in escalation.body_html
    assert '<html lang="de">' in escalation.body_html
    assert escalation.body_markdown.endswith("[„Diese Woche“ öffnen](http://localhost:8501/)")
    # Ana reads the team's language: her reminder stayed English.
    [reminder] = [m for m in planned if m.kind == "reminder"]
    assert reminder.body_text.startswith("Hello Ana Member,")


def test_each_reader_gets_their_language_and_the_team_formats(
    engine: Engine, config: AppConfig
) -> None:
    """An English team: Sue reads German (German words, English dates); the director English."""
    team = seed_team(engine)
    _roadmap_reader(engine, team)
    _speaks(engine, team.sue, "de")
    planned = {m.kind: m for m in _planned(engine, config, FRIDAY_1730)}
    roadmap, digest = planned["roadmap"], planned["digest"]
    assert roadmap.subject == f"{config.settings.company}: Roadmap dieser Woche (2026-W48)"
    assert "- Saved carts (Ben Member, Zieltermin 12 Dec 2026)" in roadmap.body_text
    assert "*In Arbeit*" in roadmap.body_markdown
    assert "Freigabelink" in roadmap.body_text  # the share link's placeholder, in German too
    assert digest.subject == f"{config.settings.company}: weekly digest 2026-W48"
    assert "## Shipped this week" in digest.body_text


def test_an_english_member_of_a_german_team_reads_english_in_german_formats(
    engine: Engine, config: AppConfig
) -> None:
    team = seed_team(engine)
    add_owed_initiative(engine, team)
    _roadmap_reader(engine, team)
    _speaks(engine, team.ana, "en")
    _speaks(engine, team.sue, "en")
    i18n.use_team_locale("de", currency="EUR")
    [reminder] = [m for m in _planned(engine, config, MONDAY_0930) if m.person_id == team.ana.id]
    assert (
        reminder.subject == f"{config.settings.company}: 1 status update owed this week (2026-W48)"
    )
    assert reminder.body_text.startswith("Hello Ana Member,")
    planned = {m.kind: m for m in _planned(engine, config, FRIDAY_1730)}
    roadmap, digest = planned["roadmap"], planned["digest"]
    assert "- Saved carts (Ben Member, target 12. Dez. 2026)" in roadmap.body_text
    # Dora has no language of her own: she reads the team's, German.
    assert digest.subject == f"{config.settings.company}: Wochenbericht 2026-W48"
    assert "## Diese Woche ausgeliefert" in digest.body_text


def test_the_german_digest_holds_no_english_catalogue_string(
    demo_engine: Engine, config: AppConfig, english: tuple[set[str], list[str]]
) -> None:
    with Session(demo_engine) as session:
        director = session.scalars(select(Person).where(Person.role == Role.director)).first()
        assert director is not None
        reader = PersonRead.model_validate(director)
    _speaks(demo_engine, reader, "de")
    i18n.use_team_locale("de", currency="EUR")
    [digest] = [m for m in _planned(demo_engine, config, FRIDAY_1730) if m.kind == "digest"]
    names = {m.label for m in config.metrics.metrics.values()}
    for text in (digest.subject, digest.body_text, digest.body_html, digest.body_markdown):
        assert _untranslated(text, english, names) == []
    assert "Wochenbericht · 2026-W48" in digest.body_text
    assert '<html lang="de">' in digest.body_html
    # The team's formats: German dates and percentages.
    assert "Mo., 23. Nov. – So., 29. Nov. 2026" in digest.body_html
    assert re.search(r"</span>\d+\u00a0%</td>", digest.body_html)  # progress: 67 %
    assert digest.body_markdown.endswith("[Quarterdeck öffnen](http://localhost:8501/)")


def test_a_german_roadmap_summary_gets_its_share_link_when_sent(
    engine: Engine, config: AppConfig
) -> None:
    team = seed_team(engine)
    _roadmap_reader(engine, team, channel="webhook")
    _speaks(engine, team.sue, "de")
    with http_receiver() as (port, receiver):
        secrets = NotifySecrets(
            urls={"webhook": f"json://127.0.0.1:{port}/in"}, link_secret=b"s" * 24
        )
        run_due_notifications(engine, config, secrets=secrets, now=FRIDAY_1730)
    [body] = [p["message"] for _, p in receiver.posts if "Roadmap dieser Woche" in p["title"]]
    assert "[Roadmap öffnen](http" in body and "?share=" in body
    assert "Freigabelink" not in body


@pytest.mark.parametrize("channel", ["slack", "email"])
def test_a_roadmap_summarys_preview_says_where_its_link_will_be_without_a_dead_link(
    engine: Engine, config: AppConfig, channel: str
) -> None:
    # The preview linked "Roadmap öffnen" to the words "(ein Freigabelink …)": a dead link.
    team = seed_team(engine)
    _roadmap_reader(engine, team, channel=channel)
    _speaks(engine, team.sue, "de")
    with Session(engine) as session:
        [message] = preview_for(
            session=session, config=config, person_id=team.sue.id, now=FRIDAY_1730, secrets=SECRETS
        )
    placeholder = "(ein Freigabelink zur Roadmap, erstellt beim Versand)"
    assert "Roadmap öffnen: " in plain(message.body_markdown)
    assert placeholder in plain(message.body_markdown)
    assert "](" not in message.body_markdown
    assert f"<p>Roadmap öffnen: {placeholder}</p>" in message.body_html
    assert "href" not in message.body_html


def test_a_director_previews_a_german_member_in_german(engine: Engine, config: AppConfig) -> None:
    team = seed_team(engine)
    add_owed_initiative(engine, team)
    _speaks(engine, team.ana, "de")
    with Session(engine) as session:
        [message] = preview_for(
            session=session, config=config, person_id=team.ana.id, now=FRIDAY_1730, secrets=SECRETS
        )
    assert message.subject.startswith(f"{config.settings.company}: diese Woche fällig")


def test_why_a_message_is_skipped_reads_in_the_readers_words() -> None:
    # German settings said "kein Kanal email eingerichtet" (the channel's id) and paused
    # until an ISO day; both read as the reader writes them now.
    with i18n.use_locale("de"):
        assert skip_text("no email channel is set up on this server") == (
            "auf diesem Server ist kein Kanal für E-Mail eingerichtet"
        )
        assert skip_text("no teams channel is set up on this server") == (
            "auf diesem Server ist kein Kanal für Microsoft Teams eingerichtet"
        )
        assert skip_text("paused until 2027-01-04") == "pausiert bis 4. Jan. 2027"
    assert skip_text("no email channel is set up on this server") == (
        "no Email channel is set up on this server"
    )
    assert skip_text("paused until 2027-01-04") == "paused until 04 Jan 2027"


# --- the previews on the pages (AppTest on the demo store) -------------------------------------


def _member_who_owes(url: str) -> PersonRead:
    engine = create_store_engine(url)
    every = default_config().settings.updates.stale_after_days
    with Session(engine) as session:
        for member in session.scalars(select(Person).where(Person.role == Role.member)):
            owed = what_i_owe(
                session=session, person_id=member.id, today=clock.today(), every_days=every
            )
            if not owed.empty:
                found = PersonRead.model_validate(member)
                engine.dispose()
                return found
    raise AssertionError("the demo store should have a member who owes something")


def _text(at: AppTest) -> str:
    """The previewed messages as shown: each subject, then the email drawn in its frame."""
    subjects = [plain(m.value) for m in at.markdown if m.value.startswith(("Betreff", "Subject"))]
    return "\n".join(subjects + [f.proto.srcdoc for f in at.get("iframe")])


def test_a_german_member_previews_their_reminder_in_german(app_store: str) -> None:
    member = _member_who_owes(app_store)
    engine = create_store_engine(app_store)
    _speaks(engine, member, "de")
    engine.dispose()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = member.id
    at.run()
    i18n.set_language("de")  # AppTest formats the page's widget values in this thread
    at.toggle(key="tw_notify_preview").set_value(True).run()
    assert not at.exception
    assert f"Hallo {member.name}," in _text(at) and "diese Woche fällig" in _text(at)
    # "you" took the third person's verbs: "in der Sie Quarterdeck liest", "Was Sie … bekäme".
    assert any(
        c.value == "Auf Deutsch verfasst, in der Sprache, in der Sie Quarterdeck lesen."
        for c in at.caption
    )
    assert any("Was Sie diese Woche erhalten würden" in m.value for m in at.markdown)


def test_an_english_member_previews_their_reminder_in_plain_english(app_store: str) -> None:
    # "Written in English, the language you reads Quarterdeck in."
    member = _member_who_owes(app_store)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = member.id
    at.run()
    at.toggle(key="tw_notify_preview").set_value(True).run()
    assert not at.exception
    assert f"Hello {member.name}," in _text(at)
    assert any(
        c.value == "Written in English, the language you read Quarterdeck in." for c in at.caption
    )
    assert any("What you would receive this week" in m.value for m in at.markdown)


def test_an_english_director_previews_a_german_member_in_german(app_store: str) -> None:
    member = _member_who_owes(app_store)
    engine = create_store_engine(app_store)
    _speaks(engine, member, "de")
    with Session(engine) as session:
        director = session.scalars(select(Person).where(Person.role == Role.director)).first()
        assert director is not None
        director_id = director.id
    engine.dispose()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = director_id
    at.run()
    at.switch_page("pages/admin.py").run()
    at.session_state["admin_tab"] = "Notifications"
    at.run()
    at.selectbox(key="admin_notify_person").set_value(member.id).run()
    assert not at.exception
    assert f"Hallo {member.name}," in _text(at)
    assert any(c.value.startswith("Written in German") for c in at.caption)
    # The director's own page stays English.
    assert any("would receive this week" in m.value for m in at.markdown)
