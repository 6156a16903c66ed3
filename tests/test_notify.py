"""Reminders, escalations, digests and roadmap summaries: who hears what and when, the outbox
that plans each message once and retries failures, preferences, signed links and the settings
(SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from planning.access.permissions import PermissionDenied
from planning.config import ConfigError, load_config
from planning.config.settings import NotifySettings
from planning.notify import links
from planning.notify.outbox import (
    FAILED,
    PENDING,
    SENT,
    SKIPPED,
    claim,
    enqueue,
    record_failure,
    record_sent,
)
from planning.notify.preferences import preference_of, set_preference
from planning.notify.run import plan_due, run_due_notifications
from planning.notify.schedule import (
    OwedItem,
    Preference,
    check_in_week,
    digest_week,
    escalations,
    retry_delay,
    skip_reason,
    streak_start,
)
from planning.notify.secrets import NotifySecrets, load_secrets, redact
from planning.store.models import AuditEvent, PersonRead
from planning.store.models_notify import OutboxMessage
from tests.planning_seed import add_owed_initiative, seed_team

SETTINGS = NotifySettings()
MONDAY_0930 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # 2026-W48's check-in
NEXT_MONDAY = MONDAY_0930 + timedelta(days=7)
FRIDAY_1730 = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # 2026-W48's digest
SECRET = b"a-test-link-secret-0123456789"
# Channels that are set up but never reached: these tests plan, they do not deliver.
UNREACHED = NotifySecrets(
    urls={"email": "mailto://127.0.0.1:9?from=qd@x.test", "slack": "json://127.0.0.1:9/"},
    link_secret=SECRET,
)


def _item(key: str = "update:1") -> OwedItem:
    kind, _, number = key.partition(":")
    return OwedItem(key=key, kind=kind, item_id=int(number), title="T", context="c", days=None)


# --- when -----------------------------------------------------------------------------------------


def test_check_in_is_due_from_its_moment_for_the_catch_up_hours() -> None:
    utc = ZoneInfo("UTC")
    assert check_in_week(MONDAY_0930 - timedelta(minutes=31), SETTINGS, utc) is None  # 08:59
    assert check_in_week(MONDAY_0930 - timedelta(minutes=30), SETTINGS, utc) == "2026-W48"
    assert check_in_week(MONDAY_0930 + timedelta(hours=11), SETTINGS, utc) == "2026-W48"
    assert check_in_week(MONDAY_0930 + timedelta(hours=12), SETTINGS, utc) is None
    assert check_in_week(FRIDAY_1730, SETTINGS, utc) is None
    assert digest_week(FRIDAY_1730, SETTINGS, utc) == "2026-W48"
    assert digest_week(FRIDAY_1730 - timedelta(hours=1), SETTINGS, utc) is None


def test_check_in_time_is_read_in_the_team_time_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 09:00 in Berlin is 08:00 UTC in November.
    assert check_in_week(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), SETTINGS, berlin) == "2026-W48"
    assert check_in_week(datetime(2026, 11, 23, 7, 59, tzinfo=UTC), SETTINGS, berlin) is None


def test_a_late_digest_crosses_into_the_next_week() -> None:
    late = NotifySettings(digest_day="sunday", digest_time="23:00", catch_up_hours=5)
    monday_early = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert digest_week(monday_early, late, ZoneInfo("UTC")) == "2026-W48"


def test_an_item_escalates_once_per_run_of_reminders() -> None:
    assert streak_start(set(), "2026-W49") is None
    assert streak_start({"2026-W48"}, "2026-W49") == "2026-W48"
    # Reminded three weeks running: still the same run, so the same escalation key.
    assert streak_start({"2026-W47", "2026-W48", "2026-W49"}, "2026-W50") == "2026-W47"
    # Not reminded last week (it was posted): nothing to escalate.
    assert streak_start({"2026-W47"}, "2026-W49") is None
    found = escalations(
        [_item("update:1"), _item("check_in:2")], {"update:1": {"2026-W48"}}, "2026-W49"
    )
    assert [(i.key, since) for i, since in found] == [("update:1", "2026-W48")]


def test_paused_and_opted_out_people_hear_nothing() -> None:
    today = date(2026, 11, 23)
    assert skip_reason(Preference(), today) is None
    assert skip_reason(Preference(opted_out=True), today) == "opted out"
    assert (
        skip_reason(Preference(paused_until=date(2026, 11, 30)), today) == "paused until 2026-11-30"
    )
    assert skip_reason(Preference(paused_until=today), today) is None


def test_retries_back_off_up_to_the_longest_wait() -> None:
    waits = [retry_delay(n, SETTINGS).total_seconds() for n in range(1, 9)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]


# --- settings -------------------------------------------------------------------------------------


def _settings_dir(tmp_path: Path, notify_yaml: str) -> Path:
    shipped = Path(__file__).resolve().parent.parent / "config"
    for name in ("metrics.yaml", "scoring.yaml"):
        (tmp_path / name).write_text((shipped / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "settings.yaml").write_text(notify_yaml, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("yaml_text", "key", "reason"),
    [
        ("notify:\n  digest_time: 17:00\n", "notify.digest_time", 'in quotes as "HH:MM"'),
        ('notify:\n  check_in_time: "25:00"\n', "notify.check_in_time", "not a time of day"),
        ('notify:\n  digest_time: "5pm"\n', "notify.digest_time", "HH:MM"),
        ("notify:\n  check_in_day: mondays\n", "notify.check_in_day", "monday"),
        ("notify:\n  base_url: localhost\n", "notify.base_url", "pattern"),
        (
            "notify:\n  first_retry_seconds: 600\n  max_retry_seconds: 60\n",
            "notify",
            "max_retry_seconds must be at least first_retry_seconds",
        ),
    ],
)
def test_a_wrong_notify_setting_names_the_key(
    tmp_path: Path, yaml_text: str, key: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_settings_dir(tmp_path, yaml_text))
    assert caught.value.key == key
    assert reason in caught.value.reason


def test_quoted_times_are_accepted(tmp_path: Path) -> None:
    text = 'notify:\n  check_in_day: tuesday\n  check_in_time: "8:05"\n'
    loaded = load_config(_settings_dir(tmp_path, text)).settings.notify
    assert (loaded.check_in_day, loaded.check_in_time) == ("tuesday", "08:05")


# --- links ----------------------------------------------------------------------------------------


def test_a_link_opens_one_persons_form_until_it_expires() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    token = links.sign(
        secret=SECRET, person_id=7, item="update:12", expires_at=now + timedelta(days=7)
    )
    granted = links.verify(secret=SECRET, token=token, now=now)
    assert (granted.person_id, granted.item) == (7, "update:12")
    url = links.form_url(base_url="https://qd.example.com/", token=token)
    assert url == f"https://qd.example.com/?nudge={token}"
    with pytest.raises(links.LinkError, match="expired"):
        links.verify(secret=SECRET, token=token, now=now + timedelta(days=7))
    with pytest.raises(links.LinkError, match="not one Quarterdeck made"):
        links.verify(secret=b"another-secret-0123456789", token=token, now=now)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 400, None, 12])
def test_a_malformed_link_is_refused_in_words(token: object) -> None:
    with pytest.raises(links.LinkError, match="not one Quarterdeck made"):
        links.verify(secret=SECRET, token=token, now=MONDAY_0930)


def test_an_altered_link_is_refused() -> None:
    token = links.sign(secret=SECRET, person_id=7, item="update:12", expires_at=NEXT_MONDAY)
    _, signature = token.split(".")
    forged_body = links._b64(b"form|8|update:12|9999999999")
    with pytest.raises(links.LinkError):
        links.verify(secret=SECRET, token=f"{forged_body}.{signature}", now=MONDAY_0930)


# --- secrets --------------------------------------------------------------------------------------


def test_channel_urls_come_from_the_environment_before_the_secrets_file(tmp_path: Path) -> None:
    file = tmp_path / "secrets.toml"
    file.write_text(
        '[notify]\nemail = "mailtos://u:file-pass@smtp.example.com"\n'
        'slack = "https://hooks.slack.com/services/T/B/file"\n'
        'link_secret = "from-the-file-123456"\n',
        encoding="utf-8",
    )
    env = {"QUARTERDECK_NOTIFY_EMAIL_URL": "mailtos://u:env-pass@smtp.example.com"}
    loaded = load_secrets(env, file)
    assert loaded.urls["email"] == "mailtos://u:env-pass@smtp.example.com"
    assert loaded.urls["slack"].endswith("/file")
    assert loaded.link_secret == b"from-the-file-123456"
    assert loaded.configured() == ("email", "slack")
    shown = repr(loaded)
    assert "pass" not in shown and "hooks.slack.com" not in shown and "from-the-file" not in shown
    assert "env-pass" not in redact("failed at mailtos://u:env-pass@smtp.example.com", loaded)


# --- planning on the store ------------------------------------------------------------------------


def _rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def test_only_people_who_owe_something_are_reminded(engine: Engine, config) -> None:
    team = seed_team(engine)
    initiative = add_owed_initiative(engine, team)
    with Session(engine) as session:
        planned = plan_due(session=session, config=config, now=MONDAY_0930, secrets=UNREACHED)
    assert [(m.person_id, m.kind, m.week, m.items) for m in planned] == [
        (team.ana.id, "reminder", "2026-W48", (f"update:{initiative}",))
    ]
    reminder = planned[0]
    assert "Faster checkout" in reminder.body_text and "?nudge=" in reminder.body_text
    with Session(engine) as session:  # an hour before the check-in: nothing
        early = plan_due(
            session=session, config=config, now=MONDAY_0930 - timedelta(hours=1), secrets=UNREACHED
        )
    assert early == []


def test_planning_twice_adds_each_message_once(engine: Engine, config) -> None:
    team = seed_team(engine)
    add_owed_initiative(engine, team)
    for _ in range(2):
        with Session(engine) as session:
            planned = plan_due(session=session, config=config, now=MONDAY_0930, secrets=UNREACHED)
        enqueue(engine=engine, messages=planned, now=MONDAY_0930)
    # Even messages planned before the first insert landed add nothing the second time.
    assert enqueue(engine=engine, messages=planned, now=MONDAY_0930) == 0
    assert len(_rows(engine)) == 1


def test_an_item_still_owed_a_cycle_later_goes_to_the_director_once(engine: Engine, config) -> None:
    team = seed_team(engine)
    initiative = add_owed_initiative(engine, team)
    for moment in (MONDAY_0930, NEXT_MONDAY, NEXT_MONDAY + timedelta(days=7)):
        with Session(engine) as session:
            planned = plan_due(session=session, config=config, now=moment, secrets=UNREACHED)
        enqueue(engine=engine, messages=planned, now=moment)
    rows = _rows(engine)
    escalated = [r for r in rows if r.kind == "escalation"]
    assert [(r.person_id, r.item, r.week) for r in escalated] == [
        (team.director.id, f"update:{initiative}", "2026-W48")
    ]
    assert "Ana Member" in escalated[0].subject
    assert [r.week for r in rows if r.kind == "reminder"] == ["2026-W48", "2026-W49", "2026-W50"]


def choose_own(engine: Engine, person: PersonRead, channel: str, **settings: Any) -> None:
    """The person sets their own notification channel and settings (committed)."""
    with Session(engine) as session:
        set_preference(
            session=session, actor=person, person_id=person.id, channel=channel, **settings
        )
        session.commit()


def test_the_director_gets_the_digest_and_opted_in_stakeholders_the_roadmap(
    engine: Engine, config
) -> None:
    team = seed_team(engine)
    choose_own(engine, team.sue, "slack", roadmap_summary=True)
    with Session(engine) as session:
        planned = plan_due(session=session, config=config, now=FRIDAY_1730, secrets=UNREACHED)
    kinds = {(m.person_id, m.kind, m.channel) for m in planned}
    assert kinds == {(team.director.id, "digest", "email"), (team.sue.id, "roadmap", "slack")}
    digest = next(m for m in planned if m.kind == "digest")
    assert "<html" in digest.body_html.lower() and "2026-W48" in digest.subject


def test_a_paused_person_is_listed_as_skipped_with_the_reason(engine: Engine, config) -> None:
    team = seed_team(engine)
    add_owed_initiative(engine, team)
    choose_own(engine, team.ana, "email", paused_until=date(2026, 12, 1))
    summary = run_due_notifications(engine, config, secrets=UNREACHED, now=MONDAY_0930)
    assert (summary.planned, summary.sent) == (1, 0)
    [row] = _rows(engine)
    assert (row.status, row.outcome) == (SKIPPED, "paused until 2026-12-01")


def test_a_channel_nobody_set_up_is_skipped_not_retried(engine: Engine, config) -> None:
    team = seed_team(engine)
    add_owed_initiative(engine, team)
    run_due_notifications(
        engine, config, secrets=NotifySecrets(link_secret=SECRET), now=MONDAY_0930
    )
    [row] = _rows(engine)
    assert (row.status, row.outcome) == (SKIPPED, "no email channel is set up on this server")


# --- the outbox -----------------------------------------------------------------------------------


def _one_pending(engine: Engine, config) -> None:
    team = seed_team(engine)
    add_owed_initiative(engine, team)
    with Session(engine) as session:
        planned = plan_due(session=session, config=config, now=MONDAY_0930, secrets=UNREACHED)
    enqueue(engine=engine, messages=planned, now=MONDAY_0930)


def test_a_claimed_row_is_not_claimed_again(engine: Engine, config) -> None:
    _one_pending(engine, config)
    first, rows = claim(engine=engine, settings=SETTINGS, now=MONDAY_0930)
    _, again = claim(engine=engine, settings=SETTINGS, now=MONDAY_0930)
    assert len(rows) == 1 and again == []
    # A claim left by a process that died is taken over after the claim timeout.
    later = MONDAY_0930 + timedelta(minutes=SETTINGS.claim_timeout_minutes, seconds=1)
    third, taken = claim(engine=engine, settings=SETTINGS, now=later)
    assert [r.id for r in taken] == [rows[0].id]
    # The first process's late result no longer counts; the new holder's does.
    assert not record_sent(engine=engine, token=first, message=rows[0], now=later, outcome="x")
    assert record_sent(engine=engine, token=third, message=taken[0], now=later, outcome="sent")
    [row] = _rows(engine)
    assert (row.status, row.attempts) == (SENT, 1)


def test_a_failed_send_is_retried_later_then_given_up(engine: Engine, config) -> None:
    _one_pending(engine, config)
    settings = NotifySettings(max_attempts=3)
    now = MONDAY_0930
    statuses = []
    for _ in range(3):
        token, rows = claim(engine=engine, settings=settings, now=now)
        assert len(rows) == 1
        assert claim(engine=engine, settings=settings, now=now)[1] == []  # not before its time
        statuses.append(
            record_failure(
                engine=engine,
                token=token,
                message=rows[0],
                now=now,
                outcome="the email channel refused the message",
                settings=settings,
            )
        )
        [row] = _rows(engine)
        now = row.next_attempt_at + timedelta(seconds=1)
    assert statuses == [PENDING, PENDING, FAILED]
    [row] = _rows(engine)
    assert row.attempts == 3 and row.outcome == "the email channel refused the message"


# --- preferences ----------------------------------------------------------------------------------


def test_people_change_their_own_preferences_and_directors_anyones(engine: Engine) -> None:
    team = seed_team(engine)
    with Session(engine) as session:
        set_preference(session=session, actor=team.ana, person_id=team.ana.id, channel="teams")
        set_preference(
            session=session,
            actor=team.director,
            person_id=team.ben.id,
            channel="email",
            opted_out=True,
        )
        with pytest.raises(PermissionDenied):
            set_preference(session=session, actor=team.ana, person_id=team.ben.id, channel="slack")
        session.commit()
    with Session(engine) as session:
        assert preference_of(session=session, person_id=team.ana.id).channel == "teams"
        assert preference_of(session=session, person_id=team.ben.id).opted_out
        assert preference_of(session=session, person_id=team.sue.id) == Preference()
        events = session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity == "notify_preference")
        ).one()
    assert events == 2


@pytest.mark.parametrize(
    ("channel", "paused", "problem"),
    [
        ("pigeon", None, "channel must be one of email, slack, teams, webhook"),
        ("email", "tomorrow", "paused until must be a day"),
    ],
)
def test_a_bad_preference_is_refused_and_nothing_written(
    engine: Engine, channel: str, paused: object, problem: str
) -> None:
    from planning.validation import InputError

    team = seed_team(engine)
    with Session(engine) as session:
        with pytest.raises(InputError, match=problem):
            set_preference(
                session=session,
                actor=team.ana,
                person_id=team.ana.id,
                channel=channel,
                paused_until=paused,  # type: ignore[arg-type]
            )
        session.commit()
    with Session(engine) as session:
        assert preference_of(session=session, person_id=team.ana.id) == Preference()
